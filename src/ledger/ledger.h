/* ledger.h - one row per request, written in batches by a background thread
 * into a store (SQLite, or PostgreSQL shared by several C12 processes), and
 * what `c12 report` and the dashboard read back: totals over a window
 * grouped one or two ways (model, category, API key, user, day, hour,
 * buckets of any width), and the newest rows.
 *
 * The request path only copies a fixed-size row into a bounded queue
 * (c12_ledger_submit: no allocation, no I/O). The writer thread commits what
 * is queued in one transaction per batch, retrying a failing store (a full
 * disk, a PostgreSQL server restarting) with backoff while the rows wait. A
 * row that submit accepted is committed before c12_ledger_close returns (it
 * drains the queue; the server calls it on SIGTERM), and a committed row
 * survives a crash (SQLite WAL with synchronous=FULL; PostgreSQL's own
 * durability). When the queue is full, submit waits up to `block_ms` for
 * room and then refuses with C12_ERR_BUSY, which the caller reports (log,
 * metric): a row is never dropped silently. Prompts and completions are
 * never stored. */
#ifndef C12_LEDGER_H
#define C12_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"

typedef struct c12_ledger_row {
    int64_t time_ms;            /* when the request arrived, UTC ms since the epoch */
    char request_id[48];
    char api_key[64];           /* the API key's label ("key:<8 hex of its sha256>") or "" */
    char user[64];              /* the request's OpenAI `user` field or "" */
    char model[64];
    char category[16];          /* "code", "general", ... */
    double complexity;          /* the router's score */
    int64_t prompt_tokens, completion_tokens;
    double queue_ms, ttft_ms, total_ms;
    double energy_j;
    char energy_method[24];     /* "rapl", "cputime-tdp", ... */
    double intensity;           /* gCO2e/kWh used for this request */
    char intensity_provider[32];
    double intensity_age_s;     /* age of that reading */
    double pue;
    double co2_g;               /* energy_j / 3.6e6 x intensity x pue */
    char route_reason[160];
    char status[16];            /* "ok", "error", "cancelled", "timeout", "rejected" */
    int64_t cached;             /* 1: answered from the response cache */
    double saved_energy_j;      /* a cached answer: what generating it took the first time */
    double saved_co2_g;         /* that energy at this request's intensity and PUE */
    char batch_id[40];          /* the batch the request was a line of, or "" */
    char directive[200];        /* the answer-length directive the policy added, or "" */
    char site[32];              /* where it was generated: "local", a `sites:` name, or "" (nowhere) */
    char site_region[64];       /* that site's region (its carbon zone), or "" */
} c12_ledger_row;

/* ---- the store interface ---- */

typedef enum {
    C12_LEDGER_BY_ALL = 0,  /* one group, key "all" (as by2: none, key2 "") */
    C12_LEDGER_BY_MODEL,
    C12_LEDGER_BY_CATEGORY,
    C12_LEDGER_BY_KEY,      /* the API key's label */
    C12_LEDGER_BY_USER,     /* the request's OpenAI `user` field */
    C12_LEDGER_BY_DAY,      /* key "YYYY-MM-DD" (UTC) */
    C12_LEDGER_BY_HOUR,     /* key "YYYY-MM-DDTHH:00Z" */
    C12_LEDGER_BY_STEP,     /* buckets of filter.step_ms from the epoch; key the start, "YYYY-MM-DDTHH:MM:SSZ" */
    C12_LEDGER_BY_SITE,     /* where it was generated: "local", a fleet's site, "" (docs/fleet.md) */
    C12_LEDGER_BY_COUNT
} c12_ledger_group;

/* Which rows, and how they are grouped. */
typedef struct c12_ledger_filter {
    int64_t since_ms;          /* rows with time_ms >= since_ms (0: from the start) */
    int64_t until_ms;          /* and time_ms < until_ms (0: no bound) */
    c12_ledger_group by, by2;  /* by2: a second grouping (BY_ALL: none); a total's key2 */
    int64_t step_ms;           /* BY_STEP's bucket width, >= 1000 */
} c12_ledger_filter;

/* At most this many groups in one answer: more is C12_ERR_RANGE (a
 * narrower window or a wider step). */
#define C12_LEDGER_GROUPS_MAX 100000
#define C12_LEDGER_STEP_MIN_MS 1000

typedef struct c12_ledger_total {
    char key[64];               /* the `by` group's key */
    char key2[64];              /* the `by2` group's key ("" without by2) */
    int64_t bucket_ms;          /* start of the time bucket (DAY/HOUR/STEP, by's else by2's), else 0 */
    int64_t requests, errors;   /* errors: status other than "ok" */
    int64_t prompt_tokens, completion_tokens;
    double energy_j, co2_g, total_s;
    /* sum of tokens x intensity x pue: with a model's joules per token these
     * give the CO2 the same requests would have cost on that model */
    double prompt_tok_gkwh, completion_tok_gkwh;
    int64_t cached;             /* requests answered from the response cache */
    double saved_co2_g;         /* the CO2 those answers did not emit again */
} c12_ledger_total;

typedef struct c12_ledger_totals {
    c12_ledger_total *t;
    size_t n, cap;
} c12_ledger_totals;

void c12_ledger_totals_free(c12_ledger_totals *t);

/* A group's name ("model", "key", "hour", ...) and back (-1: unknown). */
const char *c12_ledger_group_name(c12_ledger_group g);
int c12_ledger_group_parse(const char *name);
int c12_ledger_group_is_time(c12_ledger_group g);
/* A filter a store can answer: known groups, step_ms >= 1000 when a
 * grouping is BY_STEP. INVALID says what is wrong. */
c12_rc c12_ledger_filter_check(const c12_ledger_filter *f, c12_err *err);
/* The key of time bucket bucket_ms for group g (DAY, HOUR, STEP): what
 * every store writes in key/key2. */
void c12_ledger_bucket_key(c12_ledger_group g, int64_t bucket_ms, char *out, size_t cap);

typedef struct c12_store_ops {
    const char *name; /* "sqlite", "postgresql" */
    /* 0: the target is a file (ledger.path); 1: a connection string, which
     * holds a password and so comes from the environment (ledger.dsn_env),
     * never from the configuration file */
    int connects;
    /* readonly: never create or change it (C12_ERR_NOT_FOUND if absent). */
    c12_rc (*open)(const char *target, int readonly, void **out, c12_err *err);
    /* Apply the migrations not applied yet (migrate.h); *version is the
     * schema after. */
    c12_rc (*migrate)(void *self, int *version, c12_err *err);
    /* All rows in one transaction: all committed, or none. batch (NULL or ""
     * for none) names the batch: unique across processes and the same on
     * every retry of it. A batch committed before is not written again (and
     * the call succeeds), so that a retry after a COMMIT whose answer was
     * lost with the connection adds no row twice. */
    c12_rc (*append)(void *self, const char *batch, const c12_ledger_row *rows, size_t n, c12_err *err);
    /* Totals of the rows f selects, grouped by f->by and f->by2: text keys
     * ascending (byte order), time groups in time order. *out is replaced on
     * success. */
    c12_rc (*query)(void *self, const c12_ledger_filter *f, c12_ledger_totals *out, c12_err *err);
    /* Up to limit rows with time_ms >= since_ms, the newest first, into
     * rows[0..*n). */
    c12_rc (*recent)(void *self, int64_t since_ms, size_t limit, c12_ledger_row *rows, size_t *n,
                     c12_err *err);
    /* Up to limit rows in the order they were appended, from just after
     * *cursor (0: the first); *cursor moves past the last one returned
     * (copying a ledger: c12 ledger migrate). */
    c12_rc (*scan)(void *self, int64_t *cursor, size_t limit, c12_ledger_row *rows, size_t *n, c12_err *err);
    void (*close)(void *self);
} c12_store_ops;

/* The built-in stores, NULL-terminated (stores.c). */
extern const c12_store_ops *const c12_ledger_stores[];
const c12_store_ops *c12_ledger_store_find(const char *name);

/* ---- the ledger: store + queue + writer thread ---- */

typedef void (*c12_ledger_log_fn)(void *ud, const char *msg);

typedef struct c12_ledger_cfg {
    char store[16];       /* "sqlite" (default) or "postgresql" */
    char target[1024];    /* for sqlite: the database file */
    char dsn_env[64];     /* for postgresql: the environment variable holding the
                           * connection string, default C12_LEDGER_DSN */
    size_t queue_cap;     /* rows waiting, default 4096 */
    size_t batch_max;     /* rows per transaction, default 256 */
    int flush_ms;         /* longest a row waits before a commit, default 200 */
    int block_ms;         /* how long submit waits for room, default 100 */
    /* Told when the store starts failing (rows held, retried) and when it
     * is back; NULL: nothing said. Called on the writer thread with the
     * ledger's lock held: it must not call the ledger. */
    c12_ledger_log_fn log;
    void *log_ud;
} c12_ledger_cfg;

#define C12_LEDGER_DSN_ENV "C12_LEDGER_DSN"

void c12_ledger_cfg_defaults(c12_ledger_cfg *cfg);
/* Set one `ledger:` key of the configuration from its text (ledger_cfg.c
 * lists them): store, path, dsn_env, queue_cap, batch_max, flush_ms,
 * block_ms. A `dsn` key is refused: the DSN holds a password and comes from
 * the environment. C12_ERR_INVALID names the key; cfg is unchanged on
 * failure. */
c12_rc c12_ledger_cfg_set(c12_ledger_cfg *cfg, const char *key, const char *value, c12_err *err);
/* $C12_HOME/ledger.db (C12_HOME defaults to ~/.cache/c12). */
c12_rc c12_ledger_default_path(char *out, size_t cap, c12_err *err);
/* What cfg's store opens: sqlite's file (cfg->target), or for a store that
 * connects the value of $<cfg->dsn_env> (C12_ERR_INVALID when it is unset
 * or empty). Never print it: it may hold a password. */
c12_rc c12_ledger_cfg_target(const c12_ledger_cfg *cfg, char *out, size_t cap, c12_err *err);
/* The same for a store given directly. */
c12_rc c12_ledger_store_target(const c12_store_ops *ops, const c12_ledger_cfg *cfg, char *out, size_t cap,
                               c12_err *err);
/* For logs: sqlite's file ("/var/lib/c12/ledger.db"), or "postgresql (DSN
 * from $C12_LEDGER_DSN)". */
void c12_ledger_cfg_describe(const c12_ledger_cfg *cfg, char *out, size_t cap);

typedef struct c12_ledger_stats {
    uint64_t accepted;    /* rows submit took */
    uint64_t committed;   /* rows in the store */
    uint64_t refused;     /* submit returned BUSY (queue full) */
    uint64_t commit_errors; /* failed transactions (retried) */
    size_t queued;        /* waiting now: in the queue, or in the batch the writer is committing */
    int schema_version;
} c12_ledger_stats;

typedef struct c12_ledger c12_ledger;

/* Open the store (c12_ledger_cfg_target), migrate it, start the writer. */
c12_rc c12_ledger_open(const c12_ledger_cfg *cfg, c12_ledger **out, c12_err *err);
/* The same with a store given directly instead of by cfg->store (tests use
 * stores that fail or stall on purpose). */
c12_rc c12_ledger_open_store(const c12_store_ops *ops, const c12_ledger_cfg *cfg, c12_ledger **out,
                             c12_err *err);
/* Queue a copy of row. C12_ERR_BUSY if the queue stayed full for block_ms;
 * C12_ERR_CANCELLED after close began. Thread-safe. */
c12_rc c12_ledger_submit(c12_ledger *l, const c12_ledger_row *row, c12_err *err);
/* Wait until every row accepted so far is committed (timeout_ms < 0: no limit). */
c12_rc c12_ledger_flush(c12_ledger *l, int timeout_ms, c12_err *err);
void c12_ledger_get_stats(c12_ledger *l, c12_ledger_stats *out);
/* Drain the queue, commit, stop the writer and close the store. If the store
 * kept failing, C12_ERR_IO says how many accepted rows were not committed.
 * Frees l either way. */
c12_rc c12_ledger_close(c12_ledger *l, c12_err *err);
/* Read through an open ledger (the server's dashboard): a second, read-only
 * connection to the store, opened at the first call and kept until close,
 * one caller at a time (WAL lets it read while the writer commits). Rows
 * still queued are not seen: c12_ledger_flush first to see them. */
c12_rc c12_ledger_query(c12_ledger *l, const c12_ledger_filter *f, c12_ledger_totals *out, c12_err *err);
c12_rc c12_ledger_recent(c12_ledger *l, int64_t since_ms, size_t limit, c12_ledger_row *rows, size_t *n,
                         c12_err *err);
/* Totals from a store, opened read-only for this one call (the CLI); target
 * as c12_ledger_cfg_target gives it. */
c12_rc c12_ledger_query_file(const char *store, const char *target, const c12_ledger_filter *f,
                             c12_ledger_totals *out, c12_err *err);

/* Copy src into a fixed field as valid UTF-8 (c12_utf8_copy: bad bytes as
 * '?'), truncating at a character boundary. */
void c12_ledger_set(char *dst, size_t cap, const char *src);
#define C12_LEDGER_SET(field, src) c12_ledger_set((field), sizeof(field), (src))

#endif
