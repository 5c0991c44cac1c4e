/* c12_pool_get_stats, what the metrics collector reads: loads and their
 * time (on the pool's clock), failures, evictions to fit the budget,
 * keep_alive unloads, busy slots, queue depth, memory used and budget. A fake
 * backend, no model files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "pool/pool.h"

typedef struct fake {
    int64_t clock;   /* the pool's clock, ms */
    int64_t load_ms; /* a load moves the clock this far */
} fake;

static c12_rc f_estimate(void *ud, const c12_model_cfg *m, uint64_t *bytes, c12_err *err)
{
    *bytes = (uint64_t)m->n_ctx; /* sizes come from `context` */
    return C12_OK;
}

static c12_rc f_load(void *ud, const c12_model_cfg *m, void **model, uint64_t *bytes, c12_err *err)
{
    fake *f = ud;
    f->clock += f->load_ms;
    if (strstr(m->source, "missing")) return c12_fail(err, C12_ERR_NOT_FOUND, "%s: no such file", m->source);
    *model = (void *)m;
    *bytes = (uint64_t)m->n_ctx;
    return C12_OK;
}

static void f_unload(void *ud, void *model) {}

static int64_t f_now(void *ud) { return ((fake *)ud)->clock; }

static const char MODELS[] =
    "models:\n"
    "  - {id: a, path: /a.gguf, context: 100, slots: 2}\n"
    "  - {id: b, path: /b.gguf, context: 100}\n"
    "  - {id: bad, path: /missing.gguf, context: 100}\n"
    "  - {id: ka, path: /k.gguf, context: 50, keep_alive: 5}\n";

static void acquire(c12_pool *p, int idx, c12_lease *l)
{
    c12_err err;
    assert_int_equal(c12_pool_acquire(p, idx, C12_PRIO_NORMAL, 0, l, &err), C12_OK);
}

typedef struct waiter_arg {
    c12_pool *p;
    int idx;
} waiter_arg;

static void *waiter(void *ud)
{
    waiter_arg *a = ud;
    c12_lease l;
    c12_err err;
    if (c12_pool_acquire(a->p, a->idx, C12_PRIO_NORMAL, 0, &l, &err) == C12_OK) c12_pool_release(a->p, &l);
    return NULL;
}

/* A request waiting behind a busy slot shows in the model's and the total depth. */
static void check_queued(c12_pool *p)
{
    c12_lease l;
    acquire(p, 1, &l);
    waiter_arg a = {p, 1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waiter, &a), 0);
    c12_pool_stats st;
    c12_pool_model_stats ms[8];
    for (int i = 0; i < 500; i++) { /* bounded: 5 s */
        c12_pool_get_stats(p, &st, ms, 8);
        if (st.queued) break;
        usleep(10000);
    }
    assert_int_equal(st.queued, 1);
    assert_int_equal(ms[1].queued, 1);
    assert_int_equal(ms[1].busy, 1);
    c12_pool_release(p, &l);
    pthread_join(t, NULL);
    c12_pool_get_stats(p, &st, ms, 8);
    assert_int_equal(st.queued, 0);
}

static void test_stats(void **state)
{
    fake f = {1000, 250};
    const c12_backend_ops ops = {.name = "fake", .estimate = f_estimate, .load = f_load, .unload = f_unload};
    c12_backend b = {.ops = &ops, .self = &f};
    c12_config *c = NULL;
    c12_err err;
    assert_int_equal(c12_config_parse(MODELS, strlen(MODELS), "t.yaml", &c, &err), C12_OK);
    c12_pool_opts o = {&b, 200, f_now, &f};
    c12_pool *p = NULL;
    assert_int_equal(c12_pool_new(c, &o, &p, &err), C12_OK);

    c12_pool_stats st;
    c12_pool_model_stats ms[8];
    assert_int_equal(c12_pool_get_stats(p, &st, ms, 8), 4);
    assert_int_equal(st.n_models, 4);
    assert_int_equal(st.budget_bytes, 200);
    assert_int_equal(st.used_bytes, 0);
    assert_string_equal(ms[0].id, "a");
    assert_int_equal(ms[0].state, C12_MODEL_UNLOADED);
    assert_int_equal(ms[0].loads, 0);

    c12_lease la, lb;
    acquire(p, 0, &la); /* loads a (250 ms on the pool's clock) and holds a slot */
    assert_int_equal(c12_pool_get_stats(p, &st, ms, 2), 2); /* max caps the models written */
    assert_int_equal(st.used_bytes, 100);
    assert_int_equal(ms[0].state, C12_MODEL_LOADED);
    assert_int_equal(ms[0].bytes, 100);
    assert_int_equal(ms[0].busy, 1);
    assert_int_equal(ms[0].loads, 1);
    assert_true(ms[0].load_s == 0.25);
    c12_pool_release(p, &la);

    acquire(p, 1, &lb); /* a and b fill the budget */
    c12_pool_release(p, &lb);
    /* bad makes room first (a, least recently used, goes), then fails to load */
    assert_int_equal(c12_pool_acquire(p, 2, C12_PRIO_NORMAL, 0, &la, &err), C12_ERR_NOT_FOUND);
    acquire(p, 3, &la);
    c12_pool_release(p, &la);
    c12_pool_get_stats(p, &st, ms, 8);
    assert_int_equal(ms[2].load_failures, 1);
    assert_int_equal(ms[2].loads, 0);
    assert_int_equal(ms[0].evictions, 1);
    assert_int_equal(ms[0].state, C12_MODEL_UNLOADED);
    assert_int_equal(ms[0].bytes, 0);
    assert_int_equal(ms[1].evictions, 0);
    assert_int_equal(st.used_bytes, 150);

    f.clock += 5000; /* ka's keep_alive passes */
    c12_pool_tick(p);
    c12_pool_get_stats(p, &st, ms, 8);
    assert_int_equal(ms[3].idle_unloads, 1);
    assert_int_equal(ms[3].evictions, 0);
    assert_int_equal(st.queued, 0);
    assert_int_equal(ms[1].queued, 0);
    check_queued(p);
    c12_pool_free(p);
    c12_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_stats)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
