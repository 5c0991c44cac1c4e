/* api_gen.c - POST /v1/chat/completions and /v1/completions, as the
 * pipeline they are: parse -> price -> choose -> generate -> finish ->
 * respond (generate() below, in that order). A streamed request hands its
 * job to stream.c after choosing, and generates, finishes and responds there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "server/defer.h"
#include "server/gen.h"

#define MAX_REPLY_BYTES (4u << 20)

/* OpenAI's usage object; prompt_tokens_details.cached_tokens counts the
 * prompt tokens the slot's prefix cache served (they cost no compute). */
json_t *c12_gen_usage(const c12_backend_result *res)
{
    return json_pack("{s:i, s:i, s:i, s:{s:i}}", "prompt_tokens", res->n_prompt, "completion_tokens",
                     res->n_completion, "total_tokens", res->n_prompt + res->n_completion, "prompt_tokens_details",
                     "cached_tokens", res->n_cached);
}

const char *c12_gen_finish(c12_finish f) { return f == C12_FINISH_LENGTH ? "length" : "stop"; }

const char *c12_gen_input(const c12_gen_job *job) { return job->q.kind == C12_API_CHAT ? "messages" : "prompt"; }

void c12_gen_job_end(c12_gen_job *job)
{
    if (job->leased) c12_pool_release(job->srv->pool, &job->lease);
    c12_gen_cache_end(job);
    c12_gen_lp_free(job);
    c12_api_req_free(&job->q);
    c12_free(job);
}

/* ---- parse: the body, the caller, the model, the queue headers ---- */

/* Why a request is refused before it is priced and chosen for. */
typedef struct refusal {
    unsigned status;
    char param[64];         /* the field at fault, or "" */
    const char *code;
    char msg[512];
} refusal;

/* What the parsed request asks of the queue and the choice. */
typedef struct asks {
    int model_idx;          /* -1: "auto" */
    c12_prio prio;          /* x-c12-priority: high|normal|low */
    int64_t deadline_ms;    /* x-c12-deadline-ms: N from now (0: none) */
    double max_latency_ms;  /* x-c12-max-latency-ms: N (the policy's latency need) */
} asks;

/* A whole number of milliseconds from 1 to 86400000, or 0. */
static long long header_ms(const char *v)
{
    char *e;
    long long ms = strtoll(v, &e, 10);
    return *v && !*e && ms >= 1 && ms <= 86400000LL ? ms : 0;
}

/* A request header, or NULL (also for a request that did not come over
 * HTTP: a batch line). */
static const char *header(struct MHD_Connection *c, const char *name)
{
    return c ? MHD_lookup_connection_value(c, MHD_HEADER_KIND, name) : NULL;
}

static const char *queue_headers(c12_server *s, struct MHD_Connection *c, asks *a)
{
    static const char *const names[C12_PRIO_COUNT] = {"high", "normal", "low"};
    const char *p = header(c, "x-c12-priority");
    const char *d = header(c, "x-c12-deadline-ms");
    const char *l = header(c, "x-c12-max-latency-ms");
    if (p) {
        int i = 0;
        while (i < C12_PRIO_COUNT && strcasecmp(p, names[i])) i++;
        if (i == C12_PRIO_COUNT) return "x-c12-priority must be high, normal or low";
        a->prio = (c12_prio)i;
    }
    if (d && !header_ms(d)) return "x-c12-deadline-ms must be a whole number of milliseconds from 1 to 86400000";
    if (d) a->deadline_ms = c12_pool_now(s->pool) + header_ms(d);
    if (l && !header_ms(l)) return "x-c12-max-latency-ms must be a whole number of milliseconds from 1 to 86400000";
    if (l) a->max_latency_ms = (double)header_ms(l);
    return NULL;
}

/* x-c12-directive: none opts out of the policy's answer-length directive
 * ("auto", the default, lets the policy decide). */
static const char *directive_header(c12_gen_job *job, struct MHD_Connection *c)
{
    const char *v = header(c, "x-c12-directive");
    if (!v || !strcasecmp(v, "auto")) return NULL;
    if (strcasecmp(v, "none")) return "x-c12-directive must be none or auto";
    job->directive_off = 1;
    return NULL;
}

/* Which key was presented: its label, "key:<first 8 hex of its sha256>"
 * (the key itself is never stored); a body that fails to parse still has it. */
static void note_key(c12_gen_job *job, int key_idx)
{
    job->api_key[0] = '\0';
    job->key_idx = key_idx;
    c12_server_key_label(job->srv, key_idx, job->api_key, sizeof job->api_key);
}

static void bind_request(c12_gen_job *job)
{
    c12_api_req *q = &job->q;
    const c12_config *cfg = job->srv->cfg;
    job->breq.messages = q->kind == C12_API_CHAT ? q->messages : NULL;
    job->breq.n_messages = q->n_messages;
    job->breq.prompt = q->prompt;
    job->breq.gen.sampling = q->sampling;
    job->breq.gen.stop = q->stop[0] ? q->stop : NULL;
    job->breq.gen.ignore_eos = q->ignore_eos;
    job->breq.gen.top_logprobs = q->top_logprobs;
    job->breq.gen.json = q->rfmt; /* response_format: JSON by constrained decoding */
    job->breq.wire = q->json;     /* a site gets tools and response_format as they were sent */
    /* tool_choice "none": the tools are not offered (the history's calls
     * still render) */
    job->breq.tools = q->tool_choice != C12_TOOL_NONE ? &q->tools : NULL;
    job->breq.gen.max_tokens = q->max_tokens ? q->max_tokens
                             : q->kind == C12_API_CHAT ? cfg->default_max_tokens : 16; /* OpenAI's default */
}

/* The body of a request and who sent it. */
typedef struct incoming {
    const char *body;
    size_t len;
    int key_idx;
    struct MHD_Connection *c; /* NULL: a batch line (no headers) */
} incoming;

/* 1 when the request can go on; else *f says why not. */
static int parse(c12_gen_job *job, const incoming *in, asks *a, refusal *f)
{
    c12_err err;
    struct MHD_Connection *c = in->c;
    *f = (refusal){.status = 400};
    note_key(job, in->key_idx);
    c12_rc rc = c12_api_req_parse(in->body ? in->body : "", in->len, job->q.kind, &job->q, f->param, &err);
    if (rc == C12_ERR_NOMEM) *f = (refusal){.status = 503, .code = "out_of_memory"};
    if (rc == C12_ERR_FORMAT) f->code = "invalid_json";
    if (rc) {
        snprintf(f->msg, sizeof f->msg, "%s", err.msg);
        return 0;
    }
    C12_LEDGER_SET(job->user, job->q.user); /* the request's `user` field: capped, UTF-8 */
    job->model = job->q.model; /* until a served model is chosen */
    a->model_idx = strcmp(job->q.model, "auto") ? c12_server_model_index(job->srv, job->q.model) : -1;
    if (strcmp(job->q.model, "auto") && a->model_idx < 0) {
        *f = (refusal){.status = 404, .param = "model", .code = "model_not_found"};
        snprintf(f->msg, sizeof f->msg, "The model '%.200s' does not exist (GET /v1/models lists them).",
                 job->q.model);
        return 0;
    }
    if (job->q.tool_use && a->model_idx >= 0 && !c12_gen_tools_can(job->srv, a->model_idx)) {
        *f = (refusal){.status = 400, .param = "tools", .code = "tools_not_supported"};
        snprintf(f->msg, sizeof f->msg, "The model '%.200s' cannot call tools: its chat template has no tool-call format.",
                 job->q.model);
        return 0;
    }
    const char *bad = queue_headers(job->srv, c, a);
    if (!bad) bad = directive_header(job, c);
    if (bad) {
        *f = (refusal){.status = 400, .code = "invalid_header"};
        snprintf(f->msg, sizeof f->msg, "%s", bad);
        return 0;
    }
    bind_request(job);
    c12_gen_cache_ask(job, c);
    return 1;
}

/* ---- generate, finish and respond (plainly: streamed in stream.c) ---- */

typedef struct plain_out {
    c12_gen_job *job;
    c12_buf text[C12_API_MAX_N]; /* each choice's */
    json_t *lp[C12_API_MAX_N];   /* each choice's logprobs, taken at its end */
    json_t *calls[C12_API_MAX_N]; /* a site's tool calls in each choice, or NULL */
    c12_server *srv;
} plain_out;

static int on_text(void *ud, const char *text, size_t len)
{
    plain_out *o = ud;
    return c12_buf_append(&o->text[o->job->ci], text, len) != C12_OK || atomic_load(&o->srv->cancel_all);
}

static int on_tool(void *ud, const c12_tool_frag *f)
{
    plain_out *o = ud;
    return c12_gen_tools_merge(&o->calls[o->job->ci], f);
}

/* A choice before the last is over: its logprobs (the offsets start again). */
static int on_choice_end(void *ud, int i, const c12_backend_result *r)
{
    (void)r;
    plain_out *o = ud;
    o->lp[i] = c12_gen_lp_take(o->job, 1);
    o->job->lp.offset = 0;
    return o->lp[i] == NULL; /* out of memory: no response can carry them */
}

/* The chat's message: the text, or with tools offered the calls read out
 * of it (a site's: the calls it sent). */
static json_t *plain_message(c12_gen_job *job, const char *text, json_t *site_calls, const char **fin)
{
    int called = 0;
    if (job->site_remote) {
        json_t *m = c12_gen_tools_site_message(text, site_calls, &called);
        if (called) *fin = "tool_calls";
        return m;
    }
    if (!c12_gen_tools_on(job))
        return json_pack("{s:s, s:o}", "role", "assistant", "content", c12_json_text(text, strlen(text)));
    json_t *m = c12_gen_tools_message(job, text, &called);
    if (called) *fin = "tool_calls";
    return m;
}

static json_t *plain_choice(c12_gen_job *job, int i, const char *text, json_t *calls, json_t *lp)
{
    const char *fin = c12_gen_finish(job->results[i].finish);
    json_t *msg = job->q.kind == C12_API_CHAT ? plain_message(job, text, calls, &fin) : NULL; /* may change fin */
    return job->q.kind == C12_API_CHAT
        ? json_pack("{s:i, s:o, s:o, s:s}", "index", i, "message", msg, "logprobs", lp, "finish_reason", fin)
        : json_pack("{s:i, s:o, s:o, s:s}", "index", i, "text", c12_json_text(text, strlen(text)), "logprobs", lp,
                    "finish_reason", fin);
}

static json_t *plain_body(c12_gen_job *job, plain_out *o, const c12_backend_result *res)
{
    int n = job->q.n > 1 ? job->q.n : 1;
    if (n == 1) job->results[0] = *res; /* a cache hit too */
    o->lp[n - 1] = c12_gen_lp_take(job, 1);
    json_t *choices = json_array();
    for (int i = 0; i < n; i++) {
        json_t *lp = o->lp[i];
        o->lp[i] = NULL;
        if (json_array_append_new(choices, plain_choice(job, i, o->text[i].data ? o->text[i].data : "", o->calls[i], lp)))
            json_decref(choices), choices = NULL;
    }
    json_t *usage = c12_gen_usage(res);
    if (usage) json_object_set_new(usage, "c12", c12_gen_usage_c12(job));
    json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:o, s:o}", "id", job->id, "object",
                             job->q.kind == C12_API_CHAT ? "chat.completion" : "text_completion", "created",
                             (json_int_t)job->created, "model", job->model, "choices", choices, "usage", usage);
    if (body && job->q.flex) json_object_set_new(body, "service_tier", json_string("flex"));
    return body;
}

/* The usual answer written out without its tree (gen_answer.c): one choice
 * of text, no logprobs and no tool calls. NULL: another answer, or out of
 * memory (the tree then says which). */
static char *plain_text(c12_gen_job *job, plain_out *o, const c12_backend_result *res, size_t *len)
{
    if (job->q.n > 1 || job->q.logprobs || o->calls[0]) return NULL;
    if (job->q.kind == C12_API_CHAT && !job->site_remote && c12_gen_tools_on(job)) return NULL;
    c12_buf b;
    c12_buf_init(&b, 0);
    const c12_buf *t = &o->text[0];
    if (c12_gen_answer_text(job, t->data ? t->data : "", t->len, c12_gen_finish(res->finish), res, &b)) {
        c12_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return c12_buf_take(&b);
}

static int plain_gone(void *ud) { return c12_http_client_gone(ud); }

/* A plain answer: the status and body of the response, or of an error. */
typedef struct answer {
    unsigned status;
    json_t *body;
    char *text;       /* or the body written out (HTTP only), text_len bytes */
    size_t text_len;
    int headers; /* with the job's x-c12-* headers (not for out of memory) */
    int retry_after_s; /* 0: no Retry-After (c12_http_rc_retry_after) */
} answer;

/* as_text: the body may come written out (an HTTP answer; a batch line
 * needs the tree). */
static answer plain_answer(c12_gen_job *job, int as_text)
{
    c12_server *s = job->srv;
    plain_out o = {.job = job, .srv = s};
    int n = job->q.n > 1 ? job->q.n : 1, nomem = 0;
    for (int i = 0; i < n; i++) {
        c12_buf_init(&o.text[i], MAX_REPLY_BYTES);
        nomem |= c12_buf_puts(&o.text[i], "") != C12_OK;
    }
    job->choice_end = on_choice_end;
    job->on_tool = on_tool;
    c12_backend_result res;
    c12_err err;
    c12_rc rc = nomem ? c12_fail(&err, C12_ERR_NOMEM, "Out of memory.") : c12_gen_produce(job, on_text, &o, &res, &err);
    for (int i = 0; !rc && i < n; i++)
        if (!o.text[i].data) rc = c12_fail(&err, C12_ERR_NOMEM, "Out of memory.");
    /* Cut by the end of the grace period: the text so far goes out, the row says cancelled. */
    int cut = !rc && atomic_load(&s->cancel_all);
    c12_account_finish(job, cut ? "cancelled" : c12_account_status(rc ? c12_http_rc_status(rc) : 200, rc),
                       rc ? NULL : &res);
    answer an = {.status = rc ? c12_http_rc_status(rc) : 200, .headers = 1, .retry_after_s = c12_http_rc_retry_after(rc)};
    if (!rc && as_text) an.text = plain_text(job, &o, &res, &an.text_len);
    if (!an.text) an.body = rc ? c12_http_rc_error_body(rc, err.msg, c12_gen_input(job)) : plain_body(job, &o, &res);
    for (int i = 0; i < n; i++) {
        c12_buf_free(&o.text[i]);
        json_decref(o.lp[i]);
        json_decref(o.calls[i]);
    }
    return an;
}

/* ---- a request turned away before generating: its row, then its error ---- */

static answer refusal_answer(c12_gen_job *job, const refusal *f)
{
    c12_account_finish(job, c12_account_status(f->status, C12_OK), NULL);
    int oom = f->status == 503;
    return (answer){.status = f->status, .headers = !oom,
                    .body = c12_http_error_body(oom ? "server_error" : "invalid_request_error", f->param, f->code,
                                                f->msg)};
}

static answer not_served_answer(c12_gen_job *job, c12_rc rc, const char *msg)
{
    c12_account_finish(job, c12_account_status(c12_http_rc_status(rc), rc), NULL);
    return (answer){.status = c12_http_rc_status(rc), .headers = 1, .retry_after_s = c12_http_rc_retry_after(rc),
                    .body = c12_http_rc_error_body(rc, msg, c12_gen_input(job))};
}

/* A limit of the key turned the request away (gen_limits.c). */
static answer limited_answer(c12_gen_job *job, const c12_gen_limited *l)
{
    c12_account_finish(job, "rejected", NULL);
    return (answer){.status = 429, .headers = 1, .body = c12_http_error_body(l->type, NULL, l->code, l->msg)};
}

/* Send the answer; the job is over. */
static enum MHD_Result respond(c12_gen_job *job, struct MHD_Connection *c, answer an)
{
    c12_http_hdrs h = c12_gen_headers(job);
    const c12_http_hdrs *hp = an.headers ? &h : NULL;
    enum MHD_Result ret = an.text ? c12_http_json_text_h(c, an.status, an.text, an.text_len, hp, an.retry_after_s)
                                  : c12_http_json_retry_h(c, an.status, an.body, hp, an.retry_after_s);
    c12_gen_job_end(job);
    return ret;
}

static c12_gen_job *job_new(c12_server *s, c12_api_kind kind)
{
    c12_gen_job *job = c12_calloc(1, sizeof *job);
    if (!job) return NULL;
    job->srv = s;
    job->created = (long long)time(NULL);
    snprintf(job->id, sizeof job->id, "%s-%llx%06lx", kind == C12_API_CHAT ? "chatcmpl" : "cmpl", s->started,
             (unsigned long)atomic_fetch_add(&s->next_id, 1));
    job->q.kind = kind;
    job->model = "";
    c12_account_begin(job);
    return job;
}

/* Parse, price, choose and take a slot: 1 when the job can generate; else
 * *early is its answer (a refusal, or no model could serve it). */
static int begin(c12_gen_job *job, const incoming *in, asks *a, answer *early)
{
    refusal f;
    c12_gen_limited lim;
    int ok = parse(job, in, a, &f);
    /* the key's limits, before any wait (rates: not for a batch line, whose
     * batch was the request) */
    if (ok && c12_gen_limits_admit(job, in->c != NULL, &lim)) {
        c12_price(job->srv, 0, &job->price);
        *early = limited_answer(job, &lim);
        return 0;
    }
    /* flex: the wait for cleaner power comes before the price (a batch
     * line's wait was its batch's) */
    if (ok && job->q.flex && in->c) job->flex_wait_s = c12_defer_flex_wait(job->srv, in->c);
    /* Every request is priced, a refused one too (its row); the forecast
     * is the policy's, so only "auto" reads it. */
    c12_price(job->srv, ok && a->model_idx < 0, &job->price);
    if (!ok) {
        *early = refusal_answer(job, &f);
        return 0;
    }
    c12_err err;
    c12_rc rc = c12_choose_acquire(job, a->model_idx, a->prio, a->deadline_ms, a->max_latency_ms, &err);
    if (rc) {
        *early = not_served_answer(job, rc, err.msg);
        return 0;
    }
    /* the budget once more, now that the slot is held: what ran meanwhile
     * may have spent it (the bound in limit.h) */
    if (c12_gen_limits_budget(job, &lim)) {
        *early = limited_answer(job, &lim);
        return 0;
    }
    c12_gen_cache_lookup(job);
    return 1;
}

static enum MHD_Result generate(c12_server *s, c12_req *r, struct MHD_Connection *c, c12_api_kind kind)
{
    c12_gen_job *job = job_new(s, kind);
    if (!job) return c12_http_error(c, 503, "server_error", NULL, "out_of_memory", "Out of memory.");
    asks a = {.model_idx = -1, .prio = C12_PRIO_NORMAL};
    incoming in = {.body = r->body.data, .len = r->body.len, .key_idx = r->key_idx, .c = c};
    answer early;
    if (!begin(job, &in, &a, &early)) return respond(job, c, early);
    if (job->q.stream) return c12_stream_run(job, r, c);
    job->gone = plain_gone; /* this thread holds the connection until it answers */
    job->gone_ud = c;
    return respond(job, c, plain_answer(job, 1));
}

c12_rc c12_gen_line(c12_server *s, const c12_gen_line_in *in, c12_gen_line_out *out, c12_err *err)
{
    c12_gen_job *job = job_new(s, in->kind);
    if (!job) return c12_fail(err, C12_ERR_NOMEM, "Out of memory.");
    snprintf(job->batch_id, sizeof job->batch_id, "%s", in->batch_id);
    asks a = {.model_idx = -1, .prio = C12_PRIO_LOW}; /* after interactive traffic */
    incoming inc = {.body = in->body, .len = strlen(in->body), .key_idx = in->key_idx};
    answer an;
    if (begin(job, &inc, &a, &an)) {
        job->q.stream = 0; /* a batch line's answer is one object */
        an = plain_answer(job, 0);
    }
    *out = (c12_gen_line_out){.status = an.status, .body = an.body, .energy_j = job->cost.energy_j,
                              .co2_g = c12_account_co2(job, job->cost.energy_j)};
    snprintf(out->request_id, sizeof out->request_id, "%s", job->id);
    c12_gen_job_end(job);
    return an.body ? C12_OK : c12_fail(err, C12_ERR_NOMEM, "Out of memory.");
}

enum MHD_Result c12_api_chat(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    return generate(s, r, c, C12_API_CHAT);
}

enum MHD_Result c12_api_completions(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    return generate(s, r, c, C12_API_COMPLETION);
}
