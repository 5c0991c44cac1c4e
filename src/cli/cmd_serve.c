/* cmd_serve.c - `c12 serve`: the OpenAI-compatible server in the foreground.
 * SIGTERM or SIGINT stops accepting, lets in-flight requests finish within
 * server.grace_s, drains the ledger and exits 0. SIGHUP reads the
 * configuration file again and reloads its policy: section. */
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "cli.h"
#include "config/config.h"
#include "pool/fleet.h"
#include "pool/pool.h"
#include "server/serve_env.h"
#include "server/server.h"

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: c12 serve [--config FILE] [--listen HOST:PORT] [--ledger FILE] [--batches DIR]\n"
               "                 [--insecure-no-auth]\n"
               "  --config FILE       configuration (default: built-in, serving the model catalogue)\n"
               "  --listen HOST:PORT  listen address (also C12_LISTEN; default 127.0.0.1:8080)\n"
               "  --insecure-no-auth  listen on an address other than loopback without\n"
               "                      server.api_keys (refused otherwise; a warning then)\n"
               "  --ledger FILE       an SQLite ledger file (overrides the config's ledger:;\n"
               "                      default $C12_HOME/ledger.db, or ledger.store: postgresql\n"
               "                      with its connection string in $C12_LEDGER_DSN)\n"
               "  --batches DIR       where files and batches live (overrides batch.dir;\n"
               "                      default $C12_HOME/batches; with a postgresql ledger\n"
               "                      they are in its database instead)\n"
               "SIGTERM/SIGINT: stop gracefully; SIGHUP: reload the policy: section.\n");
    return rc;
}

typedef struct preload {
    c12_pool *pool;
    int idx;
    const char *id;
} preload;

/* Load the default model at start; /readyz answers 200 once it is in. */
static void *preload_main(void *ud)
{
    preload *p = ud;
    c12_lease l;
    c12_err err;
    if (c12_pool_acquire(p->pool, p->idx, C12_PRIO_HIGH, 0, &l, &err) == C12_OK) c12_pool_release(p->pool, &l);
    else if (err.rc != C12_ERR_CANCELLED) fprintf(stderr, "c12 serve: default model %s: %s\n", p->id, err.msg);
    return NULL;
}

static uint64_t auto_budget(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size / 2 : 4000000000ULL;
}

typedef struct serve_opts {
    const char *config, *listen, *ledger, *batches;
    int insecure_no_auth;
} serve_opts;

static int parse(int argc, char **argv, serve_opts *o)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(stdout, 0);
        if (i + 1 < argc && !strcmp(argv[i], "--config")) o->config = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--listen")) o->listen = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--ledger")) o->ledger = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--batches")) o->batches = argv[++i];
        else if (!strcmp(argv[i], "--insecure-no-auth")) o->insecure_no_auth = 1;
        else return usage(stderr, 2);
    }
    return -1;
}

/* Until SIGTERM/SIGINT; ticks the pool (keep_alive) once a second; SIGHUP
 * reloads the policy (a bad file keeps the old one). */
static int wait_signal(c12_pool *pool, c12_serve_env *env, const sigset_t *set)
{
    struct timespec one = {1, 0};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &one);
        if (sig == SIGTERM || sig == SIGINT) return sig;
        c12_err err;
        if (sig == SIGHUP && c12_serve_env_reload(env, &err))
            fprintf(stderr, "c12 serve: SIGHUP: the policy was not reloaded (the old one stays): %s\n", err.msg);
        c12_pool_tick(pool);
    }
}

/* The registry behind GET /metrics, with collectors that read the pool, the
 * carbon cache and the ledger at scrape time; deps->metrics points at it. */
static c12_rc metrics_open(c12_pool *pool, c12_fleet *fleet, c12_server_deps *deps, c12_metrics **out, c12_err *err)
{
    c12_metrics *m = NULL;
    c12_rc rc = c12_metrics_new(NULL, &m, err);
    if (!rc) rc = c12_metrics_add_pool(m, pool, err);
    if (!rc) rc = c12_metrics_add_fleet(m, fleet, err); /* no sites: its families, empty */
    if (!rc && deps->carbon) rc = c12_metrics_add_carbon(m, deps->carbon, err);
    if (!rc && deps->ledger) rc = c12_metrics_add_ledger(m, deps->ledger, err);
    if (!rc && deps->batches) rc = c12_metrics_add_batches(m, deps->batches, err);
    if (!rc && deps->cache) rc = c12_metrics_add_cache(m, deps->cache, err);
    if (rc) {
        c12_metrics_free(m);
        return rc;
    }
    *out = deps->metrics = m;
    return C12_OK;
}

/* A server without keys generates for whoever reaches it: it listens on
 * loopback only, unless the operator says --insecure-no-auth (and is warned). */
static c12_rc check_exposure(const c12_config *cfg, const serve_opts *o, c12_err *err)
{
    int lo = 1;
    c12_rc rc = cfg->n_api_keys ? C12_OK : c12_server_listen_loopback(cfg, &lo, err);
    if (rc || lo) return rc;
    if (!o->insecure_no_auth)
        return c12_fail(err, C12_ERR_INVALID, "refusing to listen on %s:%d without API keys: anyone who can reach "
                        "that address could use the models; set server.api_keys, listen on 127.0.0.1, or pass "
                        "--insecure-no-auth", cfg->listen_host, cfg->listen_port);
    fprintf(stderr, "c12 serve: WARNING: listening on %s:%d without API keys (--insecure-no-auth): anyone who "
            "can reach that address can generate, and read the metrics and the dashboard\n", cfg->listen_host,
            cfg->listen_port);
    return C12_OK;
}

/* Descriptors besides the connections' (models, ledger, batches, the
 * gate's table of heads it waits for): a generous allowance. */
#define FD_ALLOWANCE 2048

/* Each open connection is a descriptor: the soft limit (often 1024) is
 * raised towards the hard one so that server.max_connections, not EMFILE,
 * is what a flood of connections meets; a hard limit too low is said. */
static void raise_fd_limit(const c12_config *cfg)
{
    struct rlimit r;
    rlim_t want = (rlim_t)cfg->max_connections + FD_ALLOWANCE;
    if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur >= want) return;
    r.rlim_cur = r.rlim_max == RLIM_INFINITY || r.rlim_max > want ? want : r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_cur < want)
        fprintf(stderr, "c12 serve: warning: open files are limited to %llu (ulimit -Hn); server.max_connections "
                "%d may meet that limit first\n", (unsigned long long)r.rlim_cur, cfg->max_connections);
}

static int serve(c12_config *cfg, const serve_opts *o, const sigset_t *set)
{
    c12_err err;
    c12_pool *pool = NULL;
    c12_server *srv = NULL;
    c12_serve_env *env = NULL;
    c12_metrics *metrics = NULL;
    c12_server_deps deps;
    c12_fleet *fleet = NULL;
    c12_pool_opts po = {NULL, cfg->memory_budget ? cfg->memory_budget : auto_budget(), NULL, NULL};
    if (o->batches) snprintf(cfg->batch.dir, sizeof cfg->batch.dir, "%s", o->batches);
    raise_fd_limit(cfg);
    c12_rc rc = c12_serve_env_open(cfg, o->ledger, &env, &err);
    if (!rc) c12_serve_env_deps(env, &deps);
    /* every model through the fleet: local ones to the engine, remote ones to their sites */
    c12_fleet_opts fo = {.local_carbon = rc ? NULL : deps.carbon}; /* prices `local` beside other sites */
    if (!rc) rc = c12_fleet_new(cfg, &fo, &fleet, &err);
    if (!rc) po.backend = c12_fleet_backend(fleet);
    deps.fleet = fleet; /* the dashboard's sites (NULL when it failed) */
    if (!rc) rc = c12_pool_new(cfg, &po, &pool, &err);
    if (!rc) rc = metrics_open(pool, fleet, &deps, &metrics, &err);
    if (!rc) rc = c12_server_start(cfg, pool, po.backend, &deps, &srv, &err);
    if (rc) {
        fprintf(stderr, "c12 serve: %s\n", err.msg);
        c12_metrics_free(metrics);
        c12_pool_free(pool);
        c12_fleet_free(fleet);
        c12_serve_env_close(env, &err);
        return 1;
    }
    const c12_model_cfg *dm = &cfg->models[cfg->default_model];
    printf("c12 serve: listening on http://%s:%d (config: %s; default model %s; budget %.0f MB)\n",
           strchr(cfg->listen_host, ':') ? "[::1]" : cfg->listen_host, c12_server_port(srv), cfg->source, dm->id,
           po.memory_budget / 1e6);
    fflush(stdout);
    preload pl = {pool, (int)cfg->default_model, dm->id};
    pthread_t t;
    int have_t = pthread_create(&t, NULL, preload_main, &pl) == 0;
    int sig = wait_signal(pool, env, set);
    fprintf(stderr, "c12 serve: %s: stopping (grace %g s)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg->grace_s);
    c12_server_begin_shutdown(srv);
    c12_pool_shutdown(pool);
    int left = c12_server_drain(srv, cfg->grace_s);
    if (left) fprintf(stderr, "c12 serve: %d request(s) still running after the grace period: cancelled\n", left);
    c12_server_free(srv);
    c12_metrics_free(metrics); /* no request is left to update it */
    if (have_t) pthread_join(t, NULL);
    c12_pool_free(pool);
    c12_fleet_free(fleet);
    /* Every request has recorded its row by now: drain them into the store. */
    int ret = 0;
    if (c12_serve_env_close(env, &err)) {
        fprintf(stderr, "c12 serve: ledger: %s\n", err.msg);
        ret = 1;
    }
    fprintf(stderr, "c12 serve: stopped\n");
    return ret;
}

/* glibc raises its mmap threshold to the size of each large block freed, so
 * after the first request a request's big buffers (the sampler's arrays over
 * the vocabulary, a prompt's tokens, a reply) come from the heap of the
 * malloc arena of whichever thread runs it, and each arena a connection
 * thread ever generated on keeps ~1.3 MB resident: RSS stepped up with the
 * arenas in use (up to 8 per core) and never came down (issue 16: "9 KB per
 * request"). A fixed threshold maps such blocks and returns them when freed. */
#define MMAP_THRESHOLD (128 * 1024)

int cmd_serve(int argc, char **argv)
{
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    serve_opts o = {NULL, getenv("C12_LISTEN"), NULL, NULL, 0};
    int prc = parse(argc, argv, &o);
    if (prc >= 0) return prc;
    c12_config *cfg = NULL;
    c12_err err;
    c12_rc rc = o.config ? c12_config_load(o.config, &cfg, &err) : c12_config_defaults(&cfg, &err);
    if (!rc && o.listen && *o.listen) rc = c12_config_set_listen(cfg, o.listen, &err);
    if (!rc) rc = check_exposure(cfg, &o, &err);
    if (rc) {
        fprintf(stderr, "c12 serve: %s\n", err.msg);
        c12_config_free(cfg);
        return 1;
    }
    /* Signals go to sigtimedwait only: block them before any thread starts. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int ret = serve(cfg, &o, &set);
    c12_config_free(cfg);
    return ret;
}
