/* energy.h - per-request energy: the meter interface and emissions.
 *
 * A meter brackets a piece of work: begin() takes a mark, end() turns the mark
 * into joules and names the method. Each way of metering is one row in a table
 * of c12_meter_ops (meters.c): RAPL's package counters where the kernel lets us
 * read them, else CPU time times a per-core power. c12_meter_open() takes the
 * configured meter, or the first of the table that works on this machine.
 *
 * A meter is immutable after open and keeps no per-request state (that lives
 * in the caller's mark), so one meter serves every request thread at once.
 *
 * Thread pools: the engine runs a request on several threads. The caller knows
 * which threads worked for it and can report their CPU seconds (`cpu_s` of
 * c12_meter_end); without a report the meter uses the process's CPU time over
 * the interval, which is exact when one request runs at a time (c12
 * calibrate) and an overestimate when several overlap. */
#ifndef C12_ENERGY_H
#define C12_ENERGY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"

#define C12_ENERGY_METHOD_MAX 24
#define C12_RAPL_MAX_DOMAINS 8
#define C12_ENERGY_PATH_MAX 512
/* CodeCarbon's power when a CPU model is not in its table (W per package):
 * POWER_CONSTANT in codecarbon/external/hardware.py. */
#define C12_ENERGY_DEFAULT_TDP_W 85.0
#define C12_J_PER_KWH 3.6e6

typedef struct c12_energy_cfg {
    char meter[16];          /* "" = auto (table order); else a c12_meter_ops name */
    double watts_per_core;   /* > 0: use this instead of the TDP estimate */
    double pue;              /* power usage effectiveness, >= 1 (default 1.0) */
    int n_cpus;              /* 0 = online CPUs (for the constant fallback) */
    char rapl_root[C12_ENERGY_PATH_MAX];    /* default /sys/class/powercap */
    char cpuinfo_path[C12_ENERGY_PATH_MAX]; /* default /proc/cpuinfo */
} c12_energy_cfg;

void c12_energy_cfg_defaults(c12_energy_cfg *cfg);
/* Set one `energy:` key of the configuration from its text (energy_cfg.c
 * lists them): meter, watts_per_core, pue, cpus, rapl_root, cpuinfo.
 * C12_ERR_INVALID names the key; cfg is unchanged on failure. */
c12_rc c12_energy_cfg_set(c12_energy_cfg *cfg, const char *key, const char *value, c12_err *err);

/* What begin() records; owned by the caller (one per request). */
typedef struct c12_energy_mark {
    int64_t wall_ns;
    int64_t proc_cpu_ns;
    int n_domains;
    uint64_t uj[C12_RAPL_MAX_DOMAINS];
} c12_energy_mark;

typedef struct c12_energy_result {
    double joules;
    double cpu_s;   /* CPU seconds attributed to the work */
    double wall_s;
    double watts_per_core; /* the constant a cputime meter used; 0 for RAPL */
    char method[C12_ENERGY_METHOD_MAX]; /* "rapl", "cputime-tdp", "cputime-constant", ... */
} c12_energy_result;

typedef struct c12_meter_ops {
    const char *name; /* "rapl", "cputime" */
    /* C12_ERR_UNSUPPORTED when this machine cannot meter this way. */
    c12_rc (*create)(const c12_energy_cfg *cfg, void **out, c12_err *err);
    void (*destroy)(void *self);
    c12_rc (*begin)(void *self, c12_energy_mark *mark, c12_err *err);
    /* cpu_s >= 0: the CPU seconds the work's threads spent (reported by the
     * caller); < 0: not known, use the process's CPU time over the interval. */
    c12_rc (*end)(void *self, const c12_energy_mark *mark, double cpu_s, c12_energy_result *out,
                  c12_err *err);
    /* A line for humans: what is measured, with which constants. */
    void (*describe)(const void *self, char *buf, size_t cap);
} c12_meter_ops;

/* The built-in meters in preference order, NULL-terminated (meters.c). */
extern const c12_meter_ops *const c12_energy_meters[];

typedef struct c12_meter c12_meter;

/* Open cfg->meter, or (auto) the first meter of the table whose create works;
 * `why` (may be NULL) receives why earlier ones were skipped. */
c12_rc c12_meter_open(const c12_energy_cfg *cfg, c12_meter **out, char *why, size_t why_cap,
                      c12_err *err);
/* Open a meter of the given operations (one of the table's, or a test's fake). */
c12_rc c12_meter_open_ops(const c12_meter_ops *ops, const c12_energy_cfg *cfg, c12_meter **out, c12_err *err);
void c12_meter_close(c12_meter *m);
const char *c12_meter_name(const c12_meter *m);
void c12_meter_describe(const c12_meter *m, char *buf, size_t cap);
c12_rc c12_meter_begin(const c12_meter *m, c12_energy_mark *mark, c12_err *err);
c12_rc c12_meter_end(const c12_meter *m, const c12_energy_mark *mark, double cpu_s,
                     c12_energy_result *out, c12_err *err);

/* Grams CO2e of `joules` at `intensity_g_kwh` in a building with `pue`:
 * kWh x intensity x PUE. Negative or non-finite inputs give 0. */
double c12_energy_gco2(double joules, double intensity_g_kwh, double pue);

/* ---- CPU power estimate (cpu_tdp.c) ---- */

typedef struct c12_cpu_power {
    char model[128];      /* "model name" from cpuinfo, or "" */
    double tdp_w;         /* the package's TDP (table or constant) */
    int threads;          /* what tdp_w is divided by */
    double watts_per_core;
    int from_table;       /* 1: model found in the TDP table; 0: constant */
} c12_cpu_power;

/* Estimate the power of one busy hardware thread, the way CodeCarbon does in
 * its process mode: the package's TDP divided by its threads. A model in the
 * table (cpu_tdp.c) gives TDP and threads; otherwise CodeCarbon's constant
 * (85 W) is divided by n_cpus (0: the online CPUs). */
void c12_cpu_power_estimate(const char *cpuinfo_path, int n_cpus, c12_cpu_power *out);
/* Look a cpuinfo model name up in the table; 1 when found. */
int c12_cpu_tdp_lookup(const char *model_name, double *tdp_w, int *threads);

/* CPU clocks, in ns (clock_gettime; monotonic time is base/c12_clock.h). */
int64_t c12_energy_process_cpu_ns(void);
int64_t c12_energy_thread_cpu_ns(void);
/* CPU time of another thread of this process (pthread_getcpuclockid), so a
 * caller can sum its worker pool's threads and report cpu_s; 0 on failure. */
int64_t c12_energy_pthread_cpu_ns(pthread_t thread);

#endif
