/* cache_key.c - a request's cache key: the sha256 of its canonical form.
 * Each part is written as "name=<length>:<bytes>;" so that no two requests
 * run together into the same text; numbers are written exactly (%a). */
#include <stdio.h>
#include <string.h>

#include "cache/cache.h"
#include "models/sha.h"

int c12_cache_deterministic(const c12_sampling *s, int has_seed)
{
    return has_seed || s->temperature <= 0.0f;
}

static c12_rc part(c12_sha256 *h, const char *name, const char *data, size_t len, c12_err *err)
{
    char head[96];
    int n = snprintf(head, sizeof head, "%s=%zu:", name, len);
    c12_rc rc = c12_sha256_update(h, head, (size_t)n, err);
    if (!rc && len) rc = c12_sha256_update(h, data, len, err);
    return rc ? rc : c12_sha256_update(h, ";", 1, err);
}

static c12_rc text(c12_sha256 *h, const char *name, const char *s, c12_err *err)
{
    return part(h, name, s ? s : "", s ? strlen(s) : 0, err);
}

/* Everything of the generation parameters that changes the output. The
 * seed counts only where sampling uses it (greedy ignores it). */
static c12_rc params(c12_sha256 *h, const c12_gen_params *g, int has_seed, c12_err *err)
{
    const c12_sampling *s = &g->sampling;
    char b[512];
    int greedy = s->temperature <= 0.0f;
    int n = snprintf(b, sizeof b, "t=%a k=%d p=%a minp=%a rep=%a last=%d pres=%a freq=%a seed=%llu max=%d eos=%d",
                     (double)s->temperature, s->top_k, (double)s->top_p, (double)s->min_p, (double)s->repeat_penalty,
                     s->repeat_last_n, (double)s->presence_penalty, (double)s->frequency_penalty,
                     greedy || !has_seed ? 0ull : (unsigned long long)s->seed, g->max_tokens, g->ignore_eos);
    c12_rc rc = part(h, "params", b, (size_t)n, err);
    for (size_t i = 0; !rc && g->stop && g->stop[i]; i++) rc = text(h, "stop", g->stop[i], err);
    return rc;
}

static c12_rc input(c12_sha256 *h, const c12_cache_req *r, c12_err *err)
{
    if (r->endpoint != 0) return text(h, "prompt", r->prompt, err);
    c12_rc rc = r->system_note && *r->system_note ? text(h, "system_note", r->system_note, err) : C12_OK;
    for (size_t i = 0; !rc && i < r->n_messages; i++) {
        rc = text(h, "role", r->messages[i].role, err);
        if (!rc) rc = text(h, "content", r->messages[i].content, err);
    }
    return rc;
}

c12_rc c12_cache_key(const c12_cache_req *r, int shared, char key[C12_CACHE_KEY_HEX], c12_err *err)
{
    c12_sha256 *h;
    c12_rc rc = c12_sha256_new(&h, err);
    if (rc) return rc;
    rc = text(h, "c12-cache", "1", err);
    if (!rc) rc = text(h, "endpoint", r->endpoint ? "completions" : "chat", err);
    if (!rc) rc = text(h, "model", r->model, err);
    if (!rc) rc = text(h, "key", shared ? "*" : r->api_key, err);
    if (!rc) rc = params(h, r->gen, r->has_seed, err);
    if (!rc) rc = input(h, r, err);
    /* JSON output is another answer to the same prompt (absent: the key
     * stays what it was before response_format existed) */
    if (!rc && r->response_format) rc = text(h, "response_format", r->response_format, err);
    char hex[C12_CACHE_KEY_HEX];
    if (!rc) rc = c12_sha256_final(h, hex, err);
    c12_sha256_free(h);
    if (!rc) memcpy(key, hex, sizeof hex);
    return rc;
}
