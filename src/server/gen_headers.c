/* gen_headers.c - a generation request's figures as the client sees them:
 * the x-c12-* response headers (the estimate until generation has been
 * metered) and usage.c12 (the final figures). */
#include <stdio.h>

#include "server/gen.h"

static const char *const BASIS[] = {"none", "measured", "estimate", "prefill"};

/* Header values must be printable ASCII: anything else becomes '?'. */
static void header_text(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
    dst[i] = '\0';
}

void c12_gen_hdrs_fill(const c12_gen_job *job, c12_gen_hdrs *h)
{
    int measured = job->cost.measured;
    c12_energy_basis basis = measured ? C12_BASIS_MEASURED : job->choice.est_basis;
    double j = measured ? job->cost.energy_j : job->choice.est_j;
    header_text(h->model, sizeof h->model, job->leased ? job->model : "");
    char route[sizeof h->route];
    c12_gen_route(job, route, sizeof route);
    header_text(h->route, sizeof h->route, route);
    header_text(h->site, sizeof h->site, job->site);
    header_text(h->provider, sizeof h->provider, job->price.provider);
    snprintf(h->intensity, sizeof h->intensity, "%.1f", job->price.intensity);
    snprintf(h->energy, sizeof h->energy, "%.3f", j);
    snprintf(h->co2, sizeof h->co2, "%.6f", c12_account_co2(job, j));
    snprintf(h->basis, sizeof h->basis, "%s", BASIS[basis]);
    snprintf(h->cache, sizeof h->cache, "%s", c12_gen_cache_result(job));
    if (job->q.flex) snprintf(h->flex_wait, sizeof h->flex_wait, "%.1f", job->flex_wait_s);
    else h->flex_wait[0] = '\0';
    c12_gen_limits_hdrs_fill(job, &h->limits);
}

void c12_gen_hdrs_add(const void *ud, struct MHD_Response *r)
{
    const c12_gen_hdrs *h = ud;
    if (h->model[0]) MHD_add_response_header(r, "x-c12-model", h->model);
    if (h->route[0]) MHD_add_response_header(r, "x-c12-route", h->route);
    if (h->site[0]) MHD_add_response_header(r, "x-c12-site", h->site);
    MHD_add_response_header(r, "x-c12-carbon-intensity", h->intensity);
    MHD_add_response_header(r, "x-c12-carbon-provider", h->provider);
    MHD_add_response_header(r, "x-c12-energy-j", h->energy);
    MHD_add_response_header(r, "x-c12-co2-g", h->co2);
    MHD_add_response_header(r, "x-c12-energy-basis", h->basis);
    if (h->cache[0]) MHD_add_response_header(r, "x-c12-cache", h->cache);
    if (h->flex_wait[0]) MHD_add_response_header(r, "x-c12-flex-wait-s", h->flex_wait);
    c12_gen_limits_hdrs_add(&h->limits, r);
}

static void add_job_headers(const void *ud, struct MHD_Response *r)
{
    c12_gen_hdrs h;
    c12_gen_hdrs_fill(ud, &h);
    c12_gen_hdrs_add(&h, r);
}

c12_http_hdrs c12_gen_headers(const c12_gen_job *job) { return (c12_http_hdrs){.add = add_job_headers, .ud = job}; }

void c12_gen_route(const c12_gen_job *job, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%s", job->choice.reason, job->choice.reason[0] && job->site_reason[0] ? "; " : "",
             job->site_reason);
}

json_t *c12_gen_usage_c12(const c12_gen_job *job)
{
    const c12_gen_cost *m = &job->cost;
    char route[C12_POLICY_REASON_MAX + 48 + C12_SITE_REASON_MAX];
    c12_gen_route(job, route, sizeof route);
    return json_pack("{s:f, s:f, s:s, s:f, s:s, s:s, s:s, s:s}", "energy_j", m->energy_j, "co2_g",
                     c12_account_co2(job, m->energy_j), "energy_method", m->energy_method, "carbon_intensity",
                     job->price.intensity, "carbon_provider", job->price.provider, "model", job->model, "route",
                     route, "site", job->site);
}
