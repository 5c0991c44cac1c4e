/* migrate.c - the ledger's numbered migrations, as data, and their runner.
 *
 * MIGRATIONS[N-1] is migration N. Never edit one that has shipped: add the
 * next. Where the dialects differ a migration has one text per dialect
 * (SQLite and PostgreSQL); the schema they make holds the same columns with
 * the same meaning, so that every store answers alike. */
#include <stdio.h>
#include <time.h>

#include "ledger/migrate.h"

typedef struct migration {
    const char *sql[C12_SQL_COUNT];
} migration;

static const migration MIGRATIONS[] = {
    /* 1: one row per request; no prompt or completion text, by design */
    {{[C12_SQL_SQLITE] = "CREATE TABLE requests ("
                         " id INTEGER PRIMARY KEY,"
                         " time_ms INTEGER NOT NULL,"
                         " request_id TEXT NOT NULL DEFAULT '',"
                         " user TEXT NOT NULL DEFAULT '',"
                         " model TEXT NOT NULL,"
                         " category TEXT NOT NULL DEFAULT '',"
                         " complexity REAL NOT NULL DEFAULT 0,"
                         " prompt_tokens INTEGER NOT NULL DEFAULT 0,"
                         " completion_tokens INTEGER NOT NULL DEFAULT 0,"
                         " queue_ms REAL NOT NULL DEFAULT 0,"
                         " ttft_ms REAL NOT NULL DEFAULT 0,"
                         " total_ms REAL NOT NULL DEFAULT 0,"
                         " energy_j REAL NOT NULL DEFAULT 0,"
                         " energy_method TEXT NOT NULL DEFAULT '',"
                         " intensity REAL NOT NULL DEFAULT 0,"
                         " intensity_provider TEXT NOT NULL DEFAULT '',"
                         " intensity_age_s REAL NOT NULL DEFAULT 0,"
                         " pue REAL NOT NULL DEFAULT 1,"
                         " co2_g REAL NOT NULL DEFAULT 0,"
                         " route_reason TEXT NOT NULL DEFAULT '',"
                         " status TEXT NOT NULL DEFAULT 'ok');"
                         "CREATE INDEX requests_time ON requests(time_ms);",
      [C12_SQL_POSTGRESQL] = "CREATE TABLE requests ("
                             " id BIGSERIAL PRIMARY KEY,"
                             " time_ms BIGINT NOT NULL,"
                             " request_id TEXT NOT NULL DEFAULT '',"
                             " \"user\" TEXT NOT NULL DEFAULT '',"
                             " model TEXT NOT NULL,"
                             " category TEXT NOT NULL DEFAULT '',"
                             " complexity DOUBLE PRECISION NOT NULL DEFAULT 0,"
                             " prompt_tokens BIGINT NOT NULL DEFAULT 0,"
                             " completion_tokens BIGINT NOT NULL DEFAULT 0,"
                             " queue_ms DOUBLE PRECISION NOT NULL DEFAULT 0,"
                             " ttft_ms DOUBLE PRECISION NOT NULL DEFAULT 0,"
                             " total_ms DOUBLE PRECISION NOT NULL DEFAULT 0,"
                             " energy_j DOUBLE PRECISION NOT NULL DEFAULT 0,"
                             " energy_method TEXT NOT NULL DEFAULT '',"
                             " intensity DOUBLE PRECISION NOT NULL DEFAULT 0,"
                             " intensity_provider TEXT NOT NULL DEFAULT '',"
                             " intensity_age_s DOUBLE PRECISION NOT NULL DEFAULT 0,"
                             " pue DOUBLE PRECISION NOT NULL DEFAULT 1,"
                             " co2_g DOUBLE PRECISION NOT NULL DEFAULT 0,"
                             " route_reason TEXT NOT NULL DEFAULT '',"
                             " status TEXT NOT NULL DEFAULT 'ok');"
                             "CREATE INDEX requests_time ON requests(time_ms);"}},
    /* 2: the API key's label gets its own column; `user` becomes the
     * request's OpenAI `user` field. Until now `user` held the key's label
     * ("key:<8 hex>"), then "/" and the request's user when both were
     * given; a value without the "key:" prefix was the request's user. */
    {{[C12_SQL_SQLITE] =
          "ALTER TABLE requests ADD COLUMN api_key TEXT NOT NULL DEFAULT '';"
          "UPDATE requests SET"
          " api_key = CASE WHEN instr(user, '/') > 0 THEN substr(user, 1, instr(user, '/') - 1) ELSE user END,"
          " user = CASE WHEN instr(user, '/') > 0 THEN substr(user, instr(user, '/') + 1) ELSE '' END"
          " WHERE substr(user, 1, 4) = 'key:';",
      [C12_SQL_POSTGRESQL] =
          "ALTER TABLE requests ADD COLUMN api_key TEXT NOT NULL DEFAULT '';"
          "UPDATE requests SET"
          " api_key = CASE WHEN strpos(\"user\", '/') > 0"
          "  THEN substr(\"user\", 1, strpos(\"user\", '/') - 1) ELSE \"user\" END,"
          " \"user\" = CASE WHEN strpos(\"user\", '/') > 0 THEN substr(\"user\", strpos(\"user\", '/') + 1) ELSE '' END"
          " WHERE substr(\"user\", 1, 4) = 'key:';"}},
    /* 3: the batches committed, by the writer's batch id, so that a batch
     * retried after its COMMIT's answer was lost is not written twice
     * (pruned after a week: a retry comes within seconds) */
    {{[C12_SQL_SQLITE] = "CREATE TABLE ledger_batches (id TEXT PRIMARY KEY, time_ms INTEGER NOT NULL);"
                         "CREATE INDEX ledger_batches_time ON ledger_batches(time_ms);",
      [C12_SQL_POSTGRESQL] = "CREATE TABLE ledger_batches (id TEXT PRIMARY KEY, time_ms BIGINT NOT NULL);"
                             "CREATE INDEX ledger_batches_time ON ledger_batches(time_ms);"}},
    /* 4: answers from the response cache: marked, with the energy and CO2
     * that generating them again would have taken */
    {{[C12_SQL_SQLITE] = "ALTER TABLE requests ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;"
                         "ALTER TABLE requests ADD COLUMN saved_energy_j REAL NOT NULL DEFAULT 0;"
                         "ALTER TABLE requests ADD COLUMN saved_co2_g REAL NOT NULL DEFAULT 0;",
      [C12_SQL_POSTGRESQL] = "ALTER TABLE requests ADD COLUMN cached BIGINT NOT NULL DEFAULT 0;"
                             "ALTER TABLE requests ADD COLUMN saved_energy_j DOUBLE PRECISION NOT NULL DEFAULT 0;"
                             "ALTER TABLE requests ADD COLUMN saved_co2_g DOUBLE PRECISION NOT NULL DEFAULT 0;"}},
    /* 5: the batch a request was a line of (the Batch API) */
    {{[C12_SQL_SQLITE] = "ALTER TABLE requests ADD COLUMN batch_id TEXT NOT NULL DEFAULT '';",
      [C12_SQL_POSTGRESQL] = "ALTER TABLE requests ADD COLUMN batch_id TEXT NOT NULL DEFAULT '';"}},
    /* 6: the answer-length directive the policy added to the request */
    {{[C12_SQL_SQLITE] = "ALTER TABLE requests ADD COLUMN directive TEXT NOT NULL DEFAULT '';",
      [C12_SQL_POSTGRESQL] = "ALTER TABLE requests ADD COLUMN directive TEXT NOT NULL DEFAULT '';"}},
    /* 7: where the request was generated (a fleet's site) and that site's region */
    {{[C12_SQL_SQLITE] = "ALTER TABLE requests ADD COLUMN site TEXT NOT NULL DEFAULT '';"
                         "ALTER TABLE requests ADD COLUMN site_region TEXT NOT NULL DEFAULT '';",
      [C12_SQL_POSTGRESQL] = "ALTER TABLE requests ADD COLUMN site TEXT NOT NULL DEFAULT '';"
                             "ALTER TABLE requests ADD COLUMN site_region TEXT NOT NULL DEFAULT '';"}},
};
#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

/* A migration step's transaction, with the store's write lock: SQLite's
 * IMMEDIATE lock on the file, an advisory lock in PostgreSQL (taken before
 * schema_version may be created, which two sessions must not race to do). */
static const char *const BEGIN_LOCKED[C12_SQL_COUNT] = {
    [C12_SQL_SQLITE] = "BEGIN IMMEDIATE",
    [C12_SQL_POSTGRESQL] = "BEGIN; SELECT pg_advisory_xact_lock(7370313212)",
};

int c12_migrate_latest(void)
{
    return N_MIGRATIONS;
}

/* One transaction: lock, read the version, apply the next migration if any.
 * *after is the version at its end. */
static c12_rc step(const c12_migrate_conn *c, int *after, c12_err *err)
{
    int64_t v = 0;
    c12_rc rc = c->exec(c->db, BEGIN_LOCKED[c->dialect], err);
    if (rc) return rc;
    rc = c->exec(c->db, "CREATE TABLE IF NOT EXISTS schema_version ("
                        " version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)", err);
    if (!rc) rc = c->query_int(c->db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &v, err);
    if (!rc && v > N_MIGRATIONS)
        rc = c12_fail(err, C12_ERR_UNSUPPORTED,
                      "%s: schema version %lld is newer than this c12 knows (%d): a newer c12 wrote it; "
                      "run that version (this one leaves the ledger as it is)",
                      c->where, (long long)v, N_MIGRATIONS);
    if (!rc && v < N_MIGRATIONS) {
        char record[128];
        snprintf(record, sizeof record, "INSERT INTO schema_version (version, applied_ms) VALUES (%lld, %lld)",
                 (long long)v + 1, (long long)time(NULL) * 1000);
        rc = c->exec(c->db, MIGRATIONS[v].sql[c->dialect], err);
        if (!rc) rc = c->exec(c->db, record, err);
        if (!rc) v++;
    }
    if (!rc) rc = c->exec(c->db, "COMMIT", err);
    if (rc) {
        c12_err ignored;
        c->exec(c->db, "ROLLBACK", &ignored);
        return rc;
    }
    *after = (int)v;
    return C12_OK;
}

c12_rc c12_migrate_run(const c12_migrate_conn *c, int *version, c12_err *err)
{
    int v = 0;
    do { /* each step applies one migration, or finds none left */
        c12_rc rc = step(c, &v, err);
        if (rc) return rc;
    } while (v < N_MIGRATIONS);
    *version = v;
    return C12_OK;
}
