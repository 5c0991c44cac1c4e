/* server_impl.h - shared inside src/server: the server struct, the
 * per-request state and the response helpers. */
#ifndef C12_SERVER_IMPL_H
#define C12_SERVER_IMPL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "base/c12_buf.h"
#include "server/batch_run.h"
#include "limit/limit.h"
#include "server/server.h"
#include "web/web.h"

/* The served models' vocabularies, each read from its file on first use
 * (vocabs.c): /tokenize and /detokenize need no loaded model. */
typedef struct c12_vocabs {
    pthread_mutex_t mu;
    c12_tok **toks;   /* [n_models], NULL until read */
    size_t n;
} c12_vocabs;

struct c12_server {
    const c12_config *cfg;
    c12_pool *pool;
    const c12_backend *backend;
    c12_server_deps deps;
    struct MHD_Daemon *d;
    struct c12_gate *gate;   /* the accept loop in front of d (gate.h) */
    struct c12_conns *conns; /* open connections and their caps (conns.h) */
    int port;
    atomic_int shutting_down;
    atomic_int cancel_all;   /* grace period over: cut running generations */
    atomic_int in_flight;    /* requests begun and not yet completed */
    atomic_int generators;   /* stream generators still running (they hold slots) */
    struct c12_thpool *threads; /* the threads stream generators run on (stream.c) */
    struct c12_fiber_pool *fibers; /* the stacks a site's stream runs on, on its connection's thread */
    int drain_fd;            /* an eventfd, readable once shutting down: kept-alive idle connections close */
    atomic_ulong next_id;
    atomic_ulong ledger_refused; /* rows the ledger refused (queue full, closing) */
    long long started;
    char asset_etags[C12_WEB_ASSETS_MAX][C12_WEB_ETAG_LEN]; /* the dashboard files' (api_page.c) */
    c12_batch_runner *runner;   /* runs deps.batches (NULL: none) */
    c12_limits *limits;         /* the API keys' limits and each one's carbon spend (limits.c) */
    c12_vocabs vocabs;          /* for /tokenize and /detokenize */
};

/* A connection libmicrohttpd serves: its socket context (server.c). */
typedef struct c12_conn {
    c12_server *srv;
    int fd;
    int counted;   /* in srv->conns until it closes (or its last request is over) */
    int requests;  /* begun on it, the one in hand included */
    int last;      /* its client asked to close it (Connection: close, HTTP/1.0) */
    int keep;      /* the response going out keeps it open (c12_http_queue) */
} c12_conn;

/* Why a request is answered before its body is read (guard.c, the body
 * limit); status 0: it is not. */
typedef struct c12_refusal {
    unsigned status;
    const char *type, *code;
    char msg[320];
} c12_refusal;

/* One request (MHD's con_cls); lives from the first call of the access
 * handler to the completion notice. The body is capped at cap. */
typedef struct c12_req {
    c12_server *srv;
    c12_buf body;
    size_t cap;  /* the body's limit (max_body_bytes, or an upload's) */
    c12_refusal refusal;
    int key_idx; /* the api_keys entry the request presented, or -1 */
    /* Called when libmicrohttpd closes the connection for want of activity
     * (a stream's client stopped reading: stream.c), before the response
     * is freed. */
    void (*on_timeout)(void *ud);
    void *on_timeout_ud;
} c12_req;

/* Before the body (guard.c): on a server without API keys, a Host that is
 * not one of its names or an Origin of another site (403); on a JSON
 * endpoint (json_body), a Content-Type other than application/json (415).
 * 1 with *out filled when refused. */
int c12_guard(const c12_server *s, struct MHD_Connection *c, int json_body, c12_refusal *out);

typedef enum MHD_Result (*c12_route_fn)(c12_server *s, c12_req *r, struct MHD_Connection *c,
                                         const char *url);

/* Extra response headers: called with the response before it is queued. */
typedef struct c12_http_hdrs {
    void (*add)(const void *ud, struct MHD_Response *r);
    const void *ud;
} c12_http_hdrs;

/* Responses. send_json takes the reference to `body`; hdrs may be NULL.
 * Every response goes out through c12_http_queue (which takes resp): it
 * keeps the connection alive for the next request (keepalive.c) unless
 * server.keepalive_s is 0, the client asked to close (or speaks HTTP/1.0),
 * the connection has carried server.keepalive_requests, or the server is
 * shutting down; then it says Connection: close. From then on the
 * connection is cut when its client takes no bytes for
 * server.write_timeout_s. */
enum MHD_Result c12_http_queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp);
/* A request begins on c (server.c, before its body): one more on its
 * connection, the last when its client says so (Connection: close) or
 * speaks HTTP/1.0 (c12_http_queue then closes after it). */
void c12_http_count_request(struct MHD_Connection *c, const char *version);
/* (Re)start the connection's write timeout: c12_http_queue does, and a
 * stream's reader after it waited for its next bytes (the wait between
 * tokens is not the client's stall). */
void c12_http_write_timeout_start(struct MHD_Connection *c);
enum MHD_Result c12_http_json(struct MHD_Connection *c, unsigned status, json_t *body);
enum MHD_Result c12_http_json_h(struct MHD_Connection *c, unsigned status, json_t *body, const c12_http_hdrs *hdrs);
/* OpenAI's error shape; param and code may be NULL. */
enum MHD_Result c12_http_error(struct MHD_Connection *c, unsigned status, const char *type, const char *param,
                               const char *code, const char *msg);
enum MHD_Result c12_http_error_h(struct MHD_Connection *c, unsigned status, const char *type, const char *param,
                                 const char *code, const char *msg, const c12_http_hdrs *hdrs);
/* The bodies of those errors, for an answer that is not sent over HTTP (a
 * batch line's result, the gate's refusals). */
json_t *c12_http_error_body(const char *type, const char *param, const char *code, const char *msg);
json_t *c12_http_rc_error_body(c12_rc rc, const char *msg, const char *input);
/* A JSON string of text that may not be valid UTF-8 (model output, echoed
 * input): invalid bytes become '?'. */
json_t *c12_json_text(const char *s, size_t n);
/* Map a c12_rc from the pool or backend to the HTTP error OpenAI clients
 * expect (respond.c's table, the one place for it). input: the request's
 * input field ("messages", "prompt"), named as param by the errors about it. */
enum MHD_Result c12_http_rc_error_h(struct MHD_Connection *c, c12_rc rc, const char *msg, const char *input,
                                    const c12_http_hdrs *hdrs);
/* The status c12_http_rc_error_h answers rc with, and the Retry-After (s)
 * it sends with it (0: none; the queue's 429 says try again soon). */
unsigned c12_http_rc_status(c12_rc rc);
int c12_http_rc_retry_after(c12_rc rc);
/* c12_http_json_h with a Retry-After of retry_after_s (0: none). */
enum MHD_Result c12_http_json_retry_h(struct MHD_Connection *c, unsigned status, json_t *body,
                                      const c12_http_hdrs *hdrs, int retry_after_s);
/* The same for a body already written out (text: n bytes from c12_malloc,
 * taken in every case; NULL: out of memory, the connection closes). */
enum MHD_Result c12_http_json_text_h(struct MHD_Connection *c, unsigned status, char *text, size_t n,
                                     const c12_http_hdrs *hdrs, int retry_after_s);

/* Endpoints. */
enum MHD_Result c12_api_models(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_model(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_healthz(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_readyz(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_metrics(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_chat(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_completions(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);

/* The dashboard: its page and files, and the JSON it reads. */
enum MHD_Result c12_api_page(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_dash_grid(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_dash_status(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_dash_decisions(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_dash_summary(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_dash_series(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
/* The status document's `sites` (api_dash_sites.c): each site of the fleet,
 * its health, load, latency, grid now and what it served today. */
json_t *c12_dash_sites(c12_server *s);
/* The query argument `name` as a whole number in [lo, hi] into *inout (left
 * as is when absent); 0 with a message for the 400 when it is not one. */
int c12_dash_int_arg(struct MHD_Connection *c, const char *name, long lo, long hi, long *inout, char *msg,
                     size_t cap);

/* Bind and listen on cfg's address (listen.c); the bound port in *port. */
c12_rc c12_server_listen(const c12_config *cfg, int *fd, int *port, c12_err *err);

/* Whether the request's client hung up (conn.c); only on the connection's
 * own thread, while the handler holds it. */
int c12_http_client_gone(struct MHD_Connection *c);

/* The id that follows prefix in url (a route's prefix: url starts with
 * it), up to the next '/', into id; *rest is what follows ("", or
 * "/content"). 0: no id, or one of cap bytes or more. */
int c12_url_id(const char *url, const char *prefix, char *id, size_t cap, const char **rest);
/* Model id of a request -> index, or -1 ("auto" is the policy's: choose.c). */
int c12_server_model_index(const c12_server *s, const char *id);
/* The label of api_keys[key_idx]: its name, else "key:<first 8 hex of its
 * sha256>" (the key itself is never stored); "" for -1. What the ledger,
 * reports and metrics show. */
void c12_server_key_label(const c12_server *s, int key_idx, char *out, size_t cap);
/* Who owns a file or a batch: the whole sha256 of api_keys[key_idx] (two
 * keys may share a label), "" for -1; and back (-1: no key has it now). */
void c12_server_key_owner(const c12_server *s, int key_idx, char *out, size_t cap);
int c12_server_key_of_owner(const c12_server *s, const char *owner);

/* Per-key limits (limits.c): the limiter, with this period's spend read
 * back from the ledger (so a restart does not reset a budget). */
c12_rc c12_server_limits_open(c12_server *s, c12_err *err);
/* GET /v1/c12/usage: the caller's spend and what its limits leave. */
enum MHD_Result c12_api_usage(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);

/* The vocabularies (vocabs.c): init cannot fail; get reads model idx's on
 * first use (C12_ERR_NOT_FOUND, _FORMAT...: its file); free closes them. */
void c12_vocabs_init(c12_vocabs *v);
c12_rc c12_vocabs_get(c12_vocabs *v, const c12_config *cfg, size_t idx, const c12_tok **out, c12_err *err);
void c12_vocabs_free(c12_vocabs *v);
/* POST /tokenize and /detokenize, as llama.cpp's server (api_tokenize.c). */
enum MHD_Result c12_api_tokenize(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_detokenize(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);

/* The Files and Batches API (api_files.c, api_batches.c; docs/batch.md). */
enum MHD_Result c12_api_files_create(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_files_list(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_file_get(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_file_delete(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_batches_create(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_batches_list(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_batch_get(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_batch_cancel(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url);
enum MHD_Result c12_api_batch_off(struct MHD_Connection *c);
json_t *c12_api_batch_obj(const c12_batch *b);
json_t *c12_api_file_obj(const c12_bfile *f);
/* How a batch's lines are checked: as their endpoint's requests, for a
 * model served here (endpoint -1: any); *est_s (NULL: not wanted) sums
 * each line's expected seconds as it is read: a batch's duration before
 * any line has run, in its row from the start. */
typedef struct c12_batch_check {
    c12_server *srv;
    double *est_s;
} c12_batch_check;
c12_batch_input_rules c12_api_batch_rules(c12_batch_check *chk, int endpoint);

#endif
