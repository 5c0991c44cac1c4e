/* conns.c - open connections by client address (see conns.h): one mutex, an
 * open-addressing table of addresses with a count each, sized for every
 * connection being from another address (at most max_total are in), so it
 * never grows; a closed address's row is removed by shifting its
 * neighbours back (no tombstones). */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "server/conns.h"

typedef struct row {
    unsigned char key[16]; /* an IPv6 address (IPv4 mapped into it), or its /64 */
    int n;                 /* 0: a free row */
} row;

struct c12_conns {
    pthread_mutex_t mu;
    int max_total, max_per_client, open;
    size_t cap;            /* rows: a power of two, at least twice max_total */
    row *rows;
    c12_metrics *m;
};

c12_rc c12_conns_new(int max_total, int max_per_client, c12_metrics *m, c12_conns **out, c12_err *err)
{
    c12_conns *t = c12_calloc(1, sizeof *t);
    size_t cap = 16;
    while (cap < 2 * (size_t)max_total) cap *= 2;
    if (t) t->rows = c12_calloc(cap, sizeof *t->rows);
    if (!t || !t->rows) {
        c12_free(t);
        return c12_fail(err, C12_ERR_NOMEM, "server: out of memory (connections)");
    }
    pthread_mutex_init(&t->mu, NULL);
    t->max_total = max_total;
    t->max_per_client = max_per_client;
    t->cap = cap;
    t->m = m;
    *out = t;
    return C12_OK;
}

void c12_conns_free(c12_conns *t)
{
    if (!t) return;
    pthread_mutex_destroy(&t->mu);
    c12_free(t->rows);
    c12_free(t);
}

/* The client of a: an IPv4 address as ::ffff:a.b.c.d, an IPv6 one by its
 * first 64 bits (IPv4-mapped ones whole), anything else as one client. */
static void client_key(const struct sockaddr *a, unsigned char key[16])
{
    memset(key, 0, 16);
    if (a && a->sa_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)a)->sin_addr, 4);
    } else if (a && a->sa_family == AF_INET6) {
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
        memcpy(key, v6, IN6_IS_ADDR_V4MAPPED(v6) ? 16 : 8);
    }
}

static size_t hash(const unsigned char key[16], size_t cap)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (int i = 0; i < 16; i++) h = (h ^ key[i]) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* The row of key, or the free row where it would go. */
static row *find(c12_conns *t, const unsigned char key[16])
{
    size_t i = hash(key, t->cap);
    while (t->rows[i].n && memcmp(t->rows[i].key, key, 16)) i = (i + 1) & (t->cap - 1);
    return &t->rows[i];
}

/* Free row r, moving back the rows after it that probing would no longer
 * reach (Knuth's algorithm R). */
static void remove_row(c12_conns *t, row *r)
{
    size_t i = (size_t)(r - t->rows), j = i;
    for (;;) {
        t->rows[i].n = 0;
        for (;;) {
            j = (j + 1) & (t->cap - 1);
            if (!t->rows[j].n) return;
            size_t home = hash(t->rows[j].key, t->cap);
            /* j's row may move to i unless its home lies cyclically in (i, j] */
            if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) break;
        }
        t->rows[i] = t->rows[j];
        i = j;
    }
}

c12_conn_verdict c12_conns_enter(c12_conns *t, const struct sockaddr *a, int check)
{
    unsigned char key[16];
    client_key(a, key);
    pthread_mutex_lock(&t->mu);
    row *r = find(t, key);
    c12_conn_verdict v = !check ? C12_CONN_IN
                       : t->open >= t->max_total ? C12_CONN_OVER_TOTAL
                       : r->n >= t->max_per_client ? C12_CONN_OVER_CLIENT
                                                     : C12_CONN_IN;
    /* a free row always remains (find() ends at one): at most cap - 1
     * addresses, which unchecked entries (moves) come nowhere near */
    if (v == C12_CONN_IN && (r->n || (size_t)t->open < t->cap - 1)) {
        if (!r->n) memcpy(r->key, key, 16);
        r->n++;
        t->open++;
        c12_metrics_set_connections(t->m, t->open);
    }
    pthread_mutex_unlock(&t->mu);
    if (v != C12_CONN_IN) c12_conns_refused(t, v == C12_CONN_OVER_TOTAL ? "total" : "per_client");
    return v;
}

void c12_conns_leave(c12_conns *t, const struct sockaddr *a)
{
    unsigned char key[16];
    client_key(a, key);
    pthread_mutex_lock(&t->mu);
    row *r = find(t, key);
    if (r->n) {
        if (--r->n == 0) remove_row(t, r);
        t->open--;
        c12_metrics_set_connections(t->m, t->open);
    }
    pthread_mutex_unlock(&t->mu);
}

void c12_conns_refused(c12_conns *t, const char *reason) { c12_metrics_observe_refused(t->m, reason); }

int c12_conns_open(c12_conns *t)
{
    pthread_mutex_lock(&t->mu);
    int n = t->open;
    pthread_mutex_unlock(&t->mu);
    return n;
}
