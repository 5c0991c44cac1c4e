/* Unit tests for src/route/policy: ratings (code, general, grounded), intensity thresholds and the
 * forecast blend, latency, loaded vs not, chat vs base models, fallback
 * ordering, reasons, reload, the YAML section, and no allocation per
 * decision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "config/config.h"
#include "route/policy.h"
#include "route/policy_test.h"

enum { QWEN = 0, SMOL = 1, GEMMA = 2 }; /* the defaults' order */

static c12_policy *make(const c12_policy_params *p)
{
    c12_policy *pol = NULL;
    c12_err err;
    assert_int_equal(c12_policy_new(p, NULL, &pol, &err), C12_OK);
    return pol;
}

static c12_policy *defaults(void)
{
    c12_policy_params p;
    c12_policy_defaults(&p);
    return make(&p);
}

static c12_route_analysis analysis(c12_route_category c, c12_route_tier t)
{
    c12_route_analysis a;
    memset(&a, 0, sizeof a);
    a.category = c;
    a.tier = t;
    return a;
}

static c12_policy_decision decide(const c12_policy *pol, const c12_route_analysis *a, double now, double next,
                                  double latency_ms, unsigned loaded, int chat)
{
    c12_policy_request r = {.analysis = a, .chat = chat, .prompt_tokens = 50, .out_tokens = 100,
                            .max_latency_ms = latency_ms, .intensity_now = now, .intensity_next = next,
                            .loaded_mask = loaded};
    c12_policy_decision d;
    c12_err err;
    assert_int_equal(c12_policy_decide(pol, &r, &d, &err), C12_OK);
    return d;
}

static void test_code_goes_to_the_coder_when_clean(void **state)
{
    c12_policy *pol = defaults();
    c12_route_analysis a = analysis(C12_ROUTE_CODE, C12_ROUTE_MEDIUM);
    c12_policy_decision d = decide(pol, &a, 100, NAN, 0, 0, 1);
    assert_int_equal(d.c[0].model, QWEN);
    assert_int_equal(d.level, 0);
    assert_true(d.c[0].adequate);
    assert_int_equal(d.n, 2); /* gemma3 is a base model: not for a chat */
    assert_int_equal(d.c[1].model, SMOL);
    assert_non_null(strstr(d.reason, "qwen2.5-coder-1.5b"));
    assert_non_null(strstr(d.reason, "code/medium"));
    assert_non_null(strstr(d.explain, "2. smollm2-135m"));
    c12_policy_unref(pol);
}

static void test_general_low_goes_to_the_cleanest_adequate(void **state)
{
    c12_policy *pol = defaults();
    c12_route_analysis a = analysis(C12_ROUTE_GENERAL, C12_ROUTE_LOW);
    /* measured: smollm2 0.35 on low-tier general questions, under the 0.5 bar */
    c12_policy_decision d = decide(pol, &a, 100, NAN, 0, 0, 1);
    assert_int_equal(d.c[0].model, QWEN);
    assert_false(d.c[1].adequate);
    /* above 200 the bar is 0.3: the smaller, cleaner one */
    d = decide(pol, &a, 210, NAN, 0, 0, 1);
    assert_int_equal(d.c[0].model, SMOL);
    assert_true(d.c[0].co2_g < d.c[1].co2_g);
    /* medium general: smollm2 measured 0/20, so the bigger one even then */
    a = analysis(C12_ROUTE_GENERAL, C12_ROUTE_MEDIUM);
    d = decide(pol, &a, 210, NAN, 0, 0, 1);
    assert_int_equal(d.c[0].model, QWEN);
    c12_policy_unref(pol);
}

/* A question about a given passage is rated by the model's grounded
 * ratings: where the small model earns the bar it answers at normal
 * intensity, while a general question of the same tier stays with the
 * strongest. */
static void test_grounded_uses_its_own_ratings(void **state)
{
    c12_policy_params p;
    c12_policy_defaults(&p);
    p.models[SMOL].rating[C12_ROUTE_GENERAL][C12_ROUTE_MEDIUM] = 0.0;
    p.models[SMOL].rating[C12_ROUTE_GROUNDED][C12_ROUTE_MEDIUM] = 0.6;
    p.models[QWEN].rating[C12_ROUTE_GROUNDED][C12_ROUTE_MEDIUM] = 0.9;
    c12_policy *pol = make(&p);
    c12_route_analysis a = analysis(C12_ROUTE_GROUNDED, C12_ROUTE_MEDIUM);
    c12_policy_decision d = decide(pol, &a, 100, NAN, 0, 0, 1);
    assert_int_equal(d.level, 0);
    assert_int_equal(d.c[0].model, SMOL);
    assert_true(d.c[0].adequate && d.c[1].adequate);
    assert_non_null(strstr(d.reason, "grounded/medium"));
    assert_non_null(strstr(d.reason, "smollm2-135m 0.60>=0.50, cleanest adequate"));
    assert_true(c12_policy_adequate(pol, SMOL, C12_ROUTE_GROUNDED, C12_ROUTE_MEDIUM));
    a = analysis(C12_ROUTE_GENERAL, C12_ROUTE_MEDIUM);
    assert_int_equal(decide(pol, &a, 100, NAN, 0, 0, 1).c[0].model, QWEN);
    c12_policy_unref(pol);
}

static void test_thresholds_degrade(void **state)
{
    c12_policy *pol = defaults();
    c12_route_analysis a = analysis(C12_ROUTE_GENERAL, C12_ROUTE_LOW);
    c12_policy_decision d = decide(pol, &a, 210, NAN, 0, 0, 1); /* > 200: needs 0.3 */
    assert_int_equal(d.level, 1);
    assert_int_equal(d.c[0].model, SMOL);
    assert_non_null(strstr(d.reason, "(high)"));
    /* code: smollm2's 0.10 only suffices above 240 */
    a = analysis(C12_ROUTE_CODE, C12_ROUTE_LOW);
    assert_int_equal(decide(pol, &a, 210, NAN, 0, 0, 1).c[0].model, QWEN);
    d = decide(pol, &a, 300, NAN, 0, 0, 1);
    assert_int_equal(d.level, 2);
    assert_int_equal(d.c[0].model, SMOL);
    /* high general: no small model meets even 0.05 */
    a = analysis(C12_ROUTE_GENERAL, C12_ROUTE_HIGH);
    assert_int_equal(decide(pol, &a, 300, NAN, 0, 0, 1).c[0].model, QWEN);
    c12_policy_unref(pol);
}

static void test_forecast_blend(void **state)
{
    c12_policy *pol = defaults();
    c12_route_analysis a = analysis(C12_ROUTE_GENERAL, C12_ROUTE_MEDIUM);
    /* now 190 (below 200), next hour 290: blend 240 > 200 */
    c12_policy_decision d = decide(pol, &a, 190, 290, 0, 0, 1);
    assert_int_equal(d.level, 1);
    assert_true(fabs(d.intensity - 240) < 1e-9);
    /* a cleaner next hour keeps it at level 0 */
    d = decide(pol, &a, 210, 150, 0, 0, 1);
    assert_int_equal(d.level, 0);
    c12_policy_unref(pol);
}

static void test_latency(void **state)
{
    c12_policy *pol = defaults();
    c12_route_analysis a = analysis(C12_ROUTE_CODE, C12_ROUTE_HIGH);
    /* a latency need between smollm2's time for 50 + 100 tokens and qwen's */
    const c12_policy_cost *ks = c12_policy_get_cost(pol, SMOL), *kq = c12_policy_get_cost(pol, QWEN);
    double ts = ks->s_prompt * 50 + ks->s_out * 100 + ks->load_s, tq = kq->s_prompt * 50 + kq->s_out * 100 + kq->load_s;
    assert_true(ts < tq);
    c12_policy_decision d = decide(pol, &a, 100, NAN, 500 * (ts + tq), 0, 1);
    assert_int_equal(d.c[0].model, SMOL);
    assert_true(d.c[0].in_time);
    assert_false(d.c[1].in_time);
    assert_non_null(strstr(d.explain, "too slow"));
    /* nothing fast enough: fastest first */
    d = decide(pol, &a, 100, NAN, 1, 0, 1);
    assert_int_equal(d.c[0].model, SMOL);
    assert_non_null(strstr(d.reason, "fastest"));
    c12_policy_unref(pol);
}

static void test_loaded_costs_less(void **state)
{
    c12_policy *pol = defaults();
    c12_route_analysis a = analysis(C12_ROUTE_CODE, C12_ROUTE_LOW);
    c12_policy_decision cold = decide(pol, &a, 100, NAN, 0, 0, 1);
    c12_policy_decision warm = decide(pol, &a, 100, NAN, 0, 1u << QWEN, 1);
    const c12_policy_cost *k = c12_policy_get_cost(pol, QWEN);
    assert_true(fabs(cold.c[0].energy_j - warm.c[0].energy_j - k->load_j) < 1e-9);
    assert_true(fabs(cold.c[0].seconds - warm.c[0].seconds - k->load_s) < 1e-9);
    assert_true(warm.c[0].loaded);
    /* two adequate models: a resident one can beat a smaller cold one */
    c12_policy_params p;
    c12_policy_defaults(&p);
    p.models[SMOL].rating[C12_ROUTE_CODE][C12_ROUTE_LOW] = 0.9;
    /* close in cost (estimated from their sizes: names without reference
     * rates): the load decides */
    snprintf(p.models[QWEN].name, sizeof p.models[QWEN].name, "model-a");
    snprintf(p.models[SMOL].name, sizeof p.models[SMOL].name, "model-b");
    p.models[QWEN].params_b = 0.14;
    p.models[SMOL].params_b = 0.135;
    c12_policy *p2 = make(&p);
    assert_int_equal(decide(p2, &a, 100, NAN, 0, 0, 1).c[0].model, SMOL);
    assert_int_equal(decide(p2, &a, 100, NAN, 0, 1u << QWEN, 1).c[0].model, QWEN);
    c12_policy_unref(p2);
    c12_policy_unref(pol);
}

/* A model already decoding for others prices its output tokens at the
 * batch's marginal cost: cheaper, and able to win against a smaller model. */
static void test_shared_steps_cost_less(void **state)
{
    c12_policy_params p;
    c12_policy_defaults(&p);
    p.models[SMOL].rating[C12_ROUTE_CODE][C12_ROUTE_LOW] = 0.9;
    c12_policy *pol = make(&p);
    c12_route_analysis a = analysis(C12_ROUTE_CODE, C12_ROUTE_LOW);
    unsigned both = 1u << QWEN | 1u << SMOL;
    c12_policy_request r = {.analysis = &a, .chat = 1, .prompt_tokens = 50, .out_tokens = 100,
                            .intensity_now = 100, .intensity_next = NAN, .loaded_mask = both};
    c12_policy_decision alone, shared;
    c12_err err;
    assert_int_equal(c12_policy_decide(pol, &r, &alone, &err), C12_OK);
    assert_int_equal(alone.c[0].model, SMOL);
    r.out_marginal[QWEN] = 0.05;
    assert_int_equal(c12_policy_decide(pol, &r, &shared, &err), C12_OK);
    const c12_policy_cost *k = c12_policy_get_cost(pol, QWEN);
    double qa = -1, qs = -1;
    for (size_t i = 0; i < alone.n; i++) {
        if (alone.c[i].model == QWEN) qa = alone.c[i].energy_j;
        if (shared.c[i].model == QWEN) qs = shared.c[i].energy_j;
    }
    assert_true(fabs(qa - qs - k->j_out * 100 * 0.95) < 1e-9);
    assert_int_equal(shared.c[0].model, QWEN);
    c12_policy_unref(pol);
}

static void test_fallback_order_and_completion(void **state)
{
    c12_policy *pol = defaults();
    c12_route_analysis a = analysis(C12_ROUTE_GENERAL, C12_ROUTE_LOW);
    /* a raw completion may go to the base model too */
    c12_policy_decision d = decide(pol, &a, 100, NAN, 0, 0, 0);
    assert_int_equal(d.n, 3);
    /* adequate ones (cleanest first), then the rest by rating */
    assert_int_equal(d.c[0].model, QWEN);
    assert_int_equal(d.c[1].model, SMOL);
    assert_int_equal(d.c[2].model, GEMMA);
    /* above 200 (bar 0.3) all three are adequate: cleanest first */
    d = decide(pol, &a, 210, NAN, 0, 0, 0);
    assert_int_equal(d.c[0].model, SMOL);
    assert_int_equal(d.c[1].model, GEMMA);
    assert_int_equal(d.c[2].model, QWEN);
    for (size_t i = 1; i < d.n; i++)
        if (d.c[i].adequate) assert_true(d.c[i - 1].adequate && d.c[i - 1].co2_g <= d.c[i].co2_g);
    /* a chat with only a base model configured: NOT_FOUND */
    c12_policy_params p;
    c12_policy_defaults(&p);
    p.models[0] = p.models[GEMMA];
    p.n_models = 1;
    c12_policy *only_base = make(&p);
    c12_policy_request r = {.analysis = &a, .chat = 1, .prompt_tokens = 10, .intensity_now = 100,
                            .intensity_next = NAN};
    c12_policy_decision d2;
    c12_err err;
    assert_int_equal(c12_policy_decide(only_base, &r, &d2, &err), C12_ERR_NOT_FOUND);
    c12_policy_unref(only_base);
    c12_policy_unref(pol);
}

static void test_calibration_used(void **state)
{
    c12_calibration *cal = NULL;
    c12_err err;
    const char *js = "{\"version\":1,\"models\":{\"smollm2-135m\":{\"method\":\"cputime-constant\","
                     "\"j_per_prompt_token\":1,\"j_per_output_token\":2,\"s_per_prompt_token\":0.01,"
                     "\"s_per_output_token\":0.02,\"load_s\":0.5,\"load_j\":7}}}";
    assert_int_equal(c12_calib_parse(js, strlen(js), &cal, &err), C12_OK);
    c12_policy_params p;
    c12_policy_defaults(&p);
    c12_policy *pol = NULL;
    assert_int_equal(c12_policy_new(&p, cal, &pol, &err), C12_OK);
    const c12_policy_cost *k = c12_policy_get_cost(pol, SMOL);
    assert_true(k->from == C12_RATES_CALIBRATED && k->j_out == 2 && k->load_j == 7);
    assert_string_equal(k->basis, "calibrated");
    /* not in the calibration: the shipped reference measurement */
    const c12_policy_cost *q = c12_policy_get_cost(pol, QWEN);
    const c12_policy_reference *ref = c12_policy_reference_find("qwen2.5-coder-1.5b");
    assert_non_null(ref);
    assert_true(q->from == C12_RATES_REFERENCE && q->j_out == ref->j_out && q->s_prompt == ref->s_prompt);
    assert_non_null(strstr(q->basis, "reference: "));
    assert_non_null(strstr(q->basis, ref->date));
    c12_route_analysis a = analysis(C12_ROUTE_GENERAL, C12_ROUTE_LOW);
    c12_policy_decision d = decide(pol, &a, 360, NAN, 0, 0, 1);
    assert_int_equal(d.c[0].model, SMOL);
    assert_true(fabs(d.c[0].energy_j - (50 * 1 + 100 * 2 + 7)) < 1e-9);
    assert_true(fabs(d.c[0].co2_g - 257.0 / 3.6e6 * 360) < 1e-12);
    c12_policy_unref(pol);
    c12_calib_free(cal);
}

/* One place decides a model's rates: calibration > reference > estimate. */
static void test_rates_precedence(void **state)
{
    c12_policy_cost k;
    c12_policy_rates("smollm2-135m", 0.135, NULL, &k);
    const c12_policy_reference *ref = c12_policy_reference_find("smollm2-135m");
    assert_non_null(ref);
    assert_true(k.from == C12_RATES_REFERENCE && k.j_prompt == ref->j_prompt && k.load_j == ref->load_j);
    char want[C12_POLICY_BASIS_MAX];
    snprintf(want, sizeof want, "reference: %s %s", ref->machine, ref->date);
    assert_string_equal(k.basis, want);
    assert_non_null(strstr(ref->source, "c12 calibrate"));
    /* every default policy model has one, and it is a measurement, not the estimate */
    c12_policy_params p;
    c12_policy_defaults(&p);
    for (size_t i = 0; i < p.n_models; i++) {
        const c12_policy_reference *r = c12_policy_reference_find(p.models[i].name);
        assert_non_null(r);
        c12_policy_cost e;
        c12_policy_estimate(p.models[i].params_b, &e);
        assert_true(r->j_out > 0 && r->j_prompt > 0 && r->s_out > 0 && r->j_out != e.j_out);
    }
    c12_calibration *cal = NULL;
    c12_err err;
    const char *js = "{\"version\":1,\"models\":{\"smollm2-135m\":{\"j_per_prompt_token\":1,\"j_per_output_token\":2}}}";
    assert_int_equal(c12_calib_parse(js, strlen(js), &cal, &err), C12_OK);
    c12_policy_rates("smollm2-135m", 0.135, cal, &k);
    assert_true(k.from == C12_RATES_CALIBRATED && k.j_prompt == 1 && k.j_out == 2);
    assert_string_equal(k.basis, "calibrated");
    c12_policy_rates("unknown-model", 1.54, cal, &k); /* neither */
    assert_true(k.from == C12_RATES_ESTIMATED);
    assert_string_equal(k.basis, "estimated from 1.54B parameters");
    c12_policy_cost e;
    c12_policy_estimate(1.54, &e);
    assert_true(k.j_out == e.j_out && k.s_prompt == e.s_prompt);
    assert_null(c12_policy_reference_find("unknown-model"));
    assert_null(c12_policy_reference_find(NULL));
    c12_calib_free(cal);
}

static void test_no_allocation_per_decision(void **state)
{
    c12_policy *pol = defaults();
    c12_route_analysis a = analysis(C12_ROUTE_CODE, C12_ROUTE_HIGH);
    c12_alloc_fail_at(1, 1);
    for (int i = 0; i < 50; i++) (void)decide(pol, &a, 50.0 * i, 20.0 * i, i * 100.0, (unsigned)i, i & 1);
    assert_false(c12_alloc_injected());
    c12_alloc_fail_at(0, 0);
    c12_policy_unref(pol);
}

static void test_slot_swap(void **state)
{
    c12_policy_slot s;
    c12_policy_slot_init(&s, defaults());
    c12_policy *held = c12_policy_slot_get(&s);
    c12_policy_params p;
    c12_policy_defaults(&p);
    p.min_rating = 0.05;
    c12_policy_slot_swap(&s, make(&p));
    /* the old one stays valid for the request that holds it */
    assert_true(c12_policy_get_params(held)->min_rating == 0.5);
    c12_policy *now = c12_policy_slot_get(&s);
    assert_true(c12_policy_get_params(now)->min_rating == 0.05);
    c12_policy_unref(held);
    c12_policy_unref(now);
    c12_policy_slot_destroy(&s);
}

static void test_bad_params(void **state)
{
    c12_policy_params p;
    c12_policy *pol = NULL;
    c12_err err;
    c12_policy_defaults(&p);
    p.levels[1].above = 100; /* not increasing */
    assert_int_equal(c12_policy_new(&p, NULL, &pol, &err), C12_ERR_INVALID);
    c12_policy_defaults(&p);
    p.models[1].rating[0][0] = 1.5;
    assert_int_equal(c12_policy_new(&p, NULL, &pol, &err), C12_ERR_INVALID);
    assert_null(pol);
}

static void test_yaml(void **state)
{
    c12_policy_params p;
    c12_err err;
    const char *none = "server:\n  listen: 1\n";
    assert_int_equal(policy_test_parse(none, &p, &err), C12_OK);
    assert_int_equal(p.n_models, 3);
    assert_true(p.min_rating == 0.5);
    const char *y = "server: {listen: 1}\npolicy:\n  min_rating: 0.4\n  thresholds:\n    - {above: 100, min_rating: 0.2}\n"
                    "  models:\n    tiny:\n      chat: false\n      params_b: 0.1\n      code: [0.1, 0.1, 0.1]\n"
                    "      general: [0.5, 0.4, 0.3]\n      source: measured\n";
    assert_int_equal(policy_test_parse(y, &p, &err), C12_OK);
    assert_int_equal(p.n_models, 1);
    assert_string_equal(p.models[0].name, "tiny");
    assert_int_equal(p.models[0].chat, 0);
    assert_int_equal(p.n_levels, 1);
    assert_true(p.models[0].rating[C12_ROUTE_GENERAL][C12_ROUTE_HIGH] == 0.3);
    /* no grounded key: the general ratings stand for questions about a given passage */
    assert_memory_equal(p.models[0].rating[C12_ROUTE_GROUNDED], p.models[0].rating[C12_ROUTE_GENERAL],
                        sizeof p.models[0].rating[0]);
    const char *g = "policy:\n  models:\n    x:\n      params_b: 1\n      code: [0, 0, 0]\n"
                    "      general: [0.1, 0.1, 0.1]\n      grounded: [0.7, 0.6, 0.5]\n      source: s\n";
    assert_int_equal(policy_test_parse(g, &p, &err), C12_OK);
    assert_true(p.models[0].rating[C12_ROUTE_GROUNDED][C12_ROUTE_MEDIUM] == 0.6);
    assert_true(p.models[0].rating[C12_ROUTE_GENERAL][C12_ROUTE_MEDIUM] == 0.1);
    static const char *const bad_grounded[] = {"[0.7, 0.6]", "[0.7, 1.6, 0.5]", "[0.7, -0.1, 0.5]", "0.5"};
    for (size_t i = 0; i < sizeof bad_grounded / sizeof *bad_grounded; i++) {
        char y2[256];
        snprintf(y2, sizeof y2, "policy:\n  models:\n    x:\n      params_b: 1\n      code: [0, 0, 0]\n"
                                "      general: [0, 0, 0]\n      grounded: %s\n      source: s\n", bad_grounded[i]);
        assert_int_equal(policy_test_parse(y2, &p, &err), C12_ERR_INVALID);
        assert_non_null(strstr(err.msg, "c.yaml:7: policy.models.x.grounded"));
    }
    const char *typo = "policy:\n  min_rating: 0.4\n  forecast_wieght: 1\n";
    assert_int_equal(policy_test_parse(typo, &p, &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, "c.yaml:3: policy.forecast_wieght"));
    const char *bad = "policy:\n  models:\n    x:\n      params_b: 1\n      code: [0.1, 2, 0.1]\n"
                      "      general: [0, 0, 0]\n      source: s\n";
    assert_int_equal(policy_test_parse(bad, &p, &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, "c.yaml:5: policy.models.x.code"));
    const char *nosrc = "policy:\n  models:\n    x:\n      params_b: 1\n      code: [0, 0, 0]\n"
                        "      general: [0, 0, 0]\n";
    assert_int_equal(policy_test_parse(nosrc, &p, &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, "source"));
    const char *broken = "policy: [\n";
    assert_int_equal(policy_test_parse(broken, &p, &err), C12_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_goes_to_the_coder_when_clean),
        cmocka_unit_test(test_general_low_goes_to_the_cleanest_adequate),
        cmocka_unit_test(test_grounded_uses_its_own_ratings),
        cmocka_unit_test(test_thresholds_degrade),
        cmocka_unit_test(test_forecast_blend),
        cmocka_unit_test(test_latency),
        cmocka_unit_test(test_loaded_costs_less),
        cmocka_unit_test(test_shared_steps_cost_less),
        cmocka_unit_test(test_fallback_order_and_completion),
        cmocka_unit_test(test_calibration_used),
        cmocka_unit_test(test_rates_precedence), cmocka_unit_test(test_no_allocation_per_decision),
        cmocka_unit_test(test_slot_swap),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
