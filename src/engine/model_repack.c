/* model_repack.c - after the architecture has bound its weights, matrices
 * whose type has a repacked form on this CPU (c12_type_repacked: Q4_K, Q6_K,
 * Q5_0 and Q4_1 at AVX-512) get a copy laid out 8 rows at a time, which matmul
 * reads instead.
 *
 * Only the layers' matrices and an untied output: the token embeddings are
 * read a row at a time (and so is the output when tied to them). Each weight
 * is repacked on its own, so the slices of a fused tensor (qkv, gate+up)
 * are as well. The copy is as big as the mapped bytes it replaces, and
 * those pages are handed back to the kernel (MADV_DONTNEED on a shared,
 * read-only file mapping: a later read would fault them in again), so the
 * model's resident size stays about the file's. */
#include <sys/mman.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "engine/model.h"

enum { HUGE_PAGE = 2 << 20 };

static void release_pages(const void *p, size_t n)
{
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a = (uintptr_t)p;
    const uintptr_t lo = (a + page - 1) & ~(page - 1), hi = (a + n) & ~(page - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

static c12_rc repack_weight(c12_model *m, c12_weight *w, c12_err *err)
{
    const c12_type_traits *r8 = w->data ? c12_type_repacked(m->types, w->tt) : NULL;
    if (!r8 || w->rows % 8 != 0) return C12_OK;
    const size_t bytes = (size_t)w->rows * w->row_bytes;
    /* on huge pages where the kernel has them (transparent_hugepage set to
     * madvise): one TLB entry per 2 MB of a matrix decode streams through;
     * a matrix under 2 MB is not worth the alignment */
    const size_t align = bytes >= HUGE_PAGE ? HUGE_PAGE : 1;
    uint8_t *raw = c12_malloc(bytes + align - 1);
    if (!raw) return c12_fail(err, C12_ERR_NOMEM, "model: no memory to repack a %lldx%lld matrix",
                              (long long)w->rows, (long long)w->cols);
    uint8_t *dst = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
    if (align > 1) madvise(dst, bytes & ~(size_t)(HUGE_PAGE - 1), MADV_HUGEPAGE);
    const uint8_t *src = w->data;
    for (int64_t r = 0; r < w->rows; r += 8)
        r8->repack(src + (size_t)r * w->row_bytes, w->row_bytes, dst + (size_t)r * w->row_bytes, w->cols);
    m->repacked[m->n_repacked++] = raw;
    release_pages(src, bytes);
    w->data = dst;
    w->tt = r8;
    return C12_OK;
}

c12_rc c12_model_repack(c12_model *m, c12_err *err)
{
    enum { PER_LAYER = 7 };
    m->repacked = c12_calloc((size_t)m->hp.n_layer * PER_LAYER + 1, sizeof *m->repacked);
    if (!m->repacked) return c12_fail(err, C12_ERR_NOMEM, "model: no memory");
    c12_rc rc = C12_OK;
    for (int il = 0; il < m->hp.n_layer && !rc; il++) {
        c12_layer *L = &m->layers[il];
        c12_weight *w[PER_LAYER] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (int k = 0; k < PER_LAYER && !rc; k++) rc = repack_weight(m, w[k], err);
    }
    if (!rc && m->output.data != m->tok_embd.data) rc = repack_weight(m, &m->output, err);
    return rc;
}

void c12_model_repacked_free(c12_model *m)
{
    for (int i = 0; i < m->n_repacked; i++) c12_free(m->repacked[i]);
    c12_free(m->repacked);
}
