/* tpool.h - a fork-join thread pool for the forward pass (engine-internal).
 *
 * c12_tpool_run() runs fn(ctx, ith, nth) on every thread (the caller is
 * thread 0) and returns when all are done. Between runs the workers spin for
 * a short while before sleeping: a forward pass calls run() a few hundred
 * times per token, and waking a sleeping thread costs more than the work. */
#ifndef C12_TPOOL_H
#define C12_TPOOL_H

#include <stdint.h>

#include "base/c12_rc.h"

typedef struct c12_tpool c12_tpool;
typedef void (*c12_task_fn)(void *ctx, int ith, int nth);
/* Items [i0, i1) of a range run, on thread ith (for per-thread scratch). */
typedef void (*c12_range_fn)(void *ctx, int ith, int64_t i0, int64_t i1);

c12_rc c12_tpool_new(int n_threads, c12_tpool **out, c12_err *err);
void c12_tpool_free(c12_tpool *p);
int c12_tpool_size(const c12_tpool *p);
/* CPU nanoseconds the workers (threads 1..n-1, not the caller) have used
 * since they started, for per-request energy metering. */
int64_t c12_tpool_worker_cpu_ns(const c12_tpool *p);
void c12_tpool_run(c12_tpool *p, c12_task_fn fn, void *ctx);
/* Items 0..n-1 in chunks of `chunk`, each chunk taken by whichever thread is
 * free (an atomic counter), so that the threads finish together even when
 * one of them is slowed or descheduled by another process; a fixed split
 * would leave the others waiting for it. Each item runs on one thread, so
 * results do not depend on the split. */
void c12_tpool_run_range(c12_tpool *p, c12_range_fn fn, void *ctx, int64_t n, int64_t chunk);
/* Number of online cores (at least 1). */
int c12_ncores(void);

#endif
