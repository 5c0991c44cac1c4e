/* plan.h - when deferrable work should start: the cleanest window of its
 * length in the forecast that still ends before its deadline (issue 14's
 * batches and flex requests; `c12 simulate --deferral` replays it over a
 * year).
 *
 * The score of a start s is the time-weighted mean of the forecast over
 * [s, s + duration), as the Green Software Foundation's Carbon Aware SDK
 * rates its windows; the starts tried are now and the start of every
 * forecast interval up to the latest start that still ends margin_ms before
 * the deadline. Before the forecast's first interval the intensity now
 * stands. When slack has run out (the latest start is now or past) the work
 * starts now, whatever the forecast: a forecast never makes a deadline
 * missed. A plan is re-made whenever the forecast changes; "start now" is
 * the only answer that commits. */
#ifndef C12_BATCH_PLAN_H
#define C12_BATCH_PLAN_H

#include <stdint.h>

#include "base/c12_rc.h"
#include "carbon/carbon.h"

typedef struct c12_plan_req {
    int64_t now_ms;
    int64_t deadline_ms;   /* the work must end by then */
    int64_t duration_ms;   /* its estimated run time, > 0 */
    int64_t margin_ms;     /* kept free before the deadline (estimates err) */
    double intensity_now;  /* gCO2/kWh now; NAN: unknown (the forecast alone) */
} c12_plan_req;

typedef struct c12_plan {
    int64_t start_ms;      /* when to start; == now_ms: start now */
    double mean;           /* forecast mean over the chosen run, gCO2/kWh (NAN: no forecast) */
    double now_mean;       /* forecast mean had it started now (NAN: unknown) */
    int forced;            /* no slack left: it starts now */
} c12_plan;

/* The plan for r over `forecast` (intervals in time order; may be empty:
 * then the work starts now). Allocates a little (the window's copy of the
 * forecast); NOMEM on failure. */
c12_rc c12_plan_start(const c12_carbon_series *forecast, const c12_plan_req *r, c12_plan *out, c12_err *err);

#endif
