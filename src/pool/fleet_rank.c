/* fleet_rank.c - which of a model's sites to try first. Each site is
 * priced at its own grid: the grams of CO2e its per-token rates would take
 * for this request at its intensity (now, weighted 3:1 with its next
 * hour's forecast mean when it has one: the request runs now, the forecast
 * tips a near tie towards a grid that is getting cleaner), scaled up by its
 * load (in flight, plus the requests waiting in its own queue when it
 * exports them, against max_concurrent). A site whose breaker is open, or
 * which is full, goes last; one whose measured latency (EWMA of time to
 * first token, plus the expected output at its tokens/s) is over the
 * caller's x-c12-max-latency-ms goes after those that meet it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pool/fleet_impl.h"

#define OUT_TOKENS_GUESS 256

double c12_fleet_prompt_tokens(const c12_backend_req *req)
{
    if (!req->messages) return req->prompt ? (double)strlen(req->prompt) / 4 : 0;
    double t = 0;
    for (size_t i = 0; i < req->n_messages; i++) t += (double)strlen(req->messages[i].content) / 4 + 8;
    return t;
}

double c12_site_energy_j(const c12_site *s, double prompt_tokens, double out_tokens)
{
    return prompt_tokens * s->cfg->j_per_prompt_token + out_tokens * s->cfg->j_per_output_token;
}

static double mean_next_hour(c12_carbon_cache *cc)
{
    c12_carbon_series ser;
    c12_err err;
    c12_carbon_series_init(&ser);
    double sum = 0, n = 0;
    if (c12_carbon_cache_forecast(cc, 1, &ser, NULL, &err) == C12_OK)
        for (size_t i = 0; i < ser.n; i++) sum += ser.pts[i].value, n++;
    c12_carbon_series_free(&ser);
    return n > 0 ? sum / n : NAN;
}

static void read_cache(c12_carbon_cache *cc, c12_site_reading *out)
{
    c12_carbon_answer a;
    c12_err err;
    *out = (c12_site_reading){.now = NAN, .next_hour = NAN, .provider = "none"};
    if (!cc || c12_carbon_cache_now(cc, &a, &err)) return;
    out->now = a.reading.value;
    out->age_s = (double)a.age_ms / 1000.0;
    snprintf(out->provider, sizeof out->provider, "%s", a.reading.provider);
    out->next_hour = mean_next_hour(cc);
}

void c12_site_read_carbon(c12_site *s, c12_site_reading *out) { read_cache(s->carbon, out); }

void c12_local_read_carbon(const c12_fleet *f, c12_site_reading *out) { read_cache(f->opts.local_carbon, out); }

/* The per-token rates `local` is priced at: a site's defaults, so that
 * beside sites that keep theirs the choice is the grid's and the load's. */
static double local_energy_j(double prompt_tokens, double out_tokens)
{
    c12_site_cfg d;
    c12_site_cfg_defaults(&d);
    return prompt_tokens * d.j_per_prompt_token + out_tokens * d.j_per_output_token;
}

typedef struct cand {
    int site;           /* C12_SITE_LOCAL: the engine here */
    int tier;           /* 0 usable, 1 too slow, 2 breaker open or full */
    double score;       /* grams, load-scaled */
    double ttft;
    const char *why;    /* tier 1, 2: why */
    c12_site_reading r;
} cand;

static int worse(const cand *a, const cand *b)
{
    if (a->tier != b->tier) return a->tier > b->tier;
    if (a->score != b->score) return a->score > b->score;
    return a->ttft > b->ttft;
}

/* Tier and load of `local` (mutex held): its engine slots busy against them. */
static void look_local(const c12_local_site *ls, const c12_backend_req *req, double out_tokens, cand *c)
{
    double predicted_ms = ls->ttft_s > 0 ? ls->ttft_s * 1000 + (ls->tps > 0 ? out_tokens / ls->tps * 1000 : 0) : 0;
    c->ttft = ls->ttft_s;
    c->score *= 1 + (double)ls->busy / ls->slots;
    if (ls->busy >= ls->slots) c->tier = 2, c->why = "full";
    else if (req->max_latency_ms > 0 && predicted_ms > req->max_latency_ms) c->tier = 1, c->why = "too slow";
}

/* Tier and load of site s (mutex held). */
static void look(c12_fleet *f, c12_site *s, const c12_backend_req *req, double out_tokens, cand *c)
{
    int open = (s->state == C12_SITE_OPEN && c12_fleet_now(f) < s->open_until) ||
               (s->state == C12_SITE_HALF_OPEN && s->trial);
    double load = (s->in_flight + (s->have_queue ? s->queue : 0)) / s->cfg->max_concurrent;
    double predicted_ms = s->ttft_s > 0 ? s->ttft_s * 1000 + (s->tps > 0 ? out_tokens / s->tps * 1000 : 0) : 0;
    c->ttft = s->ttft_s;
    c->score *= 1 + load;
    if (open) c->tier = 2, c->why = "breaker open";
    else if (s->in_flight >= s->cfg->max_concurrent) c->tier = 2, c->why = "full";
    else if (req->max_latency_ms > 0 && predicted_ms > req->max_latency_ms) c->tier = 1, c->why = "too slow";
}

static const char *cand_name(const c12_fleet *f, const cand *c)
{
    return c->site == C12_SITE_LOCAL ? "local" : f->sites[c->site].cfg->name;
}

static void explain(c12_fleet *f, const c12_local_site *ls, const cand *c, int n, char *out, size_t cap)
{
    const c12_site *s = c[0].site == C12_SITE_LOCAL ? NULL : &f->sites[c[0].site];
    int w = snprintf(out, cap, "site %s: %.0f g/kWh, %d/%d busy", cand_name(f, &c[0]), c[0].r.now,
                     s ? s->in_flight : ls->busy, s ? s->cfg->max_concurrent : ls->slots);
    if (w > 0 && (size_t)w < cap && s && s->have_queue && s->queue > 0)
        w += snprintf(out + w, cap - (size_t)w, ", queue %.0f", s->queue);
    if (w > 0 && (size_t)w < cap && c[0].ttft > 0) w += snprintf(out + w, cap - (size_t)w, ", ttft %.2f s", c[0].ttft);
    for (int i = 1; i < n && w > 0 && (size_t)w < cap; i++) {
        const c12_site *o = c[i].site == C12_SITE_LOCAL ? NULL : &f->sites[c[i].site];
        w += c[i].why ? snprintf(out + w, cap - (size_t)w, "; %s: %s", cand_name(f, &c[i]), c[i].why)
                      : snprintf(out + w, cap - (size_t)w, "; %s: %.0f g/kWh", cand_name(f, &c[i]), c[i].r.now);
        if (w > 0 && (size_t)w < cap && !c[i].why && o && o->have_queue && o->queue > 0)
            w += snprintf(out + w, cap - (size_t)w, ", queue %.0f", o->queue);
    }
}

void c12_fleet_rank(c12_fleet *f, const c12_model_cfg *m, const c12_backend_req *req, const c12_local_site *local,
                    c12_rank *out)
{
    cand c[C12_CFG_MAX_SITES];
    int n = 0;
    double pt = c12_fleet_prompt_tokens(req);
    double ot = req->gen.max_tokens > 0 && req->gen.max_tokens < OUT_TOKENS_GUESS ? req->gen.max_tokens : OUT_TOKENS_GUESS;
    for (int i = 0; i < m->n_sites; i++) {
        int here = m->sites[i] == C12_SITE_LOCAL;
        if (here && !local) continue;
        c12_site *s = here ? NULL : &f->sites[m->sites[i]];
        cand *k = &c[n++];
        *k = (cand){.site = m->sites[i]};
        if (here) c12_local_read_carbon(f, &k->r); /* no I/O, its own lock */
        else c12_site_read_carbon(s, &k->r);
        double g = k->r.now;
        if (!isnan(g) && !isnan(k->r.next_hour)) g = 0.75 * g + 0.25 * k->r.next_hour;
        k->score = isnan(g) ? INFINITY : (here ? local_energy_j(pt, ot) : c12_site_energy_j(s, pt, ot)) / 3.6e6 * g;
    }
    pthread_mutex_lock(&f->mu);
    for (int i = 0; i < n; i++) {
        if (c[i].site == C12_SITE_LOCAL) look_local(local, req, ot, &c[i]);
        else look(f, &f->sites[c[i].site], req, ot, &c[i]);
    }
    for (int i = 1; i < n; i++) /* insertion sort: a handful of sites */
        for (int j = i; j > 0 && worse(&c[j - 1], &c[j]); j--) {
            cand t = c[j];
            c[j] = c[j - 1];
            c[j - 1] = t;
        }
    out->n = n;
    out->usable = 0;
    for (int i = 0; i < n; i++) {
        out->order[i] = c[i].site;
        out->reading[i] = c[i].r;
        if (c[i].tier < 2) out->usable++;
    }
    out->reason[0] = '\0';
    if (n) explain(f, local, c, n, out->reason, sizeof out->reason);
    pthread_mutex_unlock(&f->mu);
}
