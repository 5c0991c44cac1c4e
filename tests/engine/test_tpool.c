/* Unit tests for the forward pass's thread pool: fork-join runs reach every
 * thread, and range runs hand out every item exactly once, whatever the
 * chunk size and thread count, also when one thread is much slower. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "engine/tpool.h"

#define N_ITEMS 1000

typedef struct counts {
    atomic_int hits[N_ITEMS];
    atomic_int per_thread[8];
    int slow_thread; /* -1: none */
} counts;

static void count_range(void *ctx, int ith, int64_t i0, int64_t i1)
{
    counts *c = ctx;
    assert_true(i0 >= 0 && i0 < i1 && i1 <= N_ITEMS);
    for (int64_t i = i0; i < i1; i++) atomic_fetch_add(&c->hits[i], 1);
    atomic_fetch_add(&c->per_thread[ith], (int)(i1 - i0));
    if (ith == c->slow_thread) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

static void run_and_check(c12_tpool *p, int64_t n, int64_t chunk, int slow)
{
    static counts c;
    memset(&c, 0, sizeof c);
    c.slow_thread = slow;
    c12_tpool_run_range(p, count_range, &c, n, chunk);
    for (int64_t i = 0; i < N_ITEMS; i++) assert_int_equal(atomic_load(&c.hits[i]), i < n ? 1 : 0);
    if (slow >= 0 && n == N_ITEMS && chunk == 1) {
        /* the fast threads took over most of the slow one's share */
        assert_true(atomic_load(&c.per_thread[slow]) < N_ITEMS / c12_tpool_size(p));
    }
}

static void test_range_every_item_once(void **state)
{
    (void)state;
    static const int threads[] = {1, 2, 3, 8};
    static const int64_t chunks[] = {0, 1, 7, 64, N_ITEMS, 5000};
    static const int64_t sizes[] = {0, 1, 13, N_ITEMS};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
        c12_tpool *p = NULL;
        c12_err err;
        assert_int_equal(c12_tpool_new(threads[t], &p, &err), C12_OK);
        for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++)
            for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) run_and_check(p, sizes[z], chunks[k], -1);
        c12_tpool_free(p);
    }
}

static void test_range_evens_out_a_slow_thread(void **state)
{
    (void)state;
    c12_tpool *p = NULL;
    c12_err err;
    assert_int_equal(c12_tpool_new(4, &p, &err), C12_OK);
    run_and_check(p, N_ITEMS, 1, 1);
    run_and_check(p, N_ITEMS, 1, 0); /* the caller itself slow */
    c12_tpool_free(p);
}

typedef struct seen {
    atomic_int mask;
    atomic_int calls;
} seen;

static void mark(void *ctx, int ith, int nth)
{
    seen *s = ctx;
    assert_true(ith >= 0 && ith < nth);
    atomic_fetch_or(&s->mask, 1 << ith);
    atomic_fetch_add(&s->calls, 1);
}

static void test_run_reaches_every_thread(void **state)
{
    (void)state;
    c12_tpool *p = NULL;
    c12_err err;
    assert_int_equal(c12_tpool_new(3, &p, &err), C12_OK);
    for (int r = 0; r < 200; r++) { /* many runs: workers spinning and sleeping */
        seen s;
        atomic_init(&s.mask, 0);
        atomic_init(&s.calls, 0);
        c12_tpool_run(p, mark, &s);
        assert_int_equal(atomic_load(&s.mask), 7);
        assert_int_equal(atomic_load(&s.calls), 3);
    }
    c12_tpool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_every_item_once),
        cmocka_unit_test(test_range_evens_out_a_slow_thread),
        cmocka_unit_test(test_run_reaches_every_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
