/* meters.c - the table of energy meters, opening one, and the tiny pure
 * functions everybody shares (emissions, clocks). Adding a meter is a new
 * meter_*.c file and a row here; nothing else branches on meter names. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "energy/energy.h"

extern const c12_meter_ops c12_meter_rapl_ops;
extern const c12_meter_ops c12_meter_cputime_ops;

/* RAPL first: a hardware counter beats any estimate. */
const c12_meter_ops *const c12_energy_meters[] = {&c12_meter_rapl_ops, &c12_meter_cputime_ops, NULL};

struct c12_meter {
    const c12_meter_ops *ops;
    void *self;
};

void c12_energy_cfg_defaults(c12_energy_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->pue = 1.0;
    snprintf(cfg->rapl_root, sizeof cfg->rapl_root, "/sys/class/powercap");
    snprintf(cfg->cpuinfo_path, sizeof cfg->cpuinfo_path, "/proc/cpuinfo");
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t c12_energy_process_cpu_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }
int64_t c12_energy_thread_cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

int64_t c12_energy_pthread_cpu_ns(pthread_t thread)
{
    clockid_t id;
    if (pthread_getcpuclockid(thread, &id) != 0) return 0;
    return clock_ns(id);
}

double c12_energy_gco2(double joules, double intensity_g_kwh, double pue)
{
    if (!isfinite(joules) || !isfinite(intensity_g_kwh) || !isfinite(pue)) return 0;
    if (joules <= 0 || intensity_g_kwh <= 0 || pue <= 0) return 0;
    return joules / C12_J_PER_KWH * intensity_g_kwh * pue;
}

static const c12_meter_ops *find_meter(const char *name)
{
    for (size_t i = 0; c12_energy_meters[i]; i++)
        if (strcmp(c12_energy_meters[i]->name, name) == 0) return c12_energy_meters[i];
    return NULL;
}

static c12_rc wrap(const c12_meter_ops *ops, void *self, c12_meter **out, c12_err *err)
{
    c12_meter *m = c12_calloc(1, sizeof *m);
    if (!m) {
        ops->destroy(self);
        return c12_fail(err, C12_ERR_NOMEM, "energy: no memory");
    }
    m->ops = ops;
    m->self = self;
    *out = m;
    return C12_OK;
}

/* Append "name: reason; " to why (truncating quietly: it is advice). */
static void note_skip(char *why, size_t cap, const char *name, const char *msg)
{
    if (!why || !cap) return;
    size_t len = strlen(why);
    if (len < cap) snprintf(why + len, cap - len, "%s%s: %s", len ? "; " : "", name, msg);
}

c12_rc c12_meter_open_ops(const c12_meter_ops *ops, const c12_energy_cfg *cfg, c12_meter **out, c12_err *err)
{
    void *self = NULL;
    c12_rc rc = ops->create(cfg, &self, err);
    return rc ? rc : wrap(ops, self, out, err);
}

c12_rc c12_meter_open(const c12_energy_cfg *cfg, c12_meter **out, char *why, size_t why_cap,
                      c12_err *err)
{
    void *self = NULL;
    if (why && why_cap) why[0] = '\0';
    if (cfg->meter[0]) {
        const c12_meter_ops *ops = find_meter(cfg->meter);
        if (!ops) return c12_fail(err, C12_ERR_INVALID, "energy: unknown meter '%s'", cfg->meter);
        return c12_meter_open_ops(ops, cfg, out, err);
    }
    for (size_t i = 0; c12_energy_meters[i]; i++) {
        const c12_meter_ops *ops = c12_energy_meters[i];
        c12_err e;
        c12_rc rc = ops->create(cfg, &self, &e);
        if (rc == C12_OK) return wrap(ops, self, out, err);
        if (rc != C12_ERR_UNSUPPORTED) return c12_fail(err, rc, "%s", e.msg);
        note_skip(why, why_cap, ops->name, e.msg);
    }
    return c12_fail(err, C12_ERR_UNSUPPORTED, "energy: no meter works here");
}

void c12_meter_close(c12_meter *m)
{
    if (!m) return;
    m->ops->destroy(m->self);
    c12_free(m);
}

const char *c12_meter_name(const c12_meter *m) { return m->ops->name; }

void c12_meter_describe(const c12_meter *m, char *buf, size_t cap)
{
    m->ops->describe(m->self, buf, cap);
}

c12_rc c12_meter_begin(const c12_meter *m, c12_energy_mark *mark, c12_err *err)
{
    return m->ops->begin(m->self, mark, err);
}

c12_rc c12_meter_end(const c12_meter *m, const c12_energy_mark *mark, double cpu_s,
                     c12_energy_result *out, c12_err *err)
{
    return m->ops->end(m->self, mark, cpu_s, out, err);
}
