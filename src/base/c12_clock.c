/* c12_clock.c - clock_gettime in the units C12 uses. */
#include "base/c12_clock.h"

static int64_t ns_of(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t c12_clock_ns(void) { return ns_of(CLOCK_MONOTONIC); }
int64_t c12_clock_ms(void) { return ns_of(CLOCK_MONOTONIC) / 1000000; }
double c12_clock_s(void) { return (double)ns_of(CLOCK_MONOTONIC) * 1e-9; }
int64_t c12_clock_real_ms(void) { return ns_of(CLOCK_REALTIME) / 1000000; }

struct timespec c12_clock_deadline(clockid_t id, int64_t ms)
{
    return c12_clock_deadline_ns(id, (ms > 0 ? ms : 0) * 1000000);
}

struct timespec c12_clock_deadline_ns(clockid_t id, int64_t ns)
{
    int64_t at = ns_of(id) + (ns > 0 ? ns : 0);
    return (struct timespec){.tv_sec = (time_t)(at / 1000000000), .tv_nsec = (long)(at % 1000000000)};
}
