/* batch_run.c - the thread that runs batches (docs/batch.md).
 *
 * Every tick (batch.tick_s, or at once when a batch is created or
 * cancelled) each batch that is not final takes one step:
 *   - cancelling: finalize as cancelled (the lines answered so far are in
 *     its output file);
 *   - in progress past its deadline: its pending lines fail with
 *     batch_expired, then finalize as expired;
 *   - in progress: plan its remaining lines (their expected time: the mean
 *     of its lines so far, else the policy's estimate) over the forecast
 *     with batch.margin of its window kept free; when the plan says now (or
 *     slack has run out) one line runs, through the same pipeline as a live
 *     request at low priority; else it waits;
 *   - no pending line left (or finalizing after a restart): finalize.
 * A line's result and its batch's counters are committed together
 * (bstore.h); a line cut by shutdown is not committed and runs again after
 * a restart. A status is only ever moved from the one this thread read (a
 * cancel that came meanwhile wins; the next tick finds it). Several
 * gateways on one PostgreSQL database step a batch only while they hold
 * its claim (bstore.h); the others skip it. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "base/c12_clock.h"
#include "batch/bstore.h"
#include "server/batch_run.h"
#include "server/defer.h"
#include "server/gen.h"

#define ACTIVE_MAX 64

struct c12_batch_runner {
    c12_server *srv;
    c12_bstore *store;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, woken;
};

static int64_t now_s(void) { return (int64_t)time(NULL); }

static void log_err(const char *id, const c12_err *err) { fprintf(stderr, "c12 serve: batch %s: %s\n", id, err->msg); }

/* ---- finalizing: the output and error files ---- */

static int append_line(void *ud, const char *result)
{
    c12_buf *b = ud;
    return c12_buf_puts(b, result) || c12_buf_puts(b, "\n");
}

/* The results of the ok (or failed) lines as a new file; id "" when none. */
static c12_rc results_file(c12_batch_runner *r, const c12_batch *b, int ok, char id[C12_BATCH_ID_MAX], c12_err *err)
{
    c12_buf buf;
    c12_buf_init(&buf, 0);
    id[0] = '\0';
    c12_rc rc = c12_bstore_lines_each(r->store, b->id, ok, append_line, &buf, err);
    if (!rc && buf.len) {
        c12_bfile f = {.purpose = "batch_output"};
        snprintf(f.filename, sizeof f.filename, "%s_%s.jsonl", b->id, ok ? "output" : "error");
        snprintf(f.owner, sizeof f.owner, "%s", b->owner);
        rc = c12_bstore_file_put(r->store, &f, buf.data, buf.len, err);
        if (!rc) memcpy(id, f.id, sizeof f.id);
    }
    c12_buf_free(&buf);
    return rc;
}

/* The time the batch has waited with lines left: since it started, less
 * the time its lines took. Derived, so neither a restart nor other
 * batches' lines can skew it (in_progress is whole seconds, as OpenAI's
 * timestamps: up to one second more). */
static void note_wait(c12_batch *b)
{
    double waited = (double)c12_clock_real_ms() / 1000.0 - (double)b->at.in_progress - b->run_s;
    if (b->at.in_progress && waited > b->deferred_s) b->deferred_s = waited;
}

static c12_rc finalize(c12_batch_runner *r, c12_batch *b, c12_batch_status final, c12_err *err)
{
    c12_batch_status from = b->status;
    note_wait(b);
    if (from != C12_BATCH_FINALIZING && final == C12_BATCH_COMPLETED) {
        b->status = C12_BATCH_FINALIZING;
        b->at.finalizing = now_s();
        c12_rc rc = c12_bstore_batch_put(r->store, b, from, err);
        if (rc) return rc;
        from = C12_BATCH_FINALIZING;
    }
    c12_rc rc = results_file(r, b, 1, b->output_file_id, err);
    if (!rc) rc = results_file(r, b, 0, b->error_file_id, err);
    if (rc) return rc;
    b->status = final;
    int64_t t = now_s();
    if (final == C12_BATCH_COMPLETED) b->at.completed = t;
    if (final == C12_BATCH_EXPIRED) b->at.expired = t;
    if (final == C12_BATCH_CANCELLED) b->at.cancelled = t;
    fprintf(stderr, "c12 serve: batch %s %s: %lld of %lld lines answered, %lld failed, %.4f g CO2e (%.4f g at submission),"
            " waited %.0f s\n", b->id, c12_batch_status_name(final), (long long)b->completed, (long long)b->total,
            (long long)b->failed, b->co2_g, b->co2_at_submit_g, b->deferred_s);
    return c12_bstore_batch_put(r->store, b, from, err);
}

/* ---- lines ---- */

/* An output line: {"id", "custom_id", "response": {"status_code",
 * "request_id", "body"}, "error": null} for a line that ran, {...,
 * "response": null, "error": {code, message}} for one that did not. */
static char *result_text(const char *custom_id, const c12_gen_line_out *o, const char *code, const char *msg)
{
    char id[C12_BATCH_ID_MAX];
    c12_batch_new_id("batch_req_", id);
    json_t *resp = o ? json_pack("{s:i, s:s, s:O}", "status_code", (int)o->status, "request_id", o->request_id,
                                 "body", o->body)
                     : json_null();
    json_t *error = o ? json_null() : json_pack("{s:s, s:s}", "code", code, "message", msg);
    json_t *j = json_pack("{s:s, s:s, s:o, s:o}", "id", id, "custom_id", custom_id, "response", resp, "error", error);
    char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return t;
}

/* Run the next pending line. */
static c12_rc run_line(c12_batch_runner *r, c12_batch *b, c12_err *err)
{
    c12_server *s = r->srv;
    c12_bline l;
    c12_rc rc = c12_bstore_line_next(r->store, b->id, &l, err);
    if (rc) return rc;
    c12_gen_line_in in = {.kind = b->endpoint == C12_BATCH_CHAT ? C12_API_CHAT : C12_API_COMPLETION, .body = l.body,
                          .key_idx = c12_server_key_of_owner(s, b->owner), .batch_id = b->id};
    c12_gen_line_out o = {0};
    double t0 = c12_clock_s();
    atomic_fetch_add(&s->generators, 1); /* shutdown waits for it within grace_s */
    rc = c12_gen_line(s, &in, &o, err);
    atomic_fetch_sub(&s->generators, 1);
    char *text = rc ? NULL : result_text(l.custom_id, &o, NULL, NULL);
    if (!rc && !text) rc = c12_fail(err, C12_ERR_NOMEM, "out of memory");
    /* cut, or refused, by shutdown: not committed, so it runs again after a restart */
    if (!rc && (atomic_load(&s->cancel_all) || atomic_load(&s->shutting_down))) rc = C12_ERR_CANCELLED;
    if (!rc) {
        int ok = o.status >= 200 && o.status < 300;
        b->completed += ok;
        b->failed += !ok;
        b->energy_j += o.energy_j;
        b->co2_g += o.co2_g;
        b->co2_at_submit_g += o.energy_j / 3.6e6 * b->submit_intensity * s->deps.pue;
        b->run_s += c12_clock_s() - t0;
        rc = c12_bstore_line_done(r->store, b, l.idx, ok, text, err);
    }
    free(text); /* jansson's buffer */
    json_decref(o.body);
    c12_free(l.body);
    return rc;
}

/* Past the deadline: every pending line fails with batch_expired. */
static c12_rc expire(c12_batch_runner *r, c12_batch *b, c12_err *err)
{
    c12_bline l;
    c12_rc rc;
    while (!(rc = c12_bstore_line_next(r->store, b->id, &l, err))) {
        char *text = result_text(l.custom_id, NULL, "batch_expired", "This line was not run before the batch expired.");
        b->failed++;
        rc = text ? c12_bstore_line_done(r->store, b, l.idx, 0, text, err)
                  : c12_fail(err, C12_ERR_NOMEM, "out of memory");
        free(text);
        c12_free(l.body);
        if (rc) return rc;
    }
    return rc == C12_ERR_NOT_FOUND ? finalize(r, b, C12_BATCH_EXPIRED, err) : rc;
}

/* Whether the batch's remaining lines should start now. */
static int due(c12_batch_runner *r, c12_batch *b, int64_t pending)
{
    /* a line's time: the mean of its lines so far, else the lines' estimate */
    double done = (double)(b->completed + b->failed);
    double line_s = done > 0 ? b->run_s / done
                  : b->est_s > 0 && b->total > 0 ? b->est_s / (double)b->total : c12_defer_request_s(r->srv);
    int64_t now_ms = c12_clock_real_ms();
    c12_plan p;
    c12_defer_plan(r->srv, now_ms, b->at.expires * 1000, line_s * (double)pending,
                   r->srv->cfg->batch.margin * (double)b->window_s, &p);
    b->planned_start_ms = p.start_ms;
    note_wait(b);
    return p.forced || (p.start_ms <= now_ms && c12_defer_reading_current(r->srv));
}

/* One step of one batch; 1 when it did work (run again at once). A BUSY
 * from the store is a cancel that came meanwhile: the next step sees it. */
static int step(c12_batch_runner *r, const char *id)
{
    c12_batch *b = c12_malloc(sizeof *b);
    c12_err err;
    int worked = 0;
    /* claimed first, then read: what it reads is no other gateway's to change */
    c12_rc rc = b ? c12_bstore_batch_claim(r->store, id, &err) : c12_fail(&err, C12_ERR_NOMEM, "out of memory");
    if (!rc) rc = c12_bstore_batch_get(r->store, id, b, &err);
    if (!rc && b->status == C12_BATCH_CANCELLING) rc = finalize(r, b, C12_BATCH_CANCELLED, &err);
    else if (!rc && b->status == C12_BATCH_IN_PROGRESS && now_s() >= b->at.expires) rc = expire(r, b, &err);
    else if (!rc && (b->status == C12_BATCH_IN_PROGRESS || b->status == C12_BATCH_FINALIZING)) {
        int64_t pending = b->total - b->completed - b->failed; /* the counters commit with each line */
        if (pending <= 0) rc = finalize(r, b, C12_BATCH_COMPLETED, &err);
        else if (!rc && due(r, b, pending)) rc = run_line(r, b, &err), worked = 1;
        else if (!rc) rc = c12_bstore_batch_put(r->store, b, b->status, &err);
    }
    if (rc && rc != C12_ERR_CANCELLED && rc != C12_ERR_NOT_FOUND && rc != C12_ERR_BUSY) log_err(id, &err);
    c12_free(b);
    return worked && !rc;
}

static void *loop(void *arg)
{
    c12_batch_runner *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        int stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop || atomic_load(&r->srv->shutting_down)) break;
        char ids[ACTIVE_MAX][C12_BATCH_ID_MAX];
        size_t n = 0;
        c12_err err;
        if (c12_bstore_batch_active(r->store, ids, ACTIVE_MAX, &n, &err)) log_err("store", &err);
        int worked = 0;
        for (size_t i = 0; i < n && !atomic_load(&r->srv->shutting_down); i++) worked |= step(r, ids[i]);
        if (worked) continue;
        pthread_mutex_lock(&r->mu);
        if (!r->stop && !r->woken) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            double until = (double)ts.tv_sec + ts.tv_nsec / 1e9 + r->srv->cfg->batch.tick_s;
            ts.tv_sec = (time_t)until;
            ts.tv_nsec = (long)((until - floor(until)) * 1e9);
            pthread_cond_timedwait(&r->cv, &r->mu, &ts);
        }
        r->woken = 0;
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

c12_rc c12_batch_runner_start(c12_server *s, c12_bstore *store, c12_batch_runner **out, c12_err *err)
{
    c12_batch_runner *r = c12_calloc(1, sizeof *r);
    if (!r) return c12_fail(err, C12_ERR_NOMEM, "batches: out of memory");
    r->srv = s;
    r->store = store;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, loop, r)) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        c12_free(r);
        return c12_fail(err, C12_ERR_IO, "batches: cannot start the runner thread");
    }
    *out = r;
    return C12_OK;
}

void c12_batch_runner_wake(c12_batch_runner *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->woken = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void c12_batch_runner_stop(c12_batch_runner *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    c12_free(r);
}
