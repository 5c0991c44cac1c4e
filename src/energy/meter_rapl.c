/* meter_rapl.c - energy from the RAPL package counters in sysfs
 * (/sys/class/powercap/intel-rapl:N/energy_uj; AMD Zen exposes the same).
 *
 * Only package domains are summed: core and uncore are inside the package,
 * and DRAM and psys (the whole platform) are not CPU (CodeCarbon's default).
 * A counter wraps to 0 after max_energy_range_uj. Since Linux 5.10 the
 * counters are readable by root only (CVE-2020-8694, a power side channel);
 * then this meter reports UNSUPPORTED and the table moves on to CPU time.
 *
 * A package counter sees every process on the package. When the caller
 * reports its threads' CPU seconds, the request is charged the package energy
 * times its share of this process's CPU time over the interval. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "energy/energy.h"

typedef struct rapl_domain {
    char path[C12_ENERGY_PATH_MAX + 320]; /* .../energy_uj */
    uint64_t max_uj;
} rapl_domain;

typedef struct rapl_meter {
    int n;
    rapl_domain d[C12_RAPL_MAX_DOMAINS];
    char root[C12_ENERGY_PATH_MAX];
} rapl_meter;

/* A small sysfs file as text (trailing newline dropped); errno set on failure. */
static int read_small(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    int bad = ferror(f);
    int saved = errno;
    fclose(f);
    if (bad) {
        errno = saved ? saved : EIO;
        return -1;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int read_u64(const char *path, uint64_t *out)
{
    char buf[64], *end;
    if (read_small(path, buf, sizeof buf) != 0) return -1;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (end == buf || errno) {
        errno = EINVAL;
        return -1;
    }
    *out = v;
    return 0;
}

/* A top-level domain ("intel-rapl:0", not "intel-rapl:0:1") named package-N. */
static int is_package(const char *root, const char *entry)
{
    char path[C12_ENERGY_PATH_MAX + 320], name[64];
    if (strncmp(entry, "intel-rapl:", 11) != 0 || strchr(entry + 11, ':')) return 0;
    snprintf(path, sizeof path, "%s/%s/name", root, entry);
    return read_small(path, name, sizeof name) == 0 && strncmp(name, "package", 7) == 0;
}

static int cmp_domain(const void *a, const void *b)
{
    return strcmp(((const rapl_domain *)a)->path, ((const rapl_domain *)b)->path);
}

static c12_rc add_domain(rapl_meter *m, const char *entry, c12_err *err)
{
    rapl_domain *d = &m->d[m->n];
    char max_path[C12_ENERGY_PATH_MAX + 320];
    uint64_t now;
    snprintf(d->path, sizeof d->path, "%s/%s/energy_uj", m->root, entry);
    snprintf(max_path, sizeof max_path, "%s/%s/max_energy_range_uj", m->root, entry);
    if (read_u64(d->path, &now) != 0)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "%s: %s%s", d->path, strerror(errno),
                        errno == EACCES ? " (root only since Linux 5.10)" : "");
    if (read_u64(max_path, &d->max_uj) != 0 || d->max_uj == 0)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "%s: unreadable", max_path);
    m->n++;
    return C12_OK;
}

/* Fill m->d with the readable package domains under root. */
static c12_rc find_domains(rapl_meter *m, c12_err *err)
{
    DIR *dir = opendir(m->root);
    if (!dir) return c12_fail(err, C12_ERR_UNSUPPORTED, "no %s", m->root);
    struct dirent *e;
    c12_rc rc = C12_OK;
    while (rc == C12_OK && m->n < C12_RAPL_MAX_DOMAINS && (e = readdir(dir)))
        if (is_package(m->root, e->d_name)) rc = add_domain(m, e->d_name, err);
    closedir(dir);
    if (rc == C12_OK && m->n == 0)
        rc = c12_fail(err, C12_ERR_UNSUPPORTED, "no RAPL package domain under %s", m->root);
    qsort(m->d, (size_t)m->n, sizeof m->d[0], cmp_domain);
    return rc;
}

static c12_rc rapl_create(const c12_energy_cfg *cfg, void **out, c12_err *err)
{
    rapl_meter *m = c12_calloc(1, sizeof *m);
    if (!m) return c12_fail(err, C12_ERR_NOMEM, "energy: no memory");
    snprintf(m->root, sizeof m->root, "%s", cfg->rapl_root);
    c12_rc rc = find_domains(m, err);
    if (rc) {
        c12_free(m);
        return rc;
    }
    *out = m;
    return C12_OK;
}

static void rapl_destroy(void *self) { c12_free(self); }

static c12_rc read_all(const rapl_meter *m, uint64_t *uj, c12_err *err)
{
    for (int i = 0; i < m->n; i++)
        if (read_u64(m->d[i].path, &uj[i]) != 0)
            return c12_fail(err, C12_ERR_IO, "%s: %s", m->d[i].path, strerror(errno));
    return C12_OK;
}

static c12_rc rapl_begin(void *self, c12_energy_mark *mark, c12_err *err)
{
    const rapl_meter *m = self;
    c12_energy_mark k = {0};
    k.n_domains = m->n;
    k.wall_ns = c12_clock_ns();
    k.proc_cpu_ns = c12_energy_process_cpu_ns();
    c12_rc rc = read_all(m, k.uj, err);
    if (rc == C12_OK) *mark = k;
    return rc;
}

/* Energy between two readings of a counter that wraps after max_uj. */
static uint64_t delta_uj(uint64_t before, uint64_t after, uint64_t max_uj)
{
    if (after >= before) return after - before;
    return (max_uj - before) + after;
}

static c12_rc rapl_end(void *self, const c12_energy_mark *mark, double cpu_s,
                       c12_energy_result *out, c12_err *err)
{
    const rapl_meter *m = self;
    if (mark->n_domains != m->n) return c12_fail(err, C12_ERR_INVALID, "energy: foreign mark");
    uint64_t now[C12_RAPL_MAX_DOMAINS];
    c12_rc rc = read_all(m, now, err);
    if (rc) return rc;
    c12_energy_result r = {0};
    double uj = 0;
    for (int i = 0; i < m->n; i++) uj += (double)delta_uj(mark->uj[i], now[i], m->d[i].max_uj);
    r.joules = uj * 1e-6;
    r.wall_s = (double)(c12_clock_ns() - mark->wall_ns) * 1e-9;
    double proc_s = (double)(c12_energy_process_cpu_ns() - mark->proc_cpu_ns) * 1e-9;
    r.cpu_s = cpu_s >= 0 ? cpu_s : (proc_s > 0 ? proc_s : 0);
    if (cpu_s >= 0 && proc_s > 0 && cpu_s < proc_s) r.joules *= cpu_s / proc_s;
    snprintf(r.method, sizeof r.method, "rapl");
    *out = r;
    return C12_OK;
}

static void rapl_describe(const void *self, char *buf, size_t cap)
{
    const rapl_meter *m = self;
    snprintf(buf, cap, "rapl: %d package domain%s under %s", m->n, m->n == 1 ? "" : "s", m->root);
}

const c12_meter_ops c12_meter_rapl_ops = {
    .name = "rapl",
    .create = rapl_create,
    .destroy = rapl_destroy,
    .begin = rapl_begin,
    .end = rapl_end,
    .describe = rapl_describe,
};
