/* tok_bpe.c - byte-level BPE (tokenizer.ggml.model "gpt2"), and its UTF-8
 * variant ("gemma4").
 *
 * A raw fragment is decoded to code points (malformed bytes become U+FFFD,
 * as in the reference), split into words by the pre-tokenizer, and each word
 * is re-encoded as UTF-8 and mapped byte by byte onto GPT-2's printable
 * alphabet (so the space byte is "Ġ"). Within a word, adjacent symbols are
 * merged by rank: the lowest-ranked merge first, ties to the leftmost pair,
 * until no adjacent pair has a merge; each symbol is then looked up as a
 * token. A symbol that is no token (a merge whose result is missing from the
 * vocabulary) falls back to single-byte lookups of its text, skipping bytes
 * with no token, as the reference does.
 *
 * The UTF-8 variant (tok_pre_opts.raw_utf8) merges the word's own UTF-8
 * characters, spaces written "▁" (escape_spaces), and falls back to the
 * "<0xAB>" byte tokens. */
#include <string.h>

#include "base/c12_alloc.h"
#include "tok_internal.h"
#include "tok_unicode.h"

uint32_t tok_byte_to_cp(uint8_t b)
{
    /* printable bytes stand for themselves; the other 68 take 256.. in order */
    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE) return b;
    if (b <= 0x20) return 256u + b;
    if (b <= 0xA0) return 256u + 33 + (b - 0x7Fu);
    return 256u + 33 + 34; /* 0xAD */
}

int tok_cp_to_byte(uint32_t cp)
{
    if ((cp >= 0x21 && cp <= 0x7E) || (cp >= 0xA1 && cp <= 0xAC) || (cp >= 0xAE && cp <= 0xFF))
        return (int)cp;
    if (cp < 256 || cp > 256 + 67) return -1;
    uint32_t k = cp - 256;
    if (k <= 0x20) return (int)k;
    if (k < 33 + 34) return (int)(0x7F + (k - 33));
    return 0xAD;
}

typedef struct sym {
    int32_t prev, next;
    uint32_t start, n; /* bytes of the encoded word */
} sym;

typedef struct bpe_work {
    sym *sy;
    size_t cap_sy;
    tok_heap heap;
    char *key;
    size_t cap_key;
} bpe_work;

static c12_rc try_pair(const c12_tok *t, bpe_work *w, const char *enc, int32_t l, int32_t r,
                       c12_err *err)
{
    if (l < 0 || r < 0) return C12_OK;
    const sym *a = &w->sy[l], *b = &w->sy[r];
    size_t k = (size_t)a->n + 1 + b->n;
    if (k > w->cap_key) {
        char *nk = c12_realloc(w->key, k * 2);
        if (!nk) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (bpe)");
        w->key = nk, w->cap_key = k * 2;
    }
    memcpy(w->key, enc + a->start, a->n); /* merges are stored as "left right" */
    w->key[a->n] = ' ';
    memcpy(w->key + a->n + 1, enc + b->start, b->n);
    int64_t rank = tok_map_get(&t->merges, w->key, k);
    if (rank < 0) return C12_OK;
    return tok_heap_push(&w->heap, (tok_bigram){(double)rank, l, r, a->n + b->n}, err);
}

static c12_rc emit_symbol(const c12_tok *t, const char *s, size_t n, tok_ids *out, c12_err *err)
{
    int64_t id = tok_find_n(t, s, n);
    if (id >= 0) return tok_ids_push(out, (int32_t)id, err);
    for (size_t i = 0; i < n; i++) {
        int64_t b = t->raw_utf8 ? t->byte_tok[(uint8_t)s[i]] : tok_find_n(t, s + i, 1);
        if (b >= 0) {
            c12_rc rc = tok_ids_push(out, (int32_t)b, err);
            if (rc) return rc;
        }
    }
    return C12_OK;
}

static int all_newlines(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\n') return 0;
    return n > 0;
}

/* Merge one encoded word of n_sym symbols and emit its tokens. */
static c12_rc bpe_word(const c12_tok *t, bpe_work *w, const char *enc, size_t len, size_t n_sym,
                       tok_ids *out, c12_err *err)
{
    c12_rc rc = C12_OK;
    if ((t->ignore_merges || (t->newline_words && all_newlines(enc, len))) &&
        tok_find_n(t, enc, len) >= 0)
        return emit_symbol(t, enc, len, out, err);
    w->heap.n = 0;
    for (size_t i = 1; i < n_sym && !rc; i++) rc = try_pair(t, w, enc, (int32_t)i - 1, (int32_t)i, err);
    while (!rc && w->heap.n) {
        tok_bigram g = tok_heap_pop(&w->heap);
        sym *a = &w->sy[g.left], *b = &w->sy[g.right];
        /* stale: one side has merged since this pair was queued */
        if (a->n == 0 || b->n == 0 || a->n + b->n != g.size) continue;
        a->n += b->n;
        b->n = 0;
        a->next = b->next;
        if (b->next >= 0) w->sy[b->next].prev = g.left;
        rc = try_pair(t, w, enc, a->prev, g.left, err);
        if (!rc) rc = try_pair(t, w, enc, g.left, a->next, err);
    }
    for (int32_t i = 0; !rc && i >= 0 && n_sym; i = w->sy[i].next)
        rc = emit_symbol(t, enc + w->sy[i].start, w->sy[i].n, out, err);
    return rc;
}

c12_rc tok_bpe_fragment(const c12_tok *t, const char *s, size_t n, int prev_special, tok_ids *out,
                        c12_err *err)
{
    (void)prev_special;
    c12_rc rc = C12_OK;
    bpe_work w = {0};
    tok_lens words = {0}, tmp = {0};
    uint32_t *cp = c12_malloc(n * sizeof *cp);
    uint8_t *fl = c12_malloc(n);
    char *enc = c12_malloc(n * 8 + 8); /* a code point re-encodes to <= 4 bytes, each to <= 2 */
    w.cap_sy = n * 4 + 1;
    w.sy = c12_malloc(w.cap_sy * sizeof *w.sy);
    if (!cp || !fl || !enc || !w.sy) {
        rc = c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (bpe)");
        goto done;
    }
    size_t n_cp = 0;
    for (size_t i = 0; i < n;) i += tok_utf8_decode((const uint8_t *)s + i, n - i, &cp[n_cp++]);
    if (t->escape_spaces)
        for (size_t i = 0; i < n_cp; i++)
            if (cp[i] == ' ') cp[i] = 0x2581;
    if ((rc = tok_pre_split(&t->pre, cp, n_cp, fl, &words, &tmp, err))) goto done;
    size_t at = 0;
    for (size_t wi = 0; wi < words.n && !rc; wi++) {
        size_t len = 0, n_sym = 0;
        for (size_t k = at; k < at + words.v[wi]; k++) {
            char u[4];
            size_t m = tok_utf8_encode(cp[k], u);
            if (t->raw_utf8) { /* one symbol per character */
                memcpy(enc + len, u, m);
                w.sy[n_sym] = (sym){(int32_t)n_sym - 1, (int32_t)n_sym + 1, (uint32_t)len, (uint32_t)m};
                n_sym++;
                len += m;
                continue;
            }
            for (size_t j = 0; j < m; j++) {
                size_t e = tok_utf8_encode(tok_byte_to_cp((uint8_t)u[j]), enc + len);
                w.sy[n_sym] = (sym){(int32_t)n_sym - 1, (int32_t)n_sym + 1, (uint32_t)len, (uint32_t)e};
                n_sym++;
                len += e;
            }
        }
        if (n_sym) w.sy[n_sym - 1].next = -1;
        at += words.v[wi];
        rc = bpe_word(t, &w, enc, len, n_sym, out, err);
    }
done:
    c12_free(cp);
    c12_free(fl);
    c12_free(enc);
    c12_free(w.sy);
    tok_heap_free(&w.heap);
    c12_free(w.key);
    tok_lens_free(&words);
    tok_lens_free(&tmp);
    return rc;
}
