/* carbon_config.h - the `carbon:` section of C12's YAML configuration.
 *
 *   carbon:
 *     chain: [electricitymaps, ukgrid, trace, static]   # provider names, in order
 *     max_staleness_s: 3600
 *     providers:
 *       electricitymaps: {zone: GB, api_key_env: ELECTRICITYMAPS_API_KEY, ttl_s: 300}
 *       ukgrid: {}
 *       trace: {path: data/carbon/gb_2023-01-01_2023-12-31.csv, speed: 1}
 *       static: {value: 152}
 *
 * A provider's `type` defaults to its name. Secrets never live in the file:
 * the file names environment variables that hold them. With no file (or no
 * `carbon:` key) the built-in defaults apply: the bundled trace, then static.
 * docs/carbon.md lists every key. The config holds no heap besides itself. */
#ifndef C12_CARBON_CONFIG_H
#define C12_CARBON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"
#include "carbon/carbon.h"
#include "config/cfg_node.h"

#define C12_CARBON_MAX_PROVIDERS 16
#define C12_CARBON_NAME_MAX 32
#define C12_CARBON_PATH_MAX 1024
/* Mean of the bundled GB 2023 trace: the static fallback when nothing is configured. */
#define C12_CARBON_DEFAULT_STATIC 152.0

typedef struct c12_carbon_provider_cfg {
    char name[C12_CARBON_NAME_MAX];
    char type[24];
    char base_url[256];
    char region[64];       /* zone (electricitymaps), region (watttime), region id (ukgrid) */
    char api_key_env[64];  /* electricitymaps */
    char username_env[64]; /* watttime */
    char password_env[64];
    char signal_type[24];  /* watttime: co2_moer */
    int64_t ttl_ms;
    int64_t forecast_ttl_ms;
    long timeout_ms;
    long connect_timeout_ms;
    double value;          /* static */
    char path[C12_CARBON_PATH_MAX]; /* trace */
    double speed;          /* trace: replayed seconds per real second */
    int line;              /* where the file defined it (0: built in) */
} c12_carbon_provider_cfg;

typedef struct c12_carbon_config {
    c12_carbon_provider_cfg providers[C12_CARBON_MAX_PROVIDERS];
    size_t n_providers;
    size_t chain[C12_CARBON_MAX_PROVIDERS]; /* indices into providers */
    size_t n_chain;
    int64_t max_staleness_ms;
    int64_t backoff_base_ms; /* first wait after an error, doubled per error */
    int64_t backoff_max_ms;
    double jitter;           /* +-fraction applied to every wait */
    char source[C12_CARBON_PATH_MAX]; /* the file, or "built-in defaults" */
    /* Provider types this config was checked against (NULL-terminated). */
    const c12_carbon_provider_ops *const *table;
} c12_carbon_config;

/* Where parsing starts from: the provider types known (NULL = the built-in
 * c12_carbon_providers) and the trace a `trace` provider without a path uses
 * (the bundled CSV). */
typedef struct c12_carbon_config_opts {
    const c12_carbon_provider_ops *const *table;
    const char *trace_default;
} c12_carbon_config_opts;

/* The built-in configuration: trace (of opts->trace_default) then static. */
c12_rc c12_carbon_config_defaults(const c12_carbon_config_opts *opts, c12_carbon_config **out,
                                  c12_err *err);
/* The `carbon:` section of a configuration file (src/config reads the file
 * and hands over the node; NULL: the file has none, the built-in providers
 * apply) into *out, which is set only on success. `source` names the file. */
c12_rc c12_carbon_config_section(const c12_cfg_node *n, const char *source, const c12_carbon_config_opts *opts,
                                 c12_carbon_config *out, c12_err *err);
void c12_carbon_config_free(c12_carbon_config *c);

/* Index of the provider named `name`, or -1. */
int c12_carbon_config_find(const c12_carbon_config *c, const char *name);
/* Make the chain just the provider `name` (C12_ERR_NOT_FOUND if unknown). */
c12_rc c12_carbon_config_only(c12_carbon_config *c, const char *name, c12_err *err);
/* Set the zone/region of every network provider in the chain. */
c12_rc c12_carbon_config_set_region(c12_carbon_config *c, const char *region, c12_err *err);

#endif
