/* carbon_config.c - built-in defaults, the generic part of each provider's
 * defaults (the type's own part is its ops->defaults), and the chain edits
 * the CLI makes. The `carbon:` section of the file is carbon_section.c. */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon.h"
#include "carbon/carbon_config.h"
#include "carbon/carbon_config_impl.h"

c12_carbon_config *c12_carbon_config_alloc(const char *source,
                                           const c12_carbon_provider_ops *const *table)
{
    c12_carbon_config *c = c12_malloc(sizeof *c);
    if (c) c12_carbon_config_init(c, source, table);
    return c;
}

void c12_carbon_config_init(c12_carbon_config *c, const char *source, const c12_carbon_provider_ops *const *table)
{
    memset(c, 0, sizeof *c);
    c->max_staleness_ms = 3600 * 1000;
    c->backoff_base_ms = 5000;
    c->backoff_max_ms = 600 * 1000;
    c->jitter = 0.1;
    c->table = table ? table : c12_carbon_providers;
    snprintf(c->source, sizeof c->source, "%s", source);
}

c12_rc c12_carbon_config_provider_defaults(const c12_carbon_config *c, c12_carbon_provider_cfg *p,
                                           const char *name, const char *type)
{
    const c12_carbon_provider_ops *ops = c12_carbon_provider_find(c->table, type);
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->type, sizeof p->type, "%s", type);
    p->ttl_ms = 300 * 1000;
    p->forecast_ttl_ms = 1800 * 1000; /* forecasts move slower than readings */
    p->timeout_ms = 10000;
    p->connect_timeout_ms = 3000;
    p->speed = 1.0;
    p->value = -1;
    if (!ops) return C12_ERR_NOT_FOUND;
    if (ops->defaults) ops->defaults(p);
    return C12_OK;
}

c12_rc c12_carbon_config_check_provider(const c12_carbon_config *c, const c12_carbon_provider_cfg *p,
                                        const char *where, c12_err *err)
{
    const c12_carbon_provider_ops *ops = c12_carbon_provider_find(c->table, p->type);
    if (!ops) return c12_fail(err, C12_ERR_INVALID, "%s: unknown provider type '%s'", where, p->type);
    return ops->check ? ops->check(p, where, err) : C12_OK;
}

void c12_carbon_config_type_names(const c12_carbon_config *c, char *buf, size_t size)
{
    buf[0] = '\0';
    for (const c12_carbon_provider_ops *const *t = c->table; *t; t++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", t == c->table ? "" : ", ", (*t)->type);
    }
}

c12_rc c12_carbon_config_add_builtin(c12_carbon_config *c, const char *trace_path)
{
    if (c->n_providers + 2 > C12_CARBON_MAX_PROVIDERS) return C12_ERR_RANGE;
    c12_carbon_provider_cfg *t = &c->providers[c->n_providers];
    c12_carbon_provider_cfg *s = &c->providers[c->n_providers + 1];
    if (c12_carbon_config_provider_defaults(c, t, "trace", "trace") ||
        c12_carbon_config_provider_defaults(c, s, "static", "static"))
        return C12_ERR_NOT_FOUND;
    snprintf(t->path, sizeof t->path, "%s", trace_path ? trace_path : "");
    snprintf(t->region, sizeof t->region, "GB"); /* the bundled trace is Great Britain's */
    s->value = C12_CARBON_DEFAULT_STATIC;
    c->n_providers += 2;
    return C12_OK;
}

c12_rc c12_carbon_config_defaults(const c12_carbon_config_opts *opts, c12_carbon_config **out,
                                  c12_err *err)
{
    c12_carbon_config *c = c12_carbon_config_alloc("built-in defaults", opts ? opts->table : NULL);
    if (!c) return c12_fail(err, C12_ERR_NOMEM, "carbon config: out of memory");
    if (c12_carbon_config_add_builtin(c, opts ? opts->trace_default : NULL)) {
        c12_carbon_config_free(c);
        return c12_fail(err, C12_ERR_NOT_FOUND, "carbon config: no trace/static provider types");
    }
    c->chain[0] = 0;
    c->chain[1] = 1;
    c->n_chain = 2;
    *out = c;
    return C12_OK;
}

void c12_carbon_config_free(c12_carbon_config *c) { c12_free(c); }

int c12_carbon_config_find(const c12_carbon_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_providers; i++)
        if (!strcmp(c->providers[i].name, name)) return (int)i;
    return -1;
}

c12_rc c12_carbon_config_only(c12_carbon_config *c, const char *name, c12_err *err)
{
    int i = c12_carbon_config_find(c, name);
    if (i < 0) {
        char names[256] = "";
        for (size_t k = 0; k < c->n_providers; k++) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", k ? ", " : "", c->providers[k].name);
        }
        return c12_fail(err, C12_ERR_NOT_FOUND, "no carbon provider named '%s' (configured: %s)", name,
                        names);
    }
    c->chain[0] = (size_t)i;
    c->n_chain = 1;
    return C12_OK;
}

c12_rc c12_carbon_config_set_region(c12_carbon_config *c, const char *region, c12_err *err)
{
    if (strlen(region) >= sizeof c->providers[0].region)
        return c12_fail(err, C12_ERR_INVALID, "region '%.32s...' is too long", region);
    for (size_t k = 0; k < c->n_chain; k++) {
        c12_carbon_provider_cfg *p = &c->providers[c->chain[k]];
        const c12_carbon_provider_ops *ops = c12_carbon_provider_find(c->table, p->type);
        if (ops && ops->uses_region) {
            snprintf(p->region, sizeof p->region, "%s", region);
            c12_rc rc = c12_carbon_config_check_provider(c, p, "--region", err);
            if (rc) return rc;
        }
    }
    return C12_OK;
}
