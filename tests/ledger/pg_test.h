/* pg_test.h - a throw-away PostgreSQL server for the ledger's unit tests,
 * through scripts/pg_scratch.sh (initdb as an unprivileged user, a free
 * port on 127.0.0.1, password authentication): start one for a test
 * program, a fresh database per test, SQL as the superuser, stop. */
#ifndef C12_PG_TEST_H
#define C12_PG_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct pg_test {
    char dir[64];   /* the server's folder, removed by pg_test_stop */
    int n_dbs;      /* databases made so far (their names) */
} pg_test;

static inline const char *pg_test_script(void)
{
    const char *s = getenv("C12_PG_SCRATCH");
    return s ? s : "scripts/pg_scratch.sh";
}

/* Run the script with args; its first line of output into out (may be NULL). */
static inline int pg_test_run(const char *args, char *out, size_t cap)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%.500s %.1500s", pg_test_script(), args);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    char line[1024] = "";
    if (!fgets(line, sizeof line, f)) line[0] = '\0';
    while (fgetc(f) != EOF) {
    }
    int st = pclose(f);
    line[strcspn(line, "\n")] = '\0';
    if (out && cap) {
        strncpy(out, line, cap - 1);
        out[cap - 1] = '\0';
    }
    return st;
}

/* Start a server (a failure stops the program: `make test` installs
 * PostgreSQL, scripts/deps.sh --test). */
static inline void pg_test_start(pg_test *pg)
{
    memset(pg, 0, sizeof *pg);
    snprintf(pg->dir, sizeof pg->dir, "/tmp/c12-pg-XXXXXX");
    if (!mkdtemp(pg->dir)) abort();
    char args[128], dsn[512];
    snprintf(args, sizeof args, "start %s", pg->dir);
    if (pg_test_run(args, dsn, sizeof dsn) != 0) {
        fprintf(stderr, "pg_test: could not start PostgreSQL with %s\n", pg_test_script());
        exit(1);
    }
}

static inline void pg_test_stop(pg_test *pg)
{
    char args[128];
    snprintf(args, sizeof args, "stop %s", pg->dir);
    pg_test_run(args, NULL, 0);
    snprintf(args, sizeof args, "rm -rf '%s'", pg->dir);
    if (system(args) != 0) fprintf(stderr, "pg_test: could not remove %s\n", pg->dir);
}

/* A new, empty database: its DSN into dsn and its name into name. */
static inline void pg_test_db(pg_test *pg, char *dsn, size_t cap, char *name, size_t name_cap)
{
    char args[160];
    snprintf(name, name_cap, "t%d", ++pg->n_dbs);
    snprintf(args, sizeof args, "createdb %s %s", pg->dir, name);
    assert_int_equal(pg_test_run(args, dsn, cap), 0);
}

/* SQL as the superuser in database db; the first row into out (may be NULL). */
static inline void pg_test_sql(pg_test *pg, const char *db, const char *sql, char *out, size_t cap)
{
    char args[1024];
    snprintf(args, sizeof args, "psql %s %s \"%s\"", pg->dir, db, sql);
    assert_int_equal(pg_test_run(args, out, cap), 0);
}

#endif
