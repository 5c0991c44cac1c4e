/* libFuzzer: the whole YAML configuration as `c12 serve` reads it: the one
 * YAML reader (src/config/cfg_doc.c) and every section's parser (server,
 * pool, queue, models, carbon, energy, ledger, policy). */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A fixed trace path: no file-system search per input. */
    const c12_config_opts opts = {.carbon = {.trace_default = "/nonexistent/trace.csv"}};
    c12_config *c = NULL;
    c12_err err;
    if (c12_config_parse_opts((const char *)data, size, "fuzz.yaml", &opts, &c, &err) == C12_OK) c12_config_free(c);
    return 0;
}
