/* respond.c - JSON responses and OpenAI-shaped errors, and whether a
 * response keeps its connection alive (keepalive.c waits for the next). */
#include <string.h>
#include <strings.h>

#include "base/c12_alloc.h"
#include "base/c12_utf8.h"
#include "server/server_impl.h"

json_t *c12_json_text(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j) return j;
    char *fixed = c12_malloc(n + 1);
    if (!fixed) return NULL;
    j = json_stringn(fixed, c12_utf8_copy(fixed, n + 1, s, n));
    c12_free(fixed);
    return j;
}

enum MHD_Result c12_http_json(struct MHD_Connection *c, unsigned status, json_t *body)
{
    return c12_http_json_h(c, status, body, NULL);
}

/* From now on the connection is cut when its client takes no bytes for
 * server.write_timeout_s (its socket context says the server's: server.c).
 * libmicrohttpd counts a timeout from the connection's last read or write,
 * and restarts that count when a timeout is set only if it was 0: hence
 * two calls. */
void c12_http_write_timeout_start(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    const c12_conn *cc = ci ? ci->socket_context : NULL;
    if (!cc) return;
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)cc->srv->cfg->write_timeout_s);
}

/* Whether the comma-separated header value h has the token tok. */
static int has_token(const char *h, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = h; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        size_t len = strcspn(p, ",");
        size_t t = len;
        while (t && (p[t - 1] == ' ' || p[t - 1] == '\t')) t--;
        if (t == n && !strncasecmp(p, tok, n)) return 1;
        p += len;
    }
    return 0;
}

void c12_http_count_request(struct MHD_Connection *c, const char *version)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    c12_conn *cc = ci ? ci->socket_context : NULL;
    if (!cc) return;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION);
    cc->requests++;
    if (strcmp(version, MHD_HTTP_VERSION_1_1) || (h && has_token(h, "close"))) cc->last = 1;
}

/* Whether the connection stays open after this response (c12_http_queue). */
static int keep_alive(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    c12_conn *cc = ci ? ci->socket_context : NULL;
    if (!cc || cc->fd < 0) return 0;
    const c12_config *cfg = cc->srv->cfg;
    cc->keep = cfg->keepalive_s > 0 && !cc->last && cc->requests < cfg->keepalive_requests &&
               !atomic_load(&cc->srv->shutting_down) && !atomic_load(&cc->srv->cancel_all);
    return cc->keep;
}

enum MHD_Result c12_http_queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp)
{
    if (!keep_alive(c)) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES) c12_http_write_timeout_start(c); /* the idle timeout was the request's */
    return ret;
}

enum MHD_Result c12_http_json_h(struct MHD_Connection *c, unsigned status, json_t *body, const c12_http_hdrs *hdrs)
{
    return c12_http_json_retry_h(c, status, body, hdrs, 0);
}

enum MHD_Result c12_http_json_retry_h(struct MHD_Connection *c, unsigned status, json_t *body,
                                      const c12_http_hdrs *hdrs, int retry_after_s)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return c12_http_json_text_h(c, status, text, text ? strlen(text) : 0, hdrs, retry_after_s);
}

enum MHD_Result c12_http_json_text_h(struct MHD_Connection *c, unsigned status, char *text, size_t n,
                                     const c12_http_hdrs *hdrs, int retry_after_s)
{
    if (!text) return MHD_NO; /* out of memory: MHD closes the connection */
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(n, text, c12_free);
    if (!resp) {
        c12_free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (status == 401) MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    if (hdrs && hdrs->add) hdrs->add(hdrs->ud, resp);
    if (retry_after_s > 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", retry_after_s);
        MHD_add_response_header(resp, "Retry-After", v);
    }
    return c12_http_queue(c, status, resp);
}

enum MHD_Result c12_http_error(struct MHD_Connection *c, unsigned status, const char *type, const char *param,
                               const char *code, const char *msg)
{
    return c12_http_error_h(c, status, type, param, code, msg, NULL);
}

json_t *c12_http_error_body(const char *type, const char *param, const char *code, const char *msg)
{
    return json_pack("{s:{s:o, s:s, s:o, s:o}}", "error", "message", c12_json_text(msg, strlen(msg)), "type", type,
                     "param", param && *param ? c12_json_text(param, strlen(param)) : json_null(), "code",
                     code ? json_string(code) : json_null());
}

enum MHD_Result c12_http_error_h(struct MHD_Connection *c, unsigned status, const char *type, const char *param,
                                 const char *code, const char *msg, const c12_http_hdrs *hdrs)
{
    return c12_http_json_h(c, status, c12_http_error_body(type, param, code, msg), hdrs);
}

/* One row per error kind: the status, OpenAI's type and code, and whether
 * the request's input (its messages or prompt) is the param at fault. */
typedef struct rc_map {
    c12_rc rc;
    unsigned status;
    const char *type, *code;
    int input_param;
    int retry_after_s; /* 0: no Retry-After */
} rc_map;

static const rc_map RC_MAP[] = {
    /* the queue is full: try again soon (a key's own limits say when, gen_limits.c) */
    {.rc = C12_ERR_BUSY, .status = 429, .type = "rate_limit_error", .code = "queue_full", .retry_after_s = 1},
    {.rc = C12_ERR_TIMEOUT, .status = 504, .type = "timeout_error", .code = "deadline_exceeded"},
    {.rc = C12_ERR_CANCELLED, .status = 503, .type = "server_error", .code = "shutting_down"},
    {.rc = C12_ERR_RANGE, .status = 400, .type = "invalid_request_error", .code = "context_length_exceeded",
     .input_param = 1},
    /* a request the model cannot serve: chat to a base model, an empty prompt */
    {.rc = C12_ERR_INVALID, .status = 400, .type = "invalid_request_error", .input_param = 1},
    {.rc = C12_ERR_NOT_FOUND, .status = 500, .type = "server_error", .code = "model_load_failed"},
    {.rc = C12_ERR_INTEGRITY, .status = 500, .type = "server_error", .code = "model_load_failed"},
    {.rc = C12_ERR_FORMAT, .status = 500, .type = "server_error", .code = "model_load_failed"},
    {.rc = C12_ERR_UNSUPPORTED, .status = 500, .type = "server_error", .code = "model_load_failed"},
    {.rc = C12_ERR_IO, .status = 500, .type = "server_error", .code = "model_load_failed"},
    {.rc = C12_ERR_NOMEM, .status = 503, .type = "server_error", .code = "out_of_memory"},
    /* a remote site failed (fleet.h), and no other could answer instead */
    {.rc = C12_ERR_NETWORK, .status = 502, .type = "server_error", .code = "upstream_error"},
};

static const rc_map *rc_find(c12_rc rc)
{
    static const rc_map other = {.rc = C12_OK, .status = 500, .type = "server_error"};
    for (size_t i = 0; i < sizeof RC_MAP / sizeof RC_MAP[0]; i++)
        if (RC_MAP[i].rc == rc) return &RC_MAP[i];
    return &other;
}

unsigned c12_http_rc_status(c12_rc rc) { return rc_find(rc)->status; }

int c12_http_rc_retry_after(c12_rc rc) { return rc_find(rc)->retry_after_s; }

json_t *c12_http_rc_error_body(c12_rc rc, const char *msg, const char *input)
{
    const rc_map *m = rc_find(rc);
    return c12_http_error_body(m->type, m->input_param ? input : NULL, m->code, msg);
}

enum MHD_Result c12_http_rc_error_h(struct MHD_Connection *c, c12_rc rc, const char *msg, const char *input,
                                    const c12_http_hdrs *hdrs)
{
    const rc_map *m = rc_find(rc);
    return c12_http_json_retry_h(c, m->status, c12_http_rc_error_body(rc, msg, input), hdrs, m->retry_after_s);
}
