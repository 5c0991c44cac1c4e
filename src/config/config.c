/* config.c - the built-in configuration, file loading, the listen address and
 * API-key checks. The file's sections are parsed in sections.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/c12_alloc.h"
#include "config/config.h"
#include "config/config_impl.h"
#include "models/models.h"
#include "models/sha.h"

c12_config *c12_config_alloc(const char *source)
{
    c12_config *c = c12_calloc(1, sizeof *c);
    if (!c) return NULL;
    snprintf(c->source, sizeof c->source, "%s", source);
    snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
    c->listen_port = 8080;
    c->max_body_bytes = 1u << 20;
    c->grace_s = 30;
    c->header_timeout_s = 10;
    c->idle_timeout_s = 60;
    c->write_timeout_s = 30;
    c->keepalive_s = 5;
    c->keepalive_requests = 1000;
    c->max_connections = 512;
    c->max_connections_per_client = 64;
    c->dashboard_auth = 1;
    c->flex_max_wait_s = 600;
    c->default_max_tokens = 512;
    c->queue_max_total = 64;
    c->queue_max_per_model = 32;
    return c;
}

void c12_config_model_defaults(c12_model_cfg *m)
{
    memset(m, 0, sizeof *m);
    m->n_ctx = 4096;
    m->slots = 1;
    m->keep_alive_s = -1;
    m->prefix_cache = 1;
    m->prefill_chunk = 32;
    m->chunked_prefill = 1;
    snprintf(m->roles, sizeof m->roles, "chat");
}

/* A catalogue model: its name is its id and source; the catalogue's hash. */
void c12_config_model_from_catalog(c12_model_cfg *m, const char *name)
{
    const c12_model_entry *e = c12_catalog_find(name);
    c12_config_model_defaults(m);
    snprintf(m->id, sizeof m->id, "%s", name);
    snprintf(m->source, sizeof m->source, "%s", name);
    if (e) snprintf(m->sha256, sizeof m->sha256, "%s", e->sha256);
}

/* Idle seconds before a model loaded on demand is unloaded, when the config
 * does not say: long enough to keep one serving a burst of requests, short
 * enough to hand its memory back for the next. */
#define ON_DEMAND_KEEP_ALIVE_S 300

void c12_config_use_catalog(c12_config *c)
{
    const char *dflt = c12_catalog_default()->name;
    c->n_models = 0;
    for (size_t i = 0; i < c12_catalog_count() && i < C12_CFG_MAX_MODELS; i++) {
        c12_model_cfg *m = &c->models[c->n_models];
        c12_config_model_from_catalog(m, c12_catalog_at(i)->name);
        if (!strcmp(m->id, dflt)) c->default_model = c->n_models;
        else m->keep_alive_s = ON_DEMAND_KEEP_ALIVE_S; /* the default stays loaded */
        c->n_models++;
    }
}

void c12_config_free(c12_config *c) { c12_free(c); }

int c12_config_find_model(const c12_config *c, const char *id)
{
    for (size_t i = 0; i < c->n_models; i++)
        if (!strcmp(c->models[i].id, id)) return (int)i;
    return -1;
}

c12_rc c12_config_set_listen(c12_config *c, const char *hp, c12_err *err)
{
    const char *colon = strrchr(hp, ':');
    const char *port = colon ? colon + 1 : hp;
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535)
        return c12_fail(err, C12_ERR_INVALID, "listen address '%s': expected HOST:PORT", hp);
    if (colon && colon > hp) {
        size_t n = (size_t)(colon - hp);
        if (hp[0] == '[' && hp[n - 1] == ']') hp++, n -= 2; /* [::1]:8080 */
        if (n == 0 || n >= sizeof c->listen_host)
            return c12_fail(err, C12_ERR_INVALID, "listen address '%s': bad host", hp);
        memcpy(c->listen_host, hp, n);
        c->listen_host[n] = '\0';
    }
    c->listen_port = (int)p;
    return C12_OK;
}

c12_rc c12_config_hash_key(const char *key, char hex[C12_CFG_HASH_MAX], c12_err *err)
{
    c12_sha256 *s = NULL;
    c12_rc rc = c12_sha256_new(&s, err);
    if (rc) return rc;
    char tmp[C12_SHA256_HEX];
    rc = c12_sha256_update(s, key, strlen(key), err);
    if (!rc) rc = c12_sha256_final(s, tmp, err);
    c12_sha256_free(s);
    if (!rc) memcpy(hex, tmp, C12_SHA256_HEX);
    return rc;
}

int c12_config_key_index(const c12_config *c, const char *key)
{
    char hex[C12_CFG_HASH_MAX];
    c12_err err;
    if (!key || c12_config_hash_key(key, hex, &err)) return -1;
    int found = -1;
    for (size_t i = 0; i < c->n_api_keys; i++) {
        /* every byte of every key, in constant time: the timing tells nothing */
        if (CRYPTO_memcmp(hex, c->api_keys[i], 64) == 0) found = (int)i;
    }
    return found;
}
