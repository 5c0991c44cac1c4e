/* api_gen.c - POST /v1/chat/completions and /v1/completions: validate, pick
 * the model, queue for a slot, generate (plainly here, streamed in stream.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "server/gen.h"

#define MAX_REPLY_BYTES (4u << 20)

json_t *c12_gen_usage(const c12_backend_result *res)
{
    return json_pack("{s:i, s:i, s:i}", "prompt_tokens", res->n_prompt, "completion_tokens", res->n_completion,
                     "total_tokens", res->n_prompt + res->n_completion);
}

const char *c12_gen_finish(c12_finish f) { return f == C12_FINISH_LENGTH ? "length" : "stop"; }

void c12_gen_job_end(c12_gen_job *job)
{
    if (job->leased) c12_pool_release(job->srv->pool, &job->lease);
    c12_api_req_free(&job->q);
    c12_free(job);
}

enum MHD_Result c12_gen_error(c12_gen_job *job, struct MHD_Connection *c, c12_rc rc, const char *msg)
{
    const char *param = job->q.kind == C12_API_CHAT ? "messages" : "prompt";
    c12_http_hdrs h = c12_account_headers(job);
    if (rc == C12_ERR_RANGE)
        return c12_http_error_h(c, 400, "invalid_request_error", param, "context_length_exceeded", msg, &h);
    if (rc == C12_ERR_INVALID) return c12_http_error_h(c, 400, "invalid_request_error", param, NULL, msg, &h);
    return c12_http_rc_error_h(c, rc, msg, &h);
}

/* A whole number of milliseconds from 1 to 86400000, or 0. */
static long long header_ms(const char *v)
{
    char *e;
    long long ms = strtoll(v, &e, 10);
    return *v && !*e && ms >= 1 && ms <= 86400000LL ? ms : 0;
}

/* x-c12-priority: high|normal|low; x-c12-deadline-ms: N (from now);
 * x-c12-max-latency-ms: N (the policy's latency need). */
static int queue_headers(c12_server *s, struct MHD_Connection *c, c12_prio *prio, int64_t *deadline,
                         double *max_latency, const char **bad)
{
    static const char *const names[C12_PRIO_COUNT] = {"high", "normal", "low"};
    const char *p = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-c12-priority");
    const char *d = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-c12-deadline-ms");
    const char *l = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-c12-max-latency-ms");
    *prio = C12_PRIO_NORMAL;
    *deadline = 0;
    *max_latency = 0;
    if (p) {
        int i = 0;
        while (i < C12_PRIO_COUNT && strcasecmp(p, names[i])) i++;
        if (i == C12_PRIO_COUNT) return *bad = "x-c12-priority must be high, normal or low", 0;
        *prio = (c12_prio)i;
    }
    if (d) {
        if (!header_ms(d))
            return *bad = "x-c12-deadline-ms must be a whole number of milliseconds from 1 to 86400000", 0;
        *deadline = c12_pool_now(s->pool) + header_ms(d);
    }
    if (l) {
        if (!header_ms(l))
            return *bad = "x-c12-max-latency-ms must be a whole number of milliseconds from 1 to 86400000", 0;
        *max_latency = (double)header_ms(l);
    }
    return 1;
}

typedef struct plain_out {
    c12_buf text;
    c12_server *srv;
} plain_out;

static int on_text(void *ud, const char *text, size_t len)
{
    plain_out *o = ud;
    return c12_buf_append(&o->text, text, len) != C12_OK || atomic_load(&o->srv->cancel_all);
}

static json_t *plain_body(const c12_gen_job *job, const char *text, const c12_backend_result *res)
{
    const char *fin = c12_gen_finish(res->finish);
    json_t *choice = job->q.kind == C12_API_CHAT
        ? json_pack("{s:i, s:{s:s, s:o}, s:n, s:s}", "index", 0, "message", "role", "assistant", "content",
                    c12_json_text(text, strlen(text)), "logprobs", "finish_reason", fin)
        : json_pack("{s:i, s:o, s:n, s:s}", "index", 0, "text", c12_json_text(text, strlen(text)), "logprobs",
                    "finish_reason", fin);
    json_t *usage = c12_gen_usage(res);
    if (usage) json_object_set_new(usage, "c12", c12_account_usage_c12(job));
    return json_pack("{s:s, s:s, s:I, s:s, s:[o], s:o}", "id", job->id, "object",
                     job->q.kind == C12_API_CHAT ? "chat.completion" : "text_completion", "created",
                     (json_int_t)job->created, "model", job->model_id, "choices", choice, "usage", usage);
}

static enum MHD_Result run_plain(c12_gen_job *job, struct MHD_Connection *c)
{
    c12_server *s = job->srv;
    plain_out o = {.srv = s};
    c12_buf_init(&o.text, MAX_REPLY_BYTES);
    c12_buf_puts(&o.text, "");
    c12_backend_result res;
    c12_err err;
    c12_rc rc = c12_account_generate(job, on_text, &o, &res, &err);
    if (!rc && !o.text.data) rc = c12_fail(&err, C12_ERR_NOMEM, "Out of memory.");
    /* Cut by the end of the grace period: the text so far goes out, the row says cancelled. */
    int cut = !rc && atomic_load(&s->cancel_all);
    c12_account_finish(job, cut ? "cancelled" : c12_account_status(rc ? c12_http_rc_status(rc) : 200, rc),
                       rc ? NULL : &res);
    c12_http_hdrs h = c12_account_headers(job);
    enum MHD_Result ret = rc ? c12_gen_error(job, c, rc, err.msg)
                             : c12_http_json_h(c, 200, plain_body(job, o.text.data, &res), &h);
    c12_buf_free(&o.text);
    c12_gen_job_end(job);
    return ret;
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
    job->breq.gen.max_tokens = q->max_tokens ? q->max_tokens
                             : q->kind == C12_API_CHAT ? cfg->default_max_tokens : 16; /* OpenAI's default */
}

/* A request turned away before generating: its row, then its error. */
static enum MHD_Result reject(c12_gen_job *job, struct MHD_Connection *c, c12_rc rc, unsigned status,
                              enum MHD_Result ret)
{
    c12_account_finish(job, c12_account_status(status, rc), NULL);
    c12_gen_job_end(job);
    return ret;
}

static enum MHD_Result generate(c12_server *s, c12_req *r, struct MHD_Connection *c, c12_api_kind kind)
{
    char param[64], msg[512];
    c12_err err;
    c12_gen_job *job = c12_calloc(1, sizeof *job);
    if (!job) return c12_http_error(c, 503, "server_error", NULL, "out_of_memory", "Out of memory.");
    job->srv = s;
    job->created = (long long)time(NULL);
    snprintf(job->id, sizeof job->id, "%s-%llx%06lx", kind == C12_API_CHAT ? "chatcmpl" : "cmpl", s->started,
             (unsigned long)atomic_fetch_add(&s->next_id, 1));
    c12_account_begin(job, c);
    job->q.kind = kind;
    c12_rc rc = c12_api_req_parse(r->body.data ? r->body.data : "", r->body.len, kind, &job->q, param, &err);
    c12_http_hdrs h = c12_account_headers(job);
    if (rc == C12_ERR_NOMEM)
        return reject(job, c, rc, 503, c12_http_error(c, 503, "server_error", NULL, "out_of_memory", err.msg));
    if (rc)
        return reject(job, c, rc, 400, c12_http_error_h(c, 400, "invalid_request_error", param,
                                                        rc == C12_ERR_FORMAT ? "invalid_json" : NULL, err.msg, &h));
    c12_account_user(job, r->key_idx);
    C12_LEDGER_SET(job->meta.row.model, job->q.model); /* until a served model is chosen */
    int auto_model = !strcmp(job->q.model, "auto");
    int idx = auto_model ? -1 : c12_server_model_index(s, job->q.model);
    c12_prio prio;
    int64_t deadline;
    double max_latency;
    const char *bad = NULL;
    if (!auto_model && idx < 0) {
        snprintf(msg, sizeof msg, "The model '%.200s' does not exist (GET /v1/models lists them).", job->q.model);
        return reject(job, c, C12_ERR_NOT_FOUND, 404,
                      c12_http_error_h(c, 404, "invalid_request_error", "model", "model_not_found", msg, &h));
    }
    if (!queue_headers(s, c, &prio, &deadline, &max_latency, &bad))
        return reject(job, c, C12_ERR_INVALID, 400,
                      c12_http_error_h(c, 400, "invalid_request_error", NULL, "invalid_header", bad, &h));
    bind_request(job);
    int64_t t_q = c12_energy_wall_ns();
    rc = c12_choose_acquire(job, idx, prio, deadline, max_latency, &err);
    job->meta.row.queue_ms = (double)(c12_energy_wall_ns() - t_q) / 1e6;
    if (rc) return reject(job, c, rc, c12_http_rc_status(rc), c12_gen_error(job, c, rc, err.msg));
    return job->q.stream ? c12_stream_run(job, c) : run_plain(job, c);
}

enum MHD_Result c12_api_chat(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    return generate(s, r, c, C12_API_CHAT);
}

enum MHD_Result c12_api_completions(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    return generate(s, r, c, C12_API_COMPLETION);
}
