/* c12_alloc.h - the allocation wrapper every module uses.
 *
 * All heap memory goes through these functions so that tests can make the Nth
 * allocation fail (as curl's torture tests and SQLite's OOM loop do) and check
 * that each caller returns C12_ERR_NOMEM cleanly, without leaks.
 *
 * The failure injector is the one piece of process-wide mutable state in C12,
 * and it exists only in test builds (-DC12_ALLOC_TESTING); in release builds
 * the wrappers are thin calls to the C library. */
#ifndef C12_ALLOC_H
#define C12_ALLOC_H

#include <stddef.h>

void *c12_malloc(size_t n);
void *c12_calloc(size_t count, size_t size);
void *c12_realloc(void *p, size_t n);
void c12_free(void *p);
char *c12_strdup(const char *s);
char *c12_strndup(const char *s, size_t n);

/* Test hooks (no-ops unless built with C12_ALLOC_TESTING):
 * fail the allocation numbered n (1-based) from now on, and every later one if
 * `sticky`; n = 0 disables injection. Returns the count of allocations made
 * since the last call, so a test can loop n = 1..count. */
unsigned long c12_alloc_fail_at(unsigned long n, int sticky);
/* Whether the injector made any allocation fail since the last arming. */
int c12_alloc_injected(void);

#endif
