#include "cli_model.h"

#include <limits.h>
#include <stdio.h>

#include "models/models.h"

c12_model *cli_load_model(const char *cmd, const char *name_or_path)
{
    c12_err err;
    c12_err_clear(&err);
    char path[PATH_MAX];
    c12_model *m = NULL;
    if (c12_models_resolve(name_or_path, path, sizeof path, &err) ||
        c12_model_load(path, &m, &err)) {
        fprintf(stderr, "c12 %s: %s\n", cmd, err.msg);
        return NULL;
    }
    return m;
}
