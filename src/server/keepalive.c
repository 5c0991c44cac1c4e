/* keepalive.c - the wait between two requests on a kept-alive connection
 * (gate.h). libmicrohttpd serves a connection on a thread of its own and
 * would read the next request itself, past the gate's checks; so its
 * completion notice (server.c) holds that thread here until the next head
 * has come whole and sound, peeking (MSG_PEEK) as the gate does, so the
 * bytes stay in the socket for libmicrohttpd. The head's first byte must
 * come within keepalive_s, the rest within header_timeout_s of it
 * (slowloris); a bad head gets the gate's JSON refusal. While a partial
 * head waits, SO_RCVLOWAT makes poll wake only when more bytes than those
 * already seen have come (the bytes peeked stay readable: a plain poll
 * would spin). */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/c12_clock.h"
#include "server/gate.h"

/* Wait until fd has more than `seen` bytes, or the deadline, or the wake fd.
 * 1: more bytes; 0: the deadline passed; -1: close (woken, or the client
 * hung up: a head it stopped sending can never be whole). */
static int await(int fd, size_t seen, int64_t deadline_ns, int wake_fd)
{
    int lowat = (int)seen + 1;
    if (seen) setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
    int r = 0;
    for (;;) {
        int64_t left = deadline_ns - c12_clock_ns();
        if (left <= 0) break;
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN | POLLRDHUP}, {.fd = wake_fd, .events = POLLIN}};
        int n = poll(p, wake_fd >= 0 ? 2 : 1, (int)(left / 1000000 + 1));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || (wake_fd >= 0 && p[1].revents) || (p[0].revents & (POLLRDHUP | POLLHUP | POLLERR))) r = -1;
        else if (p[0].revents) r = 1;
        if (r) break;
    }
    lowat = 1;
    if (seen) setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
    return r;
}

/* After a refusal: read and drop what the client still sends, until it
 * closes or C12_LINGER_S pass, so that closing does not reset the answer. */
static void linger(int fd, char *sink, size_t cap)
{
    shutdown(fd, SHUT_WR);
    int64_t end = c12_clock_ns() + (int64_t)(C12_LINGER_S * 1e9);
    ssize_t n = 1;
    while (n != 0 && await(fd, 0, end, -1) == 1) n = recv(fd, sink, cap, MSG_DONTWAIT);
}

static int refuse(int fd, unsigned status, const char *code, const char *msg, char *buf, size_t cap)
{
    c12_gate_send_error(fd, status, code, msg);
    linger(fd, buf, cap);
    return 0;
}

static int next_head(int fd, const c12_keepalive_limits *lim, char *buf, size_t cap)
{
    int64_t deadline = c12_clock_ns() + (int64_t)(lim->idle_s * 1e9);
    size_t seen = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, cap, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return 0; /* gone */
        if (n > 0 && !seen) deadline = c12_clock_ns() + (int64_t)(lim->header_s * 1e9); /* the head began */
        if (n > 0 && (size_t)n > seen) {
            seen = (size_t)n;
            c12_head_verdict v;
            c12_head_result hr = c12_head_check(buf, seen, &v);
            if (hr == C12_HEAD_OK) return 1;
            if (hr == C12_HEAD_BAD) return refuse(fd, v.status, v.code, v.msg, buf, cap);
        }
        int w = await(fd, seen, deadline, lim->wake_fd);
        if (w < 0) return 0; /* draining: an idle connection closes at once */
        if (w == 0 && seen)
            return refuse(fd, 408, "request_timeout", "The request head did not arrive in time "
                                                      "(server.header_timeout_s).", buf, cap);
        if (w == 0) return 0; /* idle past keepalive_s */
    }
}

int c12_keepalive_next(int fd, const c12_keepalive_limits *lim)
{
    char buf[C12_HEAD_MAX + 1]; /* one byte over the cap: a head that long is refused (431); on the
                                   stack, as a heap block this size cost a malloc_consolidate each time */
    return next_head(fd, lim, buf, sizeof buf);
}
