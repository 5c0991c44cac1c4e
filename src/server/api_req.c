/* api_req.c - parse and validate OpenAI request bodies with jansson. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_json.h"
#include "base/c12_alloc.h"
#include "base/c12_utf8.h"
#include "server/api_req.h"
#include "server/api_rfmt.h"
#include "server/api_tools.h"

typedef struct pcx {
    c12_api_req *r;
    char *param;
    c12_err *err;
} pcx;

static c12_rc bad(pcx *p, const char *param, const char *fmt, const char *what)
{
    if (p->param) snprintf(p->param, 64, "%s", param);
    return c12_fail(p->err, C12_ERR_INVALID, fmt, param, what);
}

/* A field that is absent or null counts as not given. */
static json_t *field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_null(v) ? NULL : v;
}

static c12_rc num(pcx *p, json_t *o, const char *k, double lo, double hi, float *dst)
{
    json_t *v = field(o, k);
    if (!v) return C12_OK;
    if (!json_is_number(v)) return bad(p, k, "'%s' must be %s", "a number");
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi)) {
        char range[64];
        snprintf(range, sizeof range, "from %g to %g", lo, hi);
        return bad(p, k, "'%s' must be %s", range);
    }
    *dst = (float)d;
    return C12_OK;
}

static c12_rc integer(pcx *p, json_t *o, const char *k, json_int_t lo, json_int_t hi, json_int_t *dst)
{
    json_t *v = field(o, k);
    if (!v) return C12_OK;
    if (!json_is_integer(v)) return bad(p, k, "'%s' must be %s", "an integer");
    json_int_t i = json_integer_value(v);
    if (i < lo || i > hi) {
        char range[96];
        snprintf(range, sizeof range, "an integer from %lld to %lld", (long long)lo, (long long)hi);
        return bad(p, k, "'%s' must be %s", range);
    }
    *dst = i;
    return C12_OK;
}

static c12_rc boolean(pcx *p, json_t *o, const char *k, int *dst)
{
    json_t *v = field(o, k);
    if (!v) return C12_OK;
    if (!json_is_boolean(v)) return bad(p, k, "'%s' must be %s", "a boolean");
    *dst = json_is_true(v);
    return C12_OK;
}

/* messages: the one reader's rules (src/route/route_msgs.c); the chat
 * template reads them as c12_chat_msg rows pointing into its block. */
static c12_rc messages(pcx *p, json_t *o)
{
    c12_api_req *r = p->r;
    c12_rc rc = c12_route_msgs_read(field(o, "messages"), &r->msgs, p->param, p->err);
    if (rc) return rc;
    if (!(r->messages = c12_calloc(r->msgs.n, sizeof *r->messages)))
        return c12_fail(p->err, C12_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->msgs.n; i++)
        r->messages[i] = (c12_chat_msg){.role = r->msgs.msgs[i].role, .content = r->msgs.msgs[i].text};
    r->n_messages = r->msgs.n;
    return C12_OK;
}

/* prompt: a string, or an array of exactly one string (n = 1 only). */
static c12_rc prompt(pcx *p, json_t *o)
{
    json_t *v = field(o, "prompt");
    if (!v) return bad(p, "prompt", "'%s' is %s", "required");
    if (json_is_array(v) && json_array_size(v) == 1) v = json_array_get(v, 0);
    if (!json_is_string(v)) return bad(p, "prompt", "'%s' must be %s", "a string (or an array of one string)");
    p->r->prompt = json_string_value(v);
    return C12_OK;
}

static c12_rc stop(pcx *p, json_t *o)
{
    json_t *v = field(o, "stop"), *s;
    size_t i;
    if (!v) return C12_OK;
    /* Empty stop strings stop nothing: they are dropped here (and the
     * engine's stop matcher is never given one). */
    size_t n = 0;
    if (json_is_string(v)) {
        if (*json_string_value(v)) p->r->stop[0] = json_string_value(v);
        return C12_OK;
    }
    if (!json_is_array(v) || json_array_size(v) > C12_API_MAX_STOP)
        return bad(p, "stop", "'%s' must be %s", "a string or an array of up to 4 strings");
    json_array_foreach(v, i, s) {
        if (!json_is_string(s)) return bad(p, "stop", "'%s' must be %s", "a string or an array of up to 4 strings");
        if (*json_string_value(s)) p->r->stop[n++] = json_string_value(s);
    }
    return C12_OK;
}

/* service_tier: OpenAI's words; "flex" may wait for cleaner power. */
static c12_rc service_tier(pcx *p, json_t *o)
{
    static const char *const TIERS[] = {"auto", "default", "flex", "priority", "scale"};
    json_t *v = field(o, "service_tier");
    if (!v || json_is_null(v)) return C12_OK;
    for (size_t i = 0; json_is_string(v) && i < sizeof TIERS / sizeof TIERS[0]; i++)
        if (!strcmp(json_string_value(v), TIERS[i])) {
            p->r->flex = !strcmp(TIERS[i], "flex");
            return C12_OK;
        }
    return bad(p, "service_tier", "'%s' must be %s", "one of auto, default, flex, priority, scale");
}

/* Chat: logprobs (a boolean) and top_logprobs (0-20, only with logprobs);
 * completions: logprobs, the number of top tokens (0-20; OpenAI allows 5,
 * vLLM and llama.cpp's server 20). */
static c12_rc logprobs(pcx *p, json_t *o)
{
    c12_api_req *r = p->r;
    json_int_t k = 0;
    c12_rc rc;
    if (r->kind == C12_API_COMPLETION) {
        if ((rc = integer(p, o, "logprobs", 0, C12_TOP_LOGPROBS_MAX, &k))) return rc;
        r->logprobs = field(o, "logprobs") != NULL;
        r->top_logprobs = (int)k;
        return C12_OK;
    }
    if ((rc = boolean(p, o, "logprobs", &r->logprobs)) ||
        (rc = integer(p, o, "top_logprobs", 0, C12_TOP_LOGPROBS_MAX, &k)))
        return rc;
    if (field(o, "top_logprobs") && !r->logprobs)
        return bad(p, "top_logprobs", "'%s' requires %s", "'logprobs' to be true");
    r->top_logprobs = (int)k;
    return C12_OK;
}

static c12_rc options(pcx *p, json_t *o)
{
    c12_api_req *r = p->r;
    json_int_t mt = 0, mct = 0, n = 1, seed = -1;
    c12_rc rc;
    if ((rc = integer(p, o, "max_tokens", 1, 1 << 30, &mt)) ||
        (rc = integer(p, o, "max_completion_tokens", 1, 1 << 30, &mct)) ||
        (rc = integer(p, o, "n", 1, 1 << 30, &n)) ||
        (rc = integer(p, o, "seed", INT64_MIN, INT64_MAX, &seed)) ||
        (rc = num(p, o, "temperature", 0, 2, &r->sampling.temperature)) ||
        (rc = num(p, o, "top_p", 0, 1, &r->sampling.top_p)) ||
        (rc = num(p, o, "presence_penalty", -2, 2, &r->sampling.presence_penalty)) ||
        (rc = num(p, o, "frequency_penalty", -2, 2, &r->sampling.frequency_penalty)) ||
        (rc = boolean(p, o, "stream", &r->stream)) || (rc = boolean(p, o, "ignore_eos", &r->ignore_eos)) ||
        (rc = stop(p, o)))
        return rc;
    if (n > C12_API_MAX_N) return bad(p, "n", "'%s' must be %s", "an integer from 1 to 16");
    r->n = (int)n;
    if (field(o, "user") && !json_is_string(field(o, "user"))) return bad(p, "user", "'%s' must be %s", "a string");
    if ((rc = service_tier(p, o)) || (rc = logprobs(p, o))) return rc;
    if (field(o, "user")) r->user = json_string_value(field(o, "user"));
    json_t *so = field(o, "stream_options");
    if (so && !json_is_object(so)) return bad(p, "stream_options", "'%s' must be %s", "an object");
    if (so) {
        rc = boolean(p, so, "include_usage", &r->include_usage);
        if (rc && p->param) snprintf(p->param, 64, "stream_options.include_usage");
        if (rc) return rc;
    }
    r->max_tokens = (int)(mct ? mct : mt);
    if (field(o, "seed")) r->sampling.seed = (uint64_t)seed, r->has_seed = 1;
    if (r->sampling.top_p >= 1) r->sampling.top_p = 1; /* off */
    return C12_OK;
}

/* response_format: constrained decoding (api_rfmt.c); not with tools,
 * whose calls are not JSON alone. Completions take it too (as vLLM). */
static c12_rc response_format(pcx *p, json_t *o)
{
    c12_api_req *r = p->r;
    json_t *rf = field(o, "response_format");
    c12_rc rc = c12_rfmt_read(rf, &r->rfmt, p->param, p->err);
    if (rc || !r->rfmt) return rc;
    if (r->tools.n && r->tool_choice != C12_TOOL_NONE) {
        if (p->param) snprintf(p->param, 64, "response_format");
        return c12_fail(p->err, C12_ERR_INVALID, "'response_format' with JSON output cannot be combined with "
                        "'tools' (a tool call is not the JSON asked for); drop one, or set tool_choice to none");
    }
    if (!(r->rfmt_key = json_dumps(rf, JSON_COMPACT | JSON_SORT_KEYS)))
        return c12_fail(p->err, C12_ERR_NOMEM, "out of memory");
    return C12_OK;
}

static c12_rc walk(pcx *p, json_t *o, c12_api_kind kind)
{
    c12_api_req *r = p->r;
    if (!json_is_object(o)) return bad(p, "body", "the request %s must be %s", "a JSON object");
    json_t *m = field(o, "model");
    if (!m) return bad(p, "model", "'%s' is %s", "required");
    if (!json_is_string(m)) return bad(p, "model", "'%s' must be %s", "a string (a model id)");
    /* cut to the field: served ids are shorter, so a longer name is a 404 (and
     * jansson refuses a NUL in a string, which could otherwise end it early) */
    c12_utf8_copy(r->model, sizeof r->model, json_string_value(m), json_string_length(m));
    c12_rc rc = kind == C12_API_CHAT ? messages(p, o) : prompt(p, o);
    if (!rc) rc = options(p, o);
    if (!rc) rc = c12_api_tools_read(o, r, p->param, p->err);
    return rc ? rc : response_format(p, o);
}

c12_rc c12_api_req_parse(const char *body, size_t len, c12_api_kind kind, c12_api_req *out, char *param,
                         c12_err *err)
{
    c12_api_req r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.sampling = c12_sampling_default();
    r.sampling.temperature = 1.0f; /* OpenAI's defaults, not c12 run's */
    r.sampling.top_p = 1.0f;
    r.sampling.top_k = 0;
    r.sampling.min_p = 0.0f;
    if (param) param[0] = '\0';
    json_t *root = NULL;
    c12_rc jrc =
        c12_json_parse_untrusted(body, len, JSON_REJECT_DUPLICATES, "the body is not valid JSON", &root, err);
    if (jrc) {
        if (param && jrc == C12_ERR_FORMAT) snprintf(param, 64, "body");
        return jrc;
    }
    r.json = root;
    pcx p = {&r, param, err};
    c12_rc rc = walk(&p, root, kind);
    if (rc) {
        c12_api_req_free(&r);
        return rc;
    }
    *out = r;
    return C12_OK;
}

void c12_api_req_free(c12_api_req *r)
{
    c12_route_msgs_free(&r->msgs);
    c12_api_tools_free(r);
    c12_jsonc_schema_free(r->rfmt);
    c12_free(r->rfmt_key);
    c12_free(r->messages);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}
