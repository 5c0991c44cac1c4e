/* serve_env.c - the carbon cache, energy meter, ledger and policy slot of
 * `c12 serve`, built from the sections of the one configuration (carbon:,
 * energy:, ledger:, policy:) and torn down after the server, so that the
 * ledger drains every row the server accepted. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_home.h"
#include "carbon/carbon_cache.h"
#include "server/serve_env.h"

struct c12_serve_env {
    const c12_config *cfg;
    c12_ledger_cfg ledger_cfg;
    c12_carbon_cache *carbon;
    c12_meter *meter;
    c12_ledger *ledger;
    c12_cache *cache;
    c12_bstore *batches;
    c12_policy_slot slot;
    int have_slot;
};

static c12_rc open_carbon(c12_serve_env *e, c12_err *err)
{
    c12_rc rc = c12_carbon_cache_new(&e->cfg->carbon, NULL, &e->carbon, err);
    /* Local providers answer at once: a first reading before the first request. */
    if (!rc) c12_carbon_cache_prime(e->carbon);
    if (!rc) rc = c12_carbon_cache_start(e->carbon, err);
    return rc;
}

/* The writer's news about its store (failing, back), on the log. */
static void ledger_log(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "c12 serve: %s\n", msg);
}

/* --ledger FILE: an SQLite file, whatever the file's ledger: says. A
 * relative ledger path is relative to the configuration file's folder. */
static c12_rc ledger_target(c12_serve_env *e, const char *override, c12_err *err)
{
    char *t = e->ledger_cfg.target;
    size_t cap = sizeof e->ledger_cfg.target;
    if (override) {
        c12_rc rc = c12_ledger_cfg_set(&e->ledger_cfg, "store", "sqlite", err);
        return rc ? rc : c12_ledger_cfg_set(&e->ledger_cfg, "path", override, err);
    }
    if (c12_ledger_store_find(e->ledger_cfg.store)->connects) return C12_OK;
    if (!t[0]) return c12_ledger_default_path(t, cap, err);
    if (t[0] == '/' || !e->cfg->from_file) return C12_OK;
    char dir[C12_CFG_PATH_MAX], rel[sizeof e->ledger_cfg.target];
    snprintf(dir, sizeof dir, "%s", e->cfg->source);
    snprintf(rel, sizeof rel, "%s", t);
    if (snprintf(t, cap, "%s/%s", dirname(dir), rel) >= (int)cap)
        return c12_fail(err, C12_ERR_RANGE, "ledger.path: too long");
    return C12_OK;
}

static c12_rc open_policy(c12_serve_env *e, c12_err *err)
{
    c12_policy *p = NULL;
    char note[1024];
    c12_rc rc = c12_server_policy_build(e->cfg, &e->cfg->policy, &p, note, sizeof note, err);
    if (rc) return rc;
    c12_policy_slot_init(&e->slot, p);
    e->have_slot = 1;
    if (p)
        fprintf(stderr, "c12 serve: policy: %zu candidate model(s)%s%s\n", c12_policy_get_params(p)->n_models,
                note[0] ? "; " : "", note);
    else
        fprintf(stderr, "c12 serve: policy: no policy model is served (%s): \"auto\" is the default model\n", note);
    return C12_OK;
}

/* Where the ledger is PostgreSQL, there (the DSN from the same variable):
 * every gateway on that database shares the files and batches. Else
 * SQLite in batch.dir, else $C12_HOME/batches. */
static c12_rc open_batches(c12_serve_env *e, c12_err *err)
{
    char dir[C12_CFG_PATH_MAX];
    const c12_store_ops *ops = c12_ledger_store_find(e->ledger_cfg.store);
    if (ops && ops->connects) {
        char dsn[C12_CFG_PATH_MAX];
        c12_rc rc = c12_ledger_store_target(ops, &e->ledger_cfg, dsn, sizeof dsn, err);
        if (!rc) rc = c12_bstore_open_pg(dsn, 0, &e->batches, err);
        explicit_bzero(dsn, sizeof dsn);
        if (!rc) fprintf(stderr, "c12 serve: batches in the ledger's PostgreSQL database\n");
        return rc;
    }
    c12_rc rc = e->cfg->batch.dir[0] ? (snprintf(dir, sizeof dir, "%s", e->cfg->batch.dir), C12_OK)
                                     : c12_home_path("batches", dir, sizeof dir, err);
    if (!rc) rc = c12_bstore_open(dir, &e->batches, err);
    if (!rc) fprintf(stderr, "c12 serve: batches in %s\n", dir);
    return rc;
}

static c12_rc open_all(c12_serve_env *e, const char *ledger_path, c12_err *err)
{
    char why[512] = "", desc[256], ledger[1200];
    e->ledger_cfg = e->cfg->ledger;
    e->ledger_cfg.log = ledger_log;
    c12_rc rc = ledger_target(e, ledger_path, err);
    if (!rc) rc = c12_ledger_open(&e->ledger_cfg, &e->ledger, err);
    if (!rc) rc = c12_meter_open(&e->cfg->energy, &e->meter, why, sizeof why, err);
    if (!rc) rc = open_carbon(e, err);
    if (!rc) rc = open_policy(e, err);
    if (!rc && e->cfg->cache.enabled) rc = c12_cache_new(&e->cfg->cache, &e->cache, err);
    if (!rc && e->cfg->batch.enabled) rc = open_batches(e, err);
    if (rc) return rc;
    c12_meter_describe(e->meter, desc, sizeof desc);
    c12_ledger_cfg_describe(&e->ledger_cfg, ledger, sizeof ledger);
    fprintf(stderr, "c12 serve: ledger %s; energy %s%s%s; pue %g\n", ledger, desc, why[0] ? "; " : "", why,
            e->cfg->energy.pue);
    return C12_OK;
}

c12_rc c12_serve_env_open(const c12_config *cfg, const char *ledger_path, c12_serve_env **out, c12_err *err)
{
    c12_serve_env *e = c12_calloc(1, sizeof *e);
    if (!e) return c12_fail(err, C12_ERR_NOMEM, "serve: out of memory");
    e->cfg = cfg;
    if (cfg->note[0]) fprintf(stderr, "c12 serve: %s\n", cfg->note);
    c12_rc rc = open_all(e, ledger_path, err);
    if (rc) {
        c12_err ignored;
        c12_serve_env_close(e, &ignored);
        return rc;
    }
    *out = e;
    return C12_OK;
}

void c12_serve_env_deps(c12_serve_env *e, c12_server_deps *out)
{
    *out = (c12_server_deps){e->carbon, e->meter, e->cfg->energy.pue, e->ledger, e->have_slot ? &e->slot : NULL,
                             NULL /* metrics: cmd_serve creates them */, e->cache, e->batches,
                             NULL /* fleet: cmd_serve's */};
}

c12_rc c12_serve_env_reload(c12_serve_env *e, c12_err *err)
{
    c12_config *next = NULL;
    c12_policy *p = NULL;
    char note[1024];
    c12_rc rc = c12_config_reload(e->cfg, &next, err);
    /* Candidates are the models this server runs: the running config's. */
    if (!rc) rc = c12_server_policy_build(e->cfg, &next->policy, &p, note, sizeof note, err);
    c12_config_free(next);
    if (rc) return rc;
    c12_policy_slot_swap(&e->slot, p);
    fprintf(stderr, "c12 serve: SIGHUP: policy reloaded from %s: %zu candidate model(s)%s%s\n", e->cfg->source,
            p ? c12_policy_get_params(p)->n_models : 0, note[0] ? "; " : "", note);
    return C12_OK;
}

c12_rc c12_serve_env_close(c12_serve_env *e, c12_err *err)
{
    if (!e) return C12_OK;
    c12_rc rc = e->ledger ? c12_ledger_close(e->ledger, err) : C12_OK;
    c12_carbon_cache_free(e->carbon);
    c12_meter_close(e->meter);
    c12_cache_free(e->cache);
    c12_bstore_close(e->batches);
    if (e->have_slot) c12_policy_slot_destroy(&e->slot);
    c12_free(e);
    return rc;
}
