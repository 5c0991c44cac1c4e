/* libFuzzer: the server/pool/queue/models sections of the YAML configuration. */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c12_config *c = NULL;
    c12_err err;
    if (c12_config_parse((const char *)data, size, "fuzz.yaml", &c, &err) == C12_OK) c12_config_free(c);
    return 0;
}
