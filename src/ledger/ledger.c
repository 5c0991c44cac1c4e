/* ledger.c - the bounded queue and the writer thread in front of a store.
 *
 * Rows move ring -> writer's batch -> store. A batch leaves the ring before it
 * is committed (so submitters get room while the disk is slow) and stays in
 * the writer's hands until a commit succeeds: a failing store (a full disk, a
 * database server restarting) is retried with backoff, never skipped, under
 * the same batch id, so that a store can tell a retry of a batch it already
 * committed. Only close gives up, after a few more tries, and then says how
 * many rows were lost. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "ledger/ledger.h"

#define CLOSE_TRIES 5
#define BACKOFF_MAX_MS 2000

struct c12_ledger {
    const c12_store_ops *ops;
    void *store;
    c12_ledger_cfg cfg;
    char target[1024]; /* what the store opens (a DSN: never printed) */
    uint64_t nonce, seq; /* batch ids: "<nonce>-<seq>", unique across processes */
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full, progress;
    c12_ledger_row *ring, *batch;
    size_t head, count;
    size_t held; /* rows of the batch the writer is committing (out of the ring, not yet in the store) */
    uint64_t accepted, committed, refused, commit_errors, lost;
    uint64_t failing; /* failed commits since the last one that succeeded */
    int closing, schema_version;
    int hurry; /* flush asked: commit without waiting for flush_ms */
    c12_err last_err; /* the store's last failure (guarded by mu) */
    pthread_t th;
    /* the read-only connection of c12_ledger_query/recent, opened at the
     * first; rd_mu lets one caller at a time use it */
    pthread_mutex_t rd_mu;
    void *reader;
};

/* Wait (mu held) until the batch is full, flush_ms passed, or close began. */
static void gather(c12_ledger *l)
{
    while (l->count == 0 && !l->closing) pthread_cond_wait(&l->not_empty, &l->mu);
    struct timespec dl = c12_clock_deadline(CLOCK_MONOTONIC, l->cfg.flush_ms);
    while (l->count < l->cfg.batch_max && !l->closing && !l->hurry)
        if (pthread_cond_timedwait(&l->not_empty, &l->mu, &dl) != 0) break;
}

/* Move up to batch_max rows from the ring into l->batch (mu held). */
static size_t take(c12_ledger *l)
{
    size_t n = l->count < l->cfg.batch_max ? l->count : l->cfg.batch_max;
    for (size_t i = 0; i < n; i++) l->batch[i] = l->ring[(l->head + i) % l->cfg.queue_cap];
    l->head = (l->head + n) % l->cfg.queue_cap;
    l->count -= n;
    if (l->count == 0) l->hurry = 0;
    l->seq++;
    pthread_cond_broadcast(&l->not_full);
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Tell cfg.log (if set) how the store is doing: its first failure after a
 * success, and its first success after failures. mu held. */
static void say(c12_ledger *l, c12_rc rc, const c12_err *err, size_t n)
{
    char msg[C12_ERR_MSG_MAX + 160];
    if (!l->cfg.log || (rc ? l->failing != 1 : l->failing == 0)) return;
    if (rc)
        snprintf(msg, sizeof msg, "ledger: the store failed (%s); %zu row(s) held in the queue, retrying", err->msg,
                 l->count + n);
    else
        snprintf(msg, sizeof msg, "ledger: the store is back after %llu failed commit(s); the held rows are committed",
                 (unsigned long long)l->failing);
    l->cfg.log(l->cfg.log_ud, msg);
}

/* Commit the batch, retrying a failing store (called and returns with mu held). */
static void commit(c12_ledger *l, size_t n)
{
    int tries = 0, backoff = 50;
    char batch[48];
    snprintf(batch, sizeof batch, "%016llx-%llu", (unsigned long long)l->nonce, (unsigned long long)l->seq);
    l->held = n;
    for (;;) {
        c12_err err;
        pthread_mutex_unlock(&l->mu);
        c12_rc rc = l->ops->append(l->store, batch, l->batch, n, &err);
        pthread_mutex_lock(&l->mu);
        if (rc == C12_OK) {
            l->committed += n;
            say(l, rc, NULL, n);
            l->failing = 0;
            break;
        }
        l->commit_errors++;
        l->failing++;
        l->last_err = err;
        say(l, rc, &err, n);
        if (l->closing && ++tries >= CLOSE_TRIES) {
            l->lost += n;
            break;
        }
        pthread_mutex_unlock(&l->mu);
        sleep_ms(backoff);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
        pthread_mutex_lock(&l->mu);
    }
    l->held = 0;
    pthread_cond_broadcast(&l->progress);
}

static void *writer_main(void *arg)
{
    c12_ledger *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        gather(l);
        if (l->count == 0 && l->closing) break;
        commit(l, take(l));
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static c12_rc check_cfg(const c12_ledger_cfg *cfg, c12_err *err)
{
    if (cfg->queue_cap < 1 || cfg->queue_cap > (1u << 20) || cfg->batch_max < 1)
        return c12_fail(err, C12_ERR_INVALID, "ledger: queue_cap 1..1048576, batch_max >= 1");
    if (cfg->flush_ms < 0 || cfg->block_ms < 0)
        return c12_fail(err, C12_ERR_INVALID, "ledger: negative flush_ms or block_ms");
    return C12_OK;
}

static void init_sync(c12_ledger *l)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&l->mu, NULL);
    pthread_mutex_init(&l->rd_mu, NULL);
    pthread_cond_init(&l->not_empty, &ca);
    pthread_cond_init(&l->not_full, &ca);
    pthread_cond_init(&l->progress, &ca);
    pthread_condattr_destroy(&ca);
}

static void destroy(c12_ledger *l)
{
    if (l->store) l->ops->close(l->store);
    if (l->reader) l->ops->close(l->reader);
    pthread_mutex_destroy(&l->mu);
    pthread_mutex_destroy(&l->rd_mu);
    pthread_cond_destroy(&l->not_empty);
    pthread_cond_destroy(&l->not_full);
    pthread_cond_destroy(&l->progress);
    c12_free(l->ring);
    c12_free(l->batch);
    explicit_bzero(l->target, sizeof l->target);
    c12_free(l);
}

c12_rc c12_ledger_open(const c12_ledger_cfg *cfg, c12_ledger **out, c12_err *err)
{
    const c12_store_ops *ops = c12_ledger_store_find(cfg->store);
    if (!ops) return c12_fail(err, C12_ERR_INVALID, "ledger: unknown store '%s'", cfg->store);
    return c12_ledger_open_store(ops, cfg, out, err);
}

/* A random start for this ledger's batch ids. */
static uint64_t batch_nonce(void)
{
    uint64_t v;
    if (getrandom(&v, sizeof v, 0) == (ssize_t)sizeof v) return v;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
}

c12_rc c12_ledger_open_store(const c12_store_ops *ops, const c12_ledger_cfg *cfg, c12_ledger **out,
                             c12_err *err)
{
    c12_rc rc = check_cfg(cfg, err);
    if (rc) return rc;
    c12_ledger *l = c12_calloc(1, sizeof *l);
    if (!l) return c12_fail(err, C12_ERR_NOMEM, "ledger: no memory");
    l->cfg = *cfg;
    if (l->cfg.batch_max > l->cfg.queue_cap) l->cfg.batch_max = l->cfg.queue_cap;
    l->nonce = batch_nonce();
    l->ops = ops;
    init_sync(l);
    l->ring = c12_calloc(l->cfg.queue_cap, sizeof *l->ring);
    l->batch = c12_calloc(l->cfg.batch_max, sizeof *l->batch);
    if (!l->ring || !l->batch) rc = c12_fail(err, C12_ERR_NOMEM, "ledger: no memory");
    if (rc == C12_OK) rc = c12_ledger_store_target(ops, cfg, l->target, sizeof l->target, err);
    if (rc == C12_OK) rc = l->ops->open(l->target, 0, &l->store, err);
    if (rc == C12_OK) rc = l->ops->migrate(l->store, &l->schema_version, err);
    if (rc == C12_OK && pthread_create(&l->th, NULL, writer_main, l) != 0)
        rc = c12_fail(err, C12_ERR_INTERNAL, "ledger: cannot start the writer thread");
    if (rc) {
        destroy(l);
        return rc;
    }
    *out = l;
    return C12_OK;
}

c12_rc c12_ledger_submit(c12_ledger *l, const c12_ledger_row *row, c12_err *err)
{
    pthread_mutex_lock(&l->mu);
    struct timespec dl = c12_clock_deadline(CLOCK_MONOTONIC, l->cfg.block_ms);
    while (l->count == l->cfg.queue_cap && !l->closing)
        if (pthread_cond_timedwait(&l->not_full, &l->mu, &dl) != 0) break;
    c12_rc rc = C12_OK;
    if (l->closing) {
        rc = c12_fail(err, C12_ERR_CANCELLED, "ledger: closing");
    } else if (l->count == l->cfg.queue_cap) {
        l->refused++;
        rc = c12_fail(err, C12_ERR_BUSY, "ledger: queue full (%zu rows) for %d ms; row not recorded",
                      l->cfg.queue_cap, l->cfg.block_ms);
    } else {
        l->ring[(l->head + l->count) % l->cfg.queue_cap] = *row;
        l->count++;
        l->accepted++;
        if (l->count == 1 || l->count >= l->cfg.batch_max) pthread_cond_signal(&l->not_empty);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

c12_rc c12_ledger_flush(c12_ledger *l, int timeout_ms, c12_err *err)
{
    pthread_mutex_lock(&l->mu);
    uint64_t target = l->accepted;
    struct timespec dl = c12_clock_deadline(CLOCK_MONOTONIC, timeout_ms < 0 ? 0 : timeout_ms);
    l->hurry = 1; /* commit now rather than after flush_ms */
    pthread_cond_signal(&l->not_empty);
    int timed_out = 0;
    while (l->committed + l->lost < target && !timed_out) {
        if (timeout_ms < 0)
            pthread_cond_wait(&l->progress, &l->mu);
        else
            timed_out = pthread_cond_timedwait(&l->progress, &l->mu, &dl) != 0;
    }
    uint64_t done = l->committed + l->lost;
    uint64_t pending = done >= target ? 0 : target - done;
    pthread_mutex_unlock(&l->mu);
    if (pending) return c12_fail(err, C12_ERR_TIMEOUT, "ledger: %llu rows not committed yet",
                                 (unsigned long long)pending);
    return C12_OK;
}

void c12_ledger_get_stats(c12_ledger *l, c12_ledger_stats *out)
{
    pthread_mutex_lock(&l->mu);
    *out = (c12_ledger_stats){l->accepted, l->committed, l->refused, l->commit_errors,
                              l->count + l->held, l->schema_version};
    pthread_mutex_unlock(&l->mu);
}

c12_rc c12_ledger_close(c12_ledger *l, c12_err *err)
{
    if (!l) return C12_OK;
    pthread_mutex_lock(&l->mu);
    l->closing = 1;
    pthread_cond_broadcast(&l->not_empty);
    pthread_cond_broadcast(&l->not_full);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->th, NULL);
    uint64_t lost = l->accepted - l->committed;
    c12_err last = l->last_err;
    destroy(l);
    if (lost)
        return c12_fail(err, C12_ERR_IO, "ledger: %llu accepted rows could not be committed: %s",
                        (unsigned long long)lost, last.msg);
    return C12_OK;
}

/* The reader (rd_mu held): opened once, read-only, beside the writer's. */
static c12_rc reader(c12_ledger *l, c12_err *err)
{
    if (l->reader) return C12_OK;
    return l->ops->open(l->target, 1, &l->reader, err);
}

c12_rc c12_ledger_query(c12_ledger *l, const c12_ledger_filter *f, c12_ledger_totals *out, c12_err *err)
{
    if (!l->ops->query) return c12_fail(err, C12_ERR_UNSUPPORTED, "ledger: store %s cannot be read", l->ops->name);
    pthread_mutex_lock(&l->rd_mu);
    c12_rc rc = reader(l, err);
    if (rc == C12_OK) rc = l->ops->query(l->reader, f, out, err);
    pthread_mutex_unlock(&l->rd_mu);
    return rc;
}

c12_rc c12_ledger_recent(c12_ledger *l, int64_t since_ms, size_t limit, c12_ledger_row *rows, size_t *n,
                         c12_err *err)
{
    if (!l->ops->recent) return c12_fail(err, C12_ERR_UNSUPPORTED, "ledger: store %s cannot be read", l->ops->name);
    pthread_mutex_lock(&l->rd_mu);
    c12_rc rc = reader(l, err);
    if (rc == C12_OK) rc = l->ops->recent(l->reader, since_ms, limit, rows, n, err);
    pthread_mutex_unlock(&l->rd_mu);
    return rc;
}
