/* backend.c - the calls through a backend's operations table (backend.h). */
#include "pool/backend.h"

c12_rc c12_backend_estimate(const c12_backend *b, const c12_model_cfg *m, uint64_t *bytes, c12_err *err)
{
    return b->ops->estimate(b->self, m, bytes, err);
}

c12_rc c12_backend_load(const c12_backend *b, const c12_model_cfg *m, void **model, uint64_t *bytes, c12_err *err)
{
    return b->ops->load(b->self, m, model, bytes, err);
}

void c12_backend_unload(const c12_backend *b, void *model) { b->ops->unload(b->self, model); }

c12_rc c12_backend_generate(const c12_backend *b, void *model, int slot, const c12_backend_req *req, c12_text_cb cb,
                            void *cb_ud, c12_backend_result *res, c12_err *err)
{
    return b->ops->generate(b->self, model, slot, req, cb, cb_ud, res, err);
}

int c12_backend_slot_cpu_ns(const c12_backend *b, void *model, int slot, int64_t *ns)
{
    return b->ops->slot_cpu_ns ? b->ops->slot_cpu_ns(b->self, model, slot, ns) : 0;
}

int c12_backend_batch_stats(const c12_backend *b, void *model, c12_batcher_stats *out)
{
    return model && b->ops->batch_stats ? b->ops->batch_stats(b->self, model, out) : 0;
}

int c12_backend_kv_usage(const c12_backend *b, void *model, int64_t *used, int64_t *capacity)
{
    return model && b->ops->kv_usage ? b->ops->kv_usage(b->self, model, used, capacity) : 0;
}

int c12_backend_stale(const c12_backend *b, void *model)
{
    return model && b->ops->stale ? b->ops->stale(b->self, model) : 0;
}
