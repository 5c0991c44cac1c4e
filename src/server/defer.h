/* defer.h - planning deferrable work on a running server (defer.c). */
#ifndef C12_SERVER_DEFER_H
#define C12_SERVER_DEFER_H

#include <stdint.h>

#include "batch/plan.h"
#include "server/server.h"

struct MHD_Connection;

/* The plan for work of duration_s that must end by deadline_ms, margin_s
 * kept free, over the carbon chain's forecast (none: start now). */
void c12_defer_plan(c12_server *s, int64_t now_ms, int64_t deadline_ms, double duration_s, double margin_s,
                    c12_plan *out);
/* Whether the carbon reading now covers the present (not an interval that
 * has ended and is about to be fetched again): deferred work starts in the
 * interval it waited for only once that interval's reading is in. */
int c12_defer_reading_current(c12_server *s);
/* service_tier "flex": wait (sleeping, planned again every 2 s) until the
 * plan for one request due within server.flex_max_wait_s says now, a
 * shutdown begins or the client on c goes away (its generation then stops
 * at once). Returns the seconds waited. */
double c12_defer_flex_wait(c12_server *s, struct MHD_Connection *c);
/* Seconds a request of prompt_tokens (c12_choose_prompt_tokens' guess) and
 * max_tokens (0: not given) is expected to take: the strongest policy
 * model's calibrated (or reference, or estimated) rates for its prompt and
 * for its output, the policy's default length or max_tokens when that is
 * less. "auto" may choose a smaller model: the estimate errs long, as a
 * deadline wants. */
double c12_defer_estimate_s(c12_server *s, double prompt_tokens, int max_tokens);
/* The same for a short request of unknown size (a flex request's wait). */
double c12_defer_request_s(c12_server *s);

#endif
