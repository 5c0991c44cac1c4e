/* batch.c - continuous batching: the sessions of one model share forward passes.
 *
 * Each generating session runs its own loop (generate.c) in its own thread.
 * Where it would run a forward pass it hands its tokens to the batcher and
 * waits. A waiting thread that finds no step running leads the next one: it
 * takes the waiting items (decodes first, then prompt chunks, the shortest
 * prompt first, up to max_batch sequences and the workspace's rows), runs one forward pass over
 * all of them in the batcher's workspace and threads (forward.c stacks their
 * rows, so each weight row is read once per step), and wakes them.
 *
 * When a step starts: as soon as every generating session has handed in its
 * tokens, or a quarter of the last step's time (0.1 to 4 ms) after the later
 * of the last step's end and the first hand-in (a session may be busy
 * elsewhere: sampling a large vocabulary, writing to a slow client), so that
 * one slow member never stalls the others for long. Counting from the last
 * step's end matters: sequences that missed a step hand in while it runs,
 * and were their wait counted from then, the next step would leave at once
 * without the ones it just served, and the two halves would stay apart.
 * New sequences join at the next step; finished ones leave (c12_batcher_leave).
 *
 * Prompts: while others decode, a prompt enters the steps in chunks of
 * prefill_chunk tokens, so streams in flight keep flowing (chunked prefill).
 * With no_chunked_prefill a prompt holds the batcher: its chunks run in
 * steps of their own, back to back, and the decodes wait.
 *
 * Energy: a step's CPU time (the leader's thread and the workspace's workers)
 * is split among its sequences by weight: 1 per decode token, w per prompt
 * token, where w is a prompt token's measured cost in decode tokens (the
 * time per row of steps that carried one prompt chunk alone, over that of
 * steps that carried one decode alone; 1 until both were seen). The split is
 * exact in nanoseconds: the requests' CPU times sum to the steps'. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "base/c12_clock.h"
#include "session.h"

#define BATCH_SEQ_MAX 64
#define DEFAULT_CHUNK 32
#define GATHER_MIN_NS 100000LL  /* 0.1 ms */
#define GATHER_MAX_NS 4000000LL /* 4 ms */
#define EWMA 0.2                /* weight of the newest step in the averages */

typedef struct item {
    c12_session *s;
    const int32_t *tokens;
    int n, done;
    int left; /* a prompt's tokens still to read, this chunk's included */
    int64_t t_ns; /* when handed in */
} item;

struct c12_batcher {
    c12_model *m;
    c12_session *ws; /* the steps' scratch and threads */
    int max_batch, chunk, no_chunked;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int members, active, running;
    const c12_session *holder; /* a prompt running alone (no_chunked) */
    item *q[BATCH_SEQ_MAX];    /* handed in, not yet in a step */
    int nq;
    int64_t last_step_ns, step_end_ns; /* the last step's duration, and when it ended */
    int64_t workers_ns; /* the workspace's workers' CPU clock after the last step (-1: none yet) */
    double decode_row_ns, prefill_row_ns; /* averages of solo steps (0: none yet) */
    c12_batcher_stats st;
};

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)) return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

c12_rc c12_batcher_new(c12_model *m, const c12_batcher_params *p, c12_batcher **out, c12_err *err)
{
    if (p->max_batch < 1 || p->max_batch > BATCH_SEQ_MAX)
        return c12_fail(err, C12_ERR_RANGE, "max_batch %d is outside 1..%d", p->max_batch, BATCH_SEQ_MAX);
    c12_batcher *b = c12_calloc(1, sizeof *b);
    if (!b) return c12_fail(err, C12_ERR_NOMEM, "batcher: out of memory");
    b->m = m;
    b->workers_ns = -1;
    b->max_batch = p->max_batch;
    b->chunk = p->prefill_chunk > 0 ? p->prefill_chunk : DEFAULT_CHUNK;
    b->no_chunked = p->no_chunked_prefill;
    /* rows for a whole prompt chunk of a session (64), or a chunk beside every decode */
    int rows = b->chunk + b->max_batch > 64 ? b->chunk + b->max_batch : 64;
    c12_session_params sp = {.n_ctx = p->n_ctx, .n_threads = p->n_threads, .n_batch = rows,
                             .n_seq_max = b->max_batch};
    c12_rc rc = c12_session_new(m, &sp, &b->ws, err);
    if (rc) {
        c12_free(b);
        return rc;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&b->mu, NULL);
    *out = b;
    return C12_OK;
}

void c12_batcher_free(c12_batcher *b)
{
    if (!b) return;
    c12_session_free(b->ws);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    c12_free(b);
}

c12_rc c12_session_set_batcher(c12_session *s, c12_batcher *b, c12_err *err)
{
    if (b && (b->m != s->m || s->ctx_pad > b->ws->ctx_pad || s->n_batch > b->ws->n_batch || s->logits_rows > 1))
        return c12_fail(err, C12_ERR_INVALID, "batcher: the session is of another model, has a longer context "
                        "or larger prompt chunks, or keeps every position's logits");
    c12_batcher *old = s->batcher;
    if (b) {
        pthread_mutex_lock(&b->mu);
        int full = b->members == BATCH_SEQ_MAX;
        if (!full) b->members++;
        pthread_mutex_unlock(&b->mu);
        if (full) return c12_fail(err, C12_ERR_RANGE, "batcher: %d sessions already share it", BATCH_SEQ_MAX);
    }
    if (old) {
        pthread_mutex_lock(&old->mu);
        old->members--;
        pthread_mutex_unlock(&old->mu);
    }
    s->batcher = b;
    return C12_OK;
}

void c12_batcher_enter(c12_batcher *b)
{
    pthread_mutex_lock(&b->mu);
    b->active++;
    pthread_mutex_unlock(&b->mu);
}

void c12_batcher_leave(c12_batcher *b)
{
    pthread_mutex_lock(&b->mu);
    b->active--;
    pthread_cond_broadcast(&b->cv); /* a step may have waited for this one */
    pthread_mutex_unlock(&b->mu);
}

int c12_batcher_chunk(c12_batcher *b, const c12_session *s)
{
    pthread_mutex_lock(&b->mu);
    int busy = b->active > 1;
    pthread_mutex_unlock(&b->mu);
    return busy && !b->no_chunked && b->chunk < s->n_batch ? b->chunk : s->n_batch;
}

int c12_batcher_hold(c12_batcher *b, c12_session *s)
{
    if (!b->no_chunked) return 0;
    pthread_mutex_lock(&b->mu);
    while (b->holder && b->holder != s) pthread_cond_wait(&b->cv, &b->mu);
    b->holder = s;
    pthread_mutex_unlock(&b->mu);
    return 1;
}

void c12_batcher_release(c12_batcher *b, c12_session *s)
{
    pthread_mutex_lock(&b->mu);
    if (b->holder == s) b->holder = NULL;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static int queued(const c12_batcher *b, const c12_session *s)
{
    for (int i = 0; i < b->nq; i++)
        if (b->q[i]->s == s) return 1;
    return 0;
}

/* Nanoseconds until the next step should start (<= 0: now; INT64_MAX: when woken). */
static int64_t gather_wait(const c12_batcher *b, int64_t now)
{
    if (!b->nq) return INT64_MAX;
    if (b->holder) return queued(b, b->holder) ? 0 : INT64_MAX;
    if (b->nq >= b->active) return 0;
    int64_t oldest = b->q[0]->t_ns;
    for (int i = 1; i < b->nq; i++)
        if (b->q[i]->t_ns < oldest) oldest = b->q[i]->t_ns;
    int64_t win = b->last_step_ns / 4;
    win = win < GATHER_MIN_NS ? GATHER_MIN_NS : win > GATHER_MAX_NS ? GATHER_MAX_NS : win;
    return (oldest > b->step_end_ns ? oldest : b->step_end_ns) + win - now;
}

/* Whether the step (k items, rows so far) can take it. */
static int fits(const c12_batcher *b, const item *it, int k, int rows)
{
    return (!b->holder || it->s == b->holder) && k < b->max_batch && rows + it->n <= b->ws->n_batch;
}

/* The next step's items: the holder's alone, else decodes first, then prompt
 * chunks, the prompt with the fewest tokens left first (a short request's
 * first token does not wait behind long prompts: its time to first token is
 * what chunked prefill is for), within max_batch sequences and the
 * workspace's rows. Taken items leave the queue; the rest keep their order. */
static int select_items(c12_batcher *b, item **take, int *rows)
{
    int k = 0, left = 0;
    *rows = 0;
    for (int i = 0; i < b->nq; i++) {
        item *it = b->q[i];
        if (it->n != 1 || !fits(b, it, k, *rows)) continue;
        take[k++] = it;
        *rows += it->n;
        b->q[i] = NULL;
    }
    for (;;) {
        int best = -1;
        for (int i = 0; i < b->nq; i++)
            if (b->q[i] && fits(b, b->q[i], k, *rows) && (best < 0 || b->q[i]->left < b->q[best]->left)) best = i;
        if (best < 0) break;
        take[k++] = b->q[best];
        *rows += b->q[best]->n;
        b->q[best] = NULL;
    }
    for (int i = 0; i < b->nq; i++)
        if (b->q[i]) b->q[left++] = b->q[i];
    b->nq = left;
    return k;
}

static double prefill_weight(const c12_batcher *b)
{
    if (b->decode_row_ns <= 0 || b->prefill_row_ns <= 0) return 1.0;
    double w = b->prefill_row_ns / b->decode_row_ns;
    return w < 0.01 ? 0.01 : w > 1.0 ? 1.0 : w;
}

/* The step's CPU time to its sequences by weight, exactly; the leading
 * thread's own part comes off its session (its caller meters that thread). */
static void charge(c12_batcher *b, item *const *take, int k, int64_t total, int64_t lead_ns, c12_session *lead)
{
    double pw = prefill_weight(b), wsum = 0;
    for (int i = 0; i < k; i++) wsum += take[i]->n == 1 ? 1.0 : take[i]->n * pw;
    int64_t given = 0;
    for (int i = 0; i < k; i++) {
        double w = take[i]->n == 1 ? 1.0 : take[i]->n * pw;
        int64_t share = i == k - 1 ? total - given : (int64_t)((double)total * w / wsum);
        given += share;
        atomic_fetch_add(&take[i]->s->charged_ns, share);
    }
    atomic_fetch_sub(&lead->charged_ns, lead_ns);
}

static void ewma(double *avg, double v) { *avg = *avg > 0 ? *avg + EWMA * (v - *avg) : v; }

static void learn(c12_batcher *b, item *const *take, int k, int rows, int64_t dt, int64_t cpu)
{
    b->last_step_ns = dt;
    b->step_end_ns = c12_clock_ns();
    b->st.steps++;
    b->st.seqs += (uint64_t)k;
    b->st.rows += (uint64_t)rows;
    b->st.cpu_ns += cpu;
    if (k == 1) ewma(take[0]->n == 1 ? &b->decode_row_ns : &b->prefill_row_ns, (double)dt / take[0]->n);
    if (rows == k && k < (int)(sizeof b->st.decode_step_s / sizeof b->st.decode_step_s[0]))
        ewma(&b->st.decode_step_s[k], dt * 1e-9);
}

/* Run one step as its leader (called and returning with b->mu held);
 * 0: nothing could be taken. */
static int lead(c12_batcher *b, c12_session *self)
{
    item *take[BATCH_SEQ_MAX];
    c12_fwd_seq seqs[BATCH_SEQ_MAX];
    int rows, k = select_items(b, take, &rows);
    if (!k) return 0;
    for (int i = 0; i < k; i++)
        seqs[i] = (c12_fwd_seq){.kv = take[i]->s, .tokens = take[i]->tokens, .n = take[i]->n,
                                .logits_from = take[i]->n - 1};
    b->running = 1;
    pthread_mutex_unlock(&b->mu);
    /* the workers' clock from the end of the last step: their spinning
     * between steps (docs/energy.md) is charged to this one */
    int64_t t0 = c12_clock_ns(), c0 = thread_cpu_ns(), w0 = c12_tpool_worker_cpu_ns(b->ws->pool);
    if (b->workers_ns >= 0) w0 = b->workers_ns;
    c12_forward_seqs(b->ws, seqs, k);
    int64_t dt = c12_clock_ns() - t0, cl = thread_cpu_ns() - c0, w1 = c12_tpool_worker_cpu_ns(b->ws->pool);
    int64_t cpu = cl + w1 - w0;
    pthread_mutex_lock(&b->mu);
    b->workers_ns = w1;
    charge(b, take, k, cpu, cl, self);
    learn(b, take, k, rows, dt, cpu);
    for (int i = 0; i < k; i++) take[i]->done = 1;
    b->running = 0;
    pthread_cond_broadcast(&b->cv);
    return k;
}

void c12_batcher_forward(c12_batcher *b, c12_session *s, const int32_t *tokens, int n, int left)
{
    item me = {.s = s, .tokens = tokens, .n = n, .left = left, .t_ns = c12_clock_ns()};
    pthread_mutex_lock(&b->mu);
    b->q[b->nq++] = &me;
    pthread_cond_broadcast(&b->cv); /* the set a gathering step waits for may be complete */
    while (!me.done) {
        int64_t wait = b->running ? INT64_MAX : gather_wait(b, c12_clock_ns());
        if (wait <= 0 && lead(b, s)) continue;
        if (wait <= 0 || wait == INT64_MAX) {
            pthread_cond_wait(&b->cv, &b->mu);
        } else {
            struct timespec dl = c12_clock_deadline_ns(CLOCK_MONOTONIC, wait);
            pthread_cond_timedwait(&b->cv, &b->mu, &dl);
        }
    }
    pthread_mutex_unlock(&b->mu);
}

double c12_batcher_marginal(const c12_batcher_stats *st)
{
    const int n = (int)(sizeof st->decode_step_s / sizeof st->decode_step_s[0]);
    int k = st->active;
    if (k < 1 || k + 1 >= n) return 1.0;
    double t1 = st->decode_step_s[1], tk = st->decode_step_s[k], tn = st->decode_step_s[k + 1];
    if (t1 <= 0 || tk <= 0 || tn <= 0) return 1.0;
    double m = (tn - tk) / t1;
    return m < 0.05 ? 0.05 : m > 1.0 ? 1.0 : m;
}

void c12_batcher_get_stats(c12_batcher *b, c12_batcher_stats *out)
{
    pthread_mutex_lock(&b->mu);
    *out = b->st;
    out->active = b->active;
    out->prefill_weight = prefill_weight(b);
    pthread_mutex_unlock(&b->mu);
}
