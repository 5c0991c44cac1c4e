/* site_cfg.h - the `sites:` section: the other servers a model may be
 * served from (any server that speaks OpenAI's chat and completions API:
 * llama.cpp's server, vLLM, Ollama's /v1, another c12 serve).
 *
 *   sites:
 *     north:
 *       url: http://10.0.0.5:8080/v1     # the server's OpenAI base URL
 *       api_key_env: NORTH_API_KEY       # optional; the key comes from the environment
 *       region: FR                       # the ledger's label (default: the carbon zone)
 *       metrics_url: none                # its Prometheus metrics (its queue); default <url - /v1>/metrics
 *       carbon: {chain: [electricitymaps], providers: {electricitymaps: {zone: FR}}}
 *       max_concurrent: 16               # requests in flight there at once
 *       connect_timeout_s: 3
 *       first_token_timeout_s: 60        # from sending to the first token
 *       idle_timeout_s: 30               # the longest silence between tokens
 *       j_per_prompt_token: 0.02         # energy estimate when the site reports none
 *       j_per_output_token: 0.2
 *       probe_interval_s: 5              # GET <url>/models
 *       breaker_failures: 3              # consecutive failures that open the breaker
 *       breaker_backoff_s: 5             # open this long, then half-open (doubles, to 60 s)
 *
 * Parsed by a key-to-setter table (site_cfg.c); every error names file:line
 * and the key. The config holds no heap. */
#ifndef C12_SITE_CFG_H
#define C12_SITE_CFG_H

#include <stddef.h>

#include "base/c12_rc.h"
#include "carbon/carbon_config.h"
#include "config/cfg_node.h"

#define C12_CFG_MAX_SITES 8
#define C12_SITE_NAME_MAX 32
#define C12_SITE_URL_MAX 512
/* In a model's sites: this process (the word `local`). */
#define C12_SITE_LOCAL (-1)

typedef struct c12_site_cfg {
    char name[C12_SITE_NAME_MAX];
    char url[C12_SITE_URL_MAX];     /* the OpenAI base URL, without a trailing '/' */
    char api_key_env[64];           /* "": no Authorization header */
    char region[64];
    /* its Prometheus metrics, read for its own queue: "" (default) the
     * url without its last "/v1", then /metrics; "none": not read */
    char metrics_url[C12_SITE_URL_MAX];
    c12_carbon_config carbon;
    int max_concurrent;
    double connect_timeout_s, first_token_timeout_s, idle_timeout_s;
    double j_per_prompt_token, j_per_output_token;
    double probe_interval_s;
    int breaker_failures;
    double breaker_backoff_s;
    int optional;                   /* may be down when c12 serve starts (else a start-up error) */
    int line;
} c12_site_cfg;

/* The `sites:` mapping into sites[0..*n) (NULL n: none). */
c12_rc c12_site_cfg_section(const c12_cfg_node *n, const char *source, const c12_carbon_config_opts *co,
                            c12_site_cfg *sites, size_t *n_sites, c12_err *err);
void c12_site_cfg_defaults(c12_site_cfg *s);
/* Index of the site `name` in sites, or -1. */
int c12_site_cfg_find(const c12_site_cfg *sites, size_t n, const char *name);

#endif
