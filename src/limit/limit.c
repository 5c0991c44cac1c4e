/* limit.c - the limiter: a subject (a key, or a key's user) per slot of a
 * fixed table, one lock over all of it (each call is a few arithmetic
 * steps; the request path holds it for nanoseconds). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "limit/limit.h"

/* Users of per-user keys that get a subject of their own; past this, the
 * new ones share their key's (a client making up user names cannot grow
 * the table). */
#define USERS_MAX 4096
#define USER_MAX 64

typedef struct subject {
    int used;
    int key;                    /* -1: requests without a key */
    char user[USER_MAX];
    double req, tok;            /* what is left in each bucket */
    int64_t req_ms, tok_ms;     /* when each was last refilled */
    double spent;               /* this period's grams */
    int64_t period_start;       /* the period spent is of (0: none yet) */
} subject;

struct c12_limits {
    pthread_mutex_t mu;
    size_t n;                   /* keys */
    c12_limit_rule *rules;      /* n + 1: the last is for requests without a key */
    subject *shared;            /* n + 1: each key's own (per-user keys: users past the cap) */
    subject *users;             /* USERS_MAX, open addressing */
    size_t n_users;
};

static const c12_limit_rule NO_RULE = {.period = C12_LIMIT_DAY};

c12_rc c12_limits_new(const c12_limit_rule *rules, size_t n, c12_limits **out, c12_err *err)
{
    c12_limits *l = c12_calloc(1, sizeof *l);
    if (!l) return c12_fail(err, C12_ERR_NOMEM, "limits: out of memory");
    pthread_mutex_init(&l->mu, NULL);
    l->n = n;
    l->rules = c12_calloc(n + 1, sizeof *l->rules);
    l->shared = c12_calloc(n + 1, sizeof *l->shared);
    l->users = c12_calloc(USERS_MAX, sizeof *l->users);
    if (!l->rules || !l->shared || !l->users) {
        c12_limits_free(l);
        return c12_fail(err, C12_ERR_NOMEM, "limits: out of memory");
    }
    for (size_t i = 0; i < n; i++) l->rules[i] = rules[i];
    l->rules[n] = NO_RULE;
    for (size_t i = 0; i <= n; i++) l->shared[i] = (subject){.key = i < n ? (int)i : -1};
    *out = l;
    return C12_OK;
}

void c12_limits_free(c12_limits *l)
{
    if (!l) return;
    pthread_mutex_destroy(&l->mu);
    c12_free(l->rules);
    c12_free(l->shared);
    c12_free(l->users);
    c12_free(l);
}

/* ---- periods ---- */

const char *c12_limit_period_name(c12_limit_period p) { return p == C12_LIMIT_MONTH ? "month" : "day"; }

void c12_limit_period_bounds(c12_limit_period p, int64_t now_ms, int64_t *start, int64_t *end)
{
    const int64_t day = 86400000;
    if (p == C12_LIMIT_DAY) {
        *start = now_ms - ((now_ms % day) + day) % day;
        *end = *start + day;
        return;
    }
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mday = 1, tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    *start = (int64_t)timegm(&tm) * 1000;
    tm.tm_mon++; /* timegm normalizes December + 1 */
    *end = (int64_t)timegm(&tm) * 1000;
}

/* ---- subjects ---- */

static uint64_t user_hash(int key, const char *user)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(key + 1);
    for (const unsigned char *p = (const unsigned char *)user; *p; p++) h = (h ^ *p) * 1099511628211ull;
    return h;
}

static const c12_limit_rule *rule_of(const c12_limits *l, int key)
{
    return key >= 0 && (size_t)key < l->n ? &l->rules[key] : &l->rules[l->n];
}

/* The subject of key and user, made on first sight (full buckets). */
static subject *find(c12_limits *l, int key, const char *user, int64_t now_ms)
{
    if (key < 0 || (size_t)key >= l->n) key = -1;
    subject *s = &l->shared[key < 0 ? l->n : (size_t)key];
    if (key >= 0 && l->rules[key].per_user && user && *user && strlen(user) < USER_MAX) {
        size_t i = user_hash(key, user) % USERS_MAX;
        while (l->users[i].used && (l->users[i].key != key || strcmp(l->users[i].user, user)))
            i = (i + 1) % USERS_MAX;
        if (l->users[i].used) s = &l->users[i];
        else if (l->n_users < USERS_MAX * 3 / 4) { /* else: the key's shared subject */
            s = &l->users[i];
            *s = (subject){.key = key};
            snprintf(s->user, sizeof s->user, "%s", user);
            l->n_users++;
        }
    }
    if (!s->used) {
        const c12_limit_rule *r = rule_of(l, key);
        s->used = 1;
        s->req = r->rpm, s->tok = r->tpm, s->req_ms = s->tok_ms = now_ms;
    }
    return s;
}

/* A bucket of cap per minute, refilled up to now. */
static void refill(double *level, int64_t *last_ms, double cap, int64_t now_ms)
{
    if (now_ms > *last_ms) *level = fmin(cap, *level + (double)(now_ms - *last_ms) * cap / 60000.0);
    *last_ms = now_ms;
}

/* Bring the subject up to now: buckets refilled, a new period's spend at 0. */
static void advance(const c12_limit_rule *r, subject *s, int64_t now_ms)
{
    int64_t start, end;
    c12_limit_period_bounds(r->period, now_ms, &start, &end);
    if (s->period_start != start) s->spent = 0, s->period_start = start;
    refill(&s->req, &s->req_ms, r->rpm, now_ms);
    refill(&s->tok, &s->tok_ms, r->tpm, now_ms);
}

/* Seconds until a bucket of cap per minute holds `want`. */
static double wait_for(double level, double want, double cap)
{
    return cap > 0 && level < want ? (want - level) * 60.0 / cap : 0;
}

static void fill_state(const c12_limit_rule *r, const subject *s, int64_t now_ms, c12_limit_state *st)
{
    if (!st) return;
    *st = (c12_limit_state){.rule = *r, .co2_spent_g = s->spent, .period_start_ms = s->period_start};
    int64_t start;
    c12_limit_period_bounds(r->period, now_ms, &start, &st->period_end_ms);
    st->requests_left = r->rpm > 0 ? fmax(0, floor(s->req)) : 0;
    st->requests_reset_s = wait_for(s->req, r->rpm, r->rpm);
    st->tokens_left = r->tpm > 0 ? fmax(0, floor(s->tok)) : 0;
    st->tokens_reset_s = wait_for(s->tok, r->tpm, r->tpm);
}

static c12_limit_verdict judge(const c12_limit_rule *r, const subject *s, double tokens, int rates, int64_t now_ms,
                               double *retry_s)
{
    if (r->co2_g > 0 && s->spent >= r->co2_g) {
        int64_t start, end;
        c12_limit_period_bounds(r->period, now_ms, &start, &end);
        *retry_s = (double)(end - now_ms) / 1000.0;
        return C12_LIMIT_CARBON;
    }
    if (!rates) return C12_LIMIT_OK;
    if (r->rpm > 0 && s->req < 1) {
        *retry_s = wait_for(s->req, 1, r->rpm);
        return C12_LIMIT_REQUESTS;
    }
    if (r->tpm > 0 && tokens > r->tpm) return C12_LIMIT_TOO_LARGE;
    if (r->tpm > 0 && s->tok < tokens) {
        *retry_s = wait_for(s->tok, tokens, r->tpm);
        return C12_LIMIT_TOKENS;
    }
    return C12_LIMIT_OK;
}

c12_limit_verdict c12_limits_admit(c12_limits *l, int key, const char *user, double tokens, int rates,
                                   int64_t now_ms, c12_limit_state *st)
{
    pthread_mutex_lock(&l->mu);
    subject *s = find(l, key, user, now_ms);
    const c12_limit_rule *r = rule_of(l, s->key);
    advance(r, s, now_ms);
    double retry = 0;
    c12_limit_verdict v = judge(r, s, tokens, rates, now_ms, &retry);
    if (v == C12_LIMIT_OK && rates) {
        if (r->rpm > 0) s->req -= 1;
        if (r->tpm > 0) s->tok -= tokens;
    }
    fill_state(r, s, now_ms, st);
    if (st) st->retry_after_s = retry, st->tokens_asked = tokens;
    pthread_mutex_unlock(&l->mu);
    return v;
}

c12_limit_verdict c12_limits_budget(c12_limits *l, int key, const char *user, int64_t now_ms, c12_limit_state *st)
{
    return c12_limits_admit(l, key, user, 0, 0, now_ms, st);
}

void c12_limits_settle(c12_limits *l, int key, const char *user, double reserved, double used, double co2_g,
                       int64_t now_ms)
{
    pthread_mutex_lock(&l->mu);
    subject *s = find(l, key, user, now_ms);
    const c12_limit_rule *r = rule_of(l, s->key);
    advance(r, s, now_ms);
    if (r->tpm > 0) s->tok = fmin(r->tpm, s->tok + reserved - used); /* may go below 0: used more than reserved */
    if (co2_g > 0) s->spent += co2_g;
    pthread_mutex_unlock(&l->mu);
}

void c12_limits_seed(c12_limits *l, int key, const char *user, double co2_g, int64_t now_ms)
{
    c12_limits_settle(l, key, user, 0, 0, co2_g, now_ms);
}

void c12_limits_peek(c12_limits *l, int key, const char *user, int64_t now_ms, c12_limit_state *st)
{
    pthread_mutex_lock(&l->mu);
    subject *s = find(l, key, user, now_ms);
    const c12_limit_rule *r = rule_of(l, s->key);
    advance(r, s, now_ms);
    fill_state(r, s, now_ms, st);
    pthread_mutex_unlock(&l->mu);
}

void c12_limit_duration(double s, char *out, size_t cap)
{
    if (!(s > 0)) s = 0;
    if (s < 1) {
        snprintf(out, cap, "%dms", (int)ceil(s * 1000));
        return;
    }
    if (s < 60) {
        snprintf(out, cap, "%.3gs", s);
        return;
    }
    long t = (long)ceil(s), h = t / 3600, m = t % 3600 / 60, sec = t % 60;
    if (h) snprintf(out, cap, "%ldh%ldm%lds", h, m, sec);
    else snprintf(out, cap, "%ldm%lds", m, sec);
}
