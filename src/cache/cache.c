/* cache.c - the response cache's LRU: a hash table of entries chained by
 * key, and one doubly linked list from the most to the least recently used.
 * Every operation holds the cache's mutex; values are copied in and out, so
 * nothing a caller holds points into the cache. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/c12_alloc.h"
#include "base/c12_clock.h"
#include "cache/cache.h"

typedef struct entry {
    char key[C12_CACHE_KEY_HEX];
    char model[64];
    uint64_t file_id;
    int64_t stored_ms;
    c12_cache_value v;
    struct entry *next_hash;
    struct entry *prev, *next; /* LRU: head is the most recent */
} entry;

struct c12_cache {
    pthread_mutex_t mu;
    c12_cache_cfg cfg;
    c12_cache_clock_fn clock;
    void *clock_ud;
    entry **table;
    size_t n_buckets;
    entry *head, *tail;
    size_t n;
    uint64_t bytes;
};

void c12_cache_cfg_defaults(c12_cache_cfg *cfg)
{
    *cfg = (c12_cache_cfg){.enabled = 1, .max_entries = 1024, .max_bytes = 16u << 20, .ttl_s = 3600};
}

void c12_cache_value_free(c12_cache_value *v)
{
    c12_free(v->text);
    v->text = NULL;
}

static int64_t mono_ms(void *ud)
{
    (void)ud;
    return c12_clock_ms();
}

c12_rc c12_cache_new(const c12_cache_cfg *cfg, c12_cache **out, c12_err *err)
{
    c12_cache *c = c12_calloc(1, sizeof *c);
    if (!c) return c12_fail(err, C12_ERR_NOMEM, "out of memory (the response cache)");
    c->cfg = *cfg;
    c->n_buckets = 64;
    while (c->n_buckets < (size_t)cfg->max_entries * 2 && c->n_buckets < (1u << 20)) c->n_buckets *= 2;
    c->table = c12_calloc(c->n_buckets, sizeof *c->table);
    if (!c->table) {
        c12_free(c);
        return c12_fail(err, C12_ERR_NOMEM, "out of memory (the response cache)");
    }
    c->clock = mono_ms;
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return C12_OK;
}

void c12_cache_set_clock(c12_cache *c, c12_cache_clock_fn fn, void *ud)
{
    c->clock = fn ? fn : mono_ms;
    c->clock_ud = ud;
}

static size_t bucket(const c12_cache *c, const char *key)
{
    char head[17];
    memcpy(head, key, 16);
    head[16] = '\0';
    return (size_t)strtoull(head, NULL, 16) & (c->n_buckets - 1);
}

static void lru_unlink(c12_cache *c, entry *e)
{
    if (e->prev) e->prev->next = e->next;
    else c->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(c12_cache *c, entry *e)
{
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

static void remove_entry(c12_cache *c, entry *e)
{
    entry **pp = &c->table[bucket(c, e->key)];
    while (*pp != e) pp = &(*pp)->next_hash;
    *pp = e->next_hash;
    lru_unlink(c, e);
    c->n--;
    c->bytes -= e->v.len;
    c12_cache_value_free(&e->v);
    c12_free(e);
}

static entry *find(c12_cache *c, const char *key)
{
    entry *e = c->table[bucket(c, key)];
    while (e && strcmp(e->key, key)) e = e->next_hash;
    return e;
}

/* Entries of model made from another file than file_id go. */
static size_t drop_stale(c12_cache *c, const char *model, uint64_t file_id, int any)
{
    size_t dropped = 0;
    for (entry *e = c->head, *nx; e; e = nx) {
        nx = e->next;
        if (!strcmp(e->model, model) && (any || e->file_id != file_id)) remove_entry(c, e), dropped++;
    }
    return dropped;
}

static int expired(const c12_cache *c, const entry *e, int64_t now)
{
    return c->cfg.ttl_s > 0 && (double)(now - e->stored_ms) >= c->cfg.ttl_s * 1000.0;
}

static c12_rc copy_value(const c12_cache_value *src, c12_cache_value *dst, c12_err *err)
{
    char *t = c12_malloc(src->len + 1);
    if (!t) return c12_fail(err, C12_ERR_NOMEM, "out of memory (the response cache)");
    memcpy(t, src->text, src->len);
    t[src->len] = '\0';
    *dst = *src;
    dst->text = t;
    return C12_OK;
}

c12_rc c12_cache_get(c12_cache *c, const char *key, const char *model, uint64_t file_id, c12_cache_value *out,
                     c12_err *err)
{
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key);
    if (e && e->file_id != file_id) drop_stale(c, model, file_id, 0), e = NULL;
    if (e && expired(c, e, c->clock(c->clock_ud))) remove_entry(c, e), e = NULL;
    c12_rc rc = e ? copy_value(&e->v, out, err) : c12_fail(err, C12_ERR_NOT_FOUND, "not in the cache");
    if (!rc) lru_unlink(c, e), lru_push(c, e);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static void evict(c12_cache *c, uint64_t room)
{
    while (c->tail && (c->n >= (size_t)c->cfg.max_entries || c->bytes + room > c->cfg.max_bytes))
        remove_entry(c, c->tail);
}

c12_rc c12_cache_put(c12_cache *c, const char *key, const char *model, uint64_t file_id, const c12_cache_value *v,
                     c12_err *err)
{
    if (v->len > c->cfg.max_bytes || c->cfg.max_entries < 1)
        return c12_fail(err, C12_ERR_RANGE, "the answer is larger than the cache");
    entry *e = c12_calloc(1, sizeof *e);
    if (!e) return c12_fail(err, C12_ERR_NOMEM, "out of memory (the response cache)");
    c12_rc rc = copy_value(v, &e->v, err);
    if (rc) {
        c12_free(e);
        return rc;
    }
    memcpy(e->key, key, C12_CACHE_KEY_HEX - 1);
    snprintf(e->model, sizeof e->model, "%s", model);
    e->file_id = file_id;
    pthread_mutex_lock(&c->mu);
    e->stored_ms = c->clock(c->clock_ud);
    drop_stale(c, model, file_id, 0);
    entry *old = find(c, e->key);
    if (old) remove_entry(c, old);
    evict(c, e->v.len);
    size_t b = bucket(c, e->key);
    e->next_hash = c->table[b];
    c->table[b] = e;
    lru_push(c, e);
    c->n++;
    c->bytes += e->v.len;
    pthread_mutex_unlock(&c->mu);
    return C12_OK;
}

size_t c12_cache_drop_model(c12_cache *c, const char *model)
{
    pthread_mutex_lock(&c->mu);
    size_t n = drop_stale(c, model, 0, 1);
    pthread_mutex_unlock(&c->mu);
    return n;
}

void c12_cache_get_stats(c12_cache *c, c12_cache_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = (c12_cache_stats){.entries = c->n, .bytes = c->bytes};
    pthread_mutex_unlock(&c->mu);
}

void c12_cache_free(c12_cache *c)
{
    if (!c) return;
    while (c->head) remove_entry(c, c->head);
    pthread_mutex_destroy(&c->mu);
    c12_free(c->table);
    c12_free(c);
}

uint64_t c12_cache_file_id(const char *path)
{
    struct stat st;
    if (!path || stat(path, &st)) return 0;
    uint64_t mt = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    return (mt * 0x9E3779B97F4A7C15ull) ^ (uint64_t)st.st_size;
}
