/* site_cfg.c - the `sites:` section (site_cfg.h): a mapping of site names
 * to their keys, each parsed by the table below; a site's `carbon:` is a
 * carbon: section of its own (carbon_config.h), its grid's provider chain. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pool/site_cfg.h"

void c12_site_cfg_defaults(c12_site_cfg *s)
{
    memset(s, 0, sizeof *s);
    s->max_concurrent = 16;
    s->connect_timeout_s = 3;
    s->first_token_timeout_s = 60;
    s->idle_timeout_s = 30;
    /* rough figures for a mid-sized model on a GPU server: calibrate */
    s->j_per_prompt_token = 0.02;
    s->j_per_output_token = 0.2;
    s->probe_interval_s = 5;
    s->breaker_failures = 3;
    s->breaker_backoff_s = 5;
}

int c12_site_cfg_find(const c12_site_cfg *sites, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(sites[i].name, name)) return (int)i;
    return -1;
}

/* http:// or https://, a host; the trailing '/' dropped (paths are added). */
static c12_rc url_into(const c12_cfg_node *v, const char *path, char *url, size_t cap, c12_err *err)
{
    c12_rc rc = c12_cfg_str(v, path, url, cap, err);
    if (rc) return rc;
    const char *host = !strncmp(url, "http://", 7) ? url + 7 : !strncmp(url, "https://", 8) ? url + 8 : NULL;
    if (!host) return c12_cfg_fail(v, path, err, "must start with http:// or https://");
    if (!*host || *host == '/' || *host == ':') return c12_cfg_fail(v, path, err, "has no host");
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '?' || *p == '#')
            return c12_cfg_fail(v, path, err, "must be a base URL (no spaces, query or fragment)");
    size_t n = strlen(url);
    while (n && url[n - 1] == '/') url[--n] = '\0';
    return C12_OK;
}

static c12_rc set_url(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    c12_site_cfg *s = obj;
    return url_into(v, path, s->url, sizeof s->url, err);
}

static c12_rc set_metrics_url(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    c12_site_cfg *s = obj;
    const char *t = c12_cfg_scalar(v);
    if (t && !strcmp(t, "none")) return c12_cfg_str(v, path, s->metrics_url, sizeof s->metrics_url, err);
    return url_into(v, path, s->metrics_url, sizeof s->metrics_url, err);
}

/* Read after the walk, with the carbon options (site_one). */
static c12_rc set_carbon(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    return C12_OK;
}

static const c12_cfg_key SITE_KEYS[] = {
    C12_CFG_SET("url", set_url),
    C12_CFG_SLOT("api_key_env", c12_cfg_slot_str, c12_site_cfg, api_key_env, 0, 0),
    C12_CFG_SLOT("region", c12_cfg_slot_str, c12_site_cfg, region, 0, 0),
    C12_CFG_SET("metrics_url", set_metrics_url),
    C12_CFG_SET("carbon", set_carbon),
    C12_CFG_SLOT("max_concurrent", c12_cfg_slot_int, c12_site_cfg, max_concurrent, 1, 1024),
    C12_CFG_SLOT("connect_timeout_s", c12_cfg_slot_num, c12_site_cfg, connect_timeout_s, 0.05, 600),
    C12_CFG_SLOT("first_token_timeout_s", c12_cfg_slot_num, c12_site_cfg, first_token_timeout_s, 0.05, 3600),
    C12_CFG_SLOT("idle_timeout_s", c12_cfg_slot_num, c12_site_cfg, idle_timeout_s, 0.05, 3600),
    C12_CFG_SLOT("j_per_prompt_token", c12_cfg_slot_num, c12_site_cfg, j_per_prompt_token, 0, 1e6),
    C12_CFG_SLOT("j_per_output_token", c12_cfg_slot_num, c12_site_cfg, j_per_output_token, 0, 1e6),
    C12_CFG_SLOT("probe_interval_s", c12_cfg_slot_num, c12_site_cfg, probe_interval_s, 0.05, 3600),
    C12_CFG_SLOT("breaker_failures", c12_cfg_slot_int, c12_site_cfg, breaker_failures, 1, 1000),
    C12_CFG_SLOT("breaker_backoff_s", c12_cfg_slot_num, c12_site_cfg, breaker_backoff_s, 0.05, 3600),
    C12_CFG_SLOT("optional", c12_cfg_slot_bool, c12_site_cfg, optional, 0, 0),
    {0}};

/* The region label: the key, else the first provider's zone in the chain. */
static void default_region(c12_site_cfg *s)
{
    if (s->region[0] || !s->carbon.n_chain) return;
    snprintf(s->region, sizeof s->region, "%s", s->carbon.providers[s->carbon.chain[0]].region);
}

static c12_rc site_one(const c12_cfg_node *name, const c12_cfg_node *v, const char *source,
                       const c12_carbon_config_opts *co, c12_site_cfg *s, c12_err *err)
{
    const char *nm = c12_cfg_scalar(name);
    char path[64];
    snprintf(path, sizeof path, "sites.%.40s", nm ? nm : "?");
    c12_site_cfg_defaults(s);
    if (!nm || !*nm || strlen(nm) >= sizeof s->name) return c12_cfg_fail(name, "sites", err, "a site needs a name of 1 to 31 characters");
    if (!strcmp(nm, "local")) return c12_cfg_fail(name, path, err, "the name 'local' is reserved (it means this process)");
    for (const char *p = nm; *p; p++)
        if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z')))
            return c12_cfg_fail(name, path, err, "a site's name may hold letters, digits, '-', '_' and '.' only");
    snprintf(s->name, sizeof s->name, "%s", nm);
    s->line = c12_cfg_line(name);
    c12_rc rc = c12_cfg_want_map(v, path, err);
    if (!rc) rc = c12_cfg_walk(v, path, SITE_KEYS, s, err);
    if (rc) return rc;
    if (!s->url[0]) return c12_cfg_fail(v, path, err, "needs a url (the server's OpenAI base URL, e.g. http://host:8080/v1)");
    const c12_cfg_node *cn = c12_cfg_get(v, "carbon");
    if (!cn)
        return c12_cfg_fail(v, path, err, "needs a carbon: section (the provider chain of the grid where it runs, "
                            "e.g. {chain: [static], providers: {static: {value: 300}}})");
    if ((rc = c12_carbon_config_section(cn, source, co, &s->carbon, err))) return rc;
    default_region(s);
    return C12_OK;
}

c12_rc c12_site_cfg_section(const c12_cfg_node *n, const char *source, const c12_carbon_config_opts *co,
                            c12_site_cfg *sites, size_t *n_sites, c12_err *err)
{
    if (!n || c12_cfg_is_empty(n)) return *n_sites = 0, C12_OK;
    c12_rc rc = c12_cfg_want_map(n, "sites", err);
    size_t i = 0;
    for (; !rc && i < c12_cfg_len(n); i++) {
        const c12_cfg_node *k = c12_cfg_pair_key(n, i);
        if (i == C12_CFG_MAX_SITES) return c12_cfg_fail(k, "sites", err, "more than %d sites", C12_CFG_MAX_SITES);
        rc = site_one(k, c12_cfg_pair_value(n, i), source, co, &sites[i], err);
        if (!rc && c12_site_cfg_find(sites, i, sites[i].name) >= 0)
            rc = c12_cfg_fail(k, "sites", err, "site '%s' defined twice", sites[i].name);
    }
    if (!rc) *n_sites = i;
    return rc;
}
