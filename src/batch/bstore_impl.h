/* bstore_impl.h - what the batch store's files share (not for its callers). */
#ifndef C12_BATCH_BSTORE_IMPL_H
#define C12_BATCH_BSTORE_IMPL_H

#include <pthread.h>
#include <sqlite3.h>

#include "batch/bstore.h"

struct c12_bstore {
    pthread_mutex_t mu;
    sqlite3 *db;
    char dir[1024];
};

c12_rc c12_bstore_db_fail(c12_bstore *s, c12_err *err, const char *what);
c12_rc c12_bstore_exec(c12_bstore *s, const char *sql, c12_err *err);
c12_rc c12_bstore_prepare(c12_bstore *s, const char *sql, sqlite3_stmt **st, c12_err *err);
/* Step a statement that returns no row, then finalize it. */
c12_rc c12_bstore_run(c12_bstore *s, sqlite3_stmt *st, c12_err *err);
/* Column i's text into out (cut at cap; NULL: ""). */
void c12_bstore_text_col(sqlite3_stmt *st, int i, char *out, size_t cap);

#endif
