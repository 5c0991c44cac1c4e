/* c12_json.c - jansson through c12_alloc. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_file.h"
#include "base/c12_json.h"
#include "base/c12_utf8.h"

/* jansson reports a failed allocation during parsing as a syntax error, so
 * its allocator notes failures here, per thread, for the one parse running
 * on that thread (the only mutable state of the module: jansson offers no
 * per-call allocator). */
static _Thread_local int json_oom;

static void *json_alloc(size_t n)
{
    void *p = c12_malloc(n);
    if (!p) json_oom = 1;
    return p;
}

void c12_json_init(void) { json_set_alloc_funcs(json_alloc, c12_free); }

c12_rc c12_json_parse(const char *text, size_t len, size_t flags, const char *what, json_t **out, c12_err *err)
{
    json_error_t je;
    json_oom = 0;
    json_t *root = json_loadb(text, len, flags, &je);
    if (root) {
        *out = root;
        return C12_OK;
    }
    if (json_oom || json_error_code(&je) == json_error_out_of_memory)
        return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", what);
    return c12_fail(err, C12_ERR_FORMAT, "%s: malformed JSON at line %d column %d: %s", what, je.line, je.column,
                    je.text);
}

c12_rc c12_json_parse_untrusted(const char *text, size_t len, size_t flags, const char *what, json_t **out,
                                c12_err *err)
{
    c12_rc rc = c12_json_parse(text, len, flags, what, out, err);
    char *quote = rc == C12_ERR_FORMAT ? strstr(err->msg, " near '") : NULL;
    if (quote) *quote = '\0';
    return rc;
}

c12_rc c12_json_put_real(c12_buf *b, double v)
{
    if (!isfinite(v)) return C12_ERR_INVALID;
    char t[40];
    int n = snprintf(t, sizeof t, "%.17g", v);
    if (n < 0 || (size_t)n >= sizeof t - 3) return C12_ERR_INVALID;
    if (!strchr(t, '.') && !strchr(t, 'e')) memcpy(t + n, ".0", 3), n += 2; /* else it reads back as an integer */
    char *e = strchr(t, 'e');
    if (e) { /* "e+05" -> "e5", "e-05" -> "e-5" */
        char *from = e + 1 + (e[1] == '+'), *to = e + 1 + (e[1] == '-');
        from += e[1] == '-';
        while (*from == '0' && from[1]) from++;
        memmove(to, from, strlen(from) + 1);
        n = (int)strlen(t);
    }
    return c12_buf_append(b, t, (size_t)n);
}

c12_rc c12_json_put_key(c12_buf *b, const char *key)
{
    c12_rc rc = c12_buf_append(b, ",\"", 2);
    if (!rc) rc = c12_buf_puts(b, key);
    return rc ? rc : c12_buf_append(b, "\":", 2);
}

static int put_dump(const char *s, size_t n, void *ud) { return c12_buf_append(ud, s, n) ? -1 : 0; }

c12_rc c12_json_put_value(c12_buf *b, const json_t *v)
{
    return json_dump_callback(v, put_dump, b, JSON_COMPACT | JSON_ENCODE_ANY) ? C12_ERR_NOMEM : C12_OK;
}

c12_rc c12_json_load_file(const char *path, size_t max, size_t flags, json_t **out, c12_err *err)
{
    char *text;
    size_t len;
    c12_rc rc = c12_read_file(path, max, &text, &len, err);
    if (rc) return rc;
    rc = c12_json_parse(text, len, flags, path, out, err);
    c12_free(text);
    return rc;
}

/* The escapes jansson writes (dump.c): the two mandatory ones, the five
 * short ones, \u00XX (upper case) for the other control characters, and
 * everything else as it is ('/' and non-ASCII included). */
static c12_rc put_escaped(c12_buf *b, const char *s, size_t n)
{
    size_t run = 0; /* bytes copied as they are, pending */
    c12_rc rc = C12_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        rc = c12_buf_append(b, s + run, i - run);
        const char *e = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                      : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
        if (!rc) rc = e ? c12_buf_puts(b, e) : c12_buf_printf(b, "\\u%04X", c);
        run = i + 1;
    }
    return rc ? rc : c12_buf_append(b, s + run, n - run);
}

c12_rc c12_json_put_string(c12_buf *b, const char *s, size_t n)
{
    n = strnlen(s, n);
    c12_rc rc = c12_buf_append(b, "\"", 1);
    if (!rc && c12_utf8_whole(s, n)) rc = put_escaped(b, s, n); /* (no NUL before n: strnlen) */
    else if (!rc) {
        char *fixed = c12_malloc(n + 1);
        if (!fixed) return C12_ERR_NOMEM;
        rc = put_escaped(b, fixed, c12_utf8_copy(fixed, n + 1, s, n));
        c12_free(fixed);
    }
    return rc ? rc : c12_buf_append(b, "\"", 1);
}
