/* libFuzzer: the --messages JSON (an OpenAI-style messages array), then the
 * analysis of what it yields. */
#include <stddef.h>
#include <stdint.h>

#include "route/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c12_route_msgs m;
    c12_err err;
    if (c12_route_msgs_parse((const char *)data, size, &m, &err) != C12_OK) return 0;
    c12_route_analysis a;
    c12_route_analyse(m.msgs, m.n, &a, &err);
    c12_route_msgs_free(&m);
    return 0;
}
