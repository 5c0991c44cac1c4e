/* config_yaml.c - read the `carbon:` mapping of a YAML file (libyaml's
 * document API) into a c12_carbon_config. Every complaint names file:line and
 * the key, e.g. "c12.yaml:7: carbon.providers.em.ttl_s: must be > 0". */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "carbon/carbon_config_impl.h"

typedef struct ycx {
    yaml_document_t *doc;
    const char *file;
    const char *trace_default;
    int path_given; /* the current provider set `path` itself */
    c12_carbon_config *cfg;
    c12_err *err;
} ycx;

static int line_of(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }

static c12_rc bad(ycx *y, const yaml_node_t *n, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static c12_rc bad(ycx *y, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return c12_fail(y->err, C12_ERR_INVALID, "%s:%d: %s: %s", y->file, n ? line_of(n) : 0, key, what);
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

static c12_rc get_num(ycx *y, const yaml_node_t *v, const char *key, double lo, double hi, double *out)
{
    const char *s = scalar(v);
    char *e;
    double d = s ? strtod(s, &e) : NAN;
    if (!s || !*s || *e || !isfinite(d)) return bad(y, v, key, "must be a number");
    if (d < lo || d > hi) return bad(y, v, key, "must be from %g to %g", lo, hi);
    *out = d;
    return C12_OK;
}

static c12_rc get_ms(ycx *y, const yaml_node_t *v, const char *key, double scale, int64_t *out)
{
    double d;
    c12_rc rc = get_num(y, v, key, 0.001, 1e9, &d);
    if (rc == C12_OK) *out = (int64_t)(d * scale + 0.5);
    return rc;
}

static const yaml_node_t *map_get(ycx *y, const yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = scalar(yaml_document_get_node(y->doc, p->key));
        if (k && !strcmp(k, key)) return yaml_document_get_node(y->doc, p->value);
    }
    return NULL;
}

/* One `key: value` of a provider; `path` is "carbon.providers.NAME.key". */
static c12_rc provider_key(ycx *y, c12_carbon_provider_cfg *p, const char *k, const yaml_node_t *v,
                           const char *path)
{
    double d;
    long lv;
    c12_rc rc;
    if (!strcmp(k, "type")) return C12_OK; /* read first, in provider() */
    if (!strcmp(k, "base_url")) return get_str(y, v, path, p->base_url, sizeof p->base_url);
    if (!strcmp(k, "zone") || !strcmp(k, "region")) return get_str(y, v, path, p->region, sizeof p->region);
    if (!strcmp(k, "api_key_env")) return get_str(y, v, path, p->api_key_env, sizeof p->api_key_env);
    if (!strcmp(k, "username_env")) return get_str(y, v, path, p->username_env, sizeof p->username_env);
    if (!strcmp(k, "password_env")) return get_str(y, v, path, p->password_env, sizeof p->password_env);
    if (!strcmp(k, "signal_type")) return get_str(y, v, path, p->signal_type, sizeof p->signal_type);
    if (!strcmp(k, "path")) {
        y->path_given = 1;
        return get_str(y, v, path, p->path, sizeof p->path);
    }
    if (!strcmp(k, "ttl_s")) return get_ms(y, v, path, 1000, &p->ttl_ms);
    if (!strcmp(k, "forecast_ttl_s")) return get_ms(y, v, path, 1000, &p->forecast_ttl_ms);
    if (!strcmp(k, "value")) return get_num(y, v, path, 0, 5000, &p->value);
    if (!strcmp(k, "speed")) return get_num(y, v, path, 1e-3, 1e6, &p->speed);
    if (!strcmp(k, "timeout_ms") || !strcmp(k, "connect_timeout_ms")) {
        if ((rc = get_num(y, v, path, 1, 600000, &d))) return rc;
        lv = (long)d;
        *(!strcmp(k, "timeout_ms") ? &p->timeout_ms : &p->connect_timeout_ms) = lv;
        return C12_OK;
    }
    if (!strcmp(k, "api_key") || !strcmp(k, "password") || !strcmp(k, "username") || !strcmp(k, "token"))
        return bad(y, v, path, "secrets do not belong in the file: name an environment variable with %s_env",
                   !strcmp(k, "token") ? "api_key" : k);
    return bad(y, v, path, "unknown key");
}

/* Relative trace paths are relative to the config file's folder. */
static void resolve_path(ycx *y, c12_carbon_provider_cfg *p)
{
    const char *slash = strrchr(y->file, '/');
    if (!p->path[0] || p->path[0] == '/' || !slash) return;
    char full[C12_CARBON_PATH_MAX];
    int n = snprintf(full, sizeof full, "%.*s/%s", (int)(slash - y->file), y->file, p->path);
    if (n > 0 && (size_t)n < sizeof full) memcpy(p->path, full, (size_t)n + 1);
}

static c12_rc provider(ycx *y, const char *name, const yaml_node_t *map, const yaml_node_t *keyn)
{
    c12_carbon_config *c = y->cfg;
    char path[160], where[C12_CARBON_PATH_MAX + 16];
    snprintf(path, sizeof path, "carbon.providers.%s", name);
    if (strlen(name) >= C12_CARBON_NAME_MAX) return bad(y, keyn, path, "name too long");
    if (c12_carbon_config_find(c, name) >= 0) return bad(y, keyn, path, "defined twice");
    if (c->n_providers == C12_CARBON_MAX_PROVIDERS)
        return bad(y, keyn, path, "more than %d providers", C12_CARBON_MAX_PROVIDERS);
    if (map->type != YAML_MAPPING_NODE) return bad(y, map, path, "must be a mapping");
    const char *type = name;
    const yaml_node_t *tn = map_get(y, map, "type");
    if (tn && !(type = scalar(tn))) return bad(y, tn, path, "type must be a string");
    if (strlen(type) >= sizeof c->providers[0].type) return bad(y, tn, path, "type too long");
    c12_carbon_provider_cfg *p = &c->providers[c->n_providers];
    if (c12_carbon_config_provider_defaults(c, p, name, type)) {
        char known[256];
        c12_carbon_config_type_names(c, known, sizeof known);
        return bad(y, tn ? tn : keyn, path, "unknown provider type '%s' (known: %s)", type, known);
    }
    p->line = line_of(keyn);
    /* Every provider starts from the default data file; only trace reads it. */
    snprintf(p->path, sizeof p->path, "%s", y->trace_default ? y->trace_default : "");
    y->path_given = 0;
    for (yaml_node_pair_t *kv = map->data.mapping.pairs.start; kv < map->data.mapping.pairs.top; kv++) {
        const yaml_node_t *kn = yaml_document_get_node(y->doc, kv->key);
        const char *k = scalar(kn);
        char kpath[224];
        snprintf(kpath, sizeof kpath, "%s.%s", path, k ? k : "?");
        if (!k) return bad(y, kn, kpath, "keys must be strings");
        c12_rc rc = provider_key(y, p, k, yaml_document_get_node(y->doc, kv->value), kpath);
        if (rc) return rc;
    }
    if (y->path_given) resolve_path(y, p);
    snprintf(where, sizeof where, "%s:%d", y->file, p->line);
    c12_rc rc = c12_carbon_config_check_provider(c, p, where, y->err);
    if (rc == C12_OK) c->n_providers++;
    return rc;
}

static c12_rc providers(ycx *y, const yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE) return bad(y, map, "carbon.providers", "must be a mapping");
    for (yaml_node_pair_t *kv = map->data.mapping.pairs.start; kv < map->data.mapping.pairs.top; kv++) {
        const yaml_node_t *kn = yaml_document_get_node(y->doc, kv->key);
        const char *name = scalar(kn);
        if (!name || !*name) return bad(y, kn, "carbon.providers", "provider names must be strings");
        c12_rc rc = provider(y, name, yaml_document_get_node(y->doc, kv->value), kn);
        if (rc) return rc;
    }
    return C12_OK;
}

/* Append one chain name; `at` is the node to blame. */
static c12_rc chain_add(ycx *y, const char *name, size_t len, const yaml_node_t *at)
{
    c12_carbon_config *c = y->cfg;
    char buf[C12_CARBON_NAME_MAX];
    if (len == 0) return bad(y, at, "carbon.chain", "empty provider name");
    if (len >= sizeof buf) return bad(y, at, "carbon.chain", "name too long");
    memcpy(buf, name, len);
    buf[len] = '\0';
    int i = c12_carbon_config_find(c, buf);
    if (i < 0) return bad(y, at, "carbon.chain", "no provider named '%s'", buf);
    if (c->n_chain == C12_CARBON_MAX_PROVIDERS) return bad(y, at, "carbon.chain", "too long");
    c->chain[c->n_chain++] = (size_t)i;
    return C12_OK;
}

/* chain: a sequence of names, or one string "a -> b -> c" (or "a, b, c"). */
static c12_rc chain(ycx *y, const yaml_node_t *v)
{
    if (v->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            const yaml_node_t *n = yaml_document_get_node(y->doc, *it);
            const char *s = scalar(n);
            if (!s) return bad(y, n, "carbon.chain", "entries must be provider names");
            c12_rc rc = chain_add(y, s, strlen(s), n);
            if (rc) return rc;
        }
        return C12_OK;
    }
    const char *s = scalar(v);
    if (!s) return bad(y, v, "carbon.chain", "must be a list of provider names");
    while (*s) {
        if (*s == ' ' || *s == ',') {
            s++;
            continue;
        }
        if (!strncmp(s, "->", 2)) {
            s += 2;
            continue;
        }
        const char *e = s;
        while (*e && *e != ' ' && *e != ',' && strncmp(e, "->", 2)) e++;
        c12_rc rc = chain_add(y, s, (size_t)(e - s), v);
        if (rc) return rc;
        s = e;
    }
    return C12_OK;
}

static c12_rc builtin(ycx *y)
{
    if (c12_carbon_config_add_builtin(y->cfg, y->trace_default) == C12_OK) return C12_OK;
    return c12_fail(y->err, C12_ERR_NOT_FOUND, "%s: the provider table lacks trace/static", y->file);
}

static c12_rc carbon_section(ycx *y, const yaml_node_t *m)
{
    c12_carbon_config *c = y->cfg;
    if (m->type != YAML_MAPPING_NODE) return bad(y, m, "carbon", "must be a mapping");
    const yaml_node_t *pv = map_get(y, m, "providers");
    c12_rc rc = pv ? providers(y, pv) : builtin(y);
    if (rc) return rc;
    for (yaml_node_pair_t *kv = m->data.mapping.pairs.start; kv < m->data.mapping.pairs.top && !rc; kv++) {
        const yaml_node_t *kn = yaml_document_get_node(y->doc, kv->key);
        const yaml_node_t *v = yaml_document_get_node(y->doc, kv->value);
        const char *k = scalar(kn);
        char path[96];
        snprintf(path, sizeof path, "carbon.%s", k ? k : "?");
        if (!k) rc = bad(y, kn, "carbon", "keys must be strings");
        else if (!strcmp(k, "providers")) continue;
        else if (!strcmp(k, "chain")) rc = chain(y, v);
        else if (!strcmp(k, "max_staleness_s")) rc = get_ms(y, v, path, 1000, &c->max_staleness_ms);
        else if (!strcmp(k, "backoff_base_s")) rc = get_ms(y, v, path, 1000, &c->backoff_base_ms);
        else if (!strcmp(k, "backoff_max_s")) rc = get_ms(y, v, path, 1000, &c->backoff_max_ms);
        else if (!strcmp(k, "jitter")) rc = get_num(y, v, path, 0, 0.5, &c->jitter);
        else rc = bad(y, kn, path, "unknown key");
    }
    if (rc == C12_OK && c->backoff_max_ms < c->backoff_base_ms)
        rc = bad(y, m, "carbon.backoff_max_s", "must not be below backoff_base_s");
    return rc;
}

static void finish_chain(c12_carbon_config *c)
{
    if (c->n_chain) return;
    for (size_t i = 0; i < c->n_providers; i++) c->chain[i] = i;
    c->n_chain = c->n_providers;
}

/* A provider refreshed less often than the staleness limit would drop out
 * of the chain between two refreshes, however healthy. */
static c12_rc check_ttls(ycx *y)
{
    const c12_carbon_config *c = y->cfg;
    for (size_t k = 0; k < c->n_chain; k++) {
        const c12_carbon_provider_cfg *p = &c->providers[c->chain[k]];
        if (p->ttl_ms < c->max_staleness_ms) continue;
        return c12_fail(y->err, C12_ERR_INVALID, "%s:%d: carbon.providers.%s.ttl_s: %g s is not below "
                        "carbon.max_staleness_s (%g s): its readings would go stale between refreshes",
                        y->file, p->line, p->name, (double)p->ttl_ms / 1000, (double)c->max_staleness_ms / 1000);
    }
    return C12_OK;
}

c12_rc c12_carbon_config_parse(const char *text, size_t len, const char *filename,
                               const c12_carbon_config_opts *opts, c12_carbon_config **out,
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
    c12_carbon_config *c = c12_carbon_config_alloc(filename, opts ? opts->table : NULL);
    if (!c) {
        yaml_document_delete(&doc);
        return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", filename);
    }
    const char *trace_default = opts ? opts->trace_default : NULL;
    ycx y = {&doc, filename, trace_default, 0, c, err};
    const yaml_node_t *root = yaml_document_get_root_node(&doc);
    const yaml_node_t *carbon = NULL;
    c12_rc rc = C12_OK;
    if (root && root->type == YAML_MAPPING_NODE) carbon = map_get(&y, root, "carbon");
    else if (root && !(root->type == YAML_SCALAR_NODE && !root->data.scalar.length))
        rc = bad(&y, root, "(top level)", "must be a mapping");
    if (rc == C12_OK)
        rc = carbon ? carbon_section(&y, carbon) : builtin(&y);
    if (rc == C12_OK) {
        finish_chain(c);
        rc = check_ttls(&y);
    }
    yaml_document_delete(&doc);
    if (rc) {
        c12_carbon_config_free(c);
        return rc;
    }
    *out = c;
    return C12_OK;
}
