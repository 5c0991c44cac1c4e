#include "c12_alloc.h"

#include <stdlib.h>
#include <string.h>

#ifdef C12_ALLOC_TESTING
#include <stdatomic.h>
/* Test-only injector state (see c12_alloc.h for why this exists). */
static atomic_ulong alloc_count;
static atomic_ulong alloc_fail_n;
static atomic_int alloc_sticky;
static atomic_int alloc_did_fail;

static int should_fail(void)
{
    unsigned long n = atomic_fetch_add(&alloc_count, 1) + 1;
    unsigned long f = atomic_load(&alloc_fail_n);
    if (f == 0) return 0;
    if (n == f || (atomic_load(&alloc_sticky) && n > f)) {
        atomic_store(&alloc_did_fail, 1);
        return 1;
    }
    return 0;
}

unsigned long c12_alloc_fail_at(unsigned long n, int sticky)
{
    unsigned long made = atomic_exchange(&alloc_count, 0);
    atomic_store(&alloc_fail_n, n);
    atomic_store(&alloc_sticky, sticky);
    atomic_store(&alloc_did_fail, 0);
    return made;
}

int c12_alloc_injected(void) { return atomic_load(&alloc_did_fail); }
#else
static int should_fail(void) { return 0; }
unsigned long c12_alloc_fail_at(unsigned long n, int sticky)
{
    (void)n;
    (void)sticky;
    return 0;
}
int c12_alloc_injected(void) { return 0; }
#endif

void *c12_malloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *c12_calloc(size_t count, size_t size)
{
    if (should_fail()) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *c12_realloc(void *p, size_t n)
{
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void c12_free(void *p) { free(p); }

char *c12_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = c12_malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *c12_strdup(const char *s) { return c12_strndup(s, strlen(s)); }
