/* api_tokenize.c - POST /tokenize and /detokenize, as llama.cpp's server
 * has them (tools/server/README.md there), with the model to use as an
 * extra field, since C12 serves several: absent, null or "auto" is the
 * default model. The vocabulary comes from the model's file (vocabs.c), so
 * neither loads a model or takes a slot; neither is a generation, so
 * neither writes a ledger row.
 *
 *   /tokenize   {"content", "add_special" (false), "parse_special" (true),
 *                "with_pieces" (false), "model"} -> {"tokens": [ids]}, or
 *               with pieces [{"id", "piece"}] (piece: the text, or its bytes
 *               when they are not valid UTF-8)
 *   /detokenize {"tokens": [ids], "model"} -> {"content": text} */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "base/c12_utf8.h"
#include "server/server_impl.h"

#define PIECE_CAP 1024        /* longer than any real token's text */
#define TEXT_CAP (64u << 20)  /* a detokenized text: far more than a body's ids make */

typedef struct tok_req {
    json_t *body;
    const c12_tok *tok;
} tok_req;

static enum MHD_Result bad(struct MHD_Connection *c, const char *param, const char *code, const char *msg)
{
    return c12_http_error(c, 400, "invalid_request_error", param, code, msg);
}

/* The body and the model's vocabulary; 0 when *ret holds the error's answer. */
static int parse_body(c12_server *s, c12_req *r, struct MHD_Connection *c, tok_req *q, enum MHD_Result *ret)
{
    c12_err err;
    c12_rc rc = c12_json_parse_untrusted(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES,
                                         "the body is not valid JSON", &q->body, &err);
    if (rc == C12_ERR_NOMEM) return *ret = c12_http_error(c, 503, "server_error", NULL, "out_of_memory", "Out of memory."), 0;
    if (rc) return *ret = bad(c, "body", "invalid_json", err.msg), 0;
    if (!json_is_object(q->body)) return *ret = bad(c, "body", NULL, "the request body must be a JSON object"), 0;
    json_t *m = json_object_get(q->body, "model");
    if (m && !json_is_null(m) && !json_is_string(m))
        return *ret = bad(c, "model", NULL, "'model' must be a string (a model id)"), 0;
    const char *id = json_is_string(m) ? json_string_value(m) : "auto";
    int idx = strcmp(id, "auto") ? c12_server_model_index(s, id) : (int)s->cfg->default_model;
    if (idx < 0) {
        char msg[400], name[200];
        c12_utf8_copy(name, sizeof name, id, json_string_length(m));
        snprintf(msg, sizeof msg, "The model '%s' does not exist (GET /v1/models lists them).", name);
        return *ret = c12_http_error(c, 404, "invalid_request_error", "model", "model_not_found", msg), 0;
    }
    if ((rc = c12_vocabs_get(&s->vocabs, s->cfg, (size_t)idx, &q->tok, &err)))
        return *ret = c12_http_rc_error_h(c, rc, err.msg, NULL, NULL), 0;
    return 1;
}

/* The body parsed and its model's vocabulary found: 1; else *ret is the
 * answer and nothing is left to free. */
static int begin(c12_server *s, c12_req *r, struct MHD_Connection *c, tok_req *q, enum MHD_Result *ret)
{
    if (parse_body(s, r, c, q, ret)) return 1;
    json_decref(q->body);
    q->body = NULL;
    return 0;
}

/* A boolean field, absent or null: dflt. -1: not a boolean. */
static int flag(json_t *o, const char *k, int dflt)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) return dflt;
    return json_is_boolean(v) ? json_is_true(v) : -1;
}

/* {"id", "piece"}: the piece as text when it is valid UTF-8, else its bytes. */
static json_t *with_piece(const c12_tok *t, int32_t id)
{
    char buf[PIECE_CAP];
    size_t n = c12_tok_piece(t, id, 1, buf, sizeof buf);
    if (n > sizeof buf) n = sizeof buf;
    json_t *piece;
    if (c12_utf8_whole(buf, n)) {
        piece = json_stringn(buf, n);
    } else {
        piece = json_array();
        for (size_t i = 0; piece && i < n; i++) json_array_append_new(piece, json_integer((unsigned char)buf[i]));
    }
    return json_pack("{s:i, s:o}", "id", (int)id, "piece", piece);
}

enum MHD_Result c12_api_tokenize(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    (void)url;
    tok_req q = {0};
    enum MHD_Result ret;
    if (!begin(s, r, c, &q, &ret)) return ret;
    json_t *content = json_object_get(q.body, "content");
    int add = flag(q.body, "add_special", 0), parse = flag(q.body, "parse_special", 1);
    int pieces = flag(q.body, "with_pieces", 0);
    const char *badk = !json_is_string(content) ? "content" : add < 0 ? "add_special" : parse < 0 ? "parse_special"
                     : pieces < 0 ? "with_pieces" : NULL;
    if (badk) {
        char msg[96];
        snprintf(msg, sizeof msg, "'%s' must be %s", badk, strcmp(badk, "content") ? "a boolean" : "a string");
        json_decref(q.body);
        return bad(c, badk, NULL, msg);
    }
    int32_t *ids = NULL;
    size_t n = 0;
    c12_err err;
    c12_rc rc = c12_tok_encode(q.tok, json_string_value(content), json_string_length(content), add, parse, &ids, &n,
                               &err);
    json_t *list = rc ? NULL : json_array();
    for (size_t i = 0; list && i < n; i++)
        if (json_array_append_new(list, pieces ? with_piece(q.tok, ids[i]) : json_integer(ids[i]))) {
            json_decref(list);
            list = NULL;
        }
    c12_free(ids);
    json_decref(q.body);
    if (rc) return c12_http_rc_error_h(c, rc, err.msg, "content", NULL);
    return list ? c12_http_json(c, 200, json_pack("{s:o}", "tokens", list))
                : c12_http_error(c, 503, "server_error", NULL, "out_of_memory", "Out of memory.");
}

enum MHD_Result c12_api_detokenize(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    (void)url;
    tok_req q = {0};
    enum MHD_Result ret;
    if (!begin(s, r, c, &q, &ret)) return ret;
    json_t *tokens = json_object_get(q.body, "tokens"), *v;
    int32_t nv = c12_tok_n_vocab(q.tok);
    size_t i;
    char msg[128] = "";
    if (!json_is_array(tokens)) snprintf(msg, sizeof msg, "'tokens' must be an array of token ids");
    json_array_foreach(tokens, i, v) {
        if (msg[0]) break;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= nv)
            snprintf(msg, sizeof msg, "'tokens[%zu]' must be a token id from 0 to %d", i, (int)nv - 1);
    }
    if (msg[0]) {
        json_decref(q.body);
        return bad(c, "tokens", NULL, msg);
    }
    c12_buf text;
    c12_buf_init(&text, TEXT_CAP);
    int oom = c12_buf_puts(&text, "") != C12_OK;
    json_array_foreach(tokens, i, v) {
        char buf[PIECE_CAP];
        size_t n = c12_tok_piece(q.tok, (int32_t)json_integer_value(v), 1, buf, sizeof buf);
        if (oom || (oom = c12_buf_append(&text, buf, n < sizeof buf ? n : sizeof buf) != C12_OK)) break;
    }
    json_decref(q.body);
    json_t *out = oom ? NULL : json_pack("{s:o}", "content", c12_json_text(text.data, text.len));
    c12_buf_free(&text);
    return out ? c12_http_json(c, 200, out)
               : c12_http_error(c, 503, "server_error", NULL, "out_of_memory", "Out of memory.");
}
