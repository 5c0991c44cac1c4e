/* account.c - what a generation request costs and how it is recorded: its
 * clocks, the energy its generation used (the meter over the generating
 * thread's and the slot's workers' CPU time) and, when it is over, its
 * ledger row, filled once from the job. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/c12_clock.h"
#include "server/gen.h"

void c12_account_begin(c12_gen_job *job)
{
    job->t0_ns = c12_clock_ns();
    job->time_ms = c12_clock_real_ms();
    snprintf(job->cost.energy_method, sizeof job->cost.energy_method, "none");
}

double c12_account_co2(const c12_gen_job *job, double joules)
{
    return c12_energy_gco2(joules, job->price.intensity, job->srv->deps.pue);
}

/* ---- metering: both ends on the thread that generates ---- */

static int slot_cpu(const c12_gen_job *job, int64_t *ns)
{
    return c12_backend_slot_cpu_ns(job->srv->backend, job->lease.model, job->lease.slot, ns);
}

static void meter_begin(c12_gen_job *job)
{
    c12_gen_cost *m = &job->cost;
    c12_err err;
    m->cpu0_ns = c12_energy_thread_cpu_ns();
    m->slot_known = slot_cpu(job, &m->slot0_ns);
    m->metering = job->srv->deps.meter && c12_meter_begin(job->srv->deps.meter, &m->mark, &err) == C12_OK;
}

/* Joules since meter_begin: this thread's CPU time plus the slot's workers'
 * (when the backend reports them; else the meter takes the process's). */
static int meter_read(const c12_gen_job *job, c12_energy_result *r)
{
    const c12_gen_cost *m = &job->cost;
    c12_err err;
    if (!m->metering) return 0;
    int64_t slot = 0;
    int known = m->slot_known && slot_cpu(job, &slot);
    double cpu_s = known ? (double)(c12_energy_thread_cpu_ns() - m->cpu0_ns + slot - m->slot0_ns) / 1e9 : -1;
    return c12_meter_end(job->srv->deps.meter, &m->mark, cpu_s, r, &err) == C12_OK;
}

typedef struct tap {
    c12_gen_job *job;
    c12_text_cb cb;
    void *ud;
} tap;

/* The first text (or a site's first tool call): the time to first token. */
static void tap_first(c12_gen_job *job)
{
    if (!job->cost.first_ns) {
        job->cost.first_ns = c12_clock_ns();
        c12_energy_result r;
        if (job->choice.est_basis == C12_BASIS_NONE && meter_read(job, &r)) {
            job->choice.est_j = r.joules; /* no estimate for this model: what the prompt cost */
            job->choice.est_basis = C12_BASIS_PREFILL;
        }
    }
}

static int tap_text(void *ud, const char *text, size_t len)
{
    tap *t = ud;
    tap_first(t->job);
    return t->cb(t->ud, text, len);
}

/* A site's tool call, piece by piece, to the response being built. */
static int tap_tool(void *ud, const c12_tool_frag *f)
{
    tap *t = ud;
    tap_first(t->job);
    return t->job->on_tool(t->ud, f);
}

static void tap_token(void *ud, int32_t id)
{
    (void)id;
    ((tap *)ud)->job->cost.n_tokens++;
}

static void tap_logprobs(void *ud, const c12_logprobs *lp) { c12_gen_lp_add(((tap *)ud)->job, lp); }

/* A remote request's site (fleet.h), before its first text: the headers
 * name it, and the request is priced at that site's grid. */
static void tap_site(void *ud, const c12_backend_site *s)
{
    c12_gen_job *job = ((tap *)ud)->job;
    if (!job->site[0]) job->price_here = job->price; /* before a site's grid replaces it */
    snprintf(job->site, sizeof job->site, "%s", s->name);
    snprintf(job->site_region, sizeof job->site_region, "%s", s->region);
    snprintf(job->site_reason, sizeof job->site_reason, "%s", s->reason ? s->reason : "");
    job->site_remote = strcmp(s->name, "local") != 0;
    if (isnan(s->intensity)) { /* this process: the request's own price (again, after a site failed) */
        job->price = job->price_here;
        return;
    }
    job->price.intensity = s->intensity;
    snprintf(job->price.provider, sizeof job->price.provider, "%s", s->provider);
    job->price.age_s = s->age_s;
}

static void tap_flush(void *ud)
{
    const c12_gen_job *job = ((tap *)ud)->job;
    if (job->flush) job->flush(job->flush_ud);
}

/* Between prompt chunks and tokens: the grace period is over, or the client left. */
static int tap_cancelled(void *ud)
{
    const c12_gen_job *job = ((tap *)ud)->job;
    return atomic_load(&job->srv->cancel_all) || (job->gone && job->gone(job->gone_ud));
}

/* Choice i's seed: the request's for the first (n = 1 is unchanged). */
static uint64_t choice_seed(uint64_t seed, int i) { return seed + (uint64_t)i * 0x9e3779b97f4a7c15ull; }

/* The choices one after another on the slot (the engine has no batching
 * across sequences yet): the prompt's cache is reused by each after the
 * first, so it is evaluated once. */
static c12_rc choices(c12_gen_job *job, tap *t, c12_backend_result *res, c12_err *err)
{
    int n = job->q.n > 1 ? job->q.n : 1;
    c12_backend_result sum = {0};
    c12_rc rc = C12_OK;
    for (int i = 0; i < n && !rc; i++) {
        c12_backend_result r;
        job->ci = i;
        job->breq.gen.sampling.seed = choice_seed(job->q.sampling.seed, i);
        if (i && job->choice_begin) job->choice_begin(t->ud, i);
        if ((rc = c12_backend_generate(job->srv->backend, job->lease.model, job->lease.slot, &job->breq, tap_text, t,
                                       &r, err)))
            break;
        job->results[i] = r;
        sum.n_prompt = r.n_prompt;
        if (!i) sum.n_cached = r.n_cached; /* the prompt counts once: as the first choice found it */
        sum.n_completion += r.n_completion;
        sum.finish = r.finish;
        sum.prefill_s += r.prefill_s;
        sum.decode_s += r.decode_s;
        if (r.energy_known) { /* a remote site's figures: each choice was a request there */
            sum.energy_known = 1;
            sum.energy_j += r.energy_j;
            memcpy(sum.energy_method, r.energy_method, sizeof sum.energy_method);
        }
        if (r.finish == C12_FINISH_CANCELLED || tap_cancelled(t)) break;
        if (i + 1 < n && job->choice_end && job->choice_end(t->ud, i, &r)) break;
    }
    if (!rc) *res = sum;
    return rc;
}

c12_rc c12_account_generate(c12_gen_job *job, c12_text_cb cb, void *ud, c12_backend_result *res, c12_err *err)
{
    c12_gen_cost *m = &job->cost;
    tap t = {.job = job, .cb = cb, .ud = ud};
    job->breq.gen.on_token = tap_token;
    job->breq.gen.cancelled = tap_cancelled;
    job->breq.gen.on_logprobs = job->q.logprobs ? tap_logprobs : NULL;
    job->breq.on_site = tap_site;
    job->breq.on_tool = job->on_tool ? tap_tool : NULL;
    job->breq.on_flush = tap_flush;
    meter_begin(job);
    c12_rc rc = choices(job, &t, res, err);
    if (rc == C12_ERR_CANCELLED && atomic_load(&job->srv->cancel_all))
        c12_fail(err, rc, "The server is shutting down: the request was cancelled during its prompt.");
    c12_energy_result r;
    if (meter_read(job, &r)) {
        m->energy_j = r.joules;
        snprintf(m->energy_method, sizeof m->energy_method, "%s", r.method);
    }
    if (!rc && res->energy_known) { /* a remote site's figure (or its rates' estimate), not this process's */
        m->energy_j = res->energy_j;
        snprintf(m->energy_method, sizeof m->energy_method, "%s", res->energy_method);
    }
    m->measured = 1;
    return rc;
}

const char *c12_account_status(unsigned http_status, c12_rc rc)
{
    if (rc == C12_ERR_CANCELLED) return "cancelled";
    if (http_status >= 200 && http_status < 300) return "ok";
    if (http_status == 504) return "timeout";
    if (http_status >= 400 && http_status < 500) return "rejected";
    return "error";
}

static double ms_between(int64_t t0_ns, int64_t t1_ns) { return (double)(t1_ns - t0_ns) / 1e6; }

void c12_account_row(const c12_gen_job *job, const char *status, const c12_backend_result *res,
                     c12_ledger_row *row)
{
    const c12_gen_choice *ch = &job->choice;
    const c12_gen_cost *m = &job->cost;
    *row = (c12_ledger_row){
        .time_ms = job->time_ms,
        .complexity = ch->analysis.complexity,
        .prompt_tokens = res ? res->n_prompt : 0,
        .completion_tokens = res ? res->n_completion : m->n_tokens,
        .queue_ms = ch->queue_ms,
        .ttft_ms = m->first_ns ? ms_between(job->t0_ns, m->first_ns) : 0,
        .total_ms = ms_between(job->t0_ns, c12_clock_ns()),
        .energy_j = m->energy_j,
        .intensity = job->price.intensity,
        .intensity_age_s = job->price.age_s,
        .pue = job->srv->deps.pue,
        .co2_g = c12_account_co2(job, m->energy_j),
        .cached = job->cache.state == C12_GEN_CACHE_HIT,
        .saved_energy_j = job->cache.state == C12_GEN_CACHE_HIT ? job->cache.hit.energy_j : 0,
    };
    row->saved_co2_g = c12_account_co2(job, row->saved_energy_j); /* at this request's intensity */
    C12_LEDGER_SET(row->request_id, job->id);
    C12_LEDGER_SET(row->api_key, job->api_key);
    C12_LEDGER_SET(row->user, job->user);
    C12_LEDGER_SET(row->model, job->model);
    C12_LEDGER_SET(row->category, ch->route.analysis ? c12_route_category_name(ch->analysis.category) : "");
    C12_LEDGER_SET(row->energy_method, m->energy_method);
    C12_LEDGER_SET(row->intensity_provider, job->price.provider);
    char route[C12_POLICY_REASON_MAX + 48 + C12_SITE_REASON_MAX];
    c12_gen_route(job, route, sizeof route);
    C12_LEDGER_SET(row->route_reason, route);
    C12_LEDGER_SET(row->status, status);
    C12_LEDGER_SET(row->batch_id, job->batch_id);
    C12_LEDGER_SET(row->directive, ch->directive);
    C12_LEDGER_SET(row->site, job->site);
    C12_LEDGER_SET(row->site_region, job->site_region);
}

void c12_account_finish(c12_gen_job *job, const char *status, const c12_backend_result *res)
{
    c12_ledger_row row;
    c12_account_row(job, status, res, &row);
    const c12_gen_choice *ch = &job->choice;
    job->choice.route.counterfactual_g =
        ch->have_strongest
            ? c12_account_co2(job, c12_policy_cost_j(&ch->strongest, row.prompt_tokens, row.completion_tokens, 1))
            : -1;
    c12_gen_limits_settle(job, &row); /* before the slot is given back: the budget's bound (limit.h) */
    c12_server_record(job->srv, &row, &job->choice.route);
}
