/* energy_cfg.c - the `energy:` keys of the configuration, one row each, so
 * that the YAML reader (src/config) hands over key and text without knowing
 * what they mean:
 *
 *   energy:
 *     meter: ""              # "" auto (rapl, then cputime); or rapl | cputime
 *     watts_per_core: 0      # > 0 overrides the TDP estimate (W per busy core)
 *     pue: 1.0               # power usage effectiveness of the building, 1..3
 *     cpus: 0                # CPUs the constant fallback divides by (0: online)
 *     rapl_root: /sys/class/powercap
 *     cpuinfo: /proc/cpuinfo */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "energy/energy.h"

typedef c12_rc (*set_fn)(c12_energy_cfg *c, const char *v, c12_err *err);

static c12_rc number(const char *v, double lo, double hi, double *out, const char *key, c12_err *err)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d) || d < lo || d > hi)
        return c12_fail(err, C12_ERR_INVALID, "energy.%s: '%s' is not a number in %g..%g", key, v,
                        lo, hi);
    *out = d;
    return C12_OK;
}

static c12_rc text(char *dst, size_t cap, const char *v, const char *key, c12_err *err)
{
    if (strlen(v) >= cap) return c12_fail(err, C12_ERR_RANGE, "energy.%s: too long", key);
    memcpy(dst, v, strlen(v) + 1);
    return C12_OK;
}

static c12_rc set_meter(c12_energy_cfg *c, const char *v, c12_err *err)
{
    for (size_t i = 0; v[0] && c12_energy_meters[i]; i++)
        if (strcmp(c12_energy_meters[i]->name, v) == 0) return text(c->meter, sizeof c->meter, v, "meter", err);
    if (!v[0]) return text(c->meter, sizeof c->meter, v, "meter", err);
    return c12_fail(err, C12_ERR_INVALID, "energy.meter: unknown meter '%s' (rapl, cputime)", v);
}

static c12_rc set_watts(c12_energy_cfg *c, const char *v, c12_err *err)
{
    return number(v, 0, 1000, &c->watts_per_core, "watts_per_core", err);
}

static c12_rc set_pue(c12_energy_cfg *c, const char *v, c12_err *err)
{
    return number(v, 1, 3, &c->pue, "pue", err);
}

static c12_rc set_cpus(c12_energy_cfg *c, const char *v, c12_err *err)
{
    double d;
    c12_rc rc = number(v, 0, 4096, &d, "cpus", err);
    if (rc == C12_OK && d != floor(d)) rc = c12_fail(err, C12_ERR_INVALID, "energy.cpus: a whole number");
    if (rc == C12_OK) c->n_cpus = (int)d;
    return rc;
}

static c12_rc set_rapl(c12_energy_cfg *c, const char *v, c12_err *err)
{
    return text(c->rapl_root, sizeof c->rapl_root, v, "rapl_root", err);
}

static c12_rc set_cpuinfo(c12_energy_cfg *c, const char *v, c12_err *err)
{
    return text(c->cpuinfo_path, sizeof c->cpuinfo_path, v, "cpuinfo", err);
}

static const struct {
    const char *key;
    set_fn set;
} KEYS[] = {{"meter", set_meter},         {"watts_per_core", set_watts}, {"pue", set_pue},
            {"cpus", set_cpus},           {"rapl_root", set_rapl},       {"cpuinfo", set_cpuinfo}};

c12_rc c12_energy_cfg_set(c12_energy_cfg *cfg, const char *key, const char *value, c12_err *err)
{
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if (strcmp(KEYS[i].key, key) == 0) {
            c12_energy_cfg c = *cfg; /* cfg changes only on success */
            c12_rc rc = KEYS[i].set(&c, value, err);
            if (rc == C12_OK) *cfg = c;
            return rc;
        }
    return c12_fail(err, C12_ERR_INVALID, "energy.%s: unknown key", key);
}
