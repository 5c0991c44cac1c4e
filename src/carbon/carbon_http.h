/* carbon_http.h - the one place the carbon module talks HTTP (libcurl).
 *
 * A GET with connect and total timeouts, optional extra headers and HTTP
 * Basic auth, a capped body, and the Retry-After the server sent. Redirects
 * are not followed: a redirect could carry a key header to another host. */
#ifndef C12_CARBON_HTTP_H
#define C12_CARBON_HTTP_H

#include <stdint.h>

#include "base/c12_buf.h"
#include "base/c12_rc.h"

typedef struct c12_carbon_http_req {
    const char *url;
    const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
    const char *username;       /* HTTP Basic when non-NULL */
    const char *password;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_body; /* 0 = 4 MiB */
} c12_carbon_http_req;

typedef struct c12_carbon_http_resp {
    long status;
    c12_buf body;
    int64_t retry_after_ms; /* 0 when absent */
} c12_carbon_http_resp;

/* Process-wide libcurl setup; safe to call from any thread, any number of times. */
void c12_carbon_http_init(void);

void c12_carbon_http_resp_init(c12_carbon_http_resp *r);
void c12_carbon_http_resp_free(c12_carbon_http_resp *r);

/* GET req->url. C12_OK when an HTTP response arrived, whatever its status;
 * C12_ERR_TIMEOUT, C12_ERR_NETWORK or C12_ERR_RANGE (body over the cap)
 * otherwise. `what` names the request in messages (never the URL's secrets:
 * callers keep keys out of URLs). */
c12_rc c12_carbon_http_get(const c12_carbon_http_req *req, const char *what,
                           c12_carbon_http_resp *resp, c12_err *err);

/* Map a non-2xx status to an rc and a message: 401/403 -> C12_ERR_AUTH,
 * 429 -> C12_ERR_BUSY, others -> C12_ERR_NETWORK. C12_OK for 2xx. */
c12_rc c12_carbon_http_status(const c12_carbon_http_resp *resp, const char *what, c12_err *err);

/* c12_carbon_http_get then c12_carbon_http_status: C12_OK only for a 2xx
 * answer. A Retry-After the server sent lands in *retry_after_ms (if non-NULL)
 * even when the call fails. */
c12_rc c12_carbon_http_fetch(const c12_carbon_http_req *req, const char *what,
                             c12_carbon_http_resp *resp, int64_t *retry_after_ms, c12_err *err);

/* Append s to b percent-encoded for a URL path segment or query value. */
c12_rc c12_carbon_http_escape(c12_buf *b, const char *s);

#endif
