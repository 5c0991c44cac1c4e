/* cmd_config.c - `c12 config check FILE` (validate the whole file, every
 * section, without starting anything: the same reader `c12 serve` uses),
 * `c12 config show [FILE]` and
 * `c12 config hash-key` (the sha256 form `server.api_keys` stores). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config/config.h"

/* A model served by sites (docs/fleet.md). */
static void print_remote(const c12_config *c, const c12_model_cfg *m)
{
    printf("  - %s: sites", m->id);
    for (int k = 0; k < m->n_sites; k++)
        printf("%s%s", k ? ", " : " ", m->sites[k] == C12_SITE_LOCAL ? "local" : c->sites[m->sites[k]].name);
    printf(" (as %s), %d at once\n", m->remote_model[0] ? m->remote_model : m->id, m->slots);
}

static void print_sites(const c12_config *c)
{
    if (c->n_sites) printf("sites:\n");
    for (size_t i = 0; i < c->n_sites; i++) {
        const c12_site_cfg *s = &c->sites[i];
        printf("  - %s: %s, region %s, max_concurrent %d, timeouts connect %g s, first token %g s, idle %g s, "
               "%g/%g J per prompt/output token\n", s->name, s->url, s->region[0] ? s->region : "-", s->max_concurrent,
               s->connect_timeout_s, s->first_token_timeout_s, s->idle_timeout_s, s->j_per_prompt_token,
               s->j_per_output_token);
    }
}

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: c12 config check FILE     validate a configuration file\n"
               "       c12 config show [FILE]    the effective configuration (built-in without FILE)\n"
               "       c12 config hash-key       read a key on stdin, print its api_keys entry\n");
    return rc;
}

static int check(const char *file, int show)
{
    c12_config *c = NULL;
    c12_err err;
    c12_rc rc = file ? c12_config_load(file, &c, &err) : c12_config_defaults(&c, &err);
    if (rc) {
        fprintf(stderr, "c12 config: %s\n", err.msg);
        c12_config_free(c);
        return 1;
    }
    if (show) {
        printf("source: %s\nlisten: %s:%d\napi keys: %zu\nmemory_budget: %llu%s\n"
               "queue: max_total %d, max_per_model %d\nconnections: max %d, per client %d\n"
               "timeouts: header %g s, idle %d s, write %d s\nkeep-alive: %g s, %d requests\ngrace_s: %g\n"
               "default_model: %s\nmodels:\n",
               c->source, c->listen_host, c->listen_port, c->n_api_keys,
               (unsigned long long)c->memory_budget, c->memory_budget ? "" : " (auto)", c->queue_max_total,
               c->queue_max_per_model, c->max_connections, c->max_connections_per_client, c->header_timeout_s,
               c->idle_timeout_s, c->write_timeout_s, c->keepalive_s, c->keepalive_requests, c->grace_s,
               c->models[c->default_model].id);
        for (size_t i = 0; i < c->n_models; i++) {
            const c12_model_cfg *m = &c->models[i];
            if (c12_model_remote(m)) {
                print_remote(c, m);
                continue;
            }
            if (c12_model_mixed(m)) print_remote(c, m); /* and here: */
            printf("  - %s: source %s, context %d, slots %d, threads %d, keep_alive %ld%s, roles %s%s%s\n",
                   m->id, m->source, m->n_ctx, c12_model_mixed(m) ? m->local_slots : m->slots, m->n_threads, m->keep_alive_s,
                   m->pinned ? ", pinned" : "", m->roles, m->chat_template[0] ? ", chat_template " : "",
                   m->chat_template);
        }
        print_sites(c);
    } else
        printf("%s: ok (%zu model%s, default %s)\n", file, c->n_models, c->n_models == 1 ? "" : "s",
               c->models[c->default_model].id);
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
