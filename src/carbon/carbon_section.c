/* carbon_section.c - the `carbon:` section of the configuration (read with
 * src/config's node API) into a c12_carbon_config: providers first (the
 * chain names them), then the section's own keys, each from a key table.
 * Every complaint names file:line and the key, e.g.
 * "c12.yaml:7: carbon.providers.em.ttl_s: must be a number from ...". */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "carbon/carbon_config_impl.h"
#include "config/cfg_node.h"

static c12_rc set_skip(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    return C12_OK; /* read before the walk */
}

static c12_rc set_secret(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    return c12_cfg_fail(v, path, err, "secrets do not belong in the file: name an environment variable with %s_env",
                        !strcmp(k->name, "token") ? "api_key" : k->name);
}

static const c12_cfg_key PROVIDER_KEYS[] = {
    C12_CFG_SET("type", set_skip),
    C12_CFG_SLOT("base_url", c12_cfg_slot_str, c12_carbon_provider_cfg, base_url, 0, 0),
    C12_CFG_SLOT("zone", c12_cfg_slot_str, c12_carbon_provider_cfg, region, 0, 0),
    C12_CFG_SLOT("region", c12_cfg_slot_str, c12_carbon_provider_cfg, region, 0, 0),
    C12_CFG_SLOT("api_key_env", c12_cfg_slot_str, c12_carbon_provider_cfg, api_key_env, 0, 0),
    C12_CFG_SLOT("username_env", c12_cfg_slot_str, c12_carbon_provider_cfg, username_env, 0, 0),
    C12_CFG_SLOT("password_env", c12_cfg_slot_str, c12_carbon_provider_cfg, password_env, 0, 0),
    C12_CFG_SLOT("signal_type", c12_cfg_slot_str, c12_carbon_provider_cfg, signal_type, 0, 0),
    C12_CFG_SLOT("path", c12_cfg_slot_str, c12_carbon_provider_cfg, path, 0, 0),
    C12_CFG_SLOT("ttl_s", c12_cfg_slot_ms, c12_carbon_provider_cfg, ttl_ms, 0.001, 1e9),
    C12_CFG_SLOT("forecast_ttl_s", c12_cfg_slot_ms, c12_carbon_provider_cfg, forecast_ttl_ms, 0.001, 1e9),
    C12_CFG_SLOT("value", c12_cfg_slot_num, c12_carbon_provider_cfg, value, 0, 5000),
    C12_CFG_SLOT("speed", c12_cfg_slot_num, c12_carbon_provider_cfg, speed, 1e-3, 1e6),
    C12_CFG_SLOT("timeout_ms", c12_cfg_slot_long, c12_carbon_provider_cfg, timeout_ms, 1, 600000),
    C12_CFG_SLOT("connect_timeout_ms", c12_cfg_slot_long, c12_carbon_provider_cfg, connect_timeout_ms, 1, 600000),
    C12_CFG_SET("api_key", set_secret),
    C12_CFG_SET("username", set_secret),
    C12_CFG_SET("password", set_secret),
    C12_CFG_SET("token", set_secret),
    {0}};

/* A relative trace path is relative to the configuration file's folder. */
static void resolve_path(const c12_cfg_node *at, c12_carbon_provider_cfg *p)
{
    const char *file = c12_cfg_file(at), *slash = strrchr(file, '/');
    if (!p->path[0] || p->path[0] == '/' || !slash) return;
    char full[C12_CARBON_PATH_MAX];
    int n = snprintf(full, sizeof full, "%.*s/%s", (int)(slash - file), file, p->path);
    if (n > 0 && (size_t)n < sizeof full) memcpy(p->path, full, (size_t)n + 1);
}

static c12_rc provider_start(c12_carbon_config *c, const char *name, const c12_cfg_node *map,
                             const c12_cfg_node *keyn, const char *path, c12_err *err)
{
    if (strlen(name) >= C12_CARBON_NAME_MAX) return c12_cfg_fail(keyn, path, err, "name too long");
    if (c12_carbon_config_find(c, name) >= 0) return c12_cfg_fail(keyn, path, err, "defined twice");
    if (c->n_providers == C12_CARBON_MAX_PROVIDERS)
        return c12_cfg_fail(keyn, path, err, "more than %d providers", C12_CARBON_MAX_PROVIDERS);
    c12_rc rc = c12_cfg_want_map(map, path, err);
    const c12_cfg_node *tn = c12_cfg_get(map, "type");
    const char *type = tn ? c12_cfg_scalar(tn) : name;
    if (rc) return rc;
    if (!type) return c12_cfg_fail(tn, path, err, "type must be a string");
    if (strlen(type) >= sizeof c->providers[0].type) return c12_cfg_fail(tn ? tn : keyn, path, err, "type too long");
    if (c12_carbon_config_provider_defaults(c, &c->providers[c->n_providers], name, type)) {
        char known[256];
        c12_carbon_config_type_names(c, known, sizeof known);
        return c12_cfg_fail(tn ? tn : keyn, path, err, "unknown provider type '%s' (known: %s)", type, known);
    }
    return C12_OK;
}

static c12_rc provider(c12_carbon_config *c, const char *trace_default, const c12_cfg_node *keyn,
                       const c12_cfg_node *map, c12_err *err)
{
    const char *name = c12_cfg_scalar(keyn);
    char path[160], where[C12_CARBON_PATH_MAX + 16];
    snprintf(path, sizeof path, "carbon.providers.%s", name);
    c12_rc rc = provider_start(c, name, map, keyn, path, err);
    if (rc) return rc;
    c12_carbon_provider_cfg *p = &c->providers[c->n_providers];
    p->line = c12_cfg_line(keyn);
    /* Every provider starts from the default data file; only trace reads it. */
    snprintf(p->path, sizeof p->path, "%s", trace_default ? trace_default : "");
    if ((rc = c12_cfg_walk(map, path, PROVIDER_KEYS, p, err))) return rc;
    if (c12_cfg_get(map, "path")) resolve_path(map, p);
    snprintf(where, sizeof where, "%s:%d", c12_cfg_file(keyn), p->line);
    rc = c12_carbon_config_check_provider(c, p, where, err);
    if (rc == C12_OK) c->n_providers++;
    return rc;
}

static c12_rc providers(c12_carbon_config *c, const char *trace_default, const c12_cfg_node *map, c12_err *err)
{
    c12_rc rc = c12_cfg_want_map(map, "carbon.providers", err);
    for (size_t i = 0; !rc && i < c12_cfg_len(map); i++) {
        const c12_cfg_node *kn = c12_cfg_pair_key(map, i);
        const char *name = c12_cfg_scalar(kn);
        if (!name || !*name) return c12_cfg_fail(kn, "carbon.providers", err, "provider names must be strings");
        rc = provider(c, trace_default, kn, c12_cfg_pair_value(map, i), err);
    }
    return rc;
}

/* Append one chain name; `at` is the node to blame. */
static c12_rc chain_add(c12_carbon_config *c, const char *name, size_t len, const c12_cfg_node *at, c12_err *err)
{
    char buf[C12_CARBON_NAME_MAX];
    if (len == 0) return c12_cfg_fail(at, "carbon.chain", err, "empty provider name");
    if (len >= sizeof buf) return c12_cfg_fail(at, "carbon.chain", err, "name too long");
    memcpy(buf, name, len);
    buf[len] = '\0';
    int i = c12_carbon_config_find(c, buf);
    if (i < 0) return c12_cfg_fail(at, "carbon.chain", err, "no provider named '%s'", buf);
    if (c->n_chain == C12_CARBON_MAX_PROVIDERS) return c12_cfg_fail(at, "carbon.chain", err, "too long");
    c->chain[c->n_chain++] = (size_t)i;
    return C12_OK;
}

/* chain: a sequence of names, or one string "a -> b -> c" (or "a, b, c"). */
static c12_rc set_chain(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    c12_carbon_config *c = obj;
    c12_rc rc = C12_OK;
    if (c12_cfg_kind_of(v) == C12_CFG_SEQ) {
        for (size_t i = 0; !rc && i < c12_cfg_len(v); i++) {
            const char *s = c12_cfg_scalar(c12_cfg_item(v, i));
            if (!s) return c12_cfg_fail(c12_cfg_item(v, i), path, err, "entries must be provider names");
            rc = chain_add(c, s, strlen(s), c12_cfg_item(v, i), err);
        }
        return rc;
    }
    const char *s = c12_cfg_scalar(v);
    if (!s) return c12_cfg_fail(v, path, err, "must be a list of provider names");
    while (*s && !rc) {
        if (*s == ' ' || *s == ',' || !strncmp(s, "->", 2)) {
            s += *s == '-' ? 2 : 1;
            continue;
        }
        const char *e = s;
        while (*e && *e != ' ' && *e != ',' && strncmp(e, "->", 2)) e++;
        rc = chain_add(c, s, (size_t)(e - s), v, err);
        s = e;
    }
    return rc;
}

static const c12_cfg_key CARBON_KEYS[] = {
    C12_CFG_SET("providers", set_skip),
    C12_CFG_SET("chain", set_chain),
    C12_CFG_SLOT("max_staleness_s", c12_cfg_slot_ms, c12_carbon_config, max_staleness_ms, 0.001, 1e9),
    C12_CFG_SLOT("backoff_base_s", c12_cfg_slot_ms, c12_carbon_config, backoff_base_ms, 0.001, 1e9),
    C12_CFG_SLOT("backoff_max_s", c12_cfg_slot_ms, c12_carbon_config, backoff_max_ms, 0.001, 1e9),
    C12_CFG_SLOT("jitter", c12_cfg_slot_num, c12_carbon_config, jitter, 0, 0.5),
    {0}};

/* A provider refreshed less often than the staleness limit would drop out
 * of the chain between two refreshes, however healthy. */
static c12_rc check_ttls(const c12_carbon_config *c, const char *file, c12_err *err)
{
    for (size_t k = 0; k < c->n_chain; k++) {
        const c12_carbon_provider_cfg *p = &c->providers[c->chain[k]];
        if (p->ttl_ms < c->max_staleness_ms) continue;
        return c12_fail(err, C12_ERR_INVALID, "%s:%d: carbon.providers.%s.ttl_s: %g s is not below "
                        "carbon.max_staleness_s (%g s): its readings would go stale between refreshes",
                        file, p->line, p->name, (double)p->ttl_ms / 1000, (double)c->max_staleness_ms / 1000);
    }
    return C12_OK;
}

static c12_rc builtin(c12_carbon_config *c, const char *trace_default, c12_err *err)
{
    if (c12_carbon_config_add_builtin(c, trace_default) == C12_OK) return C12_OK;
    return c12_fail(err, C12_ERR_NOT_FOUND, "%s: the provider table lacks trace/static", c->source);
}

static c12_rc section(c12_carbon_config *c, const c12_cfg_node *n, const char *trace_default, c12_err *err)
{
    const c12_cfg_node *pv = c12_cfg_get(n, "providers");
    c12_rc rc = c12_cfg_want_map(n, "carbon", err);
    if (!rc) rc = pv ? providers(c, trace_default, pv, err) : builtin(c, trace_default, err);
    if (!rc) rc = c12_cfg_walk(n, "carbon", CARBON_KEYS, c, err);
    if (!rc && c->backoff_max_ms < c->backoff_base_ms)
        rc = c12_cfg_fail(n, "carbon.backoff_max_s", err, "must not be below backoff_base_s");
    return rc;
}

c12_rc c12_carbon_config_section(const c12_cfg_node *n, const char *source, const c12_carbon_config_opts *opts,
                                 c12_carbon_config *out, c12_err *err)
{
    c12_carbon_config c;
    const char *trace = opts ? opts->trace_default : NULL;
    c12_carbon_config_init(&c, source, opts ? opts->table : NULL);
    c12_rc rc = n ? section(&c, n, trace, err) : builtin(&c, trace, err);
    if (rc) return rc;
    if (!c.n_chain) /* no chain given: every provider, in the order defined */
        for (c.n_chain = 0; c.n_chain < c.n_providers; c.n_chain++) c.chain[c.n_chain] = c.n_chain;
    if ((rc = check_ttls(&c, source, err))) return rc;
    *out = c;
    return C12_OK;
}
