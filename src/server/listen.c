/* listen.c - the listening socket, and whether its address is loopback
 * (a server without API keys listens on loopback only, unless told
 * --insecure-no-auth: cmd_serve.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/server_impl.h"

static c12_rc resolve(const c12_config *cfg, struct addrinfo **ai, c12_err *err)
{
    char port[16];
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    snprintf(port, sizeof port, "%d", cfg->listen_port);
    int g = getaddrinfo(cfg->listen_host, port, &hints, ai);
    if (g) return c12_fail(err, C12_ERR_INVALID, "listen %s:%s: %s", cfg->listen_host, port, gai_strerror(g));
    return C12_OK;
}

static int loopback(const struct sockaddr *a)
{
    if (a->sa_family == AF_INET) return ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24 == 127;
    if (a->sa_family != AF_INET6) return 0;
    const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(v6) || (IN6_IS_ADDR_V4MAPPED(v6) && v6->s6_addr[12] == 127);
}

c12_rc c12_server_listen_loopback(const c12_config *cfg, int *is_loopback, c12_err *err)
{
    struct addrinfo *ai = NULL;
    c12_rc rc = resolve(cfg, &ai, err);
    if (rc) return rc;
    *is_loopback = loopback(ai->ai_addr); /* the address c12_server_listen binds */
    freeaddrinfo(ai);
    return C12_OK;
}

c12_rc c12_server_listen(const c12_config *cfg, int *out, int *port_out, c12_err *err)
{
    struct addrinfo *ai = NULL;
    c12_rc rc = resolve(cfg, &ai, err);
    if (rc) return rc;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 256)) {
        rc = c12_fail(err, C12_ERR_IO, "listen %s:%d: %s", cfg->listen_host, cfg->listen_port, strerror(errno));
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        return rc;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    *out = fd;
    return C12_OK;
}
