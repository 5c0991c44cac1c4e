/* sections.c - the one table of the configuration file's sections, as
 * nginx's ngx_command_t and redis's static_configs[]: each module registers
 * its section here with the function that parses its node. The file is
 * read once, parsed once (cfg_node.h), and each section's node goes to its
 * parser, in table order (so default_model comes after models). A key at
 * the top level that names no section is an error. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon.h"
#include "config/config_impl.h"

static c12_rc sect_carbon(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    c12_carbon_config_opts co = o ? o->carbon : (c12_carbon_config_opts){0};
    if (!co.trace_default && c->trace_default[0]) co.trace_default = c->trace_default;
    c12_rc rc = c12_carbon_config_section(n, c->source, &co, &c->carbon, err);
    /* No bundled trace and no carbon: section: the static value alone. */
    if (!rc && !n && !co.trace_default) rc = c12_carbon_config_only(&c->carbon, "static", err);
    return rc;
}

static c12_rc sect_sites(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    c12_carbon_config_opts co = o ? o->carbon : (c12_carbon_config_opts){0};
    if (!co.trace_default && c->trace_default[0]) co.trace_default = c->trace_default;
    return c12_site_cfg_section(n, c->source, &co, c->sites, &c->n_sites, err);
}

static c12_rc energy_set(void *obj, const char *key, const char *value, c12_err *err)
{
    return c12_energy_cfg_set(obj, key, value, err);
}

static c12_rc sect_energy(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    c12_energy_cfg_defaults(&c->energy);
    return n ? c12_cfg_walk_text(n, "energy", energy_set, &c->energy, err) : C12_OK;
}

static c12_rc ledger_set(void *obj, const char *key, const char *value, c12_err *err)
{
    return c12_ledger_cfg_set(obj, key, value, err);
}

static c12_rc sect_ledger(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    c12_ledger_cfg_defaults(&c->ledger);
    return n ? c12_cfg_walk_text(n, "ledger", ledger_set, &c->ledger, err) : C12_OK;
}

static c12_rc sect_policy(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    return c12_policy_section(n, &c->policy, err);
}

typedef struct section {
    const char *name;
    c12_config_sect_fn parse;
    /* SIGHUP hands a reloadable section its new node; the part of
     * c12_config it fills (offset, size) is what c12_config_reload takes. */
    int reloadable;
    size_t offset, size;
} section;

static const section SECTIONS[] = {
    {.name = "server", .parse = c12_config_sect_server},
    {.name = "pool", .parse = c12_config_sect_pool},
    {.name = "queue", .parse = c12_config_sect_queue},
    {.name = "sites", .parse = sect_sites}, /* before models, which name them */
    {.name = "models", .parse = c12_config_sect_models},
    {.name = "default_model", .parse = c12_config_sect_default_model},
    {.name = "carbon", .parse = sect_carbon},
    {.name = "energy", .parse = sect_energy},
    {.name = "ledger", .parse = sect_ledger},
    {.name = "cache", .parse = c12_config_sect_cache},
    {.name = "batch", .parse = c12_config_sect_batch},
    {.name = "policy", .parse = sect_policy, .reloadable = 1,
     .offset = offsetof(c12_config, policy), .size = sizeof(c12_policy_params)},
};
#define N_SECTIONS (sizeof SECTIONS / sizeof SECTIONS[0])

static c12_rc check_top(const c12_cfg_node *root, c12_err *err)
{
    c12_rc rc = c12_cfg_want_map(root, "", err);
    for (size_t i = 0; !rc && i < c12_cfg_len(root); i++) {
        const c12_cfg_node *kn = c12_cfg_pair_key(root, i);
        const char *k = c12_cfg_scalar(kn);
        size_t s = 0;
        while (k && s < N_SECTIONS && strcmp(SECTIONS[s].name, k)) s++;
        if (s < N_SECTIONS) continue;
        char known[256] = "";
        for (s = 0; s < N_SECTIONS; s++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", s ? ", " : "", SECTIONS[s].name);
        rc = c12_cfg_fail(kn, k ? k : "?", err, "unknown key: no such section (sections: %s)", known);
    }
    return rc;
}

/* Every section from the document into c (a fresh config). */
static c12_rc parse_doc(const c12_cfg_doc *d, const c12_config_opts *o, c12_config *c, c12_err *err)
{
    const c12_cfg_node *root = d ? c12_cfg_doc_root(d) : NULL;
    c12_rc rc = root ? check_top(root, err) : C12_OK;
    for (size_t s = 0; !rc && s < N_SECTIONS; s++)
        rc = SECTIONS[s].parse(c12_cfg_get(root, SECTIONS[s].name), c, o, err);
    return rc;
}

/* The bundled carbon trace, unless opts name one; a note when it is missing. */
static void find_trace(c12_config *c, const c12_config_opts *o)
{
    c12_err e;
    if (o && o->carbon.trace_default) return;
    if (c12_carbon_data_path(C12_CARBON_BUNDLED_TRACE, c->trace_default, sizeof c->trace_default, &e)) {
        c->trace_default[0] = '\0';
        snprintf(c->note, sizeof c->note, "carbon: %.400s; the built-in chain uses the static value only", e.msg);
    }
}

static c12_rc build(const c12_cfg_doc *d, const char *source, const c12_config_opts *o, c12_config **out, c12_err *err)
{
    c12_config *c = c12_config_alloc(source);
    if (!c) return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", source);
    c->from_file = d != NULL;
    find_trace(c, o);
    c12_rc rc = parse_doc(d, o, c, err);
    if (rc) {
        c12_config_free(c);
        return rc;
    }
    *out = c;
    return C12_OK;
}

c12_rc c12_config_defaults(c12_config **out, c12_err *err) { return build(NULL, "built-in defaults", NULL, out, err); }

c12_rc c12_config_parse_opts(const char *text, size_t len, const char *filename, const c12_config_opts *opts,
                             c12_config **out, c12_err *err)
{
    c12_cfg_doc *d = NULL;
    c12_rc rc = c12_cfg_doc_parse(text, len, filename, &d, err);
    if (!rc) rc = build(d, filename, opts, out, err);
    c12_cfg_doc_free(d);
    return rc;
}

c12_rc c12_config_parse(const char *text, size_t len, const char *filename, c12_config **out, c12_err *err)
{
    return c12_config_parse_opts(text, len, filename, NULL, out, err);
}

c12_rc c12_config_load(const char *path, c12_config **out, c12_err *err)
{
    c12_cfg_doc *d = NULL;
    c12_rc rc = c12_cfg_doc_load(path, &d, err);
    if (!rc) rc = build(d, path, NULL, out, err);
    c12_cfg_doc_free(d);
    return rc;
}

c12_rc c12_config_reload(const c12_config *cur, c12_config **out, c12_err *err)
{
    c12_config *fresh = NULL, *next = NULL;
    c12_rc rc = cur->from_file ? c12_config_load(cur->source, &fresh, err) /* every section checked */
                               : c12_config_defaults(&fresh, err);
    if (!rc && !(next = c12_malloc(sizeof *next))) rc = c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", cur->source);
    if (!rc) {
        *next = *cur;
        for (size_t s = 0; s < N_SECTIONS; s++)
            if (SECTIONS[s].reloadable)
                memcpy((char *)next + SECTIONS[s].offset, (char *)fresh + SECTIONS[s].offset, SECTIONS[s].size);
        *out = next;
    }
    c12_config_free(fresh);
    return rc;
}
