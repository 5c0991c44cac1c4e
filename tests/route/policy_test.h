/* policy_test.h - what the policy's unit tests share. */
#ifndef C12_TESTS_POLICY_TEST_H
#define C12_TESTS_POLICY_TEST_H

#include <string.h>

#include "config/config.h"
#include "route/policy.h"

/* The policy: section as the one configuration reader gives it. */
static inline c12_rc policy_test_parse(const char *yaml, c12_policy_params *out, c12_err *err)
{
    c12_config *c = NULL;
    c12_rc rc = c12_config_parse(yaml, strlen(yaml), "c.yaml", &c, err);
    if (!rc) *out = c->policy;
    c12_config_free(c);
    return rc;
}

#endif
