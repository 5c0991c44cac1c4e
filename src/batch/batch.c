/* batch.c - status names and completion windows (see batch.h). */
#include <stdlib.h>
#include <string.h>

#include "batch/batch.h"

static const char *const STATUS[C12_BATCH_STATUSES] = {"validating", "failed",    "in_progress", "finalizing",
                                                       "completed",  "expired",   "cancelling",  "cancelled"};

const char *c12_batch_status_name(c12_batch_status s) { return (unsigned)s < C12_BATCH_STATUSES ? STATUS[s] : "?"; }

int c12_batch_status_parse(const char *name)
{
    for (int i = 0; name && i < C12_BATCH_STATUSES; i++)
        if (!strcmp(name, STATUS[i])) return i;
    return -1;
}

int c12_batch_status_final(c12_batch_status s)
{
    return s == C12_BATCH_FAILED || s == C12_BATCH_COMPLETED || s == C12_BATCH_EXPIRED || s == C12_BATCH_CANCELLED;
}

void c12_batch_cfg_defaults(c12_batch_cfg *c)
{
    *c = (c12_batch_cfg){.enabled = 1, .max_file_bytes = 200u << 20, .max_lines = C12_BATCH_LINES_MAX,
                         .margin = 0.1, .tick_s = 30};
}

int64_t c12_batch_window_parse(const char *s)
{
    static const struct {
        char unit;
        int64_t s;
    } UNITS[] = {{'m', 60}, {'h', 3600}, {'d', 86400}};
    if (!s || !*s || *s < '0' || *s > '9') return 0;
    char *end;
    long long n = strtoll(s, &end, 10);
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
        if (end[0] != UNITS[i].unit || end[1]) continue;
        int64_t v = n * UNITS[i].s;
        return n > 0 && n <= 7 * 86400 && v >= 60 && v <= 7 * 86400 ? v : 0;
    }
    return 0;
}
