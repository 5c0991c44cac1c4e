/* gen.h - a generation request on its way through the server: api_gen.c
 * runs the pipeline (parse, price, choose, generate, finish, respond);
 * price.c reads the carbon, choose.c picks the model and a slot of it,
 * account.c meters the generation and fills the ledger row, gen_headers.c
 * shows the figures (x-c12-* headers, usage.c12), stream.c sends events. */
#ifndef C12_SERVER_GEN_H
#define C12_SERVER_GEN_H

#include "cache/cache.h"
#include "energy/energy.h"
#include "ledger/ledger.h"
#include "route/policy.h"
#include "server/api_req.h"
#include "server/record.h"
#include "server/server_impl.h"
#include "server/tool_parse.h"

/* What a figure in the stream's headers is (x-c12-energy-basis). */
typedef enum {
    C12_BASIS_NONE = 0,  /* nothing ran */
    C12_BASIS_MEASURED,  /* metered over the whole generation */
    C12_BASIS_ESTIMATE,  /* the policy's expected cost (calibrated or estimated rates) */
    C12_BASIS_PREFILL,   /* metered up to the first token (no estimate for this model) */
} c12_energy_basis;

/* The carbon reading the request is priced at (price.c), taken once. */
typedef struct c12_gen_price {
    double intensity;      /* gCO2e/kWh */
    char provider[32];     /* "default": no fresh reading, the static value */
    double age_s;
    double next_hour;      /* the forecast's mean over the next hour; NAN: unknown, or not asked */
} c12_gen_price;

/* How the model was chosen, and what it was expected to cost (choose.c). */
typedef struct c12_gen_choice {
    c12_route_analysis analysis;
    c12_policy_decision decision;
    c12_server_route route;    /* points into this struct */
    char reason[sizeof ((c12_ledger_row *)0)->route_reason]; /* x-c12-route, the row's route_reason */
    double queue_ms;           /* choosing and waiting for the slot */
    double est_j;              /* expected joules (basis ESTIMATE) or so far (PREFILL) */
    c12_energy_basis est_basis;
    c12_policy_cost strongest;  /* the strongest policy model's rates (the counterfactual) */
    char directive[C12_POLICY_DIRECTIVE_MAX]; /* the answer-length directive added, or "" */
    int have_strongest;
} c12_gen_choice;

/* What generating cost (account.c); taken on the thread that generates. */
typedef struct c12_gen_cost {
    int64_t first_ns;          /* first text (0: none yet) */
    c12_energy_mark mark;
    int metering;
    int64_t cpu0_ns, slot0_ns;
    int slot_known;            /* the backend tells the slot's CPU clock (slot0_ns) */
    int n_tokens;              /* tokens generated so far (also when cancelled) */
    int measured;              /* generation ran: energy_j is final */
    double energy_j;
    char energy_method[C12_ENERGY_METHOD_MAX]; /* "none": not metered */
} c12_gen_cost;

/* The request and the response cache (gen_cache.c). */
typedef enum {
    C12_GEN_CACHE_OFF = 0, /* no cache, or not deterministic: no x-c12-cache header */
    C12_GEN_CACHE_MISS,    /* looked up (or to be): generated, then stored */
    C12_GEN_CACHE_HIT,     /* answered from the cache */
    C12_GEN_CACHE_BYPASS,  /* x-c12-cache: no, or cache-control: no-cache */
} c12_gen_cache_state;

typedef struct c12_gen_cache {
    c12_gen_cache_state state;
    char key[C12_CACHE_KEY_HEX]; /* "" : not keyed (out of memory) */
    uint64_t file_id;            /* the model file's identity */
    c12_cache_value hit;         /* the answer, on a hit */
} c12_gen_cache;

/* The key's limits as the response shows them (gen_limits.c): OpenAI's
 * x-ratelimit-* headers, C12's x-c12-carbon-budget-*, and on a 429
 * Retry-After; "" is a header not sent. */
#define C12_GEN_LIMIT_HDRS 11
typedef struct c12_gen_limit_hdrs {
    char v[C12_GEN_LIMIT_HDRS][24];
} c12_gen_limit_hdrs;

/* A request a limit turned away: its 429. */
typedef struct c12_gen_limited {
    const char *type, *code;
    char msg[400];
    double retry_after_s;        /* 0: retrying will not help (too large) */
} c12_gen_limited;

/* The generated tokens' logprobs not yet sent (gen_logprobs.c). */
typedef struct c12_gen_lp {
    json_t *pending;   /* chat-shaped entries, or NULL */
    long offset;       /* completions: the next token's text_offset, in characters */
    int failed;        /* out of memory: no response can carry them */
} c12_gen_lp;

#define C12_SITE_REASON_MAX 256

/* One generation request from arrival to its ledger row. */
typedef struct c12_gen_job {
    c12_server *srv;
    char id[48];
    long long created;         /* the response's "created" (Unix s) */
    int64_t t0_ns, time_ms;    /* arrival: monotonic ns, and wall-clock ms for the row */
    c12_api_req q;
    c12_backend_req breq;
    char api_key[sizeof ((c12_ledger_row *)0)->api_key]; /* the key's label, "key:<8 hex>", or "" */
    int key_idx;                 /* the api_keys entry presented, or -1 (the cache keys on all of its hash) */
    char user[sizeof ((c12_ledger_row *)0)->user];       /* the request's `user` field, or "" */
    const char *model;         /* the request's model until a served one is tried, then its id */
    char batch_id[40];         /* the batch a line belongs to, or "" */
    double flex_wait_s;        /* service_tier "flex": seconds waited for cleaner power */
    int directive_off;         /* x-c12-directive: none */
    /* Where it is generated (account.c): "local", a site of the fleet, or
     * "" before; and why that site (appended to x-c12-route). */
    char site[C12_SITE_NAME_MAX];
    char site_region[64];
    char site_reason[C12_SITE_REASON_MAX];
    int site_remote;           /* a site generates: its reply's tool calls come as such, not in the text */
    /* A site's tool calls, piece by piece (with the text callback's ud);
     * set by the response's builder before generating. NULL: not taken. */
    int (*on_tool)(void *ud, const c12_tool_frag *f);
    c12_lease lease;
    int leased;
    c12_gen_price price;
    c12_gen_price price_here;  /* the price here, kept when a site's grid replaces it (account.c) */
    c12_gen_choice choice;
    c12_gen_cost cost;
    c12_gen_cache cache;
    c12_gen_lp lp;             /* logprobs asked: the tokens' entries not yet sent */
    c12_limit_state limit;     /* where the key's limits stood at arrival */
    int limit_shown;           /* limit is set: show it in the headers */
    int limit_admitted;        /* a request taken and tokens reserved: settle when over */
    double limit_reserved;     /* the tokens reserved */
    double retry_after_s;      /* a 429's Retry-After (0: none) */
    /* Asked between prompt chunks and tokens: nonzero when the client went
     * away (stop generating). NULL: not asked. */
    int (*gone)(void *ud);
    void *gone_ud;
    /* A site's reply was read up to here (c12_backend_req.on_flush): the
     * texts told since the last came together. NULL: not told. */
    void (*flush)(void *ud);
    void *flush_ud;
    /* `n` > 1: the choices are generated one after another on the slot
     * (account.c); ci is the one generating, whose text the callbacks get.
     * choice_end and choice_begin (may be NULL; the text callback's ud,
     * which is the caller's own: n > 1 is never cached) are told between two
     * choices; results[i] is choice i's. */
    int ci;
    void (*choice_begin)(void *ud, int i);
    int (*choice_end)(void *ud, int i, const c12_backend_result *r);
    c12_backend_result results[C12_API_MAX_N];
} c12_gen_job;

/* One line of a batch, generated without HTTP: routed, queued (at low
 * priority), metered and recorded as a request, answered as its HTTP
 * response would have been. */
typedef struct c12_gen_line_in {
    c12_api_kind kind;
    const char *body;          /* the request's JSON */
    int key_idx;               /* the API key the batch was made with, or -1 */
    const char *batch_id;
} c12_gen_line_in;

typedef struct c12_gen_line_out {
    unsigned status;           /* as HTTP would have answered */
    json_t *body;              /* the response, or the error object (the caller's reference) */
    char request_id[48];
    double energy_j, co2_g;
} c12_gen_line_out;

/* NOMEM only when no answer could be made. */
c12_rc c12_gen_line(c12_server *s, const c12_gen_line_in *in, c12_gen_line_out *out, c12_err *err);

/* Run a streamed job: answers the request with server-sent events, or with
 * a plain error if generation fails before its first event. Takes the job
 * (its request, lease and memory) in every case, and records it. */
enum MHD_Result c12_stream_run(c12_gen_job *job, c12_req *r, struct MHD_Connection *c);

/* ---- gen_chunk.c ---- */
/* Append the streamed chunk whose choice (job->ci) carries text[0..n)
 * (with the assistant's role first when role), no logprobs and no finish:
 * the bytes json_dumps writes for the same object, built without it. */
c12_rc c12_gen_chunk_text(const c12_gen_job *job, const char *text, size_t n, int role, c12_buf *out);
/* The choice's finish chunk (no logprobs): an empty delta (or text) and
 * `finish`; with the job's figures as a top-level "c12" when figures. */
c12_rc c12_gen_chunk_finish(const c12_gen_job *job, const char *finish, int figures, c12_buf *out);
/* include_usage's last chunk: no choices, res's usage with the figures. */
c12_rc c12_gen_chunk_usage(const c12_gen_job *job, const c12_backend_result *res, c12_buf *out);

/* ---- gen_answer.c ---- */
/* Append the plain answer of one choice of text[0..n) (no logprobs, no
 * tool calls) that finished for `finish`, with res's usage and the job's
 * figures: the bytes json_dumps writes for plain_body()'s tree, built
 * without it. C12_ERR_INVALID: a figure jansson cannot hold (NaN). */
c12_rc c12_gen_answer_text(const c12_gen_job *job, const char *text, size_t n, const char *finish,
                           const c12_backend_result *res, c12_buf *out);
/* Open an answer or chunk: {"id":..,"object":object,"created":..,"model":..
 * (the members every one of them starts with, as json_dumps writes them). */
c12_rc c12_gen_put_head(c12_buf *b, const c12_gen_job *job, const char *object);
/* Append ,"c12":{...} (c12_gen_usage_c12's object), and ,"usage":{...}
 * (c12_gen_usage's with it), as json_dumps writes them. */
c12_rc c12_gen_put_usage_c12(c12_buf *b, const c12_gen_job *job);
c12_rc c12_gen_put_usage(c12_buf *b, const c12_gen_job *job, const c12_backend_result *res);

/* {"prompt_tokens", "completion_tokens", "total_tokens"} */
json_t *c12_gen_usage(const c12_backend_result *res);
const char *c12_gen_finish(c12_finish f);
/* Free the job's request and give its slot back. */
void c12_gen_job_end(c12_gen_job *job);
/* The request's input field, named by its errors: "messages" or "prompt". */
const char *c12_gen_input(const c12_gen_job *job);

/* ---- price.c: the carbon reading ---- */

/* The intensity now (the static default, provider "default", without a
 * fresh reading) and, when forecast is set, the next hour's mean. */
void c12_price(const c12_server *srv, int forecast, c12_gen_price *out);

/* ---- choose.c: which model, and a slot of it ---- */

/* The request's analysis and, for "auto", the policy's decision; then a slot
 * of the chosen model, falling down the decision's candidates when a load
 * fails. explicit_idx >= 0: that model, no policy. Fills job->choice,
 * job->model and job->lease. */
c12_rc c12_choose_acquire(c12_gen_job *job, int explicit_idx, c12_prio prio, int64_t deadline_ms,
                          double max_latency_ms, c12_err *err);
/* Prompt tokens guessed before tokenizing: bytes / 4 + 8 per message (what
 * c12 simulate uses). */
double c12_choose_prompt_tokens(const c12_api_req *q);

/* ---- account.c: metering and the ledger row ---- */

/* At arrival: the clocks. */
void c12_account_begin(c12_gen_job *job);
/* Generate on the job's slot (c12_backend_generate) with metering, timing
 * and token counting: each of the request's n choices in turn, choice i
 * with the seed plus i (its own stream of randomness); *res sums them (the
 * prompt once). */
c12_rc c12_account_generate(c12_gen_job *job, c12_text_cb cb, void *ud, c12_backend_result *res, c12_err *err);
/* The ledger's status: "cancelled" (rc CANCELLED: shutting down, client
 * gone), else by HTTP status "ok" (2xx), "timeout" (504), "rejected" (4xx)
 * or "error". */
const char *c12_account_status(unsigned http_status, c12_rc rc);
/* The job's ledger row as it stands (tokens from res when not NULL). */
void c12_account_row(const c12_gen_job *job, const char *status, const c12_backend_result *res,
                     c12_ledger_row *row);
/* The request is over: its row goes to c12_server_record. */
void c12_account_finish(c12_gen_job *job, const char *status, const c12_backend_result *res);
/* Grams CO2e of joules at the request's intensity and the server's PUE. */
double c12_account_co2(const c12_gen_job *job, double joules);

/* ---- gen_cache.c: the response cache ---- */

/* After parsing: whether the request may use the cache (and its headers let it). */
void c12_gen_cache_ask(c12_gen_job *job, struct MHD_Connection *c);
/* Once the model that generates is known: look the request up. */
void c12_gen_cache_lookup(c12_gen_job *job);
/* The answer: replayed on a hit, else generated (c12_account_generate) and,
 * on a miss, stored. */
c12_rc c12_gen_produce(c12_gen_job *job, c12_text_cb cb, void *ud, c12_backend_result *res, c12_err *err);
/* "hit", "miss", "bypass", or "" (the cache had no say). */
const char *c12_gen_cache_result(const c12_gen_job *job);
void c12_gen_cache_end(c12_gen_job *job);

/* ---- gen_logprobs.c: the tokens' logprobs ---- */

/* A generated token's logprobs (on the generating thread). */
void c12_gen_lp_add(c12_gen_job *job, const c12_logprobs *lp);
/* The choice's "logprobs" for the tokens since the last take (a new
 * reference): null when not asked, or when none are left and not
 * even_empty; else chat's {"content", "refusal"} or the completions'
 * {"tokens", ...}. NULL: out of memory. */
json_t *c12_gen_lp_take(c12_gen_job *job, int even_empty);
void c12_gen_lp_free(c12_gen_job *job);

/* ---- gen_tools.c: tool calls ---- */

/* 1 when served model idx can render tools (its template has the format). */
int c12_gen_tools_can(c12_server *s, int idx);
/* 1 when the request offers tools (tool_choice not "none"): its output is
 * read for calls. */
int c12_gen_tools_on(const c12_gen_job *job);
/* A parser for the job's output, fed what a forced call's prompt opened. */
c12_rc c12_gen_tools_begin(c12_gen_job *job, c12_toolp *p, const c12_toolp_cbs *cb, c12_err *err);
/* One call in OpenAI's shape ({"id", "type", "function"}; with "index" for
 * a stream's delta). */
json_t *c12_gen_tools_call(const c12_gen_job *job, int index, const char *name, const char *args, int delta);
/* A site's tool call piece as a stream's delta.tool_calls entry:
 * {"index", "id", "type", "function": {"name", "arguments"}}, each field
 * only when the piece carries it. NULL: out of memory. */
json_t *c12_gen_tools_piece(const c12_tool_frag *f);
/* A site's piece added to the calls of a plain reply (*calls: an array in
 * OpenAI's message shape, made on the first piece): the arguments are
 * joined, the id and name kept. Nonzero: out of memory, or a bad index. */
int c12_gen_tools_merge(json_t **calls, const c12_tool_frag *f);
/* A site's reply as the message: {"role", "content" (null when only
 * whitespace), "tool_calls"} when it called (calls: a new reference is
 * taken), else its text. *called says which. NULL: out of memory. */
json_t *c12_gen_tools_site_message(const char *text, json_t *calls, int *called);
/* The reply's message for the whole output: {"role", "content" (null when
 * only whitespace), "tool_calls"} with *called = 1, or the output as text
 * with *called = 0. NULL: out of memory. */
json_t *c12_gen_tools_message(const c12_gen_job *job, const char *text, int *called);

/* ---- gen_limits.c: the key's limits ---- */

/* At arrival (after parsing): 1 when a limit turns the request away (*out
 * its 429). rates 0: the budget alone (a batch line). */
int c12_gen_limits_admit(c12_gen_job *job, int rates, c12_gen_limited *out);
/* Once a slot is held, before generating: 1 when the budget ran out meanwhile. */
int c12_gen_limits_budget(c12_gen_job *job, c12_gen_limited *out);
/* The request is over (its row): unused tokens back, its CO2 spent. */
void c12_gen_limits_settle(c12_gen_job *job, const c12_ledger_row *row);
void c12_gen_limits_hdrs_fill(const c12_gen_job *job, c12_gen_limit_hdrs *h);
void c12_gen_limits_hdrs_add(const c12_gen_limit_hdrs *h, struct MHD_Response *r);

/* ---- gen_headers.c: the x-c12-* headers and usage.c12 ---- */

/* The response headers (x-c12-*) for the job as it stands. */
c12_http_hdrs c12_gen_headers(const c12_gen_job *job);
/* Copy of the headers' values, for a response built on another thread. */
typedef struct c12_gen_hdrs {
    char model[C12_CFG_ID_MAX], route[C12_POLICY_REASON_MAX + 48 + C12_SITE_REASON_MAX], intensity[32], provider[32];
    char site[C12_SITE_NAME_MAX];
    char energy[32], co2[32], basis[16], cache[8], flex_wait[24];
    c12_gen_limit_hdrs limits;
} c12_gen_hdrs;
void c12_gen_hdrs_fill(const c12_gen_job *job, c12_gen_hdrs *h);
void c12_gen_hdrs_add(const void *h, struct MHD_Response *r);
/* x-c12-route: the choice's reason, then the site's (cap bytes). */
void c12_gen_route(const c12_gen_job *job, char *out, size_t cap);
/* {"energy_j", "co2_g", "carbon_intensity", ...}: the final figures (usage.c12). */
json_t *c12_gen_usage_c12(const c12_gen_job *job);

#endif
