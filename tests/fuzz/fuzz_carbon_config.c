/* libFuzzer: the `carbon:` section of the YAML configuration. */
#include <stddef.h>
#include <stdint.h>

#include "carbon/carbon_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c12_carbon_config_opts o = {NULL, "/data/trace.csv"};
    c12_carbon_config *c = NULL;
    c12_err err;
    if (c12_carbon_config_parse((const char *)data, size, "fuzz.yaml", &o, &c, &err) == C12_OK)
        c12_carbon_config_free(c);
    return 0;
}
