/* c12_fiber: a fiber runs only while resumed, from where it yielded, with
 * its locals intact; two fibers on one thread keep apart; a deep stack is
 * usable (under ASan too); stacks go back to the pool, up to max_idle, and
 * the next fiber takes one; a fiber never run can be freed; an allocation
 * failure says so and leaks nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_fiber.h"
#include "base/oom_loop.h"

#define STACK (256u << 10)

typedef struct log_ {
    char text[64];
    int counter;             /* the fiber's local, seen through a pointer */
    int *seen;
} log_;

static void say(log_ *l, const char *s) { strncat(l->text, s, sizeof l->text - strlen(l->text) - 1); }

/* a, yield, b, yield, c: the resumer sees each piece only after its resume. */
static void three_steps(c12_fiber *f, void *ud)
{
    log_ *l = ud;
    int local = 41; /* lives on the fiber's stack across yields */
    l->seen = &local;
    say(l, "a");
    c12_fiber_yield(f);
    local++;
    say(l, "b");
    c12_fiber_yield(f);
    say(l, local == 42 ? "c" : "?");
}

static void test_order(void **state)
{
    (void)state;
    c12_fiber_pool *p;
    c12_fiber *f;
    c12_err err;
    log_ l = {0};
    assert_int_equal(c12_fiber_pool_new(STACK, 4, &p, &err), C12_OK);
    assert_int_equal(c12_fiber_new(p, three_steps, &l, &f, &err), C12_OK);
    assert_string_equal(l.text, ""); /* nothing runs before the first resume */
    assert_int_equal(c12_fiber_resume(f), 0);
    assert_string_equal(l.text, "a");
    assert_int_equal(*l.seen, 41);
    assert_int_equal(c12_fiber_resume(f), 0);
    assert_string_equal(l.text, "ab");
    assert_int_equal(*l.seen, 42);
    assert_int_equal(c12_fiber_resume(f), 1);
    assert_string_equal(l.text, "abc");
    assert_int_equal(c12_fiber_resume(f), 1); /* done stays done */
    c12_fiber_free(f);
    c12_fiber_pool_free(p);
}

typedef struct pair {
    c12_fiber *f;
    char name;
    char *out;
} pair;

/* Writes its name n times, yielding after each. */
static void writer(c12_fiber *f, void *ud)
{
    pair *w = ud;
    for (int i = 0; i < 3; i++) {
        char s[2] = {w->name, 0};
        strcat(w->out, s);
        c12_fiber_yield(f);
    }
}

static void test_two_fibers(void **state)
{
    (void)state;
    c12_fiber_pool *p;
    c12_err err;
    char out[16] = "";
    pair a = {.name = 'x', .out = out}, b = {.name = 'y', .out = out};
    assert_int_equal(c12_fiber_pool_new(STACK, 4, &p, &err), C12_OK);
    assert_int_equal(c12_fiber_new(p, writer, &a, &a.f, &err), C12_OK);
    assert_int_equal(c12_fiber_new(p, writer, &b, &b.f, &err), C12_OK);
    int da = 0, db = 0;
    while (!da || !db) {
        if (!da) da = c12_fiber_resume(a.f);
        if (!db) db = c12_fiber_resume(b.f);
    }
    assert_string_equal(out, "xyxyxy");
    c12_fiber_free(a.f);
    c12_fiber_free(b.f);
    c12_fiber_pool_free(p);
}

/* About depth * 4 KiB of the fiber's stack, every byte written. */
static unsigned deep(int depth)
{
    volatile unsigned char buf[4000];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i + (size_t)depth);
    unsigned sum = buf[depth % sizeof buf];
    return depth ? sum + deep(depth - 1) : sum;
}

static void deep_fiber(c12_fiber *f, void *ud)
{
    *(unsigned *)ud = deep(24); /* ~100 KiB of a 256 KiB stack */
    c12_fiber_yield(f);
    *(unsigned *)ud += deep(24);
}

static void test_deep_stack(void **state)
{
    (void)state;
    c12_fiber_pool *p;
    c12_fiber *f;
    c12_err err;
    unsigned got = 0, want = deep(24);
    assert_int_equal(c12_fiber_pool_new(STACK, 1, &p, &err), C12_OK);
    assert_int_equal(c12_fiber_new(p, deep_fiber, &got, &f, &err), C12_OK);
    assert_int_equal(c12_fiber_resume(f), 0);
    assert_int_equal(got, want);
    assert_int_equal(c12_fiber_resume(f), 1);
    assert_int_equal(got, 2 * want);
    c12_fiber_free(f);
    c12_fiber_pool_free(p);
}

static void nothing(c12_fiber *f, void *ud) { (void)f, (void)ud; }

static void test_stacks_kept(void **state)
{
    (void)state;
    c12_fiber_pool *p;
    c12_fiber *f[3];
    c12_err err;
    assert_int_equal(c12_fiber_pool_new(STACK, 2, &p, &err), C12_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(c12_fiber_new(p, nothing, NULL, &f[i], &err), C12_OK);
    assert_int_equal(c12_fiber_resume(f[0]), 1);
    assert_int_equal(c12_fiber_pool_idle(p), 0);
    for (int i = 0; i < 3; i++) c12_fiber_free(f[i]); /* f[1], f[2] never ran */
    assert_int_equal(c12_fiber_pool_idle(p), 2);      /* the third was unmapped */
    assert_int_equal(c12_fiber_new(p, nothing, NULL, &f[0], &err), C12_OK);
    assert_int_equal(c12_fiber_pool_idle(p), 1); /* taken from the pool */
    assert_int_equal(c12_fiber_resume(f[0]), 1);
    c12_fiber_free(f[0]);
    c12_fiber_pool_free(p);
}

static void test_bad_limits(void **state)
{
    (void)state;
    c12_fiber_pool *p = NULL;
    c12_err err;
    assert_int_equal(c12_fiber_pool_new(1024, 2, &p, &err), C12_ERR_INVALID);
    assert_int_equal(c12_fiber_pool_new(STACK, -1, &p, &err), C12_ERR_INVALID);
    assert_null(p);
}

static c12_rc pool_and_fiber(void *ud)
{
    (void)ud;
    c12_fiber_pool *p;
    c12_fiber *f;
    c12_err err;
    log_ l = {0};
    c12_rc rc = c12_fiber_pool_new(STACK, 2, &p, &err);
    if (rc) return rc;
    rc = c12_fiber_new(p, three_steps, &l, &f, &err);
    if (!rc) {
        while (!c12_fiber_resume(f)) {}
        assert_string_equal(l.text, "abc");
        c12_fiber_free(f);
    }
    c12_fiber_pool_free(p);
    return rc;
}

static void test_oom(void **state)
{
    (void)state;
    c12_test_oom_loop(pool_and_fiber, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),       cmocka_unit_test(test_two_fibers), cmocka_unit_test(test_deep_stack),
        cmocka_unit_test(test_stacks_kept), cmocka_unit_test(test_bad_limits), cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
