/* guard.c - what a request must show before its body is read: that it
 * comes from no other site, and that a JSON endpoint gets JSON.
 *
 * A server without API keys would otherwise generate for any web page its
 * operator's browser opens: a page can post a "simple" cross-site request
 * (text/plain, no preflight), or rebind its own name to 127.0.0.1 (DNS
 * rebinding). So a keyless server answers only to its own names in Host
 * (localhost, 127.0.0.1, [::1], its listen host, server.allowed_hosts), and
 * takes an Origin only when it is the request's own host or a listed name.
 * With keys, a page has no key to send: the key is the guard. Every JSON
 * endpoint wants Content-Type: application/json (which a page cannot send
 * cross-site without a preflight that C12 never grants). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/server_impl.h"

static const char *const OWN_NAMES[] = {"localhost", "127.0.0.1", "[::1]"};

static void refuse(c12_refusal *out, unsigned status, const char *code, const char *fmt, const char *what)
{
    out->status = status;
    out->type = "invalid_request_error";
    out->code = code;
    snprintf(out->msg, sizeof out->msg, fmt, what);
}

/* The host of "host[:port]" or "[v6]:port": its length. */
static size_t host_len(const char *authority)
{
    if (authority[0] == '[') {
        const char *e = strchr(authority, ']');
        return e ? (size_t)(e - authority) + 1 : strlen(authority);
    }
    return strcspn(authority, ":/");
}

static int same_name(const char *name, const char *h, size_t n) { return strlen(name) == n && !strncasecmp(name, h, n); }

static int listed(const c12_config *cfg, const char *h, size_t n)
{
    for (size_t i = 0; i < cfg->n_allowed_hosts; i++)
        if (same_name(cfg->allowed_hosts[i], h, n)) return 1;
    return 0;
}

/* The listen host as a Host header names it ("::1" as "[::1]"); not a
 * wildcard, which no client names. */
static int is_listen_host(const c12_config *cfg, const char *h, size_t n)
{
    const char *l = cfg->listen_host;
    if (!*l || !strcmp(l, "0.0.0.0") || !strcmp(l, "::")) return 0;
    if (strchr(l, ':')) return n == strlen(l) + 2 && h[0] == '[' && !strncasecmp(h + 1, l, n - 2);
    return same_name(l, h, n);
}

static int own_host(const c12_config *cfg, const char *h, size_t n)
{
    for (size_t i = 0; i < sizeof OWN_NAMES / sizeof OWN_NAMES[0]; i++)
        if (same_name(OWN_NAMES[i], h, n)) return 1;
    return is_listen_host(cfg, h, n) || listed(cfg, h, n);
}

/* Host and Origin, for a server without keys. */
static int cross_site(const c12_config *cfg, struct MHD_Connection *c, c12_refusal *out)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (host && !own_host(cfg, host, host_len(host))) {
        refuse(out, 403, "host_not_allowed", "The Host '%.100s' is not a name of this server (a page of another site "
               "cannot use a server without API keys); list it in server.allowed_hosts.", host);
        return 1;
    }
    if (!origin) return 0;
    const char *authority = strstr(origin, "://");
    authority = authority ? authority + 3 : "";
    size_t n = strcspn(authority, "/");
    int same = host && strlen(host) == n && !strncasecmp(host, authority, n);
    if (same || listed(cfg, authority, host_len(authority)) ) return 0;
    refuse(out, 403, "origin_not_allowed", "Requests from the page at '%.100s' are refused: a server without API "
           "keys answers its own pages only (list another in server.allowed_hosts).", origin);
    return 1;
}

static int not_json(struct MHD_Connection *c, c12_refusal *out)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = ct ? strcspn(ct, "; \t") : 0;
    if (ct && n == 16 && !strncasecmp(ct, "application/json", 16)) return 0;
    refuse(out, 415, "unsupported_media_type", "The body must be JSON, sent with Content-Type: application/json "
           "(this request says '%.60s').", ct ? ct : "nothing");
    return 1;
}

int c12_guard(const c12_server *s, struct MHD_Connection *c, int json_body, c12_refusal *out)
{
    if (!s->cfg->n_api_keys && cross_site(s->cfg, c, out)) return 1;
    return json_body && not_json(c, out);
}
