/* backend_remote.h - one request to another server that speaks OpenAI's
 * chat/completions API, streamed: the request goes out with stream: true
 * and stream_options.include_usage, the reply's events are parsed as they
 * come (sse.h) and each text goes to the caller's callback at once. The
 * site's three timeouts hold (connect; first token; the longest silence
 * between bytes), and the caller's cancel is asked between reads. Which
 * site, and trying the next, is the fleet's (fleet.h). */
#ifndef C12_BACKEND_REMOTE_H
#define C12_BACKEND_REMOTE_H

#include "base/c12_buf.h"
#include "pool/backend.h"
#include "pool/site_cfg.h"

struct curl_slist;

/* DNS answers and TLS sessions shared by the fleet's requests, and their
 * kept transfer handles with their idle connections (remote_share.c);
 * thread-safe. */
typedef struct c12_remote_share c12_remote_share;
c12_rc c12_remote_share_new(c12_remote_share **out, c12_err *err);
/* After every transfer that used it is over. */
void c12_remote_share_free(c12_remote_share *s);
/* Make the easy handle curl (a CURL *) use s (NULL: nothing). */
void c12_remote_share_use(c12_remote_share *s, void *curl);
/* A kept multi handle (CURLM *) and its easy handle (CURL *, not added to
 * it): 1, or 0 when s (or NULL) keeps none. */
int c12_remote_share_take(c12_remote_share *s, void **multi, void **easy);
/* A finished transfer's handles (the easy one removed from the multi one),
 * kept for the next (its options reset), or cleaned up when s is NULL or
 * keeps enough already. Either may be NULL (then both are cleaned up). */
void c12_remote_share_give(c12_remote_share *s, void *multi, void *easy);

typedef struct c12_remote_call {
    const c12_site_cfg *site;
    c12_remote_share *share;    /* NULL: a connection of its own */
    const char *model;          /* the site's id for it */
    const char *api_key;        /* "" or NULL: no Authorization */
    const c12_backend_req *req;
    c12_text_cb cb;
    void *ud;                   /* the callbacks' (cb, req->gen's) */
} c12_remote_call;

typedef struct c12_remote_out {
    c12_backend_result res;     /* on success */
    int started;                /* text went to the callback (no retry elsewhere) */
    int retryable;              /* the failure is the site's (network, 5xx, 429, timeout), not the request's */
    int http_status;            /* the site's answer (0: none) */
    double ttft_s, decode_s;    /* sending to the first text; then to the end */
    double total_s;             /* sending to the end */
    int n_text;
} c12_remote_out;

/* Run the call. Errors: NETWORK (unreachable, the site's error, a stream
 * cut), TIMEOUT, BUSY (the site's 429), INVALID or RANGE (the site refused
 * the request itself), CANCELLED (the callback or req->gen.cancelled). */
c12_rc c12_remote_generate(const c12_remote_call *c, c12_remote_out *out, c12_err *err);
/* The request headers (JSON, SSE, the key as a Bearer token when set);
 * NULL: out of memory. */
struct curl_slist *c12_remote_headers(const char *api_key);

/* ---- site_probe.c: what a site says about itself ---- */

/* GET <url>/models within the connect timeout (+1 s): C12_OK on a 200. */
c12_rc c12_remote_probe(const c12_site_cfg *site, const char *api_key, c12_err *err);
/* The requests waiting in the site's own queue, from its Prometheus
 * metrics at metrics_url (vLLM's vllm:num_requests_waiting, llama.cpp's
 * llamacpp:requests_deferred, C12's c12_queue_depth, summed over their
 * series). C12_ERR_NOT_FOUND: it exports none of them. */
c12_rc c12_remote_queue(const c12_site_cfg *site, const char *metrics_url, const char *api_key, double *waiting,
                        c12_err *err);
/* The sum of the samples of family `name` in Prometheus text; 0 with
 * *found 0 when it has none. */
double c12_prom_sum(const char *text, size_t n, const char *name, int *found);

/* The request's JSON body (backend_remote_body.c). */
c12_rc c12_remote_body(const c12_remote_call *c, c12_buf *out, c12_err *err);
/* An error reply's status and body (capped) into a c12_rc and message. */
c12_rc c12_remote_http_error(const c12_site_cfg *site, int status, const char *body, size_t n, int *retryable,
                             c12_err *err);

#endif
