/* datadir.c - where the bundled data (the GB 2023 trace) is found, so that
 * C12 answers with no key, no network and no configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "base/c12_file.h"
#include "carbon/carbon.h"
#include "carbon/carbon_parse.h"

#ifndef C12_INSTALL_DATADIR
#define C12_INSTALL_DATADIR "/usr/local/share/c12"
#endif

static int readable(const char *path) { return access(path, R_OK) == 0; }

/* Try dir/rel; on success copy into out. */
static int try_path(const char *dir, const char *rel, char *out, size_t size)
{
    char p[4096];
    int n = snprintf(p, sizeof p, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof p || (size_t)n >= size || !readable(p)) return 0;
    memcpy(out, p, (size_t)n + 1);
    return 1;
}

/* data/rel beside the binary and up to three folders above it. */
static int near_binary(const char *rel, char *out, size_t size)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    for (int up = 0; up <= 3; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash) return 0;
        *slash = '\0';
        char dir[4096 + 8];
        snprintf(dir, sizeof dir, "%s/data", exe[0] ? exe : "");
        if (try_path(dir, rel, out, size)) return 1;
    }
    return 0;
}

c12_rc c12_carbon_data_path(const char *rel, char *out, size_t size, c12_err *err)
{
    const char *env = getenv("C12_DATA_DIR");
    if (env && *env && try_path(env, rel, out, size)) return C12_OK;
    if (near_binary(rel, out, size)) return C12_OK;
    if (try_path(C12_INSTALL_DATADIR, rel, out, size)) return C12_OK;
    return c12_fail(err, C12_ERR_NOT_FOUND,
                    "%s not found in $C12_DATA_DIR, beside the c12 binary (data/), or in %s", rel,
                    C12_INSTALL_DATADIR);
}

c12_rc c12_carbon_trace_load(const char *path, char *path_out, size_t size, c12_carbon_series *out, c12_err *err)
{
    c12_rc rc = path ? C12_OK : c12_carbon_data_path(C12_CARBON_BUNDLED_TRACE, path_out, size, err);
    if (rc) return rc;
    if (path) snprintf(path_out, size, "%s", path);
    char *text = NULL;
    size_t len = 0;
    if ((rc = c12_read_file(path_out, 64u << 20, &text, &len, err))) return rc;
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    rc = c12_carbon_parse_trace_csv(text, len, &s, err);
    c12_free(text);
    if (rc) {
        c12_carbon_series_free(&s);
        return rc;
    }
    c12_carbon_series_free(out);
    *out = s;
    return C12_OK;
}
