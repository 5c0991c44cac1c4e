/* config.h - C12's YAML configuration: the models it serves, the memory
 * budget, queue limits, listen address and API keys.
 *
 *   server:
 *     listen: 127.0.0.1:8080
 *     api_keys:                       # the accepted Bearer keys, as hashes (docs/limits.md):
 *       - "sha256:<64 hex>"           #   or "env:VAR"; no name, no limits
 *       - key: "env:C12_TEAM_A_KEY"   #   or with a name and limits
 *         name: team-a                #   the ledger's, reports' and metrics' label
 *         rpm: 60                     #   requests per minute
 *         tpm: 20000                  #   tokens per minute (prompt + completion)
 *         co2_g_per_day: 50           #   or co2_g_per_month
 *         per_user: false             #   true: each `user` under the key has these limits
 *     max_body_bytes: 1048576
 *     grace_s: 30                     # SIGTERM: time in-flight requests get to finish
 *     header_timeout_s: 10            # a request's head must arrive whole within this
 *     idle_timeout_s: 60              # then: the longest silence while its body comes
 *     write_timeout_s: 30             # the longest a response waits for its client to read (a stream is cut)
 *     keepalive_s: 5                  # a kept-alive connection's longest wait for its next request (0: close each)
 *     keepalive_requests: 1000        # requests on one connection; the last one's response closes it
 *     max_connections: 512            # open connections, all clients together (beyond: 503)
 *     max_connections_per_client: 64  # open connections from one address (IPv6: one /64; beyond: 429)
 *     allowed_hosts: [c12.internal]   # names a keyless server answers to besides its own
 *     default_max_tokens: 512         # chat replies without max_tokens (completions: 16)
 *     metrics_auth: false             # true: GET /metrics needs a key too (when api_keys are set)
 *     dashboard_auth: true            # false: the dashboard JSON (/dashboard/api/...) is open too
 *     flex_max_wait_s: 600            # service_tier "flex": the longest wait for cleaner power
 *   pool:
 *     memory_budget: 4GiB             # mapped weights + KV caches; "auto": half the RAM
 *   queue:
 *     max_total: 64                   # waiting requests, all models together
 *     max_per_model: 32
 *   default_model: smollm2-135m
 *   models:
 *     - id: smollm2-135m
 *       source: smollm2-135m          # catalogue name, or `path: /x/y.gguf`
 *       sha256: <64 hex>              # checked at load (a catalogue source has its own)
 *       context: 4096
 *       threads: 0                    # 0: one per core
 *       slots: 1                      # requests served at once (one KV cache each)
 *       max_batch: 0                  # sequences sharing a forward step; 0: min(slots, 8)
 *       prefill_chunk: 32             # prompt tokens per shared step while others decode
 *       chunked_prefill: true         # false: a prompt runs whole, alone (decodes wait)
 *       roles: [chat]
 *       keep_alive: -1                # idle seconds before unload; -1 never, 0 at once
 *       pinned: false                 # never evicted
 *       sites: [north, south]         # where it is served (`local`: this process, alone or among sites; default [local])
 *       remote_model: smollm2-135m    # the sites' id for it, when it differs from id
 *   sites: ...                        # other OpenAI-compatible servers (pool/site_cfg.h)
 *   carbon: ...                       # src/carbon's section (carbon_config.h)
 *   energy: ...                       # src/energy's (energy_cfg.c)
 *   ledger: ...                       # src/ledger's (ledger_cfg.c)
 *   cache:                            # the response cache (src/cache)
 *     enabled: true                   # answer deterministic requests again from memory
 *     max_entries: 1024
 *     max_bytes: 16MiB
 *     ttl_s: 3600                     # 0: never expire
 *     shared: false                   # true: one cache for every API key
 *   batch: ...                        # the Batch API (batch/batch.h)
 *   policy: ...                       # src/route's (policy_section.c)
 *
 * The file is read once and parsed once (cfg_node.h) into one c12_config;
 * each section is parsed by the module that owns it, registered in one
 * table (sections.c). Every error names file:line and the key; an unknown
 * section is an error. With no file the built-in defaults serve the model
 * catalogue. docs/configuration.md lists every key. */
#ifndef C12_CONFIG_H
#define C12_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"
#include "batch/batch.h"
#include "cache/cache.h"
#include "carbon/carbon_config.h"
#include "energy/energy.h"
#include "ledger/ledger.h"
#include "limit/limit.h"
#include "pool/site_cfg.h"
#include "route/policy.h"

#define C12_CFG_MAX_MODELS 32
#define C12_CFG_MAX_KEYS 32
#define C12_CFG_MAX_HOSTS 16
#define C12_CFG_HOST_MAX 254
#define C12_CFG_ID_MAX 64
#define C12_CFG_PATH_MAX 1024
#define C12_CFG_HASH_MAX 65
#define C12_CFG_KEY_NAME_MAX 48

typedef struct c12_model_cfg {
    char id[C12_CFG_ID_MAX];
    char source[C12_CFG_PATH_MAX]; /* catalogue name or .gguf path (see c12_models_resolve) */
    char sha256[C12_CFG_HASH_MAX]; /* "" = not checked */
    int n_ctx;
    int n_threads;
    int slots;
    char roles[128];               /* comma-separated, informational for now */
    char chat_template[32];        /* a chat template family by llama.cpp's name; "": the file's */
    long keep_alive_s;             /* -1 never, 0 right after each request */
    int pinned;
    int prefix_cache;              /* a slot's K/V serves the next prompt's common start (default 1) */
    int max_batch;                 /* slots decoding in one forward step (0: min(slots, 8); 1: never shared) */
    int prefill_chunk;             /* prompt tokens a slot adds to a shared step (default 32) */
    int chunked_prefill;           /* prompts join the decodes' steps in chunks (default 1) */
    int line;                      /* where the file defined it (0: built in) */
    /* Where it is served: indices into c12_config.sites, or C12_SITE_LOCAL
     * (this process); n_sites 0 is [local]. A model served only remotely
     * is never loaded here (slots: its sites' max_concurrent together).
     * `local` with other sites: loaded here with local_slots slots (the
     * configured `slots`), and slots is those and the sites' max_concurrent
     * together; local_slots is 0 otherwise. */
    int sites[C12_CFG_MAX_SITES];
    int n_sites;
    int local_slots;
    char remote_model[C12_CFG_ID_MAX]; /* the sites' id for it ("": id) */
} c12_model_cfg;

/* 1 when the model is served only by other servers (sites:, no `local`). */
int c12_model_remote(const c12_model_cfg *m);
/* 1 when it is served here and by other sites (`local` among its sites). */
int c12_model_mixed(const c12_model_cfg *m);

typedef struct c12_config {
    char source[C12_CFG_PATH_MAX]; /* the file, or "built-in defaults" */
    char listen_host[256];
    int listen_port;
    char api_keys[C12_CFG_MAX_KEYS][C12_CFG_HASH_MAX]; /* sha256 hex of each key */
    char api_key_names[C12_CFG_MAX_KEYS][C12_CFG_KEY_NAME_MAX]; /* "": labelled "key:<8 hex>" */
    c12_limit_rule api_key_limits[C12_CFG_MAX_KEYS];
    size_t n_api_keys;
    /* Host names a server without api_keys also answers to (and Origins it
     * takes), besides localhost, 127.0.0.1, [::1] and its listen host. */
    char allowed_hosts[C12_CFG_MAX_HOSTS][C12_CFG_HOST_MAX];
    size_t n_allowed_hosts;
    size_t max_body_bytes;
    double grace_s;
    double header_timeout_s;       /* from a connection's accept to its request head being whole (slowloris) */
    int idle_timeout_s;            /* then, while the body comes: the longest silence (whole seconds) */
    int write_timeout_s;           /* while a response goes out: the longest the client may take no bytes */
    double keepalive_s;            /* after a response: the longest wait for the next request's first byte (0: close) */
    int keepalive_requests;        /* requests one connection may carry; the last response closes it */
    int max_connections;           /* open connections (waiting for a head or served), all clients */
    int max_connections_per_client; /* ... from one client address (IPv6: one /64) */
    int default_max_tokens;
    int metrics_auth;              /* 1: /metrics is behind the API keys (default open, as exporters are) */
    int dashboard_auth;            /* 1 (default): the dashboard's JSON is behind the API keys */
    double flex_max_wait_s;        /* service_tier "flex": the longest wait for cleaner power (600) */
    uint64_t memory_budget;        /* bytes; 0 = auto (half the physical memory) */
    int queue_max_total;
    int queue_max_per_model;
    c12_model_cfg models[C12_CFG_MAX_MODELS];
    size_t n_models;
    size_t default_model;          /* index into models */
    c12_site_cfg sites[C12_CFG_MAX_SITES]; /* other servers (`sites:`) */
    size_t n_sites;
    /* The other modules' sections (their defaults when the file has none). */
    c12_carbon_config carbon;
    c12_energy_cfg energy;
    c12_ledger_cfg ledger;
    c12_cache_cfg cache;
    c12_batch_cfg batch;
    c12_policy_params policy;
    char trace_default[C12_CFG_PATH_MAX]; /* the bundled carbon trace ("" if not found) */
    char note[512];                /* what the reader has to say at start ("" nothing) */
    int from_file;                 /* 0: the built-in defaults */
} c12_config;

/* Where parsing starts from: the carbon provider types and the trace a
 * `trace` provider without a path reads. NULL fields (or NULL opts): the
 * built-in table and the bundled trace (C12_DATA_DIR, beside the binary). */
typedef struct c12_config_opts {
    c12_carbon_config_opts carbon;
} c12_config_opts;

c12_rc c12_config_defaults(c12_config **out, c12_err *err);
/* Parse YAML text; `filename` names it in messages and anchors relative paths. */
c12_rc c12_config_parse(const char *text, size_t len, const char *filename, c12_config **out,
                        c12_err *err);
c12_rc c12_config_parse_opts(const char *text, size_t len, const char *filename, const c12_config_opts *opts,
                             c12_config **out, c12_err *err);
/* Read `path` once and parse it. */
c12_rc c12_config_load(const char *path, c12_config **out, c12_err *err);
void c12_config_free(c12_config *c);
/* SIGHUP: read the file once more (every section checked) and return a copy
 * of cur whose reloadable sections (policy:) are the file's. A config of
 * built-in defaults reloads the built-in defaults. cur is unchanged. */
c12_rc c12_config_reload(const c12_config *cur, c12_config **out, c12_err *err);

/* Index of the model `id`, or -1. */
int c12_config_find_model(const c12_config *c, const char *id);
/* "HOST:PORT" (or ":PORT", "PORT") into c's listen address. */
c12_rc c12_config_set_listen(c12_config *c, const char *hostport, c12_err *err);
/* Index in c's api_keys of the entry `key` hashes to, or -1 (every entry is
 * compared in full: the time taken tells nothing). */
int c12_config_key_index(const c12_config *c, const char *key);
/* sha256 of a key as lowercase hex (the form api_keys stores). */
c12_rc c12_config_hash_key(const char *key, char hex[C12_CFG_HASH_MAX], c12_err *err);

#endif
