/* cache.h - the response cache: answers to deterministic requests
 * (temperature 0, or a given seed), kept in memory and served again.
 *
 * A bounded LRU (entries and bytes) with a time to live, keyed by the
 * sha256 of a canonical form of the request (c12_cache_key: the endpoint,
 * the model that generates, every parameter that changes the output, the
 * messages or prompt, and the API key unless the cache is shared). An
 * entry holds the text, the finish reason, the token counts and what the
 * first generation cost (joules, gCO2e), so that a hit can say what it
 * saved. Entries remember the identity of their model's file (size and
 * mtime): the first lookup or store that sees a model's file changed drops
 * every entry of that model. Thread-safe (one mutex). */
#ifndef C12_CACHE_H
#define C12_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"
#include "engine/c12_engine.h"

#define C12_CACHE_KEY_HEX 65 /* sha256 as hex and a NUL */

/* The `cache:` section of the configuration. */
typedef struct c12_cache_cfg {
    int enabled;            /* default 1: a deterministic answer is not generated twice */
    int shared;             /* 1: one cache for every API key (default 0: per key) */
    int max_entries;        /* default 1024 */
    uint64_t max_bytes;     /* text held, all entries together; default 16 MiB */
    double ttl_s;           /* default 3600; 0: entries never expire */
} c12_cache_cfg;

void c12_cache_cfg_defaults(c12_cache_cfg *cfg);

/* What the cache needs of a request to key it. */
typedef struct c12_cache_req {
    int endpoint;                 /* 0 chat, 1 completions */
    const char *model;            /* the model that generates (after routing) */
    const c12_chat_msg *messages; /* chat */
    size_t n_messages;
    const char *system_note;      /* chat: the directive added to the system turn, or NULL */
    const char *prompt;           /* completions */
    const c12_gen_params *gen;    /* sampling, max_tokens, stop, ignore_eos */
    int has_seed;                 /* the request gave a seed */
    const char *api_key;          /* the key's label, or "" (ignored when shared) */
    const char *response_format;  /* its canonical JSON (sorted keys), or NULL: text */
} c12_cache_req;

/* Whether a request may be cached: temperature 0, or a seed given. */
int c12_cache_deterministic(const c12_sampling *s, int has_seed);
/* The request's key (sha256 hex of its canonical form). shared: the API
 * key is left out. */
c12_rc c12_cache_key(const c12_cache_req *r, int shared, char key[C12_CACHE_KEY_HEX], c12_err *err);

/* An answer, as stored and as given back. */
typedef struct c12_cache_value {
    char *text;               /* owned: c12_cache_value_free */
    size_t len;
    c12_finish finish;
    int n_prompt, n_completion;
    double energy_j, co2_g;   /* what the generation that made it cost */
} c12_cache_value;

void c12_cache_value_free(c12_cache_value *v);

typedef struct c12_cache c12_cache;
/* Milliseconds on a clock that only goes forward (tests inject one). */
typedef int64_t (*c12_cache_clock_fn)(void *ud);

c12_rc c12_cache_new(const c12_cache_cfg *cfg, c12_cache **out, c12_err *err);
/* NULL fn: the monotonic clock. */
void c12_cache_set_clock(c12_cache *c, c12_cache_clock_fn fn, void *ud);
void c12_cache_free(c12_cache *c);

/* The entry under key, copied into *out: C12_OK (a hit), C12_ERR_NOT_FOUND
 * (absent, expired, or its model's file changed: file_id differs), NOMEM. */
c12_rc c12_cache_get(c12_cache *c, const char *key, const char *model, uint64_t file_id, c12_cache_value *out,
                     c12_err *err);
/* Store a copy of v under key (replacing one there), evicting the least
 * recently used entries to stay within the bounds. An answer larger than
 * max_bytes is not stored (C12_ERR_RANGE). */
c12_rc c12_cache_put(c12_cache *c, const char *key, const char *model, uint64_t file_id, const c12_cache_value *v,
                     c12_err *err);
/* Drop every entry of model; returns how many. */
size_t c12_cache_drop_model(c12_cache *c, const char *model);

typedef struct c12_cache_stats {
    size_t entries;
    uint64_t bytes;
} c12_cache_stats;

void c12_cache_get_stats(c12_cache *c, c12_cache_stats *out);

/* A file's identity for invalidation: its size and mtime folded together
 * (0: it cannot be read). */
uint64_t c12_cache_file_id(const char *path);

#endif
