/* api_page.c - GET / and /dashboard[/...]: the built-in dashboard's page and
 * files, embedded in the binary (src/web). They hold no data, so they need
 * no key; the page reads the JSON of api_dash*.c, which may (server.dashboard_auth).
 *
 * Each answer carries an ETag (computed once at start: c12_server_start)
 * and no-cache, so a browser revalidates and gets 304 while the
 * binary is the same. The page's Content-Security-Policy lets it load only
 * its own files and talk only to this server. */
#include <stdio.h>
#include <string.h>

#include "server/server_impl.h"
#include "web/web.h"

#define CSP                                                                                            \
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " \
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

enum MHD_Result c12_api_page(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    c12_web_asset a;
    if (!c12_web_asset_find(url, &a))
        return c12_http_error(c, 404, "invalid_request_error", NULL, "not_found", "No such dashboard file.");
    const char *etag = s->asset_etags[a.index];
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    int same = inm && !strcmp(inm, etag);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(same ? 0 : a.len, same ? NULL : (void *)a.data, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", a.content_type);
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    return c12_http_queue(c, same ? 304 : 200, resp);
}
