/* libFuzzer: WattTime v3 answers (login token, signal-index and forecast). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c12_err err;
    char *token = NULL;
    if (c12_carbon_parse_wt_login((const char *)data, size, &token, &err) == C12_OK) c12_free(token);
    c12_carbon_wt_signal w;
    memset(&w, 0, sizeof w);
    c12_carbon_parse_wt_signal((const char *)data, size, &w, &err);
    c12_carbon_wt_signal_free(&w);
    return 0;
}
