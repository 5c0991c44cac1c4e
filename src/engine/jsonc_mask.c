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

/* Tokens in byte order, each with the bytes it shares with the one before. */
typedef struct toklist {
    int n;
    int32_t *ids;
    uint32_t *off;    /* into the pool */
    uint16_t *len;
    uint16_t *lcp;
} toklist;

struct c12_jsonc_vocab {
    int n_vocab;      /* the tokenizer's tokens (at most n_logits) */
    int n_logits;     /* the model's output rows: ids past n_vocab are never allowed */
    toklist all;      /* every token that may appear in JSON */
    /* Inside a string most tokens are plain text (c12_jsonc_plain_bytes),
     * always allowed there: only the others are walked then, the ones with
     * a quote, a backslash, a control byte or part of a character. */
    toklist unplain;
    int n_plain;
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

static void list_free(toklist *l)
{
    c12_free(l->ids);
    c12_free(l->off);
    c12_free(l->len);
    c12_free(l->lcp);
}

void c12_jsonc_vocab_free(c12_jsonc_vocab *v)
{
    if (!v) return;
    list_free(&v->all);
    list_free(&v->unplain);
    c12_free(v->pool);
    c12_free(v->banned);
    c12_free(v->eog);
    c12_free(v);
}

/* What a token is, told by the vocabulary's source. */
typedef enum { TK_TEXT, TK_EOG, TK_BANNED } tok_kind;
typedef tok_kind (*piece_fn)(const void *src, int32_t id, char *buf, size_t cap, size_t *n);

/* Special tokens never appear inside JSON; only the end-of-generation ones
 * are allowed, and only at the end. */
static tok_kind model_piece(const void *src, int32_t id, char *buf, size_t cap, size_t *n)
{
    const c12_model *m = src;
    if (c12_model_is_eog(m, id)) return TK_EOG;
    if (m->tok->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN | TOK_ATTR_UNUSED))
        return TK_BANNED;
    *n = c12_model_piece(m, id, 0, buf, cap);
    return TK_TEXT;
}

typedef struct pieces {
    const char *const *text;
    const size_t *len;
    const int32_t *eog;
    int n_eog;
} pieces;

static tok_kind list_piece(const void *src, int32_t id, char *buf, size_t cap, size_t *n)
{
    const pieces *p = src;
    for (int i = 0; i < p->n_eog; i++)
        if (p->eog[i] == id) return TK_EOG;
    *n = p->len[id];
    memcpy(buf, p->text[id], *n < cap ? *n : cap);
    return TK_TEXT;
}

/* Every token's bytes into the pool (unsorted): the ones to walk in order[]. */
static c12_rc collect(piece_fn piece, const void *src, c12_jsonc_vocab *v, uint32_t *off, uint16_t *len, int *order,
                      int *n_order, c12_err *err)
{
    size_t cap = 1 << 20, used = 0;
    char buf[JSONC_TOKEN_MAX + 1];
    if (!(v->pool = c12_malloc(cap))) return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    for (int32_t id = 0; id < v->n_vocab; id++) {
        size_t n = 0;
        tok_kind k = piece(src, id, buf, sizeof buf, &n);
        if (k == TK_EOG) {
            v->eog[v->n_eog++] = id;
            continue;
        }
        if (k == TK_BANNED || n == 0 || n > JSONC_TOKEN_MAX) {
            v->banned[v->n_banned++] = id;
            continue;
        }
        if (used + n > cap) {
            char *q = c12_realloc(v->pool, cap * 2);
            if (!q) return c12_fail(err, C12_ERR_NOMEM, "out of memory");
            v->pool = q;
            cap *= 2;
        }
        memcpy(v->pool + used, buf, n);
        off[id] = (uint32_t)used;
        len[id] = (uint16_t)n;
        used += n;
        order[(*n_order)++] = id;
    }
    return C12_OK;
}

static c12_rc list_new(toklist *l, int n, c12_err *err)
{
    l->ids = c12_malloc((size_t)n * sizeof *l->ids + 1);
    l->off = c12_malloc((size_t)n * sizeof *l->off + 1);
    l->len = c12_malloc((size_t)n * sizeof *l->len + 1);
    l->lcp = c12_malloc((size_t)n * sizeof *l->lcp + 1);
    return !l->ids || !l->off || !l->len || !l->lcp ? c12_fail(err, C12_ERR_NOMEM, "out of memory") : C12_OK;
}

/* A token (in byte order after the last one added) appended to l. */
static void list_add(toklist *l, const char *pool, int32_t id, uint32_t off, uint16_t len)
{
    int i = l->n++;
    l->ids[i] = id, l->off[i] = off, l->len[i] = len;
    uint16_t k = 0;
    if (i) {
        const char *a = pool + l->off[i - 1], *b = pool + off;
        size_t mx = l->len[i - 1] < len ? l->len[i - 1] : len;
        while (k < mx && a[k] == b[k]) k++;
    }
    l->lcp[i] = k;
}

static c12_rc build(piece_fn piece, const void *src, c12_jsonc_vocab *v, c12_err *err)
{
    size_t nv = (size_t)v->n_vocab;
    int n = 0;
    uint32_t *off = c12_calloc(nv, sizeof *off);
    uint16_t *len = c12_calloc(nv, sizeof *len);
    int *order = c12_malloc(nv * sizeof *order + 1);
    v->banned = c12_malloc(nv * sizeof *v->banned + 1);
    v->eog = c12_malloc(nv * sizeof *v->eog + 1);
    c12_rc rc = !off || !len || !order || !v->banned || !v->eog ? c12_fail(err, C12_ERR_NOMEM, "out of memory")
                                                               : collect(piece, src, v, off, len, order, &n, err);
    if (!rc) {
        sort_cx cx = {v->pool, off, len};
        qsort_r(order, (size_t)n, sizeof *order, by_bytes, &cx);
        rc = list_new(&v->all, n, err);
        if (!rc) rc = list_new(&v->unplain, n, err);
    }
    for (int i = 0; !rc && i < n; i++) {
        int id = order[i];
        list_add(&v->all, v->pool, id, off[id], len[id]);
        if (c12_jsonc_plain_bytes((const unsigned char *)v->pool + off[id], len[id])) v->n_plain++;
        else list_add(&v->unplain, v->pool, id, off[id], len[id]);
    }
    c12_free(off);
    c12_free(len);
    c12_free(order);
    return rc;
}

static c12_rc vocab_new(piece_fn piece, const void *src, int n_vocab, int n_logits, c12_jsonc_vocab **out,
                        c12_err *err)
{
    c12_jsonc_vocab *v = c12_calloc(1, sizeof *v);
    if (!v) return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    v->n_logits = n_logits;
    v->n_vocab = n_vocab < n_logits ? n_vocab : n_logits;
    c12_rc rc = build(piece, src, v, err);
    if (rc) {
        c12_jsonc_vocab_free(v);
        return rc;
    }
    *out = v;
    return C12_OK;
}

c12_rc c12_jsonc_vocab_new(const c12_model *m, c12_jsonc_vocab **out, c12_err *err)
{
    return vocab_new(model_piece, m, m->tok->n_vocab, m->hp.n_vocab, out, err);
}

c12_rc c12_jsonc_vocab_from_pieces(const char *const *text, const size_t *len, int n, const int32_t *eog, int n_eog,
                                   c12_jsonc_vocab **out, c12_err *err)
{
    pieces p = {text, len, eog, n_eog};
    return vocab_new(list_piece, &p, n, n, out, err);
}

/* ---- the walk ---- */

static void save(const c12_jsonc *j, jsonc_undo *u)
{
    int base = j->depth > JSONC_UNDO_FRAMES ? j->depth - JSONC_UNDO_FRAMES : 0;
    u->depth = j->depth, u->root = j->root, u->ws = j->ws, u->nl = j->nl;
    memcpy(u->f, j->f + base, sizeof *u->f * (size_t)(j->depth - base));
}

static void restore(c12_jsonc *j, const jsonc_undo *u)
{
    int base = u->depth > JSONC_UNDO_FRAMES ? u->depth - JSONC_UNDO_FRAMES : 0;
    j->depth = u->depth, j->root = u->root, j->ws = u->ws, j->nl = u->nl;
    memcpy(j->f + base, u->f, sizeof *u->f * (size_t)(u->depth - base));
}

/* The tokens of l the automaton refuses get -inf; returns how many it takes. */
static int walk(const toklist *l, const char *pool, c12_jsonc *j, float *logits)
{
    jsonc_undo *u = j->undo;
    int allowed = 0;
    save(j, &u[0]);
    int at = 0;      /* bytes of the current path fed (u[0..at] saved before each) */
    int fail = -1;   /* the previous token was refused at this byte, or -1 */
    for (int i = 0; i < l->n; i++) {
        int k = l->lcp[i];
        if (fail >= 0 && k > fail) { /* same bytes up to the one refused */
            logits[l->ids[i]] = -INFINITY;
            continue;
        }
        if (k < at) restore(j, &u[k]), at = k;
        const unsigned char *b = (const unsigned char *)pool + l->off[i];
        fail = -1;
        for (; at < l->len[i]; at++) {
            save(j, &u[at]);
            if (!c12_jsonc_step(j, b[at])) {
                restore(j, &u[at]);
                fail = at;
                break;
            }
        }
        if (fail >= 0) logits[l->ids[i]] = -INFINITY;
        else allowed++;
    }
    restore(j, &u[0]);
    return allowed;
}

int c12_jsonc_mask(const c12_jsonc_vocab *v, c12_jsonc *j, float *logits)
{
    int allowed = 0, done = c12_jsonc_done(j);
    for (int i = 0; i < v->n_banned; i++) logits[v->banned[i]] = -INFINITY;
    for (int i = v->n_vocab; i < v->n_logits; i++) logits[i] = -INFINITY;
    for (int i = 0; i < v->n_eog; i++)
        if (!done) logits[v->eog[i]] = -INFINITY;
        else allowed++;
    if (c12_jsonc_in_plain_string(j, JSONC_TOKEN_MAX)) /* plain tokens: allowed as they are */
        return allowed + v->n_plain + walk(&v->unplain, v->pool, j, logits);
    return allowed + walk(&v->all, v->pool, j, logits);
}
