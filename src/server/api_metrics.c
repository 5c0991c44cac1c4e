/* api_metrics.c - GET /metrics: the Prometheus text exposition of the
 * server's metrics (src/metrics; docs/metrics.md lists the families).
 *
 * Open by default, as Prometheus exporters and vLLM's /metrics are: a scraper
 * rarely carries an API key, and the page holds counts, not prompts. With
 * server.metrics_auth and API keys configured it needs the key like /v1
 * (the route table in server.c says so). */
#include <string.h>

#include "base/c12_alloc.h"
#include "metrics/metrics.h"
#include "server/server_impl.h"

/* The exposition's own cap: far above what a few models' families take. */
#define METRICS_MAX_BYTES (16u << 20)

enum MHD_Result c12_api_metrics(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    if (!s->deps.metrics)
        return c12_http_error(c, 404, "invalid_request_error", NULL, "not_found", "Metrics are not enabled.");
    c12_buf b;
    c12_buf_init(&b, METRICS_MAX_BYTES);
    c12_err err;
    if (c12_metrics_write(s->deps.metrics, &b, &err)) {
        c12_buf_free(&b);
        return c12_http_error(c, 500, "server_error", NULL, "metrics_failed", err.msg);
    }
    size_t n = b.len;
    char *text = c12_buf_take(&b);
    if (!text) return MHD_NO; /* out of memory: MHD closes the connection */
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(n, text, c12_free);
    if (!resp) {
        c12_free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", C12_METRICS_CONTENT_TYPE);
    return c12_http_queue(c, 200, resp);
}
