/* defer.h - planning deferrable work on a running server (defer.c). */
#ifndef C12_SERVER_DEFER_H
#define C12_SERVER_DEFER_H

#include <stdint.h>

#include "batch/plan.h"
#include "server/server.h"

/* The plan for work of duration_s that must end by deadline_ms, margin_s
 * kept free, over the carbon chain's forecast (none: start now). */
void c12_defer_plan(c12_server *s, int64_t now_ms, int64_t deadline_ms, double duration_s, double margin_s,
                    c12_plan *out);
/* Seconds one request is expected to take: the strongest policy model's
 * calibrated (or reference, or estimated) rates for a short prompt and the
 * policy's default output length. */
double c12_defer_request_s(c12_server *s);

#endif
