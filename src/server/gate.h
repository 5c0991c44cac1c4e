/* gate.h - the gate: C12's own accept loop in front of libmicrohttpd. A new
 * connection waits here, costing no thread, until its request head has come
 * whole (server.header_timeout_s at most: slowloris) and has been found
 * sound (gate_head.c: refusals in OpenAI's JSON shape, not libmicrohttpd's
 * HTML); only then is it handed to libmicrohttpd, which gives it a thread.
 * Every response closes its connection (Connection: close), so every
 * request comes through here. A new connection over the caps on open
 * connections (conns.h) is refused at once. */
#ifndef C12_SERVER_GATE_H
#define C12_SERVER_GATE_H

#include <stddef.h>
#include <sys/socket.h>

#include "base/c12_rc.h"
#include "server/conns.h"

#define C12_HEAD_LINE_MAX 8192  /* request line: longer is 414 */
#define C12_HEAD_MAX 16384      /* request line and header fields: longer is 431 */
#define C12_GATE_MAX 1024       /* connections waiting for their head; more are refused (503) */

typedef enum { C12_HEAD_MORE, C12_HEAD_OK, C12_HEAD_BAD } c12_head_result;

/* Why a head is refused: the status, OpenAI's error code, the message. */
typedef struct c12_head_verdict {
    unsigned status;
    const char *code, *msg;
} c12_head_verdict;

/* Judge the first n bytes a connection sent: MORE (the head is not whole
 * yet), OK (whole and sound; bytes after it are the body), or BAD with *v. */
c12_head_result c12_head_check(const char *p, size_t n, c12_head_verdict *v);

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
