/* cmd_calibrate.c - `c12 calibrate [-m MODEL...]`: measure each model's time
 * and energy per prompt token and per output token on this machine, and
 * store them for the policy and the simulator ($C12_HOME/calibration.json).
 * Bounded: by default 64 prompt tokens and 32 output tokens per model, a few
 * seconds even for the 1.5B model. Exit: 0 done, 1 failed, 2 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/c12_buf.h"
#include "cli.h"
#include "config/config.h"
#include "energy/calib.h"
#include "engine/c12_engine.h"
#include "models/models.h"

#define MAX_NAMED 16

typedef struct calib_opts {
    const char *models[MAX_NAMED];
    int n_models, json, save, threads_given;
    const char *out, *config, *site;
    c12_calib_params p;
    c12_energy_cfg ecfg;
} calib_opts;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: c12 calibrate [-m MODEL]... [-p PROMPT_TOKENS (64)] [-n OUTPUT_TOKENS (32)]\n"
            "                     [-t THREADS (all cores)] [-r REPS (1)] [--json] [--out FILE]\n"
            "                     [--no-save] [--meter rapl|cputime] [--watts-per-core W]\n"
            "                     [--max-seconds S (5): per run, decoding stops early after S]\n"
            "                     [--config FILE]\n"
            "       c12 calibrate --site NAME --config FILE [-m MODEL] [-p PROMPT_TOKENS] [-n OUTPUT_TOKENS]\n"
            "\n"
            "Measures energy and time per prompt token (one prefill) and per output token\n"
            "(single-token decode steps) and stores them in $C12_HOME/calibration.json\n"
            "(or --out FILE), replacing the entries of the models measured. Without -m,\n"
            "every catalogue model present in the cache is measured. With --config, the\n"
            "configured models (or those of its ids named by -m) are measured with their\n"
            "configured threads (unless -t) and stored under their ids.\n"
            "\n"
            "With --site, a site of the configuration's fleet (docs/fleet.md) is measured\n"
            "instead: its time to first token and tokens/s, and, when it reports its energy\n"
            "(a C12 site's usage.c12), its joules per prompt and output token, printed as\n"
            "the keys to put under sites.NAME.\n");
}

static int parse(int argc, char **argv, calib_opts *o)
{
    static const struct option lo[] = {
        {"model", 1, 0, 'm'}, {"prompt", 1, 0, 'p'},  {"gen", 1, 0, 'n'},
        {"threads", 1, 0, 't'}, {"reps", 1, 0, 'r'},  {"json", 0, 0, 'J'},
        {"out", 1, 0, 'o'},   {"no-save", 0, 0, 'N'}, {"meter", 1, 0, 'M'},
        {"watts-per-core", 1, 0, 'W'}, {"max-seconds", 1, 0, 'S'}, {"config", 1, 0, 'C'},
        {"site", 1, 0, 'X'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:p:n:t:r:h", lo, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (o->n_models == MAX_NAMED) return fprintf(stderr, "c12 calibrate: too many -m\n"), 2;
            o->models[o->n_models++] = optarg;
            break;
        case 'p': o->p.prompt_tokens = atoi(optarg); break;
        case 'n': o->p.output_tokens = atoi(optarg); break;
        case 't':
            o->p.threads = atoi(optarg);
            o->threads_given = 1;
            break;
        case 'C': o->config = optarg; break;
        case 'X': o->site = optarg; break;
        case 'r': o->p.reps = atoi(optarg); break;
        case 'J': o->json = 1; break;
        case 'o': o->out = optarg; break;
        case 'N': o->save = 0; break;
        case 'M': snprintf(o->ecfg.meter, sizeof o->ecfg.meter, "%s", optarg); break;
        case 'W': o->ecfg.watts_per_core = atof(optarg); break;
        case 'S': o->p.max_s = atof(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || o->p.prompt_tokens < 1 || o->p.output_tokens < 1 || o->p.reps < 1 ||
        o->p.threads < 0 || o->ecfg.watts_per_core < 0 || o->p.max_s < 0) {
        usage(stderr);
        return 2;
    }
    return -1;
}

/* Without -m: the catalogue models that are in the cache. */
static void default_models(calib_opts *o)
{
    for (size_t i = 0; i < c12_catalog_count() && o->n_models < MAX_NAMED; i++) {
        const c12_model_entry *e = c12_catalog_at(i);
        char path[1024];
        c12_err err;
        if (c12_models_path(e, path, sizeof path, &err) == C12_OK && c12_models_present(e, path))
            o->models[o->n_models++] = e->name;
    }
}

/* One model to measure: the name it is stored under, where it comes from
 * (catalogue name or path), and its engine threads. */
typedef struct calib_job {
    const char *name, *source;
    int threads;
} calib_job;

/* Load (timed and metered), then measure one model. */
static c12_rc calibrate_one(const calib_opts *o, const c12_meter *meter, const calib_job *job,
                            c12_calib_entry *e, c12_err *err)
{
    char path[1024];
    const char *name = job->name;
    c12_calib_params p = o->p;
    p.threads = job->threads;
    c12_rc rc = c12_models_resolve(job->source, path, sizeof path, err);
    if (rc) return rc;
    memset(e, 0, sizeof *e);
    snprintf(e->model, sizeof e->model, "%s", name);
    c12_energy_mark mk;
    c12_energy_result r;
    c12_model *m = NULL;
    rc = c12_meter_begin(meter, &mk, err);
    if (rc == C12_OK) rc = c12_model_load(path, &m, err);
    if (rc == C12_OK) rc = c12_meter_end(meter, &mk, -1, &r, err);
    if (rc == C12_OK) {
        e->load_s = r.wall_s;
        e->load_j = r.joules;
        rc = c12_calib_measure(m, meter, &p, e, err);
    }
    c12_model_free(m);
    return rc;
}

static void print_text(const c12_calib_entry *e)
{
    printf("%-20s prompt %.4f J/token (%.2f ms)  output %.4f J/token (%.2f ms)  load %.2f s %.1f J  "
           "[%s, %d threads]\n",
           e->model, e->j_per_prompt_token, e->s_per_prompt_token * 1e3, e->j_per_output_token,
           e->s_per_output_token * 1e3, e->load_s, e->load_j, e->method, e->threads);
    fflush(stdout);
}

/* Merge into the stored file (keeping other models' entries) and write it. */
static int store(const calib_opts *o, const c12_calibration *got)
{
    char path[1024];
    c12_err err;
    if (o->out)
        snprintf(path, sizeof path, "%s", o->out);
    else if (c12_calib_default_path(path, sizeof path, &err) != C12_OK)
        return fprintf(stderr, "c12 calibrate: %s\n", err.msg), 1;
    c12_calibration *all = NULL;
    c12_rc rc = c12_calib_load(path, &all, &err);
    if (rc == C12_ERR_NOT_FOUND) rc = c12_calib_new(&all, &err);
    if (rc == C12_ERR_FORMAT) {
        fprintf(stderr, "c12 calibrate: %s; replacing it\n", err.msg);
        rc = c12_calib_new(&all, &err);
    }
    for (size_t i = 0; rc == C12_OK && i < got->n; i++) rc = c12_calib_set(all, &got->e[i], &err);
    if (rc == C12_OK) rc = c12_calib_save(all, path, &err);
    c12_calib_free(all);
    if (rc) return fprintf(stderr, "c12 calibrate: %s\n", err.msg), 1;
    fprintf(stderr, "c12 calibrate: stored in %s\n", path);
    return 0;
}

static int print_json(const c12_calibration *got)
{
    c12_buf b;
    c12_buf_init(&b, 0);
    c12_err err;
    int rc = c12_calib_to_json(got, &b, &err) == C12_OK ? 0 : 1;
    if (!rc) fwrite(b.data, 1, b.len, stdout);
    c12_buf_free(&b);
    return rc;
}

static int run_jobs(const calib_opts *o, const c12_meter *meter, const calib_job *jobs, int n,
                    c12_calibration *got)
{
    for (int i = 0; i < n; i++) {
        c12_calib_entry e;
        c12_err err;
        if (calibrate_one(o, meter, &jobs[i], &e, &err) != C12_OK)
            return fprintf(stderr, "c12 calibrate: %s: %s\n", jobs[i].name, err.msg), 1;
        if (e.threads == 0) e.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
        if (!o->json) print_text(&e);
        if (c12_calib_set(got, &e, &err) != C12_OK)
            return fprintf(stderr, "c12 calibrate: %s\n", err.msg), 1;
    }
    return 0;
}

/* The models of a configuration file (those named by -m, or all). */
static int config_jobs(const calib_opts *o, const c12_config *cfg, calib_job *jobs, int *n)
{
    *n = 0;
    for (size_t i = 0; i < cfg->n_models && *n < C12_CFG_MAX_MODELS; i++) {
        const c12_model_cfg *mc = &cfg->models[i];
        int wanted = o->n_models == 0;
        for (int k = 0; k < o->n_models; k++) wanted |= strcmp(o->models[k], mc->id) == 0;
        if (wanted)
            jobs[(*n)++] = (calib_job){mc->id, mc->source, o->threads_given ? o->p.threads : mc->n_threads};
    }
    for (int k = 0; k < o->n_models; k++)
        if (c12_config_find_model(cfg, o->models[k]) < 0)
            return fprintf(stderr, "c12 calibrate: %s: no model '%s'\n", o->config, o->models[k]), 1;
    return 0;
}

static int run_all(const calib_opts *o, const c12_meter *meter, c12_calibration *got)
{
    calib_job jobs[C12_CFG_MAX_MODELS];
    int n = 0;
    if (!o->config) {
        for (int i = 0; i < o->n_models; i++)
            jobs[n++] = (calib_job){o->models[i], o->models[i], o->p.threads};
        return run_jobs(o, meter, jobs, n, got);
    }
    c12_config *cfg = NULL;
    c12_err err;
    if (c12_config_load(o->config, &cfg, &err) != C12_OK)
        return fprintf(stderr, "c12 calibrate: %s\n", err.msg), 1;
    int rc = config_jobs(o, cfg, jobs, &n);
    if (rc == 0) rc = run_jobs(o, meter, jobs, n, got);
    c12_config_free(cfg);
    return rc;
}

/* Other processes on the cores inflate CPU time (the engine's threads spin
 * while they wait for a descheduled sibling): say so, the numbers will be high. */
static void warn_if_busy(void)
{
    double load;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (getloadavg(&load, 1) == 1 && cores > 0 && load > 0.75 * (double)cores)
        fprintf(stderr,
                "c12 calibrate: warning: the machine is busy (load %.1f on %ld cores); "
                "measurements will be high and noisy\n",
                load, cores);
}

int cmd_calibrate(int argc, char **argv)
{
    calib_opts o = {.save = 1, .p = {.prompt_tokens = 64, .output_tokens = 32, .reps = 1, .max_s = 5}};
    c12_energy_cfg_defaults(&o.ecfg);
    int st = parse(argc, argv, &o);
    if (st >= 0) return st;
    if (o.site) /* a fleet's site: its rates from its replies */
        return c12_cli_calibrate_site(o.config, o.site, o.n_models ? o.models[0] : NULL, o.p.prompt_tokens,
                                      o.p.output_tokens);
    if (!o.n_models && !o.config) default_models(&o);
    if (!o.n_models && !o.config)
        return fprintf(stderr, "c12 calibrate: no model in the cache (c12 models pull)\n"), 1;
    c12_meter *meter = NULL;
    c12_calibration *got = NULL;
    c12_err err;
    char why[512], desc[256];
    if (c12_meter_open(&o.ecfg, &meter, why, sizeof why, &err) != C12_OK)
        return fprintf(stderr, "c12 calibrate: %s\n", err.msg), 1;
    c12_meter_describe(meter, desc, sizeof desc);
    fprintf(stderr, "c12 calibrate: meter %s%s%s\n", desc, why[0] ? "; skipped " : "", why);
    warn_if_busy();
    int rc = c12_calib_new(&got, &err) == C12_OK ? run_all(&o, meter, got) : 1;
    if (rc == 0 && o.json) rc = print_json(got);
    if (rc == 0 && o.save) rc = store(&o, got);
    c12_calib_free(got);
    c12_meter_close(meter);
    return rc;
}
