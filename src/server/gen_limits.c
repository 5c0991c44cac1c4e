/* gen_limits.c - a generation request and its key's limits (limit.h): taken
 * at arrival, the carbon budget checked again once a slot is held, settled
 * when the request is over; shown in OpenAI's x-ratelimit-* headers (and
 * C12's x-c12-carbon-budget-*), refused with 429 and Retry-After. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_clock.h"
#include "server/gen.h"

/* What a request reserves of its key's tokens: its prompt as guessed from
 * its bytes, and all it may generate (OpenAI counts max_tokens too, n times). */
static double tokens_asked(const c12_gen_job *job)
{
    return ceil(c12_choose_prompt_tokens(&job->q)) + (double)job->breq.gen.max_tokens * (job->q.n > 1 ? job->q.n : 1);
}

static void label(const c12_gen_job *job, char *out, size_t cap)
{
    if (job->api_key[0]) snprintf(out, cap, "key %s", job->api_key);
    else snprintf(out, cap, "requests without a key");
}

/* The 429's message, type and code for verdict v. */
static void refusal(const c12_gen_job *job, c12_limit_verdict v, c12_gen_limited *out)
{
    const c12_limit_state *st = &job->limit;
    char who[80], when[32], wait[24];
    label(job, who, sizeof who);
    c12_limit_duration(st->retry_after_s, wait, sizeof wait);
    out->code = v == C12_LIMIT_CARBON ? "carbon_budget_exceeded" : "rate_limit_exceeded";
    out->type = v == C12_LIMIT_CARBON ? "carbon_budget" : v == C12_LIMIT_REQUESTS ? "requests" : "tokens";
    out->retry_after_s = v == C12_LIMIT_TOO_LARGE ? 0 : st->retry_after_s;
    switch (v) {
    case C12_LIMIT_REQUESTS:
        snprintf(out->msg, sizeof out->msg,
                 "Rate limit reached for %s on requests per minute (RPM): Limit %.0f, Remaining 0. "
                 "Please try again in %s.", who, st->rule.rpm, wait);
        break;
    case C12_LIMIT_TOKENS:
        snprintf(out->msg, sizeof out->msg,
                 "Rate limit reached for %s on tokens per minute (TPM): Limit %.0f, Remaining %.0f, Requested %.0f "
                 "(the prompt's estimate plus max_tokens). Please try again in %s.", who, st->rule.tpm,
                 st->tokens_left, st->tokens_asked, wait);
        break;
    case C12_LIMIT_TOO_LARGE:
        snprintf(out->msg, sizeof out->msg,
                 "Request too large for %s on tokens per minute (TPM): Limit %.0f, Requested %.0f (the prompt's "
                 "estimate plus max_tokens). Lower max_tokens or shorten the prompt.", who, st->rule.tpm,
                 st->tokens_asked);
        break;
    default:
        c12_ledger_bucket_key(C12_LEDGER_BY_STEP, st->period_end_ms, when, sizeof when);
        snprintf(out->msg, sizeof out->msg,
                 "The carbon budget of %s is spent: %.4g of %.4g gCO2e this %s (UTC). It resets at %s.", who,
                 st->co2_spent_g, st->rule.co2_g, c12_limit_period_name(st->rule.period), when);
    }
}

static int limited(c12_gen_job *job, c12_limit_verdict v, c12_gen_limited *out)
{
    if (v == C12_LIMIT_OK) return 0;
    refusal(job, v, out);
    job->retry_after_s = out->retry_after_s;
    c12_metrics_observe_limited(job->srv->deps.metrics, job->api_key, out->type);
    return 1;
}

int c12_gen_limits_admit(c12_gen_job *job, int rates, c12_gen_limited *out)
{
    c12_limits *l = job->srv->limits;
    if (!l) return 0;
    double asked = rates ? tokens_asked(job) : 0;
    c12_limit_verdict v = c12_limits_admit(l, job->key_idx, job->user, asked, rates, c12_clock_real_ms(), &job->limit);
    job->limit_shown = 1;
    if (limited(job, v, out)) return 1;
    job->limit_admitted = 1;
    job->limit_reserved = asked;
    return 0;
}

int c12_gen_limits_budget(c12_gen_job *job, c12_gen_limited *out)
{
    c12_limits *l = job->srv->limits;
    if (!l || !job->limit_admitted) return 0;
    if (!(job->limit.rule.co2_g > 0)) return 0; /* no budget: nothing to look at again */
    c12_limit_state st;
    c12_limit_verdict v = c12_limits_budget(l, job->key_idx, job->user, c12_clock_real_ms(), &st);
    if (v == C12_LIMIT_OK) return 0; /* the headers keep what stood at arrival, as OpenAI's do */
    job->limit = st;                 /* the refusal tells where the budget stands now */
    return limited(job, v, out);
}

void c12_gen_limits_settle(c12_gen_job *job, const c12_ledger_row *row)
{
    c12_limits *l = job->srv->limits;
    if (!l || !job->limit_admitted) return;
    job->limit_admitted = 0; /* once */
    c12_limits_settle(l, job->key_idx, job->user, job->limit_reserved,
                      (double)(row->prompt_tokens + row->completion_tokens), row->co2_g, c12_clock_real_ms());
}

void c12_gen_limits_hdrs_fill(const c12_gen_job *job, c12_gen_limit_hdrs *h)
{
    *h = (c12_gen_limit_hdrs){0};
    const c12_limit_state *st = &job->limit;
    if (!job->limit_shown) return;
    if (st->rule.rpm > 0) {
        snprintf(h->v[0], sizeof h->v[0], "%.0f", st->rule.rpm);
        snprintf(h->v[1], sizeof h->v[1], "%.0f", st->requests_left);
        c12_limit_duration(st->requests_reset_s, h->v[2], sizeof h->v[2]);
    }
    if (st->rule.tpm > 0) {
        snprintf(h->v[3], sizeof h->v[3], "%.0f", st->rule.tpm);
        snprintf(h->v[4], sizeof h->v[4], "%.0f", st->tokens_left);
        c12_limit_duration(st->tokens_reset_s, h->v[5], sizeof h->v[5]);
    }
    if (st->rule.co2_g > 0) {
        snprintf(h->v[6], sizeof h->v[6], "%g", st->rule.co2_g);
        snprintf(h->v[7], sizeof h->v[7], "%.6f", st->co2_spent_g);
        c12_ledger_bucket_key(C12_LEDGER_BY_STEP, st->period_end_ms, h->v[8], sizeof h->v[8]);
    }
    if (job->retry_after_s > 0) { /* a 429: whole seconds, and the milliseconds OpenAI's SDKs read first */
        snprintf(h->v[9], sizeof h->v[9], "%.0f", ceil(job->retry_after_s));
        snprintf(h->v[10], sizeof h->v[10], "%.0f", ceil(job->retry_after_s * 1000));
    }
}

static const char *const LIMIT_HEADERS[C12_GEN_LIMIT_HDRS] = {
    "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
    "x-ratelimit-limit-tokens",   "x-ratelimit-remaining-tokens",   "x-ratelimit-reset-tokens",
    "x-c12-carbon-budget-g",      "x-c12-carbon-spent-g",           "x-c12-carbon-budget-reset",
    "Retry-After",                "retry-after-ms",
};

void c12_gen_limits_hdrs_add(const c12_gen_limit_hdrs *h, struct MHD_Response *r)
{
    for (int i = 0; i < C12_GEN_LIMIT_HDRS; i++)
        if (h->v[i][0]) MHD_add_response_header(r, LIMIT_HEADERS[i], h->v[i]);
}
