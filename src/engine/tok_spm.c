/* tok_spm.c - SentencePiece-style BPE by scores (tokenizer.ggml.model "llama").
 *
 * Spaces become U+2581 ("▁"), with one put in front when the vocabulary asks
 * for a space prefix and the fragment starts the text or follows a special
 * token. The text is cut into UTF-8 characters (by lead byte alone, as the
 * reference does, so malformed bytes stay as they are); then the adjacent
 * pair whose concatenation is the highest-scoring token is merged, ties to
 * the leftmost, until no adjacent pair forms a token. Symbols that are no
 * token fall back to their bytes' <0xXX> tokens. */
#include <string.h>

#include "base/c12_alloc.h"
#include "tok_internal.h"
#include "tok_unicode.h"

typedef struct ssym {
    int32_t prev, next;
    uint32_t start, n;
} ssym;

typedef struct spm_work {
    ssym *sy;
    tok_heap heap;
} spm_work;

static c12_rc try_pair(const c12_tok *t, spm_work *w, const char *txt, int32_t l, int32_t r,
                       c12_err *err)
{
    if (l < 0 || r < 0) return C12_OK;
    uint32_t size = w->sy[l].n + w->sy[r].n; /* symbols are contiguous in txt */
    int64_t id = tok_find_n(t, txt + w->sy[l].start, size);
    if (id < 0) return C12_OK;
    return tok_heap_push(&w->heap, (tok_bigram){-(double)t->score[id], l, r, size}, err); /* higher score first */
}

c12_rc tok_spm_fragment(const c12_tok *t, const char *s, size_t n, int prev_special, tok_ids *out,
                        c12_err *err)
{
    c12_rc rc = C12_OK;
    spm_work w = {0};
    size_t spaces = t->add_space_prefix && prev_special;
    for (size_t i = 0; i < n; i++) spaces += s[i] == ' ';
    size_t len = n + (t->add_space_prefix && prev_special) + 2 * spaces;
    char *txt = c12_malloc(len + 1);
    w.sy = c12_malloc((len + 1) * sizeof *w.sy);
    if (!txt || !w.sy) {
        rc = c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (spm)");
        goto done;
    }
    size_t o = 0;
    if (t->add_space_prefix && prev_special) memcpy(txt + o, "\xe2\x96\x81", 3), o += 3;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') memcpy(txt + o, "\xe2\x96\x81", 3), o += 3;
        else txt[o++] = s[i];
    }
    int32_t n_sym = 0;
    for (size_t i = 0; i < len;) {
        size_t k = tok_utf8_lead_len((uint8_t)txt[i]);
        if (k > len - i) k = len - i;
        w.sy[n_sym] = (ssym){n_sym - 1, n_sym + 1, (uint32_t)i, (uint32_t)k};
        n_sym++;
        i += k;
    }
    if (n_sym) w.sy[n_sym - 1].next = -1;
    for (int32_t i = 1; i < n_sym && !rc; i++) rc = try_pair(t, &w, txt, i - 1, i, err);
    while (!rc && w.heap.n) {
        tok_bigram g = tok_heap_pop(&w.heap);
        ssym *a = &w.sy[g.left], *b = &w.sy[g.right];
        if (a->n == 0 || b->n == 0 || a->n + b->n != g.size) continue; /* stale */
        a->n += b->n;
        b->n = 0;
        a->next = b->next;
        if (b->next >= 0) w.sy[b->next].prev = g.left;
        rc = try_pair(t, &w, txt, a->prev, g.left, err);
        if (!rc) rc = try_pair(t, &w, txt, g.left, a->next, err);
    }
    for (int32_t i = 0; !rc && n_sym && i >= 0; i = w.sy[i].next) {
        int64_t id = tok_find_n(t, txt + w.sy[i].start, w.sy[i].n);
        if (id >= 0) {
            rc = tok_ids_push(out, (int32_t)id, err);
            continue;
        }
        for (uint32_t j = 0; j < w.sy[i].n && !rc; j++) {
            uint8_t b = (uint8_t)txt[w.sy[i].start + j];
            if (t->byte_tok[b] < 0)
                rc = c12_fail(err, C12_ERR_FORMAT, "tokenizer: no token for byte 0x%02X", b);
            else rc = tok_ids_push(out, t->byte_tok[b], err);
        }
    }
done:
    c12_free(txt);
    c12_free(w.sy);
    tok_heap_free(&w.heap);
    return rc;
}
