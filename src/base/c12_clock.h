/* c12_clock.h - the clocks C12 reads: monotonic time for durations and
 * deadlines, the wall clock for timestamps, and absolute deadlines for
 * pthread_cond_timedwait. */
#ifndef C12_CLOCK_H
#define C12_CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t c12_clock_ns(void);      /* monotonic nanoseconds */
int64_t c12_clock_ms(void);      /* monotonic milliseconds */
double c12_clock_s(void);        /* monotonic seconds */
int64_t c12_clock_real_ms(void); /* wall clock: milliseconds since 1970 */
/* The moment `ms` from now on clock `id` (CLOCK_REALTIME for a default
 * condition variable, CLOCK_MONOTONIC for one set to it). */
struct timespec c12_clock_deadline(clockid_t id, int64_t ms);
struct timespec c12_clock_deadline_ns(clockid_t id, int64_t ns); /* the same, `ns` from now */

#endif
