/* cmd_carbon.h - what `c12 carbon`'s files share: its options and printers. */
#ifndef C12_CMD_CARBON_H
#define C12_CMD_CARBON_H

#include <stdio.h>

#include "carbon/carbon_cache.h"
#include "carbon/carbon_forecast.h"

typedef struct carbon_opts {
    const char *config;   /* --config FILE */
    const char *provider; /* --provider P */
    const char *region;   /* --region R */
    const char *trace;    /* --trace FILE (backtest) */
    int json;
    int hours;            /* --hours (forecast) */
    double seconds;       /* --seconds (watch) */
    int interval_ms;      /* --interval-ms (watch) */
} carbon_opts;

/* Printers (cmd_carbon_print.c): a table for people, JSON for scripts. */
void carbon_print_now(FILE *out, const c12_carbon_answer *a, int json);
void carbon_print_forecast(FILE *out, const c12_carbon_series *s, const c12_carbon_answer *a, int json);
void carbon_print_backtest(FILE *out, const char *trace, const c12_carbon_backtest_result *r, int json);
/* One `watch` line: the answer (or error) and every provider's state. */
void carbon_print_watch(FILE *out, int64_t now_ms, const c12_carbon_answer *a, const c12_err *err,
                        const c12_carbon_status *st, size_t n, int json);

#endif
