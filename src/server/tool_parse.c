/* tool_parse.c - tool calls read out of a model's output (tool_parse.h). */
#include <jansson.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "server/tool_parse.h"

void c12_toolp_init(c12_toolp *p, size_t limit)
{
    memset(p, 0, sizeof *p);
    c12_buf_init(&p->hold, limit);
}

void c12_toolp_free(c12_toolp *p) { c12_buf_free(&p->hold); }

static int space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

static c12_rc stopped(c12_err *err) { return c12_fail(err, C12_ERR_CANCELLED, "tool calls: stopped by the reader"); }

/* Drop the first n held bytes. */
static void consume(c12_toolp *p, size_t n)
{
    if (!n) return;
    memmove(p->hold.data, p->hold.data + n, p->hold.len - n);
    p->hold.len -= n;
    if (p->hold.data) p->hold.data[p->hold.len] = '\0';
}

static c12_rc tell_text(c12_toolp *p, const char *s, size_t n, const c12_toolp_cbs *cb, c12_err *err)
{
    if (!n) return C12_OK;
    p->told_text = 1;
    p->after_call = 0;
    return cb->text(cb->ud, s, n) ? stopped(err) : C12_OK;
}

/* The arguments of a call as JSON text, or NULL: an object, or a string
 * that holds one (some models quote them). */
static char *arguments(json_t *a)
{
    json_t *parsed = NULL;
    if (json_is_string(a)) {
        c12_err e;
        if (c12_json_parse(json_string_value(a), json_string_length(a), JSON_REJECT_DUPLICATES, "arguments", &parsed,
                           &e))
            return NULL;
        a = parsed;
    }
    char *s = json_is_object(a) ? json_dumps(a, 0) : NULL;
    json_decref(parsed);
    return s;
}

/* The inside of a block as a call: 1 told, 0 not a call, -1 stopped. */
static int try_call(c12_toolp *p, const char *s, size_t n, const c12_toolp_cbs *cb)
{
    json_t *o = NULL;
    c12_err e;
    if (c12_json_parse(s, n, JSON_REJECT_DUPLICATES, "tool call", &o, &e)) return 0;
    json_t *name = json_object_get(o, "name"), *a = json_object_get(o, "arguments");
    char *args = json_is_string(name) && json_string_length(name) && strlen(json_string_value(name)) ==
                 json_string_length(name) ? arguments(a) : NULL;
    int r = 0;
    if (args) r = cb->call(cb->ud, p->n_calls++, json_string_value(name), args) ? -1 : 1;
    if (args) p->after_call = 1;
    c12_free(args);
    json_decref(o);
    return r;
}

/* A block's inside (n bytes held) ends: a call, or its text. */
static c12_rc close_block(c12_toolp *p, size_t n, size_t skip, const c12_toolp_cbs *cb, c12_err *err)
{
    int r = try_call(p, p->hold.data, n, cb);
    if (r < 0) return stopped(err);
    c12_rc rc = C12_OK;
    if (!r) {
        rc = tell_text(p, C12_TOOLP_TAG, strlen(C12_TOOLP_TAG), cb, err);
        if (!rc) rc = tell_text(p, p->hold.data, n + skip, cb, err);
    }
    consume(p, n + skip);
    p->in_call = 0;
    return rc;
}

/* The longest end of s[0..n) that may begin `tag`. */
static size_t partial(const char *s, size_t n, const char *tag)
{
    size_t t = strlen(tag);
    for (size_t k = n < t - 1 ? n : t - 1; k; k--)
        if (!memcmp(s + n - k, tag, k)) return k;
    return 0;
}

/* Text held outside a block: told up to a tag (or a possible start of
 * one), whitespace before a tag and right after a call dropped. */
static c12_rc scan_text(c12_toolp *p, const c12_toolp_cbs *cb, int *more, c12_err *err)
{
    const char *d = p->hold.data;
    size_t n = p->hold.len, lead = 0;
    if (p->after_call)
        while (lead < n && space(d[lead])) lead++; /* right after a call */
    const char *tag = memmem(d + lead, n - lead, C12_TOOLP_TAG, strlen(C12_TOOLP_TAG));
    size_t upto = tag ? (size_t)(tag - d) : n - partial(d, n, C12_TOOLP_TAG), keep = upto;
    while (keep > lead && space(d[keep - 1])) keep--; /* maybe before a tag: held */
    c12_rc rc = tell_text(p, d + lead, keep - lead, cb, err);
    if (rc) return rc;
    if (!tag) {
        consume(p, keep > lead ? keep : lead);
        *more = 0;
        return C12_OK;
    }
    consume(p, upto + strlen(C12_TOOLP_TAG));
    p->in_call = 1;
    *more = 1;
    return C12_OK;
}

static c12_rc scan(c12_toolp *p, const c12_toolp_cbs *cb, c12_err *err)
{
    int more = 1;
    while (more) {
        if (!p->in_call) {
            c12_rc rc = scan_text(p, cb, &more, err);
            if (rc) return rc;
            continue;
        }
        const char *end = p->hold.len ? memmem(p->hold.data, p->hold.len, C12_TOOLP_END, strlen(C12_TOOLP_END)) : NULL;
        if (!end) return C12_OK;
        c12_rc rc = close_block(p, (size_t)(end - p->hold.data), strlen(C12_TOOLP_END), cb, err);
        if (rc) return rc;
    }
    return C12_OK;
}

c12_rc c12_toolp_feed(c12_toolp *p, const char *s, size_t n, const c12_toolp_cbs *cb, c12_err *err)
{
    while (n) {
        size_t room = p->hold.limit ? p->hold.limit - p->hold.len : n;
        size_t k = n < room ? n : room;
        if (!k) { /* a block too long to hold: it was text */
            c12_rc rc = p->in_call ? close_block(p, p->hold.len, 0, cb, err) : tell_text(p, p->hold.data, p->hold.len,
                                                                                        cb, err);
            if (!p->in_call) consume(p, p->hold.len);
            if (rc) return rc;
            continue;
        }
        if (c12_buf_append(&p->hold, s, k)) return c12_fail(err, C12_ERR_NOMEM, "tool calls: out of memory");
        s += k, n -= k;
        c12_rc rc = scan(p, cb, err);
        if (rc) return rc;
    }
    return C12_OK;
}

c12_rc c12_toolp_end(c12_toolp *p, const c12_toolp_cbs *cb, c12_err *err)
{
    if (p->in_call) {
        c12_rc rc = close_block(p, p->hold.len, 0, cb, err);
        if (rc) return rc;
    }
    const char *d = p->hold.data;
    size_t n = p->hold.len, lead = 0;
    if (p->after_call)
        while (lead < n && space(d[lead])) lead++; /* only whitespace after the calls: dropped */
    c12_rc rc = tell_text(p, d ? d + lead : "", n > lead ? n - lead : 0, cb, err);
    consume(p, p->hold.len);
    return rc;
}
