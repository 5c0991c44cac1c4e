/* cmd_report.c - `c12 report [--since 7d] [--csv] [--db FILE]`: what the
 * ledger holds, by model, category and day, and what the same requests would
 * have cost on the strongest model. Exit: 0 done, 1 failed, 2 usage. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/c12_buf.h"
#include "cli.h"
#include "energy/calib.h"
#include "ledger/report.h"
#include "route/policy.h"

#define STRONGEST_DEFAULT "qwen2.5-coder-1.5b"

typedef struct report_opts {
    const char *since, *db, *calibration, *strongest;
    int csv;
} report_opts;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: c12 report [--since SPAN] [--csv] [--db FILE] [--calibration FILE]\n"
            "                  [--strongest MODEL]\n"
            "\n"
            "  --since SPAN        only requests of the last SPAN: 7d, 24h, 30m, 90s or all (default)\n"
            "  --csv               one CSV table (group,key,requests,...) instead of text\n"
            "  --db FILE           the ledger (default $C12_HOME/ledger.db)\n"
            "  --calibration FILE  energy per token (default $C12_HOME/calibration.json)\n"
            "  --strongest MODEL   the counterfactual's model (default " STRONGEST_DEFAULT ")\n");
}

static int parse(int argc, char **argv, report_opts *o)
{
    static const struct option lo[] = {{"since", 1, 0, 's'},       {"csv", 0, 0, 'c'},
                                       {"db", 1, 0, 'd'},          {"calibration", 1, 0, 'k'},
                                       {"strongest", 1, 0, 'S'},   {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 's': o->since = optarg; break;
        case 'c': o->csv = 1; break;
        case 'd': o->db = optarg; break;
        case 'k': o->calibration = optarg; break;
        case 'S': o->strongest = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

/* The strongest model's energy per token: measured (the calibration file),
 * else the policy's documented estimate from its size, as the router uses
 * it (docs/policy.md), so that the saving is known without `c12 calibrate`. */
static void counterfactual(const report_opts *o, c12_report *r)
{
    char path[1024];
    c12_err err;
    c12_calibration *cal = NULL;
    const char *file = o->calibration;
    if (!file && c12_calib_default_path(path, sizeof path, &err) == C12_OK) file = path;
    if (file && c12_calib_load(file, &cal, &err) != C12_OK && err.rc != C12_ERR_NOT_FOUND)
        fprintf(stderr, "c12 report: %s\n", err.msg);
    const c12_calib_entry *e = c12_calib_find(cal, o->strongest);
    if (e) c12_report_counterfactual(r, o->strongest, 1, e->j_per_prompt_token, e->j_per_output_token);
    c12_calib_free(cal);
    if (e) return;
    c12_policy_params pp;
    c12_policy_defaults(&pp);
    for (size_t i = 0; i < pp.n_models; i++) {
        if (strcmp(pp.models[i].name, o->strongest)) continue;
        c12_policy_cost c;
        c12_policy_estimate(pp.models[i].params_b, &c);
        c12_report_counterfactual(r, o->strongest, 1, c.j_prompt, c.j_out);
        snprintf(r->cf_basis, sizeof r->cf_basis,
                 "energy estimated from %.2fB parameters, docs/policy.md; c12 calibrate -m %s measures it",
                 pp.models[i].params_b, o->strongest);
        return;
    }
    c12_report_counterfactual(r, o->strongest, 0, 0, 0);
}

static int emit(const report_opts *o, const c12_report *r, const char *db)
{
    c12_buf b;
    c12_buf_init(&b, 0);
    c12_rc rc = C12_OK;
    char when[32] = "the start";
    if (r->since_ms) {
        time_t t = (time_t)(r->since_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    if (!o->csv) rc = c12_buf_printf(&b, "ledger %s, requests since %s\n", db, when);
    if (rc == C12_OK) rc = o->csv ? c12_report_csv(r, &b) : c12_report_text(r, &b);
    if (rc == C12_OK) fwrite(b.data, 1, b.len, stdout);
    c12_buf_free(&b);
    if (rc) fprintf(stderr, "c12 report: no memory\n");
    return rc ? 1 : 0;
}

int cmd_report(int argc, char **argv)
{
    report_opts o = {.since = "all", .strongest = STRONGEST_DEFAULT};
    int st = parse(argc, argv, &o);
    if (st >= 0) return st;
    c12_err err;
    char db[1024];
    int64_t span = 0;
    if (c12_report_parse_span(o.since, &span, &err) != C12_OK) {
        fprintf(stderr, "c12 report: %s\n", err.msg);
        return 2;
    }
    if (!o.db && c12_ledger_default_path(db, sizeof db, &err) != C12_OK) {
        fprintf(stderr, "c12 report: %s\n", err.msg);
        return 1;
    }
    if (o.db) snprintf(db, sizeof db, "%s", o.db);
    int64_t since = span ? (int64_t)time(NULL) * 1000 - span : 0;
    c12_report r;
    if (c12_report_load("sqlite", db, since, &r, &err) != C12_OK) {
        fprintf(stderr, "c12 report: %s\n", err.msg);
        return 1;
    }
    counterfactual(&o, &r);
    int rc = emit(&o, &r, db);
    c12_report_free(&r);
    return rc;
}
