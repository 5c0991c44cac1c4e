/* Unit tests for src/sim: the accounting (energy, CO2 at the arrival's
 * intensity, loads and keep-alive, adequacy) on a tiny trace, and that a
 * seed makes a run repeatable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "sim/sim.h"

static c12_policy *policy(void)
{
    c12_policy_params p;
    c12_policy_defaults(&p);
    c12_policy *pol = NULL;
    c12_err err;
    assert_int_equal(c12_policy_new(&p, NULL, &pol, &err), C12_OK);
    return pol;
}

static void one_item(c12_sim_item *it, c12_route_category c, c12_route_tier t)
{
    memset(it, 0, sizeof *it);
    it->a.category = c;
    it->a.tier = t;
    it->a.out_tokens = 100;
    it->prompt_tokens = 20;
}

static void test_accounting_constant_trace(void **state)
{
    c12_carbon_series tr;
    c12_carbon_series_init(&tr);
    for (int h = 0; h < 48; h++)
        assert_int_equal(c12_carbon_series_push(&tr, h * C12_CARBON_HOUR_MS, (h + 1) * C12_CARBON_HOUR_MS, 100), C12_OK);
    c12_sim_item items[1];
    one_item(&items[0], C12_ROUTE_CODE, C12_ROUTE_LOW);
    c12_policy *pol = policy();
    /* keep-alive longer than the run: one load per model used */
    c12_sim_params sp = {.trace = &tr, .items = items, .n_items = 1, .start_ms = 0, .days = 1, .rate_per_h = 10,
                         .keep_alive_s = 1e9, .seed = 7};
    c12_sim_result r[C12_SIM_STRATEGIES];
    c12_err err;
    assert_int_equal(c12_sim_run(pol, &sp, r, &err), C12_OK);
    const c12_policy_cost *q = c12_policy_get_cost(pol, 0), *s = c12_policy_get_cost(pol, 1);
    size_t n = r[0].requests;
    assert_true(n > 150 && n < 330); /* Poisson, mean 240 */
    double jq = q->j_prompt * 20 + q->j_out * 100, js = s->j_prompt * 20 + s->j_out * 100;
    assert_string_equal(r[0].name, "always-strongest");
    assert_int_equal(r[0].loads, 1);
    assert_true(fabs(r[0].energy_j - (n * jq + q->load_j)) < 1e-6);
    assert_true(fabs(r[0].co2_g - r[0].energy_j / 3.6e6 * 100) < 1e-9);
    assert_int_equal(r[0].adequate, n);
    assert_true(fabs(r[1].energy_j - (n * js + s->load_j)) < 1e-6);
    assert_int_equal(r[1].adequate, 0); /* smollm2 is not adequate for code */
    assert_int_equal(r[2].by_model[0], n); /* code-only: code -> the coder */
    assert_int_equal(r[3].by_model[0], n); /* clean grid: the coder */
    for (int k = 0; k < C12_SIM_STRATEGIES; k++) assert_int_equal(r[k].requests, n);
    /* keep-alive 0: every request loads */
    sp.keep_alive_s = 0;
    assert_int_equal(c12_sim_run(pol, &sp, r, &err), C12_OK);
    assert_int_equal(r[0].loads, r[0].requests);
    c12_policy_unref(pol);
    c12_carbon_series_free(&tr);
}

static void test_dirty_hours_degrade(void **state)
{
    c12_carbon_series tr;
    c12_carbon_series_init(&tr);
    for (int h = 0; h < 48; h++) /* 24 clean hours then 24 dirty ones */
        assert_int_equal(c12_carbon_series_push(&tr, h * C12_CARBON_HOUR_MS, (h + 1) * C12_CARBON_HOUR_MS,
                                                h < 24 ? 50 : 400), C12_OK);
    c12_sim_item items[2];
    one_item(&items[0], C12_ROUTE_CODE, C12_ROUTE_MEDIUM);
    one_item(&items[1], C12_ROUTE_GENERAL, C12_ROUTE_MEDIUM);
    c12_policy *pol = policy();
    c12_sim_params sp = {.trace = &tr, .items = items, .n_items = 2, .start_ms = 0, .days = 2, .rate_per_h = 20,
                         .keep_alive_s = 300, .seed = 3};
    c12_sim_result r[C12_SIM_STRATEGIES], again[C12_SIM_STRATEGIES];
    c12_err err;
    assert_int_equal(c12_sim_run(pol, &sp, r, &err), C12_OK);
    assert_true(r[3].co2_g < r[0].co2_g);
    assert_true(r[3].adequate > r[1].adequate);
    assert_true(r[3].by_model[1] > 0 && r[3].by_model[0] > 0);
    assert_int_equal(c12_sim_run(pol, &sp, again, &err), C12_OK);
    assert_memory_equal(r, again, sizeof r);
    sp.days = 0;
    assert_int_equal(c12_sim_run(pol, &sp, r, &err), C12_ERR_INVALID);
    c12_policy_unref(pol);
    c12_carbon_series_free(&tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accounting_constant_trace),
        cmocka_unit_test(test_dirty_hours_degrade),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
