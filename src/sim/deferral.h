/* deferral.h - a year of deferrable jobs replayed over a carbon trace
 * (`c12 simulate --deferral`): what running each job at its arrival emits,
 * what C12's scheduler (batch/plan.h, with C12's own forecaster fitted
 * online: no value after a decision's time is ever seen) emits, and what
 * the oracle (perfect foresight, the same window) emits.
 *
 * Jobs arrive on weekdays from first_hour to last_hour UTC, one at the start
 * of every trace step (half-hours for GB), after the forecaster's 7-day
 * warm-up; each runs job_s and must end within window_h of its arrival. At
 * the start of every step each waiting job is planned again over the
 * forecast made from the steps before it (the current step's own value is
 * not known yet): it starts when the plan says now, or when its slack runs
 * out. Each job is 1 kWh of work, so its grams are the mean intensity over
 * its run. */
#ifndef C12_SIM_DEFERRAL_H
#define C12_SIM_DEFERRAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"
#include "carbon/carbon.h"

/* One job's decision, for a caller that wants them (tests: a decision must
 * not change when the trace after it changes). */
typedef struct c12_deferral_job {
    int64_t arrival_ms, start_ms;
} c12_deferral_job;

typedef struct c12_deferral_params {
    const c12_carbon_series *trace;
    double window_h;          /* the job must end within this of its arrival, > job_s */
    double job_s;             /* each job's run time (1800) */
    int first_hour, last_hour; /* arrivals in [first_hour, last_hour) UTC on weekdays (9, 17) */
    c12_deferral_job *log;    /* optional, caller-owned: each counted job's arrival and start, in */
    size_t log_cap;           /* the order they start; at most log_cap kept (result.logged) */
} c12_deferral_params;

typedef struct c12_deferral_result {
    double window_h;
    size_t jobs, deferred;    /* jobs replayed; those C12 did not start at arrival */
    double hours_deferred;    /* their delays, summed */
    double arrival_g, c12_g, oracle_g; /* grams, 1 kWh a job */
    double saving_pct;        /* C12's saving over running at arrival, % */
    double fraction_of_oracle; /* C12's saving / the oracle's (NAN: the oracle saves nothing) */
    size_t logged;            /* entries written to params.log */
} c12_deferral_result;

c12_rc c12_sim_deferral(const c12_deferral_params *p, c12_deferral_result *out, c12_err *err);

#endif
