/* libFuzzer: UK Carbon Intensity API answers, national and regional. */
#include <stddef.h>
#include <stdint.h>

#include "carbon/carbon_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c12_carbon_uk_list l = {NULL, 0, ""};
    c12_err err;
    c12_carbon_parse_uk((const char *)data, size, &l, &err);
    c12_carbon_uk_list_free(&l);
    return 0;
}
