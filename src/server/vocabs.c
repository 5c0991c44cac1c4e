/* vocabs.c - the served models' vocabularies for /tokenize and /detokenize:
 * read from a model's GGUF file (its tokenizer only, not its weights) the
 * first time it is asked for, then kept until the server stops. A
 * vocabulary is immutable, so requests share it without a lock. */
#include <limits.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "models/models.h"
#include "server/server_impl.h"

void c12_vocabs_init(c12_vocabs *v)
{
    memset(v, 0, sizeof *v);
    pthread_mutex_init(&v->mu, NULL);
}

/* The lock is held. */
static c12_rc open_one(c12_vocabs *v, const c12_config *cfg, size_t idx, c12_err *err)
{
    if (!v->toks) {
        if (!(v->toks = c12_calloc(cfg->n_models, sizeof *v->toks))) return c12_fail(err, C12_ERR_NOMEM, "Out of memory.");
        v->n = cfg->n_models;
    }
    if (v->toks[idx]) return C12_OK;
    char path[PATH_MAX];
    c12_err e;
    const c12_model_cfg *m = &cfg->models[idx];
    c12_rc rc = c12_models_resolve(m->source, path, sizeof path, &e);
    if (!rc) rc = c12_tok_open(path, &v->toks[idx], &e);
    return rc ? c12_fail(err, rc, "model %s: %s", m->id, e.msg) : C12_OK;
}

c12_rc c12_vocabs_get(c12_vocabs *v, const c12_config *cfg, size_t idx, const c12_tok **out, c12_err *err)
{
    if (idx >= cfg->n_models) return c12_fail(err, C12_ERR_INVALID, "no model %zu", idx);
    if (c12_model_remote(&cfg->models[idx]))
        return c12_fail(err, C12_ERR_INVALID, "The model '%s' is served by other servers (sites:): its vocabulary "
                        "is theirs, not here.", cfg->models[idx].id);
    pthread_mutex_lock(&v->mu);
    c12_rc rc = open_one(v, cfg, idx, err);
    if (!rc) *out = v->toks[idx];
    pthread_mutex_unlock(&v->mu);
    return rc;
}

void c12_vocabs_free(c12_vocabs *v)
{
    for (size_t i = 0; i < v->n; i++) c12_tok_free(v->toks[i]);
    c12_free(v->toks);
    pthread_mutex_destroy(&v->mu);
    memset(v, 0, sizeof *v);
}
