/* tok_heap.c - the merge queue of both BPE tokenizers (tok_bpe.c by rank,
 * tok_spm.c by score): a binary min-heap of candidate pairs, lowest key
 * first, ties to the leftmost pair, as the reference merges. */
#include "base/c12_alloc.h"
#include "tok_internal.h"

static int before(const tok_bigram *a, const tok_bigram *b)
{
    return a->key < b->key || (a->key == b->key && a->left < b->left);
}

c12_rc tok_heap_push(tok_heap *h, tok_bigram g, c12_err *err)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        tok_bigram *a = c12_realloc(h->a, cap * sizeof *a);
        if (!a) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (merge queue)");
        h->a = a, h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0 && before(&g, &h->a[(i - 1) / 2])) {
        h->a[i] = h->a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->a[i] = g;
    return C12_OK;
}

tok_bigram tok_heap_pop(tok_heap *h)
{
    tok_bigram top = h->a[0], last = h->a[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && before(&h->a[c + 1], &h->a[c])) c++;
        if (!before(&h->a[c], &last)) break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (n) h->a[i] = last;
    return top;
}

void tok_heap_free(tok_heap *h)
{
    c12_free(h->a);
    *h = (tok_heap){0};
}
