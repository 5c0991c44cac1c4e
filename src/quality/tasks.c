/* tasks.c - reading eval-quality's rows (JSON lines): MBPP-style tasks with
 * tests, questions with accepted answers, and questions about a passage the
 * text contains (grounded: answers plus a grounded category). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "quality/quality.h"

static void task_free(c12_quality_task *t)
{
    c12_free(t->text);
    c12_free(t->setup);
    for (size_t i = 0; i < t->n_tests; i++) c12_free(t->tests[i]);
    for (size_t i = 0; i < t->n_answers; i++) c12_free(t->answers[i]);
    memset(t, 0, sizeof *t);
}

void c12_quality_free(c12_quality_tasks *ts)
{
    if (!ts) return;
    for (size_t i = 0; i < ts->n; i++) task_free(&ts->t[i]);
    c12_free(ts->t);
    ts->t = NULL;
    ts->n = 0;
}

/* Categories of a question or instruction about a passage the text itself
 * holds (Dolly's names, as data/quality/grounded.jsonl carries them): the
 * rows of the router's `grounded` category. */
static const char *const k_grounded[] = {"closed_qa", "information_extraction", "summarization"};

/* The kind of a row with answers, from its category (NULL: none). */
static c12_quality_kind answer_kind(const char *category, const char **name)
{
    for (size_t i = 0; category && i < sizeof k_grounded / sizeof *k_grounded; i++)
        if (!strcmp(category, k_grounded[i])) {
            *name = k_grounded[i];
            return C12_QUALITY_GROUNDED;
        }
    return C12_QUALITY_ANSWER;
}

/* Copy a JSON array of 1..C12_QUALITY_MAX_TESTS strings into dst[]/n. */
static c12_rc copy_strings(json_t *arr, const char *key, char **dst, size_t *n, const char *path, size_t lineno,
                           c12_err *err)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > C12_QUALITY_MAX_TESTS)
        return c12_fail(err, C12_ERR_FORMAT, "%s:%zu: \"%s\" needs 1..%d strings", path, lineno, key,
                        C12_QUALITY_MAX_TESTS);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *s = json_array_get(arr, i);
        if (!json_is_string(s)) return c12_fail(err, C12_ERR_FORMAT, "%s:%zu: %s[%zu] is not a string", path,
                                                lineno, key, i);
        if (!(dst[*n] = c12_strdup(json_string_value(s))))
            return c12_fail(err, C12_ERR_NOMEM, "eval-quality: out of memory");
        (*n)++;
    }
    return C12_OK;
}

/* One row into *t; 1 = kept, 0 = skipped (outside the test split). */
static c12_rc parse_row(const char *line, const char *path, size_t lineno, c12_quality_task *t, int *kept,
                        c12_err *err)
{
    json_error_t je;
    json_t *o = json_loads(line, 0, &je);
    *kept = 0;
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return c12_fail(err, C12_ERR_FORMAT, "%s:%zu: not a JSON object", path, lineno);
    }
    c12_rc rc = C12_OK;
    json_t *text = json_object_get(o, "text"), *tests = json_object_get(o, "test_list");
    json_t *answers = json_object_get(o, "answers");
    json_t *setup = json_object_get(o, "test_setup_code"), *id = json_object_get(o, "task_id");
    memset(t, 0, sizeof *t);
    t->task_id = json_is_integer(id) ? (long)json_integer_value(id) : -1;
    if (!json_is_string(text) || !tests == !answers) {
        rc = c12_fail(err, C12_ERR_FORMAT, "%s:%zu: needs \"text\" and either \"test_list\" or \"answers\"",
                      path, lineno);
        goto out;
    }
    if (t->task_id >= 0 && (t->task_id < C12_QUALITY_TEST_FIRST || t->task_id > C12_QUALITY_TEST_LAST))
        goto out;
    t->text = c12_strdup(json_string_value(text));
    t->setup = c12_strdup(json_is_string(setup) ? json_string_value(setup) : "");
    if (!t->text || !t->setup) rc = c12_fail(err, C12_ERR_NOMEM, "eval-quality: out of memory");
    else if (tests) rc = copy_strings(tests, "test_list", t->tests, &t->n_tests, path, lineno, err);
    else {
        t->kind = answer_kind(json_string_value(json_object_get(o, "category")), &t->category);
        rc = copy_strings(answers, "answers", t->answers, &t->n_answers, path, lineno, err);
    }
    if (!rc) *kept = 1;
out:
    if (rc || !*kept) task_free(t);
    json_decref(o);
    return rc;
}

c12_rc c12_quality_load(const char *path, size_t max_n, c12_quality_tasks *out, c12_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return c12_fail(err, C12_ERR_NOT_FOUND, "cannot open %s", path);
    c12_quality_tasks ts = {0};
    size_t cap = 0, lineno = 0;
    c12_buf line;
    c12_buf_init(&line, 1u << 22);
    c12_rc rc = C12_OK;
    char chunk[4096];
    int eof = 0;
    while (!rc && !eof && (!max_n || ts.n < max_n)) {
        c12_buf_reset(&line);
        for (;;) { /* one whole line, however long (up to the buffer's cap) */
            if (!fgets(chunk, sizeof chunk, f)) {
                eof = 1;
                break;
            }
            size_t n = strlen(chunk);
            if ((rc = c12_buf_append(&line, chunk, n))) break;
            if (n && chunk[n - 1] == '\n') break;
        }
        if (rc) {
            c12_fail(err, rc, "%s:%zu: line too long", path, lineno + 1);
            break;
        }
        lineno++;
        if (!line.len || strspn(line.data, " \t\r\n") == line.len) continue;
        if (ts.n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            c12_quality_task *nt = c12_realloc(ts.t, nc * sizeof *nt);
            if (!nt) {
                rc = c12_fail(err, C12_ERR_NOMEM, "eval-quality: out of memory");
                break;
            }
            ts.t = nt;
            cap = nc;
        }
        int kept;
        rc = parse_row(line.data, path, lineno, &ts.t[ts.n], &kept, err);
        if (!rc && kept) ts.n++;
    }
    c12_buf_free(&line);
    fclose(f);
    if (!rc && ts.n == 0) rc = c12_fail(err, C12_ERR_FORMAT, "%s: no tasks (MBPP test split is task_id %d..%d)",
                                        path, C12_QUALITY_TEST_FIRST, C12_QUALITY_TEST_LAST);
    if (rc) {
        c12_quality_free(&ts);
        return rc;
    }
    *out = ts;
    return C12_OK;
}
