/* c12_thpool: every task runs once; a thread is reused for the next task
 * (one thread for tasks one after another); tasks that overlap get threads
 * of their own; idle threads leave after idle_s and beyond max_idle; free
 * waits for the threads; an allocation failure runs nothing and says so. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "base/c12_clock.h"
#include "base/c12_thpool.h"

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open;
    atomic_int ran, inside;
} gate;

static void gate_init(gate *g)
{
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->open = 0;
    atomic_store(&g->ran, 0);
    atomic_store(&g->inside, 0);
}

/* Counts itself, then waits until the gate opens. */
static void held(void *ud)
{
    gate *g = ud;
    atomic_fetch_add(&g->inside, 1);
    pthread_mutex_lock(&g->mu);
    while (!g->open) pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    atomic_fetch_add(&g->ran, 1);
}

static void quick(void *ud) { atomic_fetch_add(&((gate *)ud)->ran, 1); }

static void wait_until(atomic_int *v, int want)
{
    int64_t end = c12_clock_ns() + 5000000000LL;
    while (atomic_load(v) < want && c12_clock_ns() < end) usleep(1000);
    assert_true(atomic_load(v) >= want);
}

static void test_reuse(void **state)
{
    (void)state;
    c12_thpool *p;
    c12_err err;
    gate g;
    gate_init(&g);
    assert_int_equal(c12_thpool_new(4, 10, &p, &err), C12_OK);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(c12_thpool_run(p, quick, &g, &err), C12_OK);
        wait_until(&g.ran, i + 1);
        usleep(200); /* the thread is back waiting */
    }
    assert_int_equal(c12_thpool_threads(p), 1);
    c12_thpool_free(p);
}

static void test_overlap_and_idle(void **state)
{
    (void)state;
    c12_thpool *p;
    c12_err err;
    gate g;
    gate_init(&g);
    assert_int_equal(c12_thpool_new(2, 0.05, &p, &err), C12_OK);
    for (int i = 0; i < 6; i++) assert_int_equal(c12_thpool_run(p, held, &g, &err), C12_OK);
    wait_until(&g.inside, 6); /* six at once: six threads */
    assert_int_equal(c12_thpool_threads(p), 6);
    pthread_mutex_lock(&g.mu);
    g.open = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    wait_until(&g.ran, 6);
    usleep(20000);
    assert_true(c12_thpool_threads(p) <= 2); /* max_idle */
    usleep(200000);
    assert_int_equal(c12_thpool_threads(p), 0); /* idle_s */
    assert_int_equal(c12_thpool_run(p, quick, &g, &err), C12_OK); /* a new thread again */
    wait_until(&g.ran, 7);
    c12_thpool_free(p); /* with a thread idle: woken, gone */
}

static void test_oom(void **state)
{
    (void)state;
    c12_thpool *p;
    c12_err err;
    gate g;
    gate_init(&g);
    c12_alloc_fail_at(1, 0);
    assert_int_equal(c12_thpool_new(2, 1, &p, &err), C12_ERR_NOMEM);
    c12_alloc_fail_at(0, 0);
    assert_int_equal(c12_thpool_new(2, 1, &p, &err), C12_OK);
    c12_alloc_fail_at(1, 0);
    assert_int_equal(c12_thpool_run(p, quick, &g, &err), C12_ERR_NOMEM);
    c12_alloc_fail_at(0, 0);
    usleep(20000);
    assert_int_equal(atomic_load(&g.ran), 0);
    assert_int_equal(c12_thpool_new(-1, 1, &p, &err) == C12_ERR_INVALID, 1);
    c12_thpool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_reuse), cmocka_unit_test(test_overlap_and_idle),
                                       cmocka_unit_test(test_oom)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
