/* gen_logprobs.c - a request's `logprobs`: each generated token's entry as
 * the engine tells it (account.c's tap), kept until the text it belongs to
 * goes out, then shaped as OpenAI shapes it: chat's {"content": [{token,
 * logprob, bytes, top_logprobs}], "refusal"}, or the legacy completions'
 * {tokens, token_logprobs, top_logprobs, text_offset}. A token's text may be
 * part of a character: "bytes" has its raw bytes, "token" its text with
 * the invalid bytes as '?'. Only the generating thread touches it. */
#include <math.h>
#include <string.h>

#include "server/gen.h"

/* OpenAI's value for a probability too small to write */
#define FLOOR_LOGPROB -9999.0

static json_t *token_obj(const c12_token_logprob *t, int with_top, const c12_logprobs *lp)
{
    size_t n = t->len < sizeof t->piece ? t->len : sizeof t->piece;
    json_t *bytes = json_array();
    for (size_t i = 0; bytes && i < n; i++)
        if (json_array_append_new(bytes, json_integer((unsigned char)t->piece[i]))) {
            json_decref(bytes);
            bytes = NULL;
        }
    double v = isfinite(t->logprob) ? t->logprob : FLOOR_LOGPROB;
    json_t *o = json_pack("{s:o, s:f, s:o}", "token", c12_json_text(t->piece, n), "logprob", v, "bytes", bytes);
    if (!o || !with_top) return o;
    json_t *top = json_array();
    for (int i = 0; top && i < lp->n_top; i++)
        if (json_array_append_new(top, token_obj(&lp->top[i], 0, NULL))) {
            json_decref(top);
            top = NULL;
        }
    if (!top || json_object_set_new(o, "top_logprobs", top)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

void c12_gen_lp_add(c12_gen_job *job, const c12_logprobs *lp)
{
    c12_gen_lp *l = &job->lp;
    if (l->failed) return;
    if (!l->pending && !(l->pending = json_array())) {
        l->failed = 1;
        return;
    }
    if (json_array_append_new(l->pending, token_obj(&lp->chosen, 1, lp))) l->failed = 1;
}

/* Characters (code points) of a UTF-8 string: Python's len(), which the
 * offsets count in. */
static long chars(const char *s)
{
    long n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Chat entries -> the legacy shape; the top dict has the chosen token too
 * (so up to logprobs + 1 entries, as OpenAI's). */
static json_t *legacy(c12_gen_lp *l, json_t *entries)
{
    json_t *tokens = json_array(), *lps = json_array(), *tops = json_array(), *offs = json_array();
    json_t *out = json_pack("{s:o, s:o, s:o, s:o}", "tokens", tokens, "token_logprobs", lps, "top_logprobs", tops,
                            "text_offset", offs);
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
        json_t *tok = json_object_get(e, "token"), *lp = json_object_get(e, "logprob"), *top = json_object();
        size_t j;
        json_t *t;
        json_array_foreach(json_object_get(e, "top_logprobs"), j, t)
            if (top && !json_object_get(top, json_string_value(json_object_get(t, "token"))))
                json_object_set(top, json_string_value(json_object_get(t, "token")), json_object_get(t, "logprob"));
        if (top && !json_object_get(top, json_string_value(tok))) json_object_set(top, json_string_value(tok), lp);
        if (!out || !top || json_array_append(tokens, tok) || json_array_append(lps, lp) ||
            json_array_append_new(tops, top) || json_array_append_new(offs, json_integer(l->offset))) {
            json_decref(out);
            return NULL;
        }
        l->offset += chars(json_string_value(tok));
    }
    return out;
}

json_t *c12_gen_lp_take(c12_gen_job *job, int even_empty)
{
    c12_gen_lp *l = &job->lp;
    if (!job->q.logprobs) return json_null();
    if (l->failed) return NULL; /* out of memory: the response cannot be made */
    if (!even_empty && !json_array_size(l->pending)) return json_null();
    json_t *entries = l->pending ? l->pending : json_array();
    l->pending = NULL;
    json_t *out = job->q.kind == C12_API_CHAT ? json_pack("{s:O, s:n}", "content", entries, "refusal")
                                                : legacy(l, entries);
    json_decref(entries);
    return out;
}

void c12_gen_lp_free(c12_gen_job *job)
{
    json_decref(job->lp.pending);
    job->lp.pending = NULL;
}
