/* tool_json.c - JSON written as Jinja2's `tojson` filter writes it, which is
 * how Qwen2.5's chat template puts tools and call arguments in the prompt:
 * Python's json.dumps with sorted keys, ", " and ": " separators, every
 * non-ASCII character as \uXXXX (UTF-16), and <, >, & and ' escaped too
 * (Jinja's HTML-safe dumps). Matching it byte for byte keeps C12's prompt
 * the one the model's own template renders (tests/integration/test_tools.py
 * compares them). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "server/api_tools.h"

static c12_rc uesc(c12_buf *b, unsigned u) { return c12_buf_printf(b, "\\u%04x", u); }

/* The next code point of valid UTF-8 (jansson checked it). */
static unsigned next_cp(const unsigned char **p)
{
    const unsigned char *s = *p;
    unsigned c = *s;
    int n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    unsigned cp = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;
    for (int i = 1; i <= n; i++) cp = (cp << 6) | (s[i] & 0x3F);
    *p = s + n + 1;
    return cp;
}

static c12_rc string(c12_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    c12_rc rc = c12_buf_puts(b, "\"");
    while (!rc && p < e) {
        unsigned c = next_cp(&p);
        const char *short_esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                              : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
        if (short_esc) rc = c12_buf_puts(b, short_esc);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\'' || (c > 0x7E && c < 0x10000))
            rc = uesc(b, c);
        else if (c >= 0x10000) {
            rc = uesc(b, 0xD800 + ((c - 0x10000) >> 10));
            if (!rc) rc = uesc(b, 0xDC00 + ((c - 0x10000) & 0x3FF));
        } else {
            char ch = (char)c;
            rc = c12_buf_append(b, &ch, 1);
        }
    }
    return rc ? rc : c12_buf_puts(b, "\"");
}

/* Python's repr of a float: the shortest digits that read back the same,
 * positional from 1e-4 up to 1e16, else with an exponent of two digits or
 * more. */
static c12_rc real(c12_buf *b, double d)
{
    if (!isfinite(d)) return c12_buf_puts(b, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    char e[40];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, d);
        if (strtod(e, NULL) == d) break;
    }
    snprintf(e, sizeof e, "%.*e", prec - 1, d);
    int exp = atoi(strchr(e, 'e') + 1);
    if (exp < -4 || exp >= 16) return c12_buf_puts(b, e);
    char f[400];
    int decimals = prec - 1 - exp > 0 ? prec - 1 - exp : 0;
    snprintf(f, sizeof f, "%.*f", decimals, d);
    c12_rc rc = c12_buf_puts(b, f);
    return !rc && !strchr(f, '.') ? c12_buf_puts(b, ".0") : rc;
}

static int by_key(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static c12_rc value(c12_buf *b, const json_t *v, int depth);

static c12_rc object(c12_buf *b, const json_t *v, int depth)
{
    size_t n = json_object_size(v), k = 0;
    const char **keys = n ? c12_malloc(n * sizeof *keys) : NULL;
    if (n && !keys) return C12_ERR_NOMEM;
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) keys[k++] = key;
    if (n) qsort(keys, n, sizeof *keys, by_key);
    c12_rc rc = c12_buf_puts(b, "{");
    for (size_t i = 0; i < n && !rc; i++) {
        if (i) rc = c12_buf_puts(b, ", ");
        if (!rc) rc = string(b, keys[i], strlen(keys[i]));
        if (!rc) rc = c12_buf_puts(b, ": ");
        if (!rc) rc = value(b, json_object_get(v, keys[i]), depth + 1);
    }
    c12_free(keys);
    return rc ? rc : c12_buf_puts(b, "}");
}

static c12_rc value(c12_buf *b, const json_t *v, int depth)
{
    if (depth > 64) return C12_ERR_RANGE; /* jansson's own parse depth caps requests lower */
    size_t i;
    json_t *x;
    c12_rc rc = C12_OK;
    switch (json_typeof(v)) {
    case JSON_OBJECT: return object(b, v, depth);
    case JSON_ARRAY:
        rc = c12_buf_puts(b, "[");
        json_array_foreach((json_t *)v, i, x) {
            if (!rc && i) rc = c12_buf_puts(b, ", ");
            if (!rc) rc = value(b, x, depth + 1);
        }
        return rc ? rc : c12_buf_puts(b, "]");
    case JSON_STRING: return string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return c12_buf_printf(b, "%lld", (long long)json_integer_value(v));
    case JSON_REAL: return real(b, json_real_value(v));
    case JSON_TRUE: return c12_buf_puts(b, "true");
    case JSON_FALSE: return c12_buf_puts(b, "false");
    default: return c12_buf_puts(b, "null");
    }
}

c12_rc c12_tool_tojson(const json_t *v, char **out, c12_err *err)
{
    c12_buf b;
    c12_buf_init(&b, 0);
    c12_rc rc = value(&b, v, 0);
    if (rc) {
        c12_buf_free(&b);
        return c12_fail(err, rc == C12_ERR_RANGE ? C12_ERR_INVALID : C12_ERR_NOMEM,
                        rc == C12_ERR_RANGE ? "a tool's JSON is nested too deeply" : "out of memory");
    }
    *out = c12_buf_take(&b);
    return C12_OK;
}
