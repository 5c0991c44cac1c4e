/* choose.c - which model answers a generation request, and a slot of it.
 *
 * Every request is analysed (category and complexity go to the ledger). An
 * explicit model id is served as asked. "auto" asks the policy (holding a
 * reference to the policy of the moment, so a SIGHUP swap mid-request is
 * harmless; its models carry their served indices) with the carbon reading
 * the request is priced at, the caller's latency need and which models are
 * resident; then the candidates are tried in the decision's order: one the
 * pool says is cooling after a failed load is passed over while a later
 * one remains, and one whose load fails gives way to the next. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "server/gen.h"

double c12_choose_prompt_tokens(const c12_api_req *q)
{
    if (q->kind == C12_API_COMPLETION) return c12_policy_prompt_tokens(q->prompt ? strlen(q->prompt) : 0);
    double t = 0;
    for (size_t i = 0; i < q->n_messages; i++) t += c12_policy_prompt_tokens(strlen(q->messages[i].content));
    return t;
}

/* The analysis of the last user turn (and the follow-up rule); a request
 * with no text at all counts as general, complexity 0. */
static void analyse(c12_gen_job *job)
{
    c12_gen_choice *ch = &job->choice;
    const c12_api_req *q = &job->q;
    c12_err err;
    c12_rc rc = C12_ERR_INVALID;
    if (q->kind == C12_API_COMPLETION && q->prompt) {
        rc = c12_route_analyse_text(q->prompt, strlen(q->prompt), &ch->analysis, &err);
    } else if (q->n_messages) {
        c12_route_msg *msgs = c12_calloc(q->n_messages, sizeof *msgs);
        for (size_t i = 0; msgs && i < q->n_messages; i++)
            msgs[i] = (c12_route_msg){q->messages[i].role, q->messages[i].content, strlen(q->messages[i].content)};
        if (msgs) rc = c12_route_analyse(msgs, q->n_messages, &ch->analysis, &err);
        c12_free(msgs);
    }
    if (rc) memset(&ch->analysis, 0, sizeof ch->analysis);
    ch->route.analysis = &ch->analysis;
}

/* Output tokens to expect: the policy's plan, capped by max_tokens, for each of the n choices. */
static double expected_out(const c12_gen_job *job, const c12_policy *pol)
{
    double e = c12_policy_out_tokens(pol, &job->choice.analysis);
    e = job->breq.gen.max_tokens > 0 ? fmin(e, (double)job->breq.gen.max_tokens) : e;
    return e * (job->q.n > 1 ? job->q.n : 1);
}

static int resident(const c12_gen_job *job, int idx) { return c12_pool_state(job->srv->pool, idx) == C12_MODEL_LOADED; }

static void policy_request(const c12_gen_job *job, const c12_policy *pol, double max_latency_ms,
                           c12_policy_request *r)
{
    const c12_policy_params *pp = c12_policy_get_params(pol);
    *r = (c12_policy_request){
        .analysis = &job->choice.analysis,
        .chat = job->q.kind == C12_API_CHAT,
        .prompt_tokens = c12_choose_prompt_tokens(&job->q),
        .out_tokens = expected_out(job, pol),
        .max_latency_ms = max_latency_ms,
        .intensity_now = job->price.intensity,
        .intensity_next = job->price.next_hour,
        .no_directive = job->directive_off,
    };
    for (size_t i = 0; i < pp->n_models; i++) {
        if (!resident(job, pp->models[i].served_idx)) continue;
        r->loaded_mask |= 1u << i;
        r->out_marginal[i] = c12_pool_marginal(job->srv->pool, pp->models[i].served_idx);
    }
}

/* The policy's expected joules for serving this request on served model
 * idx (the stream's headers), when the policy knows the model. */
static void estimate(c12_gen_job *job, const c12_policy *pol, int idx)
{
    const c12_policy_params *pp = c12_policy_get_params(pol);
    for (size_t i = 0; i < pp->n_models; i++) {
        if (pp->models[i].served_idx != idx) continue;
        job->choice.est_j = c12_policy_energy_j(pol, i, c12_choose_prompt_tokens(&job->q),
                                                expected_out(job, pol) * c12_pool_marginal(job->srv->pool, idx),
                                                resident(job, idx));
        job->choice.est_basis = C12_BASIS_ESTIMATE;
        return;
    }
}

/* FNV-1a over bytes, continuing from h. */
static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

/* A chat's prefix hashes for the pool's slot choice (c12_pool_hint): each
 * message's role and content, cumulative. A completion gets none: its slot is
 * any free one (the engine still reuses what matches). NULL when no memory:
 * then too, any slot serves. */
static uint64_t *prefix_hashes(const c12_api_req *q, size_t *n)
{
    *n = 0;
    if (q->kind != C12_API_CHAT || !q->n_messages) return NULL;
    uint64_t *h = c12_malloc(q->n_messages * sizeof *h), acc = 14695981039346656037ull;
    for (size_t i = 0; h && i < q->n_messages; i++) {
        const c12_chat_msg *m = &q->messages[i];
        const char *role = m->role ? m->role : "", *content = m->content ? m->content : "";
        acc = fnv(acc, role, strlen(role) + 1);
        acc = fnv(acc, content, strlen(content) + 1);
        h[i] = acc;
    }
    if (h) *n = q->n_messages;
    return h;
}

static c12_rc acquire(c12_gen_job *job, int idx, c12_prio prio, int64_t deadline_ms, c12_err *err)
{
    job->model = job->srv->cfg->models[idx].id; /* a failure names what it tried */
    c12_pool_hint hint = {0};
    /* no hashing on the request path where the pool has no choice to make:
     * one slot, or a model served only by other servers (its slots keep no
     * conversation here: the pool takes the first free one) */
    const c12_model_cfg *m = &job->srv->cfg->models[idx];
    uint64_t *h = m->slots > 1 && !c12_model_remote(m) ? prefix_hashes(&job->q, &hint.n) : NULL;
    hint.prefix = h;
    c12_rc rc = c12_pool_acquire_hint(job->srv->pool, idx, prio, deadline_ms, h ? &hint : NULL, &job->lease, err);
    c12_free(h);
    job->leased = rc == C12_OK;
    return rc;
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
    c12_gen_choice *ch = &job->choice;
    const c12_policy_params *pp = c12_policy_get_params(pol);
    c12_rc rc = C12_ERR_NOT_FOUND;
    char failed[96] = "";
    for (size_t k = 0; k < ch->decision.n; k++) {
        const c12_policy_model *pm = &pp->models[ch->decision.c[k].model];
        if (job->q.tool_use && !c12_gen_tools_can(job->srv, pm->served_idx)) continue; /* no tool format */
        if (k + 1 < ch->decision.n && c12_pool_cooling(job->srv->pool, pm->served_idx)) {
            ch->route.load_failures++;
            add_name(failed, sizeof failed, pm->name);
            continue;
        }
        if (!(rc = acquire(job, pm->served_idx, prio, deadline_ms, err))) {
            ch->route.chosen = (int)k;
            ch->est_j = ch->decision.c[k].energy_j;
            ch->est_basis = C12_BASIS_ESTIMATE;
            break;
        }
        if (!c12_pool_load_failed(rc)) return rc;
        fprintf(stderr, "c12 serve: %s: %s failed to load (%s); trying the next candidate\n", job->id, pm->name,
                err->msg);
        ch->route.load_failures++;
        add_name(failed, sizeof failed, pm->name);
    }
    if (rc == C12_ERR_NOT_FOUND && job->q.tool_use)
        return c12_fail(err, C12_ERR_INVALID, "No model the policy may choose for this request can call tools "
                        "(its chat template has no tool-call format): name one that can.");
    if (rc) return rc;
    char reason[sizeof ch->decision.reason + sizeof failed + 24];
    snprintf(reason, sizeof reason, "%s%s%s", ch->decision.reason, ch->route.load_failures ? "; failed to load: " : "",
             failed);
    C12_LEDGER_SET(ch->reason, reason); /* cut at the row's width */
    return C12_OK;
}

static c12_rc choose_auto(c12_gen_job *job, const c12_policy *pol, c12_prio prio, int64_t deadline_ms,
                          double max_latency_ms, c12_err *err)
{
    c12_gen_choice *ch = &job->choice;
    c12_policy_request pr;
    c12_err derr;
    ch->route.is_auto = 1;
    if (pol) policy_request(job, pol, max_latency_ms, &pr);
    if (pol && c12_policy_decide(pol, &pr, &ch->decision, &derr) == C12_OK) {
        ch->route.decision = &ch->decision;
        if (ch->decision.dir) { /* the decision points into pol: keep a copy */
            snprintf(ch->directive, sizeof ch->directive, "%s", ch->decision.dir->text);
            job->breq.system_note = ch->directive;
        }
        ch->decision.dir = NULL;
        return acquire_candidates(job, pol, prio, deadline_ms, err);
    }
    /* No policy model is served, or none can take this kind of request. */
    int idx = (int)job->srv->cfg->default_model;
    snprintf(ch->reason, sizeof ch->reason, "%s/%s: %s; the default model",
             c12_route_category_name(ch->analysis.category), c12_route_tier_name(ch->analysis.tier),
             pol ? "no policy candidate" : "no policy model is served");
    if (pol) estimate(job, pol, idx);
    if (job->q.tool_use && !c12_gen_tools_can(job->srv, idx))
        return c12_fail(err, C12_ERR_INVALID, "The default model cannot call tools (its chat template has no "
                        "tool-call format): name a model that can.");
    return acquire(job, idx, prio, deadline_ms, err);
}

static c12_rc choose(c12_gen_job *job, const c12_policy *pol, int explicit_idx, c12_prio prio,
                     int64_t deadline_ms, double max_latency_ms, c12_err *err)
{
    analyse(job);
    if (explicit_idx < 0) return choose_auto(job, pol, prio, deadline_ms, max_latency_ms, err);
    if (pol) estimate(job, pol, explicit_idx);
    snprintf(job->choice.reason, sizeof job->choice.reason, "explicit model");
    return acquire(job, explicit_idx, prio, deadline_ms, err);
}

static void mark(c12_gen_job *job, const char *what)
{
    char reason[sizeof job->choice.reason + 8];
    snprintf(reason, sizeof reason, "%s%s", job->choice.reason, what);
    C12_LEDGER_SET(job->choice.reason, reason);
}

c12_rc c12_choose_acquire(c12_gen_job *job, int explicit_idx, c12_prio prio, int64_t deadline_ms,
                          double max_latency_ms, c12_err *err)
{
    c12_policy_slot *slot = job->srv->deps.policy;
    c12_policy *pol = slot ? c12_policy_slot_get(slot) : NULL;
    int64_t t0 = c12_clock_ns();
    job->breq.max_latency_ms = max_latency_ms; /* a remote model's sites are ranked with them (fleet.h) */
    job->breq.deadline_ms = deadline_ms;
    c12_rc rc = choose(job, pol, explicit_idx, prio, deadline_ms, max_latency_ms, err);
    job->choice.queue_ms = (double)(c12_clock_ns() - t0) / 1e6;
    /* the ledger row's marks of a tools or JSON request (x-c12-route shows them too) */
    if (job->q.tool_use) mark(job, "; tools");
    if (job->q.rfmt) mark(job, "; json");
    int k = pol ? c12_policy_strongest(pol) : -1;
    if (k >= 0) job->choice.strongest = *c12_policy_get_cost(pol, (size_t)k), job->choice.have_strongest = 1;
    c12_policy_unref(pol);
    return rc;
}
