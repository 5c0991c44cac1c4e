/* backend_remote.c - one streamed request to a remote site over libcurl's
 * multi interface (backend_remote.h): the transfer is driven in a loop that
 * wakes at least every POLL_MS, so the first-token and idle timeouts and
 * the caller's cancel are seen within that, whatever the site does. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_clock.h"
#include "carbon/carbon_http.h"
#include "pool/backend_remote.h"
#include "pool/sse.h"

#define POLL_MS 50
#define ERROR_BODY_MAX (64u << 10)
#define WHOLE_BODY_MAX (4u << 20)

typedef enum { BODY_UNKNOWN = 0, BODY_SSE, BODY_WHOLE, BODY_ERROR } body_kind;

typedef struct xfer {
    const c12_remote_call *c;
    CURL *h;
    c12_sse sse;
    body_kind kind;
    int status;
    c12_buf body;              /* an error's or a whole (unstreamed) reply's */
    int64_t t_send, t_first, t_last; /* ns */
    int unflushed;             /* events read since the caller was last told (on_flush) */
    c12_rc rc;                 /* the parser's failure, which aborted the transfer */
    c12_err err;
} xfer;

static int on_text(void *ud, const char *s, size_t n)
{
    xfer *x = ud;
    const c12_remote_call *c = x->c;
    if (!x->t_first) x->t_first = c12_clock_ns();
    if (c->req->gen.on_token) c->req->gen.on_token(c->ud, -1); /* a chunk is a token, near enough */
    return c->cb ? c->cb(c->ud, s, n) : 0;
}

/* A tool call's piece: the first one is the reply's first token too. */
static int on_tool(void *ud, const c12_tool_frag *f)
{
    xfer *x = ud;
    const c12_remote_call *c = x->c;
    if (!x->t_first) x->t_first = c12_clock_ns();
    if (c->req->gen.on_token) c->req->gen.on_token(c->ud, -1);
    return c->req->on_tool ? c->req->on_tool(c->ud, f) : 0;
}

static void classify(xfer *x)
{
    long status = 0;
    const char *ct = NULL;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(x->h, CURLINFO_CONTENT_TYPE, &ct);
    x->status = (int)status;
    if (status != 200) x->kind = BODY_ERROR, x->body.limit = ERROR_BODY_MAX;
    else if (ct && !strncasecmp(ct, "text/event-stream", 17)) x->kind = BODY_SSE;
    else x->kind = BODY_WHOLE, x->body.limit = WHOLE_BODY_MAX;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    x->t_last = c12_clock_ns();
    if (x->kind == BODY_UNKNOWN) classify(x);
    if (x->kind == BODY_SSE) {
        x->rc = c12_sse_feed(&x->sse, p, len, &x->err);
        x->unflushed = 1;
    }
    else if (c12_buf_append(&x->body, p, len) == C12_ERR_NOMEM) x->rc = c12_fail(&x->err, C12_ERR_NOMEM, "Out of memory.");
    else if (x->body.len >= x->body.limit && x->kind == BODY_WHOLE)
        x->rc = c12_fail(&x->err, C12_ERR_FORMAT, "site %s: a reply over %u bytes", x->c->site->name, WHOLE_BODY_MAX);
    return x->rc ? 0 : len; /* a short count aborts the transfer */
}

struct curl_slist *c12_remote_headers(const char *api_key)
{
    struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");
    if (l) l = curl_slist_append(l, "Accept: text/event-stream");
    if (l && api_key && api_key[0]) {
        char auth[600]; /* a key is under 512 bytes (fleet.c) */
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", api_key);
        struct curl_slist *n = curl_slist_append(l, auth);
        if (!n) curl_slist_free_all(l);
        l = n;
    }
    return l;
}

/* A timeout or cancel of the running transfer; C12_OK: go on. */
static c12_rc watch(xfer *x, c12_err *err)
{
    const c12_remote_call *c = x->c;
    const c12_site_cfg *s = c->site;
    int64_t now = c12_clock_ns();
    if (c->req->gen.cancelled && c->req->gen.cancelled(c->ud)) return c12_fail(err, C12_ERR_CANCELLED, "cancelled");
    if (!x->t_first && now - x->t_send > (int64_t)(s->first_token_timeout_s * 1e9))
        return c12_fail(err, C12_ERR_TIMEOUT, "site %s: no first token within %g s (first_token_timeout_s)", s->name,
                        s->first_token_timeout_s);
    int64_t last = x->t_last ? x->t_last : x->t_send;
    if (x->t_first && now - last > (int64_t)(s->idle_timeout_s * 1e9))
        return c12_fail(err, C12_ERR_TIMEOUT, "site %s: nothing for %g s in the middle of the reply (idle_timeout_s)",
                        s->name, s->idle_timeout_s);
    return C12_OK;
}

/* What the reads of this round told, together, outside libcurl's
 * callbacks (the caller may switch away here: server/stream.c's fiber);
 * not when they held the reply's end: the caller's own end comes next and
 * tells it all at once. */
static void tell_reads(xfer *x)
{
    const c12_backend_req *req = x->c->req;
    if (!x->unflushed || x->sse.done || !req->on_flush) return;
    x->unflushed = 0;
    req->on_flush(x->c->ud);
}

/* Drive the transfer to its end (or a timeout, or a cancel). */
static c12_rc drive(xfer *x, CURLM *m, CURLcode *done, c12_err *err)
{
    int running = 1;
    while (running) {
        if (curl_multi_perform(m, &running) != CURLM_OK) return c12_fail(err, C12_ERR_NETWORK, "libcurl failed");
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE) *done = msg->data.result;
        if (!running) break;
        tell_reads(x);
        c12_rc rc = x->rc ? C12_OK : watch(x, err);
        if (rc) return rc;
        curl_multi_poll(m, NULL, 0, POLL_MS, NULL);
    }
    return C12_OK;
}

static c12_rc transport(const xfer *x, CURLcode cc, const char *detail, c12_err *err)
{
    const c12_site_cfg *s = x->c->site;
    if (cc == CURLE_OPERATION_TIMEDOUT && !x->status)
        return c12_fail(err, C12_ERR_TIMEOUT, "site %s: no connection within %g s (connect_timeout_s)", s->name,
                        s->connect_timeout_s);
    return c12_fail(err, C12_ERR_NETWORK, "site %s: %s", s->name, detail[0] ? detail : curl_easy_strerror(cc));
}

/* What the finished transfer said. */
static c12_rc conclude(xfer *x, CURLcode cc, const char *detail, c12_remote_out *out, c12_err *err)
{
    const c12_site_cfg *s = x->c->site;
    if (x->rc) { /* the parser stopped it: its reason */
        *err = x->err;
        out->retryable = x->rc != C12_ERR_CANCELLED;
        return x->rc;
    }
    out->retryable = 1;
    if (x->kind == BODY_UNKNOWN && cc == CURLE_OK) classify(x); /* a reply without a body */
    if (x->kind == BODY_ERROR)
        return c12_remote_http_error(s, x->status, x->body.data, x->body.len, &out->retryable, err);
    if (cc != CURLE_OK) return transport(x, cc, detail, err);
    if (x->kind == BODY_WHOLE && (x->rc = c12_sse_whole(&x->sse, x->body.data ? x->body.data : "", x->body.len, err)))
        return x->rc;
    if (x->sse.error) {
        out->retryable = !x->t_first;
        return c12_fail(err, C12_ERR_NETWORK, "site %s: %s", s->name, x->sse.error_msg);
    }
    if (!x->sse.done && !x->sse.finish[0])
        return c12_fail(err, C12_ERR_NETWORK, "site %s: the reply stopped before its end", s->name);
    return C12_OK;
}

static void result(const xfer *x, c12_remote_out *out)
{
    const c12_sse_usage *u = &x->sse.usage;
    c12_backend_result *r = &out->res;
    memset(r, 0, sizeof *r);
    r->finish = !strcmp(x->sse.finish, "length") ? C12_FINISH_LENGTH : C12_FINISH_STOP;
    r->n_completion = u->have ? (int)u->completion_tokens : x->sse.n_text;
    r->n_prompt = u->have ? (int)u->prompt_tokens : -1; /* -1: the fleet estimates */
    if (u->have_energy) {
        r->energy_known = 1;
        r->energy_j = u->energy_j;
        snprintf(r->energy_method, sizeof r->energy_method, "site:%.18s", u->energy_method[0] ? u->energy_method : "c12");
    }
    r->prefill_s = out->ttft_s;
    r->decode_s = out->decode_s;
}

static c12_rc setup(xfer *x, const c12_buf *body, struct curl_slist *hl, char *detail, c12_err *err)
{
    char url[C12_SITE_URL_MAX + 32];
    const c12_remote_call *c = x->c;
    snprintf(url, sizeof url, "%s%s", c->site->url, c->req->messages ? "/chat/completions" : "/completions");
    CURL *h = x->h;
    c12_remote_share_use(c->share, h);
    int bad = curl_easy_setopt(h, CURLOPT_URL, url) || curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data) ||
              curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body->len) ||
              curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl) || curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) ||
              curl_easy_setopt(h, CURLOPT_WRITEDATA, x) || curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
              curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail) ||
              curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->site->connect_timeout_s * 1000)) ||
              curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    return bad ? c12_fail(err, C12_ERR_INTERNAL, "libcurl refused an option") : C12_OK;
}

c12_rc c12_remote_generate(const c12_remote_call *c, c12_remote_out *out, c12_err *err)
{
    memset(out, 0, sizeof *out);
    out->retryable = 1;
    c12_carbon_http_init();
    xfer x = {.c = c};
    c12_buf body;
    c12_buf_init(&body, 0);
    c12_buf_init(&x.body, ERROR_BODY_MAX);
    c12_sse_init(&x.sse, on_text, &x);
    x.sse.tool = on_tool;
    char detail[CURL_ERROR_SIZE] = "";
    struct curl_slist *hl = c12_remote_headers(c->api_key);
    void *mv = NULL, *hv = NULL;
    if (!c12_remote_share_take(c->share, &mv, &hv)) mv = curl_multi_init(), hv = curl_easy_init();
    CURLM *m = mv;
    x.h = hv;
    c12_rc rc = c12_remote_body(c, &body, err);
    if (rc) out->retryable = 0;
    if (!rc && (!hl || !m || !x.h)) rc = c12_fail(err, C12_ERR_NOMEM, "Out of memory.");
    if (!rc) rc = setup(&x, &body, hl, detail, err);
    if (!rc && curl_multi_add_handle(m, x.h)) rc = c12_fail(err, C12_ERR_NOMEM, "Out of memory.");
    CURLcode cc = CURLE_OK;
    x.t_send = c12_clock_ns();
    if (!rc) {
        rc = drive(&x, m, &cc, err);
        if (rc) out->retryable = rc != C12_ERR_CANCELLED;
        else rc = conclude(&x, cc, detail, out, err);
        curl_multi_remove_handle(m, x.h);
    }
    int64_t end = c12_clock_ns();
    out->started = x.t_first != 0;
    out->http_status = x.status;
    out->n_text = x.sse.n_text;
    out->ttft_s = x.t_first ? (double)(x.t_first - x.t_send) / 1e9 : 0;
    out->decode_s = x.t_first ? (double)(end - x.t_first) / 1e9 : 0;
    out->total_s = (double)(end - x.t_send) / 1e9;
    if (!rc) result(&x, out);
    c12_remote_share_give(c->share, m, x.h);
    curl_slist_free_all(hl);
    c12_sse_free(&x.sse);
    c12_buf_free(&x.body);
    c12_buf_free(&body);
    return rc;
}
