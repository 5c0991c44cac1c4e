/* gen.h - what the generation endpoints (api_gen.c) share with streaming
 * (stream.c), the model choice (choose.c) and the accounting (account.c): a
 * validated request bound to a leased slot, what it is measured by, and the
 * OpenAI objects built from its results. */
#ifndef C12_SERVER_GEN_H
#define C12_SERVER_GEN_H

#include "energy/energy.h"
#include "ledger/ledger.h"
#include "route/policy.h"
#include "server/api_req.h"
#include "server/record.h"
#include "server/server_impl.h"

/* What a figure in the stream's headers is (x-c12-energy-basis). */
typedef enum {
    C12_BASIS_NONE = 0,  /* nothing ran */
    C12_BASIS_MEASURED,  /* metered over the whole generation */
    C12_BASIS_ESTIMATE,  /* the policy's expected cost (calibrated or estimated rates) */
    C12_BASIS_PREFILL,   /* metered up to the first token (no estimate for this model) */
} c12_energy_basis;

/* Everything measured about one request; its ledger row fills in as it goes. */
typedef struct c12_gen_meta {
    c12_ledger_row row;
    c12_route_analysis analysis;
    c12_policy_decision decision;
    c12_server_route route;     /* points into this struct */
    int64_t t0_ns;              /* arrival (monotonic) */
    int64_t first_ns;           /* first text (0: none yet) */
    double est_j;               /* expected joules (basis ESTIMATE) or so far (PREFILL) */
    c12_energy_basis est_basis;
    /* metering (account.c); taken on the thread that generates */
    c12_energy_mark mark;
    int metering;
    int64_t cpu0_ns, slot0_ns;
    int n_tokens;               /* tokens generated so far (also when cancelled) */
    int measured;               /* generation ran: row.energy_j is final */
} c12_gen_meta;

typedef struct c12_gen_job {
    c12_server *srv;
    c12_api_req q;
    c12_backend_req breq;
    c12_lease lease;
    int leased;
    const char *model_id;
    char id[48];
    long long created;
    c12_gen_meta meta;
} c12_gen_job;

/* Run a streamed job: answers the request with server-sent events, or with
 * a plain error if generation fails before its first event. Takes the job
 * (its request, lease and memory) in every case, and records it. */
enum MHD_Result c12_stream_run(c12_gen_job *job, struct MHD_Connection *c);

/* {"prompt_tokens", "completion_tokens", "total_tokens"} */
json_t *c12_gen_usage(const c12_backend_result *res);
const char *c12_gen_finish(c12_finish f);
/* Free the job's request and give its slot back. */
void c12_gen_job_end(c12_gen_job *job);
/* The error response for a failed generation (with the job's headers). */
enum MHD_Result c12_gen_error(c12_gen_job *job, struct MHD_Connection *c, c12_rc rc, const char *msg);

/* ---- choose.c: which model, and a slot of it ---- */

/* The request's analysis and, for "auto", the policy's decision; then a slot
 * of the chosen model, falling down the decision's candidates when a load
 * fails. explicit_idx >= 0: that model, no policy. Fills job->meta (route,
 * reason, estimate) and job->lease. */
c12_rc c12_choose_acquire(c12_gen_job *job, int explicit_idx, c12_prio prio, int64_t deadline_ms,
                          double max_latency_ms, c12_err *err);
/* Whether rc from c12_pool_acquire means the model could not be loaded (the
 * next candidate may do). */
int c12_choose_load_failed(c12_rc rc);
/* Prompt tokens guessed before tokenizing: bytes / 4 + 8 per message (what
 * c12 simulate uses). */
double c12_choose_prompt_tokens(const c12_api_req *q);

/* ---- account.c: time, energy, carbon, the row and the headers ---- */

/* At arrival: clock, id, user and the carbon reading the request is priced at. */
void c12_account_begin(c12_gen_job *job, struct MHD_Connection *c);
/* The carbon chain's mean forecast over the next hour (NAN: unknown); the
 * policy's, so read only for "auto". */
double c12_account_next_hour(const c12_server *srv);
/* Generate on the job's slot with metering, timing and token counting. */
c12_rc c12_account_generate(c12_gen_job *job, c12_text_cb cb, void *ud, c12_backend_result *res, c12_err *err);
/* Close the row (status from the HTTP status or rc; tokens from res when not
 * NULL) and record it (c12_server_record). */
void c12_account_finish(c12_gen_job *job, const char *status, const c12_backend_result *res);
/* The ledger's status: "cancelled" (rc CANCELLED: shutting down, client
 * gone), else by HTTP status "ok" (2xx), "timeout" (504), "rejected" (4xx)
 * or "error". */
const char *c12_account_status(unsigned http_status, c12_rc rc);
/* After parsing: who asked (the API key's label and/or the request's user). */
void c12_account_user(c12_gen_job *job, int key_idx);
/* The response headers (x-c12-*) for the job as it stands. */
c12_http_hdrs c12_account_headers(const c12_gen_job *job);
/* Copy of the headers' values, for a response built on another thread. */
typedef struct c12_gen_hdrs {
    char model[C12_CFG_ID_MAX], route[C12_POLICY_REASON_MAX + 48], intensity[32], provider[32];
    char energy[32], co2[32], basis[16];
} c12_gen_hdrs;
void c12_account_hdrs_fill(const c12_gen_job *job, c12_gen_hdrs *h);
void c12_account_hdrs_add(const void *h, struct MHD_Response *r);
/* {"energy_j", "co2_g", "carbon_intensity", ...}: the final figures (usage.c12). */
json_t *c12_account_usage_c12(const c12_gen_job *job);

#endif
