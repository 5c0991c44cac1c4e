/* carbon_trace.h - replaying a recorded intensity series onto the present.
 *
 * A trace that covers a year or more is aligned by time of year (now's
 * offset from 1 January goes to the same offset in the trace's first year);
 * a shorter one by time of day. Either way the mapping wraps around the
 * trace's whole days, keeping the UTC time of day. With a speed factor s the
 * replay runs s times faster than the clock from `anchor_ms` on, for
 * simulations. Inside a gap the last value before it stands. */
#ifndef C12_CARBON_TRACE_H
#define C12_CARBON_TRACE_H

#include "carbon/carbon.h"

/* Trace time that real time `now_ms` maps to. */
int64_t c12_carbon_trace_map(const c12_carbon_series *trace, int64_t anchor_ms, double speed,
                             int64_t now_ms);
/* Index of the point that holds at trace time t (the last one starting at or before it). */
size_t c12_carbon_trace_at(const c12_carbon_series *trace, int64_t t);

#endif
