/* Unit tests for src/models/sha.c: SHA-256 of known inputs (FIPS 180-2
 * examples), streaming in uneven pieces, files, and the OOM path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "models/helpers.h"
#include "models/sha.h"

static void hash_of(const void *p, size_t n, char hex[C12_SHA256_HEX])
{
    c12_sha256 *s = NULL;
    c12_err err;
    assert_int_equal(c12_sha256_new(&s, &err), C12_OK);
    assert_int_equal(c12_sha256_update(s, p, n, &err), C12_OK);
    assert_int_equal(c12_sha256_final(s, hex, &err), C12_OK);
    c12_sha256_free(s);
}

static void test_known_vectors(void **state)
{
    (void)state;
    char hex[C12_SHA256_HEX];
    hash_of("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hash_of("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hash_of(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_streaming_million_a(void **state)
{
    (void)state;
    char a[1000];
    memset(a, 'a', sizeof a);
    c12_sha256 *s = NULL;
    c12_err err;
    assert_int_equal(c12_sha256_new(&s, &err), C12_OK);
    /* Uneven pieces: the digest must not depend on how bytes arrive. */
    size_t left = 1000000, step = 1;
    while (left) {
        size_t n = step < left ? step : left;
        if (n > sizeof a) n = sizeof a;
        assert_int_equal(c12_sha256_update(s, a, n, &err), C12_OK);
        left -= n;
        step = step * 7 % 997 + 1;
    }
    char hex[C12_SHA256_HEX];
    assert_int_equal(c12_sha256_final(s, hex, &err), C12_OK);
    c12_sha256_free(s);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void count_progress(void *ctx, uint64_t done) { *(uint64_t *)ctx = done; }

static void test_file(void **state)
{
    (void)state;
    char dir[64], path[128], hex[C12_SHA256_HEX], want[C12_SHA256_HEX];
    scratch_dir(dir);
    snprintf(path, sizeof path, "%s/f.bin", dir);
    size_t n = 3 * 1024 * 1024 + 17; /* several read chunks */
    unsigned char *data = malloc(n);
    fill_bytes(data, n, 1);
    FILE *f = fopen(path, "wb");
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    hash_of(data, n, want);
    uint64_t seen = 0;
    c12_err err;
    assert_int_equal(c12_sha256_file(path, hex, count_progress, &seen, &err), C12_OK);
    assert_string_equal(hex, want);
    assert_int_equal(seen, n);
    memset(hex, 'x', sizeof hex);
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(c12_sha256_file(path, hex, NULL, NULL, &err), C12_ERR_IO);
    assert_non_null(strstr(err.msg, "missing"));
    assert_int_equal(hex[0], 'x'); /* out-param untouched on failure */
    free(data);
    c12_fetch_rmtree(dir);
}

static void test_is_hex(void **state)
{
    (void)state;
    assert_true(c12_sha256_is_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert_false(c12_sha256_is_hex("E3B0C44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert_false(c12_sha256_is_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
    assert_false(c12_sha256_is_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555"));
    assert_false(c12_sha256_is_hex("g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert_false(c12_sha256_is_hex(""));
    assert_false(c12_sha256_is_hex(NULL));
}

static void test_oom(void **state)
{
    (void)state;
    char dir[64], path[128], hex[C12_SHA256_HEX];
    scratch_dir(dir);
    snprintf(path, sizeof path, "%s/f.bin", dir);
    FILE *f = fopen(path, "wb");
    fputs("abc", f);
    fclose(f);
    int done = 0;
    for (unsigned long n = 1; n < 10 && !done; n++) {
        c12_err err;
        c12_alloc_fail_at(n, 1);
        c12_rc rc = c12_sha256_file(path, hex, NULL, NULL, &err);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        if (injected) {
            assert_int_equal(rc, C12_ERR_NOMEM);
        } else {
            assert_int_equal(rc, C12_OK);
            assert_string_equal(hex,
                                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
            done = 1;
        }
    }
    assert_true(done);
    c12_fetch_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors), cmocka_unit_test(test_streaming_million_a),
        cmocka_unit_test(test_file),          cmocka_unit_test(test_is_hex),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
