/* libFuzzer: the policy: section of the YAML configuration, and a policy
 * built from whatever parses (its checks must hold against any input). */
#include <stddef.h>
#include <stdint.h>

#include "route/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c12_policy_params p;
    c12_err err;
    if (c12_policy_parse_yaml((const char *)data, size, "fuzz.yaml", &p, &err) == C12_OK) {
        c12_policy *pol = NULL;
        if (c12_policy_new(&p, NULL, &pol, &err) == C12_OK) c12_policy_unref(pol);
    }
    return 0;
}
