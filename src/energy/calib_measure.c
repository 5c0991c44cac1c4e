/* calib_measure.c - measure what a model's prompt and output tokens cost:
 * one prefill of P token ids from an empty cache, then N single-token decode
 * steps, each phase bracketed by the meter (as `c12 bench` times them). The
 * prompt is fixed pseudo-random ids, so runs are comparable; the cheapest of
 * the repetitions is kept, because interference only ever adds cost. */
#include <stdio.h>
#include <time.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "energy/calib.h"
#include "engine/c12_engine.h"

#define MIN_DECODE 4

typedef struct phase_cost {
    double j, s;
    int n; /* tokens measured */
} phase_cost;

static c12_rc measured(const c12_meter *meter, const c12_energy_mark *mk, phase_cost *out,
                       c12_err *err)
{
    c12_energy_result r;
    c12_rc rc = c12_meter_end(meter, mk, -1, &r, err);
    if (rc == C12_OK) *out = (phase_cost){r.joules, r.wall_s, out->n};
    return rc;
}

/* One run: prefill then decode; costs of each phase. */
static c12_rc run_once(c12_session *s, const c12_meter *meter, const int32_t *ids,
                       const c12_calib_params *p, phase_cost *pre, phase_cost *dec, c12_err *err)
{
    c12_energy_mark mk;
    c12_session_truncate(s, 0);
    c12_rc rc = c12_meter_begin(meter, &mk, err);
    if (rc == C12_OK) rc = c12_session_decode(s, ids, p->prompt_tokens, p->prompt_tokens, NULL, err);
    pre->n = p->prompt_tokens;
    if (rc == C12_OK) rc = measured(meter, &mk, pre, err);
    if (rc == C12_OK) rc = c12_meter_begin(meter, &mk, err);
    /* the time budget cuts decoding short (never below MIN_DECODE tokens):
     * a busy machine must not turn calibration into minutes */
    int64_t stop_ns = c12_clock_ns() + (int64_t)((p->max_s - pre->s) * 1e9);
    dec->n = 0;
    for (int i = 0; rc == C12_OK && i < p->output_tokens; i++) {
        int32_t tok = ids[(p->prompt_tokens + i) % p->prompt_tokens];
        rc = c12_session_decode(s, &tok, 1, 1, NULL, err);
        dec->n++;
        if (p->max_s > 0 && dec->n >= MIN_DECODE && c12_clock_ns() > stop_ns) break;
    }
    if (rc == C12_OK) rc = measured(meter, &mk, dec, err);
    return rc;
}

/* The first token after a load pages every weight in from the file: part of
 * the cost of loading, not of the tokens, so it is measured apart. */
static c12_rc warm_up(c12_session *s, const c12_meter *meter, const int32_t *ids,
                      phase_cost *out, c12_err *err)
{
    c12_energy_mark mk;
    c12_rc rc = c12_meter_begin(meter, &mk, err);
    if (rc == C12_OK) rc = c12_session_decode(s, ids, 1, 1, NULL, err);
    if (rc == C12_OK) rc = measured(meter, &mk, out, err);
    return rc;
}

static void fixed_prompt(int32_t *ids, int n, int n_vocab)
{
    uint64_t x = 12345; /* the same pseudo-random ids as c12 bench */
    for (int i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = (int32_t)((x >> 33) % (uint64_t)n_vocab);
    }
}

static void fill_entry(const c12_meter *meter, const c12_calib_params *p, int threads,
                       phase_cost pre, phase_cost dec, c12_calib_entry *e)
{
    c12_energy_mark mk;
    c12_energy_result r = {0};
    c12_err err;
    /* the method string of this meter: an empty interval tells it */
    if (c12_meter_begin(meter, &mk, &err) == C12_OK) c12_meter_end(meter, &mk, 0, &r, &err);
    snprintf(e->method, sizeof e->method, "%s", r.method);
    e->watts_per_core = r.watts_per_core;
    e->threads = threads;
    e->prompt_tokens = pre.n;
    e->output_tokens = dec.n;
    e->j_per_prompt_token = pre.j / pre.n;
    e->s_per_prompt_token = pre.s / pre.n;
    e->j_per_output_token = dec.j / dec.n;
    e->s_per_output_token = dec.s / dec.n;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(e->measured_at, sizeof e->measured_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static c12_rc measure_runs(c12_session *s, const c12_meter *meter, const int32_t *ids,
                           const c12_calib_params *p, phase_cost *pre, phase_cost *dec,
                           c12_err *err)
{
    c12_rc rc = C12_OK;
    for (int r = 0; rc == C12_OK && r < p->reps; r++) {
        phase_cost a, b;
        rc = run_once(s, meter, ids, p, &a, &b, err);
        /* compare per token: a decode cut short by the budget has fewer */
        if (rc == C12_OK && (r == 0 || a.j / a.n < pre->j / pre->n)) *pre = a;
        if (rc == C12_OK && (r == 0 || b.j / b.n < dec->j / dec->n)) *dec = b;
    }
    return rc;
}

c12_rc c12_calib_measure(c12_model *m, const c12_meter *meter, const c12_calib_params *p,
                         c12_calib_entry *out, c12_err *err)
{
    if (p->prompt_tokens < 1 || p->output_tokens < 1 || p->reps < 1)
        return c12_fail(err, C12_ERR_INVALID, "calibrate: token counts and reps must be positive");
    c12_session_params sp = {.n_ctx = p->prompt_tokens + p->output_tokens + 8,
                             .n_threads = p->threads, .n_batch = p->prompt_tokens};
    c12_session *s = NULL;
    c12_rc rc = c12_session_new(m, &sp, &s, err);
    if (rc) return rc;
    int32_t *ids = c12_malloc(sizeof(int32_t) * (size_t)p->prompt_tokens);
    if (!ids) rc = c12_fail(err, C12_ERR_NOMEM, "calibrate: no memory");
    phase_cost pre = {0}, dec = {0}, warm = {0};
    if (rc == C12_OK) {
        fixed_prompt(ids, p->prompt_tokens, c12_model_get_info(m)->n_vocab);
        rc = warm_up(s, meter, ids, &warm, err);
    }
    if (rc == C12_OK) rc = measure_runs(s, meter, ids, p, &pre, &dec, err);
    if (rc == C12_OK) {
        c12_calib_entry e = *out;
        e.load_s += warm.s;
        e.load_j += warm.j;
        fill_entry(meter, p, p->threads, pre, dec, &e);
        *out = e;
    }
    c12_free(ids);
    c12_session_free(s);
    return rc;
}
