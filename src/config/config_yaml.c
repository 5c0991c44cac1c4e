/* config_yaml.c - walk the YAML document (libyaml's document API) into a
 * c12_config. Every complaint names file:line and the key, e.g.
 * "c12.yaml:9: models[1].slots: must be an integer from 1 to 64". The
 * `carbon:` section is src/carbon's (c12_carbon_config_parse). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/config_impl.h"
#include "models/models.h"
#include "models/sha.h"

typedef struct ycx {
    yaml_document_t *doc;
    const char *file;
    c12_config *cfg;
    c12_err *err;
} ycx;

typedef c12_rc (*key_fn)(ycx *y, void *obj, const char *k, const yaml_node_t *v, const char *path);

static int line_of(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }

static c12_rc bad(ycx *y, const yaml_node_t *n, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static c12_rc bad(ycx *y, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return c12_fail(y->err, C12_ERR_INVALID, "%s:%d: %s: %s", y->file, line_of(n), key, what);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static c12_rc get_str(ycx *y, const yaml_node_t *v, const char *key, char *dst, size_t size)
{
    const char *s = scalar(v);
    if (!s) return bad(y, v, key, "must be a string");
    if (strlen(s) >= size) return bad(y, v, key, "longer than %zu characters", size - 1);
    memcpy(dst, s, strlen(s) + 1);
    return C12_OK;
}

static c12_rc get_int(ycx *y, const yaml_node_t *v, const char *key, long lo, long hi, long *out)
{
    const char *s = scalar(v);
    char *e;
    long d = s ? strtol(s, &e, 10) : 0;
    if (!s || !*s || *e || d < lo || d > hi)
        return bad(y, v, key, "must be an integer from %ld to %ld", lo, hi);
    *out = d;
    return C12_OK;
}

static c12_rc get_num(ycx *y, const yaml_node_t *v, const char *key, double lo, double hi, double *out)
{
    const char *s = scalar(v);
    char *e;
    double d = s ? strtod(s, &e) : NAN;
    if (!s || !*s || *e || !isfinite(d) || d < lo || d > hi)
        return bad(y, v, key, "must be a number from %g to %g", lo, hi);
    *out = d;
    return C12_OK;
}

static c12_rc get_bool(ycx *y, const yaml_node_t *v, const char *key, int *out)
{
    const char *s = scalar(v);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) *out = 1;
    else if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) *out = 0;
    else return bad(y, v, key, "must be true or false");
    return C12_OK;
}

/* Bytes: a plain integer or one with a unit (KB MB GB: powers of 1000; KiB MiB GiB: of 1024). */
static c12_rc get_bytes(ycx *y, const yaml_node_t *v, const char *key, uint64_t *out)
{
    static const struct { const char *unit; double mul; } units[] = {
        {"", 1}, {"B", 1}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
        {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
    const char *s = scalar(v);
    if (s && !strcmp(s, "auto")) {
        *out = 0;
        return C12_OK;
    }
    char *e;
    double d = s ? strtod(s, &e) : NAN;
    if (s && *s && isfinite(d) && d > 0) {
        while (*e == ' ') e++;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (!strcmp(e, units[i].unit) && d * units[i].mul < 1.8e19) {
                *out = (uint64_t)(d * units[i].mul);
                return C12_OK;
            }
    }
    return bad(y, v, key, "must be a size in bytes (e.g. 4000000000, 4GB, 3.5GiB) or auto");
}

static c12_rc walk_map(ycx *y, const yaml_node_t *m, const char *path, void *obj, key_fn fn)
{
    if (m->type != YAML_MAPPING_NODE) return bad(y, m, *path ? path : "(top level)", "must be a mapping");
    for (yaml_node_pair_t *kv = m->data.mapping.pairs.start; kv < m->data.mapping.pairs.top; kv++) {
        const yaml_node_t *kn = yaml_document_get_node(y->doc, kv->key);
        const char *k = scalar(kn);
        char kpath[192];
        snprintf(kpath, sizeof kpath, "%s%s%s", path, *path ? "." : "", k ? k : "?");
        if (!k) return bad(y, kn, path, "keys must be strings");
        c12_rc rc = fn(y, obj, k, yaml_document_get_node(y->doc, kv->value), kpath);
        if (rc) return rc;
    }
    return C12_OK;
}

/* api_keys entries: "sha256:<hex>" (the hash of the key), or "env:VAR" (a key
 * read from the environment and hashed at once). Plain keys are refused. */
static c12_rc api_key(ycx *y, const yaml_node_t *v, const char *path)
{
    c12_config *c = y->cfg;
    const char *s = scalar(v);
    if (!s) return bad(y, v, path, "entries must be strings");
    if (c->n_api_keys == C12_CFG_MAX_KEYS) return bad(y, v, path, "more than %d keys", C12_CFG_MAX_KEYS);
    char *dst = c->api_keys[c->n_api_keys];
    if (!strncmp(s, "sha256:", 7) && c12_sha256_is_hex(s + 7)) memcpy(dst, s + 7, 65);
    else if (!strncmp(s, "env:", 4)) {
        const char *key = getenv(s + 4);
        if (!key || !*key) return bad(y, v, path, "environment variable %s is not set", s + 4);
        c12_err e;
        if (c12_config_hash_key(key, dst, &e)) return bad(y, v, path, "%s", e.msg);
    } else
        return bad(y, v, path, "must be \"sha256:<64 lowercase hex>\" or \"env:VARIABLE\" "
                               "(keys are not stored in the file; `c12 config hash-key` prints the hash)");
    c->n_api_keys++;
    return C12_OK;
}

static c12_rc server_key(ycx *y, void *obj, const char *k, const yaml_node_t *v, const char *path)
{
    c12_config *c = y->cfg;
    long l;
    c12_rc rc;
    if (!strcmp(k, "listen")) {
        const char *s = scalar(v);
        c12_err e;
        if (!s) return bad(y, v, path, "must be a string HOST:PORT");
        if (c12_config_set_listen(c, s, &e)) return bad(y, v, path, "%s", e.msg);
        return C12_OK;
    }
    if (!strcmp(k, "max_body_bytes")) {
        if ((rc = get_int(y, v, path, 1024, 64L << 20, &l))) return rc;
        c->max_body_bytes = (size_t)l;
        return C12_OK;
    }
    if (!strcmp(k, "grace_s")) return get_num(y, v, path, 0, 3600, &c->grace_s);
    if (!strcmp(k, "metrics_auth")) return get_bool(y, v, path, &c->metrics_auth);
    if (!strcmp(k, "default_max_tokens")) {
        if ((rc = get_int(y, v, path, 1, 1 << 20, &l))) return rc;
        c->default_max_tokens = (int)l;
        return C12_OK;
    }
    if (!strcmp(k, "api_keys")) {
        if (v->type != YAML_SEQUENCE_NODE) return bad(y, v, path, "must be a list");
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
            if ((rc = api_key(y, yaml_document_get_node(y->doc, *it), path))) return rc;
        return C12_OK;
    }
    return bad(y, v, path, "unknown key");
}

static c12_rc pool_key(ycx *y, void *obj, const char *k, const yaml_node_t *v, const char *path)
{
    if (!strcmp(k, "memory_budget")) return get_bytes(y, v, path, &y->cfg->memory_budget);
    return bad(y, v, path, "unknown key");
}

static c12_rc queue_key(ycx *y, void *obj, const char *k, const yaml_node_t *v, const char *path)
{
    long l;
    c12_rc rc;
    int *dst = !strcmp(k, "max_total") ? &y->cfg->queue_max_total
             : !strcmp(k, "max_per_model") ? &y->cfg->queue_max_per_model : NULL;
    if (!dst) return bad(y, v, path, "unknown key");
    if ((rc = get_int(y, v, path, 0, 100000, &l))) return rc;
    *dst = (int)l;
    return C12_OK;
}

static c12_rc roles(ycx *y, c12_model_cfg *m, const yaml_node_t *v, const char *path)
{
    if (scalar(v)) return get_str(y, v, path, m->roles, sizeof m->roles);
    if (v->type != YAML_SEQUENCE_NODE) return bad(y, v, path, "must be a list of strings");
    m->roles[0] = '\0';
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        const char *s = scalar(yaml_document_get_node(y->doc, *it));
        size_t used = strlen(m->roles);
        if (!s) return bad(y, v, path, "must be a list of strings");
        if (used + strlen(s) + 2 > sizeof m->roles) return bad(y, v, path, "too long");
        snprintf(m->roles + used, sizeof m->roles - used, "%s%s", used ? "," : "", s);
    }
    return C12_OK;
}

/* Relative paths are relative to the config file's folder. */
static c12_rc model_path(ycx *y, c12_model_cfg *m, const yaml_node_t *v, const char *path)
{
    char p[C12_CFG_PATH_MAX];
    c12_rc rc = get_str(y, v, path, p, sizeof p);
    if (rc) return rc;
    const char *slash = strrchr(y->file, '/');
    int n = p[0] == '/' || !slash ? snprintf(m->source, sizeof m->source, "%s", p)
          : snprintf(m->source, sizeof m->source, "%.*s/%s", (int)(slash - y->file), y->file, p);
    if (n < 0 || (size_t)n >= sizeof m->source) return bad(y, v, path, "too long");
    if (!strchr(m->source, '/')) memmove(m->source + 2, m->source, strlen(m->source) + 1), memcpy(m->source, "./", 2);
    return C12_OK;
}

static c12_rc model_key(ycx *y, void *obj, const char *k, const yaml_node_t *v, const char *path)
{
    c12_model_cfg *m = obj;
    long l;
    c12_rc rc = C12_OK;
    if (!strcmp(k, "id")) return get_str(y, v, path, m->id, sizeof m->id);
    if (!strcmp(k, "source")) return get_str(y, v, path, m->source, sizeof m->source);
    if (!strcmp(k, "path")) return model_path(y, m, v, path);
    if (!strcmp(k, "sha256")) {
        if ((rc = get_str(y, v, path, m->sha256, sizeof m->sha256))) return rc;
        return c12_sha256_is_hex(m->sha256) ? C12_OK : bad(y, v, path, "must be 64 lowercase hex digits");
    }
    if (!strcmp(k, "roles")) return roles(y, m, v, path);
    if (!strcmp(k, "pinned")) return get_bool(y, v, path, &m->pinned);
    if (!strcmp(k, "keep_alive")) return get_int(y, v, path, -1, 100L * 365 * 86400, &m->keep_alive_s);
    int *dst = !strcmp(k, "context") ? &m->n_ctx : !strcmp(k, "threads") ? &m->n_threads
             : !strcmp(k, "slots") ? &m->slots : NULL;
    if (!dst) return bad(y, v, path, "unknown key");
    long lo = dst == &m->slots ? 1 : dst == &m->n_ctx ? 16 : 0;
    long hi = dst == &m->slots ? 64 : dst == &m->n_ctx ? 1 << 20 : 1024;
    if ((rc = get_int(y, v, path, lo, hi, &l))) return rc;
    *dst = (int)l;
    return C12_OK;
}

static c12_rc one_model(ycx *y, const yaml_node_t *n, size_t i)
{
    c12_config *c = y->cfg;
    char path[32];
    snprintf(path, sizeof path, "models[%zu]", i);
    if (c->n_models == C12_CFG_MAX_MODELS) return bad(y, n, path, "more than %d models", C12_CFG_MAX_MODELS);
    c12_model_cfg *m = &c->models[c->n_models];
    const char *name = scalar(n);
    if (name) { /* "- smollm2-135m": a catalogue model with every default */
        if (!c12_catalog_find(name)) return bad(y, n, path, "'%s' is not in the catalogue", name);
        c12_config_model_from_catalog(m, name);
    } else {
        c12_config_model_defaults(m);
        c12_rc rc = walk_map(y, n, path, m, model_key);
        if (rc) return rc;
        if (!m->source[0] && !m->id[0]) return bad(y, n, path, "needs an id and a source or path");
        if (!m->source[0]) memcpy(m->source, m->id, strlen(m->id) + 1);
        if (!m->id[0]) {
            if (strchr(m->source, '/')) return bad(y, n, path, "a model given by path needs an id");
            if (strlen(m->source) >= sizeof m->id) return bad(y, n, path, "source too long for an id");
            memcpy(m->id, m->source, strlen(m->source) + 1);
        }
        const c12_model_entry *e = c12_catalog_find(m->source);
        if (e && !m->sha256[0]) snprintf(m->sha256, sizeof m->sha256, "%s", e->sha256);
        if (!e && !strchr(m->source, '/') && !strstr(m->source, ".gguf"))
            return bad(y, n, path, "source '%s' is neither a catalogue name nor a .gguf path", m->source);
    }
    m->line = line_of(n);
    if (!strcmp(m->id, "auto")) return bad(y, n, path, "id 'auto' is reserved (it means: C12 chooses)");
    if (c12_config_find_model(c, m->id) >= 0) return bad(y, n, path, "model id '%s' defined twice", m->id);
    c->n_models++;
    return C12_OK;
}

static c12_rc models(ycx *y, const yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE) return bad(y, v, "models", "must be a list");
    size_t i = 0;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, i++) {
        c12_rc rc = one_model(y, yaml_document_get_node(y->doc, *it), i);
        if (rc) return rc;
    }
    return y->cfg->n_models ? C12_OK : bad(y, v, "models", "must list at least one model");
}

/* Sections other modules read from the same file (their own parsers check them). */
static const char *const OTHER_SECTIONS[] = {"carbon", "energy", "ledger", "policy", "route", "router", NULL};

static c12_rc top_key(ycx *y, void *obj, const char *k, const yaml_node_t *v, const char *path)
{
    for (const char *const *o = OTHER_SECTIONS; *o; o++)
        if (!strcmp(k, *o)) return C12_OK;
    if (!strcmp(k, "server")) return walk_map(y, v, "server", NULL, server_key);
    if (!strcmp(k, "pool")) return walk_map(y, v, "pool", NULL, pool_key);
    if (!strcmp(k, "queue")) return walk_map(y, v, "queue", NULL, queue_key);
    if (!strcmp(k, "models") || !strcmp(k, "default_model")) return C12_OK;
    return bad(y, v, path, "unknown key");
}

static c12_rc walk(ycx *y, const yaml_node_t *root)
{
    c12_config *c = y->cfg;
    const yaml_node_t *mv = NULL, *dv = NULL;
    if (!root || (root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) goto defaults;
    c12_rc rc = walk_map(y, root, "", NULL, top_key);
    if (rc) return rc;
    for (yaml_node_pair_t *kv = root->data.mapping.pairs.start; kv < root->data.mapping.pairs.top; kv++) {
        const char *k = scalar(yaml_document_get_node(y->doc, kv->key));
        if (!strcmp(k, "models")) mv = yaml_document_get_node(y->doc, kv->value);
        if (!strcmp(k, "default_model")) dv = yaml_document_get_node(y->doc, kv->value);
    }
    if (mv && (rc = models(y, mv))) return rc;
defaults:
    if (!c->n_models) c12_config_use_catalog(c);
    if (dv) {
        const char *d = scalar(dv);
        int i = d ? c12_config_find_model(c, d) : -1;
        if (i < 0) return bad(y, dv, "default_model", "names no model in `models`");
        c->default_model = (size_t)i;
    }
    if (c->queue_max_per_model > c->queue_max_total && c->queue_max_total > 0)
        c->queue_max_per_model = c->queue_max_total;
    return C12_OK;
}

c12_rc c12_config_parse(const char *text, size_t len, const char *filename, c12_config **out,
                        c12_err *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", filename);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        c12_rc rc = c12_fail(err, C12_ERR_FORMAT, "%s:%zu: %s", filename, parser.problem_mark.line + 1,
                             parser.problem ? parser.problem : "YAML error");
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_parser_delete(&parser);
    c12_config *c = c12_config_alloc(filename);
    if (!c) {
        yaml_document_delete(&doc);
        return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", filename);
    }
    ycx y = {&doc, filename, c, err};
    c12_rc rc = walk(&y, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    if (rc) {
        c12_config_free(c);
        return rc;
    }
    *out = c;
    return C12_OK;
}
