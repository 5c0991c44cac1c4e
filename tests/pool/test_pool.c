/* The model pool and its queue with a fake backend (no model files): loads on
 * first use and once for concurrent first requests, LRU eviction within the
 * budget (never busy or pinned models), slots, queue bounds, priorities,
 * deadlines, keep_alive, load failures and shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "pool/pool.h"

typedef struct fake {
    pthread_mutex_t mu;
    int loads, unloads;
    int load_ms;          /* each load takes this long */
    int64_t clock;        /* the injected clock, ms */
    int order[8], n_order; /* who got a slot, in order (priority test) */
    int fail_loads;       /* every load fails (load health test) */
    int stale;            /* the backend says its loaded models are stale (file changed) */
} fake;

static c12_rc f_estimate(void *ud, const c12_model_cfg *m, uint64_t *bytes, c12_err *err)
{
    (void)ud, (void)err;
    *bytes = (uint64_t)m->n_ctx; /* the tests size models through `context` */
    return C12_OK;
}

static c12_rc f_load(void *ud, const c12_model_cfg *m, void **model, uint64_t *bytes, c12_err *err)
{
    fake *f = ud;
    if (f->load_ms) usleep((useconds_t)f->load_ms * 1000);
    if (f->fail_loads) return c12_fail(err, C12_ERR_IO, "%s: read error", m->source);
    if (strstr(m->source, "missing")) return c12_fail(err, C12_ERR_NOT_FOUND, "%s: no such file", m->source);
    pthread_mutex_lock(&f->mu);
    f->loads++;
    pthread_mutex_unlock(&f->mu);
    *model = (void *)m;
    *bytes = (uint64_t)m->n_ctx;
    return C12_OK;
}

static void f_unload(void *ud, void *model)
{
    fake *f = ud;
    (void)model;
    f->unloads++;
}

static int64_t f_now(void *ud) { return ((fake *)ud)->clock; }

static int f_stale(void *ud, void *model)
{
    (void)model;
    return ((fake *)ud)->stale;
}

static fake F;
static const c12_backend_ops FAKE_OPS = {
    .name = "fake",
    .estimate = f_estimate,
    .load = f_load,
    .unload = f_unload,
    .stale = f_stale,
};
static const c12_backend B = {.ops = &FAKE_OPS, .self = &F};

static c12_config *config(const char *yaml)
{
    c12_config *c = NULL;
    c12_err err;
    if (c12_config_parse(yaml, strlen(yaml), "t.yaml", &c, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        fail();
    }
    return c;
}

static c12_pool *pool(const c12_config *c, uint64_t budget, int fake_clock)
{
    memset(&F, 0, sizeof F);
    pthread_mutex_init(&F.mu, NULL);
    c12_pool_opts o = {&B, budget, fake_clock ? f_now : NULL, &F};
    c12_pool *p = NULL;
    c12_err err;
    assert_int_equal(c12_pool_new(c, &o, &p, &err), C12_OK);
    return p;
}

/* Three models of 100 bytes each (sizes come from `context`). */
static const char THREE[] =
    "queue: {max_total: 8, max_per_model: 4}\n"
    "models:\n"
    "  - {id: a, path: /a.gguf, context: 100}\n"
    "  - {id: b, path: /b.gguf, context: 100}\n"
    "  - {id: c, path: /c.gguf, context: 100}\n"
    "  - {id: pinned, path: /p.gguf, context: 100, pinned: true}\n"
    "  - {id: bad, path: /missing.gguf, context: 100}\n"
    "  - {id: huge, path: /h.gguf, context: 100000}\n"
    "  - {id: two, path: /t.gguf, context: 100, slots: 2}\n"
    "  - {id: ka0, path: /k0.gguf, context: 20, keep_alive: 0}\n"
    "  - {id: ka5, path: /k5.gguf, context: 20, keep_alive: 5}\n";

static void use(c12_pool *p, int idx)
{
    c12_lease l;
    c12_err err;
    assert_int_equal(c12_pool_acquire(p, idx, C12_PRIO_NORMAL, 0, &l, &err), C12_OK);
    c12_pool_release(p, &l);
}

static void test_load_once_and_cache(void **state)
{
    (void)state;
    c12_config *c = config(THREE);
    c12_pool *p = pool(c, 1000, 0);
    assert_int_equal(c12_pool_state(p, 0), C12_MODEL_UNLOADED);
    use(p, 0);
    use(p, 0);
    assert_int_equal(F.loads, 1);
    assert_int_equal(c12_pool_state(p, 0), C12_MODEL_LOADED);
    assert_int_equal(c12_pool_used_bytes(p), 100);
    c12_pool_free(p);
    assert_int_equal(F.unloads, 1);
    c12_config_free(c);
}

typedef struct thr_arg {
    c12_pool *p;
    int idx;
    c12_prio prio;
    int64_t deadline;
    int hold_ms;
    c12_rc rc;
} thr_arg;

static void *acquire_thread(void *ud)
{
    thr_arg *a = ud;
    c12_lease l;
    c12_err err;
    a->rc = c12_pool_acquire(a->p, a->idx, a->prio, a->deadline, &l, &err);
    if (a->rc) return NULL;
    pthread_mutex_lock(&F.mu);
    if (F.n_order < 8) F.order[F.n_order++] = a->prio;
    pthread_mutex_unlock(&F.mu);
    if (a->hold_ms) usleep((useconds_t)a->hold_ms * 1000);
    c12_pool_release(a->p, &l);
    return NULL;
}

static void test_concurrent_first_requests_share_one_load(void **state)
{
    (void)state;
    c12_config *c = config(THREE);
    c12_pool *p = pool(c, 1000, 0);
    F.load_ms = 100;
    pthread_t t[4];
    thr_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (thr_arg){p, 0, C12_PRIO_NORMAL, 0, 5, -1};
        pthread_create(&t[i], NULL, acquire_thread, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].rc, C12_OK);
    }
    assert_int_equal(F.loads, 1);
    c12_pool_free(p);
    c12_config_free(c);
}

static void test_lru_eviction(void **state)
{
    (void)state;
    c12_config *c = config(THREE);
    c12_pool *p = pool(c, 250, 1); /* two of the 100-byte models fit */
    use(p, 0);
    F.clock = 10;
    use(p, 1);
    F.clock = 20;
    use(p, 0); /* a is now the most recently used */
    F.clock = 30;
    use(p, 2); /* evicts b */
    assert_int_equal(c12_pool_state(p, 0), C12_MODEL_LOADED);
    assert_int_equal(c12_pool_state(p, 1), C12_MODEL_UNLOADED);
    assert_int_equal(c12_pool_state(p, 2), C12_MODEL_LOADED);
    assert_int_equal(c12_pool_used_bytes(p), 200);
    assert_int_equal(F.unloads, 1);
    c12_pool_free(p);
    c12_config_free(c);
}

static void test_busy_and_pinned_never_evicted(void **state)
{
    (void)state;
    c12_config *c = config(THREE);
    c12_pool *p = pool(c, 150, 0); /* one model fits */
    c12_lease la, lb;
    c12_err err;
    assert_int_equal(c12_pool_acquire(p, 0, C12_PRIO_NORMAL, 0, &la, &err), C12_OK);
    /* b cannot load while a serves: it queues until its deadline. */
    int64_t t0 = c12_pool_now(p);
    assert_int_equal(c12_pool_acquire(p, 1, C12_PRIO_NORMAL, t0 + 150, &lb, &err), C12_ERR_TIMEOUT);
    assert_non_null(strstr(err.msg, "deadline"));
    assert_int_equal(c12_pool_state(p, 0), C12_MODEL_LOADED);
    /* A waiter without deadline gets b once a is released. */
    pthread_t t;
    thr_arg a = {p, 1, C12_PRIO_NORMAL, 0, 0, -1};
    pthread_create(&t, NULL, acquire_thread, &a);
    usleep(50 * 1000);
    assert_int_equal(c12_pool_queued(p, 1), 1);
    c12_pool_release(p, &la);
    pthread_join(t, NULL);
    assert_int_equal(a.rc, C12_OK);
    assert_int_equal(c12_pool_state(p, 0), C12_MODEL_UNLOADED);
    assert_int_equal(c12_pool_state(p, 1), C12_MODEL_LOADED);
    /* A pinned model stays even when idle. */
    use(p, 3); /* evicts b (idle) */
    assert_int_equal(c12_pool_state(p, 3), C12_MODEL_LOADED);
    t0 = c12_pool_now(p);
    assert_int_equal(c12_pool_acquire(p, 0, C12_PRIO_NORMAL, t0 + 100, &la, &err), C12_ERR_TIMEOUT);
    assert_int_equal(c12_pool_state(p, 3), C12_MODEL_LOADED);
    c12_pool_free(p);
    c12_config_free(c);
}

static void test_load_failure_and_too_big(void **state)
{
    (void)state;
    c12_config *c = config(THREE);
    c12_pool *p = pool(c, 1000, 0);
    c12_lease l;
    c12_err err;
    assert_int_equal(c12_pool_acquire(p, 4, C12_PRIO_NORMAL, 0, &l, &err), C12_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "missing.gguf"));
    assert_int_equal(c12_pool_state(p, 4), C12_MODEL_UNLOADED);
    assert_int_equal(c12_pool_queued(p, -1), 0);
    assert_int_equal(c12_pool_acquire(p, 5, C12_PRIO_NORMAL, 0, &l, &err), C12_ERR_RANGE);
    assert_int_equal(c12_pool_used_bytes(p), 0);
    use(p, 0); /* the pool is healthy */
    c12_pool_free(p);
    c12_config_free(c);
}

/* A failed load (or a model too big) cools the model for
 * C12_POOL_LOAD_RETRY_MS on the pool's clock; a good load ends it. */
static void test_load_health(void **state)
{
    (void)state;
    c12_config *c = config(THREE);
    c12_pool *p = pool(c, 1000, 1);
    c12_lease l;
    c12_err err;
    F.clock = 5000;
    assert_false(c12_pool_cooling(p, 0));
    F.fail_loads = 1;
    c12_rc rc = c12_pool_acquire(p, 0, C12_PRIO_NORMAL, 0, &l, &err);
    assert_int_equal(rc, C12_ERR_IO);
    assert_true(c12_pool_load_failed(rc));
    assert_true(c12_pool_cooling(p, 0));
    assert_false(c12_pool_cooling(p, 1));
    F.clock += C12_POOL_LOAD_RETRY_MS - 1;
    assert_true(c12_pool_cooling(p, 0));
    F.clock += 1;
    assert_false(c12_pool_cooling(p, 0)); /* time to try again */
    assert_int_equal(c12_pool_acquire(p, 0, C12_PRIO_NORMAL, 0, &l, &err), C12_ERR_IO);
    assert_true(c12_pool_cooling(p, 0));
    F.fail_loads = 0;
    use(p, 0); /* an explicit request still tries it, and the good load ends the cooling */
    assert_false(c12_pool_cooling(p, 0));
    assert_int_equal(c12_pool_acquire(p, 5, C12_PRIO_NORMAL, 0, &l, &err), C12_ERR_RANGE);
    assert_true(c12_pool_cooling(p, 5)); /* too big for the budget counts too */
    /* the queue's own answers are not load failures */
    assert_false(c12_pool_load_failed(C12_ERR_BUSY));
    assert_false(c12_pool_load_failed(C12_ERR_TIMEOUT));
    assert_false(c12_pool_load_failed(C12_ERR_CANCELLED));
    assert_false(c12_pool_load_failed(C12_OK));
    c12_pool_free(p);
    c12_config_free(c);
}

static void test_slots_and_queue_bounds(void **state)
{
    (void)state;
    c12_config *c = config("queue: {max_total: 2, max_per_model: 2}\n"
                           "models:\n  - {id: two, path: /t.gguf, context: 16, slots: 2}\n");
    c12_pool *p = pool(c, 1000, 0);
    c12_lease l1, l2, l3;
    c12_err err;
    assert_int_equal(c12_pool_acquire(p, 0, C12_PRIO_NORMAL, 0, &l1, &err), C12_OK);
    assert_int_equal(c12_pool_acquire(p, 0, C12_PRIO_NORMAL, 0, &l2, &err), C12_OK);
    assert_int_not_equal(l1.slot, l2.slot);
    pthread_t t[2];
    thr_arg a[2];
    for (int i = 0; i < 2; i++) {
        a[i] = (thr_arg){p, 0, C12_PRIO_NORMAL, 0, 0, -1};
        pthread_create(&t[i], NULL, acquire_thread, &a[i]);
    }
    while (c12_pool_queued(p, -1) < 2) usleep(1000);
    assert_int_equal(c12_pool_acquire(p, 0, C12_PRIO_NORMAL, 0, &l3, &err), C12_ERR_BUSY);
    assert_non_null(strstr(err.msg, "queue is full"));
    c12_pool_release(p, &l1);
    c12_pool_release(p, &l2);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].rc, C12_OK);
    }
    c12_pool_free(p);
    c12_config_free(c);
}

/* The prefix cache's slot choice: a request that continues a conversation
 * takes the free slot that served it; others take the one used longest ago. */
static int take(c12_pool *p, const uint64_t *prefix, size_t n, c12_lease *l)
{
    c12_pool_hint h = {prefix, n};
    c12_err err;
    assert_int_equal(c12_pool_acquire_hint(p, 0, C12_PRIO_NORMAL, 0, n ? &h : NULL, l, &err), C12_OK);
    return l->slot;
}

static void test_slot_affinity(void **state)
{
    (void)state;
    c12_config *c = config("models:\n  - {id: three, path: /t.gguf, context: 16, slots: 3}\n");
    c12_pool *p = pool(c, 1000, 1);
    const uint64_t ca[] = {1, 2, 3, 4}, cb[] = {9, 8, 7};
    c12_lease la, lb, lx;
    int sa = take(p, ca, 2, &la);
    F.clock += 10;
    int sb = take(p, cb, 1, &lb);
    assert_int_not_equal(sa, sb);
    c12_pool_release(p, &lb); /* B's slot is now the more recently used */
    c12_pool_release(p, &la);
    F.clock += 10;
    assert_int_equal(take(p, ca, 4, &la), sa); /* A's next turns: its slot */
    F.clock += 10;
    assert_int_equal(take(p, cb, 3, &lb), sb);
    F.clock += 10;
    int sx = take(p, NULL, 0, &lx); /* no hint: the one left */
    assert_true(sx != sa && sx != sb);
    c12_pool_release(p, &la);
    c12_pool_release(p, &lb);
    c12_pool_release(p, &lx);
    const uint64_t other[] = {1, 5};      /* starts like A, then differs: no match */
    F.clock += 10;
    int so = take(p, other, 2, &lx);
    assert_int_equal(so, sa);             /* the least recently used (A's, taken first above) */
    c12_pool_release(p, &lx);
    assert_int_equal(take(p, ca, 4, &la), sb); /* its slot was given away: the least recently used */
    c12_pool_release(p, &la);
    c12_pool_free(p);
    c12_config_free(c);
}

static void test_priorities_fifo(void **state)
{
    (void)state;
    c12_config *c = config(THREE);
    c12_pool *p = pool(c, 1000, 0);
    c12_lease l;
    c12_err err;
    assert_int_equal(c12_pool_acquire(p, 0, C12_PRIO_NORMAL, 0, &l, &err), C12_OK);
    c12_prio prios[4] = {C12_PRIO_LOW, C12_PRIO_NORMAL, C12_PRIO_HIGH, C12_PRIO_NORMAL};
    pthread_t t[4];
    thr_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (thr_arg){p, 0, prios[i], 0, 0, -1};
        pthread_create(&t[i], NULL, acquire_thread, &a[i]);
        while (c12_pool_queued(p, 0) < i + 1) usleep(1000); /* enqueue in this order */
    }
    c12_pool_release(p, &l);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    int want[4] = {C12_PRIO_HIGH, C12_PRIO_NORMAL, C12_PRIO_NORMAL, C12_PRIO_LOW};
    assert_int_equal(F.n_order, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(F.order[i], want[i]);
    c12_pool_free(p);
    c12_config_free(c);
}

static void test_keep_alive(void **state)
{
    (void)state;
    c12_config *c = config(THREE);
    c12_pool *p = pool(c, 1000, 1);
    use(p, 7); /* keep_alive 0: gone right after the request */
    assert_int_equal(c12_pool_state(p, 7), C12_MODEL_UNLOADED);
    use(p, 8); /* keep_alive 5 s */
    use(p, 0); /* keep_alive -1 */
    F.clock = 4999;
    c12_pool_tick(p);
    assert_int_equal(c12_pool_state(p, 8), C12_MODEL_LOADED);
    F.clock = 5000;
    c12_pool_tick(p);
    assert_int_equal(c12_pool_state(p, 8), C12_MODEL_UNLOADED);
    F.clock = 1000000000;
    c12_pool_tick(p);
    assert_int_equal(c12_pool_state(p, 0), C12_MODEL_LOADED);
    c12_pool_free(p);
    c12_config_free(c);
}

/* A model whose backend calls it stale (its file changed under the
 * mapping) is unloaded when its last busy slot is released, not before, and
 * the next request loads it again. */
static void test_stale_model_unloads_when_idle(void **state)
{
    (void)state;
    c12_config *c = config(THREE);
    c12_pool *p = pool(c, 1000, 0);
    use(p, 0);
    c12_lease l1, l2;
    c12_err err;
    assert_int_equal(c12_pool_acquire(p, 6, C12_PRIO_NORMAL, 0, &l1, &err), C12_OK); /* two slots */
    assert_int_equal(c12_pool_acquire(p, 6, C12_PRIO_NORMAL, 0, &l2, &err), C12_OK);
    F.stale = 1;
    c12_pool_release(p, &l1);
    assert_int_equal(c12_pool_state(p, 6), C12_MODEL_LOADED); /* one slot still generating */
    c12_pool_release(p, &l2);
    assert_int_equal(c12_pool_state(p, 6), C12_MODEL_UNLOADED);
    assert_int_equal(c12_pool_state(p, 0), C12_MODEL_LOADED); /* idle models are not looked at */
    assert_int_equal(F.unloads, 1);
    F.stale = 0;
    use(p, 6);
    assert_int_equal(F.loads, 3);
    assert_int_equal(c12_pool_state(p, 6), C12_MODEL_LOADED);
    c12_pool_free(p);
    c12_config_free(c);
}

static void test_shutdown(void **state)
{
    (void)state;
    c12_config *c = config(THREE);
    c12_pool *p = pool(c, 1000, 0);
    c12_lease l;
    c12_err err;
    assert_int_equal(c12_pool_acquire(p, 0, C12_PRIO_NORMAL, 0, &l, &err), C12_OK);
    pthread_t t;
    thr_arg a = {p, 0, C12_PRIO_NORMAL, 0, 0, -1};
    pthread_create(&t, NULL, acquire_thread, &a);
    while (c12_pool_queued(p, 0) < 1) usleep(1000);
    c12_pool_shutdown(p);
    pthread_join(t, NULL);
    assert_int_equal(a.rc, C12_ERR_CANCELLED);
    assert_int_equal(c12_pool_wait_idle(p, 50), 1); /* the in-flight request still holds its slot */
    c12_pool_release(p, &l);
    assert_int_equal(c12_pool_wait_idle(p, 50), 0);
    assert_int_equal(c12_pool_acquire(p, 0, C12_PRIO_NORMAL, 0, &l, &err), C12_ERR_CANCELLED);
    c12_pool_free(p);
    c12_config_free(c);
}

static void test_oom(void **state)
{
    (void)state;
    c12_config *c = config(THREE);
    c12_pool_opts o = {&B, 1000, NULL, &F};
    c12_err err;
    c12_alloc_fail_at(0, 0);
    c12_pool *p = NULL;
    assert_int_equal(c12_pool_new(c, &o, &p, &err), C12_OK);
    c12_pool_free(p);
    unsigned long n = c12_alloc_fail_at(0, 0);
    for (unsigned long i = 1; i <= n; i++) {
        c12_alloc_fail_at(i, 1);
        p = NULL;
        c12_rc rc = c12_pool_new(c, &o, &p, &err);
        c12_alloc_fail_at(0, 0);
        assert_int_equal(rc, C12_ERR_NOMEM);
        assert_null(p);
    }
    c12_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_once_and_cache),
        cmocka_unit_test(test_concurrent_first_requests_share_one_load),
        cmocka_unit_test(test_lru_eviction),
        cmocka_unit_test(test_busy_and_pinned_never_evicted),
        cmocka_unit_test(test_load_failure_and_too_big),
        cmocka_unit_test(test_load_health),
        cmocka_unit_test(test_slots_and_queue_bounds),
        cmocka_unit_test(test_slot_affinity),
        cmocka_unit_test(test_priorities_fifo),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_stale_model_unloads_when_idle),
        cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
