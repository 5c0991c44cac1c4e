/* libFuzzer: a report window's bound ("7d", "all", "2026-12-01T08:00Z"),
 * which the dashboard's /dashboard/api/summary and /series read from a
 * query string: a time after 1970, a span exactly that far before now,
 * and an error message that is a C string. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256) return 0;
    char s[257];
    memcpy(s, data, size);
    s[size] = '\0';
    const int64_t now = 1764806400000LL; /* 2025-12-04 */
    int64_t ms, span;
    c12_err err;
    if (c12_report_parse_when(s, now, &ms, &err) != C12_OK) {
        if (!memchr(err.msg, '\0', sizeof err.msg)) abort(); /* the message is a C string */
        return 0;
    }
    if (ms < 0) abort(); /* no time before 1970 */
    /* a span is that much before now ("all", or back past 1970: no bound) */
    if (c12_report_parse_span(s, &span, &err) == C12_OK && ms != (span && span < now ? now - span : 0)) abort();
    return 0;
}
