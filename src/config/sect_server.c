/* sect_server.c - the `server:`, `pool:`, `queue:` and `cache:` sections, one key
 * table each (cfg_node.h's slots; a setter of its own where a key needs
 * more than a range check). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_impl.h"
#include "models/sha.h"

static c12_rc set_listen(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    const char *s = c12_cfg_scalar(v);
    c12_err e;
    if (!s) return c12_cfg_fail(v, path, err, "must be a string HOST:PORT");
    if (c12_config_set_listen(obj, s, &e)) return c12_cfg_fail(v, path, err, "%s", e.msg);
    return C12_OK;
}

static c12_rc set_max_body(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    long l;
    c12_rc rc = c12_cfg_long(v, path, 1024, 64L << 20, &l, err);
    if (rc == C12_OK) ((c12_config *)obj)->max_body_bytes = (size_t)l;
    return rc;
}

/* A list, each entry through `one`. */
typedef c12_rc (*entry_fn)(c12_config *c, const c12_cfg_node *v, const char *path, c12_err *err);

static c12_rc each_entry(const c12_cfg_node *v, const char *path, void *obj, entry_fn one, c12_err *err)
{
    if (c12_cfg_kind_of(v) != C12_CFG_SEQ) return c12_cfg_fail(v, path, err, "must be a list");
    for (size_t i = 0; i < c12_cfg_len(v); i++) {
        c12_rc rc = one(obj, c12_cfg_item(v, i), path, err);
        if (rc) return rc;
    }
    return C12_OK;
}

static c12_rc set_api_keys(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    c12_rc rc = each_entry(v, path, obj, c12_config_api_key, err);
    return rc ? rc : c12_config_api_keys_check(obj, v, path, err);
}

/* A host name (no port): what a Host header or an Origin may name. */
static c12_rc allowed_host(c12_config *c, const c12_cfg_node *v, const char *path, c12_err *err)
{
    const char *s = c12_cfg_scalar(v);
    if (!s || !*s || strlen(s) >= C12_CFG_HOST_MAX || strpbrk(s, " \t/:@") || !strcmp(s, "*"))
        return c12_cfg_fail(v, path, err, "entries must be host names such as c12.internal (no port, no scheme)");
    if (c->n_allowed_hosts == C12_CFG_MAX_HOSTS)
        return c12_cfg_fail(v, path, err, "more than %d names", C12_CFG_MAX_HOSTS);
    snprintf(c->allowed_hosts[c->n_allowed_hosts++], C12_CFG_HOST_MAX, "%s", s);
    return C12_OK;
}

static c12_rc set_allowed_hosts(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj,
                                c12_err *err)
{
    return each_entry(v, path, obj, allowed_host, err);
}

static const c12_cfg_key SERVER_KEYS[] = {
    C12_CFG_SET("listen", set_listen),
    C12_CFG_SET("api_keys", set_api_keys),
    C12_CFG_SET("allowed_hosts", set_allowed_hosts),
    C12_CFG_SET("max_body_bytes", set_max_body),
    C12_CFG_SLOT("grace_s", c12_cfg_slot_num, c12_config, grace_s, 0, 3600),
    C12_CFG_SLOT("header_timeout_s", c12_cfg_slot_num, c12_config, header_timeout_s, 0.1, 3600),
    C12_CFG_SLOT("default_max_tokens", c12_cfg_slot_int, c12_config, default_max_tokens, 1, 1 << 20),
    C12_CFG_SLOT("metrics_auth", c12_cfg_slot_bool, c12_config, metrics_auth, 0, 0),
    C12_CFG_SLOT("dashboard_auth", c12_cfg_slot_bool, c12_config, dashboard_auth, 0, 0),
    C12_CFG_SLOT("flex_max_wait_s", c12_cfg_slot_num, c12_config, flex_max_wait_s, 0, 86400),
    C12_CFG_SLOT("max_connections", c12_cfg_slot_int, c12_config, max_connections, 1, 65536),
    C12_CFG_SLOT("max_connections_per_client", c12_cfg_slot_int, c12_config, max_connections_per_client, 1, 65536),
    C12_CFG_SLOT("idle_timeout_s", c12_cfg_slot_int, c12_config, idle_timeout_s, 1, 3600),
    C12_CFG_SLOT("write_timeout_s", c12_cfg_slot_int, c12_config, write_timeout_s, 1, 3600),
    C12_CFG_SLOT("keepalive_s", c12_cfg_slot_num, c12_config, keepalive_s, 0, 3600),
    C12_CFG_SLOT("keepalive_requests", c12_cfg_slot_int, c12_config, keepalive_requests, 1, 1 << 20),
    {0}};

static const c12_cfg_key POOL_KEYS[] = {
    C12_CFG_SLOT("memory_budget", c12_cfg_slot_bytes, c12_config, memory_budget, 0, 0),
    {0}};

static const c12_cfg_key QUEUE_KEYS[] = {
    C12_CFG_SLOT("max_total", c12_cfg_slot_int, c12_config, queue_max_total, 0, 100000),
    C12_CFG_SLOT("max_per_model", c12_cfg_slot_int, c12_config, queue_max_per_model, 0, 100000),
    {0}};

static const c12_cfg_key CACHE_KEYS[] = {
    C12_CFG_SLOT("enabled", c12_cfg_slot_bool, c12_cache_cfg, enabled, 0, 0),
    C12_CFG_SLOT("shared", c12_cfg_slot_bool, c12_cache_cfg, shared, 0, 0),
    C12_CFG_SLOT("max_entries", c12_cfg_slot_int, c12_cache_cfg, max_entries, 1, 1 << 20),
    C12_CFG_SLOT("max_bytes", c12_cfg_slot_bytes, c12_cache_cfg, max_bytes, 0, 0),
    C12_CFG_SLOT("ttl_s", c12_cfg_slot_num, c12_cache_cfg, ttl_s, 0, 365 * 86400),
    {0}};

static const c12_cfg_key BATCH_KEYS[] = {
    C12_CFG_SLOT("enabled", c12_cfg_slot_bool, c12_batch_cfg, enabled, 0, 0),
    C12_CFG_SLOT("max_file_bytes", c12_cfg_slot_bytes, c12_batch_cfg, max_file_bytes, 0, 0),
    C12_CFG_SLOT("max_lines", c12_cfg_slot_int, c12_batch_cfg, max_lines, 1, C12_BATCH_LINES_MAX),
    C12_CFG_SLOT("margin", c12_cfg_slot_num, c12_batch_cfg, margin, 0, 0.9),
    C12_CFG_SLOT("tick_s", c12_cfg_slot_num, c12_batch_cfg, tick_s, 0.05, 3600),
    C12_CFG_SLOT("dir", c12_cfg_slot_str, c12_batch_cfg, dir, 0, 0),
    {0}};

c12_rc c12_config_sect_server(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    return n ? c12_cfg_walk(n, "server", SERVER_KEYS, c, err) : C12_OK;
}

c12_rc c12_config_sect_pool(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    return n ? c12_cfg_walk(n, "pool", POOL_KEYS, c, err) : C12_OK;
}

c12_rc c12_config_sect_queue(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    c12_rc rc = n ? c12_cfg_walk(n, "queue", QUEUE_KEYS, c, err) : C12_OK;
    if (!rc && c->queue_max_per_model > c->queue_max_total && c->queue_max_total > 0)
        c->queue_max_per_model = c->queue_max_total;
    return rc;
}

c12_rc c12_config_sect_batch(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    c12_batch_cfg_defaults(&c->batch);
    c12_rc rc = n ? c12_cfg_walk(n, "batch", BATCH_KEYS, &c->batch, err) : C12_OK;
    if (!rc && c->batch.max_file_bytes < 1024)
        rc = c12_cfg_fail(c12_cfg_get(n, "max_file_bytes"), "batch.max_file_bytes", err, "must be at least 1KiB");
    return rc;
}

c12_rc c12_config_sect_cache(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err)
{
    c12_cache_cfg_defaults(&c->cache);
    return n ? c12_cfg_walk(n, "cache", CACHE_KEYS, &c->cache, err) : C12_OK;
}
