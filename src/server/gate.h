/* gate.h - the gate: C12's own accept loop in front of libmicrohttpd. A new
 * connection waits here, costing no thread, until its request head has come
 * whole (server.header_timeout_s at most: slowloris) and has been found
 * sound (gate_head.c: refusals in OpenAI's JSON shape, not libmicrohttpd's
 * HTML); only then is it handed to libmicrohttpd, which gives it a thread.
 * A new connection over the caps on open connections (conns.h) is refused
 * at once. A connection kept alive after its response (keepalive.c) has
 * its next request's head judged the same way, with the same timeouts, by
 * c12_keepalive_next on its own thread before libmicrohttpd reads it. */
#ifndef C12_SERVER_GATE_H
#define C12_SERVER_GATE_H

#include <stddef.h>
#include <sys/socket.h>

#include "base/c12_rc.h"
#include "server/conns.h"

#define C12_HEAD_LINE_MAX 8192  /* request line: longer is 414 */
#define C12_HEAD_MAX 16384      /* request line and header fields: longer is 431 */
#define C12_GATE_MAX 1024       /* connections waiting for their head; more are refused (503) */
#define C12_LINGER_S 2.0        /* a refused connection's input is read and dropped this long before it closes */

typedef enum { C12_HEAD_MORE, C12_HEAD_OK, C12_HEAD_BAD } c12_head_result;

/* Why a head is refused: the status, OpenAI's error code, the message. */
typedef struct c12_head_verdict {
    unsigned status;
    const char *code, *msg;
} c12_head_verdict;

/* Judge the first n bytes a connection sent: MORE (the head is not whole
 * yet), OK (whole and sound; bytes after it are the body), or BAD with *v. */
c12_head_result c12_head_check(const char *p, size_t n, c12_head_verdict *v);

/* An error in OpenAI's shape, written straight to the socket (before
 * libmicrohttpd reads from it, or between its requests); the connection
 * is to close after it. */
void c12_gate_send_error(int fd, unsigned status, const char *code, const char *msg);

/* What a kept-alive connection waits for its next request under. */
typedef struct c12_keepalive_limits {
    double idle_s;        /* server.keepalive_s: until the head's first byte */
    double header_s;      /* server.header_timeout_s: from that byte until the head is whole */
    int wake_fd;          /* readable: the server is draining (close at once); -1: none */
} c12_keepalive_limits;

/* On the connection's thread, after its response has gone out
 * (keepalive.c): wait for the next request's head on fd and judge it as
 * the gate judges a first one. 1: whole and sound, still unread (the caller
 * lets libmicrohttpd read it); 0: the connection is to close (its client
 * left or stayed silent, the server drains, or the head was refused: its
 * error sent and the input drained for C12_LINGER_S at most). */
int c12_keepalive_next(int fd, const c12_keepalive_limits *lim);

typedef struct c12_gate c12_gate;

/* A connection whose head is whole and sound: 1 when the callee took it (it
 * is the callee's now), 0 when it cannot (the gate answers 503 and closes). */
typedef int (*c12_gate_pass_fn)(void *ud, int fd, const struct sockaddr *addr, socklen_t len);

/* Start the gate's thread on listen_fd (which it then owns and closes). A
 * connection counts in conns while it waits here; handed over, it is the
 * callee's to count. */
c12_rc c12_gate_start(int listen_fd, double header_timeout_s, c12_conns *conns, c12_gate_pass_fn pass, void *ud,
                      c12_gate **out, c12_err *err);
/* Stop accepting: the listening socket closes (connections waiting for
 * their head still go on). */
void c12_gate_close_listener(c12_gate *g);
/* Stop the thread; connections still waiting are closed. */
void c12_gate_free(c12_gate *g);

#endif
