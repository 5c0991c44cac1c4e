/* answer.c - scoring a reply against accepted answers (general-category
 * rows of eval-quality) or key spans (grounded rows): the prompt, where the
 * final answer sits in a reply, normalisation and matching. Pure functions
 * over the reply's bytes: nothing a model writes is ever run. */
#include <string.h>

#include "quality/quality.h"

c12_rc c12_quality_answer_prompt(const c12_quality_task *t, int completion, c12_buf *out, c12_err *err)
{
    c12_rc rc;
    /* A base model cannot follow an instruction about the format, so it gets
     * the plain question-and-answer form and completes the answer line; a
     * chat model is asked for its working (without it, multi-step problems
     * measure guessing: "keep it short" made qwen2.5 answer 2/20 medium
     * rows at once) and a last line we can find. */
    if (completion)
        rc = c12_buf_printf(out, "Question: %s\nAnswer:", t->text);
    else
        rc = c12_buf_printf(out, "%s\n\nSolve it briefly, showing the key steps. Then end with the final answer "
                                 "alone on the last line, written as \"Answer: <answer>\".", t->text);
    if (rc) return c12_fail(err, rc, "eval-quality: prompt too long");
    return C12_OK;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* End of the line starting at p (the '\n' or len). */
static size_t line_end(const char *s, size_t len, size_t p)
{
    const char *nl = memchr(s + p, '\n', len - p);
    return nl ? (size_t)(nl - s) : len;
}

/* A line without a letter or digit ("", ":", "**") holds no answer. */
static int blank(const char *s, size_t a, size_t b)
{
    while (a < b && !is_alpha(s[a]) && !is_digit(s[a])) a++;
    return a == b;
}

/* Whether s[i..] starts with the lowercase word w (any case). */
static int word_at(const char *s, size_t len, size_t i, const char *w)
{
    size_t n = strlen(w);
    if (len - i < n) return 0;
    for (size_t k = 0; k < n; k++)
        if (lower(s[i + k]) != w[k]) return 0;
    return i + n == len || !(is_alpha(s[i + n]) || is_digit(s[i + n]));
}

/* Position just after the last marker "answer:" or "answer is" (any case,
 * "**Answer:**" too); 0 when none (0 can never follow a marker). */
static size_t after_marker(const char *s, size_t len)
{
    size_t found = 0;
    for (size_t i = 0; i < len; i++) {
        if ((i && is_alpha(s[i - 1])) || !word_at(s, len, i, "answer")) continue;
        size_t j = i + 6;
        while (j < len && (s[j] == ' ' || s[j] == '*')) j++;
        if (j < len && s[j] == ':') found = j + 1;
        else if (j < len && word_at(s, len, j, "is")) found = j + 2; /* "is:" too: ':' holds no answer */
    }
    return found;
}

/* Skip a list enumerator at the start of a line ("4. ", "2) ", "Step 5: "):
 * its number is not an answer. */
static size_t skip_enumerator(const char *s, size_t a, size_t b)
{
    size_t p = a;
    while (p < b && is_space(s[p])) p++;
    if (word_at(s, b, p, "step")) {
        p += 4;
        while (p < b && s[p] == ' ') p++;
    }
    size_t d = p;
    while (p < b && is_digit(s[p])) p++;
    if (p > d && p + 1 < b && (s[p] == '.' || s[p] == ')' || s[p] == ':') && s[p + 1] == ' ') return p + 2;
    return a;
}

/* First non-blank line at or after p: [*a, *b); 0 when none. */
static int first_line(const char *s, size_t len, size_t p, size_t *a, size_t *b)
{
    while (p < len) {
        size_t e = line_end(s, len, p);
        if (!blank(s, p, e)) {
            *a = p;
            *b = e;
            return 1;
        }
        p = e + 1;
    }
    return 0;
}

void c12_quality_answer_span(const char *reply, size_t len, int completion, size_t *off, size_t *n)
{
    size_t a = 0, b = 0, m = completion ? 0 : after_marker(reply, len);
    if (completion || m) {
        /* the answer line (the prompt ended with "Answer:" for a base
         * model); an empty rest of the marker's line: the next line */
        size_t e = line_end(reply, len, m);
        if (!blank(reply, m, e)) a = m, b = e;
        else if (!first_line(reply, len, e, &a, &b)) a = b = len;
    } else {
        /* no marker: the last non-blank line, without a list number */
        for (size_t p = 0; p < len;) {
            size_t e = line_end(reply, len, p);
            if (!blank(reply, p, e)) a = p, b = e;
            p = e + 1;
        }
        a = skip_enumerator(reply, a, b);
    }
    *off = a;
    *n = b - a;
}

int c12_quality_has_answer_line(const char *reply, size_t len)
{
    return after_marker(reply, len) > 0;
}

int c12_quality_reply_done(const char *reply, size_t len, int completion)
{
    size_t m = completion ? 0 : after_marker(reply, len);
    if (!completion && !m) return 0;
    /* the answer line is complete once a newline follows some text */
    for (size_t p = m; p < len;) {
        size_t e = line_end(reply, len, p);
        if (e == len) return 0;
        if (!blank(reply, p, e)) return 1;
        p = e + 1;
    }
    return 0;
}

static const char *const k_number_words[] = {"zero",    "one",     "two",       "three",    "four",
                                             "five",    "six",     "seven",     "eight",    "nine",
                                             "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                             "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                                             "twenty"};

/* Append one word token (lowercased; number words as digits). */
static c12_rc put_word(c12_buf *out, const char *w, size_t n)
{
    char tmp[16];
    if (n < sizeof tmp) {
        for (size_t i = 0; i < n; i++) tmp[i] = lower(w[i]);
        tmp[n] = 0;
        for (size_t i = 0; i < sizeof k_number_words / sizeof *k_number_words; i++)
            if (!strcmp(tmp, k_number_words[i])) return c12_buf_printf(out, "%zu ", i);
    }
    for (size_t i = 0; i < n; i++) {
        char c = lower(w[i]);
        c12_rc rc = c12_buf_append(out, &c, 1);
        if (rc) return rc;
    }
    return c12_buf_append(out, " ", 1);
}

/* Read a number at s[p] (a digit): integer part with optional thousands
 * commas ("1,200"), optional decimals. Appends its canonical form (no
 * separators, no leading zeros, no trailing decimal zeros) and returns the
 * position after it. */
static size_t put_number(const char *s, size_t len, size_t p, int neg, c12_buf *out, c12_rc *rc)
{
    char digits[64];
    size_t n = 0, q = p;
    for (;;) {
        while (q < len && is_digit(s[q])) {
            if (n < 40) digits[n++] = s[q]; /* longer numbers compare on 40 digits */
            q++;
        }
        /* a comma followed by exactly three digits groups thousands */
        if (q + 3 < len && s[q] == ',' && is_digit(s[q + 1]) && is_digit(s[q + 2]) && is_digit(s[q + 3]) &&
            (q + 4 == len || !is_digit(s[q + 4])))
            q++;
        else
            break;
    }
    size_t lead = 0;
    while (lead + 1 < n && digits[lead] == '0') lead++;
    size_t int_end = n;
    if (q + 1 < len && s[q] == '.' && is_digit(s[q + 1])) {
        digits[n++] = '.';
        q++;
        while (q < len && is_digit(s[q])) {
            if (n < 62) digits[n++] = s[q];
            q++;
        }
        while (n > int_end + 1 && digits[n - 1] == '0') n--;
        if (n == int_end + 1) n = int_end; /* "12.0" is 12 */
    }
    *rc = c12_buf_printf(out, "%s%.*s ", neg ? "-" : "", (int)(n - lead), digits + lead);
    return q;
}

c12_rc c12_quality_normalize(const char *s, size_t len, c12_buf *out)
{
    c12_buf_reset(out);
    c12_rc rc = c12_buf_append(out, " ", 1); /* every token is " tok " */
    size_t p = 0;
    while (!rc && p < len) {
        char c = s[p];
        if (is_digit(c)) {
            /* a minus sign counts only in front of a number, not in "a-5" */
            int neg = p > 0 && s[p - 1] == '-' && (p < 2 || !(is_alpha(s[p - 2]) || is_digit(s[p - 2])));
            p = put_number(s, len, p, neg, out, &rc);
        } else if (is_alpha(c)) {
            size_t q = p;
            while (q < len && (is_alpha(s[q]) || is_digit(s[q]))) q++;
            rc = put_word(out, s + p, q - p);
            p = q;
        } else {
            p++; /* punctuation, spaces and non-ASCII bytes separate tokens */
        }
    }
    return rc;
}

/* Whether a normalised text (" tok tok ") holds a number token. */
static int has_number(const char *t)
{
    for (; *t; t++)
        if (t[0] == ' ' && (is_digit(t[1]) || (t[1] == '-' && is_digit(t[2])))) return 1;
    return 0;
}

/* Whether want (normalised) is in got as whole tokens; with last_number, a
 * numeric answer counts only where no number follows it, so that a list ("1,
 * 2, ... 42, 43") or working after the answer ("48 = 120 / 2.5") does not
 * pass. */
static int holds(const char *got, const char *want, int last_number)
{
    int numeric = last_number && has_number(want);
    size_t n = strlen(want);
    for (const char *p = strstr(got, want); p; p = strstr(p + 1, want))
        if (!numeric || !has_number(p + n - 1)) return 1;
    return 0;
}

/* *matched when s[0..n), normalised, holds any answer, normalised. */
static c12_rc match_text(const char *s, size_t n, int last_number, char *const *answers, size_t n_answers,
                         int *matched, c12_err *err)
{
    c12_buf got, want;
    c12_buf_init(&got, 1u << 20);
    c12_buf_init(&want, 1u << 16);
    *matched = 0;
    c12_rc rc = c12_quality_normalize(s, n, &got);
    for (size_t i = 0; !rc && !*matched && i < n_answers; i++) {
        rc = c12_quality_normalize(answers[i], strlen(answers[i]), &want);
        /* whole tokens: " 8 " is in " 48 km " only as a token */
        if (!rc && want.len > 1 && holds(got.data, want.data, last_number)) *matched = 1;
    }
    c12_buf_free(&got);
    c12_buf_free(&want);
    if (rc) return c12_fail(err, rc, "eval-quality: answer too long to match");
    return C12_OK;
}

c12_rc c12_quality_match(const char *reply, size_t len, int completion, char *const *answers, size_t n_answers,
                         int *matched, c12_err *err)
{
    size_t off, n;
    c12_quality_answer_span(reply, len, completion, &off, &n);
    return match_text(reply + off, n, 1, answers, n_answers, matched, err);
}

c12_rc c12_quality_grounded_prompt(const c12_quality_task *t, int completion, c12_buf *out, c12_err *err)
{
    /* the question about the passage is the user's own prompt: a chat model
     * gets it unchanged, as the router would pass it on */
    if (completion) return c12_quality_answer_prompt(t, 1, out, err);
    c12_rc rc = c12_buf_puts(out, t->text);
    return rc ? c12_fail(err, rc, "eval-quality: prompt too long") : C12_OK;
}

void c12_quality_grounded_span(const char *reply, size_t len, int completion, size_t *off, size_t *n)
{
    if (completion) {
        c12_quality_answer_span(reply, len, 1, off, n);
        return;
    }
    *off = 0;
    *n = len;
}

int c12_quality_grounded_done(const char *reply, size_t len, int completion)
{
    return completion && c12_quality_reply_done(reply, len, 1);
}

c12_rc c12_quality_match_grounded(const char *reply, size_t len, int completion, char *const *answers,
                                  size_t n_answers, int *matched, c12_err *err)
{
    size_t off, n;
    c12_quality_grounded_span(reply, len, completion, &off, &n);
    return match_text(reply + off, n, 0, answers, n_answers, matched, err);
}
