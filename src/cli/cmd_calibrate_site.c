/* cmd_calibrate_site.c - `c12 calibrate --site NAME --config FILE`: a
 * fleet site's per-token rates (docs/fleet.md). Two requests go to the
 * site: a long prompt with one output token, and a short prompt with many;
 * their usage (and a C12 site's usage.c12 energy) give joules per prompt
 * token and per output token by solving the two equations
 * E = prompt x j_prompt + output x j_output. A site that reports no energy
 * (not a C12) gets its latency measured only. Prints the keys to put under
 * sites.NAME. Exit: 0 done, 1 failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "cli.h"
#include "config/config.h"
#include "pool/backend_remote.h"

/* The first model the site serves, or the one named. */
static const c12_model_cfg *site_model(const c12_config *c, int site, const char *name)
{
    for (size_t i = 0; i < c->n_models; i++) {
        const c12_model_cfg *m = &c->models[i];
        for (int k = 0; k < m->n_sites; k++)
            if (m->sites[k] == site && (!name || !strcmp(name, m->id))) return m;
    }
    return NULL;
}

static int drop(void *ud, const char *s, size_t n) { return 0; }

static c12_rc one(const c12_site_cfg *s, const char *model, const char *key, const char *content, int max_tokens,
                  c12_remote_out *out, c12_err *err)
{
    c12_chat_msg msg = {.role = "user", .content = content};
    /* ignore_eos: all max_tokens come (C12, vLLM and llama.cpp take it) */
    c12_backend_req req = {.messages = &msg, .n_messages = 1, .gen = {.max_tokens = max_tokens, .ignore_eos = 1}};
    req.gen.sampling.temperature = 0;
    c12_remote_call call = {.site = s, .model = model, .api_key = key, .req = &req, .cb = drop};
    return c12_remote_generate(&call, out, err);
}

static void report(const c12_site_cfg *s, const c12_remote_out *a, const c12_remote_out *b)
{
    const c12_backend_result *ra = &a->res, *rb = &b->res;
    double tps = b->decode_s > 0 && rb->n_completion > 1 ? (rb->n_completion - 1) / b->decode_s : 0;
    printf("site %s: %.3f s for %d prompt tokens and %d output; %.1f tokens/s after the first\n", s->name,
           a->total_s, ra->n_prompt, ra->n_completion, tps);
    double det = (double)ra->n_prompt * rb->n_completion - (double)rb->n_prompt * ra->n_completion;
    if (!ra->energy_known || !rb->energy_known || fabs(det) < 1e-9) {
        printf("the site reports no energy of its own (not a C12): its rates stay as configured "
               "(j_per_prompt_token %g, j_per_output_token %g)\n", s->j_per_prompt_token, s->j_per_output_token);
        return;
    }
    /* E = p * jp + o * jo for both requests */
    double jp = (ra->energy_j * rb->n_completion - rb->energy_j * ra->n_completion) / det;
    double jo = (rb->energy_j * ra->n_prompt - ra->energy_j * rb->n_prompt) / det;
    printf("from its usage.c12 (%s): %.3f J for %d+%d tokens, %.3f J for %d+%d tokens\n", ra->energy_method,
           ra->energy_j, ra->n_prompt, ra->n_completion, rb->energy_j, rb->n_prompt, rb->n_completion);
    printf("sites:\n  %s:\n    j_per_prompt_token: %.4g\n    j_per_output_token: %.4g\n", s->name, jp > 0 ? jp : 0,
           jo > 0 ? jo : 0);
}

int c12_cli_calibrate_site(const char *config, const char *site, const char *model, int prompt_tokens,
                           int output_tokens)
{
    c12_config *c = NULL;
    c12_err err;
    if (!config) return fprintf(stderr, "c12 calibrate: --site needs --config FILE (its sites: section)\n"), 2;
    if (c12_config_load(config, &c, &err)) return fprintf(stderr, "c12 calibrate: %s\n", err.msg), 1;
    int idx = c12_site_cfg_find(c->sites, c->n_sites, site);
    const c12_model_cfg *m = idx >= 0 ? site_model(c, idx, model) : NULL;
    int rc = 1;
    char *longp = c12_malloc((size_t)prompt_tokens * 6 + 1);
    if (idx < 0) fprintf(stderr, "c12 calibrate: %s: no site '%s'\n", config, site);
    else if (!m) fprintf(stderr, "c12 calibrate: %s: no model%s%s is served by site %s\n", config, model ? " " : "",
                         model ? model : "", site);
    else if (longp) {
        const c12_site_cfg *s = &c->sites[idx];
        const char *key = s->api_key_env[0] ? getenv(s->api_key_env) : NULL;
        const char *id = m->remote_model[0] ? m->remote_model : m->id;
        longp[0] = '\0';
        for (int i = 0; i < prompt_tokens; i++) strcat(longp, "word ");
        c12_remote_out a, b;
        if (one(s, id, key, longp, 1, &a, &err) || one(s, id, key, "Count from 1 to 200.", output_tokens, &b, &err))
            fprintf(stderr, "c12 calibrate: site %s: %s\n", site, err.msg);
        else
            report(s, &a, &b), rc = 0;
    }
    c12_free(longp);
    c12_config_free(c);
    return rc;
}
