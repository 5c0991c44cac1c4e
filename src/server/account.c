/* account.c - what a generation request costs and how it is recorded: its
 * clock, the carbon reading it is priced at (taken once, at arrival), the
 * energy its generation used (the meter over the generating thread's and
 * the slot's workers' CPU time), its ledger row and its x-c12-* headers. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "carbon/carbon_config.h"
#include "server/gen.h"

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double ms_since(int64_t t0_ns) { return (double)(c12_energy_wall_ns() - t0_ns) / 1e6; }

double c12_account_next_hour(const c12_server *srv)
{
    c12_carbon_cache *cc = srv->deps.carbon;
    if (!cc) return NAN;
    c12_carbon_series s;
    c12_err err;
    c12_carbon_series_init(&s);
    double sum = 0, n = 0;
    if (c12_carbon_cache_forecast(cc, 1, &s, NULL, &err) == C12_OK)
        for (size_t i = 0; i < s.n; i++) sum += s.pts[i].value, n++;
    c12_carbon_series_free(&s);
    return n > 0 ? sum / n : NAN;
}

/* The intensity this request is priced at. Without a fresh reading (no
 * cache, or every provider stale) the static default stands in, and the
 * row's provider says so. */
static void carbon_reading(c12_gen_job *job)
{
    c12_gen_meta *m = &job->meta;
    c12_carbon_cache *cc = job->srv->deps.carbon;
    c12_carbon_answer a;
    c12_err err;
    if (cc && c12_carbon_cache_now(cc, &a, &err) == C12_OK) {
        m->row.intensity = a.reading.value;
        C12_LEDGER_SET(m->row.intensity_provider, a.reading.provider);
        m->row.intensity_age_s = (double)a.age_ms / 1000.0;
        return;
    }
    m->row.intensity = C12_CARBON_DEFAULT_STATIC;
    C12_LEDGER_SET(m->row.intensity_provider, "default");
}

void c12_account_begin(c12_gen_job *job, struct MHD_Connection *c)
{
    c12_gen_meta *m = &job->meta;
    (void)c;
    m->t0_ns = c12_energy_wall_ns();
    m->row.time_ms = real_ms();
    m->row.pue = job->srv->deps.pue;
    C12_LEDGER_SET(m->row.request_id, job->id);
    C12_LEDGER_SET(m->row.energy_method, "none");
    carbon_reading(job);
}

void c12_account_user(c12_gen_job *job, int key_idx)
{
    /* "key:<first 8 hex of the key's sha256>" (the key itself is never stored) */
    char key[16] = "", user[sizeof job->meta.row.user];
    if (key_idx >= 0) snprintf(key, sizeof key, "key:%.8s", job->srv->cfg->api_keys[key_idx]);
    const char *u = job->q.user ? job->q.user : "";
    snprintf(user, sizeof user, "%s%s%s", key, key[0] && u[0] ? "/" : "", u);
    C12_LEDGER_SET(job->meta.row.user, user);
}

/* ---- metering: both ends on the thread that generates ---- */

static int64_t slot_cpu(const c12_gen_job *job)
{
    const c12_backend *b = job->srv->backend;
    return b->slot_cpu_ns ? b->slot_cpu_ns(b->ud, job->lease.model, job->lease.slot) : -1;
}

static void meter_begin(c12_gen_job *job)
{
    c12_gen_meta *m = &job->meta;
    c12_err err;
    m->cpu0_ns = c12_energy_thread_cpu_ns();
    m->slot0_ns = slot_cpu(job);
    m->metering = job->srv->deps.meter && c12_meter_begin(job->srv->deps.meter, &m->mark, &err) == C12_OK;
}

/* Joules since meter_begin: this thread's CPU time plus the slot's workers'
 * (when the backend reports them; else the meter takes the process's). */
static int meter_read(const c12_gen_job *job, c12_energy_result *r)
{
    const c12_gen_meta *m = &job->meta;
    c12_err err;
    if (!m->metering) return 0;
    int64_t slot = m->slot0_ns >= 0 ? slot_cpu(job) : -1;
    double cpu_s = slot >= 0 ? (double)(c12_energy_thread_cpu_ns() - m->cpu0_ns + slot - m->slot0_ns) / 1e9 : -1;
    return c12_meter_end(job->srv->deps.meter, &m->mark, cpu_s, r, &err) == C12_OK;
}

typedef struct tap {
    c12_gen_job *job;
    c12_text_cb cb;
    void *ud;
} tap;

static int tap_text(void *ud, const char *text, size_t len)
{
    tap *t = ud;
    c12_gen_meta *m = &t->job->meta;
    if (!m->first_ns) {
        m->first_ns = c12_energy_wall_ns();
        c12_energy_result r;
        if (m->est_basis == C12_BASIS_NONE && meter_read(t->job, &r)) {
            m->est_j = r.joules; /* no estimate for this model: what the prompt cost */
            m->est_basis = C12_BASIS_PREFILL;
        }
    }
    return t->cb(t->ud, text, len);
}

static void tap_token(void *ud, int32_t id)
{
    (void)id;
    ((tap *)ud)->job->meta.n_tokens++;
}

c12_rc c12_account_generate(c12_gen_job *job, c12_text_cb cb, void *ud, c12_backend_result *res, c12_err *err)
{
    c12_server *s = job->srv;
    c12_gen_meta *m = &job->meta;
    tap t = {job, cb, ud};
    job->breq.gen.on_token = tap_token;
    meter_begin(job);
    c12_rc rc = s->backend->generate(s->backend->ud, job->lease.model, job->lease.slot, &job->breq, tap_text, &t,
                                     res, err);
    c12_energy_result r;
    if (meter_read(job, &r)) {
        m->row.energy_j = r.joules;
        C12_LEDGER_SET(m->row.energy_method, r.method);
    }
    m->row.co2_g = c12_energy_gco2(m->row.energy_j, m->row.intensity, m->row.pue);
    m->row.ttft_ms = m->first_ns ? (double)(m->first_ns - m->t0_ns) / 1e6 : 0;
    m->measured = 1;
    return rc;
}

const char *c12_account_status(unsigned http_status, c12_rc rc)
{
    if (rc == C12_ERR_CANCELLED) return "cancelled";
    if (http_status >= 200 && http_status < 300) return "ok";
    if (http_status == 504) return "timeout";
    if (http_status >= 400 && http_status < 500) return "rejected";
    return "error";
}

void c12_account_finish(c12_gen_job *job, const char *status, const c12_backend_result *res)
{
    c12_gen_meta *m = &job->meta;
    m->row.total_ms = ms_since(m->t0_ns);
    m->row.prompt_tokens = res ? res->n_prompt : 0;
    m->row.completion_tokens = res ? res->n_completion : m->n_tokens;
    C12_LEDGER_SET(m->row.status, status);
    c12_server_record(job->srv, &m->row, &m->route);
}

/* ---- headers and the usage extension ---- */

static const char *const BASIS[] = {"none", "measured", "estimate", "prefill"};

/* Header values must be printable ASCII: anything else becomes '?'. */
static void header_text(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
    dst[i] = '\0';
}

void c12_account_hdrs_fill(const c12_gen_job *job, c12_gen_hdrs *h)
{
    const c12_gen_meta *m = &job->meta;
    c12_energy_basis basis = m->measured ? C12_BASIS_MEASURED : m->est_basis;
    double j = m->measured ? m->row.energy_j : m->est_j;
    header_text(h->model, sizeof h->model, job->leased ? job->model_id : "");
    header_text(h->route, sizeof h->route, m->row.route_reason);
    header_text(h->provider, sizeof h->provider, m->row.intensity_provider);
    snprintf(h->intensity, sizeof h->intensity, "%.1f", m->row.intensity);
    snprintf(h->energy, sizeof h->energy, "%.3f", j);
    snprintf(h->co2, sizeof h->co2, "%.6f", c12_energy_gco2(j, m->row.intensity, m->row.pue));
    snprintf(h->basis, sizeof h->basis, "%s", BASIS[basis]);
}

void c12_account_hdrs_add(const void *ud, struct MHD_Response *r)
{
    const c12_gen_hdrs *h = ud;
    if (h->model[0]) MHD_add_response_header(r, "x-c12-model", h->model);
    if (h->route[0]) MHD_add_response_header(r, "x-c12-route", h->route);
    MHD_add_response_header(r, "x-c12-carbon-intensity", h->intensity);
    MHD_add_response_header(r, "x-c12-carbon-provider", h->provider);
    MHD_add_response_header(r, "x-c12-energy-j", h->energy);
    MHD_add_response_header(r, "x-c12-co2-g", h->co2);
    MHD_add_response_header(r, "x-c12-energy-basis", h->basis);
}

static void add_job_headers(const void *ud, struct MHD_Response *r)
{
    c12_gen_hdrs h;
    c12_account_hdrs_fill(ud, &h);
    c12_account_hdrs_add(&h, r);
}

c12_http_hdrs c12_account_headers(const c12_gen_job *job) { return (c12_http_hdrs){add_job_headers, job}; }

json_t *c12_account_usage_c12(const c12_gen_job *job)
{
    const c12_ledger_row *r = &job->meta.row;
    return json_pack("{s:f, s:f, s:s, s:f, s:s, s:s, s:s}", "energy_j", r->energy_j, "co2_g", r->co2_g,
                     "energy_method", r->energy_method, "carbon_intensity", r->intensity, "carbon_provider",
                     r->intensity_provider, "model", r->model, "route", r->route_reason);
}
