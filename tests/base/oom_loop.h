/* oom_loop.h - the unit tests' out-of-memory discipline (c12_alloc.h's
 * failure injection): run once with the first allocation failing, then the
 * second, and so on until a run fails none. Each failed run must return
 * C12_ERR_NOMEM (never crash, never leak: the tests run under ASan), the
 * last C12_OK. Header-only; include it after cmocka.h. */
#ifndef C12_TEST_OOM_LOOP_H
#define C12_TEST_OOM_LOOP_H

#include "base/c12_alloc.h"
#include "base/c12_rc.h"

/* fn runs the code under test once and frees what it made. */
static inline void c12_test_oom_loop(c12_rc (*fn)(void *ud), void *ud)
{
    for (unsigned long n = 1;; n++) {
        c12_alloc_fail_at(n, 0);
        c12_rc rc = fn(ud);
        int failed = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        if (!failed) {
            assert_int_equal(rc, C12_OK);
            return;
        }
        assert_int_equal(rc, C12_ERR_NOMEM);
    }
}

#endif
