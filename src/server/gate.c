/* gate.c - the accept loop in front of libmicrohttpd (see gate.h): one
 * thread, epoll, a fixed table of connections waiting for their head. The
 * head is read with MSG_PEEK, so the bytes stay in the socket for
 * libmicrohttpd; edge-triggered events wake the loop only when more arrive.
 * A refused connection gets its JSON error, then lingers (its input read
 * and dropped for C12_LINGER_S) so that closing does not reset the answer away.
 * A new connection over server.max_connections or .max_connections_per_client
 * (conns.h) is refused so at once; the ones let in count until closed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "base/c12_clock.h"
#include "server/conns.h"
#include "server/gate.h"
#include "server/server_impl.h"

#define ACCEPT_PAUSE_NS 100000000LL /* out of descriptors: how long accepting rests (else epoll would spin) */

typedef struct pending {
    int fd;                       /* -1: a free row */
    int lingering;                /* refused: reading and dropping until EOF or the deadline */
    int counted;                  /* in the connection counts (conns.h) until dropped or handed over */
    int64_t deadline_ns;
    size_t seen;                  /* bytes of the head seen so far */
    struct sockaddr_storage addr;
    socklen_t alen;
} pending;

struct c12_gate {
    int listen_fd, ep, wake;
    int64_t header_ns;
    c12_gate_pass_fn pass;
    void *ud;
    c12_conns *conns;
    int64_t accept_paused_until;  /* 0: accepting */
    atomic_int stop, close_listener;
    pthread_t thread;
    char head[C12_HEAD_MAX + 1];
    pending rows[C12_GATE_MAX];
};

/* The connection leaves the gate: counted no more here (closed, or handed over). */
static void uncount(c12_gate *g, pending *p)
{
    if (p->counted) c12_conns_leave(g->conns, (struct sockaddr *)&p->addr);
    p->counted = 0;
}

static void drop(c12_gate *g, pending *p)
{
    epoll_ctl(g->ep, EPOLL_CTL_DEL, p->fd, NULL);
    close(p->fd);
    p->fd = -1;
    uncount(g, p);
}

/* A refusal for want of room (429, 503) says when to try again. */
void c12_gate_send_error(int fd, unsigned status, const char *code, const char *msg)
{
    const char *type = status == 429 ? "rate_limit_error"
                     : status >= 500 && status != 501 && status != 505 ? "server_error"
                                                                        : "invalid_request_error";
    json_t *e = c12_http_error_body(type, NULL, code, msg);
    char *body = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    char resp[1024];
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s"
                     "Connection: close\r\n\r\n%s",
                     status, MHD_get_reason_phrase_for(status), body ? strlen(body) : 0,
                     status == 429 || status == 503 ? "Retry-After: 1\r\n" : "", body ? body : "");
    c12_free(body);
    if (n > 0 && (size_t)n < sizeof resp) (void)!send(fd, resp, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* The error, then the connection lingers. */
static void refuse(pending *p, unsigned status, const char *code, const char *msg)
{
    c12_gate_send_error(p->fd, status, code, msg);
    shutdown(p->fd, SHUT_WR);
    p->lingering = 1;
    p->deadline_ns = c12_clock_ns() + (int64_t)(C12_LINGER_S * 1e9);
}

static void linger_read(c12_gate *g, pending *p)
{
    char sink[4096];
    ssize_t r;
    while ((r = recv(p->fd, sink, sizeof sink, MSG_DONTWAIT)) > 0) {}
    if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) drop(g, p);
}

/* More bytes (or an end) on a connection waiting for its head. */
static void on_bytes(c12_gate *g, pending *p)
{
    if (p->fd < 0) return; /* closed earlier in this round of events */
    if (p->lingering) {
        linger_read(g, p);
        return;
    }
    ssize_t r = recv(p->fd, g->head, sizeof g->head, MSG_PEEK | MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (r <= 0) { /* gone before its head was whole */
        drop(g, p);
        return;
    }
    p->seen = (size_t)r;
    c12_head_verdict v;
    c12_head_result hr = c12_head_check(g->head, (size_t)r, &v);
    if (hr == C12_HEAD_BAD) refuse(p, v.status, v.code, v.msg);
    if (hr != C12_HEAD_OK) return;
    epoll_ctl(g->ep, EPOLL_CTL_DEL, p->fd, NULL);
    int fd = p->fd;
    p->fd = -1;
    uncount(g, p); /* libmicrohttpd counts it from here (server.c) */
    if (g->pass(g->ud, fd, (struct sockaddr *)&p->addr, p->alen)) return; /* now libmicrohttpd's */
    c12_conns_refused(g->conns, "busy");
    c12_gate_send_error(fd, 503, "too_many_connections", "Too many requests are being served; try again.");
    close(fd);
}

static pending *free_row(c12_gate *g)
{
    for (size_t i = 0; i < C12_GATE_MAX; i++)
        if (g->rows[i].fd < 0) return &g->rows[i];
    return NULL;
}

/* Out of descriptors (or kernel memory): the pending connection cannot be
 * taken, and the listening socket stays readable; rest a little instead of
 * spinning (expire() resumes). */
static void pause_accepting(c12_gate *g)
{
    epoll_ctl(g->ep, EPOLL_CTL_DEL, g->listen_fd, NULL);
    g->accept_paused_until = c12_clock_ns() + ACCEPT_PAUSE_NS;
}

static void on_accept(c12_gate *g)
{
    for (;;) {
        struct sockaddr_storage a;
        socklen_t alen = sizeof a;
        int fd = accept4(g->listen_fd, (struct sockaddr *)&a, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM))
            pause_accepting(g);
        if (fd < 0) return; /* EAGAIN: none left (or a transient error: the next event retries) */
        pending *p = free_row(g);
        if (!p) {
            c12_conns_refused(g->conns, "waiting");
            c12_gate_send_error(fd, 503, "too_many_connections", "Too many connections are waiting for their request.");
            close(fd);
            continue;
        }
        *p = (pending){.fd = fd, .deadline_ns = c12_clock_ns() + g->header_ns, .addr = a, .alen = alen};
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = p};
        if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev)) {
            close(fd);
            p->fd = -1;
            continue;
        }
        c12_conn_verdict v = c12_conns_enter(g->conns, (struct sockaddr *)&a, 1);
        p->counted = v == C12_CONN_IN;
        if (v == C12_CONN_OVER_CLIENT)
            refuse(p, 429, "too_many_connections",
                   "Too many connections from your address (server.max_connections_per_client); try again.");
        else if (v == C12_CONN_OVER_TOTAL)
            refuse(p, 503, "too_many_connections", "The server has too many connections open "
                                                   "(server.max_connections); try again.");
        on_bytes(g, p); /* bytes that came with the connection raise no edge of their own */
    }
}

/* Past their deadline: a head not whole in time is refused with 408 (when
 * anything came) or closed; a lingering connection is closed. Returns the
 * milliseconds until the next deadline (at most 1 s). */
static int expire(c12_gate *g)
{
    int64_t now = c12_clock_ns(), next = now + 1000000000LL;
    if (g->accept_paused_until && g->accept_paused_until <= now && g->listen_fd >= 0) {
        struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &g->listen_fd};
        epoll_ctl(g->ep, EPOLL_CTL_ADD, g->listen_fd, &lev);
        g->accept_paused_until = 0;
    }
    if (g->accept_paused_until && g->accept_paused_until < next) next = g->accept_paused_until;
    for (size_t i = 0; i < C12_GATE_MAX; i++) {
        pending *p = &g->rows[i];
        if (p->fd < 0) continue;
        if (p->deadline_ns <= now && p->lingering) drop(g, p);
        else if (p->deadline_ns <= now && p->seen)
            refuse(p, 408, "request_timeout", "The request head did not arrive in time (server.header_timeout_s).");
        else if (p->deadline_ns <= now) drop(g, p);
        if (p->fd >= 0 && p->deadline_ns < next) next = p->deadline_ns;
    }
    return (int)((next - now) / 1000000 + 1);
}

static void *gate_main(void *ud)
{
    c12_gate *g = ud;
    struct epoll_event evs[64];
    int timeout_ms = 1000;
    while (!atomic_load(&g->stop)) {
        int n = epoll_wait(g->ep, evs, 64, timeout_ms);
        if (atomic_load(&g->close_listener) && g->listen_fd >= 0) {
            epoll_ctl(g->ep, EPOLL_CTL_DEL, g->listen_fd, NULL);
            close(g->listen_fd);
            g->listen_fd = -1;
        }
        for (int i = 0; i < n; i++) {
            void *what = evs[i].data.ptr;
            uint64_t count;
            if (what == &g->wake) (void)!read(g->wake, &count, sizeof count);
            else if (what == &g->listen_fd && g->listen_fd >= 0) on_accept(g);
            else if (what != &g->listen_fd) on_bytes(g, what);
        }
        timeout_ms = expire(g);
    }
    return NULL;
}

static void gate_close(c12_gate *g)
{
    for (size_t i = 0; i < C12_GATE_MAX; i++)
        if (g->rows[i].fd >= 0) {
            close(g->rows[i].fd);
            uncount(g, &g->rows[i]);
        }
    if (g->listen_fd >= 0) close(g->listen_fd);
    if (g->ep >= 0) close(g->ep);
    if (g->wake >= 0) close(g->wake);
    c12_free(g);
}

c12_rc c12_gate_start(int listen_fd, double header_timeout_s, c12_conns *conns, c12_gate_pass_fn pass, void *ud,
                      c12_gate **out, c12_err *err)
{
    c12_gate *g = c12_calloc(1, sizeof *g);
    if (!g) return c12_fail(err, C12_ERR_NOMEM, "server: out of memory (gate)");
    for (size_t i = 0; i < C12_GATE_MAX; i++) g->rows[i].fd = -1;
    g->listen_fd = listen_fd;
    g->ep = epoll_create1(EPOLL_CLOEXEC);
    g->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    g->header_ns = (int64_t)(header_timeout_s * 1e9);
    g->pass = pass;
    g->ud = ud;
    g->conns = conns;
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &g->listen_fd};
    struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &g->wake};
    int bad = g->ep < 0 || g->wake < 0 || fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) ||
              epoll_ctl(g->ep, EPOLL_CTL_ADD, listen_fd, &lev) || epoll_ctl(g->ep, EPOLL_CTL_ADD, g->wake, &wev);
    if (bad || pthread_create(&g->thread, NULL, gate_main, g)) {
        c12_rc rc = c12_fail(err, C12_ERR_IO, "server: the accept loop could not start: %s", strerror(errno));
        gate_close(g);
        return rc;
    }
    *out = g;
    return C12_OK;
}

static void wake(c12_gate *g)
{
    uint64_t one = 1;
    (void)!write(g->wake, &one, sizeof one);
}

void c12_gate_close_listener(c12_gate *g)
{
    atomic_store(&g->close_listener, 1);
    wake(g);
}

void c12_gate_free(c12_gate *g)
{
    if (!g) return;
    atomic_store(&g->stop, 1);
    wake(g);
    pthread_join(g->thread, NULL);
    gate_close(g);
}
