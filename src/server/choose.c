/* choose.c - which model answers a generation request, and a slot of it.
 *
 * Every request is analysed (category and complexity go to the ledger). An
 * explicit model id is served as asked. "auto" asks the policy (holding a
 * reference to the policy of the moment, so a SIGHUP swap mid-request is
 * harmless) with the carbon reading taken at arrival, the caller's latency
 * need and which models are resident; then the candidates are tried in the
 * decision's order: a candidate whose load fails gives way to the next. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "server/gen.h"
#include "server/serve_env.h"

double c12_choose_prompt_tokens(const c12_api_req *q)
{
    if (q->kind == C12_API_COMPLETION) return c12_policy_prompt_tokens(q->prompt ? strlen(q->prompt) : 0);
    double t = 0;
    for (size_t i = 0; i < q->n_messages; i++) t += c12_policy_prompt_tokens(strlen(q->messages[i].content));
    return t;
}

int c12_choose_load_failed(c12_rc rc)
{
    /* Not BUSY, TIMEOUT or CANCELLED: those are the queue's answers, and the
     * next candidate would not change them. */
    static const c12_rc LOAD_FAILURES[] = {C12_ERR_NOT_FOUND, C12_ERR_INTEGRITY, C12_ERR_FORMAT,
                                           C12_ERR_UNSUPPORTED, C12_ERR_IO,        C12_ERR_RANGE,
                                           C12_ERR_NOMEM,     C12_ERR_INVALID,   C12_ERR_INTERNAL};
    for (size_t i = 0; i < sizeof LOAD_FAILURES / sizeof LOAD_FAILURES[0]; i++)
        if (rc == LOAD_FAILURES[i]) return 1;
    return 0;
}

/* The analysis of the last user turn (and the follow-up rule); a request
 * with no text at all counts as general, complexity 0. */
static void analyse(c12_gen_job *job)
{
    c12_gen_meta *m = &job->meta;
    const c12_api_req *q = &job->q;
    c12_err err;
    c12_rc rc = C12_ERR_INVALID;
    if (q->kind == C12_API_COMPLETION && q->prompt) {
        rc = c12_route_analyse_text(q->prompt, strlen(q->prompt), &m->analysis, &err);
    } else if (q->n_messages) {
        c12_route_msg *msgs = c12_calloc(q->n_messages, sizeof *msgs);
        for (size_t i = 0; msgs && i < q->n_messages; i++)
            msgs[i] = (c12_route_msg){q->messages[i].role, q->messages[i].content, strlen(q->messages[i].content)};
        if (msgs) rc = c12_route_analyse(msgs, q->n_messages, &m->analysis, &err);
        c12_free(msgs);
    }
    if (rc) memset(&m->analysis, 0, sizeof m->analysis);
    m->route.analysis = &m->analysis;
    C12_LEDGER_SET(m->row.category, c12_route_category_name(m->analysis.category));
    m->row.complexity = m->analysis.complexity;
}

/* Output tokens to expect: the policy's plan, capped by max_tokens. */
static double expected_out(const c12_gen_job *job, const c12_policy *pol)
{
    double e = c12_policy_out_tokens(pol, &job->meta.analysis);
    return job->breq.gen.max_tokens > 0 ? fmin(e, (double)job->breq.gen.max_tokens) : e;
}

static void policy_request(const c12_gen_job *job, const c12_policy *pol, double max_latency_ms,
                           c12_policy_request *r)
{
    const c12_server *s = job->srv;
    const c12_policy_params *pp = c12_policy_get_params(pol);
    memset(r, 0, sizeof *r);
    r->analysis = &job->meta.analysis;
    r->chat = job->q.kind == C12_API_CHAT;
    r->prompt_tokens = c12_choose_prompt_tokens(&job->q);
    r->out_tokens = expected_out(job, pol);
    r->max_latency_ms = max_latency_ms;
    r->intensity_now = job->meta.row.intensity;
    r->intensity_next = c12_account_next_hour(s); /* only "auto" needs the forecast */
    for (size_t i = 0; i < pp->n_models; i++) {
        int idx = c12_server_policy_model(s->cfg, pp->models[i].name);
        if (idx >= 0 && c12_pool_state(s->pool, idx) == C12_MODEL_LOADED) r->loaded_mask |= 1u << i;
    }
}

/* The policy's expected joules for serving this request on config model
 * idx (the stream's headers), when the policy knows the model. */
static void estimate(c12_gen_job *job, const c12_policy *pol, int idx)
{
    const c12_policy_params *pp = c12_policy_get_params(pol);
    for (size_t i = 0; i < pp->n_models; i++) {
        if (c12_server_policy_model(job->srv->cfg, pp->models[i].name) != idx) continue;
        int loaded = c12_pool_state(job->srv->pool, idx) == C12_MODEL_LOADED;
        job->meta.est_j = c12_policy_energy_j(pol, i, c12_choose_prompt_tokens(&job->q), expected_out(job, pol),
                                              loaded);
        job->meta.est_basis = C12_BASIS_ESTIMATE;
        return;
    }
}

static c12_rc acquire(c12_gen_job *job, int idx, c12_prio prio, int64_t deadline_ms, c12_err *err)
{
    C12_LEDGER_SET(job->meta.row.model, job->srv->cfg->models[idx].id); /* a failure names what it tried */
    c12_server *s = job->srv;
    c12_rc rc = c12_pool_acquire(s->pool, idx, prio, deadline_ms, &job->lease, err);
    if (rc && c12_choose_load_failed(rc)) atomic_store(&s->load_failed_ms[idx], (long long)c12_pool_now(s->pool));
    if (rc) return rc;
    atomic_store(&s->load_failed_ms[idx], 0);
    job->leased = 1;
    job->model_id = job->srv->cfg->models[idx].id;
    return C12_OK;
}

/* A model whose load failed this recently is passed over by "auto" while a
 * later candidate remains (a corrupt file is not re-read, or re-hashed, for
 * every request); an explicit request still tries it. */
#define LOAD_RETRY_MS 30000

static int cooling(const c12_server *s, int idx)
{
    long long failed = atomic_load(&s->load_failed_ms[idx]);
    return failed && c12_pool_now(s->pool) - failed < LOAD_RETRY_MS;
}

static void add_name(char *list, size_t cap, const char *name)
{
    size_t used = strlen(list);
    if (used + 1 < cap) snprintf(list + used, cap - used, "%s%s", used ? "," : "", name);
}

/* Try the decision's candidates in order; a failed load passes to the next. */
static c12_rc acquire_candidates(c12_gen_job *job, const c12_policy *pol, c12_prio prio, int64_t deadline_ms,
                                 c12_err *err)
{
    c12_server *s = job->srv;
    c12_gen_meta *m = &job->meta;
    const c12_policy_params *pp = c12_policy_get_params(pol);
    c12_rc rc = C12_ERR_NOT_FOUND;
    char failed[96] = "";
    for (size_t k = 0; k < m->decision.n; k++) {
        const char *name = pp->models[m->decision.c[k].model].name;
        int idx = c12_server_policy_model(s->cfg, name);
        if (idx < 0) continue;
        if (k + 1 < m->decision.n && cooling(s, idx)) {
            m->route.load_failures++;
            add_name(failed, sizeof failed, name);
            continue;
        }
        if (!(rc = acquire(job, idx, prio, deadline_ms, err))) {
            m->route.chosen = (int)k;
            m->est_j = m->decision.c[k].energy_j;
            m->est_basis = C12_BASIS_ESTIMATE;
            break;
        }
        if (!c12_choose_load_failed(rc)) return rc;
        fprintf(stderr, "c12 serve: %s: %s failed to load (%s); trying the next candidate\n", job->id, name,
                err->msg);
        m->route.load_failures++;
        add_name(failed, sizeof failed, name);
    }
    if (rc) return rc;
    char reason[sizeof m->decision.reason + sizeof failed + 24];
    snprintf(reason, sizeof reason, "%s%s%s", m->decision.reason, m->route.load_failures ? "; failed to load: " : "",
             failed);
    C12_LEDGER_SET(m->row.route_reason, reason); /* cut at the row's width */
    return C12_OK;
}

static c12_rc choose_auto(c12_gen_job *job, c12_prio prio, int64_t deadline_ms, double max_latency_ms,
                          c12_err *err)
{
    c12_server *s = job->srv;
    c12_gen_meta *m = &job->meta;
    c12_policy *pol = s->deps.policy ? c12_policy_slot_get(s->deps.policy) : NULL;
    c12_policy_request pr;
    c12_err derr;
    m->route.is_auto = 1;
    if (pol) policy_request(job, pol, max_latency_ms, &pr);
    if (pol && c12_policy_decide(pol, &pr, &m->decision, &derr) == C12_OK) {
        m->route.decision = &m->decision;
        c12_rc rc = acquire_candidates(job, pol, prio, deadline_ms, err);
        c12_policy_unref(pol);
        return rc;
    }
    /* No policy model is served, or none can take this kind of request. */
    int idx = (int)s->cfg->default_model;
    snprintf(m->row.route_reason, sizeof m->row.route_reason, "%s/%s: %s; the default model",
             c12_route_category_name(m->analysis.category), c12_route_tier_name(m->analysis.tier),
             pol ? "no policy candidate" : "no policy model is served");
    if (pol) estimate(job, pol, idx);
    c12_policy_unref(pol);
    return acquire(job, idx, prio, deadline_ms, err);
}

c12_rc c12_choose_acquire(c12_gen_job *job, int explicit_idx, c12_prio prio, int64_t deadline_ms,
                          double max_latency_ms, c12_err *err)
{
    c12_gen_meta *m = &job->meta;
    analyse(job);
    if (explicit_idx < 0) return choose_auto(job, prio, deadline_ms, max_latency_ms, err);
    c12_policy *pol = job->srv->deps.policy ? c12_policy_slot_get(job->srv->deps.policy) : NULL;
    if (pol) estimate(job, pol, explicit_idx);
    c12_policy_unref(pol);
    C12_LEDGER_SET(m->row.route_reason, "explicit model");
    return acquire(job, explicit_idx, prio, deadline_ms, err);
}
