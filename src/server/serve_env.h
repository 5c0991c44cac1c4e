/* serve_env.h - what `c12 serve` builds from its configuration besides the
 * pool: the carbon cache (carbon:), the energy meter (energy:), the ledger
 * (ledger:) and the policy slot (policy:, with $C12_HOME/calibration.json),
 * and the glue between the policy's model names and the served models. */
#ifndef C12_SERVE_ENV_H
#define C12_SERVE_ENV_H

#include "config/config.h"
#include "energy/energy.h"
#include "ledger/ledger.h"
#include "route/policy.h"
#include "server/server.h"

typedef struct c12_serve_env c12_serve_env;

/* Open everything from cfg's sections. ledger_path: overrides ledger.path
 * (NULL: no). cfg must outlive the env. Logs what it opened to stderr. */
c12_rc c12_serve_env_open(const c12_config *cfg, const char *ledger_path, c12_serve_env **out, c12_err *err);
/* The pointers the server reads (valid until close). */
void c12_serve_env_deps(c12_serve_env *e, c12_server_deps *out);
/* SIGHUP: read the file once more (c12_config_reload), build the policy
 * from its policy: section (and the calibration) and swap it in. On
 * failure the old policy stays and err says why. */
c12_rc c12_serve_env_reload(c12_serve_env *e, c12_err *err);
/* Drain and close the ledger (every accepted row committed), stop the
 * carbon refresher, free. Call after the server is freed. */
c12_rc c12_serve_env_close(c12_serve_env *e, c12_err *err);

/* ---- policy glue (serve_policy.c) ---- */

/* The served model a policy model name stands for: the one whose id is the
 * name, else the first whose source is (a catalogue name); -1: not served. */
int c12_server_policy_model(const c12_config *cfg, const char *name);

typedef int (*c12_model_present_fn)(const c12_model_cfg *m, void *ud);
/* The policy models that cfg serves and whose file is present, in order,
 * each with its served_idx set; `note` lists those left out and why.
 * Returns how many are kept. */
size_t c12_server_policy_filter(const c12_policy_params *in, const c12_config *cfg, c12_model_present_fn present,
                                void *ud, c12_policy_params *out, char *note, size_t cap);
/* Whether a model's GGUF resolves (catalogue cache or path). */
int c12_server_model_present(const c12_model_cfg *m, void *ud);
/* The policy of `all` (a policy: section) narrowed to what cfg serves,
 * with the calibration (missing: estimates; unreadable: estimates, said in
 * note). *out is NULL when no policy model is served ("auto" then means
 * the default model). */
c12_rc c12_server_policy_build(const c12_config *cfg, const c12_policy_params *all, c12_policy **out, char *note,
                               size_t cap, c12_err *err);

#endif
