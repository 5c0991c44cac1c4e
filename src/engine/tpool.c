#include "tpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "base/c12_alloc.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* pauses a worker spins for before it sleeps */
#define SPIN_ITERS 30000
/* spinning waits yield now and then, so that a thread sharing its core with
 * the spinner (a busy machine: another process took the other core) runs */
#define YIELD_EVERY 256

typedef struct worker {
    struct c12_tpool *pool;
    int ith;
    pthread_t th;
} worker;

struct c12_tpool {
    int n;
    worker *w;
    atomic_uint gen;     /* bumped for each run */
    atomic_int done;     /* workers finished with the current run */
    atomic_int stop;
    c12_task_fn fn;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n_sleeping;      /* guarded by mu */
};

int c12_ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static unsigned wait_for_work(c12_tpool *p, unsigned seen)
{
    for (int i = 0; i < SPIN_ITERS; i++) {
        unsigned g = atomic_load_explicit(&p->gen, memory_order_acquire);
        if (g != seen || atomic_load(&p->stop)) return g;
        CPU_RELAX();
        if (i % YIELD_EVERY == YIELD_EVERY - 1) sched_yield();
    }
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->gen) == seen && !atomic_load(&p->stop)) {
        p->n_sleeping++;
        pthread_cond_wait(&p->cv, &p->mu);
        p->n_sleeping--;
    }
    pthread_mutex_unlock(&p->mu);
    return atomic_load_explicit(&p->gen, memory_order_acquire);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    c12_tpool *p = w->pool;
    /* runs are numbered from 0 at creation: a worker that starts late must
     * still take the runs that were posted before it got here */
    unsigned seen = 0;
    for (;;) {
        seen = wait_for_work(p, seen);
        if (atomic_load(&p->stop)) break;
        p->fn(p->ctx, w->ith, p->n);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_acq_rel);
    }
    return NULL;
}

c12_rc c12_tpool_new(int n_threads, c12_tpool **out, c12_err *err)
{
    if (n_threads <= 0) n_threads = c12_ncores();
    if (n_threads > 256) return c12_fail(err, C12_ERR_INVALID, "threads: %d is too many", n_threads);
    c12_tpool *p = c12_calloc(1, sizeof *p);
    if (!p) return c12_fail(err, C12_ERR_NOMEM, "threads: no memory");
    p->n = n_threads;
    p->w = c12_calloc((size_t)n_threads, sizeof *p->w);
    if (!p->w) {
        c12_free(p);
        return c12_fail(err, C12_ERR_NOMEM, "threads: no memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int i = 1; i < n_threads; i++) {
        p->w[i].pool = p;
        p->w[i].ith = i;
        if (pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i])) {
            p->n = i; /* only threads 1..i-1 exist */
            c12_tpool_free(p);
            return c12_fail(err, C12_ERR_INTERNAL, "threads: cannot start thread %d", i);
        }
    }
    *out = p;
    return C12_OK;
}

void c12_tpool_free(c12_tpool *p)
{
    if (!p) return;
    atomic_store(&p->stop, 1);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->w[i].th, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    c12_free(p->w);
    c12_free(p);
}

int c12_tpool_size(const c12_tpool *p) { return p->n; }

int64_t c12_tpool_worker_cpu_ns(const c12_tpool *p)
{
    int64_t sum = 0;
    for (int i = 1; i < p->n; i++) {
        clockid_t id;
        struct timespec ts;
        if (pthread_getcpuclockid(p->w[i].th, &id) || clock_gettime(id, &ts)) continue;
        sum += (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    }
    return sum;
}

void c12_tpool_run(c12_tpool *p, c12_task_fn fn, void *ctx)
{
    if (p->n == 1) {
        fn(ctx, 0, 1);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    atomic_store(&p->done, 0);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_mutex_lock(&p->mu);
    if (p->n_sleeping) pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    fn(ctx, 0, p->n);
    for (unsigned i = 1; atomic_load_explicit(&p->done, memory_order_acquire) < p->n - 1; i++) {
        CPU_RELAX();
        if (i % YIELD_EVERY == 0) sched_yield();
    }
}

typedef struct range_run {
    c12_range_fn fn;
    void *ctx;
    int64_t n, chunk;
    atomic_llong next;
} range_run;

static void range_task(void *ctx, int ith, int nth)
{
    range_run *r = ctx;
    for (;;) {
        int64_t i0 = atomic_fetch_add_explicit(&r->next, r->chunk, memory_order_relaxed);
        if (i0 >= r->n) return;
        r->fn(r->ctx, ith, i0, i0 + r->chunk < r->n ? i0 + r->chunk : r->n);
    }
}

void c12_tpool_run_range(c12_tpool *p, c12_range_fn fn, void *ctx, int64_t n, int64_t chunk)
{
    range_run r = {.fn = fn, .ctx = ctx, .n = n, .chunk = chunk > 0 ? chunk : 1};
    atomic_init(&r.next, 0);
    c12_tpool_run(p, range_task, &r);
}
