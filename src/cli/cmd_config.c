/* cmd_config.c - `c12 config check FILE` (validate the whole file, the
 * carbon, energy, ledger and policy sections included, without starting
 * anything), `c12 config show [FILE]` and
 * `c12 config hash-key` (the sha256 form `server.api_keys` stores). */
#include <stdio.h>
#include <string.h>

#include "carbon/carbon.h"
#include "carbon/carbon_config.h"
#include "cli.h"
#include "config/config.h"
#include "route/policy.h"
#include "server/serve_env.h"

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: c12 config check FILE     validate a configuration file\n"
               "       c12 config show [FILE]    the effective configuration (built-in without FILE)\n"
               "       c12 config hash-key       read a key on stdin, print its api_keys entry\n");
    return rc;
}

/* The sections `c12 serve` hands to the energy, ledger and route modules. */
static c12_rc other_sections(const char *file, c12_err *err)
{
    c12_energy_cfg e;
    c12_ledger_cfg l;
    c12_policy_params p;
    c12_energy_cfg_defaults(&e);
    c12_ledger_cfg_defaults(&l);
    c12_rc rc = c12_serve_sections_load(file, &e, &l, err);
    return rc ? rc : c12_policy_load_yaml(file, &p, err);
}

static int check(const char *file, int show)
{
    c12_config *c = NULL;
    c12_carbon_config *cc = NULL;
    c12_err err;
    char trace[C12_CARBON_PATH_MAX];
    c12_carbon_config_opts copts = {NULL, NULL};
    if (c12_carbon_data_path(C12_CARBON_BUNDLED_TRACE, trace, sizeof trace, &err) == C12_OK)
        copts.trace_default = trace;
    c12_rc rc = file ? c12_config_load(file, &c, &err) : c12_config_defaults(&c, &err);
    if (!rc && file) rc = c12_carbon_config_load(file, &copts, &cc, &err);
    if (!rc && file) rc = other_sections(file, &err);
    if (rc) {
        fprintf(stderr, "c12 config: %s\n", err.msg);
        c12_config_free(c);
        return 1;
    }
    if (show) {
        printf("source: %s\nlisten: %s:%d\napi keys: %zu\nmemory_budget: %llu%s\n"
               "queue: max_total %d, max_per_model %d\ngrace_s: %g\ndefault_model: %s\nmodels:\n",
               c->source, c->listen_host, c->listen_port, c->n_api_keys,
               (unsigned long long)c->memory_budget, c->memory_budget ? "" : " (auto)", c->queue_max_total,
               c->queue_max_per_model, c->grace_s, c->models[c->default_model].id);
        for (size_t i = 0; i < c->n_models; i++) {
            const c12_model_cfg *m = &c->models[i];
            printf("  - %s: source %s, context %d, slots %d, threads %d, keep_alive %ld%s, roles %s\n", m->id,
                   m->source, m->n_ctx, m->slots, m->n_threads, m->keep_alive_s, m->pinned ? ", pinned" : "",
                   m->roles);
        }
    } else
        printf("%s: ok (%zu model%s, default %s)\n", file, c->n_models, c->n_models == 1 ? "" : "s",
               c->models[c->default_model].id);
    c12_carbon_config_free(cc);
    c12_config_free(c);
    return 0;
}

static int hash_key(void)
{
    char key[1024], hex[C12_CFG_HASH_MAX];
    c12_err err;
    if (!fgets(key, sizeof key, stdin)) return usage(stderr, 2);
    key[strcspn(key, "\r\n")] = '\0';
    if (!key[0] || c12_config_hash_key(key, hex, &err)) {
        fprintf(stderr, "c12 config: %s\n", key[0] ? err.msg : "empty key");
        return 1;
    }
    printf("sha256:%s\n", hex);
    return 0;
}

int cmd_config(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) return usage(argc < 2 ? stderr : stdout, argc < 2 ? 2 : 0);
    if (!strcmp(argv[1], "check") && argc == 3) return check(argv[2], 0);
    if (!strcmp(argv[1], "show") && argc <= 3) return check(argc == 3 ? argv[2] : NULL, 1);
    if (!strcmp(argv[1], "hash-key") && argc == 2) return hash_key();
    return usage(stderr, 2);
}
