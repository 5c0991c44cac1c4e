/* extract.c - the text side of eval-quality: prompt, code extraction, the
 * test program and the Wilson interval. Pure functions, unit-tested. */
#include <math.h>
#include <string.h>

#include "quality/quality.h"

c12_rc c12_quality_prompt(const c12_quality_task *t, c12_buf *out, c12_err *err)
{
    /* The wording of the MBPP paper's prompt: the task, then the tests, so the
     * model sees the function's name and signature. */
    c12_rc rc = c12_buf_printf(out, "You are an expert Python programmer, and here is your task: %s "
                                    "Your code should pass these tests:\n\n", t->text);
    for (size_t i = 0; !rc && i < t->n_tests; i++) rc = c12_buf_printf(out, "%s\n", t->tests[i]);
    if (!rc) rc = c12_buf_puts(out, "\nWrite the Python function in one ```python code block.\n");
    if (rc) return c12_fail(err, rc, "eval-quality: prompt too long");
    return C12_OK;
}

/* Start of the line after position p (len when none). */
static size_t next_line(const char *s, size_t len, size_t p)
{
    const char *nl = memchr(s + p, '\n', len - p);
    return nl ? (size_t)(nl - s) + 1 : len;
}

/* Position of the next line (at or after p, at a line start) that begins
 * with ``` (len when none). */
static size_t find_fence(const char *s, size_t len, size_t p)
{
    for (; p < len; p = next_line(s, len, p)) {
        size_t q = p;
        while (q < len && (s[q] == ' ' || s[q] == '\t')) q++;
        if (len - q >= 3 && !memcmp(s + q, "```", 3)) return p;
    }
    return len;
}

static int starts(const char *s, size_t len, size_t p, const char *w)
{
    size_t n = strlen(w);
    return len - p >= n && !memcmp(s + p, w, n);
}

/* The code span of an answer: [*a, *b). Returns 1 when found; *closed tells
 * whether a fenced block was closed. */
static int code_span(const char *s, size_t len, int in_fence, size_t *a, size_t *b, int *closed)
{
    size_t start;
    *closed = 0;
    if (in_fence) {
        start = 0;
    } else {
        size_t f = find_fence(s, len, 0);
        if (f < len) {
            start = next_line(s, len, f); /* skip the ```python line */
        } else {
            for (start = 0; start < len; start = next_line(s, len, start))
                if (starts(s, len, start, "def ") || starts(s, len, start, "import ") ||
                    starts(s, len, start, "from ") || starts(s, len, start, "class "))
                    break;
            if (start >= len) return 0;
            *a = start;
            *b = len;
            return 1;
        }
    }
    size_t end = find_fence(s, len, start);
    *closed = end < len;
    *a = start;
    *b = end;
    return 1;
}

int c12_quality_extract(const char *answer, size_t len, int in_fence, c12_buf *out)
{
    size_t a, b;
    int closed;
    c12_buf_reset(out);
    if (!code_span(answer, len, in_fence, &a, &b, &closed)) return 0;
    while (b > a && (answer[b - 1] == '\n' || answer[b - 1] == ' ' || answer[b - 1] == '\r')) b--;
    if (b == a) return 0;
    if (c12_buf_append(out, answer + a, b - a) || c12_buf_puts(out, "\n")) {
        c12_buf_reset(out);
        return 0;
    }
    return 1;
}

int c12_quality_answer_done(const char *answer, size_t len, int in_fence)
{
    size_t a, b;
    int closed;
    if (!in_fence && find_fence(answer, len, 0) >= len) return 0;
    return code_span(answer, len, in_fence, &a, &b, &closed) && closed;
}

c12_rc c12_quality_program(const c12_quality_task *t, const char *code, c12_buf *out, c12_err *err)
{
    c12_rc rc = c12_buf_printf(out, "%s\n%s\n", t->setup ? t->setup : "", code);
    for (size_t i = 0; !rc && i < t->n_tests; i++) rc = c12_buf_printf(out, "%s\n", t->tests[i]);
    if (rc) return c12_fail(err, rc, "eval-quality: program too long");
    return C12_OK;
}

void c12_quality_wilson(size_t k, size_t n, double z, double *lo, double *hi)
{
    if (n == 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double p = (double)k / n, z2 = z * z, dn = (double)n;
    double denom = 1 + z2 / dn;
    double center = (p + z2 / (2 * dn)) / denom;
    double half = z * sqrt(p * (1 - p) / dn + z2 / (4 * dn * dn)) / denom;
    *lo = center - half < 0 ? 0 : center - half;
    *hi = center + half > 1 ? 1 : center + half;
}

const char *c12_quality_outcome_name(c12_quality_outcome o)
{
    static const char *const names[] = {"pass", "fail", "timeout"};
    return (unsigned)o < 3 ? names[o] : "?";
}
