/* limit.h - per-key limits: requests and tokens per minute, and a carbon
 * budget (grams CO2e per UTC day or month), for each API key of the
 * configuration (server.api_keys) and, for a key with per_user, for each
 * `user` value under it.
 *
 * Requests and tokens are token buckets, as OpenAI's limits are: a bucket
 * holds up to a minute's allowance and refills continuously (rpm/60 a
 * second), so a key may burst its whole minute and then goes on at the
 * steady rate. A request takes one request and reserves its tokens (the
 * prompt as estimated from its bytes, plus max_tokens); when it is over,
 * the tokens it did not use are given back (c12_limits_settle).
 *
 * The carbon budget is checked twice: at arrival, and again once the
 * request holds a slot of its model, just before it generates. The spend
 * of a request is added when it is over, before its slot is given back.
 * So every request that generates began while the period's spend was under
 * the budget, and the most a budget can be overspent by is what the
 * requests already generating when it ran out go on to spend: at most one
 * request per slot (docs/limits.md). A restart does not reset the spend:
 * the server seeds it from the ledger (c12_limits_seed).
 *
 * Times are the caller's (UTC ms since the epoch), so tests drive them. */
#ifndef C12_LIMIT_H
#define C12_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"

typedef enum {
    C12_LIMIT_DAY = 0,   /* the UTC day */
    C12_LIMIT_MONTH,     /* the UTC calendar month */
} c12_limit_period;

/* One key's limits (0: none of that kind). */
typedef struct c12_limit_rule {
    double rpm;                 /* requests per minute */
    double tpm;                 /* tokens per minute, prompt + completion */
    double co2_g;               /* grams CO2e per period */
    c12_limit_period period;    /* the budget's period (the spend is reported for it too) */
    int per_user;               /* each `user` value under the key has limits of its own */
} c12_limit_rule;

/* Which limit turned a request away. */
typedef enum {
    C12_LIMIT_OK = 0,
    C12_LIMIT_REQUESTS,         /* rpm: none left this minute */
    C12_LIMIT_TOKENS,           /* tpm: not enough left this minute */
    C12_LIMIT_TOO_LARGE,        /* tpm: the request alone asks for more than a minute's tokens */
    C12_LIMIT_CARBON,           /* the period's budget is spent */
} c12_limit_verdict;

/* Where a subject stands: what the response headers and /v1/c12/usage show. */
typedef struct c12_limit_state {
    c12_limit_rule rule;
    double requests_left, requests_reset_s; /* reset: until the bucket is full again */
    double tokens_left, tokens_reset_s;
    double co2_spent_g;                     /* this period's */
    int64_t period_start_ms, period_end_ms;
    double retry_after_s;                   /* a refused request: when to try again */
    double tokens_asked;                    /* a refused request: what it asked for */
} c12_limit_state;

typedef struct c12_limits c12_limits;

/* n rules, one per API key (index = the key's). Subjects of per-user keys
 * are kept up to an internal cap; users past it share one subject per key. */
c12_rc c12_limits_new(const c12_limit_rule *rules, size_t n, c12_limits **out, c12_err *err);
void c12_limits_free(c12_limits *l);

/* Spend already recorded for key (and user, for a per-user key) in the
 * period containing the ledger rows' times: added to this period's. */
void c12_limits_seed(c12_limits *l, int key, const char *user, double co2_g, int64_t now_ms);

/* A request arrives: rates (unless rates is 0: a batch line) and the
 * budget. OK takes a request and reserves `tokens`; any other verdict
 * takes nothing. *st (NULL: not wanted) is where the subject stands after.
 * key -1 (no key) and keys without limits are always OK. */
c12_limit_verdict c12_limits_admit(c12_limits *l, int key, const char *user, double tokens, int rates,
                                   int64_t now_ms, c12_limit_state *st);
/* The budget alone: CARBON when this period's spend has reached it. */
c12_limit_verdict c12_limits_budget(c12_limits *l, int key, const char *user, int64_t now_ms,
                                    c12_limit_state *st);
/* A request admitted with `reserved` tokens is over: it used `used` tokens
 * and spent co2_g. */
void c12_limits_settle(c12_limits *l, int key, const char *user, double reserved, double used, double co2_g,
                       int64_t now_ms);
/* Where the subject stands, taking nothing. */
void c12_limits_peek(c12_limits *l, int key, const char *user, int64_t now_ms, c12_limit_state *st);

/* The period containing now_ms: [*start, *end) in UTC ms. */
void c12_limit_period_bounds(c12_limit_period p, int64_t now_ms, int64_t *start, int64_t *end);
/* "day", "month" */
const char *c12_limit_period_name(c12_limit_period p);
/* A duration as OpenAI's x-ratelimit-reset-* headers write it: "20ms",
 * "1.5s", "6m0s", "1h2m3s". */
void c12_limit_duration(double s, char *out, size_t cap);

#endif
