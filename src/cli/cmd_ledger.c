/* cmd_ledger.c - `c12 ledger info|add-test-rows|migrate`: look at a ledger,
 * fill one with synthetic rows through the real writer (for tests and for
 * trying `c12 report`), copy one into another store (cmd_ledger_migrate.c).
 * Exit: 0 done, 1 failed, 2 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_ledger.h"
#include "energy/energy.h"
#include "ledger/ledger.h"

typedef struct ledger_opts {
    const char *db, *ledger, *from, *to;
    long n;
    int days;
} ledger_opts;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: c12 ledger info [--db FILE | --ledger postgresql]\n"
            "       c12 ledger add-test-rows [--db FILE | --ledger postgresql] [--n N (100)] [--days D (3)]\n"
            "       c12 ledger migrate --from sqlite:FILE --to postgresql\n"
            "\n"
            "  info            the number of requests in a ledger\n"
            "  add-test-rows   append N synthetic requests spread over the last D days\n"
            "  migrate         copy every row of one ledger into another, empty one (either\n"
            "                  way: sqlite:FILE or postgresql)\n"
            "  --db FILE       an SQLite ledger (default $C12_HOME/ledger.db)\n"
            "  --ledger STORE  sqlite or postgresql (its connection string from $C12_LEDGER_DSN)\n");
}

/* Deterministic synthetic row i of n: three models, two categories, two API
 * keys, a user on two rows of three. */
static void test_row(long i, const ledger_opts *o, int64_t now_ms, c12_ledger_row *r)
{
    static const char *const MODELS[] = {"smollm2-135m", "qwen2.5-coder-1.5b", "gemma3-270m"};
    static const double J_PER_TOKEN[] = {0.5, 5.0, 1.0};
    memset(r, 0, sizeof *r);
    int m = (int)(i % 3);
    r->time_ms = now_ms - (int64_t)(i % (o->days * 24)) * 3600000LL - 1000;
    snprintf(r->request_id, sizeof r->request_id, "test-%ld", i);
    C12_LEDGER_SET(r->api_key, i % 2 ? "key:0000beef" : "key:0000cafe");
    C12_LEDGER_SET(r->user, i % 3 ? "alice" : "");
    C12_LEDGER_SET(r->model, MODELS[m]);
    C12_LEDGER_SET(r->category, i % 2 ? "code" : "general");
    r->complexity = (double)(i % 10) / 10.0;
    r->prompt_tokens = 20 + i % 50;
    r->completion_tokens = 10 + i % 30;
    r->queue_ms = 1.5;
    r->ttft_ms = 40;
    r->total_ms = 400 + (double)(i % 7) * 10;
    r->energy_j = J_PER_TOKEN[m] * (double)(r->prompt_tokens + r->completion_tokens);
    C12_LEDGER_SET(r->energy_method, "cputime-constant");
    r->intensity = 200 + (double)(i % 5) * 20;
    C12_LEDGER_SET(r->intensity_provider, "trace");
    r->intensity_age_s = 30;
    r->pue = 1.0;
    r->co2_g = c12_energy_gco2(r->energy_j, r->intensity, r->pue);
    C12_LEDGER_SET(r->route_reason, "test row");
    C12_LEDGER_SET(r->status, i % 17 == 16 ? "error" : "ok");
}

static int add_rows(const ledger_opts *o)
{
    cli_ledger which;
    int st = cli_ledger_pick("ledger", o->ledger, o->db, NULL, &which);
    if (st >= 0) return st;
    c12_ledger_cfg cfg = which.cfg;
    cfg.block_ms = 5000;
    c12_ledger *l;
    c12_err err;
    if (c12_ledger_open(&cfg, &l, &err) != C12_OK) {
        fprintf(stderr, "c12 ledger: %s\n", err.msg);
        return 1;
    }
    int64_t now = (int64_t)time(NULL) * 1000;
    c12_rc rc = C12_OK;
    for (long i = 0; i < o->n && rc == C12_OK; i++) {
        c12_ledger_row r;
        test_row(i, o, now, &r);
        rc = c12_ledger_submit(l, &r, &err);
    }
    if (rc) fprintf(stderr, "c12 ledger: %s\n", err.msg);
    c12_err cerr;
    if (c12_ledger_close(l, &cerr) != C12_OK) {
        fprintf(stderr, "c12 ledger: %s\n", cerr.msg);
        return 1;
    }
    if (rc == C12_OK) printf("added %ld rows to %s\n", o->n, which.desc);
    return rc ? 1 : 0;
}

static int info(const ledger_opts *o)
{
    cli_ledger which;
    int st = cli_ledger_pick("ledger", o->ledger, o->db, NULL, &which);
    if (st >= 0) return st;
    c12_ledger_totals t = {0};
    c12_err err;
    c12_ledger_filter all = {0};
    if (c12_ledger_query_file(which.cfg.store, which.target, &all, &t, &err) != C12_OK) {
        fprintf(stderr, "c12 ledger: %s\n", err.msg);
        return 1;
    }
    long long n = t.n ? (long long)t.t[0].requests : 0;
    printf("%s: %lld requests\n", which.desc, n);
    c12_ledger_totals_free(&t);
    return 0;
}

static int migrate(const ledger_opts *o)
{
    if (!o->from || !o->to) {
        fprintf(stderr, "c12 ledger migrate: --from and --to are required (c12 ledger --help)\n");
        return 2;
    }
    return cli_ledger_migrate(o->from, o->to);
}

typedef struct ledger_sub {
    const char *name;
    int (*run)(const ledger_opts *o);
} ledger_sub;

static const ledger_sub SUBS[] = {{"info", info}, {"add-test-rows", add_rows}, {"migrate", migrate}};

int cmd_ledger(int argc, char **argv)
{
    static const struct option lo[] = {{"db", 1, 0, 'd'},     {"ledger", 1, 0, 'L'}, {"from", 1, 0, 'f'},
                                       {"to", 1, 0, 't'},     {"n", 1, 0, 'n'},      {"days", 1, 0, 'D'},
                                       {"help", 0, 0, 'h'},   {0, 0, 0, 0}};
    ledger_opts o = {.n = 100, .days = 3};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hn:", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o.db = optarg; break;
        case 'L': o.ledger = optarg; break;
        case 'f': o.from = optarg; break;
        case 't': o.to = optarg; break;
        case 'n': o.n = atol(optarg); break;
        case 'D': o.days = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc || o.n < 0 || o.days < 1) {
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof SUBS / sizeof SUBS[0]; i++)
        if (strcmp(argv[optind], SUBS[i].name) == 0) return SUBS[i].run(&o);
    usage(stderr);
    return 2;
}
