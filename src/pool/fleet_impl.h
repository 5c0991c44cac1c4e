/* fleet_impl.h - the fleet's state, shared by fleet.c (the backend and
 * generation with retries), fleet_rank.c (which site first) and
 * fleet_health.c (breaker, probes, latency). Guarded by the fleet's mutex. */
#ifndef C12_FLEET_IMPL_H
#define C12_FLEET_IMPL_H

#include <pthread.h>

#include "carbon/carbon_cache.h"
#include "pool/fleet.h"
#include "pool/site_cfg.h"

#define C12_SITE_BACKOFF_MAX_MS 60000
#define C12_SITE_EWMA 0.3 /* weight of the newest reply */

typedef struct c12_site {
    const c12_site_cfg *cfg;
    c12_carbon_cache *carbon;
    char api_key[512];          /* from api_key_env at start ("" none) */
    char metrics_url[C12_SITE_URL_MAX + 16]; /* where its queue is read ("" not read) */
    int have_queue;             /* its last scrape found a queue gauge */
    double queue;               /* the requests waiting in its own queue then */
    int in_flight;
    int fails;                  /* consecutive failures */
    c12_site_state state;
    int64_t open_until;         /* OPEN: half-open from then (fleet clock) */
    int64_t backoff_ms;         /* the next opening's length */
    int trial;                  /* HALF_OPEN: a request or probe is trying it */
    double ttft_s, tps;         /* EWMAs; 0: none yet */
    int64_t next_probe;         /* fleet clock */
    int probed;                 /* 0 not yet, 1 its last probe answered, 2 it did not */
    uint64_t requests, failures, retries, probes_failed;
} c12_site;

/* `local` among a model's sites: the engine in this process, ranked as
 * one more site (fleet_local.c). Its engine slots are its own: a request
 * sent here takes a free one, whichever pool slot it holds. Guarded by the
 * fleet's mutex. */
typedef struct c12_local_site {
    int slots;                  /* the engine's (the model's local_slots) */
    int busy;                   /* of them generating now */
    unsigned char *used;        /* which (slots entries) */
    double ttft_s, tps;         /* EWMAs of its replies; 0: none yet */
} c12_local_site;

/* What the pool holds for a model: the engine's, a remote model's id, or
 * both for a model served here and by sites. */
typedef struct c12_fleet_handle {
    const c12_model_cfg *m;
    void *local;                /* the local backend's model; NULL for a remote one (or a mixed one not loaded yet) */
    c12_model_cfg local_cfg;    /* m with its local slots (the engine's copy points here) */
    int mixed;
    pthread_mutex_t load_mu;    /* mixed: guards local, loaded by the first request that goes local */
    c12_local_site ls;          /* mixed: the engine as a site */
} c12_fleet_handle;

struct c12_fleet {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const c12_config *cfg;
    c12_fleet_opts opts;
    c12_backend backend;
    c12_site *sites;
    size_t n_sites;
    struct c12_remote_share *share; /* the requests' connections (backend_remote.h) */
    pthread_t prober;
    int prober_on, stopping;
};


int64_t c12_fleet_now(const c12_fleet *f);

/* ---- fleet_rank.c ---- */

/* A site's reading now: intensity (NAN unknown), provider and age, and
 * the next hour's mean (NAN unknown). No I/O (carbon_cache.h). */
typedef struct c12_site_reading {
    double now, next_hour, age_s;
    char provider[32];
} c12_site_reading;
void c12_site_read_carbon(c12_site *s, c12_site_reading *out);

#define C12_RANK_REASON_MAX 160
/* The model's sites in the order to try them (mutex not held: it takes it
 * to look at breakers and loads). A site whose breaker is open, or which
 * is full, comes after the rest ("skipped" in the reason). */
typedef struct c12_rank {
    int order[C12_CFG_MAX_SITES]; /* indices into f->sites */
    int n;
    c12_site_reading reading[C12_CFG_MAX_SITES]; /* by position in order */
    int usable;                   /* the first `usable` are closed (or half-open) and not full */
    char reason[C12_RANK_REASON_MAX];
} c12_rank;
/* order[] holds C12_SITE_LOCAL for `local` when local (the mixed model's
 * engine) is given; NULL: the model's `local` is not ranked. */
void c12_fleet_rank(c12_fleet *f, const c12_model_cfg *m, const c12_backend_req *req, const c12_local_site *local,
                    c12_rank *out);
/* Expected joules of a request at site s (its per-token rates). */
double c12_site_energy_j(const c12_site *s, double prompt_tokens, double out_tokens);
double c12_fleet_prompt_tokens(const c12_backend_req *req);

/* ---- fleet_health.c ---- */

/* Whether site s may take a request now (mutex held): closed, or open
 * past its back-off (it half-opens: this request is the trial), and below
 * max_concurrent. Takes the slot (in_flight++) when it may. */
int c12_site_claim(c12_fleet *f, c12_site *s);
/* The request is over (mutex held): in_flight--, the breaker told of a
 * success (1) or failure (0); -1: neither (the caller cancelled). */
void c12_site_done(c12_fleet *f, c12_site *s, int ok);
/* The handle's engine model: NULL while a mixed model is not loaded here
 * yet (read under its load lock: a request may be loading it; once set it
 * stays until the pool unloads the handle). */
void *c12_fleet_engine(c12_fleet_handle *h);
/* A reply's time to first token and tokens/s (<= 0: not known) into the
 * EWMAs *ttft and *tps (mutex held): the sites' and local's. */
void c12_speed_observe(double *ttft, double *tps, double ttft_s, double tps_now);
/* A site's reply's timing into its EWMAs (mutex held). */
void c12_site_observe(c12_site *s, double ttft_s, double decode_s, int n_tokens);
c12_rc c12_fleet_prober_start(c12_fleet *f, c12_err *err);
void c12_fleet_prober_stop(c12_fleet *f);
/* Probe every site once (the prober's round; tests call it). */
void c12_fleet_probe_all(c12_fleet *f);

/* ---- fleet_local.c: `local` as one more site ---- */

/* A request to the engine here for a mixed model, on a free engine slot
 * (loading the model first when no request went local before): -1 when
 * none is free (the caller moves on), else 1 when over (success, or a
 * failure to return) and 0 when it failed before its first text (or the
 * load failed) and the next site may try. reason goes to on_site. */
int c12_fleet_try_local(c12_fleet *f, c12_fleet_handle *h, const c12_backend_req *req, c12_text_cb cb, void *ud,
                        const char *reason, c12_rc *rc, c12_backend_result *res, c12_err *err);
/* The carbon here now (opts.local_carbon; NAN unknown), as a site's reading. */
void c12_local_read_carbon(const c12_fleet *f, c12_site_reading *out);

#endif
