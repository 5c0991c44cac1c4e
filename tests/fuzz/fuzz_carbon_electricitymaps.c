/* libFuzzer: Electricity Maps v3 answers (latest and forecast) into readings. */
#include <stddef.h>
#include <stdint.h>

#include "carbon/carbon_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c12_carbon_reading r;
    c12_err err;
    c12_carbon_parse_em_latest((const char *)data, size, &r, &err);
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    c12_carbon_parse_em_forecast((const char *)data, size, &s, &err);
    c12_carbon_series_free(&s);
    return 0;
}
