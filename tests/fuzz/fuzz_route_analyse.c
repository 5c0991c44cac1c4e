/* libFuzzer: the query analyser on arbitrary bytes, as one message and split
 * into a conversation at NUL bytes (earlier turns feed the follow-up rule). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "route/route.h"

#define TURNS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    c12_route_analysis a;
    c12_route_analyse_text(s, size, &a, NULL);
    if (a.n_reasons > C12_ROUTE_REASONS_MAX || a.complexity < 0 || a.complexity > 100) __builtin_trap();
    c12_route_msg msgs[TURNS];
    size_t n = 0, start = 0;
    static const char *const roles[] = {"user", "assistant", "system", "tool"};
    for (size_t i = 0; i <= size && n < TURNS; i++)
        if (i == size || s[i] == '\0') {
            msgs[n].role = roles[n % 4 == 3 ? 0 : n % 4];
            msgs[n].text = s + start;
            msgs[n].len = i - start;
            n++;
            start = i + 1;
        }
    if (n) c12_route_analyse(msgs, n, &a, NULL);
    return 0;
}
