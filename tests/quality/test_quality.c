/* Unit tests for src/quality: code extraction from answers, the prompt and
 * program, the Wilson interval, task loading, and the sandbox (pass, fail,
 * a program that loops forever is killed at the deadline). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "quality/quality.h"

static char *extract(const char *answer, int in_fence, int *found)
{
    static c12_buf b;
    c12_buf_free(&b);
    c12_buf_init(&b, 0);
    *found = c12_quality_extract(answer, strlen(answer), in_fence, &b);
    return b.data ? b.data : "";
}

static void test_extract_fenced(void **state)
{
    int f;
    const char *a = "Here is the function:\n```python\ndef f(x):\n    return x + 1\n```\nIt adds one.\n```\nf(1)\n```\n";
    assert_string_equal(extract(a, 0, &f), "def f(x):\n    return x + 1\n");
    assert_true(f);
    /* a plain fence, indented closing fence */
    a = "```\nimport math\ndef g():\n    return math.pi\n  ```";
    assert_string_equal(extract(a, 0, &f), "import math\ndef g():\n    return math.pi\n");
    /* unterminated fence: to the end */
    a = "```python\ndef h():\n    pass\n";
    assert_string_equal(extract(a, 0, &f), "def h():\n    pass\n");
    assert_false(c12_quality_answer_done(a, strlen(a), 0));
    a = "```python\ndef h():\n    pass\n```\nmore";
    assert_true(c12_quality_answer_done(a, strlen(a), 0));
}

static void test_extract_unfenced_and_completion(void **state)
{
    int f;
    const char *a = "Sure. This works:\ndef f(a, b):\n    return a * b\n";
    assert_string_equal(extract(a, 0, &f), "def f(a, b):\n    return a * b\n");
    assert_true(f);
    extract("I cannot help with that.", 0, &f);
    assert_false(f);
    /* completion models continue a prompt that opened the fence */
    a = "def k():\n    return 2\n```\n\nExplanation";
    assert_string_equal(extract(a, 1, &f), "def k():\n    return 2\n");
    assert_true(c12_quality_answer_done(a, strlen(a), 1));
    extract("```\n```", 0, &f);
    assert_false(f);
}

static void test_prompt_and_program(void **state)
{
    c12_quality_task t = {.task_id = 11, .text = "Write a function to add.", .setup = "import os", .n_tests = 2,
                          .tests = {"assert add(1, 2) == 3", "assert add(0, 0) == 0"}};
    c12_buf b;
    c12_err err;
    c12_buf_init(&b, 0);
    assert_int_equal(c12_quality_prompt(&t, &b, &err), C12_OK);
    assert_non_null(strstr(b.data, "Write a function to add."));
    assert_non_null(strstr(b.data, "assert add(1, 2) == 3\nassert add(0, 0) == 0\n"));
    c12_buf_reset(&b);
    assert_int_equal(c12_quality_program(&t, "def add(a, b):\n    return a + b\n", &b, &err), C12_OK);
    assert_string_equal(b.data, "import os\ndef add(a, b):\n    return a + b\n\nassert add(1, 2) == 3\n"
                                "assert add(0, 0) == 0\n");
    c12_buf_free(&b);
}

static void test_wilson(void **state)
{
    double lo, hi;
    c12_quality_wilson(24, 40, 1.96, &lo, &hi); /* 0.60 */
    assert_true(fabs(lo - 0.4457) < 1e-3 && fabs(hi - 0.7369) < 1e-3);
    c12_quality_wilson(0, 3, 1.96, &lo, &hi);
    assert_true(lo == 0 && fabs(hi - 0.5615) < 1e-3);
    c12_quality_wilson(0, 0, 1.96, &lo, &hi);
    assert_true(lo == 0 && hi == 1);
}

static void test_load(void **state)
{
    char path[] = "/tmp/c12-test-tasks-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *rows = "{\"task_id\": 5, \"text\": \"train\", \"test_list\": [\"assert 1\"]}\n"
                       "{\"task_id\": 11, \"text\": \"a\", \"test_list\": [\"assert 1\"], \"test_setup_code\": \"\"}\n"
                       "\n{\"task_id\": 12, \"text\": \"b\", \"test_list\": [\"assert 1\", \"assert 2\"]}\n"
                       "{\"task_id\": 13, \"text\": \"c\", \"test_list\": [\"assert 1\"]}\n";
    assert_int_equal(write(fd, rows, strlen(rows)), (ssize_t)strlen(rows));
    close(fd);
    c12_quality_tasks ts;
    c12_err err;
    assert_int_equal(c12_quality_load(path, 2, &ts, &err), C12_OK);
    assert_int_equal(ts.n, 2); /* task 5 is in the training split */
    assert_int_equal(ts.t[0].task_id, 11);
    assert_int_equal(ts.t[1].n_tests, 2);
    c12_quality_free(&ts);
    FILE *f = fopen(path, "w");
    fputs("{\"text\": \"x\"}\n", f);
    fclose(f);
    assert_int_equal(c12_quality_load(path, 0, &ts, &err), C12_ERR_FORMAT);
    assert_non_null(strstr(err.msg, ":1:"));
    unlink(path);
}

static void test_sandbox(void **state)
{
    c12_quality_outcome o;
    c12_err err;
    assert_int_equal(c12_quality_run_python("assert 1 + 1 == 2\n", 10, &o, &err), C12_OK);
    assert_int_equal(o, C12_QUALITY_PASS);
    assert_int_equal(c12_quality_run_python("assert 1 + 1 == 3\n", 10, &o, &err), C12_OK);
    assert_int_equal(o, C12_QUALITY_FAIL);
    /* descriptors of C12 (a model file, a socket) are not inherited */
    int fd = dup2(0, 777); /* high: python's own files take the low numbers */
    assert_int_equal(fd, 777);
    char prog[128];
    snprintf(prog, sizeof prog, "import os\ntry:\n    os.fstat(%d)\nexcept OSError:\n    raise SystemExit(0)\n"
                                "raise SystemExit(1)\n", fd);
    assert_int_equal(c12_quality_run_python(prog, 10, &o, &err), C12_OK);
    assert_int_equal(o, C12_QUALITY_PASS);
    close(fd);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(c12_quality_run_python("import time\nwhile True:\n    time.sleep(0.01)\n", 0.5, &o, &err), C12_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_int_equal(o, C12_QUALITY_TIMEOUT);
    assert_true((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract_fenced),   cmocka_unit_test(test_extract_unfenced_and_completion),
        cmocka_unit_test(test_prompt_and_program), cmocka_unit_test(test_wilson),
        cmocka_unit_test(test_load),             cmocka_unit_test(test_sandbox),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
