/* api_models.c - GET /v1/models, /v1/models/{id}, /healthz, /readyz. */
#include <stdio.h>
#include <string.h>

#include "server/server_impl.h"

static json_t *model_obj(const c12_server *s, size_t i)
{
    return json_pack("{s:s, s:s, s:I, s:s}", "id", s->cfg->models[i].id, "object", "model", "created",
                     (json_int_t)s->started, "owned_by", "c12");
}

enum MHD_Result c12_api_models(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    json_t *data = json_array();
    for (size_t i = 0; data && i < s->cfg->n_models; i++) json_array_append_new(data, model_obj(s, i));
    return c12_http_json(c, 200, json_pack("{s:s, s:o}", "object", "list", "data", data));
}

enum MHD_Result c12_api_model(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    const char *id = url + strlen("/v1/models/");
    int i = c12_config_find_model(s->cfg, id);
    if (i < 0) {
        char msg[320];
        snprintf(msg, sizeof msg, "The model '%.200s' does not exist.", id);
        return c12_http_error(c, 404, "invalid_request_error", "model", "model_not_found", msg);
    }
    return c12_http_json(c, 200, model_obj(s, (size_t)i));
}

enum MHD_Result c12_api_healthz(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    return c12_http_json(c, 200, json_pack("{s:s}", "status", "ok"));
}

/* Ready when the default model is loaded (it loads at start). */
enum MHD_Result c12_api_readyz(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    size_t d = s->cfg->default_model;
    if (c12_pool_state(s->pool, (int)d) == C12_MODEL_LOADED)
        return c12_http_json(c, 200, json_pack("{s:s, s:s}", "status", "ready", "model", s->cfg->models[d].id));
    return c12_http_error(c, 503, "server_error", NULL, "not_ready", "The default model is not loaded yet.");
}
