/* sect_models.c - the `models:` list and `default_model:`. A model is a
 * catalogue name alone ("- smollm2-135m", every default) or a mapping of
 * the keys below. No `models:` serves the whole catalogue. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config/config_impl.h"
#include "engine/c12_engine.h"
#include "models/models.h"
#include "models/sha.h"

static c12_rc set_roles(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    c12_model_cfg *m = obj;
    if (c12_cfg_scalar(v)) return c12_cfg_str(v, path, m->roles, sizeof m->roles, err);
    if (c12_cfg_kind_of(v) != C12_CFG_SEQ) return c12_cfg_fail(v, path, err, "must be a list of strings");
    m->roles[0] = '\0';
    for (size_t i = 0; i < c12_cfg_len(v); i++) {
        const char *s = c12_cfg_scalar(c12_cfg_item(v, i));
        size_t used = strlen(m->roles);
        if (!s) return c12_cfg_fail(v, path, err, "must be a list of strings");
        if (used + strlen(s) + 2 > sizeof m->roles) return c12_cfg_fail(v, path, err, "too long");
        snprintf(m->roles + used, sizeof m->roles - used, "%s%s", used ? "," : "", s);
    }
    return C12_OK;
}

/* Relative paths are relative to the config file's folder. */
static c12_rc set_path(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    c12_model_cfg *m = obj;
    char p[C12_CFG_PATH_MAX];
    c12_rc rc = c12_cfg_str(v, path, p, sizeof p, err);
    if (rc) return rc;
    const char *file = c12_cfg_file(v), *slash = strrchr(file, '/');
    int n = p[0] == '/' || !slash ? snprintf(m->source, sizeof m->source, "%s", p)
          : snprintf(m->source, sizeof m->source, "%.*s/%s", (int)(slash - file), file, p);
    if (n < 0 || (size_t)n >= sizeof m->source - 2) return c12_cfg_fail(v, path, err, "too long");
    if (!strchr(m->source, '/')) memmove(m->source + 2, m->source, strlen(m->source) + 1), memcpy(m->source, "./", 2);
    return C12_OK;
}

static c12_rc set_sha(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    c12_model_cfg *m = obj;
    c12_rc rc = c12_cfg_str(v, path, m->sha256, sizeof m->sha256, err);
    if (!rc && !c12_sha256_is_hex(m->sha256)) rc = c12_cfg_fail(v, path, err, "must be 64 lowercase hex digits");
    return rc;
}

/* Checked here, resolved against `sites:` once the walk is over (resolve_sites). */
static c12_rc set_sites(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    if (c12_cfg_kind_of(v) != C12_CFG_SEQ || !c12_cfg_len(v))
        return c12_cfg_fail(v, path, err, "must be a list of site names (`local`: this process)");
    if (c12_cfg_len(v) > C12_CFG_MAX_SITES) return c12_cfg_fail(v, path, err, "more than %d sites", C12_CFG_MAX_SITES);
    for (size_t i = 0; i < c12_cfg_len(v); i++)
        if (!c12_cfg_scalar(c12_cfg_item(v, i))) return c12_cfg_fail(v, path, err, "must be a list of site names");
    return C12_OK;
}

/* A family C12 renders, by llama.cpp's name (docs/configuration.md). */
static c12_rc set_chat_template(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj,
                                c12_err *err)
{
    c12_model_cfg *m = obj;
    c12_rc rc = c12_cfg_str(v, path, m->chat_template, sizeof m->chat_template, err);
    if (!rc && (!c12_chat_template_supported(m->chat_template) ||
                strcmp(c12_chat_template_family(m->chat_template), m->chat_template)))
        rc = c12_cfg_fail(v, path, err, "'%s' is no chat template family C12 renders (docs/configuration.md)",
                          m->chat_template);
    return rc;
}

static const c12_cfg_key MODEL_KEYS[] = {
    C12_CFG_SLOT("id", c12_cfg_slot_str, c12_model_cfg, id, 0, 0),
    C12_CFG_SLOT("source", c12_cfg_slot_str, c12_model_cfg, source, 0, 0),
    C12_CFG_SET("path", set_path),
    C12_CFG_SET("sha256", set_sha),
    C12_CFG_SLOT("context", c12_cfg_slot_int, c12_model_cfg, n_ctx, 16, 1 << 20),
    C12_CFG_SLOT("threads", c12_cfg_slot_int, c12_model_cfg, n_threads, 0, 1024),
    C12_CFG_SLOT("slots", c12_cfg_slot_int, c12_model_cfg, slots, 1, 64),
    C12_CFG_SET("roles", set_roles),
    C12_CFG_SET("chat_template", set_chat_template),
    C12_CFG_SLOT("keep_alive", c12_cfg_slot_long, c12_model_cfg, keep_alive_s, -1, 100.0 * 365 * 86400),
    C12_CFG_SLOT("pinned", c12_cfg_slot_bool, c12_model_cfg, pinned, 0, 0),
    C12_CFG_SLOT("prefix_cache", c12_cfg_slot_bool, c12_model_cfg, prefix_cache, 0, 0),
    C12_CFG_SLOT("max_batch", c12_cfg_slot_int, c12_model_cfg, max_batch, 0, 64),
    C12_CFG_SLOT("prefill_chunk", c12_cfg_slot_int, c12_model_cfg, prefill_chunk, 1, 4096),
    C12_CFG_SLOT("chunked_prefill", c12_cfg_slot_bool, c12_model_cfg, chunked_prefill, 0, 0),
    C12_CFG_SET("sites", set_sites),
    C12_CFG_SLOT("remote_model", c12_cfg_slot_str, c12_model_cfg, remote_model, 0, 0),
    {0}};

int c12_model_remote(const c12_model_cfg *m)
{
    for (int i = 0; i < m->n_sites; i++)
        if (m->sites[i] == C12_SITE_LOCAL) return 0;
    return m->n_sites > 0;
}

int c12_model_mixed(const c12_model_cfg *m) { return m->local_slots > 0; }

/* The names in `sites:` into indices of c->sites. A model served only
 * remotely takes as many requests at once as its sites together; one
 * served here too, its own slots and its sites' together. */
static c12_rc resolve_sites(const c12_config *c, c12_model_cfg *m, const c12_cfg_node *n, const char *path,
                            c12_err *err)
{
    const c12_cfg_node *v = c12_cfg_get(n, "sites");
    char kpath[48];
    snprintf(kpath, sizeof kpath, "%s.sites", path);
    for (size_t i = 0; v && i < c12_cfg_len(v); i++) {
        const char *name = c12_cfg_scalar(c12_cfg_item(v, i));
        int idx = strcmp(name, "local") ? c12_site_cfg_find(c->sites, c->n_sites, name) : C12_SITE_LOCAL;
        if (idx == -1 && strcmp(name, "local"))
            return c12_cfg_fail(v, kpath, err, "'%s' is not a site (define it under `sites:`, or say `local`)", name);
        for (int j = 0; j < m->n_sites; j++)
            if (m->sites[j] == idx) return c12_cfg_fail(v, kpath, err, "'%s' listed twice", name);
        m->sites[m->n_sites++] = idx;
    }
    int remote = c12_model_remote(m);
    if (m->n_sites <= 1 && !remote) return C12_OK; /* [local]: as if not said */
    m->local_slots = remote ? 0 : m->slots;
    m->slots = m->local_slots;
    for (int j = 0; j < m->n_sites; j++)
        if (m->sites[j] != C12_SITE_LOCAL) m->slots += c->sites[m->sites[j]].max_concurrent;
    return C12_OK;
}

/* id and source from each other; the catalogue's hash for a catalogue source. */
static c12_rc complete(c12_model_cfg *m, const c12_cfg_node *n, const char *path, c12_err *err)
{
    if (!m->source[0] && !m->id[0]) return c12_cfg_fail(n, path, err, "needs an id and a source or path");
    if (!m->source[0]) memcpy(m->source, m->id, strlen(m->id) + 1);
    if (!m->id[0]) {
        if (strchr(m->source, '/')) return c12_cfg_fail(n, path, err, "a model given by path needs an id");
        if (strlen(m->source) >= sizeof m->id) return c12_cfg_fail(n, path, err, "source too long for an id");
        memcpy(m->id, m->source, strlen(m->source) + 1);
    }
    if (c12_model_remote(m)) return C12_OK; /* no file: never loaded here */
    const c12_model_entry *e = c12_catalog_find(m->source);
    if (e && !m->sha256[0]) snprintf(m->sha256, sizeof m->sha256, "%s", e->sha256);
    if (!e && !strchr(m->source, '/') && !strstr(m->source, ".gguf"))
        return c12_cfg_fail(n, path, err, "source '%s' is neither a catalogue name nor a .gguf path", m->source);
    return C12_OK;
}

static c12_rc one_model(c12_config *c, const c12_cfg_node *n, size_t i, c12_err *err)
{
    char path[32];
    snprintf(path, sizeof path, "models[%zu]", i);
    if (c->n_models == C12_CFG_MAX_MODELS) return c12_cfg_fail(n, path, err, "more than %d models", C12_CFG_MAX_MODELS);
    c12_model_cfg *m = &c->models[c->n_models];
    const char *name = c12_cfg_scalar(n);
    if (name) { /* "- smollm2-135m": a catalogue model with every default */
        if (!c12_catalog_find(name)) return c12_cfg_fail(n, path, err, "'%s' is not in the catalogue", name);
        c12_config_model_from_catalog(m, name);
    } else {
        c12_config_model_defaults(m);
        c12_rc rc = c12_cfg_want_map(n, path, err);
        if (!rc) rc = c12_cfg_walk(n, path, MODEL_KEYS, m, err);
        if (!rc) rc = resolve_sites(c, m, n, path, err);
        if (!rc) rc = complete(m, n, path, err);
        if (rc) return rc;
    }
    m->line = c12_cfg_line(n);
    if (!strcmp(m->id, "auto")) return c12_cfg_fail(n, path, err, "id 'auto' is reserved (it means: C12 chooses)");
    if (c12_config_find_model(c, m->id) >= 0) return c12_cfg_fail(n, path, err, "model id '%s' defined twice", m->id);
    c->n_models++;
    return C12_OK;
}

c12_rc c12_config_sect_models(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    if (!n) {
        c12_config_use_catalog(c);
        return C12_OK;
    }
    if (c12_cfg_kind_of(n) != C12_CFG_SEQ) return c12_cfg_fail(n, "models", err, "must be a list");
    for (size_t i = 0; i < c12_cfg_len(n); i++) {
        c12_rc rc = one_model(c, c12_cfg_item(n, i), i, err);
        if (rc) return rc;
    }
    return c->n_models ? C12_OK : c12_cfg_fail(n, "models", err, "must list at least one model");
}

c12_rc c12_config_sect_default_model(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    if (!n) return C12_OK;
    const char *d = c12_cfg_scalar(n);
    int i = d ? c12_config_find_model(c, d) : -1;
    if (i < 0) return c12_cfg_fail(n, "default_model", err, "names no model in `models`");
    c->default_model = (size_t)i;
    return C12_OK;
}
