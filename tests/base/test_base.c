/* Unit tests for src/base: error codes, the growable buffer and the
 * allocation-failure injector that every OOM test relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "base/c12_clock.h"
#include "base/c12_file.h"
#include "base/c12_home.h"
#include "base/c12_json.h"
#include "base/c12_mapguard.h"
#include "base/c12_rc.h"
#include "base/c12_utf8.h"

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

static void test_redact(void **state)
{
    (void)state;
    c12_err e;
    c12_fail(&e, C12_ERR_AUTH, "bad key sk-123 (sk-123!)");
    c12_err_redact(&e, "sk-123");
    assert_string_equal(e.msg, "bad key [redacted] ([redacted]!)");
    c12_fail(&e, C12_ERR_AUTH, "edact edact");
    c12_err_redact(&e, "edact"); /* the mark contains the secret: no loop */
    assert_string_equal(e.msg, "[redacted] [redacted]");
    c12_err_redact(&e, "");
    c12_err_redact(NULL, "x");
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
    /* printf over the cap, though it fits the room: refused, nothing kept */
    assert_int_equal(c12_buf_printf(&b, "%s", "xy"), C12_ERR_RANGE);
    assert_string_equal(b.data, "hello1234");
    assert_int_equal(b.len, 9);
    char *s = c12_buf_take(&b);
    assert_string_equal(s, "hello1234");
    assert_null(b.data);
    c12_free(s);
    c12_buf_free(&b);
    /* printf past the room: written whole after growing, and after it in place */
    c12_buf_init(&b, 0);
    assert_int_equal(c12_buf_printf(&b, "%0100d|", 7), C12_OK);
    assert_int_equal(b.len, 101);
    assert_int_equal(c12_buf_printf(&b, "%s", "ab"), C12_OK);
    assert_int_equal(b.len, 103);
    assert_string_equal(b.data + 99, "7|ab");
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

static void write_bytes(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    for (size_t i = 0; i < n; i++) fputc('a' + (int)(i % 26), f);
    fclose(f);
}

/* A file of exactly the cap is read; one byte more is refused; a missing
 * file is NOT_FOUND; an empty one is "". */
static void test_read_file_cap(void **state)
{
    (void)state;
    char path[] = "/tmp/c12-test-file-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char *text = NULL;
    size_t len = 0;
    c12_err err;
    static const size_t sizes[] = {0, 1, 8191, 8192, 8193, 20000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        write_bytes(path, sizes[k]);
        assert_int_equal(c12_read_file(path, sizes[k], &text, &len, &err), C12_OK);
        assert_int_equal(len, sizes[k]);
        assert_int_equal(text[len], '\0');
        c12_free(text);
        write_bytes(path, sizes[k] + 1);
        assert_int_equal(c12_read_file(path, sizes[k], &text, &len, &err), C12_ERR_RANGE);
        assert_non_null(strstr(err.msg, "larger than"));
    }
    unlink(path);
    assert_int_equal(c12_read_file(path, 10, &text, &len, &err), C12_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, path));
}

static void test_home_path(void **state)
{
    (void)state;
    char out[64];
    c12_err err;
    setenv("C12_HOME", "/srv/c12", 1);
    assert_int_equal(c12_home_path("ledger.db", out, sizeof out, &err), C12_OK);
    assert_string_equal(out, "/srv/c12/ledger.db");
    unsetenv("C12_HOME");
    setenv("HOME", "/home/u", 1);
    assert_int_equal(c12_home_path("models", out, sizeof out, &err), C12_OK);
    assert_string_equal(out, "/home/u/.cache/c12/models");
    assert_int_equal(c12_home_path("models", out, 8, &err), C12_ERR_RANGE);
    unsetenv("HOME");
    assert_int_equal(c12_home_path("models", out, sizeof out, &err), C12_ERR_NOT_FOUND);
}

static void test_clock_and_json(void **state)
{
    (void)state;
    int64_t a = c12_clock_ns(), r = c12_clock_real_ms();
    assert_true(c12_clock_ns() >= a && r > 1600000000000LL);
    struct timespec d = c12_clock_deadline(CLOCK_MONOTONIC, 1500);
    int64_t at = (int64_t)d.tv_sec * 1000000000 + d.tv_nsec;
    assert_true(at - a >= 1500000000LL && d.tv_nsec < 1000000000L);
    json_t *j = NULL;
    c12_err err;
    assert_int_equal(c12_json_parse("{\"a\": 1}", 8, 0, "t", &j, &err), C12_OK);
    assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
    json_decref(j);
    assert_int_equal(c12_json_parse("{\"a\": ", 6, 0, "t", &j, &err), C12_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "t: malformed JSON at line 1"));
    /* every allocation of a parse failing is NOMEM, never "malformed" */
    static const char BIG[] = "{\"key\": [1, 2, {\"x\": \"a long enough string\"}], \"k2\": \"v\"}";
    for (unsigned long n = 1; n < 64; n++) {
        c12_alloc_fail_at(n, 1);
        c12_rc rc = c12_json_parse(BIG, strlen(BIG), 0, "t", &j, &err);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        if (rc == C12_OK) json_decref(j);
        assert_int_equal(rc, injected ? C12_ERR_NOMEM : C12_OK);
    }
}

/* Valid characters kept, each stray byte as '?', no character cut at the cap. */
static void test_utf8_copy(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(c12_utf8_copy(out, sizeof out, "a\xe4\xb8\xad" "b", 5), 5);
    assert_string_equal(out, "a\xe4\xb8\xad" "b");
    assert_int_equal(c12_utf8_copy(out, sizeof out, "a\xff\xe4\xb8", 4), 4);
    assert_string_equal(out, "a???");
    assert_int_equal(c12_utf8_copy(out, 3, "a\xe4\xb8\xad", 4), 1); /* the 3-byte character does not fit */
    assert_string_equal(out, "a");
    assert_int_equal(c12_utf8_copy(out, 1, "abc", 3), 0);
    assert_int_equal(c12_utf8_check((const uint8_t *)"\xed\xa0\x80", 3), -1); /* a surrogate */
}

/* A guarded mapping whose file is truncated under it reads zeros past the
 * new end instead of killing the process with SIGBUS, and says so; the
 * pages still backed by the file keep their bytes. */
static void test_mapguard_truncated_file(void **state)
{
    (void)state;
    char path[] = "/tmp/c12-mapguard-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 3 * page;
    char buf[3 * 65536];
    assert_true(len <= sizeof buf);
    memset(buf, 7, len);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    const volatile unsigned char *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(map != MAP_FAILED);
    int h = c12_mapguard_add((const void *)map, len);
    assert_true(h >= 0);
    assert_int_equal(map[2 * page + 5], 7);
    assert_int_equal(c12_mapguard_damaged(h), 0);
    assert_int_equal(ftruncate(fd, (off_t)page), 0);
    assert_int_equal(map[10], 7);               /* still in the file */
    assert_int_equal(c12_mapguard_damaged(h), 0);
    assert_int_equal(map[2 * page + 5], 0);     /* past its end: SIGBUS without the guard */
    assert_int_equal(c12_mapguard_damaged(h), 1);
    c12_mapguard_remove(h);
    assert_int_equal(c12_mapguard_damaged(h), 0); /* the slot is free again */
    assert_int_equal(c12_mapguard_damaged(-1), 0);
    munmap((void *)map, len);
    close(fd);
}

int main(void)
{
    c12_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_sets_message),
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_buf_grows_and_caps),
        cmocka_unit_test(test_alloc_injection),
        cmocka_unit_test(test_buf_oom_loop),
        cmocka_unit_test(test_read_file_cap),
        cmocka_unit_test(test_home_path),
        cmocka_unit_test(test_clock_and_json),
        cmocka_unit_test(test_utf8_copy),
        cmocka_unit_test(test_mapguard_truncated_file),
    };
    return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
