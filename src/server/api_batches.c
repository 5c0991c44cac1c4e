/* api_batches.c - OpenAI's Batch API: POST /v1/batches, GET /v1/batches,
 * GET /v1/batches/{id}, POST /v1/batches/{id}/cancel. A batch is checked
 * and its lines queued as it is created (status in_progress; a file that
 * does not fit the batch makes it failed, with the line named in its
 * errors); batch_run.c runs it in the cleanest window before its deadline.
 * Beside OpenAI's fields each batch carries "c12": its carbon, and when it
 * is planned to start. */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_clock.h"
#include "batch/bstore.h"
#include "server/gen.h"

#define LIST_MAX 100

static json_t *time_or_null(int64_t t) { return t ? json_integer((json_int_t)t) : json_null(); }

static json_t *errors_obj(const c12_batch *b)
{
    if (!b->errors[0]) return json_null();
    long line = 0;
    if (!strncmp(b->errors, "line ", 5)) line = strtol(b->errors + 5, NULL, 10);
    return json_pack("{s:s, s:[{s:s, s:s, s:n, s:o}]}", "object", "list", "data", "code", "invalid_request", "message",
                     b->errors, "param", "line", line ? json_integer(line) : json_null());
}

static json_t *c12_obj(const c12_batch *b)
{
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:o}", "energy_j", b->energy_j, "co2_g", b->co2_g,
                     "co2_at_submission_g", b->co2_at_submit_g, "intensity_at_submission", b->submit_intensity,
                     "estimated_s", b->est_s, "deferred_s", b->deferred_s, "planned_start_at",
                     b->planned_start_ms ? json_integer((json_int_t)(b->planned_start_ms / 1000)) : json_null());
}

json_t *c12_api_batch_obj(const c12_batch *b)
{
    json_t *meta = b->metadata[0] ? json_loads(b->metadata, 0, NULL) : NULL;
    const c12_batch_times *t = &b->at;
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o}", "id", b->id, "object", "batch", "endpoint",
                          c12_batch_endpoint_url(b->endpoint), "errors", errors_obj(b), "input_file_id",
                          b->input_file_id, "completion_window", b->completion_window, "status",
                          c12_batch_status_name(b->status), "output_file_id",
                          b->output_file_id[0] ? json_string(b->output_file_id) : json_null(), "error_file_id",
                          b->error_file_id[0] ? json_string(b->error_file_id) : json_null());
    json_t *times = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "created_at", (json_int_t)t->created,
                              "in_progress_at", time_or_null(t->in_progress), "expires_at", time_or_null(t->expires),
                              "finalizing_at", time_or_null(t->finalizing), "completed_at", time_or_null(t->completed),
                              "failed_at", time_or_null(t->failed), "expired_at", time_or_null(t->expired),
                              "cancelling_at", time_or_null(t->cancelling), "cancelled_at",
                              time_or_null(t->cancelled));
    if (!o || !times) {
        json_decref(o);
        json_decref(times);
        json_decref(meta);
        return NULL;
    }
    json_object_update(o, times);
    json_decref(times);
    json_object_set_new(o, "request_counts", json_pack("{s:I, s:I, s:I}", "total", (json_int_t)b->total, "completed",
                                                       (json_int_t)b->completed, "failed", (json_int_t)b->failed));
    json_object_set_new(o, "metadata", meta ? meta : json_null());
    json_object_set_new(o, "c12", c12_obj(b));
    return o;
}

static enum MHD_Result bad_request(struct MHD_Connection *c, const char *param, const char *msg)
{
    return c12_http_error(c, 400, "invalid_request_error", param, "invalid_request", msg);
}

/* metadata: an object of at most 16 string values (keys up to 64, values
 * up to 512 characters), kept as JSON text. */
static const char *read_metadata(json_t *m, c12_batch *b)
{
    if (!m || json_is_null(m)) return NULL;
    const char *k;
    json_t *v;
    if (!json_is_object(m) || json_object_size(m) > 16) return "'metadata' must be an object of at most 16 pairs.";
    json_object_foreach(m, k, v) if (strlen(k) > 64 || !json_is_string(v) || json_string_length(v) > 512) return
        "'metadata' keys must be at most 64 characters and its values strings of at most 512.";
    char *t = json_dumps(m, JSON_COMPACT);
    if (!t || strlen(t) >= sizeof b->metadata) {
        free(t);
        return "'metadata' is too large.";
    }
    snprintf(b->metadata, sizeof b->metadata, "%s", t);
    free(t);
    return NULL;
}

/* The request's fields into b, or why not (param names the field). */
static const char *read_create(json_t *j, c12_batch *b, const char **param)
{
    const char *file = json_string_value(json_object_get(j, "input_file_id"));
    const char *ep = json_string_value(json_object_get(j, "endpoint"));
    const char *win = json_string_value(json_object_get(j, "completion_window"));
    if (!json_is_object(j)) return *param = NULL, "The body must be a JSON object.";
    if (!file || strlen(file) >= sizeof b->input_file_id) return *param = "input_file_id", "'input_file_id' is required.";
    int e = c12_batch_endpoint_parse(ep);
    if (e < 0) return *param = "endpoint", "'endpoint' must be /v1/chat/completions or /v1/completions.";
    if (!win || !(b->window_s = c12_batch_window_parse(win)) || strlen(win) >= sizeof b->completion_window)
        return *param = "completion_window",
               "'completion_window' must be \"24h\", or (a C12 extension) a duration from \"1m\" to \"7d\".";
    snprintf(b->input_file_id, sizeof b->input_file_id, "%s", file);
    snprintf(b->completion_window, sizeof b->completion_window, "%s", win);
    b->endpoint = (c12_batch_endpoint)e;
    *param = "metadata";
    return read_metadata(json_object_get(j, "metadata"), b);
}

/* Queue the input's lines; a file that does not fit makes the batch failed. */
static c12_rc create(c12_server *s, c12_batch *b, const char *data, size_t len, c12_err *err)
{
    c12_batch_check chk = {.srv = s, .est_s = &b->est_s}; /* filled as the lines are read, before the row is */
    c12_batch_input_rules rules = c12_api_batch_rules(&chk, (int)b->endpoint);
    c12_gen_price price;
    c12_price(s, 0, &price);
    b->submit_intensity = price.intensity;
    b->at.created = b->at.in_progress = (int64_t)(c12_clock_real_ms() / 1000);
    b->at.expires = b->at.created + b->window_s;
    b->status = C12_BATCH_IN_PROGRESS;
    c12_rc rc = c12_bstore_batch_create(s->deps.batches, b, data, len, &rules, err);
    if (rc != C12_ERR_FORMAT && rc != C12_ERR_INVALID) return rc;
    snprintf(b->errors, sizeof b->errors, "%s", err->msg);
    b->status = C12_BATCH_FAILED;
    b->at.in_progress = b->at.expires = 0;
    b->at.failed = b->at.created;
    return c12_bstore_batch_add(s->deps.batches, b, err);
}

enum MHD_Result c12_api_batches_create(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    if (!s->deps.batches) return c12_api_batch_off(c);
    json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
    c12_batch *b = c12_calloc(1, sizeof *b);
    const char *param = NULL, *bad = j ? read_create(j, b, &param) : "The body is not JSON.";
    json_decref(j);
    c12_err err;
    char owner[C12_BATCH_OWNER_MAX];
    c12_bfile f;
    char *data = NULL;
    size_t len = 0;
    enum MHD_Result ret;
    c12_server_key_owner(s, r->key_idx, owner, sizeof owner);
    c12_rc rc = !b ? c12_fail(&err, C12_ERR_NOMEM, "Out of memory.") : C12_OK;
    if (!rc && !bad) rc = c12_bstore_file_get(s->deps.batches, b->input_file_id, &f, &err);
    if (!rc && !bad && (strcmp(f.owner, owner) || strcmp(f.purpose, "batch")))
        rc = c12_fail(&err, C12_ERR_NOT_FOUND, "No such File object: %.64s", b->input_file_id);
    if (!rc && !bad) rc = c12_bstore_file_read(s->deps.batches, f.id, (size_t)f.bytes + 1, &data, &len, &err);
    if (!rc && !bad) {
        snprintf(b->owner, sizeof b->owner, "%s", owner);
        rc = create(s, b, data, len, &err);
    }
    if (bad) ret = bad_request(c, param, bad);
    else if (rc == C12_ERR_NOT_FOUND) ret = c12_http_error(c, 404, "invalid_request_error", "input_file_id", "not_found", err.msg);
    else if (rc) ret = c12_http_rc_error_h(c, rc, err.msg, NULL, NULL);
    else ret = c12_http_json(c, 200, c12_api_batch_obj(b));
    if (!rc && !bad) c12_batch_runner_wake(s->runner);
    c12_free(data);
    c12_free(b);
    return ret;
}

enum MHD_Result c12_api_batches_list(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    if (!s->deps.batches) return c12_api_batch_off(c);
    long limit = 20;
    char msg[128], owner[C12_BATCH_OWNER_MAX];
    if (!c12_dash_int_arg(c, "limit", 1, LIST_MAX, &limit, msg, sizeof msg)) return bad_request(c, "limit", msg);
    const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
    c12_batch *list = NULL;
    size_t n = 0;
    int more = 0;
    c12_err err;
    c12_server_key_owner(s, r->key_idx, owner, sizeof owner);
    c12_rc rc = c12_bstore_batch_list(s->deps.batches, owner, after, (size_t)limit, &list, &n, &more, &err);
    if (rc) return c12_http_rc_error_h(c, rc, err.msg, NULL, NULL);
    json_t *data = json_array();
    for (size_t i = 0; data && i < n; i++) json_array_append_new(data, c12_api_batch_obj(&list[i]));
    json_t *body = json_pack("{s:s, s:o, s:o, s:o, s:b}", "object", "list", "data", data, "first_id",
                             n ? json_string(list[0].id) : json_null(), "last_id",
                             n ? json_string(list[n - 1].id) : json_null(), "has_more", more);
    c12_free(list);
    return c12_http_json(c, 200, body);
}

/* GET /v1/batches/{id}; POST /v1/batches/{id}/cancel */
static enum MHD_Result one(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url, int cancel)
{
    if (!s->deps.batches) return c12_api_batch_off(c);
    char id[C12_BATCH_ID_MAX], owner[C12_BATCH_OWNER_MAX];
    const char *rest;
    if (!c12_url_id(url, "/v1/batches/", id, sizeof id, &rest) || strcmp(rest, cancel ? "/cancel" : ""))
        return c12_http_error(c, 404, "invalid_request_error", NULL, "not_found", "No such endpoint.");
    c12_batch *b = c12_malloc(sizeof *b);
    c12_err err;
    c12_server_key_owner(s, r->key_idx, owner, sizeof owner);
    c12_rc rc = b ? c12_bstore_batch_get(s->deps.batches, id, b, &err) : c12_fail(&err, C12_ERR_NOMEM, "Out of memory.");
    if (!rc && strcmp(b->owner, owner)) rc = c12_fail(&err, C12_ERR_NOT_FOUND, "No such Batch object: %.64s", id);
    enum MHD_Result ret;
    int refuse = !rc && cancel && b->status != C12_BATCH_IN_PROGRESS && b->status != C12_BATCH_VALIDATING &&
                 b->status != C12_BATCH_CANCELLING;
    if (!rc && cancel && !refuse && b->status != C12_BATCH_CANCELLING) {
        c12_batch_status from = b->status;
        b->status = C12_BATCH_CANCELLING;
        b->at.cancelling = (int64_t)(c12_clock_real_ms() / 1000);
        /* BUSY: the runner finished it just now; its row says how */
        rc = c12_bstore_batch_put(s->deps.batches, b, from, &err);
        if (rc == C12_ERR_BUSY && !(rc = c12_bstore_batch_get(s->deps.batches, id, b, &err)))
            refuse = b->status != C12_BATCH_CANCELLING;
        c12_batch_runner_wake(s->runner);
    }
    if (rc == C12_ERR_NOT_FOUND) ret = c12_http_error(c, 404, "invalid_request_error", "batch_id", "not_found", err.msg);
    else if (rc) ret = c12_http_rc_error_h(c, rc, err.msg, NULL, NULL);
    else if (refuse) {
        char msg[128];
        snprintf(msg, sizeof msg, "Cannot cancel a batch with status %s.", c12_batch_status_name(b->status));
        ret = c12_http_error(c, 409, "invalid_request_error", NULL, "batch_not_cancellable", msg);
    } else ret = c12_http_json(c, 200, c12_api_batch_obj(b));
    c12_free(b);
    return ret;
}

enum MHD_Result c12_api_batch_get(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    return one(s, r, c, url, 0);
}

enum MHD_Result c12_api_batch_cancel(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    return one(s, r, c, url, 1);
}
