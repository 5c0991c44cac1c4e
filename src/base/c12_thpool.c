/* c12_thpool.c - threads kept for one-off tasks (c12_thpool.h). A task is
 * handed to an idle thread through a short list under the pool's mutex;
 * each thread, after its task, waits on the condition variable for the
 * next until idle_s pass or the pool closes. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "base/c12_thpool.h"

typedef struct task {
    void (*fn)(void *arg);
    void *arg;
    struct task *next;
} task;

struct c12_thpool {
    pthread_mutex_t mu;
    pthread_cond_t work;  /* a task was queued, or the pool closes */
    pthread_cond_t gone;  /* a thread left */
    task *head, *tail;    /* handed out, not yet taken */
    int n_queued;
    int n_threads;        /* alive */
    int n_idle;           /* waiting for a task, not yet promised one */
    int max_idle;
    double idle_s;
    int closing;
};

c12_rc c12_thpool_new(int max_idle, double idle_s, c12_thpool **out, c12_err *err)
{
    if (max_idle < 0 || !(idle_s >= 0)) return c12_fail(err, C12_ERR_INVALID, "thread pool: bad limits");
    c12_thpool *p = c12_calloc(1, sizeof *p);
    if (!p) return c12_fail(err, C12_ERR_NOMEM, "thread pool: out of memory");
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->work, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&p->gone, NULL);
    p->max_idle = max_idle;
    p->idle_s = idle_s;
    *out = p;
    return C12_OK;
}

/* The next task (mutex held), waiting up to idle_s for one; NULL: leave
 * (idle too long, max_idle already waiting, or closing with none left). */
static task *next_task(c12_thpool *p)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    long long ns = until.tv_nsec + (long long)(p->idle_s * 1e9);
    until.tv_sec += (time_t)(ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    int timed_out = 0;
    while (!p->head && !p->closing && !timed_out && p->n_idle < p->max_idle) {
        p->n_idle++;
        timed_out = pthread_cond_timedwait(&p->work, &p->mu, &until) == ETIMEDOUT;
        p->n_idle--;
    }
    task *t = p->head; /* looked at even after a timeout: a task may have come with it */
    if (!t) return NULL;
    p->head = t->next;
    if (!p->head) p->tail = NULL;
    p->n_queued--;
    return t;
}

static void *thread_main(void *ud)
{
    c12_thpool *p = ud;
    pthread_mutex_lock(&p->mu);
    task *t;
    while ((t = next_task(p))) {
        pthread_mutex_unlock(&p->mu);
        t->fn(t->arg);
        c12_free(t);
        pthread_mutex_lock(&p->mu);
    }
    p->n_threads--;
    pthread_cond_broadcast(&p->gone);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

c12_rc c12_thpool_run(c12_thpool *p, void (*fn)(void *arg), void *arg, c12_err *err)
{
    task *t = c12_malloc(sizeof *t);
    if (!t) return c12_fail(err, C12_ERR_NOMEM, "thread pool: out of memory");
    *t = (task){.fn = fn, .arg = arg};
    pthread_mutex_lock(&p->mu);
    int have_idle = p->n_idle > p->n_queued; /* one waiting for each task queued, and one more */
    if (p->tail) p->tail->next = t;
    else p->head = t;
    p->tail = t;
    p->n_queued++;
    int rc = 0;
    if (!have_idle) {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&th, &attr, thread_main, p);
        pthread_attr_destroy(&attr);
        if (!rc) p->n_threads++;
        else { /* take it back: nobody will run it */
            task **q = &p->head, *prev = NULL;
            while (*q != t) prev = *q, q = &(*q)->next;
            *q = NULL;
            p->tail = prev;
            p->n_queued--;
        }
    }
    pthread_mutex_unlock(&p->mu);
    /* signalled after the unlock: a thread woken under the lock would find
     * it held and sleep again on it (the pool outlives every caller) */
    if (have_idle) pthread_cond_signal(&p->work);
    if (!rc) return C12_OK;
    c12_free(t);
    return c12_fail(err, C12_ERR_IO, "thread pool: no thread could start: %s", strerror(rc));
}

int c12_thpool_threads(c12_thpool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->n_threads;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void c12_thpool_free(c12_thpool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->closing = 1;
    pthread_cond_broadcast(&p->work);
    while (p->n_threads > 0) pthread_cond_wait(&p->gone, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->gone);
    pthread_mutex_destroy(&p->mu);
    c12_free(p);
}
