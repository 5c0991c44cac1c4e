/* gen_answer.c - a plain answer written straight into a buffer: the bytes
 * json_dumps(JSON_COMPACT) gives for the tree api_gen.c's plain_body()
 * builds (same keys, same order, same escapes, jansson's numbers), for the
 * usual answer: one choice of text, no logprobs, no tool calls. A gateway
 * in front of a site answers thousands of these a second, and the tree (some
 * sixty allocations, then the dump) was a tenth of a proxied request's CPU.
 * tests/server/test_gen_answer.c holds the two byte for byte equal. */
#include <string.h>

#include "base/c12_json.h"
#include "server/gen.h"

/* "key":"value", with the comma before it unless first. */
static c12_rc put_str(c12_buf *b, const char *key, const char *v)
{
    c12_rc rc = c12_json_put_key(b, key);
    return rc ? rc : c12_json_put_string(b, v, strlen(v));
}

static c12_rc put_real(c12_buf *b, const char *key, double v)
{
    c12_rc rc = c12_json_put_key(b, key);
    return rc ? rc : c12_json_put_real(b, v);
}

c12_rc c12_gen_put_head(c12_buf *b, const c12_gen_job *job, const char *object)
{
    c12_rc rc = c12_buf_puts(b, "{\"id\":");
    if (!rc) rc = c12_json_put_string(b, job->id, strlen(job->id));
    if (!rc) rc = c12_buf_printf(b, ",\"object\":\"%s\",\"created\":%lld", object, (long long)job->created);
    return rc ? rc : put_str(b, "model", job->model);
}

c12_rc c12_gen_put_usage_c12(c12_buf *b, const c12_gen_job *job)
{
    char route[C12_POLICY_REASON_MAX + 48 + C12_SITE_REASON_MAX];
    c12_gen_route(job, route, sizeof route);
    const c12_gen_cost *m = &job->cost;
    c12_rc rc = c12_buf_puts(b, ",\"c12\":{\"energy_j\":");
    if (!rc) rc = c12_json_put_real(b, m->energy_j);
    if (!rc) rc = put_real(b, "co2_g", c12_account_co2(job, m->energy_j));
    if (!rc) rc = put_str(b, "energy_method", m->energy_method);
    if (!rc) rc = put_real(b, "carbon_intensity", job->price.intensity);
    if (!rc) rc = put_str(b, "carbon_provider", job->price.provider);
    if (!rc) rc = put_str(b, "model", job->model);
    if (!rc) rc = put_str(b, "route", route);
    if (!rc) rc = put_str(b, "site", job->site);
    return rc ? rc : c12_buf_puts(b, "}");
}

c12_rc c12_gen_put_usage(c12_buf *b, const c12_gen_job *job, const c12_backend_result *res)
{
    c12_rc rc = c12_buf_printf(b, ",\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d,"
                                  "\"prompt_tokens_details\":{\"cached_tokens\":%d}",
                               res->n_prompt, res->n_completion, res->n_prompt + res->n_completion, res->n_cached);
    if (!rc) rc = c12_gen_put_usage_c12(b, job);
    return rc ? rc : c12_buf_puts(b, "}");
}

c12_rc c12_gen_answer_text(const c12_gen_job *job, const char *text, size_t n, const char *finish,
                           const c12_backend_result *res, c12_buf *out)
{
    int chat = job->q.kind == C12_API_CHAT;
    c12_rc rc = c12_gen_put_head(out, job, chat ? "chat.completion" : "text_completion");
    if (!rc) rc = c12_buf_puts(out, chat ? ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                                         : ",\"choices\":[{\"index\":0,\"text\":");
    if (!rc) rc = c12_json_put_string(out, text, n);
    if (!rc) rc = c12_buf_puts(out, chat ? "}" : "");
    if (!rc) rc = c12_buf_puts(out, ",\"logprobs\":null");
    if (!rc) rc = put_str(out, "finish_reason", finish);
    if (!rc) rc = c12_buf_puts(out, "}]");
    if (!rc) rc = c12_gen_put_usage(out, job, res);
    if (!rc && job->q.flex) rc = c12_buf_puts(out, ",\"service_tier\":\"flex\"");
    return rc ? rc : c12_buf_puts(out, "}");
}
