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

c12_rc c12_tpool_new(int n_threads, c12_tpool **out, c12_err *err);
void c12_tpool_free(c12_tpool *p);
int c12_tpool_size(const c12_tpool *p);
/* CPU nanoseconds the workers (threads 1..n-1, not the caller) have used
 * since they started, for per-request energy metering. */
int64_t c12_tpool_worker_cpu_ns(const c12_tpool *p);
void c12_tpool_run(c12_tpool *p, c12_task_fn fn, void *ctx);
/* Number of online cores (at least 1). */
int c12_ncores(void);

#endif
