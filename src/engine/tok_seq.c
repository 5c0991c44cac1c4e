/* tok_seq.c - a prompt from a template's markers and plain text (see
 * c12_tok_seq in tokenizer.h): only the template decides where a special
 * token stands; text never does. */
#include <string.h>

#include "base/c12_alloc.h"
#include "tok_internal.h"

void c12_tok_seq_init(c12_tok_seq *q, const c12_tok *t)
{
    memset(q, 0, sizeof *q);
    q->t = t;
    c12_buf_init(&q->run, 0);
}

void c12_tok_seq_free(c12_tok_seq *q)
{
    c12_buf_free(&q->run);
    c12_free(q->ids.v);
    q->ids = (tok_ids){0};
}

c12_rc c12_tok_seq_text(c12_tok_seq *q, const char *s, size_t n, c12_err *err)
{
    if (c12_buf_append(&q->run, s, n)) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (prompt)");
    return C12_OK;
}

/* Tokenize the run without parsing control tokens; the markers beside it
 * swallow its edge whitespace when they are marked to (as the partition does). */
static c12_rc flush(c12_tok_seq *q, int lstrip, c12_err *err)
{
    const char *s = q->run.data;
    size_t n = q->run.len;
    for (; q->rstrip && n && tok_ascii_space((uint8_t)*s); s++) n--;
    for (; lstrip && n && tok_ascii_space((uint8_t)s[n - 1]);) n--;
    c12_rc rc = n ? tok_partition(q->t, s, n, 0, tok_raw_of(q->t), &q->ids, err) : C12_OK;
    c12_buf_reset(&q->run);
    q->rstrip = 0;
    return rc;
}

static c12_rc push_special(c12_tok_seq *q, int32_t id, c12_err *err)
{
    const c12_tok *t = q->t;
    c12_rc rc = flush(q, (t->attr[id] & TOK_ATTR_LSTRIP) != 0, err);
    if (!rc) rc = tok_ids_push(&q->ids, id, err);
    q->rstrip = (t->attr[id] & TOK_ATTR_RSTRIP) != 0;
    return rc;
}

c12_rc c12_tok_seq_marker(c12_tok_seq *q, const char *marker, c12_err *err)
{
    const c12_tok *t = q->t;
    int64_t id = tok_find_n(t, marker, strlen(marker));
    if (id < 0 || !(t->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN)))
        return c12_fail(err, C12_ERR_UNSUPPORTED, "the template's marker %s is not a special token of the vocabulary",
                        marker);
    return push_special(q, (int32_t)id, err);
}

c12_rc c12_tok_seq_tmpl(c12_tok_seq *q, const char *s, c12_err *err)
{
    const c12_tok *t = q->t;
    size_t n = strlen(s), from = 0;
    c12_rc rc = C12_OK;
    for (size_t i = 0; i < n && !rc;) {
        int32_t id = tok_special_at(t, s + i, n - i);
        if (id < 0) {
            i++;
            continue;
        }
        rc = c12_tok_seq_text(q, s + from, i - from, err);
        if (!rc) rc = push_special(q, id, err);
        i += t->len[id];
        from = i;
    }
    return rc ? rc : c12_tok_seq_text(q, s + from, n - from, err);
}

c12_rc c12_tok_seq_take(c12_tok_seq *q, int add_special, int32_t **out, size_t *n_out, c12_err *err)
{
    const c12_tok *t = q->t;
    c12_rc rc = flush(q, 0, err);
    int bos = add_special && t->add_bos, eos = add_special && t->add_eos;
    int32_t *v = rc ? NULL : c12_malloc((q->ids.n + 2) * sizeof *v);
    if (!rc && !v) rc = c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (ids)");
    if (!rc) {
        size_t n = 0;
        if (bos) v[n++] = t->bos;
        if (q->ids.n) memcpy(v + n, q->ids.v, q->ids.n * sizeof *v);
        n += q->ids.n;
        if (eos) v[n++] = t->eos;
        *out = v;
        *n_out = n;
    }
    c12_tok_seq_free(q);
    return rc;
}
