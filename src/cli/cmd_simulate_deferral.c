/* cmd_simulate_deferral.c - `c12 simulate --deferral`: a year of deferrable
 * jobs run at arrival, by C12's scheduler with its own forecaster, and by
 * the oracle, for each window (src/sim/deferral.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ledger/report.h"
#include "sim/deferral.h"

#define MAX_WINDOWS 8

typedef struct def_opts {
    const char *trace;
    double window_h[MAX_WINDOWS];
    size_t n_windows;
    double job_s;
    int json;
} def_opts;

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: c12 simulate --deferral [--trace FILE.csv] [--window 4h,8h,24h] [--job 30m] [--json]\n"
               "  jobs of --job (30 min) arrive on weekdays 09:00-17:00 UTC, one each trace step, after a 7-day\n"
               "  warm-up; each must end within its window. For each window: the CO2 of running at arrival, of\n"
               "  C12's schedule (its own forecaster, fitted as the trace is replayed: nothing after a decision\n"
               "  is seen) and of the oracle (perfect foresight, same window), 1 kWh a job. --json: one object\n"
               "  per window and line: window_h, arrival_g, c12_g, oracle_g, saving_pct, fraction_of_oracle.\n");
    return rc;
}

/* "4h,8h,24h" into o->window_h. */
static int parse_windows(const char *v, def_opts *o)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    o->n_windows = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int64_t ms;
        c12_err err;
        if (o->n_windows == MAX_WINDOWS || c12_report_parse_span(t, &ms, &err) || ms <= 0) return 0;
        o->window_h[o->n_windows++] = (double)ms / 3600000.0;
    }
    return o->n_windows > 0;
}

static int parse(int argc, char **argv, def_opts *o)
{
    *o = (def_opts){.window_h = {4, 8, 24}, .n_windows = 3, .job_s = 1800};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t ms;
        c12_err err;
        if (!strcmp(a, "--deferral")) continue;
        if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout, 0);
        else if (!v) return usage(stderr, 2);
        else if (!strcmp(a, "--trace")) o->trace = v, i++;
        else if (!strcmp(a, "--window") && parse_windows(v, o)) i++;
        else if (!strcmp(a, "--job") && !c12_report_parse_span(v, &ms, &err) && ms > 0) o->job_s = (double)ms / 1000, i++;
        else return usage(stderr, 2);
    }
    return -1;
}

static void print(const c12_deferral_result *r, int json)
{
    if (json) {
        printf("{\"window_h\":%g,\"arrival_g\":%.1f,\"c12_g\":%.1f,\"oracle_g\":%.1f,\"saving_pct\":%.2f,"
               "\"fraction_of_oracle\":%.4f,\"jobs\":%zu,\"deferred\":%zu,\"hours_deferred\":%.1f}\n",
               r->window_h, r->arrival_g, r->c12_g, r->oracle_g, r->saving_pct,
               isnan(r->fraction_of_oracle) ? 0 : r->fraction_of_oracle, r->jobs, r->deferred, r->hours_deferred);
        return;
    }
    double oracle_pct = r->arrival_g > 0 ? 100 * (r->arrival_g - r->oracle_g) / r->arrival_g : 0;
    printf("%6gh %6zu %11.0f %11.0f %11.0f %8.1f%% %8.1f%% %9.0f%% %8.1f %9.1f\n", r->window_h, r->jobs, r->arrival_g,
           r->c12_g, r->oracle_g, r->saving_pct, oracle_pct, 100 * r->fraction_of_oracle, 100.0 * r->deferred / r->jobs,
           r->deferred ? r->hours_deferred / r->deferred : 0);
}

int cmd_simulate_deferral(int argc, char **argv)
{
    def_opts o;
    int prc = parse(argc, argv, &o);
    if (prc >= 0) return prc;
    c12_err err;
    char path[1024];
    c12_carbon_series trace;
    c12_carbon_series_init(&trace);
    c12_rc rc = c12_carbon_trace_load(o.trace, path, sizeof path, &trace, &err);
    if (!rc && !o.json) {
        printf("trace %s: jobs of %g min on weekdays 09:00-17:00 UTC, 1 kWh each, after a 7-day warm-up\n", path,
               o.job_s / 60);
        printf("%7s %6s %11s %11s %11s %9s %9s %10s %8s %9s\n", "window", "jobs", "arrival g", "c12 g", "oracle g",
               "c12 save", "oracle", "of oracle", "moved%", "avg wait");
    }
    for (size_t i = 0; !rc && i < o.n_windows; i++) {
        c12_deferral_params p = {.trace = &trace, .window_h = o.window_h[i], .job_s = o.job_s, .first_hour = 9,
                                 .last_hour = 17};
        c12_deferral_result r;
        if (!(rc = c12_sim_deferral(&p, &r, &err))) print(&r, o.json);
    }
    c12_carbon_series_free(&trace);
    if (rc) fprintf(stderr, "c12 simulate: %s\n", err.msg);
    return rc ? 1 : 0;
}
