/* server.h - `c12 serve`'s HTTP server: the OpenAI-compatible API over
 * libmicrohttpd (one thread per connection, so a request may block on the
 * queue or on generation without holding up others). */
#ifndef C12_SERVER_H
#define C12_SERVER_H

#include "base/c12_rc.h"
#include "batch/bstore.h"
#include "cache/cache.h"
#include "carbon/carbon_cache.h"
#include "config/config.h"
#include "energy/energy.h"
#include "ledger/ledger.h"
#include "metrics/metrics.h"
#include "pool/fleet.h"
#include "pool/pool.h"
#include "route/policy.h"

typedef struct c12_server c12_server;

/* What a generation request reads and writes besides the pool (serve_env.c
 * builds them from the configuration). Any may be NULL: no carbon reading
 * (the static default is used), no meter (energy 0, method "none"), no
 * ledger, no policy ("auto" = the default model). */
typedef struct c12_server_deps {
    c12_carbon_cache *carbon;
    const c12_meter *meter;
    double pue;                 /* energy.pue: gCO2e = kWh x intensity x pue */
    c12_ledger *ledger;
    c12_policy_slot *policy;    /* swapped on SIGHUP; requests hold a reference */
    c12_metrics *metrics;       /* GET /metrics and what each request adds (NULL: 404) */
    c12_cache *cache;           /* the response cache (NULL: off) */
    c12_bstore *batches;        /* files and batches (NULL: the Batch API is off) */
    c12_fleet *fleet;           /* the sites, read by the dashboard (NULL: none; cmd_serve sets it) */
} c12_server_deps;

/* Bind cfg's listen address and start serving. cfg, pool, backend and what
 * deps points to must outlive the server (deps itself is copied; NULL: none). */
c12_rc c12_server_start(const c12_config *cfg, c12_pool *pool, const c12_backend *backend,
                        const c12_server_deps *deps, c12_server **out, c12_err *err);
/* Whether cfg's listen address is a loopback one (127.0.0.0/8, ::1): a
 * server without API keys should listen nowhere else (cmd_serve.c refuses
 * unless --insecure-no-auth). */
c12_rc c12_server_listen_loopback(const c12_config *cfg, int *is_loopback, c12_err *err);
/* The bound port (useful with port 0). */
int c12_server_port(const c12_server *s);
/* Stop accepting connections; requests still arriving on open connections get 503. */
void c12_server_begin_shutdown(c12_server *s);
/* Wait until no request is in flight or grace_s passes; returns how many remain. */
int c12_server_drain(c12_server *s, double grace_s);
/* Cancel what is left (each request stops at its next token or prompt chunk
 * and gets up to 10 s to send its answer), stop the daemon and free. */
void c12_server_free(c12_server *s);

#endif
