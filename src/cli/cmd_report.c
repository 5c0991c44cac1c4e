/* cmd_report.c - `c12 report`: what the ledger holds over a window, by model,
 * category and day or by one group, and what the same requests would have
 * emitted always on the strongest model and always on the default model,
 * at the policy's rates (calibrated, else the shipped reference, else
 * estimated; the basis is printed beside the figures). Text, CSV or JSON.
 * Exit: 0 done, 1 failed, 2 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/c12_buf.h"
#include "base/c12_clock.h"
#include "base/c12_home.h"
#include "batch/bstore.h"
#include "carbon/carbon.h"
#include "cli.h"
#include "cli_ledger.h"
#include "config/config.h"
#include "energy/calib.h"
#include "ledger/report.h"
#include "route/policy.h"

typedef enum { OUT_TEXT = 0, OUT_CSV, OUT_JSON } report_out;

typedef struct report_opts {
    const char *since, *until, *db, *ledger, *calibration, *strongest, *dflt, *config, *batches;
    c12_ledger_group by;
    report_out out;
} report_opts;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: c12 report [--by model|category|key|user|site|day|hour] [--since WHEN] [--until WHEN]\n"
            "                  [--json|--csv] [--db FILE | --ledger postgresql] [--config FILE]\n"
            "                  [--calibration FILE]\n"
            "                  [--strongest MODEL] [--default MODEL]\n"
            "\n"
            "Ledger totals, requests, errors, tokens, energy, CO2e and gCO2e per 1,000 tokens,\n"
            "and the CO2e saved against always the strongest model and always the default\n"
            "model (each request's tokens at that model's joules per token, at the request's\n"
            "own intensity and PUE). Without --by: tables by model, category and day.\n"
            "\n"
            "  --by GROUP          one table by model, category, key (API key label), user\n"
            "                      (the request's `user`), site (where it ran), day or hour (UTC)\n"
            "  --since WHEN        requests from WHEN: a span back from now (7d, 24h, 30m,\n"
            "                      90s), all (the default), or a UTC time (2026-12-01T08:00Z)\n"
            "  --until WHEN        and before WHEN (same forms; default: no bound)\n"
            "  --json              one JSON document (filter, counterfactuals, totals, tables, batches)\n"
            "  --batches DIR       the batch store to summarise (default batch.dir, else $C12_HOME/batches,\n"
            "                      when it exists): batches by status, lines pending, hours deferred, CO2 avoided\n"
            "  --csv               one CSV table (group,key,key2,requests,...) instead of text\n"
            "  --db FILE           an SQLite ledger (default: the config's ledger:, else\n"
            "                      $C12_HOME/ledger.db)\n"
            "  --ledger STORE      sqlite or postgresql: a PostgreSQL ledger, its connection\n"
            "                      string from $C12_LEDGER_DSN (or the config's ledger.dsn_env)\n"
            "  --config FILE       the policy: section and default_model of FILE (default:\n"
            "                      built in)\n"
            "  --calibration FILE  joules per token (default $C12_HOME/calibration.json; a\n"
            "                      model it lacks: the shipped reference rates, else an\n"
            "                      estimate from its size)\n"
            "  --strongest MODEL   the first counterfactual's model (default: the policy's\n"
            "                      strongest, its largest chat model)\n"
            "  --default MODEL     the second's (default: the configuration's default_model)\n");
}

/* A usage error: what is wrong, and where the help is. Returns 2. */
static int bad_usage(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));
static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "c12 report: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (c12 report --help)\n");
    return 2;
}

static int parse_by(const char *s, report_opts *o)
{
    int g = c12_ledger_group_parse(s);
    if (g <= C12_LEDGER_BY_ALL || g == C12_LEDGER_BY_STEP)
        return bad_usage("--by: '%s' is not model, category, key, user, site, day or hour", s);
    o->by = (c12_ledger_group)g;
    return -1;
}

static int parse(int argc, char **argv, report_opts *o)
{
    static const struct option lo[] = {
        {"by", 1, 0, 'b'},          {"since", 1, 0, 's'},     {"until", 1, 0, 'u'},
        {"csv", 0, 0, 'c'},         {"json", 0, 0, 'j'},      {"db", 1, 0, 'd'},
        {"calibration", 1, 0, 'k'}, {"strongest", 1, 0, 'S'}, {"default", 1, 0, 'D'},
        {"config", 1, 0, 'C'},      {"ledger", 1, 0, 'L'},    {"help", 0, 0, 'h'},
        {"batches", 1, 0, 'B'},     {0, 0, 0, 0}};
    int c, st = -1;
    optind = 1;
    while (st < 0 && (c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'b': st = parse_by(optarg, o); break;
        case 's': o->since = optarg; break;
        case 'u': o->until = optarg; break;
        case 'c':
        case 'j':
            if (o->out != OUT_TEXT && o->out != (c == 'c' ? OUT_CSV : OUT_JSON))
                st = bad_usage("%s", "--csv or --json, not both");
            o->out = c == 'c' ? OUT_CSV : OUT_JSON;
            break;
        case 'd': o->db = optarg; break;
        case 'L': o->ledger = optarg; break;
        case 'k': o->calibration = optarg; break;
        case 'S': o->strongest = optarg; break;
        case 'D': o->dflt = optarg; break;
        case 'C': o->config = optarg; break;
        case 'B': o->batches = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (st < 0 && optind < argc) st = bad_usage("unexpected '%s'", argv[optind]);
    return st;
}

/* The window from --since and --until; 2 (usage) when they make none. */
static int window(const report_opts *o, c12_ledger_filter *f)
{
    c12_err err;
    const char *param;
    if (c12_report_parse_window(o->since, o->until, c12_clock_real_ms(), f, &param, &err) == C12_OK) return -1;
    fprintf(stderr, "c12 report: --%s: %s (c12 report --help)\n", param, err.msg);
    return 2;
}

/* The calibration: --calibration FILE (must be readable) or the default
 * file (missing: none; unreadable: said, and none). */
static int calibration(const report_opts *o, c12_calibration **cal)
{
    char path[1024];
    c12_err err;
    *cal = NULL;
    if (o->calibration) {
        if (c12_calib_load(o->calibration, cal, &err) == C12_OK) return -1;
        fprintf(stderr, "c12 report: --calibration: %s\n", err.msg);
        return 1;
    }
    if (c12_calib_default_path(path, sizeof path, &err) == C12_OK && c12_calib_load(path, cal, &err) == C12_OK)
        return -1;
    if (err.rc != C12_ERR_NOT_FOUND) fprintf(stderr, "c12 report: %s; rates not calibrated\n", err.msg);
    return -1;
}

/* Price both counterfactuals with the configuration's policy. */
static int price(const report_opts *o, const c12_config *cfg, c12_report *r)
{
    c12_calibration *cal = NULL;
    int st = calibration(o, &cal);
    if (st >= 0) return st;
    c12_policy *pol = NULL;
    c12_err err;
    c12_rc rc = c12_policy_new(&cfg->policy, cal, &pol, &err);
    c12_calib_free(cal);
    if (rc) {
        fprintf(stderr, "c12 report: %s\n", err.msg);
        return 1;
    }
    const c12_model_cfg *m = &cfg->models[cfg->default_model];
    c12_report_price(r, pol, o->strongest, o->dflt ? o->dflt : c12_policy_model_name(pol, m->id, m->source));
    c12_policy_unref(pol);
    return -1;
}

/* The batch store's figures, when there is one: --batches DIR, else the
 * PostgreSQL ledger's database (read-only), else the configuration's
 * batch.dir, else $C12_HOME/batches (never created here). */
static int batch_stats(const report_opts *o, const c12_config *cfg, const cli_ledger *l, c12_bstore_stats *st)
{
    char dir[C12_CFG_PATH_MAX], db[C12_CFG_PATH_MAX + 16];
    c12_err err;
    if (!o->batches && !strcmp(l->cfg.store, "postgresql")) {
        c12_bstore *s = NULL;
        int ok = !c12_bstore_open_pg(l->target, 1, &s, &err) && !c12_bstore_get_stats(s, st, &err);
        c12_bstore_close(s);
        return ok;
    }
    if (o->batches) snprintf(dir, sizeof dir, "%s", o->batches);
    else if (cfg->batch.dir[0]) snprintf(dir, sizeof dir, "%s", cfg->batch.dir);
    else if (c12_home_path("batches", dir, sizeof dir, &err)) return 0;
    snprintf(db, sizeof db, "%s/batches.db", dir);
    c12_bstore *s = NULL;
    int ok = access(db, R_OK) == 0 && !c12_bstore_open(dir, &s, &err) && !c12_bstore_get_stats(s, st, &err);
    c12_bstore_close(s);
    return ok;
}

static c12_rc batches_text(const c12_bstore_stats *st, c12_buf *b)
{
    c12_rc rc = c12_buf_puts(b, "\nbatches:");
    for (int k = 0; !rc && k < C12_BATCH_STATUSES; k++)
        if (st->by_status[k]) rc = c12_buf_printf(b, " %lld %s", (long long)st->by_status[k], c12_batch_status_name((c12_batch_status)k));
    if (!rc) rc = c12_buf_printf(b, "; %lld lines pending; waited %.2f h for cleaner power; %.6f g CO2e avoided against running each at its submission\n",
                                 (long long)st->lines_pending, st->deferred_s / 3600, st->co2_avoided_g);
    return rc;
}

static int emit(const report_opts *o, const c12_config *cfg, const c12_report *r, const cli_ledger *l)
{
    c12_bstore_stats bs;
    const char *ledger = l->desc;
    int have_batches = o->out != OUT_CSV && batch_stats(o, cfg, l, &bs);
    c12_buf b;
    c12_buf_init(&b, 0);
    c12_rc rc = C12_OK;
    if (o->out == OUT_JSON) {
        json_t *j = c12_report_json(r);
        if (j && have_batches) json_object_set_new(j, "batches", c12_bstore_stats_json(&bs));
        char *s = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) : NULL;
        rc = s ? c12_buf_printf(&b, "%s\n", s) : C12_ERR_NOMEM;
        free(s);
        json_decref(j);
    } else if (o->out == OUT_CSV) {
        rc = c12_report_csv(r, &b);
    } else {
        char from[32] = "the start", to[32] = "now";
        if (r->filter.since_ms) c12_carbon_format_time(r->filter.since_ms, from, sizeof from);
        if (r->filter.until_ms) c12_carbon_format_time(r->filter.until_ms, to, sizeof to);
        rc = c12_buf_printf(&b, "ledger %s, requests from %s to %s\n", ledger, from, to);
        if (rc == C12_OK) rc = c12_report_text(r, &b);
        if (rc == C12_OK && have_batches) rc = batches_text(&bs, &b);
    }
    if (rc == C12_OK) fwrite(b.data, 1, b.len, stdout);
    c12_buf_free(&b);
    if (rc) fprintf(stderr, "c12 report: no memory\n");
    return rc ? 1 : 0;
}

static int run(const report_opts *o, const c12_ledger_filter *f, const c12_config *cfg)
{
    c12_err err;
    cli_ledger l;
    int st = cli_ledger_pick("report", o->ledger, o->db, &cfg->ledger, &l);
    if (st >= 0) return st;
    c12_report r;
    c12_rc rc = c12_report_load(l.cfg.store, l.target, f, &r, &err);
    if (rc) {
        explicit_bzero(l.target, sizeof l.target);
        fprintf(stderr, "c12 report: %s\n", err.msg);
        return 1;
    }
    st = price(o, cfg, &r);
    if (st < 0) st = emit(o, cfg, &r, &l);
    explicit_bzero(l.target, sizeof l.target);
    c12_report_free(&r);
    return st;
}

int cmd_report(int argc, char **argv)
{
    report_opts o = {0};
    int st = parse(argc, argv, &o);
    if (st >= 0) return st;
    c12_ledger_filter f = {.by = o.by};
    if ((st = window(&o, &f)) >= 0) return st;
    c12_config *cfg = NULL;
    c12_err err;
    if ((o.config ? c12_config_load(o.config, &cfg, &err) : c12_config_defaults(&cfg, &err)) != C12_OK) {
        fprintf(stderr, "c12 report: %s\n", err.msg);
        c12_config_free(cfg);
        return 1;
    }
    st = run(&o, &f, cfg);
    c12_config_free(cfg);
    return st;
}
