/* The gateway's metrics (metrics.h): what ledger rows and route decisions
 * add, the pool and carbon collectors read at scrape time (a fake backend, a
 * static carbon provider on a fake clock), a well-formed exposition, and
 * allocation failures everywhere on the way. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_json.h"
#include "base/c12_alloc.h"
#include "carbon/carbon_config.h"
#include "metrics/metrics.h"

static char *scrape(c12_metrics *m)
{
    c12_buf b;
    c12_buf_init(&b, 0);
    c12_err err;
    assert_int_equal(c12_metrics_write(m, &b, &err), C12_OK);
    return c12_buf_take(&b);
}

static void has(const char *text, const char *line)
{
    char want[512];
    snprintf(want, sizeof want, "\n%s\n", line);
    if (!strstr(text, want)) fail_msg("missing line: %s\n--- in ---\n%s", line, text);
}

/* Every family has HELP then TYPE, every sample belongs to the family above
 * it (name, or name_bucket/_sum/_count for histograms), no family twice. */
static void check_well_formed(const char *text)
{
    char fam[128] = "", type[16] = "", seen[4096] = " ";
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        assert_non_null(e);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(e - p), p);
        char name[128];
        if (sscanf(line, "# HELP %127s", name) == 1) {
            char key[132];
            snprintf(key, sizeof key, " %s ", name);
            assert_null(strstr(seen, key));
            strncat(seen, key + 1, sizeof seen - strlen(seen) - 1);
            snprintf(fam, sizeof fam, "%s", name);
            type[0] = '\0';
        } else if (sscanf(line, "# TYPE %127s %15s", name, type) == 2) {
            assert_string_equal(name, fam);
        } else {
            assert_true(type[0]); /* a sample only after its TYPE */
            size_t n = strlen(fam);
            assert_memory_equal(line, fam, n);
            const char *rest = line + n;
            if (!strcmp(type, "histogram"))
                assert_true(!strncmp(rest, "_bucket{", 8) || !strncmp(rest, "_sum", 4) || !strncmp(rest, "_count", 6));
            else
                assert_true(*rest == '{' || *rest == ' ');
        }
        p = e + 1;
    }
}

static c12_ledger_row row(const char *model, const char *status, int64_t prompt, int64_t completion, double queue_ms,
                          double ttft_ms, double total_ms, double energy_j, double co2_g)
{
    c12_ledger_row r;
    memset(&r, 0, sizeof r);
    C12_LEDGER_SET(r.model, model);
    C12_LEDGER_SET(r.status, status);
    r.prompt_tokens = prompt;
    r.completion_tokens = completion;
    r.queue_ms = queue_ms;
    r.ttft_ms = ttft_ms;
    r.total_ms = total_ms;
    r.energy_j = energy_j;
    r.co2_g = co2_g;
    return r;
}

static void test_requests(void **state)
{
    c12_metrics *m = NULL;
    c12_err err;
    assert_int_equal(c12_metrics_new(NULL, &m, &err), C12_OK);
    c12_ledger_row ok = row("m", "ok", 10, 5, 20, 150, 400, 2.5, 0.001);
    c12_ledger_row rejected = row("m", "rejected", 7, 0, 0, 0, 1, 0, 0);
    c12_ledger_row anon = row("", "error", 0, 0, 3, 0, 3, -1, NAN);
    c12_metrics_observe_request(m, &ok);
    c12_metrics_observe_request(m, &ok);
    c12_metrics_observe_request(m, &rejected);
    c12_metrics_observe_request(m, &anon);
    c12_metrics_observe_request(NULL, &ok); /* no metrics configured: nothing */
    c12_metrics_observe_route(m, "m", "code");
    c12_metrics_observe_route(m, "m", "code");
    c12_metrics_observe_route(m, "m", "general");
    char *t = scrape(m);
    check_well_formed(t);
    has(t, "c12_requests_total{model=\"m\",status=\"ok\"} 2");
    has(t, "c12_requests_total{model=\"m\",status=\"rejected\"} 1");
    has(t, "c12_requests_total{model=\"none\",status=\"error\"} 1");
    has(t, "c12_prompt_tokens_total{model=\"m\",status=\"ok\"} 20");
    has(t, "c12_prompt_tokens_total{model=\"m\",status=\"rejected\"} 7");
    has(t, "c12_completion_tokens_total{model=\"m\",status=\"ok\"} 10");
    has(t, "c12_energy_joules_total{model=\"m\"} 5");
    has(t, "c12_energy_joules_total{model=\"none\"} 0"); /* unmetered adds nothing */
    has(t, "c12_co2_grams_total{model=\"m\"} 0.002");
    has(t, "c12_queue_wait_seconds_bucket{model=\"m\",le=\"0.01\"} 0");
    has(t, "c12_queue_wait_seconds_bucket{model=\"m\",le=\"0.025\"} 2");
    has(t, "c12_queue_wait_seconds_count{model=\"m\"} 2"); /* the rejected one is left out */
    has(t, "c12_time_to_first_token_seconds_bucket{model=\"m\",le=\"0.1\"} 0");
    has(t, "c12_time_to_first_token_seconds_bucket{model=\"m\",le=\"0.25\"} 2");
    has(t, "c12_time_to_first_token_seconds_sum{model=\"m\"} 0.3");
    assert_null(strstr(t, "c12_time_to_first_token_seconds_count{model=\"none\"}")); /* no token, no TTFT */
    has(t, "c12_request_duration_seconds_count{model=\"m\"} 3");
    has(t, "c12_request_duration_seconds_bucket{model=\"m\",le=\"0.05\"} 1");
    has(t, "c12_route_decisions_total{model=\"m\",category=\"code\"} 2");
    has(t, "c12_route_decisions_total{model=\"m\",category=\"general\"} 1");
    has(t, "c12_metrics_dropped_total 0");
    c12_free(t);
    c12_metrics_free(m);
}

/* ---- the pool collector, on a fake backend ---- */

typedef struct fake {
    int64_t clock;
} fake;

static c12_rc f_estimate(void *ud, const c12_model_cfg *mc, uint64_t *bytes, c12_err *err)
{
    *bytes = (uint64_t)mc->n_ctx;
    return C12_OK;
}

static c12_rc f_load(void *ud, const c12_model_cfg *mc, void **model, uint64_t *bytes, c12_err *err)
{
    ((fake *)ud)->clock += 1500;
    *model = (void *)mc;
    *bytes = (uint64_t)mc->n_ctx;
    return C12_OK;
}

static void f_unload(void *ud, void *model) {}

/* A quarter of the model's context (its only slot) in use. */
static int f_kv_usage(void *ud, void *model, int64_t *used, int64_t *capacity)
{
    const c12_model_cfg *mc = model;
    *capacity = mc->n_ctx;
    *used = mc->n_ctx / 4;
    return 1;
}

static int64_t f_now(void *ud) { return ((fake *)ud)->clock; }

static const char MODELS[] = "models:\n  - {id: a, path: /a.gguf, context: 100}\n"
                             "  - {id: \"b\\\"q\", path: /b.gguf, context: 100}\n";

typedef struct pool_env {
    fake f;
    c12_backend b;
    c12_config *cfg;
    c12_pool *pool;
} pool_env;

static void pool_env_init(pool_env *e)
{
    c12_err err;
    e->f.clock = 0;
    static const c12_backend_ops ops = {
        .name = "fake", .estimate = f_estimate, .load = f_load, .unload = f_unload, .kv_usage = f_kv_usage};
    e->b = (c12_backend){.ops = &ops, .self = &e->f};
    assert_int_equal(c12_config_parse(MODELS, strlen(MODELS), "t.yaml", &e->cfg, &err), C12_OK);
    c12_pool_opts o = {&e->b, 1000, f_now, &e->f};
    assert_int_equal(c12_pool_new(e->cfg, &o, &e->pool, &err), C12_OK);
    c12_lease l;
    assert_int_equal(c12_pool_acquire(e->pool, 0, C12_PRIO_NORMAL, 0, &l, &err), C12_OK);
    c12_pool_release(e->pool, &l);
}

static void pool_env_free(pool_env *e)
{
    c12_pool_free(e->pool);
    c12_config_free(e->cfg);
}

static void test_pool_collector(void **state)
{
    pool_env e;
    pool_env_init(&e);
    c12_metrics *m = NULL;
    c12_err err;
    assert_int_equal(c12_metrics_new(NULL, &m, &err), C12_OK);
    assert_int_equal(c12_metrics_add_pool(m, e.pool, &err), C12_OK);
    char *t = scrape(m);
    check_well_formed(t);
    has(t, "c12_model_loaded{model=\"a\"} 1");
    has(t, "c12_model_loaded{model=\"b\\\"q\"} 0"); /* ids are escaped */
    has(t, "c12_model_memory_bytes{model=\"a\"} 100");
    has(t, "c12_model_slots_busy{model=\"a\"} 0");
    has(t, "c12_queue_depth{model=\"a\"} 0");
    has(t, "c12_memory_used_bytes 100");
    has(t, "c12_memory_budget_bytes 1000");
    has(t, "c12_model_loads_total{model=\"a\"} 1");
    has(t, "c12_model_load_failures_total{model=\"a\"} 0");
    has(t, "c12_model_evictions_total{model=\"a\",reason=\"budget\"} 0");
    has(t, "c12_model_evictions_total{model=\"a\",reason=\"keep_alive\"} 0");
    has(t, "c12_model_load_seconds_total{model=\"a\"} 1.5");
    has(t, "c12_kv_cache_usage_ratio{model=\"a\"} 0.25");
    assert_null(strstr(t, "c12_kv_cache_usage_ratio{model=\"b")); /* not loaded: no KV cache to tell */
    c12_free(t);
    /* A second collector of the same families is refused (names are unique). */
    assert_int_equal(c12_metrics_add_pool(m, e.pool, &err), C12_ERR_INVALID);
    c12_metrics_free(m);
    pool_env_free(&e);
}

/* ---- the carbon collector: a static provider on a fake clock ---- */

static int64_t carbon_now(void *ctx) { return *(int64_t *)ctx; }

static c12_carbon_cache *carbon_cache(int64_t *clock)
{
    static const char Y[] = "carbon:\n  chain: [fixed]\n  providers:\n    fixed: {type: static, value: 123.5}\n";
    c12_config *cfg = NULL;
    c12_carbon_cache *c = NULL;
    c12_err err;
    if (c12_config_parse(Y, strlen(Y), "t.yaml", &cfg, &err)) fail_msg("%s", err.msg);
    c12_carbon_cache_opts o = {carbon_now, clock, 1};
    if (c12_carbon_cache_new(&cfg->carbon, &o, &c, &err)) fail_msg("%s", err.msg);
    c12_config_free(cfg);
    return c;
}

static void test_carbon_collector(void **state)
{
    int64_t clock = 1700000000000;
    c12_carbon_cache *c = carbon_cache(&clock);
    c12_metrics *m = NULL;
    c12_err err;
    assert_int_equal(c12_metrics_new(NULL, &m, &err), C12_OK);
    assert_int_equal(c12_metrics_add_carbon(m, c, &err), C12_OK);
    char *t = scrape(m);
    has(t, "c12_carbon_provider_fetches_total{provider=\"fixed\"} 0");
    assert_null(strstr(t, "c12_carbon_intensity_grams_per_kwh{")); /* no reading yet */
    c12_free(t);
    c12_carbon_cache_tick(c);
    clock += 4500;
    t = scrape(m);
    check_well_formed(t);
    has(t, "c12_carbon_intensity_grams_per_kwh{provider=\"fixed\",region=\"static\"} 123.5");
    has(t, "c12_carbon_reading_age_seconds{provider=\"fixed\"} 4.5");
    has(t, "c12_carbon_provider_errors_total{provider=\"fixed\"} 0");
    has(t, "c12_carbon_provider_fetches_total{provider=\"fixed\"} 1");
    c12_free(t);
    c12_metrics_free(m);
    c12_carbon_cache_free(c);
}

/* Everything a server does with its metrics, with each allocation failing in
 * turn: every step either works or fails cleanly, and nothing leaks (ASan). */
static void metrics_life(pool_env *e)
{
    c12_metrics *m = NULL;
    c12_err err;
    if (c12_metrics_new(NULL, &m, &err)) return;
    c12_ledger_row r = row("a", "ok", 3, 2, 1, 2, 3, 1, 1);
    c12_metrics_observe_request(m, &r);
    c12_metrics_observe_route(m, "a", "general");
    if (c12_metrics_add_pool(m, e->pool, &err) == C12_OK) {
        c12_buf b;
        c12_buf_init(&b, 0);
        c12_metrics_write(m, &b, &err);
        c12_buf_free(&b);
    }
    c12_metrics_free(m);
}

static void test_oom(void **state)
{
    pool_env e;
    pool_env_init(&e);
    c12_alloc_fail_at(0, 0);
    metrics_life(&e);
    unsigned long n = c12_alloc_fail_at(0, 0);
    assert_true(n > 10);
    for (unsigned long i = 1; i <= n; i++) {
        c12_alloc_fail_at(i, 0);
        metrics_life(&e);
        c12_alloc_fail_at(0, 0);
    }
    /* A failed first sighting is counted, not lost silently. */
    c12_metrics *m = NULL;
    c12_err err;
    assert_int_equal(c12_metrics_new(NULL, &m, &err), C12_OK);
    c12_alloc_fail_at(1, 0);
    c12_metrics_observe_route(m, "a", "code");
    c12_alloc_fail_at(0, 0);
    assert_int_equal(c12_metrics_registry_dropped(c12_metrics_get_registry(m)), 1);
    c12_metrics_observe_route(m, "a", "code"); /* and the next one works */
    char *t = scrape(m);
    has(t, "c12_route_decisions_total{model=\"a\",category=\"code\"} 1");
    has(t, "c12_metrics_dropped_total 1");
    c12_free(t);
    c12_metrics_free(m);
    pool_env_free(&e);
}

int main(void)
{
    c12_json_init(); /* as main() does: jansson's allocations fail in the OOM loops too */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_pool_collector),
        cmocka_unit_test(test_carbon_collector),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
