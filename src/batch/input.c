/* input.c - Batch API input files (see input.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "batch/input.h"

static const char *const URLS[C12_BATCH_ENDPOINTS] = {"/v1/chat/completions", "/v1/completions"};

const char *c12_batch_endpoint_url(c12_batch_endpoint e) { return (unsigned)e < C12_BATCH_ENDPOINTS ? URLS[e] : "?"; }

int c12_batch_endpoint_parse(const char *url)
{
    for (int i = 0; url && i < C12_BATCH_ENDPOINTS; i++)
        if (!strcmp(url, URLS[i])) return i;
    return -1;
}

/* custom_ids seen so far, with their lines: sorted at the end to find a
 * repeat (50,000 lines: cheaper than a set kept as the lines come). */
typedef struct seen {
    char *id;
    size_t line;
} seen;

static int by_id(const void *a, const void *b)
{
    const seen *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

typedef struct reader {
    const c12_batch_input_rules *r;
    c12_batch_line_fn each;
    void *ud;
    seen *ids;
    size_t n, cap;
    c12_batch_input_stats st;
} reader;

/* The envelope of one parsed line: its endpoint, or an error. */
static c12_rc envelope(const reader *rd, json_t *o, size_t line, const char **id, int *ep, json_t **body,
                       c12_err *err)
{
    if (!json_is_object(o)) return c12_fail(err, C12_ERR_FORMAT, "line %zu: not a JSON object", line);
    json_t *cid = json_object_get(o, "custom_id"), *method = json_object_get(o, "method");
    json_t *url = json_object_get(o, "url");
    *body = json_object_get(o, "body");
    if (!json_is_string(cid) || !json_string_length(cid))
        return c12_fail(err, C12_ERR_FORMAT, "line %zu: \"custom_id\" must be a non-empty string", line);
    if (json_string_length(cid) > C12_BATCH_CUSTOM_ID_MAX || strlen(json_string_value(cid)) != json_string_length(cid))
        return c12_fail(err, C12_ERR_FORMAT, "line %zu: \"custom_id\" is longer than %d bytes or holds NUL", line,
                        C12_BATCH_CUSTOM_ID_MAX);
    if (!json_is_string(method) || strcmp(json_string_value(method), "POST"))
        return c12_fail(err, C12_ERR_FORMAT, "line %zu: \"method\" must be \"POST\"", line);
    *ep = c12_batch_endpoint_parse(json_string_value(url));
    if (*ep < 0)
        return c12_fail(err, C12_ERR_FORMAT, "line %zu: \"url\" must be /v1/chat/completions or /v1/completions", line);
    if (rd->r->only_endpoint >= 0 && *ep != rd->r->only_endpoint)
        return c12_fail(err, C12_ERR_FORMAT, "line %zu: \"url\" is %s, but the batch's endpoint is %s", line,
                        URLS[*ep], URLS[rd->r->only_endpoint]);
    if (!json_is_object(*body)) return c12_fail(err, C12_ERR_FORMAT, "line %zu: \"body\" must be an object", line);
    *id = json_string_value(cid);
    return C12_OK;
}

static c12_rc remember(reader *rd, const char *id, size_t line, c12_err *err)
{
    if (rd->n == rd->cap) {
        size_t nc = rd->cap ? rd->cap * 2 : 256;
        seen *ns = c12_realloc(rd->ids, nc * sizeof *ns);
        if (!ns) return c12_fail(err, C12_ERR_NOMEM, "batch input: out of memory");
        rd->ids = ns;
        rd->cap = nc;
    }
    if (!(rd->ids[rd->n].id = c12_strdup(id))) return c12_fail(err, C12_ERR_NOMEM, "batch input: out of memory");
    rd->ids[rd->n++].line = line;
    return C12_OK;
}

static c12_rc one_line(reader *rd, const char *s, size_t n, size_t line, c12_err *err)
{
    size_t max = rd->r->max_lines ? rd->r->max_lines : C12_BATCH_LINES_MAX;
    if (rd->st.lines == max) return c12_fail(err, C12_ERR_FORMAT, "line %zu: more than %zu requests", line, max);
    json_t *o = NULL, *body = NULL;
    char what[32];
    snprintf(what, sizeof what, "line %zu", line);
    c12_rc rc = c12_json_parse(s, n, JSON_REJECT_DUPLICATES, what, &o, err);
    const char *id = NULL;
    int ep = -1;
    char *text = NULL, msg[256] = "";
    if (!rc) rc = envelope(rd, o, line, &id, &ep, &body, err);
    if (!rc && !(text = json_dumps(body, JSON_COMPACT)))
        rc = c12_fail(err, C12_ERR_NOMEM, "batch input: out of memory");
    if (!rc && rd->r->check_body && rd->r->check_body(rd->r->ctx, (c12_batch_endpoint)ep, text, strlen(text), msg, sizeof msg))
        rc = c12_fail(err, C12_ERR_FORMAT, "line %zu: %s", line, msg);
    if (!rc) rc = remember(rd, id, line, err);
    if (!rc && rd->each && rd->each(rd->ud, line, id, (c12_batch_endpoint)ep, text, msg, sizeof msg))
        rc = c12_fail(err, C12_ERR_IO, "line %zu: %s", line, msg);
    if (!rc) {
        rd->st.lines++;
        rd->st.by_endpoint[ep]++;
    }
    free(text); /* json_dumps' buffer comes from jansson's allocator: c12_malloc, freed by free() */
    json_decref(o);
    return rc;
}

static c12_rc unique(reader *rd, c12_err *err)
{
    qsort(rd->ids, rd->n, sizeof *rd->ids, by_id);
    for (size_t i = 1; i < rd->n; i++)
        if (!strcmp(rd->ids[i].id, rd->ids[i - 1].id))
            return c12_fail(err, C12_ERR_FORMAT, "line %zu: \"custom_id\" \"%.64s\" was used on line %zu already",
                            rd->ids[i].line, rd->ids[i].id, rd->ids[i - 1].line);
    return C12_OK;
}

c12_rc c12_batch_input_read(const char *data, size_t len, const c12_batch_input_rules *r, c12_batch_line_fn each,
                            void *ud, c12_batch_input_stats *st, c12_err *err)
{
    reader rd = {.r = r, .each = each, .ud = ud};
    c12_rc rc = C12_OK;
    size_t line = 0;
    for (size_t at = 0; !rc && at < len;) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (data + at)) : len - at;
        line++;
        size_t blank = 0;
        while (blank < n && strchr(" \t\r", data[at + blank])) blank++;
        if (blank < n) rc = one_line(&rd, data + at, n, line, err);
        at += n + 1;
    }
    if (!rc && rd.st.lines == 0) rc = c12_fail(err, C12_ERR_INVALID, "the file holds no request");
    if (!rc) rc = unique(&rd, err);
    for (size_t i = 0; i < rd.n; i++) c12_free(rd.ids[i].id);
    c12_free(rd.ids);
    if (!rc) *st = rd.st;
    return rc;
}
