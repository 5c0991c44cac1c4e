/* serve_policy.c - the policy as `c12 serve` uses it: the policy: section
 * and the calibration, narrowed to the models this server can serve. A
 * policy model is a candidate only when the configuration serves it (by id,
 * else by catalogue source) and its GGUF is present: the router must never
 * pick a model it has no file for. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "energy/calib.h"
#include "models/models.h"
#include "server/serve_env.h"

int c12_server_policy_model(const c12_config *cfg, const char *name)
{
    int i = c12_config_find_model(cfg, name);
    if (i >= 0) return i;
    for (size_t k = 0; k < cfg->n_models; k++)
        if (!strcmp(cfg->models[k].source, name)) return (int)k;
    return -1;
}

int c12_server_model_present(const c12_model_cfg *m, void *ud)
{
    (void)ud;
    char path[PATH_MAX];
    c12_err err;
    if (c12_model_remote(m)) return 1; /* its sites have it: no file here */
    return c12_models_resolve(m->source, path, sizeof path, &err) == C12_OK;
}

static void note_add(char *note, size_t cap, const char *name, const char *why)
{
    size_t used = strlen(note);
    if (used + 1 < cap) snprintf(note + used, cap - used, "%s%s (%s)", used ? ", " : "", name, why);
}

size_t c12_server_policy_filter(const c12_policy_params *in, const c12_config *cfg, c12_model_present_fn present,
                                void *ud, c12_policy_params *out, char *note, size_t cap)
{
    *out = *in;
    out->n_models = 0;
    if (cap) note[0] = '\0';
    for (size_t i = 0; i < in->n_models; i++) {
        int idx = c12_server_policy_model(cfg, in->models[i].name);
        if (idx < 0) note_add(note, cap, in->models[i].name, "not served");
        else if (present && !present(&cfg->models[idx], ud)) note_add(note, cap, in->models[i].name, "no model file");
        else {
            out->models[out->n_models] = in->models[i];
            out->models[out->n_models++].served_idx = idx;
        }
    }
    return out->n_models;
}

/* The calibration file, or NULL (missing: every cost estimated). */
static c12_calibration *calibration(char *note, size_t cap)
{
    char path[1024];
    c12_calibration *cal = NULL;
    c12_err err;
    c12_rc rc = c12_calib_default_path(path, sizeof path, &err);
    if (!rc) rc = c12_calib_load(path, &cal, &err);
    if (rc && rc != C12_ERR_NOT_FOUND) {
        size_t used = strlen(note);
        snprintf(note + used, cap - used, "%scalibration unusable, costs estimated: %s", used ? "; " : "", err.msg);
    }
    return rc ? NULL : cal;
}

c12_rc c12_server_policy_build(const c12_config *cfg, const c12_policy_params *all, c12_policy **out, char *note,
                               size_t cap, c12_err *err)
{
    c12_policy_params served;
    char left_out[512];
    c12_server_policy_filter(all, cfg, c12_server_model_present, NULL, &served, left_out, sizeof left_out);
    snprintf(note, cap, "%s%s", left_out[0] ? "left out: " : "", left_out);
    if (served.n_models == 0) {
        *out = NULL;
        return C12_OK;
    }
    c12_calibration *cal = calibration(note, cap);
    c12_rc rc = c12_policy_new(&served, cal, out, err);
    c12_calib_free(cal);
    return rc;
}
