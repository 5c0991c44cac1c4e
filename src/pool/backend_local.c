/* backend_local.c - the engine in this process as a backend: a model is the
 * mapped GGUF file plus one session (KV cache) per slot. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/c12_alloc.h"
#include "models/models.h"
#include "models/sha.h"
#include "pool/backend.h"

typedef struct local_model {
    char id[C12_CFG_ID_MAX];
    char path[PATH_MAX];
    c12_model *m;
    c12_session **slots;
    atomic_int *kv_used; /* per slot: KV positions its request holds now (kv_usage) */
    int n_slots;
    int prefix_cache; /* the configuration's models[].prefix_cache */
    c12_batcher *batcher; /* the slots' shared forward steps (NULL: each its own) */
    /* the vocabulary's index for constrained decoding (JSON output): built
     * by the first request that asks for it, then shared by the slots */
    pthread_mutex_t json_mu;
    c12_jsonc_vocab *json_vocab;
} local_model;

static c12_rc resolve(const c12_model_cfg *m, char *path, size_t cap, c12_err *err)
{
    c12_err e;
    if (c12_models_resolve(m->source, path, cap, &e))
        return c12_fail(err, e.rc, "model %s: %s", m->id, e.msg);
    return C12_OK;
}

/* Before loading, only the file is known: its size stands for the weights;
 * the KV caches are added by load (which reports the true total). */
static c12_rc estimate(void *self, const c12_model_cfg *m, uint64_t *bytes, c12_err *err)
{
    (void)self;
    char path[PATH_MAX];
    struct stat st;
    c12_rc rc = resolve(m, path, sizeof path, err);
    if (rc) return rc;
    if (stat(path, &st)) return c12_fail(err, C12_ERR_NOT_FOUND, "model %s: %s: cannot stat", m->id, path);
    *bytes = (uint64_t)st.st_size;
    return C12_OK;
}

static void unload(void *self, void *model)
{
    (void)self;
    local_model *lm = model;
    if (!lm) return;
    for (int i = 0; i < lm->n_slots; i++) c12_session_free(lm->slots[i]);
    c12_free(lm->slots);
    c12_free(lm->kv_used);
    c12_batcher_free(lm->batcher);
    c12_jsonc_vocab_free(lm->json_vocab);
    pthread_mutex_destroy(&lm->json_mu);
    c12_model_free(lm->m);
    c12_free(lm);
}

static c12_rc check_hash(const c12_model_cfg *m, const char *path, c12_err *err)
{
    char hex[C12_SHA256_HEX];
    if (!m->sha256[0]) return C12_OK;
    c12_rc rc = c12_sha256_file(path, hex, NULL, NULL, err);
    if (rc) return rc;
    if (strcmp(hex, m->sha256))
        return c12_fail(err, C12_ERR_INTEGRITY, "model %s: %s: sha256 is %s, the configuration says %s", m->id,
                        path, hex, m->sha256);
    return C12_OK;
}

/* Slots share forward steps when more than one may decode in a step:
 * max_batch 0 means min(slots, 8) (decode reads every weight per step; past
 * 8 sequences a step on 2 cores is compute-bound). */
static c12_rc make_batcher(local_model *lm, const c12_model_cfg *m, c12_err *err)
{
    int mb = m->max_batch > 0 ? m->max_batch : m->slots < 8 ? m->slots : 8;
    if (mb > m->slots) mb = m->slots;
    if (mb < 2) return C12_OK;
    c12_batcher_params bp = {.max_batch = mb, .prefill_chunk = m->prefill_chunk,
                             .no_chunked_prefill = !m->chunked_prefill, .n_ctx = m->n_ctx,
                             .n_threads = m->n_threads};
    return c12_batcher_new(lm->m, &bp, &lm->batcher, err);
}

static c12_rc load(void *self, const c12_model_cfg *m, void **model, uint64_t *bytes, c12_err *err)
{
    (void)self;
    char path[PATH_MAX];
    c12_rc rc = resolve(m, path, sizeof path, err);
    if (!rc) rc = check_hash(m, path, err);
    if (rc) return rc;
    local_model *lm = c12_calloc(1, sizeof *lm);
    if (!lm || !(lm->slots = c12_calloc((size_t)m->slots, sizeof *lm->slots)) ||
        !(lm->kv_used = c12_calloc((size_t)m->slots, sizeof *lm->kv_used))) {
        if (lm) c12_free(lm->slots);
        c12_free(lm);
        return c12_fail(err, C12_ERR_NOMEM, "model %s: out of memory", m->id);
    }
    for (int i = 0; i < m->slots; i++) atomic_init(&lm->kv_used[i], 0);
    pthread_mutex_init(&lm->json_mu, NULL);
    snprintf(lm->id, sizeof lm->id, "%s", m->id);
    snprintf(lm->path, sizeof lm->path, "%s", path);
    lm->prefix_cache = m->prefix_cache;
    c12_err e;
    if ((rc = c12_model_load(path, &lm->m, &e)) ||
        (m->chat_template[0] && (rc = c12_model_set_chat_template(lm->m, m->chat_template, &e)))) {
        unload(NULL, lm);
        return c12_fail(err, rc, "model %s: %s", m->id, e.msg);
    }
    uint64_t total = c12_model_get_info(lm->m)->mapped_bytes;
    c12_session_params sp = {.n_ctx = m->n_ctx, .n_threads = m->n_threads};
    if ((rc = make_batcher(lm, m, &e))) {
        unload(NULL, lm);
        return c12_fail(err, rc, "model %s: %s", m->id, e.msg);
    }
    for (; lm->n_slots < m->slots; lm->n_slots++) {
        if ((rc = c12_session_new(lm->m, &sp, &lm->slots[lm->n_slots], &e)) ||
            (lm->batcher && (rc = c12_session_set_batcher(lm->slots[lm->n_slots], lm->batcher, &e)))) {
            lm->n_slots += lm->slots[lm->n_slots] != NULL;
            unload(NULL, lm);
            return c12_fail(err, rc, "model %s: %s", m->id, e.msg);
        }
        total += c12_session_kv_bytes(lm->slots[lm->n_slots]);
    }
    fprintf(stderr, "c12 pool: loaded %s from %s (%.1f MB with %d slot%s)\n", m->id, path, total / 1e6,
            m->slots, m->slots == 1 ? "" : "s");
    *model = lm;
    *bytes = total;
    return C12_OK;
}

/* The prompt's tokens: the chat through the model's template (its markers
 * the only special tokens; the policy's directive at the end of the system
 * turn), or the prompt as plain text. */
static c12_rc prompt_tokens(const local_model *lm, const c12_backend_req *req, int32_t **ids, size_t *n,
                            c12_err *err)
{
    if (req->messages)
        return c12_model_chat_tokens_tools(lm->m, req->messages, req->n_messages, 1, req->system_note, req->tools,
                                           ids, n, err);
    return c12_model_tokenize(lm->m, req->prompt, strlen(req->prompt), 1, 0, ids, n, err);
}

/* The request's callbacks (they share one ud) behind a check of the
 * model's file: once it shrank under the mapping (c12_mapguard.h), no more
 * text is passed on and the generation is cancelled at the next token or
 * prompt chunk. */
typedef struct guarded {
    const local_model *lm;
    c12_text_cb cb;
    void (*on_token)(void *ud, int32_t id);
    int (*cancelled)(void *ud);
    void (*on_logprobs)(void *ud, const c12_logprobs *lp);
    void *ud;
    atomic_int *kv; /* the slot's KV positions in use: one more a token */
} guarded;

static int guarded_text(void *ud, const char *text, size_t len)
{
    const guarded *g = ud;
    if (c12_model_file_damaged(g->lm->m)) return 1;
    return g->cb ? g->cb(g->ud, text, len) : 0;
}

static void guarded_token(void *ud, int32_t id)
{
    const guarded *g = ud;
    atomic_fetch_add_explicit(g->kv, 1, memory_order_relaxed);
    if (g->on_token) g->on_token(g->ud, id);
}

static void guarded_logprobs(void *ud, const c12_logprobs *lp)
{
    const guarded *g = ud;
    g->on_logprobs(g->ud, lp);
}

static int guarded_cancelled(void *ud)
{
    const guarded *g = ud;
    return c12_model_file_damaged(g->lm->m) || (g->cancelled && g->cancelled(g->ud));
}

static c12_rc damaged(const local_model *lm, c12_err *err)
{
    return c12_fail(err, C12_ERR_INTEGRITY, "model %s: its file %s was truncated or rewritten in place while "
                    "loaded; the request is stopped and the model will be loaded again (replace a model file "
                    "by renaming the new one over it, never by writing into it)", lm->id, lm->path);
}

static c12_rc generate_on(local_model *lm, c12_session *s, atomic_int *kv, const c12_backend_req *req,
                          c12_text_cb cb, void *cb_ud, c12_backend_result *res, c12_err *err)
{
    int32_t *ids = NULL;
    size_t n = 0;
    c12_rc rc = prompt_tokens(lm, req, &ids, &n, err);
    if (rc) return rc;
    if (n == 0) {
        c12_free(ids);
        return c12_fail(err, C12_ERR_INVALID, "The prompt is empty (this model adds no start token).");
    }
    int n_ctx = c12_session_n_ctx(s);
    if ((int)n >= n_ctx) {
        c12_free(ids);
        return c12_fail(err, C12_ERR_RANGE, "This model's maximum context length is %d tokens, but the "
                        "prompt has %zu tokens.", n_ctx, n);
    }
    atomic_store_explicit(kv, (int)n, memory_order_relaxed); /* the prompt's positions, from now */
    c12_gen_params gp = req->gen;
    if (gp.max_tokens <= 0 || gp.max_tokens > n_ctx - (int)n) gp.max_tokens = n_ctx - (int)n;
    c12_gen_result r;
    /* the slot's K/V from its last request serves the prompt's common start
     * (c12_session_prefill), unless the model's prefix_cache is off */
    if (!lm->prefix_cache) c12_session_truncate(s, 0);
    rc = c12_generate(s, ids, (int)n, &gp, cb, cb_ud, &r, err);
    c12_free(ids);
    if (rc == C12_ERR_CANCELLED) {
        c12_session_truncate(s, 0); /* a cut generation may leave the cache mid-step */
        return rc;
    }
    if (rc) return rc;
    *res = (c12_backend_result){.n_prompt = r.n_prompt, .n_completion = r.n_completion, .n_cached = r.n_cached,
                                .finish = r.finish, .prefill_s = r.prefill_s, .decode_s = r.decode_s};
    return C12_OK;
}

/* The model's token index for JSON output, built once (about a tenth of a
 * second for a 150k-token vocabulary). */
static c12_rc json_vocab(local_model *lm, const c12_jsonc_vocab **out, c12_err *err)
{
    pthread_mutex_lock(&lm->json_mu);
    c12_rc rc = lm->json_vocab ? C12_OK : c12_jsonc_vocab_new(lm->m, &lm->json_vocab, err);
    if (!rc) *out = lm->json_vocab;
    pthread_mutex_unlock(&lm->json_mu);
    return rc;
}

static c12_rc generate(void *self, void *model, int slot, const c12_backend_req *req, c12_text_cb cb,
                       void *cb_ud, c12_backend_result *res, c12_err *err)
{
    (void)self;
    local_model *lm = model;
    if (c12_model_file_damaged(lm->m)) return damaged(lm, err);
    atomic_int *kv = &lm->kv_used[slot];
    guarded g = {lm, cb, req->gen.on_token, req->gen.cancelled, req->gen.on_logprobs, cb_ud, kv};
    c12_backend_req r = *req;
    r.gen.on_token = guarded_token;
    r.gen.cancelled = guarded_cancelled;
    r.gen.on_logprobs = req->gen.on_logprobs ? guarded_logprobs : NULL; /* NULL: not computed at all */
    if (r.gen.json && !r.gen.json_vocab) {
        c12_rc vrc = json_vocab(lm, &r.gen.json_vocab, err);
        if (vrc) return vrc;
    }
    c12_rc rc = generate_on(lm, lm->slots[slot], kv, &r, guarded_text, &g, res, err);
    atomic_store_explicit(kv, 0, memory_order_relaxed); /* what stays cached is free for the next */
    if (c12_model_file_damaged(lm->m)) return damaged(lm, err);
    if (rc == C12_ERR_INTEGRITY) { /* the engine's own doubt about the weights: say which file */
        char inner[C12_ERR_MSG_MAX];
        snprintf(inner, sizeof inner, "%s", err ? err->msg : "");
        return c12_fail(err, rc, "model %s: %s: %s", lm->id, lm->path, inner);
    }
    return rc;
}

static int stale(void *self, void *model)
{
    (void)self;
    const local_model *lm = model;
    return c12_model_file_damaged(lm->m);
}

static int slot_cpu_ns(void *self, void *model, int slot, int64_t *ns)
{
    (void)self;
    const local_model *lm = model;
    if (!lm || slot < 0 || slot >= lm->n_slots) return 0;
    *ns = c12_session_worker_cpu_ns(lm->slots[slot]);
    return 1;
}

static int kv_usage(void *self, void *model, int64_t *used, int64_t *capacity)
{
    (void)self;
    const local_model *lm = model;
    int64_t u = 0, c = 0;
    for (int i = 0; i < lm->n_slots; i++) {
        int n_ctx = c12_session_n_ctx(lm->slots[i]), held = atomic_load_explicit(&lm->kv_used[i], memory_order_relaxed);
        c += n_ctx;
        u += held < n_ctx ? held : n_ctx;
    }
    *used = u;
    *capacity = c;
    return 1;
}

static int batch_stats(void *self, void *model, c12_batcher_stats *out)
{
    (void)self;
    const local_model *lm = model;
    if (!lm->batcher) return 0;
    c12_batcher_get_stats(lm->batcher, out);
    return 1;
}

const c12_backend_ops c12_backend_local_ops = {
    .name = "local", .estimate = estimate, .load = load, .unload = unload, .generate = generate,
    .slot_cpu_ns = slot_cpu_ns, .stale = stale, .batch_stats = batch_stats, .kv_usage = kv_usage,
};

const c12_backend c12_backend_local = {.ops = &c12_backend_local_ops, .self = NULL};
