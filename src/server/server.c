/* server.c - the HTTP daemon: libmicrohttpd behind the gate (gate.c),
 * routing table, API keys, body limits, shutdown. Endpoints live in api_*.c,
 * the listening socket in listen.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/c12_clock.h"
#include "base/c12_alloc.h"
#include "base/c12_fiber.h"
#include "base/c12_thpool.h"
#include "server/gate.h"
#include "server/server_impl.h"

/* libmicrohttpd's own cap, over server.max_connections (which the gate
 * holds: conns.h) by the room for connections whose close it has not
 * reported yet: a backstop that does not bind. */
#define MHD_SLACK 64
/* Stream generator threads kept between streams (c12_thpool.h): more than
 * stream at once on a busy gateway; one idle past this long leaves. */
#define GENERATORS_IDLE_MAX 256
#define GENERATORS_IDLE_S 30.0
/* A site's stream runs on its connection's thread, on a stack of its own
 * (c12_fiber.h): the generation, libcurl, the ledger's row. Mapped, so
 * only what it touches is memory; kept for the next stream. */
#define STREAM_STACK (512u << 10)
#define STREAM_STACKS_IDLE_MAX 256

typedef struct route {
    const char *method;
    const char *path;
    int prefix;      /* path is a prefix (/v1/models/{id}) */
    int needs_key;   /* KEY_*: when the API keys (if any are configured) guard it */
    c12_route_fn fn;
    int json_body;   /* its body is JSON: Content-Type: application/json or 415 */
} route;

enum { KEY_NEVER, KEY_ALWAYS, KEY_IF_METRICS_AUTH, KEY_IF_DASHBOARD_AUTH };

static const route ROUTES[] = {
    {"GET", "/healthz", 0, KEY_NEVER, c12_api_healthz, 0},
    {"GET", "/readyz", 0, KEY_NEVER, c12_api_readyz, 0},
    /* open unless server.metrics_auth, as exporters are (api_metrics.c) */
    {"GET", "/metrics", 0, KEY_IF_METRICS_AUTH, c12_api_metrics, 0},
    {"GET", "/v1/models", 0, KEY_ALWAYS, c12_api_models, 0},
    {"GET", "/v1/models/", 1, KEY_ALWAYS, c12_api_model, 0},
    {"POST", "/v1/chat/completions", 0, KEY_ALWAYS, c12_api_chat, 1},
    {"POST", "/v1/completions", 0, KEY_ALWAYS, c12_api_completions, 1},
    {"POST", "/v1/files", 0, KEY_ALWAYS, c12_api_files_create, 0},
    {"GET", "/v1/files", 0, KEY_ALWAYS, c12_api_files_list, 0},
    {"GET", "/v1/files/", 1, KEY_ALWAYS, c12_api_file_get, 0},
    {"DELETE", "/v1/files/", 1, KEY_ALWAYS, c12_api_file_delete, 0},
    {"POST", "/v1/batches", 0, KEY_ALWAYS, c12_api_batches_create, 1},
    {"GET", "/v1/batches", 0, KEY_ALWAYS, c12_api_batches_list, 0},
    {"GET", "/v1/batches/", 1, KEY_ALWAYS, c12_api_batch_get, 0},
    {"POST", "/v1/batches/", 1, KEY_ALWAYS, c12_api_batch_cancel, 0},
    {"GET", "/v1/c12/usage", 0, KEY_ALWAYS, c12_api_usage, 0},
    {"POST", "/tokenize", 0, KEY_ALWAYS, c12_api_tokenize, 1},
    {"POST", "/detokenize", 0, KEY_ALWAYS, c12_api_detokenize, 1},
    /* the dashboard: its JSON behind the keys unless server.dashboard_auth is
     * false (api_dash*.c); the page itself holds no data (api_page.c) */
    {"GET", "/dashboard/api/grid", 0, KEY_IF_DASHBOARD_AUTH, c12_api_dash_grid, 0},
    {"GET", "/dashboard/api/status", 0, KEY_IF_DASHBOARD_AUTH, c12_api_dash_status, 0},
    {"GET", "/dashboard/api/decisions", 0, KEY_IF_DASHBOARD_AUTH, c12_api_dash_decisions, 0},
    {"GET", "/dashboard/api/summary", 0, KEY_IF_DASHBOARD_AUTH, c12_api_dash_summary, 0},
    {"GET", "/dashboard/api/series", 0, KEY_IF_DASHBOARD_AUTH, c12_api_dash_series, 0},
    {"GET", "/", 0, KEY_NEVER, c12_api_page, 0},
    {"GET", "/dashboard", 0, KEY_NEVER, c12_api_page, 0},
    {"GET", "/dashboard/", 0, KEY_NEVER, c12_api_page, 0},
    {"GET", "/dashboard/", 1, KEY_NEVER, c12_api_page, 0},
};
#define N_ROUTES (sizeof ROUTES / sizeof ROUTES[0])

/* The methods a route answers: GET routes answer HEAD too (libmicrohttpd
 * sends a HEAD response's headers without its body). */
static const char *const ALLOW[][2] = {{"GET", "GET, HEAD"}, {"POST", "POST"}};

static const char *allowed(const char *method)
{
    for (size_t i = 0; i < sizeof ALLOW / sizeof ALLOW[0]; i++)
        if (!strcmp(method, ALLOW[i][0])) return ALLOW[i][1];
    return method;
}

/* The route of url and method; NULL with *allow naming the methods the path
 * is served for ("" when it is not served at all). */
static const route *find_route(const char *url, const char *method, char *allow, size_t cap)
{
    const char *m = strcmp(method, "HEAD") ? method : "GET";
    *allow = '\0';
    for (size_t i = 0; i < N_ROUTES; i++) {
        const route *r = &ROUTES[i];
        int match = r->prefix ? !strncmp(url, r->path, strlen(r->path)) && url[strlen(r->path)]
                              : !strcmp(url, r->path);
        if (!match) continue;
        if (!strcmp(m, r->method)) return r;
        if (!strstr(allow, allowed(r->method)))
            snprintf(allow + strlen(allow), cap - strlen(allow), "%s%s", *allow ? ", " : "", allowed(r->method));
    }
    return NULL;
}

static void add_allow(const void *ud, struct MHD_Response *r) { MHD_add_response_header(r, "Allow", ud); }

int c12_server_model_index(const c12_server *s, const char *id)
{
    return c12_config_find_model(s->cfg, id);
}

int c12_url_id(const char *url, const char *prefix, char *id, size_t cap, const char **rest)
{
    const char *at = url + strlen(prefix), *slash = strchr(at, '/');
    size_t n = slash ? (size_t)(slash - at) : strlen(at);
    if (n == 0 || n >= cap) return 0;
    memcpy(id, at, n);
    id[n] = '\0';
    *rest = at + n;
    return 1;
}

void c12_server_key_label(const c12_server *s, int key_idx, char *out, size_t cap)
{
    const c12_config *c = s->cfg;
    if (key_idx < 0 || (size_t)key_idx >= c->n_api_keys) {
        if (cap) out[0] = '\0';
    } else if (c->api_key_names[key_idx][0]) {
        snprintf(out, cap, "%s", c->api_key_names[key_idx]);
    } else {
        snprintf(out, cap, "key:%.8s", c->api_keys[key_idx]);
    }
}

void c12_server_key_owner(const c12_server *s, int key_idx, char *out, size_t cap)
{
    if (key_idx >= 0 && (size_t)key_idx < s->cfg->n_api_keys) snprintf(out, cap, "%s", s->cfg->api_keys[key_idx]);
    else if (cap) out[0] = '\0';
}

int c12_server_key_of_owner(const c12_server *s, const char *owner)
{
    for (size_t i = 0; owner[0] && i < s->cfg->n_api_keys; i++)
        if (!strcmp(s->cfg->api_keys[i], owner)) return (int)i;
    return -1;
}

/* The routes that take a file: their bodies may be as large as
 * batch.max_file_bytes (and a little for the multipart framing). */
static const c12_route_fn UPLOADS[] = {c12_api_files_create};

static size_t body_cap(const c12_server *s, const route *rt)
{
    for (size_t i = 0; rt && s->cfg->batch.enabled && i < sizeof UPLOADS / sizeof UPLOADS[0]; i++)
        if (rt->fn == UPLOADS[i]) return s->cfg->batch.max_file_bytes + (1u << 20);
    return s->cfg->max_body_bytes;
}

/* Checks the key once and notes which it was (the ledger's user). */
static int authorized(c12_server *s, c12_req *r, struct MHD_Connection *c, int needs_key)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    r->key_idx = -1;
    if (s->cfg->n_api_keys && h && !strncasecmp(h, "Bearer ", 7)) r->key_idx = c12_config_key_index(s->cfg, h + 7);
    int guarded = needs_key == KEY_ALWAYS || (needs_key == KEY_IF_METRICS_AUTH && s->cfg->metrics_auth) ||
                  (needs_key == KEY_IF_DASHBOARD_AUTH && s->cfg->dashboard_auth);
    return !s->cfg->n_api_keys || !guarded || r->key_idx >= 0;
}

static void too_big(const c12_req *r, c12_refusal *out)
{
    *out = (c12_refusal){.status = 413, .type = "invalid_request_error", .code = "request_too_large"};
    snprintf(out->msg, sizeof out->msg, "The request body is larger than the limit of %zu bytes.", r->cap);
}

/* The first call: the request's state, and whether it is refused before its
 * body is read (another site's, not JSON, or declared over the limit). */
static c12_req *begin(c12_server *s, struct MHD_Connection *c, const char *url, const char *method,
                      const char *version)
{
    c12_req *r = c12_calloc(1, sizeof *r);
    if (!r) return NULL;
    c12_http_count_request(c, version);
    r->srv = s;
    atomic_fetch_add(&s->in_flight, 1);
    char allow[64];
    const route *rt = find_route(url, method, allow, sizeof allow);
    r->cap = body_cap(s, rt);
    c12_buf_init(&r->body, r->cap);
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!c12_guard(s, c, rt && rt->json_body, &r->refusal) && cl && strtoull(cl, NULL, 10) > r->cap)
        too_big(r, &r->refusal);
    return r;
}

/* The access handler: called once with the headers, then with body chunks,
 * then once more with none (when the response must be queued). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **con_cls)
{
    c12_server *s = cls;
    c12_req *r = *con_cls;
    if (!r) {
        if (!(r = begin(s, c, url, method, version))) return MHD_NO;
        *con_cls = r;
        if (!r->refusal.status) return MHD_YES;
    }
    if (*data_size) {
        if (!r->refusal.status && c12_buf_append(&r->body, data, *data_size)) too_big(r, &r->refusal);
        *data_size = 0; /* consumed (or dropped, when refused) */
        return MHD_YES;
    }
    if (r->refusal.status)
        return c12_http_error(c, r->refusal.status, r->refusal.type, NULL, r->refusal.code, r->refusal.msg);
    char allow[64];
    const route *rt = find_route(url, method, allow, sizeof allow);
    c12_http_hdrs allow_h = {.add = add_allow, .ud = allow};
    if (!rt && *allow) return c12_http_error_h(c, 405, "invalid_request_error", NULL, "method_not_allowed",
                                               "Method not allowed on this path.", &allow_h);
    if (!rt) return c12_http_error(c, 404, "invalid_request_error", NULL, "not_found", "No such endpoint.");
    if (!authorized(s, r, c, rt->needs_key))
        return c12_http_error(c, 401, "invalid_request_error", NULL, "invalid_api_key",
                              "Missing or wrong API key: send Authorization: Bearer KEY.");
    if (atomic_load(&s->shutting_down) && rt->fn != c12_api_healthz)
        return c12_http_error(c, 503, "server_error", NULL, "shutting_down", "The server is shutting down.");
    return rt->fn(s, r, c, url);
}

/* A connection of libmicrohttpd's counts no more in s->conns. */
static void uncount(c12_server *s, struct MHD_Connection *c, c12_conn *cc)
{
    if (!cc || !cc->counted) return;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    c12_conns_leave(s->conns, ci ? ci->client_addr : NULL);
    cc->counted = 0;
}

/* A kept-alive connection's response is out: its thread waits here for
 * the next request's head, judged as the gate judges a first one
 * (keepalive.c), before libmicrohttpd reads it; or the connection closes
 * (libmicrohttpd reads the end that shutdown makes, and closes it). */
static void await_next(c12_server *s, struct MHD_Connection *c, c12_conn *cc)
{
    cc->keep = 0;
    c12_keepalive_limits lim = {.idle_s = s->cfg->keepalive_s, .header_s = s->cfg->header_timeout_s,
                                .wake_fd = s->drain_fd};
    if (c12_keepalive_next(cc->fd, &lim)) { /* its body gets idle_timeout_s, as a first request's */
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)s->cfg->idle_timeout_s);
        return;
    }
    uncount(s, c, cc);
    shutdown(cc->fd, SHUT_RDWR);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    c12_server *s = cls;
    c12_req *r = *con_cls;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    c12_conn *cc = ci ? ci->socket_context : NULL;
    int keep = cc && cc->keep && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    /* its last request is over: the socket closes now (its client reads the
     * end at once, and may come again before the thread is joined) */
    if (!keep) uncount(s, c, cc);
    if (r) {
        if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED && r->on_timeout) r->on_timeout(r->on_timeout_ud);
        c12_buf_free(&r->body);
        c12_free(r);
        *con_cls = NULL;
        atomic_fetch_sub(&s->in_flight, 1);
    }
    if (keep) await_next(s, c, cc);
}

/* libmicrohttpd's unescaping of the path and query, except that "%00"
 * stays as it is: a NUL would end the path early ("/v1/models/x%00y" read
 * as "/v1/models/x"), so the id asked for would not be the id looked up. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        unsigned v;
        int n = 0;
        if (p[0] == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
            sscanf(p + 1, "%2x%n", &v, &n) == 1 && n == 2 && v) {
            *o++ = (char)v;
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return (size_t)(o - s);
}

/* The gate hands over a connection whose head is whole and sound. */
static int take_connection(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
    c12_server *s = ud;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    if (di && di->num_connections >= (unsigned)s->cfg->max_connections + MHD_SLACK) return 0; /* the gate answers 503 */
    MHD_add_connection(s->d, fd, addr, len); /* closes fd if it fails */
    return 1;
}

/* libmicrohttpd's connections count (the gate counted them before) from
 * their start to the end of their last request (on_completed), or to their
 * close when no request began. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    c12_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        c12_conn *cc = c12_calloc(1, sizeof *cc);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const union MHD_ConnectionInfo *fi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (cc) {
            *cc = (c12_conn){.srv = s, .fd = fi ? fi->connect_fd : -1, .counted = 1};
            c12_conns_enter(s->conns, ci ? ci->client_addr : NULL, 0);
        }
        *socket_context = cc;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        uncount(s, c, *socket_context);
        c12_free(*socket_context);
        *socket_context = NULL;
    }
}

c12_rc c12_server_start(const c12_config *cfg, c12_pool *pool, const c12_backend *backend,
                        const c12_server_deps *deps, c12_server **out, c12_err *err)
{
    c12_server *s = c12_calloc(1, sizeof *s);
    if (!s) return c12_fail(err, C12_ERR_NOMEM, "server: out of memory");
    s->cfg = cfg;
    s->pool = pool;
    s->backend = backend;
    if (deps) s->deps = *deps;
    if (!(s->deps.pue >= 1)) s->deps.pue = 1.0;
    s->started = (long long)time(NULL);
    s->drain_fd = -1;
    c12_vocabs_init(&s->vocabs);
    for (size_t i = 0; i < c12_web_asset_count(); i++) {
        c12_web_asset a;
        c12_web_asset_at(i, &a);
        c12_web_asset_etag(&a, s->asset_etags[i]);
    }
    int listen_fd = -1;
    c12_rc rc = c12_server_limits_open(s, err);
    if (!rc) rc = c12_conns_new(cfg->max_connections, cfg->max_connections_per_client, s->deps.metrics, &s->conns,
                                err);
    if (!rc) rc = c12_thpool_new(GENERATORS_IDLE_MAX, GENERATORS_IDLE_S, &s->threads, err);
    if (!rc) rc = c12_fiber_pool_new(STREAM_STACK, STREAM_STACKS_IDLE_MAX, &s->fibers, err);
    if (!rc) rc = c12_server_listen(cfg, &listen_fd, &s->port, err);
    if (!rc && (s->drain_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        rc = c12_fail(err, C12_ERR_IO, "server: eventfd: %s", strerror(errno));
        close(listen_fd);
    }
    if (rc) {
        c12_thpool_free(s->threads);
        c12_fiber_pool_free(s->fibers);
        c12_limits_free(s->limits);
        c12_conns_free(s->conns);
        c12_free(s);
        return rc;
    }
    /* No listening socket of its own: connections come from the gate. The
     * idle timeout covers a request's body; a response's writes have
     * write_timeout_s (c12_http_queue). poll, not select: a descriptor may
     * be over FD_SETSIZE. */
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                                MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET,
                            0, NULL, NULL, on_request, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)cfg->idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)cfg->max_connections + MHD_SLACK, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)(64 * 1024), MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
    if (!s->d) rc = c12_fail(err, C12_ERR_IO, "server: libmicrohttpd could not start");
    if (!rc) rc = c12_gate_start(listen_fd, cfg->header_timeout_s, s->conns, take_connection, s, &s->gate, err);
    else close(listen_fd);
    if (rc) {
        if (s->d) MHD_stop_daemon(s->d);
        close(s->drain_fd);
        c12_thpool_free(s->threads);
        c12_fiber_pool_free(s->fibers);
        c12_limits_free(s->limits);
        c12_conns_free(s->conns);
        c12_free(s);
        return rc;
    }
    if (s->deps.batches && (rc = c12_batch_runner_start(s, s->deps.batches, &s->runner, err))) {
        c12_server_free(s);
        return rc;
    }
    *out = s;
    return C12_OK;
}

int c12_server_port(const c12_server *s) { return s->port; }

/* Kept-alive connections waiting for their next request close at once
 * (the eventfd stays readable: every waiter sees it). */
static void close_idle(c12_server *s)
{
    uint64_t one = 1;
    (void)!write(s->drain_fd, &one, sizeof one);
}

void c12_server_begin_shutdown(c12_server *s)
{
    atomic_store(&s->shutting_down, 1);
    c12_gate_close_listener(s->gate);
    close_idle(s);
}

int c12_server_drain(c12_server *s, double grace_s)
{
    double t0 = c12_clock_s();
    for (;;) {
        int n = atomic_load(&s->in_flight) + atomic_load(&s->generators);
        if (n <= 0 || c12_clock_s() - t0 >= grace_s) return n;
        usleep(20 * 1000);
    }
}

/* After cancel_all: requests stop at their next prompt chunk or token and
 * answer (a 503, or a stream's last events); they get up to this long to
 * send it before the daemon closes every connection. */
#define CUT_ANSWER_S 10.0

void c12_server_free(c12_server *s)
{
    if (!s) return;
    atomic_store(&s->cancel_all, 1);
    close_idle(s);
    c12_batch_runner_stop(s->runner); /* its line in flight is cut: it runs again after a restart */
    c12_server_drain(s, CUT_ANSWER_S);
    c12_gate_free(s->gate); /* nothing more is handed over */
    MHD_stop_daemon(s->d);
    /* Generators of streams whose clients left still hold slots: they stop at
     * their next token (cancel_all) and must be gone before the pool is freed. */
    while (atomic_load(&s->generators) > 0) usleep(10 * 1000);
    c12_thpool_free(s->threads);
    c12_fiber_pool_free(s->fibers); /* every stream's fiber ended with its connection (MHD_stop_daemon) */
    close(s->drain_fd);
    c12_limits_free(s->limits);
    c12_vocabs_free(&s->vocabs);
    c12_conns_free(s->conns);
    c12_free(s);
}
