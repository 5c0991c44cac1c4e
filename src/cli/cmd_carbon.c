/* cmd_carbon.c - `c12 carbon now|forecast|backtest|watch`: what intensity
 * C12 would use, where it came from, and how good C12's forecaster is.
 * Exit status: 0 done, 1 failed, 2 usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/c12_file.h"
#include "base/c12_alloc.h"
#include "carbon/carbon_parse.h"
#include "cli.h"
#include "config/config.h"
#include "cmd_carbon.h"

typedef int (*carbon_sub_fn)(const carbon_opts *o);

typedef struct carbon_sub {
    const char *name;
    const char *usage;
    carbon_sub_fn run;
} carbon_sub;

static void usage(FILE *out);

static int fail(const c12_err *err)
{
    fprintf(stderr, "c12 carbon: %s\n", err->msg);
    return 1;
}

/* The carbon: section of --config FILE (the whole file is read and checked),
 * else the built-in chain (bundled trace, then static); then --provider
 * and --region. The cache keeps its own copy of what it needs. */
static c12_rc open_cache(const carbon_opts *o, c12_carbon_cache **out, c12_err *err)
{
    c12_config *cfg = NULL;
    c12_rc rc = o->config ? c12_config_load(o->config, &cfg, err) : c12_config_defaults(&cfg, err);
    if (rc) return rc;
    if (cfg->note[0]) fprintf(stderr, "c12 carbon: %s\n", cfg->note);
    if (o->provider) rc = c12_carbon_config_only(&cfg->carbon, o->provider, err);
    if (!rc && o->region) rc = c12_carbon_config_set_region(&cfg->carbon, o->region, err);
    if (!rc) rc = c12_carbon_cache_new(&cfg->carbon, NULL, out, err);
    c12_config_free(cfg);
    return rc;
}

static int sub_now(const carbon_opts *o)
{
    c12_err err;
    c12_carbon_cache *c;
    if (open_cache(o, &c, &err)) return fail(&err);
    c12_carbon_cache_prime(c);
    c12_carbon_answer a;
    c12_rc rc = c12_carbon_cache_now(c, &a, &err);
    if (rc == C12_OK) carbon_print_now(stdout, &a, o->json);
    c12_carbon_cache_free(c);
    return rc ? fail(&err) : 0;
}

static int sub_forecast(const carbon_opts *o)
{
    c12_err err;
    c12_carbon_cache *c;
    if (open_cache(o, &c, &err)) return fail(&err);
    c12_carbon_cache_prime(c);
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    c12_carbon_answer a;
    c12_rc rc = c12_carbon_cache_forecast(c, o->hours, &s, &a, &err);
    if (rc == C12_OK) carbon_print_forecast(stdout, &s, &a, o->json);
    c12_carbon_series_free(&s);
    c12_carbon_cache_free(c);
    return rc ? fail(&err) : 0;
}

static int sub_backtest(const carbon_opts *o)
{
    c12_err err;
    char trace[C12_CARBON_PATH_MAX];
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    c12_rc rc = c12_carbon_trace_load(o->trace, trace, sizeof trace, &s, &err);
    static const int hours[] = {1, 6, 24};
    c12_carbon_backtest_result r;
    if (rc == C12_OK) rc = c12_carbon_backtest(&s, hours, 3, &r, &err);
    if (rc == C12_OK) carbon_print_backtest(stdout, trace, &r, o->json);
    c12_carbon_series_free(&s);
    return rc ? fail(&err) : 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Debugging and tests: run the refresher and print the answer every interval. */
static int sub_watch(const carbon_opts *o)
{
    c12_err err;
    c12_carbon_cache *c;
    if (open_cache(o, &c, &err)) return fail(&err);
    if (c12_carbon_cache_start(c, &err)) {
        c12_carbon_cache_free(c);
        return fail(&err);
    }
    int64_t start = c12_carbon_clock_real(NULL), end = start + (int64_t)(o->seconds * 1000);
    for (int64_t now = start; now < end; now = c12_carbon_clock_real(NULL)) {
        sleep_ms(o->interval_ms);
        c12_carbon_answer a;
        c12_carbon_status st[C12_CARBON_MAX_PROVIDERS];
        c12_rc rc = c12_carbon_cache_now(c, &a, &err);
        size_t n = c12_carbon_cache_status(c, st, C12_CARBON_MAX_PROVIDERS);
        carbon_print_watch(stdout, c12_carbon_clock_real(NULL), rc ? NULL : &a, &err, st, n, o->json);
    }
    c12_carbon_cache_free(c);
    return 0;
}

static const carbon_sub subs[] = {
    {"now", "now [--provider P] [--region R] [--config FILE] [--json]", sub_now},
    {"forecast", "forecast [--hours H] [--provider P] [--region R] [--config FILE] [--json]", sub_forecast},
    {"backtest", "backtest [--trace FILE] [--json]", sub_backtest},
    {"watch", "watch [--seconds N] [--interval-ms M] [--config FILE] [--provider P] [--json]  (debugging)",
     sub_watch},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: c12 carbon SUBCOMMAND [OPTIONS]\n\n");
    for (const carbon_sub *s = subs; s->name; s++) fprintf(out, "  c12 carbon %s\n", s->usage);
    fprintf(out, "\nWith no --config, C12 replays the bundled GB 2023 trace (then a static value):\n"
                 "no key and no network needed. The bundled data is looked up in $C12_DATA_DIR,\n"
                 "beside the binary (data/), then in the install folder. See docs/carbon.md.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "c12 carbon: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n");
    usage(stderr);
    return 2;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *e;
    long v = s ? strtol(s, &e, 10) : 0;
    if (!s || !*s || *e || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

/* Options shared by every subcommand; returns 2 on a usage error, else 0. */
static int parse_opts(int argc, char **argv, carbon_opts *o)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!strcmp(a, "--json")) { o->json = 1; continue; }
        if (strncmp(a, "--", 2)) return usage_error("unexpected argument '%s'", a);
        if (!v) return usage_error("%s needs a value", a);
        i++;
        if (!strcmp(a, "--config")) o->config = v;
        else if (!strcmp(a, "--provider")) o->provider = v;
        else if (!strcmp(a, "--region")) o->region = v;
        else if (!strcmp(a, "--trace")) o->trace = v;
        else if (!strcmp(a, "--hours") && parse_int(v, 1, 168, &n)) o->hours = (int)n;
        else if (!strcmp(a, "--seconds") && parse_int(v, 1, 3600, &n)) o->seconds = (double)n;
        else if (!strcmp(a, "--interval-ms") && parse_int(v, 10, 60000, &n)) o->interval_ms = (int)n;
        else if (!strcmp(a, "--hours") || !strcmp(a, "--seconds") || !strcmp(a, "--interval-ms"))
            return usage_error("bad value for %s", a);
        else return usage_error("unknown option '%s'", a);
    }
    return 0;
}

int cmd_carbon(int argc, char **argv)
{
    if (argc < 2) return usage_error("%s", "missing subcommand");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    carbon_opts o = {NULL, NULL, NULL, NULL, 0, 24, 10, 1000};
    for (const carbon_sub *s = subs; s->name; s++) {
        if (strcmp(s->name, argv[1])) continue;
        int rc = parse_opts(argc, argv, &o);
        return rc ? rc : s->run(&o);
    }
    return usage_error("unknown subcommand '%s'", argv[1]);
}
