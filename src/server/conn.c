/* conn.c - the client behind a request: whether it is still there. A
 * request that blocks in the access handler (a plain generation, or a
 * stream before its first event) is not watched by libmicrohttpd, so a
 * client that hangs up is only seen here. */
#include <errno.h>
#include <sys/socket.h>

#include "server/server_impl.h"

int c12_http_client_gone(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci) return 0;
    char b;
    ssize_t n = recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return 0; /* a pipelined request waits: still there */
    if (n == 0) return 1; /* end of stream: it closed (as nginx reads a half-close too) */
    return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}
