/* Unit tests for the policy's answer-length directives
 * (src/route/policy_directives.c): which level a request gets by category,
 * intensity, chat and opt-out; the planned output shrinks by the measured
 * factor; the YAML section over the built-in levels; its errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "config/config.h"
#include "route/policy.h"
#include "route/policy_test.h"

typedef struct ask {
    c12_route_category cat;
    double now;
    int chat, off;
} ask;

static c12_policy_decision decide_params(const c12_policy_params *p, ask q)
{
    c12_policy *pol = NULL;
    c12_err err;
    assert_int_equal(c12_policy_new(p, NULL, &pol, &err), C12_OK);
    c12_route_analysis a;
    memset(&a, 0, sizeof a);
    a.category = q.cat;
    c12_policy_request r = {.analysis = &a, .chat = q.chat, .prompt_tokens = 50, .out_tokens = 100,
                            .intensity_now = q.now, .intensity_next = NAN, .no_directive = q.off};
    c12_policy_decision d;
    assert_int_equal(c12_policy_decide(pol, &r, &d, &err), C12_OK);
    c12_policy_unref(pol);
    d.dir = NULL; /* it pointed into the policy just freed */
    return d;
}

static c12_policy_params enabled(void)
{
    c12_policy_params p;
    c12_policy_defaults(&p);
    p.directives.enabled = 1;
    return p;
}

static void test_off_by_default(void **state)
{
    c12_policy_params p;
    c12_policy_defaults(&p);
    assert_int_equal(p.directives.enabled, 0);
    assert_int_equal(p.directives.n_levels, 2); /* the levels are there for the operator to turn on */
    c12_policy_decision d = decide_params(&p, (ask){C12_ROUTE_GENERAL, 300, 1, 0});
    assert_int_equal(d.directive, 0);
    assert_null(strstr(d.reason, "directive"));
}

static void test_levels_by_intensity(void **state)
{
    c12_policy_params p = enabled();
    assert_int_equal(decide_params(&p, (ask){C12_ROUTE_GENERAL, 150, 1, 0}).directive, 0);
    assert_int_equal(decide_params(&p, (ask){C12_ROUTE_GENERAL, 200, 1, 0}).directive, 0); /* "above": strictly */
    c12_policy_decision d = decide_params(&p, (ask){C12_ROUTE_GENERAL, 210, 1, 0});
    assert_int_equal(d.directive, 1);
    assert_non_null(strstr(d.reason, "; directive 1"));
    assert_non_null(strstr(d.explain, "\"Answer briefly.\""));
    d = decide_params(&p, (ask){C12_ROUTE_GENERAL, 300, 1, 0});
    assert_int_equal(d.directive, 2);
    assert_non_null(strstr(d.explain, "at most two sentences"));
}

static void test_who_gets_none(void **state)
{
    c12_policy_params p = enabled();
    /* code: none unless listed */
    assert_int_equal(decide_params(&p, (ask){C12_ROUTE_CODE, 300, 1, 0}).directive, 0);
    /* a completion has no system turn */
    assert_int_equal(decide_params(&p, (ask){C12_ROUTE_GENERAL, 300, 0, 0}).directive, 0);
    /* the caller said x-c12-directive: none */
    assert_int_equal(decide_params(&p, (ask){C12_ROUTE_GENERAL, 300, 1, 1}).directive, 0);
    p.directives.n_code = 1;
    p.directives.code[0] = (c12_policy_directive){.above = 250, .text = "Code only.", .out_factor = 1, .pass_factor = 1};
    assert_int_equal(decide_params(&p, (ask){C12_ROUTE_CODE, 240, 1, 0}).directive, 0);
    assert_int_equal(decide_params(&p, (ask){C12_ROUTE_CODE, 260, 1, 0}).directive, 1);
}

static void test_out_factor_plans_less_energy(void **state)
{
    c12_policy_params p = enabled();
    p.directives.levels[1].out_factor = 0.5;
    c12_policy_decision with = decide_params(&p, (ask){C12_ROUTE_GENERAL, 300, 1, 0});
    c12_policy_decision without = decide_params(&p, (ask){C12_ROUTE_GENERAL, 300, 1, 1});
    assert_int_equal(with.c[0].model, without.c[0].model);
    assert_true(with.c[0].energy_j < without.c[0].energy_j);
    assert_true(with.c[0].energy_j > 0.4 * without.c[0].energy_j); /* the prompt still costs */
}

static void test_yaml(void **state)
{
    c12_policy_params p;
    c12_err err;
    /* the shape */
    const char *y = "policy:\n  directives:\n    enabled: true\n    levels:\n"
                    "      - {above: 180, text: \"Be brief.\"}\n"
                    "      - {above: 260, text: \"Two sentences.\", out_factor: 0.4, pass_factor: 0.9}\n";
    assert_int_equal(policy_test_parse(y, &p, &err), C12_OK);
    assert_int_equal(p.directives.enabled, 1);
    assert_int_equal(p.directives.n_levels, 2);
    assert_string_equal(p.directives.levels[1].text, "Two sentences.");
    assert_true(p.directives.levels[0].out_factor == 1 && p.directives.levels[1].out_factor == 0.4);
    assert_true(p.directives.levels[1].pass_factor == 0.9);
    assert_int_equal(p.directives.n_code, 0);
    /* enabled alone: the built-in levels */
    assert_int_equal(policy_test_parse("policy:\n  directives: {enabled: true}\n", &p, &err), C12_OK);
    assert_int_equal(p.directives.n_levels, 2);
    assert_string_equal(p.directives.levels[0].text, "Answer briefly.");
    const struct {
        const char *yaml, *says;
    } bad[] = {
        {"policy:\n  directives:\n    levels:\n      - {above: 200}\n", "c.yaml:4: policy.directives.levels"},
        {"policy:\n  directives:\n    levels:\n      - {above: 200, text: a}\n      - {above: 100, text: b}\n",
         "must increase"},
        {"policy:\n  directives:\n    enabeld: true\n", "c.yaml:3: policy.directives.enabeld"},
        {"policy:\n  directives:\n    code: {above: 1}\n", "policy.directives.code"},
        {"policy:\n  directives:\n    levels:\n      - {above: 1, text: a, out_factor: 0}\n", "out_factor"},
        {"policy:\n  directives: [1]\n", "policy.directives"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(policy_test_parse(bad[i].yaml, &p, &err), C12_ERR_INVALID);
        if (!strstr(err.msg, bad[i].says)) fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].says);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_levels_by_intensity),
        cmocka_unit_test(test_who_gets_none),
        cmocka_unit_test(test_out_factor_plans_less_energy),
        cmocka_unit_test(test_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
