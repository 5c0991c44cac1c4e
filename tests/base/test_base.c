/* Unit tests for src/base: error codes, the growable buffer and the
 * allocation-failure injector that every OOM test relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "base/c12_rc.h"

static void test_fail_sets_message(void **state)
{
    (void)state;
    c12_err e;
    c12_err_clear(&e);
    assert_int_equal(c12_fail(&e, C12_ERR_FORMAT, "bad %s at %d", "field", 7), C12_ERR_FORMAT);
    assert_int_equal(e.rc, C12_ERR_FORMAT);
    assert_string_equal(e.msg, "bad field at 7");
    assert_string_equal(c12_rc_name(C12_ERR_FORMAT), "format error");
    assert_string_equal(c12_rc_name((c12_rc)999), "unknown error");
    assert_int_equal(c12_fail(NULL, C12_ERR_IO, "x"), C12_ERR_IO);
}

static void test_buf_grows_and_caps(void **state)
{
    (void)state;
    c12_buf b;
    c12_buf_init(&b, 10);
    assert_int_equal(c12_buf_puts(&b, "hello"), C12_OK);
    assert_int_equal(c12_buf_printf(&b, "%d", 1234), C12_OK);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(c12_buf_puts(&b, "xy"), C12_ERR_RANGE);
    assert_string_equal(b.data, "hello1234");
    char *s = c12_buf_take(&b);
    assert_string_equal(s, "hello1234");
    assert_null(b.data);
    c12_free(s);
    c12_buf_free(&b);
}

static void test_alloc_injection(void **state)
{
    (void)state;
    c12_alloc_fail_at(2, 0);
    void *a = c12_malloc(8);
    void *b = c12_malloc(8);
    void *c = c12_malloc(8);
    assert_non_null(a);
    assert_null(b);
    assert_non_null(c);
    assert_true(c12_alloc_injected());
    assert_int_equal(c12_alloc_fail_at(0, 0), 3);
    c12_free(a);
    c12_free(c);
}

static void test_buf_oom_loop(void **state)
{
    (void)state;
    /* SQLite-style loop: fail each allocation in turn; every failure must be a
     * clean C12_ERR_NOMEM with the buffer left valid. */
    for (unsigned long n = 1; n < 20; n++) {
        c12_alloc_fail_at(n, 1);
        c12_buf b;
        c12_buf_init(&b, 0);
        c12_rc rc = C12_OK;
        for (int i = 0; i < 50 && rc == C12_OK; i++) rc = c12_buf_printf(&b, "line %d\n", i);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        assert_int_equal(rc, injected ? C12_ERR_NOMEM : C12_OK);
        c12_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_sets_message),
        cmocka_unit_test(test_buf_grows_and_caps),
        cmocka_unit_test(test_alloc_injection),
        cmocka_unit_test(test_buf_oom_loop),
    };
    return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
