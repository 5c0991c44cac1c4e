/* fleet.c - the fleet's backend (fleet.h): local models to the engine in
 * this process, remote ones to their sites, best first, moving on when a
 * site fails before its first token; a model served here and by sites
 * ranks this process as one more site (fleet_local.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_clock.h"
#include "pool/backend_remote.h"
#include "pool/fleet_impl.h"

typedef c12_fleet_handle handle;

static int64_t mono_ms(void *ud)
{
    (void)ud;
    return c12_clock_ms();
}

int64_t c12_fleet_now(const c12_fleet *f) { return f->opts.now_ms(f->opts.now_ud); }

/* What the engine loads of m: a mixed model with its local slots only. */
static c12_model_cfg engine_cfg(const c12_model_cfg *m)
{
    c12_model_cfg e = *m;
    if (c12_model_mixed(m)) e.slots = m->local_slots;
    return e;
}

static c12_rc estimate(void *self, const c12_model_cfg *m, uint64_t *bytes, c12_err *err)
{
    c12_model_cfg e = engine_cfg(m);
    if (!c12_model_remote(m)) return c12_backend_local_ops.estimate(NULL, &e, bytes, err);
    *bytes = 0; /* nothing of it lives here */
    return C12_OK;
}

static c12_rc load(void *self, const c12_model_cfg *m, void **model, uint64_t *bytes, c12_err *err)
{
    handle *h = c12_calloc(1, sizeof *h);
    if (!h) return c12_fail(err, C12_ERR_NOMEM, "model %s: out of memory", m->id);
    h->m = m;
    h->local_cfg = engine_cfg(m);
    h->mixed = c12_model_mixed(m);
    h->ls.slots = m->local_slots;
    if (h->mixed && !(h->ls.used = c12_calloc((size_t)m->local_slots, 1))) {
        c12_free(h);
        return c12_fail(err, C12_ERR_NOMEM, "model %s: out of memory", m->id);
    }
    /* mixed: the engine loads when a request first goes local (fleet_local.c);
     * its memory is counted now, so the pool keeps room for it */
    c12_rc rc = c12_model_remote(m) ? (*bytes = 0, C12_OK)
              : h->mixed ? c12_backend_local_ops.estimate(NULL, &h->local_cfg, bytes, err)
                         : c12_backend_local_ops.load(NULL, &h->local_cfg, &h->local, bytes, err);
    if (rc) {
        c12_free(h->ls.used);
        c12_free(h);
        return rc;
    }
    if (h->mixed) pthread_mutex_init(&h->load_mu, NULL);
    *model = h;
    return C12_OK;
}

static void unload(void *self, void *model)
{
    handle *h = model;
    if (!h) return;
    if (h->local) c12_backend_local_ops.unload(NULL, h->local);
    if (h->mixed) pthread_mutex_destroy(&h->load_mu);
    c12_free(h->ls.used);
    c12_free(h);
}

static int slot_cpu_ns(void *self, void *model, int slot, int64_t *ns)
{
    const handle *h = model;
    /* mixed: the pool's slot is not the engine's (fleet_local.c): the meter takes the process's */
    if (!h || h->mixed) return 0;
    if (h->local) return c12_backend_local_ops.slot_cpu_ns(NULL, h->local, slot, ns);
    /* served only by sites: no worker here, the request's own thread does
     * all (and the meter need not read the process's clock, which sums
     * every thread: a gateway's hundreds of connections) */
    *ns = 0;
    return 1;
}

void *c12_fleet_engine(c12_fleet_handle *h)
{
    if (!h->mixed) return h->local;
    pthread_mutex_lock(&h->load_mu); /* a request may be loading it */
    void *local = h->local;
    pthread_mutex_unlock(&h->load_mu);
    return local;
}

static int stale(void *self, void *model)
{
    void *local = c12_fleet_engine(model);
    return local ? c12_backend_local_ops.stale(NULL, local) : 0;
}

static int batch_stats(void *self, void *model, c12_batcher_stats *out)
{
    (void)self;
    void *local = c12_fleet_engine(model);
    return local ? c12_backend_local_ops.batch_stats(NULL, local, out) : 0;
}

static int kv_usage(void *self, void *model, int64_t *used, int64_t *capacity)
{
    (void)self;
    void *local = c12_fleet_engine(model);
    return local ? c12_backend_local_ops.kv_usage(NULL, local, used, capacity) : 0;
}

/* The site's figures for the request's result: tokens it did not count,
 * and energy from its per-token rates when it reported none. */
static void complete(const c12_site *s, const c12_backend_req *req, c12_backend_result *r)
{
    if (r->n_prompt < 0) r->n_prompt = (int)llround(c12_fleet_prompt_tokens(req));
    if (r->energy_known) return;
    r->energy_known = 1;
    r->energy_j = c12_site_energy_j(s, r->n_prompt, r->n_completion);
    snprintf(r->energy_method, sizeof r->energy_method, "site-estimate");
}

static void tell_site(const c12_site *s, const c12_site_reading *rd, const char *reason, const c12_backend_req *req,
                      void *ud)
{
    if (!req->on_site) return;
    int known = !isnan(rd->now);
    c12_backend_site bs = {.name = s->cfg->name, .region = s->cfg->region,
                           .intensity = known ? rd->now : C12_CARBON_DEFAULT_STATIC,
                           .provider = known ? rd->provider : "default", .age_s = rd->age_s, .reason = reason};
    req->on_site(ud, &bs);
}

static void add_name(char *list, size_t cap, const char *name)
{
    size_t used = strlen(list);
    if (used + 1 < cap) snprintf(list + used, cap - used, "%s%s", used ? "," : "", name);
}

/* One site's try: 1 when it is over (success, or a failure to return), 0
 * to move on to the next site. */
static int try_site(c12_fleet *f, c12_site *s, const c12_remote_call *call, c12_rc *rc, c12_backend_result *res,
                    c12_err *err)
{
    c12_remote_out o;
    c12_err e;
    *rc = c12_remote_generate(call, &o, &e);
    pthread_mutex_lock(&f->mu);
    if (!*rc) c12_site_observe(s, o.ttft_s, o.decode_s, o.res.n_completion);
    /* the request's own fault, or its caller's cancel: the site is not to blame */
    c12_site_done(f, s, !*rc ? 1 : *rc == C12_ERR_CANCELLED || !o.retryable ? -1 : 0);
    pthread_mutex_unlock(&f->mu);
    if (!*rc) {
        *res = o.res;
        complete(s, call->req, res);
        return 1;
    }
    *err = e;
    if (o.started || !o.retryable || *rc == C12_ERR_CANCELLED) return 1;
    fprintf(stderr, "c12 fleet: site %s failed before its first token: %s\n", s->cfg->name,
            e.msg);
    return 0;
}

static c12_rc remote_generate(c12_fleet *f, handle *h, const c12_backend_req *req, c12_text_cb cb, void *ud,
                              c12_backend_result *res, c12_err *err)
{
    const c12_model_cfg *m = h->m;
    c12_rank rk;
    c12_fleet_rank(f, m, req, h->mixed ? &h->ls : NULL, &rk);
    c12_rc rc = c12_fail(err, C12_ERR_NETWORK, "model %s: no site can take it now (%s)", m->id, rk.reason);
    char failed[64] = "", reason[C12_RANK_REASON_MAX + 96];
    c12_remote_call call = {.model = m->remote_model[0] ? m->remote_model : m->id, .share = f->share, .req = req,
                            .cb = cb, .ud = ud};
    for (int k = 0; k < rk.n; k++) {
        if (failed[0] && req->deadline_ms && c12_clock_ms() >= req->deadline_ms) break;
        if (rk.order[k] == C12_SITE_LOCAL) {
            snprintf(reason, sizeof reason, "%s%s%s%s", rk.reason, failed[0] ? "; failed first: " : "", failed,
                     k ? "; now site local" : "");
            int over = c12_fleet_try_local(f, h, req, cb, ud, reason, &rc, res, err);
            if (over == 1) return rc;
            if (!over) add_name(failed, sizeof failed, "local");
            continue;
        }
        c12_site *s = &f->sites[rk.order[k]];
        pthread_mutex_lock(&f->mu);
        int ok = c12_site_claim(f, s);
        if (ok && failed[0]) s->retries++;
        pthread_mutex_unlock(&f->mu);
        if (!ok) continue;
        /* the ranking's reason; after a failure (or a race for the first's last slot), who took over */
        snprintf(reason, sizeof reason, "%s%s%s", rk.reason, failed[0] ? "; failed first: " : "", failed);
        if (k) snprintf(reason + strlen(reason), sizeof reason - strlen(reason), "; now site %s", s->cfg->name);
        tell_site(s, &rk.reading[k], reason, req, ud);
        call.site = s->cfg;
        call.api_key = s->api_key;
        if (try_site(f, s, &call, &rc, res, err)) return rc;
        add_name(failed, sizeof failed, s->cfg->name);
    }
    return rc;
}

static c12_rc generate(void *self, void *model, int slot, const c12_backend_req *req, c12_text_cb cb, void *cb_ud,
                       c12_backend_result *res, c12_err *err)
{
    handle *h = model;
    if (!h->mixed && h->local) { /* a mixed model's local is fleet_local.c's, loaded under its lock */
        c12_backend_site here = {.name = "local", .region = "", .intensity = NAN, .provider = "", .reason = NULL};
        if (req->on_site) req->on_site(cb_ud, &here);
        return c12_backend_local_ops.generate(NULL, h->local, slot, req, cb, cb_ud, res, err);
    }
    return remote_generate(self, h, req, cb, cb_ud, res, err);
}

static const c12_backend_ops FLEET_OPS = {
    .name = "fleet", .estimate = estimate, .load = load, .unload = unload, .generate = generate,
    .slot_cpu_ns = slot_cpu_ns, .stale = stale, .batch_stats = batch_stats,
    .kv_usage = kv_usage,
};

const c12_backend *c12_fleet_backend(const c12_fleet *f) { return &f->backend; }

/* Where its Prometheus metrics are: metrics_url, or the base URL without
 * its last "/v1" and then /metrics (vLLM's, llama.cpp's and C12's place). */
static void metrics_url(c12_site *s, const c12_site_cfg *sc)
{
    if (!strcmp(sc->metrics_url, "none")) return;
    if (sc->metrics_url[0]) {
        snprintf(s->metrics_url, sizeof s->metrics_url, "%s", sc->metrics_url);
        return;
    }
    size_t n = strlen(sc->url);
    if (n >= 3 && !strcmp(sc->url + n - 3, "/v1")) n -= 3;
    snprintf(s->metrics_url, sizeof s->metrics_url, "%.*s/metrics", (int)n, sc->url);
}

/* A site's carbon chain and key; a first probe, whose failure is said. */
static c12_rc open_site(c12_fleet *f, c12_site *s, const c12_site_cfg *sc, c12_err *err)
{
    s->cfg = sc;
    metrics_url(s, sc);
    const char *src = f->cfg->source;
    if (sc->api_key_env[0]) {
        const char *k = getenv(sc->api_key_env);
        if (!k || !*k)
            return c12_fail(err, C12_ERR_INVALID, "%s:%d: sites.%s.api_key_env: $%s is not set", src, sc->line, sc->name,
                            sc->api_key_env);
        if (strlen(k) >= sizeof s->api_key)
            return c12_fail(err, C12_ERR_INVALID, "%s:%d: sites.%s: $%s is too long", src, sc->line, sc->name,
                            sc->api_key_env);
        snprintf(s->api_key, sizeof s->api_key, "%s", k);
    }
    c12_err e;
    c12_rc rc = c12_carbon_cache_new(&sc->carbon, NULL, &s->carbon, &e);
    if (rc) return c12_fail(err, rc, "%s:%d: sites.%s.carbon: %s", src, sc->line, sc->name, e.msg);
    c12_carbon_cache_prime(s->carbon);
    if (!f->opts.no_threads && (rc = c12_carbon_cache_start(s->carbon, &e)))
        return c12_fail(err, rc, "%s:%d: sites.%s.carbon: %s", src, sc->line, sc->name, e.msg);
    /* A site that does not answer at start is a mistake in the file (a wrong
     * URL, a port) unless it is marked optional: then it is probed until it
     * answers, and requests go elsewhere meanwhile. */
    if (f->opts.no_threads) return C12_OK;
    int down = c12_remote_probe(sc, s->api_key, &e) != C12_OK;
    s->probed = down ? 2 : 1; /* the dashboard shows it from the start */
    if (!down) return C12_OK;
    if (!sc->optional)
        return c12_fail(err, C12_ERR_NETWORK, "%s:%d: sites.%s: the site does not answer (%s); start it first, "
                        "or mark it `optional: true`", src, sc->line, sc->name, e.msg);
    fprintf(stderr, "c12 fleet: warning: %s:%d: optional site %s does not answer yet (%s); it is probed every %g s\n",
            src, sc->line, sc->name, e.msg, sc->probe_interval_s);
    return C12_OK;
}

c12_rc c12_fleet_new(const c12_config *cfg, const c12_fleet_opts *opts, c12_fleet **out, c12_err *err)
{
    c12_fleet *f = c12_calloc(1, sizeof *f);
    if (!f || (cfg->n_sites && !(f->sites = c12_calloc(cfg->n_sites, sizeof *f->sites)))) {
        c12_free(f);
        return c12_fail(err, C12_ERR_NOMEM, "fleet: out of memory");
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->cfg = cfg;
    if (opts) f->opts = *opts;
    if (!f->opts.now_ms) f->opts.now_ms = mono_ms;
    f->backend = (c12_backend){.ops = &FLEET_OPS, .self = f};
    c12_rc rc = cfg->n_sites ? c12_remote_share_new(&f->share, err) : C12_OK;
    for (size_t i = 0; !rc && i < cfg->n_sites; i++) {
        f->n_sites = i + 1; /* a half-opened site is freed too */
        rc = open_site(f, &f->sites[i], &cfg->sites[i], err);
    }
    if (!rc && !f->opts.no_threads) rc = c12_fleet_prober_start(f, err);
    if (rc) {
        c12_fleet_free(f);
        return rc;
    }
    for (size_t i = 0; i < f->n_sites; i++)
        fprintf(stderr, "c12 fleet: site %s at %s (region %s, %d at once)\n", cfg->sites[i].name, cfg->sites[i].url,
                cfg->sites[i].region[0] ? cfg->sites[i].region : "-", cfg->sites[i].max_concurrent);
    *out = f;
    return C12_OK;
}

void c12_fleet_free(c12_fleet *f)
{
    if (!f) return;
    c12_fleet_prober_stop(f);
    for (size_t i = 0; i < f->n_sites; i++) c12_carbon_cache_free(f->sites[i].carbon);
    c12_remote_share_free(f->share); /* the pool and server are gone: no transfer is left */
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    c12_free(f->sites);
    c12_free(f);
}

size_t c12_fleet_stats(c12_fleet *f, c12_fleet_site_stats *out, size_t max)
{
    size_t n = f->n_sites < max ? f->n_sites : max;
    for (size_t i = 0; i < n; i++) {
        c12_site *s = &f->sites[i];
        c12_site_reading rd;
        c12_site_read_carbon(s, &rd);
        pthread_mutex_lock(&f->mu);
        out[i] = (c12_fleet_site_stats){.name = s->cfg->name, .region = s->cfg->region, .url = s->cfg->url,
                                        .state = s->state, .reachable = s->probed ? s->probed == 1 : -1,
                                        .in_flight = s->in_flight, .max_concurrent = s->cfg->max_concurrent,
                                        .intensity = rd.now, .ttft_s = s->ttft_s, .tokens_per_s = s->tps,
                                        .requests = s->requests, .failures = s->failures, .retries = s->retries,
                                        .probes_failed = s->probes_failed, .queue = s->have_queue ? s->queue : -1};
        snprintf(out[i].provider, sizeof out[i].provider, "%s", isnan(rd.now) ? "" : rd.provider);
        pthread_mutex_unlock(&f->mu);
    }
    return n;
}
