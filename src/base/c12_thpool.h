/* c12_thpool.h - threads kept for one-off tasks. A streamed response from
 * the engine runs its generation on a thread of its own (server/stream.c;
 * a site's runs on its connection's thread, c12_fiber.h); starting and
 * ending a thread per request (clone, a stack's mmap and madvise, its TLS)
 * was a sixth of a proxied stream's CPU. A finished task's thread waits
 * up to idle_s for the next one, and at most max_idle wait at once.
 *
 * Tasks are not counted or cancelled here: their owner tracks them (the
 * server's `generators`). c12_thpool_free wakes the idle threads and
 * returns when every thread has left, so it is called once no task is
 * running or about to be run. */
#ifndef C12_THPOOL_H
#define C12_THPOOL_H

#include "base/c12_rc.h"

typedef struct c12_thpool c12_thpool;

c12_rc c12_thpool_new(int max_idle, double idle_s, c12_thpool **out, c12_err *err);
/* Run fn(arg) on an idle thread, or on a new one. C12_ERR_NOMEM or
 * C12_ERR_IO (no thread could start): fn was not and will not be called. */
c12_rc c12_thpool_run(c12_thpool *p, void (*fn)(void *arg), void *arg, c12_err *err);
/* Threads alive now (tests). */
int c12_thpool_threads(c12_thpool *p);
void c12_thpool_free(c12_thpool *p);

#endif
