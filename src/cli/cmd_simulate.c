/* cmd_simulate.c - `c12 simulate`: a workload replayed through the real
 * router and the calibrated energy model over a carbon trace, for four
 * strategies (no generation). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_file.h"
#include "base/c12_alloc.h"
#include "cli.h"
#include "config/config.h"
#include "carbon/carbon_parse.h"
#include "energy/calib.h"
#include "sim/sim.h"

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: c12 simulate [--trace FILE.csv] --workload FILE.jsonl [--rate R] [--days D] [--start TIME]\n"
               "                    [--seed N] [--keep-alive S] [--config FILE.yaml] [--calibration FILE] [--json]\n"
               "                    [--cacheable F]\n"
               "  arrivals at R per hour (default 60) over D days (default 7) of the trace (default: the bundled\n"
               "  GB 2023 trace, from its start); rows {\"text\": ...}; the policy from --config's policy: section\n"
               "  (default: built in); energy from $C12_HOME/calibration.json (estimates for uncalibrated models).\n"
               "  The carbon-aware policy runs again with its levers: the response cache (the config's cache:\n"
               "  section; a share F of requests deterministic, default 1) and the answer-length directives\n"
               "  (policy.directives, on for those rows whatever the config says).\n");
    return rc;
}

/* Workload files are a few thousand rows; this is far above any. */
#define WORKLOAD_MAX (64u << 20)

static c12_rc load_workload(const char *path, c12_sim_item **out, size_t *n_out, c12_err *err)
{
    char *body = NULL;
    size_t body_len = 0;
    c12_rc rc = c12_read_file(path, WORKLOAD_MAX, &body, &body_len, err);
    if (rc) return rc;
    c12_sim_item *items = NULL;
    size_t n = 0, cap = 0, line = 0, at = 0;
    for (;;) {
        /* one JSON value after another (rows need not be one per line) */
        json_error_t je;
        json_t *o = json_loadb(body + at, body_len - at, JSON_DISABLE_EOF_CHECK, &je);
        if (!o) {
            /* as the stream reader did: a failure with only white space after
             * where the parser stopped is the end (a cut last row is dropped) */
            size_t stop = at + (size_t)je.position;
            if (stop > body_len) stop = body_len;
            if (strspn(body + stop, " \n\r\t") < body_len - stop)
                rc = c12_fail(err, C12_ERR_FORMAT, "%s: row %zu: %s", path, line + 1, je.text);
            break;
        }
        at += (size_t)je.position;
        line++;
        const char *text = json_string_value(json_object_get(o, "text"));
        if (!text) {
            json_decref(o);
            rc = c12_fail(err, C12_ERR_FORMAT, "%s: row %zu: no \"text\"", path, line);
            break;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            c12_sim_item *ni = c12_realloc(items, nc * sizeof *ni);
            if (!ni) {
                json_decref(o);
                rc = c12_fail(err, C12_ERR_NOMEM, "simulate: out of memory");
                break;
            }
            items = ni;
            cap = nc;
        }
        size_t len = strlen(text);
        if (!len) { /* an empty text asks nothing: skip it */
            json_decref(o);
            continue;
        }
        rc = c12_route_analyse_text(text, len, &items[n].a, err);
        items[n].prompt_tokens = c12_policy_prompt_tokens(len);
        json_decref(o);
        if (rc) break;
        n++;
    }
    c12_free(body);
    if (!rc && n == 0) rc = c12_fail(err, C12_ERR_FORMAT, "%s: no rows", path);
    if (rc) {
        c12_free(items);
        return rc;
    }
    *out = items;
    *n_out = n;
    return C12_OK;
}

typedef struct sim_opts {
    const char *trace, *workload, *config, *calib, *start;
    double rate, days, keep_alive, cacheable;
    unsigned long long seed;
    int json;
} sim_opts;

static void print_table(const c12_policy *pol, const c12_sim_result *r, const sim_opts *o, int json)
{
    const c12_policy_params *pp = c12_policy_get_params(pol);
    if (json)
        printf("{\"rate_per_h\":%g,\"days\":%g,\"seed\":%llu,\"cacheable\":%g,\"policies\":[", o->rate, o->days,
               o->seed, o->cacheable);
    else printf("%-20s %9s %10s %10s %9s %7s %6s %6s %8s  %s\n", "policy", "requests", "gCO2/1000", "J/request",
                "adequate", "loads", "cached", "direct", "out tok", "share by model");
    for (int k = 0; k < C12_SIM_STRATEGIES; k++) {
        const c12_sim_result *x = &r[k];
        double g1000 = x->requests ? x->co2_g / x->requests * 1000 : 0;
        double jreq = x->requests ? x->energy_j / x->requests : 0;
        double ad = x->requests ? (double)x->adequate / x->requests : 0;
        double hits = x->requests ? (double)x->cache_hits / x->requests : 0;
        double dir = x->requests ? (double)x->directed / x->requests : 0;
        double outr = x->requests ? x->out_tokens / x->requests : 0; /* generated, cached answers as 0 */
        if (json) {
            printf("%s{\"name\":\"%s\",\"requests\":%zu,\"gco2_per_1000\":%.4f,\"j_per_request\":%.3f,"
                   "\"adequate\":%.4f,",
                   k ? "," : "", x->name, x->requests, g1000, jreq, ad);
            for (int c = 0; c < C12_ROUTE_NCAT; c++)
                printf("\"adequate_%s\":%.4f,", c12_route_category_name((c12_route_category)c),
                       x->by_cat[c] ? (double)x->adequate_by_cat[c] / x->by_cat[c] : 0);
            printf("\"loads\":%zu,\"cache_hits\":%zu,\"directed\":%zu,\"out_tokens_per_request\":%.3f,\"by_model\":{",
                   x->loads, x->cache_hits, x->directed, outr);
            for (size_t i = 0; i < pp->n_models; i++)
                printf("%s\"%s\":%zu", i ? "," : "", pp->models[i].name, x->by_model[i]);
            printf("}}");
        } else {
            printf("%-20s %9zu %10.3f %10.1f %8.1f%% %7zu %5.1f%% %5.1f%% %8.1f ", x->name, x->requests, g1000, jreq,
                   100 * ad, x->loads, 100 * hits, 100 * dir, outr);
            for (size_t i = 0; i < pp->n_models; i++)
                if (x->by_model[i])
                    printf(" %s %.0f%%", pp->models[i].name, 100.0 * x->by_model[i] / x->requests);
            printf("\n");
        }
    }
    if (json) printf("]}\n");
}

static int parse(int argc, char **argv, sim_opts *o)
{
    *o = (sim_opts){.rate = 60, .days = 7, .keep_alive = 300, .seed = 1, .cacheable = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout, 0);
        else if (!v) return usage(stderr, 2);
        else if (!strcmp(a, "--trace")) o->trace = v, i++;
        else if (!strcmp(a, "--workload")) o->workload = v, i++;
        else if (!strcmp(a, "--config")) o->config = v, i++;
        else if (!strcmp(a, "--calibration")) o->calib = v, i++;
        else if (!strcmp(a, "--start")) o->start = v, i++;
        else if (!strcmp(a, "--rate") && atof(v) > 0 && atof(v) <= 1e6) o->rate = atof(v), i++;
        else if (!strcmp(a, "--days") && atof(v) > 0 && atof(v) <= 3660) o->days = atof(v), i++;
        else if (!strcmp(a, "--keep-alive") && atof(v) >= 0) o->keep_alive = atof(v), i++;
        else if (!strcmp(a, "--seed")) o->seed = strtoull(v, NULL, 10), i++;
        else if (!strcmp(a, "--cacheable") && atof(v) >= 0 && atof(v) <= 1) o->cacheable = atof(v), i++;
        else return usage(stderr, 2);
    }
    if (!o->workload) return usage(stderr, 2);
    return -1;
}

/* The policy: and cache: sections of --config (the whole file is read and
 * checked), or the built-in ones. */
static c12_rc load_policy(const char *config, c12_policy_params *out, c12_cache_cfg *cache, c12_err *err)
{
    c12_config *c = NULL;
    c12_rc rc = config ? c12_config_load(config, &c, err) : c12_config_defaults(&c, err);
    if (!rc) *out = c->policy, *cache = c->cache;
    c12_config_free(c);
    return rc;
}

int cmd_simulate(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--deferral")) return cmd_simulate_deferral(argc, argv);
    sim_opts o;
    int prc = parse(argc, argv, &o);
    if (prc >= 0) return prc;
    c12_err err;
    char trace_path[1024], cal_path[1024];
    c12_carbon_series trace;
    c12_carbon_series_init(&trace);
    c12_sim_item *items = NULL;
    size_t n_items = 0;
    c12_calibration *cal = NULL;
    c12_policy *pol = NULL;
    c12_policy_params pp;
    int rc = 1;
    if (c12_carbon_trace_load(o.trace, trace_path, sizeof trace_path, &trace, &err) ||
        load_workload(o.workload, &items, &n_items, &err))
        goto fail;
    c12_cache_cfg cache;
    if (load_policy(o.config, &pp, &cache, &err)) goto fail;
    pp.directives.enabled = 1; /* for the rows with that lever; the others opt out */
    if (o.calib) snprintf(cal_path, sizeof cal_path, "%s", o.calib);
    else if (c12_calib_default_path(cal_path, sizeof cal_path, &err)) goto fail;
    c12_rc crc = c12_calib_load(cal_path, &cal, &err);
    if (crc && crc != C12_ERR_NOT_FOUND) goto fail;
    if (c12_policy_new(&pp, cal, &pol, &err)) goto fail;
    for (size_t i = 0; i < pp.n_models; i++) {
        const c12_policy_cost *k = c12_policy_get_cost(pol, i);
        if (k->from != C12_RATES_CALIBRATED)
            fprintf(stderr, "c12 simulate: %s has no calibration in %s: rates %s (docs/energy.md)\n",
                    pp.models[i].name, cal_path, k->basis);
    }
    int64_t start = trace.pts[0].from_ms;
    if (o.start && c12_carbon_parse_time(o.start, &start)) {
        fprintf(stderr, "c12 simulate: --start: not a time: %s\n", o.start);
        goto done;
    }
    c12_sim_params sp = {.trace = &trace, .items = items, .n_items = n_items, .start_ms = start, .days = o.days,
                         .rate_per_h = o.rate, .keep_alive_s = o.keep_alive, .seed = o.seed,
                         .cache_ttl_s = cache.ttl_s, .cache_entries = (size_t)cache.max_entries,
                         .cacheable = cache.enabled ? o.cacheable : 0};
    c12_sim_result res[C12_SIM_STRATEGIES];
    if (c12_sim_run(pol, &sp, res, &err)) goto fail;
    size_t by_cat[C12_ROUTE_NCAT] = {0};
    for (size_t i = 0; i < n_items; i++) by_cat[items[i].a.category]++;
    if (!o.json) {
        char t0[32];
        c12_carbon_format_time(start, t0, sizeof t0);
        printf("workload %s: %zu prompts (%zu code, %zu grounded by the router); trace %s from %s, %g days, "
               "%g requests/h, seed %llu\n",
               o.workload, n_items, by_cat[C12_ROUTE_CODE], by_cat[C12_ROUTE_GROUNDED], trace_path, t0, o.days,
               o.rate, o.seed);
        printf("levers: response cache ttl %g s, %d entries, %.0f%% of requests deterministic; directives above",
               cache.ttl_s, cache.max_entries, 100 * sp.cacheable);
        for (size_t i = 0; i < pp.directives.n_levels; i++)
            printf(" %g g/kWh (output x%.2f, pass x%.2f)%s", pp.directives.levels[i].above,
                   pp.directives.levels[i].out_factor, pp.directives.levels[i].pass_factor,
                   i + 1 < pp.directives.n_levels ? "," : "");
        printf("\n");
    }
    print_table(pol, res, &o, o.json);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "c12 simulate: %s\n", err.msg);
done:
    c12_policy_unref(pol);
    c12_calib_free(cal);
    c12_free(items);
    c12_carbon_series_free(&trace);
    return rc;
}
