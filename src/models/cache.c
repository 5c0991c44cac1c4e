/* cache.c - where models live, and what `-m NAME_OR_PATH` means. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "models/models.h"
#include "base/c12_home.h"

c12_rc c12_models_dir(char *out, size_t cap, c12_err *err)
{
    return c12_home_path("models", out, cap, err);
}

c12_rc c12_models_path(const c12_model_entry *e, char *out, size_t cap, c12_err *err)
{
    char dir[4096];
    c12_rc rc = c12_models_dir(dir, sizeof dir, err);
    if (rc) return rc;
    int n = snprintf(NULL, 0, "%s/%s.gguf", dir, e->name);
    if (n < 0 || (size_t)n >= cap)
        return c12_fail(err, C12_ERR_RANGE, "the model path %s/%s.gguf is too long", dir, e->name);
    snprintf(out, cap, "%s/%s.gguf", dir, e->name);
    return C12_OK;
}

int c12_models_present(const c12_model_entry *e, const char *path)
{
    struct stat st;
    return !stat(path, &st) && S_ISREG(st.st_mode) && (uint64_t)st.st_size == e->size;
}

static int looks_like_path(const char *s)
{
    size_t len = strlen(s);
    return strchr(s, '/') || (len >= 5 && !strcmp(s + len - 5, ".gguf"));
}

c12_rc c12_models_resolve(const char *name_or_path, char *path, size_t cap, c12_err *err)
{
    if (!name_or_path || !*name_or_path)
        return c12_fail(err, C12_ERR_INVALID, "no model given");
    if (looks_like_path(name_or_path)) {
        struct stat st;
        if (stat(name_or_path, &st) || !S_ISREG(st.st_mode))
            return c12_fail(err, C12_ERR_NOT_FOUND, "model file not found: %s", name_or_path);
        size_t len = strlen(name_or_path);
        if (len >= cap) return c12_fail(err, C12_ERR_RANGE, "model path too long: %s", name_or_path);
        memcpy(path, name_or_path, len + 1);
        return C12_OK;
    }
    const c12_model_entry *e = c12_catalog_find(name_or_path);
    if (!e) {
        char names[256];
        c12_catalog_names(names, sizeof names);
        return c12_fail(err, C12_ERR_NOT_FOUND, "unknown model '%s' (known: %s; or give a .gguf path)",
                        name_or_path, names);
    }
    char p[4096];
    c12_rc rc = c12_models_path(e, p, sizeof p, err);
    if (rc) return rc;
    if (!c12_models_present(e, p))
        return c12_fail(err, C12_ERR_NOT_FOUND, "model %s is not in the cache (%s); run: c12 models pull %s",
                        e->name, p, e->name);
    size_t len = strlen(p);
    if (len >= cap) return c12_fail(err, C12_ERR_RANGE, "model path too long: %s", p);
    memcpy(path, p, len + 1);
    return C12_OK;
}
