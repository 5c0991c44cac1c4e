/* libFuzzer: OpenAI request bodies (chat completions, then completions). */
#include <stddef.h>
#include <stdint.h>

#include "server/api_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char param[64];
    c12_err err;
    for (int kind = 0; kind < 2; kind++) {
        c12_api_req r;
        if (c12_api_req_parse((const char *)data, size, (c12_api_kind)kind, &r, param, &err) == C12_OK)
            c12_api_req_free(&r);
    }
    return 0;
}
