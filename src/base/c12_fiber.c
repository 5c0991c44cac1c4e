/* c12_fiber.c - coroutines on ucontext (c12_fiber.h). A resume saves the
 * resumer's context in the fiber and switches to the fiber's; a yield
 * switches back, and so does the fiber's end (to its last resumer).
 * Around each switch the sanitizers are told which stack comes next: AddressSanitizer would otherwise take the fiber's frames for
 * stray writes far below the thread's stack, and ThreadSanitizer would mix
 * the two call stacks' histories. */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "base/c12_fiber.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define C12_FIBER_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define C12_FIBER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(C12_FIBER_ASAN)
#define C12_FIBER_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(C12_FIBER_TSAN)
#define C12_FIBER_TSAN 1
#endif
#ifdef C12_FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef C12_FIBER_TSAN
#include <sanitizer/tsan_interface.h>
#endif

struct c12_fiber_pool {
    pthread_mutex_t mu;
    size_t stack_bytes, page;
    int max_idle, n_idle;
    void **idle;               /* kept mappings (guard page first) */
};

struct c12_fiber {
    c12_fiber_pool *pool;
    void *map;                 /* the guard page, then the stack */
    ucontext_t self, back;     /* the fiber's context, and its resumer's */
    void (*fn)(c12_fiber *f, void *ud);
    void *ud;
    int done;
    /* the sanitizers' (unused without them) */
    void *fake;                /* ASan: the fiber's fake stack while it is switched out (NULL before it runs) */
    const void *back_bottom;   /* ASan: the resumer's stack */
    size_t back_size;
    void *tsan_self, *tsan_back;
};

/* ---- the sanitizers' view of a switch ----
 * Inlined always: ThreadSanitizer keeps a call stack per fiber, and a
 * helper's own return, after the switch was told, would pop the other's. */
#define SWITCH_HELPER static inline __attribute__((always_inline))

static void *stack_base(const c12_fiber *f) { return (char *)f->map + f->pool->page; }

SWITCH_HELPER void enter_begin(c12_fiber *f, void **fake)
{
#ifdef C12_FIBER_ASAN
    __sanitizer_start_switch_fiber(fake, stack_base(f), f->pool->stack_bytes);
#else
    (void)fake;
#endif
#ifdef C12_FIBER_TSAN
    f->tsan_back = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(f->tsan_self, 0);
#else
    (void)f;
#endif
}

SWITCH_HELPER void enter_end(void *fake)
{
#ifdef C12_FIBER_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
    (void)fake;
#endif
}

/* Leaving the fiber; `ending`: for good (its fake stack goes). */
SWITCH_HELPER void leave_begin(c12_fiber *f, int ending)
{
#ifdef C12_FIBER_ASAN
    __sanitizer_start_switch_fiber(ending ? NULL : &f->fake, f->back_bottom, f->back_size);
#endif
#ifdef C12_FIBER_TSAN
    __tsan_switch_to_fiber(f->tsan_back, 0);
#endif
    (void)f, (void)ending;
}

/* Back in the fiber, or in it for the first time. */
SWITCH_HELPER void back_in(c12_fiber *f)
{
#ifdef C12_FIBER_ASAN
    __sanitizer_finish_switch_fiber(f->fake, &f->back_bottom, &f->back_size);
#endif
    (void)f;
}

/* ---- the pool of stacks ---- */

c12_rc c12_fiber_pool_new(size_t stack_bytes, int max_idle, c12_fiber_pool **out, c12_err *err)
{
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) page = 4096;
    if (stack_bytes < 16384 || max_idle < 0) return c12_fail(err, C12_ERR_INVALID, "fiber pool: bad limits");
    c12_fiber_pool *p = c12_calloc(1, sizeof *p);
    if (!p || (max_idle && !(p->idle = c12_calloc((size_t)max_idle, sizeof *p->idle)))) {
        c12_free(p);
        return c12_fail(err, C12_ERR_NOMEM, "fiber pool: out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    p->page = (size_t)page;
    p->stack_bytes = (stack_bytes + p->page - 1) / p->page * p->page;
    p->max_idle = max_idle;
    *out = p;
    return C12_OK;
}

void c12_fiber_pool_free(c12_fiber_pool *p)
{
    if (!p) return;
    for (int i = 0; i < p->n_idle; i++) munmap(p->idle[i], p->page + p->stack_bytes);
    pthread_mutex_destroy(&p->mu);
    c12_free(p->idle);
    c12_free(p);
}

int c12_fiber_pool_idle(c12_fiber_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->n_idle;
    pthread_mutex_unlock(&p->mu);
    return n;
}

static void *take_stack(c12_fiber_pool *p)
{
    pthread_mutex_lock(&p->mu);
    void *m = p->n_idle ? p->idle[--p->n_idle] : NULL;
    pthread_mutex_unlock(&p->mu);
    if (m) return m;
    m = mmap(NULL, p->page + p->stack_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (m == MAP_FAILED) return NULL;
    if (mprotect(m, p->page, PROT_NONE)) { /* the guard page */
        munmap(m, p->page + p->stack_bytes);
        return NULL;
    }
    return m;
}

static void give_stack(c12_fiber_pool *p, void *m)
{
    pthread_mutex_lock(&p->mu);
    int kept = p->n_idle < p->max_idle;
    if (kept) p->idle[p->n_idle++] = m;
    pthread_mutex_unlock(&p->mu);
    if (!kept) munmap(m, p->page + p->stack_bytes);
}

/* ---- fibers ---- */

/* makecontext passes ints: the fiber's address comes in two halves. */
static void entry(unsigned lo, unsigned hi)
{
    c12_fiber *f = (c12_fiber *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
    back_in(f);
    f->fn(f, f->ud);
    f->done = 1;
    leave_begin(f, 1);
    setcontext(&f->back); /* not a return: nothing may run between the switch told and made */
}

/* The fiber's first context: entry(f) on its stack (getcontext returns
 * once here: this context is only ever entered through makecontext's). */
static int prepare(c12_fiber *f)
{
    if (getcontext(&f->self)) return -1;
    f->self.uc_stack.ss_sp = stack_base(f);
    f->self.uc_stack.ss_size = f->pool->stack_bytes;
    f->self.uc_link = NULL; /* entry never returns */
    uintptr_t a = (uintptr_t)f;
    makecontext(&f->self, (void (*)(void))entry, 2, (unsigned)(a & 0xffffffffu), (unsigned)(a >> 32));
    return 0;
}

c12_rc c12_fiber_new(c12_fiber_pool *p, void (*fn)(c12_fiber *f, void *ud), void *ud, c12_fiber **out,
                     c12_err *err)
{
    c12_fiber *f = c12_calloc(1, sizeof *f);
    void *m = f ? take_stack(p) : NULL;
    if (m) *f = (c12_fiber){.pool = p, .map = m, .fn = fn, .ud = ud};
    if (!m || prepare(f)) {
        if (m) give_stack(p, m);
        c12_free(f);
        return c12_fail(err, C12_ERR_NOMEM, "fiber: out of memory for a stack");
    }
#ifdef C12_FIBER_TSAN
    f->tsan_self = __tsan_create_fiber(0);
#endif
    *out = f;
    return C12_OK;
}

int c12_fiber_resume(c12_fiber *f)
{
    if (f->done) return 1;
    void *fake = NULL;
    enter_begin(f, &fake);
    swapcontext(&f->back, &f->self);
    enter_end(fake);
    return f->done;
}

void c12_fiber_yield(c12_fiber *f)
{
    leave_begin(f, 0);
    swapcontext(&f->self, &f->back);
    back_in(f);
}

void c12_fiber_free(c12_fiber *f)
{
    if (!f) return;
#ifdef C12_FIBER_TSAN
    __tsan_destroy_fiber(f->tsan_self);
#endif
    give_stack(f->pool, f->map);
    c12_free(f);
}
