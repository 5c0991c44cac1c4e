/* libFuzzer: the energy: and ledger: sections as c12 serve reads them (any
 * bytes: a parse error or settings the modules accepted, never a crash). */
#include <stddef.h>
#include <stdint.h>

#include "server/serve_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c12_energy_cfg e;
    c12_ledger_cfg l;
    c12_err err;
    c12_energy_cfg_defaults(&e);
    c12_ledger_cfg_defaults(&l);
    c12_serve_sections_parse((const char *)data, size, "fuzz.yaml", &e, &l, &err);
    return 0;
}
