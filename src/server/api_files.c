/* api_files.c - OpenAI's Files API for batches: POST /v1/files (multipart,
 * purpose "batch", the JSONL checked line by line as it is uploaded),
 * GET /v1/files, GET /v1/files/{id}, GET /v1/files/{id}/content,
 * DELETE /v1/files/{id}. A file belongs to the API key that uploaded it
 * (without keys, to everyone). */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "batch/bstore.h"
#include "server/api_req.h"
#include "server/defer.h"
#include "server/gen.h"
#include "server/http_form.h"
#include "server/server_impl.h"

#define LIST_MAX 10000

json_t *c12_api_file_obj(const c12_bfile *f)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:n, s:n}", "id", f->id, "object", "file", "bytes",
                     (json_int_t)f->bytes, "created_at", (json_int_t)f->created_at, "filename", f->filename, "purpose",
                     f->purpose, "status", "processed", "expires_at", "status_details");
}

/* The Batch API is configured off: every endpoint of it is unknown. */
enum MHD_Result c12_api_batch_off(struct MHD_Connection *c)
{
    return c12_http_error(c, 404, "invalid_request_error", NULL, "not_found",
                          "The Files and Batches API is off on this server (batch.enabled: false).");
}

/* A line's body: what POST /v1/chat/completions or /v1/completions would
 * accept, for a model this server has ("auto" or a served id). */
static int check_body(void *ctx, c12_batch_endpoint e, const char *body, size_t len, char *msg, size_t cap)
{
    c12_batch_check *chk = ctx;
    c12_server *s = chk->srv;
    c12_api_req q;
    char param[64] = "";
    c12_err err;
    c12_rc rc = c12_api_req_parse(body, len, e == C12_BATCH_CHAT ? C12_API_CHAT : C12_API_COMPLETION, &q, param, &err);
    if (rc) {
        snprintf(msg, cap, "body: %s", err.msg);
        return 1;
    }
    int bad = strcmp(q.model, "auto") && c12_server_model_index(s, q.model) < 0;
    if (bad) snprintf(msg, cap, "body: the model '%.200s' is not served here (GET /v1/models lists them)", q.model);
    if (chk->est_s) *chk->est_s += c12_defer_estimate_s(s, c12_choose_prompt_tokens(&q), q.max_tokens);
    c12_api_req_free(&q);
    return bad;
}

c12_batch_input_rules c12_api_batch_rules(c12_batch_check *chk, int endpoint)
{
    if (chk->est_s) *chk->est_s = 0;
    return (c12_batch_input_rules){.max_lines = (size_t)chk->srv->cfg->batch.max_lines, .only_endpoint = endpoint,
                                   .check_body = check_body, .ctx = chk};
}

static enum MHD_Result bad_request(struct MHD_Connection *c, const char *param, const char *msg)
{
    return c12_http_error(c, 400, "invalid_request_error", param, "invalid_request", msg);
}

enum MHD_Result c12_api_files_create(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    if (!s->deps.batches) return c12_api_batch_off(c);
    char boundary[C12_FORM_BOUNDARY_MAX + 1];
    c12_form form;
    c12_err err;
    if (c12_form_boundary(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"), boundary, &err) ||
        c12_form_parse(r->body.data ? r->body.data : "", r->body.len, boundary, &form, &err))
        return bad_request(c, NULL, err.msg);
    const c12_form_part *purpose = c12_form_get(&form, "purpose"), *file = c12_form_get(&form, "file");
    if (!purpose || purpose->len != 5 || memcmp(purpose->data, "batch", 5))
        return bad_request(c, "purpose", "'purpose' must be \"batch\" (the only purpose C12 serves).");
    if (!file || !file->filename[0]) return bad_request(c, "file", "'file' must be a file part.");
    c12_batch_check chk = {.srv = s};
    c12_batch_input_rules rules = c12_api_batch_rules(&chk, -1);
    c12_batch_input_stats st;
    c12_rc rc = c12_batch_input_read(file->data, file->len, &rules, NULL, NULL, &st, &err);
    if (rc == C12_ERR_NOMEM) return c12_http_error(c, 503, "server_error", NULL, "out_of_memory", "Out of memory.");
    if (rc) return bad_request(c, "file", err.msg);
    c12_bfile f = {.purpose = "batch"};
    snprintf(f.filename, sizeof f.filename, "%s", file->filename);
    c12_server_key_owner(s, r->key_idx, f.owner, sizeof f.owner);
    if ((rc = c12_bstore_file_put(s->deps.batches, &f, file->data, file->len, &err)))
        return c12_http_rc_error_h(c, rc, err.msg, NULL, NULL);
    return c12_http_json(c, 200, c12_api_file_obj(&f));
}

/* The file of the URL's id that the caller may see, else an answer. */
static int find_file(c12_server *s, c12_req *r, const char *id, c12_bfile *f, struct MHD_Connection *c,
                     enum MHD_Result *ret)
{
    char owner[C12_BATCH_OWNER_MAX];
    c12_err err;
    c12_server_key_owner(s, r->key_idx, owner, sizeof owner);
    c12_rc rc = c12_bstore_file_get(s->deps.batches, id, f, &err);
    if (!rc && strcmp(f->owner, owner)) rc = c12_fail(&err, C12_ERR_NOT_FOUND, "No such File object: %.64s", id);
    if (rc == C12_ERR_NOT_FOUND) *ret = c12_http_error(c, 404, "invalid_request_error", "file_id", "not_found", err.msg);
    else if (rc) *ret = c12_http_rc_error_h(c, rc, err.msg, NULL, NULL);
    return rc == C12_OK;
}

enum MHD_Result c12_api_files_list(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    if (!s->deps.batches) return c12_api_batch_off(c);
    long limit = LIST_MAX;
    char msg[128], owner[C12_BATCH_OWNER_MAX];
    if (!c12_dash_int_arg(c, "limit", 1, LIST_MAX, &limit, msg, sizeof msg)) return bad_request(c, "limit", msg);
    const char *purpose = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "purpose");
    const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
    c12_bfile *list = c12_calloc((size_t)limit, sizeof *list);
    size_t n = 0;
    int more = 0;
    c12_err err;
    c12_server_key_owner(s, r->key_idx, owner, sizeof owner);
    c12_rc rc = list ? c12_bstore_file_list(s->deps.batches, owner, purpose, after, (size_t)limit, list, &n, &more,
                                            &err)
                     : c12_fail(&err, C12_ERR_NOMEM, "Out of memory.");
    if (rc) {
        c12_free(list);
        return c12_http_rc_error_h(c, rc, err.msg, NULL, NULL);
    }
    json_t *data = json_array();
    for (size_t i = 0; data && i < n; i++) json_array_append_new(data, c12_api_file_obj(&list[i]));
    c12_free(list);
    return c12_http_json(c, 200, json_pack("{s:s, s:o, s:b}", "object", "list", "data", data, "has_more", more));
}

static enum MHD_Result send_content(c12_server *s, const c12_bfile *f, struct MHD_Connection *c)
{
    char *data = NULL;
    size_t len = 0;
    c12_err err;
    c12_rc rc = c12_bstore_file_read(s->deps.batches, f->id, (size_t)f->bytes + 1, &data, &len, &err);
    if (rc) return c12_http_rc_error_h(c, rc, err.msg, NULL, NULL);
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, data, c12_free);
    if (!resp) {
        c12_free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
    return c12_http_queue(c, 200, resp);
}

/* GET /v1/files/{id} and /v1/files/{id}/content */
enum MHD_Result c12_api_file_get(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    if (!s->deps.batches) return c12_api_batch_off(c);
    char id[C12_BATCH_ID_MAX];
    const char *rest;
    if (!c12_url_id(url, "/v1/files/", id, sizeof id, &rest) || (*rest && strcmp(rest, "/content")))
        return c12_http_error(c, 404, "invalid_request_error", NULL, "not_found", "No such endpoint.");
    c12_bfile f;
    enum MHD_Result ret;
    if (!find_file(s, r, id, &f, c, &ret)) return ret;
    return *rest ? send_content(s, &f, c) : c12_http_json(c, 200, c12_api_file_obj(&f));
}

enum MHD_Result c12_api_file_delete(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    if (!s->deps.batches) return c12_api_batch_off(c);
    char id[C12_BATCH_ID_MAX];
    const char *rest;
    c12_bfile f;
    enum MHD_Result ret;
    c12_err err;
    if (!c12_url_id(url, "/v1/files/", id, sizeof id, &rest) || *rest)
        return c12_http_error(c, 404, "invalid_request_error", "file_id", "not_found", "No such File object.");
    if (!find_file(s, r, id, &f, c, &ret)) return ret;
    c12_rc rc = c12_bstore_file_delete(s->deps.batches, f.id, &err);
    if (rc) return c12_http_rc_error_h(c, rc, err.msg, NULL, NULL);
    return c12_http_json(c, 200, json_pack("{s:s, s:s, s:b}", "id", f.id, "object", "file", "deleted", 1));
}
