/* libFuzzer: code extraction from a model's answer (eval-quality). */
#include <stddef.h>
#include <stdint.h>

#include "quality/quality.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c12_buf b;
    c12_buf_init(&b, 0);
    for (int fence = 0; fence < 2; fence++) {
        (void)c12_quality_extract((const char *)data, size, fence, &b);
        (void)c12_quality_answer_done((const char *)data, size, fence);
    }
    c12_buf_free(&b);
    return 0;
}
