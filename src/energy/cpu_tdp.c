/* cpu_tdp.c - the power of one busy hardware thread, estimated from the CPU's
 * thermal design power the way CodeCarbon does without RAPL.
 *
 * CodeCarbon (codecarbon/external/hardware.py, process tracking mode) charges
 * a process TDP x (its CPU seconds / wall seconds) / CPU count, i.e. TDP per
 * CPU for each CPU second. C12 does the same, with one change for known
 * models: the TDP is divided by the package's own hardware threads rather
 * than by the CPUs this machine sees, because a cloud VM sees only a few
 * threads of a large package and would otherwise be charged the whole
 * package's TDP. For an unknown model C12 uses CodeCarbon's constant, 85 W
 * (POWER_CONSTANT), divided by the online CPUs, as CodeCarbon does.
 *
 * Data: TDP from CodeCarbon's codecarbon/data/hardware/cpu_power.csv (MIT);
 * threads per package from the vendors' specification pages (AMD, Intel ARK).
 * A small table of CPUs common in servers and clouds; more rows are welcome,
 * and energy.watts_per_core overrides the estimate. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "energy/energy.h"

typedef struct tdp_row {
    const char *name; /* as in CodeCarbon's table */
    double tdp_w;
    int threads;      /* per package */
} tdp_row;

static const tdp_row TDP_TABLE[] = {
    {"AMD EPYC 7313", 155, 32},       {"AMD EPYC 7402", 180, 48},
    {"AMD EPYC 7502", 180, 64},       {"AMD EPYC 7543", 225, 64},
    {"AMD EPYC 7551", 180, 64},       {"AMD EPYC 7702", 200, 128},
    {"AMD EPYC 7742", 225, 128},
    {"AMD EPYC 7763", 280, 128},      {"AMD EPYC 7B12", 240, 128},
    {"AMD EPYC 7H12", 280, 128},      {"AMD Ryzen 3 3300X", 65, 8},
    {"Intel Xeon E5-2673 v3", 110, 24}, {"Intel Xeon E5-2680 v4", 120, 28},
    {"Intel Xeon E5-2690 v2", 130, 20}, {"Intel Xeon Gold 6154", 200, 36},
    {"Intel Xeon Platinum 8171M", 165, 52}, {"Intel Xeon Platinum 8180", 205, 56},
    {"Intel Xeon Platinum 8259CL", 210, 48}, {"Intel Xeon Platinum 8260", 165, 48},
    {"Intel Xeon Platinum 8280", 205, 56}, {"Intel Xeon Silver 4116", 85, 24},
};

/* Lower-case, drop "(R)"/"(TM)", turn punctuation other than '-' into spaces,
 * and pad with one space each side so that whole words can be matched with
 * strstr(" epyc 7763 "). */
static void normalize(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    out[o++] = ' ';
    for (const char *p = in; *p && o + 2 < cap; p++) {
        if (p[0] == '(' && (strncmp(p, "(R)", 3) == 0 || strncmp(p, "(r)", 3) == 0)) {
            p += 2;
            continue;
        }
        if (strncmp(p, "(TM)", 4) == 0 || strncmp(p, "(tm)", 4) == 0) {
            p += 3;
            continue;
        }
        char c = (char)tolower((unsigned char)*p);
        if (!isalnum((unsigned char)c) && c != '-') c = ' ';
        if (c == ' ' && out[o - 1] == ' ') continue;
        out[o++] = c;
    }
    if (out[o - 1] != ' ') out[o++] = ' ';
    out[o] = '\0';
}

int c12_cpu_tdp_lookup(const char *model_name, double *tdp_w, int *threads)
{
    char have[256], want[128];
    normalize(model_name, have, sizeof have);
    size_t best = 0, best_len = 0;
    for (size_t i = 0; i < sizeof TDP_TABLE / sizeof TDP_TABLE[0]; i++) {
        normalize(TDP_TABLE[i].name, want, sizeof want);
        size_t len = strlen(want);
        /* the longest name that matches, so "7313P" is not taken for "7313" */
        if (strstr(have, want) && len > best_len) {
            best = i;
            best_len = len;
        }
    }
    if (!best_len) return 0;
    *tdp_w = TDP_TABLE[best].tdp_w;
    *threads = TDP_TABLE[best].threads;
    return 1;
}

/* The first "model name" line of cpuinfo into out ("" when there is none). */
static void read_model_name(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) continue;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        size_t n = strcspn(v, "\r\n");
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
        snprintf(out, cap, "%.*s", (int)n, v);
        break;
    }
    fclose(f);
}

void c12_cpu_power_estimate(const char *cpuinfo_path, int n_cpus, c12_cpu_power *out)
{
    c12_cpu_power p = {0};
    read_model_name(cpuinfo_path, p.model, sizeof p.model);
    if (p.model[0] && c12_cpu_tdp_lookup(p.model, &p.tdp_w, &p.threads)) {
        p.from_table = 1;
    } else {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        p.tdp_w = C12_ENERGY_DEFAULT_TDP_W;
        p.threads = n_cpus > 0 ? n_cpus : (online > 0 ? (int)online : 1);
    }
    p.watts_per_core = p.tdp_w / p.threads;
    *out = p;
}
