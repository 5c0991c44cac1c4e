/* tok_map.c - open-addressing hash map from strings (in a pool) to entries,
 * and the small growable id array. Keys are not copied: the map holds entry
 * indexes and compares against the caller's pool. */
#include <string.h>

#include "base/c12_alloc.h"
#include "tok_internal.h"

static uint64_t hash_bytes(const char *s, size_t n)
{
    /* FNV-1a, then a final mix so that the low bits (the slot) are well spread */
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

c12_rc tok_map_init(tok_map *m, uint32_t n_keys, const char *pool, const uint32_t *off,
                    const uint32_t *len, c12_err *err)
{
    memset(m, 0, sizeof *m);
    uint64_t size = 16;
    while (size < (uint64_t)n_keys * 2) size <<= 1; /* load factor <= 1/2 */
    if (size > 0x80000000ull) return c12_fail(err, C12_ERR_RANGE, "tokenizer: too many keys");
    m->slot = c12_calloc((size_t)size, sizeof *m->slot);
    if (!m->slot) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (hash map)");
    m->mask = (uint32_t)(size - 1);
    m->pool = pool;
    m->off = off;
    m->len = len;
    return C12_OK;
}

void tok_map_free(tok_map *m)
{
    c12_free(m->slot);
    memset(m, 0, sizeof *m);
}

static int key_eq(const tok_map *m, uint32_t e, const char *key, size_t n)
{
    return m->len[e] == n && memcmp(m->pool + m->off[e], key, n) == 0;
}

void tok_map_put(tok_map *m, uint32_t i, int replace)
{
    const char *key = m->pool + m->off[i];
    size_t n = m->len[i];
    for (uint32_t s = (uint32_t)hash_bytes(key, n) & m->mask;; s = (s + 1) & m->mask) {
        if (!m->slot[s]) {
            m->slot[s] = i + 1;
            return;
        }
        if (key_eq(m, m->slot[s] - 1, key, n)) {
            if (replace) m->slot[s] = i + 1;
            return;
        }
    }
}

int64_t tok_map_get(const tok_map *m, const char *key, size_t n)
{
    if (!m->slot) return -1;
    for (uint32_t s = (uint32_t)hash_bytes(key, n) & m->mask;; s = (s + 1) & m->mask) {
        uint32_t e = m->slot[s];
        if (!e) return -1;
        if (key_eq(m, e - 1, key, n)) return e - 1;
    }
}

c12_rc tok_ids_push(tok_ids *a, int32_t id, c12_err *err)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        int32_t *v = c12_realloc(a->v, cap * sizeof *v);
        if (!v) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (ids)");
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = id;
    return C12_OK;
}
