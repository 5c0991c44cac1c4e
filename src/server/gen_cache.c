/* gen_cache.c - a generation request and the response cache (src/cache):
 * whether it may use it (deterministic, not refused by its headers), the
 * lookup once the model that generates is known, the answer replayed on a
 * hit, and the answer stored after a miss. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "base/c12_clock.h"
#include "models/models.h"
#include "server/gen.h"

#define REPLAY_PIECE 48 /* bytes per replayed piece (a streamed hit's chunks) */

static const char *const RESULT[] = {"", "miss", "hit", "bypass"};

const char *c12_gen_cache_result(const c12_gen_job *job) { return RESULT[job->cache.state]; }

static int says_no(struct MHD_Connection *c)
{
    if (!c) return 0; /* a batch line: no headers */
    const char *x = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-c12-cache");
    const char *cc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "cache-control");
    return (x && !strcasecmp(x, "no")) || (cc && strcasestr(cc, "no-cache"));
}

void c12_gen_cache_ask(c12_gen_job *job, struct MHD_Connection *c)
{
    c12_server *s = job->srv;
    /* a stored answer keeps its text, not its tokens' logprobs: such a
     * request always generates */
    /* nor its tool calls: a request with tools (or a history of calls,
     * which the key does not hold) always generates */
    /* nor several choices (n > 1): one stored text is one choice */
    if (!s->deps.cache || job->q.logprobs || job->q.tool_use || job->q.n > 1 ||
        !c12_cache_deterministic(&job->q.sampling, job->q.has_seed))
        return;
    job->cache.state = says_no(c) ? C12_GEN_CACHE_BYPASS : C12_GEN_CACHE_MISS;
    if (job->cache.state == C12_GEN_CACHE_BYPASS) c12_metrics_observe_cache(s->deps.metrics, "bypass");
}

/* The identity of the leased model's file (0: unknown). */
static uint64_t model_file(const c12_gen_job *job)
{
    int idx = job->leased ? job->lease.model_idx : -1;
    char path[C12_CFG_PATH_MAX];
    c12_err err;
    if (idx < 0 || c12_models_resolve(job->srv->cfg->models[idx].source, path, sizeof path, &err)) return 0;
    return c12_cache_file_id(path);
}

void c12_gen_cache_lookup(c12_gen_job *job)
{
    c12_gen_cache *gc = &job->cache;
    c12_server *s = job->srv;
    if (gc->state != C12_GEN_CACHE_MISS) return;
    c12_cache_req r = {.endpoint = job->q.kind == C12_API_CHAT ? 0 : 1, .model = job->model,
                       .messages = job->breq.messages, .n_messages = job->breq.n_messages,
                       .system_note = job->breq.system_note,
                       .prompt = job->breq.prompt, .gen = &job->breq.gen, .has_seed = job->q.has_seed,
                       /* the key's whole hash: its 8-digit label could be another key's too */
                       .api_key = job->key_idx >= 0 ? s->cfg->api_keys[job->key_idx] : "",
                       .response_format = job->q.rfmt_key};
    c12_err err;
    gc->file_id = model_file(job);
    if (c12_cache_key(&r, s->cfg->cache.shared, gc->key, &err)) gc->key[0] = '\0';
    if (gc->key[0] && !c12_cache_get(s->deps.cache, gc->key, job->model, gc->file_id, &gc->hit, &err))
        gc->state = C12_GEN_CACHE_HIT;
    c12_metrics_observe_cache(s->deps.metrics, RESULT[gc->state]);
}

/* ---- a hit: the stored answer, in pieces, at (almost) no cost ---- */

static size_t piece_len(const char *t, size_t left)
{
    size_t n = left < REPLAY_PIECE ? left : REPLAY_PIECE;
    while (n < left && n > 1 && ((unsigned char)t[n] & 0xC0) == 0x80) n--; /* not inside a character */
    return n;
}

static c12_rc replay(c12_gen_job *job, c12_text_cb cb, void *ud, c12_backend_result *res)
{
    const c12_cache_value *v = &job->cache.hit;
    c12_gen_cost *m = &job->cost;
    for (size_t at = 0, n; at < v->len; at += n) {
        n = piece_len(v->text + at, v->len - at);
        if (!m->first_ns) m->first_ns = c12_clock_ns();
        if (cb(ud, v->text + at, n)) break;
    }
    *res = (c12_backend_result){.n_prompt = v->n_prompt, .n_completion = v->n_completion, .finish = v->finish};
    m->n_tokens = v->n_completion;
    m->energy_j = 0; /* the lookup's CPU is not worth metering */
    snprintf(m->energy_method, sizeof m->energy_method, "cache");
    m->measured = 1;
    return C12_OK;
}

/* ---- a miss: generate, keeping a copy of the text ---- */

typedef struct tee {
    c12_text_cb cb;
    void *ud;
    c12_buf copy;
    int over;      /* past the cache's max_bytes, or out of memory: not stored */
} tee;

static int tee_text(void *ud, const char *text, size_t len)
{
    tee *t = ud;
    if (!t->over && c12_buf_append(&t->copy, text, len)) t->over = 1;
    return t->cb(t->ud, text, len);
}

static void store(c12_gen_job *job, const tee *t, const c12_backend_result *res)
{
    c12_gen_cache *gc = &job->cache;
    if (t->over || res->finish == C12_FINISH_CANCELLED ||
        atomic_load(&job->srv->cancel_all))
        return;
    c12_cache_value v = {.text = t->copy.data ? t->copy.data : "", .len = t->copy.len, .finish = res->finish, .n_prompt = res->n_prompt,
                         .n_completion = res->n_completion, .energy_j = job->cost.energy_j,
                         .co2_g = c12_account_co2(job, job->cost.energy_j)};
    c12_err err;
    c12_cache_put(job->srv->deps.cache, gc->key, job->model, gc->file_id, &v, &err); /* a failure: not cached */
}

c12_rc c12_gen_produce(c12_gen_job *job, c12_text_cb cb, void *ud, c12_backend_result *res, c12_err *err)
{
    c12_gen_cache *gc = &job->cache;
    if (gc->state == C12_GEN_CACHE_HIT) return replay(job, cb, ud, res);
    if (gc->state != C12_GEN_CACHE_MISS || !gc->key[0]) return c12_account_generate(job, cb, ud, res, err);
    tee t = {.cb = cb, .ud = ud};
    c12_buf_init(&t.copy, (size_t)job->srv->cfg->cache.max_bytes);
    c12_rc rc = c12_account_generate(job, tee_text, &t, res, err);
    if (!rc) store(job, &t, res);
    c12_buf_free(&t.copy);
    return rc;
}

void c12_gen_cache_end(c12_gen_job *job) { c12_cache_value_free(&job->cache.hit); }
