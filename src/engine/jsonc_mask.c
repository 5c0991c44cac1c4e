/* jsonc_mask.c - which tokens may come next under constrained decoding.
 *
 * The vocabulary's token byte strings are sorted once per model, each with
 * the length of the prefix it shares with the one before: walking them in
 * order is a depth-first walk of their trie. The automaton is fed a token's
 * bytes after that shared prefix only, and walked back (an undo record per
 * byte, the top frames alone) to where the next token leaves the path; a
 * token refused at byte k lets every following token with the same first
 * k+1 bytes be skipped unfed. So shared prefixes are checked once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "jsonc_impl.h"
#include "model.h"
#include "tok_internal.h"

struct c12_jsonc_vocab {
    int n_vocab;      /* the tokenizer's tokens (at most n_logits) */
    int n_logits;     /* the model's output rows: ids past n_vocab are never allowed */
    int n;            /* tokens walked */
    int32_t *ids;     /* [n] in byte order */
    uint32_t *off;    /* [n] into pool */
    uint16_t *len;    /* [n] */
    uint16_t *lcp;    /* [n] bytes shared with the token before */
    char *pool;
    int32_t *banned;  /* special tokens, empty or overlong ones: never allowed */
    int n_banned;
    int32_t *eog;     /* allowed once the value is complete */
    int n_eog;
};

typedef struct sort_cx {
    const char *pool;
    const uint32_t *off;
    const uint16_t *len;
} sort_cx;

static int by_bytes(const void *a, const void *b, void *ud)
{
    const sort_cx *c = ud;
    int x = *(const int *)a, y = *(const int *)b;
    size_t lx = c->len[x], ly = c->len[y];
    int r = memcmp(c->pool + c->off[x], c->pool + c->off[y], lx < ly ? lx : ly);
    return r ? r : (lx > ly) - (lx < ly);
}

void c12_jsonc_vocab_free(c12_jsonc_vocab *v)
{
    if (!v) return;
    c12_free(v->ids);
    c12_free(v->off);
    c12_free(v->len);
    c12_free(v->lcp);
    c12_free(v->pool);
    c12_free(v->banned);
    c12_free(v->eog);
    c12_free(v);
}

/* Special tokens never appear inside JSON; only the end-of-generation ones
 * are allowed, and only at the end. */
static int special(const c12_tok *t, int32_t id)
{
    return (t->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN | TOK_ATTR_UNUSED)) != 0;
}

/* Every token's bytes into the pool (unsorted): the walked ones in v->ids. */
static c12_rc collect(const c12_model *m, c12_jsonc_vocab *v, uint32_t *off, uint16_t *len, int *order, c12_err *err)
{
    size_t cap = 1 << 20, used = 0;
    char piece[JSONC_TOKEN_MAX + 1];
    if (!(v->pool = c12_malloc(cap))) return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    for (int32_t id = 0; id < v->n_vocab; id++) {
        if (c12_model_is_eog(m, id)) {
            v->eog[v->n_eog++] = id;
            continue;
        }
        size_t n = c12_model_piece(m, id, 0, piece, sizeof piece);
        if (special(m->tok, id) || n == 0 || n > JSONC_TOKEN_MAX) {
            v->banned[v->n_banned++] = id;
            continue;
        }
        if (used + n > cap) {
            char *q = c12_realloc(v->pool, cap * 2);
            if (!q) return c12_fail(err, C12_ERR_NOMEM, "out of memory");
            v->pool = q;
            cap *= 2;
        }
        memcpy(v->pool + used, piece, n);
        off[id] = (uint32_t)used;
        len[id] = (uint16_t)n;
        used += n;
        order[v->n++] = id;
    }
    return C12_OK;
}

static c12_rc build(const c12_model *m, c12_jsonc_vocab *v, c12_err *err)
{
    size_t nv = (size_t)v->n_vocab;
    uint32_t *off = c12_calloc(nv, sizeof *off);
    uint16_t *len = c12_calloc(nv, sizeof *len);
    int *order = c12_malloc(nv * sizeof *order);
    v->banned = c12_malloc(nv * sizeof *v->banned);
    v->eog = c12_malloc(nv * sizeof *v->eog);
    c12_rc rc = !off || !len || !order || !v->banned || !v->eog ? c12_fail(err, C12_ERR_NOMEM, "out of memory")
                                                               : collect(m, v, off, len, order, err);
    if (!rc) {
        sort_cx cx = {v->pool, off, len};
        qsort_r(order, (size_t)v->n, sizeof *order, by_bytes, &cx);
        v->ids = c12_malloc((size_t)v->n * sizeof *v->ids + 1);
        v->off = c12_malloc((size_t)v->n * sizeof *v->off + 1);
        v->len = c12_malloc((size_t)v->n * sizeof *v->len + 1);
        v->lcp = c12_malloc((size_t)v->n * sizeof *v->lcp + 1);
        if (!v->ids || !v->off || !v->len || !v->lcp) rc = c12_fail(err, C12_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; !rc && i < v->n; i++) {
        int id = order[i];
        v->ids[i] = id, v->off[i] = off[id], v->len[i] = len[id];
        uint16_t l = 0;
        if (i) {
            const char *a = v->pool + v->off[i - 1], *b = v->pool + off[id];
            size_t mx = v->len[i - 1] < len[id] ? v->len[i - 1] : len[id];
            while (l < mx && a[l] == b[l]) l++;
        }
        v->lcp[i] = l;
    }
    c12_free(off);
    c12_free(len);
    c12_free(order);
    return rc;
}

c12_rc c12_jsonc_vocab_new(const c12_model *m, c12_jsonc_vocab **out, c12_err *err)
{
    c12_jsonc_vocab *v = c12_calloc(1, sizeof *v);
    if (!v) return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    v->n_logits = m->hp.n_vocab;
    v->n_vocab = m->hp.n_vocab < m->tok->n_vocab ? m->hp.n_vocab : m->tok->n_vocab;
    c12_rc rc = build(m, v, err);
    if (rc) {
        c12_jsonc_vocab_free(v);
        return rc;
    }
    *out = v;
    return C12_OK;
}

/* ---- the walk ---- */

static void save(const c12_jsonc *j, jsonc_undo *u)
{
    int base = j->depth > JSONC_UNDO_FRAMES ? j->depth - JSONC_UNDO_FRAMES : 0;
    u->depth = j->depth, u->root = j->root, u->ws = j->ws;
    memcpy(u->f, j->f + base, sizeof *u->f * (size_t)(j->depth - base));
}

static void restore(c12_jsonc *j, const jsonc_undo *u)
{
    int base = u->depth > JSONC_UNDO_FRAMES ? u->depth - JSONC_UNDO_FRAMES : 0;
    j->depth = u->depth, j->root = u->root, j->ws = u->ws;
    memcpy(j->f + base, u->f, sizeof *u->f * (size_t)(u->depth - base));
}

int c12_jsonc_mask(const c12_jsonc_vocab *v, c12_jsonc *j, float *logits)
{
    int allowed = 0, done = c12_jsonc_done(j);
    for (int i = 0; i < v->n_banned; i++) logits[v->banned[i]] = -INFINITY;
    for (int i = v->n_vocab; i < v->n_logits; i++) logits[i] = -INFINITY;
    for (int i = 0; i < v->n_eog; i++)
        if (!done) logits[v->eog[i]] = -INFINITY;
        else allowed++;
    jsonc_undo *u = j->undo;
    save(j, &u[0]);
    int at = 0;      /* bytes of the current path fed (u[0..at] saved before each) */
    int fail = -1;   /* the previous token was refused at this byte, or -1 */
    for (int i = 0; i < v->n; i++) {
        int l = v->lcp[i];
        if (fail >= 0 && l > fail) { /* same bytes up to the one refused */
            logits[v->ids[i]] = -INFINITY;
            continue;
        }
        if (l < at) restore(j, &u[l]), at = l;
        const unsigned char *b = (const unsigned char *)v->pool + v->off[i];
        fail = -1;
        for (; at < v->len[i]; at++) {
            save(j, &u[at]);
            if (!c12_jsonc_step(j, b[at])) {
                restore(j, &u[at]);
                fail = at;
                break;
            }
        }
        if (fail >= 0) logits[v->ids[i]] = -INFINITY;
        else allowed++;
    }
    restore(j, &u[0]);
    return allowed;
}
