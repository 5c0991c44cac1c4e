/* conns.h - the server's open connections, counted by client address, and
 * its two caps on them: server.max_connections (all clients together) and
 * server.max_connections_per_client (one address; an IPv6 client is its /64,
 * which one host can fill with addresses). A connection counts from its
 * accept until its socket is closed: while it waits for its head in the gate
 * (no thread) and while libmicrohttpd serves it (a thread). Over a cap the
 * gate refuses it at once (gate.c: 429 or 503, with Retry-After), and the
 * refusal is counted in /metrics (c12_connections_refused_total). */
#ifndef C12_SERVER_CONNS_H
#define C12_SERVER_CONNS_H

#include <sys/socket.h>

#include "base/c12_rc.h"
#include "metrics/metrics.h"

typedef struct c12_conns c12_conns;

typedef enum {
    C12_CONN_IN = 0,       /* counted */
    C12_CONN_OVER_CLIENT,  /* its address has max_per_client open already */
    C12_CONN_OVER_TOTAL,   /* the server has max_total open already */
} c12_conn_verdict;

/* m may be NULL (no metrics). */
c12_rc c12_conns_new(int max_total, int max_per_client, c12_metrics *m, c12_conns **out, c12_err *err);
void c12_conns_free(c12_conns *t);

/* A new connection from a: counted, or refused (and the refusal counted)
 * when it would pass a cap. check 0: counted whatever the caps say (a
 * connection that is already in, moving from the gate to libmicrohttpd). */
c12_conn_verdict c12_conns_enter(c12_conns *t, const struct sockaddr *a, int check);
/* A counted connection from a is closed. */
void c12_conns_leave(c12_conns *t, const struct sockaddr *a);
/* A connection refused for another reason ("waiting": the gate's table is
 * full; "busy": libmicrohttpd has no room), for /metrics. */
void c12_conns_refused(c12_conns *t, const char *reason);
/* Open connections now, all clients together. */
int c12_conns_open(c12_conns *t);

#endif
