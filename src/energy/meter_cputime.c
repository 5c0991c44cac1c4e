/* meter_cputime.c - energy as CPU seconds times the power of one busy core.
 *
 * Works everywhere. The power per core is configured (energy.watts_per_core),
 * or estimated from the CPU's TDP (cpu_tdp.c). CPU time, unlike wall time,
 * does not grow while a request waits, and it counts every thread that worked
 * (the engine's pool spins between steps; that spinning burns real power, so
 * it is rightly counted). */
#include <stdio.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "energy/energy.h"

typedef struct cputime_meter {
    c12_cpu_power power;
    const char *method;
} cputime_meter;

static c12_rc cputime_create(const c12_energy_cfg *cfg, void **out, c12_err *err)
{
    if (cfg->watts_per_core < 0)
        return c12_fail(err, C12_ERR_INVALID, "energy: watts_per_core must not be negative");
    cputime_meter *m = c12_calloc(1, sizeof *m);
    if (!m) return c12_fail(err, C12_ERR_NOMEM, "energy: no memory");
    c12_cpu_power_estimate(cfg->cpuinfo_path, cfg->n_cpus, &m->power);
    m->method = m->power.from_table ? "cputime-tdp" : "cputime-constant";
    if (cfg->watts_per_core > 0) {
        m->power.watts_per_core = cfg->watts_per_core;
        m->method = "cputime-config";
    }
    *out = m;
    return C12_OK;
}

static void cputime_destroy(void *self) { c12_free(self); }

static c12_rc cputime_begin(void *self, c12_energy_mark *mark, c12_err *err)
{
    (void)self;
    (void)err;
    *mark = (c12_energy_mark){0};
    mark->wall_ns = c12_clock_ns();
    mark->proc_cpu_ns = c12_energy_process_cpu_ns();
    return C12_OK;
}

static c12_rc cputime_end(void *self, const c12_energy_mark *mark, double cpu_s,
                          c12_energy_result *out, c12_err *err)
{
    (void)err;
    const cputime_meter *m = self;
    c12_energy_result r = {0};
    r.wall_s = (double)(c12_clock_ns() - mark->wall_ns) * 1e-9;
    if (cpu_s < 0) cpu_s = (double)(c12_energy_process_cpu_ns() - mark->proc_cpu_ns) * 1e-9;
    r.cpu_s = cpu_s > 0 ? cpu_s : 0;
    r.watts_per_core = m->power.watts_per_core;
    r.joules = r.cpu_s * r.watts_per_core;
    snprintf(r.method, sizeof r.method, "%s", m->method);
    *out = r;
    return C12_OK;
}

static void cputime_describe(const void *self, char *buf, size_t cap)
{
    const cputime_meter *m = self;
    const c12_cpu_power *p = &m->power;
    snprintf(buf, cap, "%s: %.3f W per busy core (CPU '%s', %s %.0f W / %d threads)", m->method,
             p->watts_per_core, p->model[0] ? p->model : "unknown",
             p->from_table ? "TDP" : "CodeCarbon default", p->tdp_w, p->threads);
}

const c12_meter_ops c12_meter_cputime_ops = {
    .name = "cputime",
    .create = cputime_create,
    .destroy = cputime_destroy,
    .begin = cputime_begin,
    .end = cputime_end,
    .describe = cputime_describe,
};
