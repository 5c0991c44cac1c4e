/* c12_fiber.h - a function run on a stack of its own, on the thread that
 * resumes it, until it yields back or returns (a coroutine). A streamed
 * reply from a remote site runs its generation as one on the connection's
 * own thread (server/stream.c): each read of the site's reply yields, the
 * connection sends what it told, and resumes it for more. No other thread
 * wakes, where a kept thread (c12_thpool.h) costs two hand-offs a request.
 *
 * Rules: a fiber is resumed by one thread at a time, and never yields
 * while it holds a lock its resumer may take (the resumer runs on the
 * same thread: it would deadlock on itself). A fiber is freed only once
 * it has returned, or before it first ran. The sanitizers are told of
 * every switch (AddressSanitizer's and ThreadSanitizer's fiber
 * interfaces), so both follow the stacks.
 *
 * Stacks are mapped with a guard page below them (an overflow faults; it
 * does not corrupt a neighbour) and kept by the pool for the next fiber,
 * so a request pays no mapping and its stack's pages are already there. */
#ifndef C12_FIBER_H
#define C12_FIBER_H

#include <stddef.h>

#include "base/c12_rc.h"

typedef struct c12_fiber c12_fiber;
typedef struct c12_fiber_pool c12_fiber_pool;

/* A pool of stacks of stack_bytes (rounded up to pages), at most max_idle
 * of them kept between fibers. */
c12_rc c12_fiber_pool_new(size_t stack_bytes, int max_idle, c12_fiber_pool **out, c12_err *err);
/* Every fiber taken from it is freed first. */
void c12_fiber_pool_free(c12_fiber_pool *p);
/* Stacks kept now (tests). */
int c12_fiber_pool_idle(c12_fiber_pool *p);

/* A fiber that will run fn(f, ud) when first resumed. */
c12_rc c12_fiber_new(c12_fiber_pool *p, void (*fn)(c12_fiber *f, void *ud), void *ud, c12_fiber **out,
                     c12_err *err);
/* Run the fiber until it yields or returns: 1 when it has returned. */
int c12_fiber_resume(c12_fiber *f);
/* Inside the fiber: back to whoever resumed it; returns when resumed again. */
void c12_fiber_yield(c12_fiber *f);
/* A fiber that has returned, or never ran; its stack goes back to the pool. */
void c12_fiber_free(c12_fiber *f);

#endif
