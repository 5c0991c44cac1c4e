/* policy.h - which model answers a `model: "auto"` request.
 *
 * The policy ranks the configured models for one request from:
 *   - each model's quality rating for the request's category (code|general|grounded)
 *     and complexity tier (low|medium|high), 0..1, from measurements (see
 *     docs/policy.md; every rating carries its source);
 *   - the request's expected energy: joules per prompt and output token
 *     (c12_policy_rates: this machine's calibration, energy/calib.h, else the
 *     shipped reference measurement, else an estimate from the parameter
 *     count), plus the model's load cost when it is not resident;
 *   - the grid's intensity now and forecast for the next hour: their blend
 *     picks a level, and above each configured threshold the rating a model
 *     needs is lowered, so dirty hours degrade gracefully to smaller models
 *     whose rating still suffices;
 *   - the caller's latency need (x-c12-max-latency-ms), against calibrated
 *     seconds per token plus the load time;
 *   - whether the request is a chat (base models, such as gemma3-270m, only
 *     complete raw text: they are never candidates for a chat).
 * The result is an ordered candidate list (the server falls back to the next
 * when a load fails), a short reason (x-c12-route) and a longer explanation.
 *
 * A c12_policy is immutable after c12_policy_new and reference-counted:
 * requests hold a reference for their decision while SIGHUP swaps a new one
 * into a c12_policy_slot. c12_policy_decide allocates nothing. */
#ifndef C12_POLICY_H
#define C12_POLICY_H

#include <pthread.h>
#include <stddef.h>

#include "base/c12_rc.h"
#include "config/cfg_node.h"
#include "energy/calib.h"
#include "route/route.h"

#define C12_POLICY_MODELS_MAX 8
#define C12_POLICY_LEVELS_MAX 4
#define C12_POLICY_NAME_MAX 64
#define C12_POLICY_SOURCE_MAX 640
#define C12_POLICY_REASON_MAX 128
#define C12_POLICY_EXPLAIN_MAX 1024

typedef struct c12_policy_model {
    char name[C12_POLICY_NAME_MAX]; /* catalogue name or configured id (as calibrated) */
    int chat;                       /* 1: has a chat template; 0: raw completions only */
    double params_b;                /* parameters, billions (for the uncalibrated estimate) */
    double rating[C12_ROUTE_NCAT][3]; /* [c12_route_category][c12_route_tier], 0..1 */
    char source[C12_POLICY_SOURCE_MAX]; /* where the ratings came from */
    /* c12 serve's index of the served model this one stands for, resolved
     * once when its policy is built (c12_server_policy_filter); it travels
     * in the policy, so a request holding one sees a consistent pair. The
     * policy itself never reads it. */
    int served_idx;
} c12_policy_model;

typedef struct c12_policy_level {
    double above;      /* gCO2/kWh: this level holds when the blended intensity exceeds it */
    double min_rating; /* the rating a model needs at this level */
} c12_policy_level;

/* An answer-length directive: above `above` gCO2/kWh (the same blend that
 * picks the thresholds' level) `text` goes at the end of the system turn of
 * an `auto` chat request (docs/policy.md, "Answer-length directives"). */
#define C12_POLICY_DIRECTIVE_MAX 200
typedef struct c12_policy_directive {
    double above;
    char text[C12_POLICY_DIRECTIVE_MAX];
    /* measured: output tokens with the directive / without (c12 eval-quality
     * --directive); plans the request's energy and c12 simulate's */
    double out_factor;
    /* measured: pass rate with the directive / without; c12 simulate counts
     * an answer adequate when rating x this meets min_rating */
    double pass_factor;
} c12_policy_directive;

typedef struct c12_policy_directives {
    int enabled;           /* off by default: the operator opts in */
    size_t n_levels;       /* general and grounded requests; increasing */
    c12_policy_directive levels[C12_POLICY_LEVELS_MAX];
    size_t n_code;         /* code requests get none unless listed here */
    c12_policy_directive code[C12_POLICY_LEVELS_MAX];
} c12_policy_directives;

typedef struct c12_policy_params {
    size_t n_models;
    c12_policy_model models[C12_POLICY_MODELS_MAX];
    double min_rating;      /* needed below every threshold; also what "adequate" means */
    size_t n_levels;        /* thresholds, increasing */
    c12_policy_level levels[C12_POLICY_LEVELS_MAX];
    double forecast_weight; /* blend = now + w (next hour - now), 0..1 */
    double default_out_tokens; /* when the request states no length */
    double pue;             /* power usage effectiveness, >= 1 */
    c12_policy_directives directives;
} c12_policy_params;

/* The built-in parameters (docs/policy.md; no file needed). */
void c12_policy_defaults(c12_policy_params *p);

/* Where a model's energy and time rates come from, best first. */
typedef enum {
    C12_RATES_ESTIMATED = 0, /* c12_policy_estimate, from the parameter count */
    C12_RATES_REFERENCE,     /* shipped: measured by `c12 calibrate` on the reference machine */
    C12_RATES_CALIBRATED,    /* this machine's calibration (c12 calibrate) */
} c12_policy_rates_from;

#define C12_POLICY_BASIS_MAX 96

/* The cost figures of one model as the policy uses them. */
typedef struct c12_policy_cost {
    double j_prompt, j_out, s_prompt, s_out, load_j, load_s;
    c12_policy_rates_from from;
    /* said beside every figure made from these rates (c12 report, c12 route,
     * c12 simulate): "calibrated", "reference: AMD EPYC 2026-12-04",
     * "estimated from 1.54B parameters" */
    char basis[C12_POLICY_BASIS_MAX];
} c12_policy_cost;

/* The documented estimate for an uncalibrated model of params_b billions. */
void c12_policy_estimate(double params_b, c12_policy_cost *out);

/* A shipped reference measurement of a catalogue model (policy_rates.c). */
typedef struct c12_policy_reference {
    const char *model;   /* catalogue name */
    double j_prompt, j_out, s_prompt, s_out, load_j, load_s;
    const char *machine; /* lscpu's model name */
    const char *date;    /* YYYY-MM-DD */
    const char *source;  /* the whole note: machine, meter, date, c12 commit, command */
} c12_policy_reference;

/* The reference measurement of a model, or NULL. */
const c12_policy_reference *c12_policy_reference_find(const char *model);

/* A model's rates, the one place that decides: its entry in the local
 * calibration (cal, may be NULL) > the shipped reference > the estimate from
 * params_b. */
void c12_policy_rates(const char *model, double params_b, const c12_calibration *cal, c12_policy_cost *out);

/* Prompt tokens of a message of len bytes, without a tokenizer: about 4
 * bytes a token in English, plus the chat template's few tokens. The
 * server's estimate and the simulator's, so that they cannot drift. */
double c12_policy_prompt_tokens(size_t len);

typedef struct c12_policy c12_policy;

/* An immutable policy from parameters and a calibration (NULL: all
 * estimated). Checks the parameters (INVALID naming the field). Refcount 1. */
c12_rc c12_policy_new(const c12_policy_params *p, const c12_calibration *cal, c12_policy **out, c12_err *err);
c12_policy *c12_policy_ref(c12_policy *p);
void c12_policy_unref(c12_policy *p); /* frees at zero; NULL is fine */
const c12_policy_params *c12_policy_get_params(const c12_policy *p);
const c12_policy_cost *c12_policy_get_cost(const c12_policy *p, size_t model_index);
/* Index of a model by name, or -1. */
int c12_policy_find(const c12_policy *p, const char *name);
/* The name p knows a served model by: its configured id, or its catalogue
 * source when p has only that (p NULL: the id). */
const char *c12_policy_model_name(const c12_policy *p, const char *id, const char *source);
/* Output tokens to plan for: the length the analysis found stated, else
 * the policy's default. */
double c12_policy_out_tokens(const c12_policy *p, const c12_route_analysis *a);
/* Joules of prompt_tok + out_tok tokens at cost k (+ its load unless loaded). */
double c12_policy_cost_j(const c12_policy_cost *k, double prompt_tok, double out_tok, int loaded);
/* The strongest model: the largest chat model (index), or -1. The
 * counterfactual of `c12 simulate`'s always-strongest and of the metrics. */
int c12_policy_strongest(const c12_policy *p);
/* Expected joules of a request on model i: prompt and output tokens, and
 * the load when the model is not resident. */
double c12_policy_energy_j(const c12_policy *p, size_t i, double prompt_tok, double out_tok, int loaded);

typedef struct c12_policy_request {
    const c12_route_analysis *analysis; /* category, tier, requested length */
    int chat;                           /* 1: chat messages; 0: raw completion */
    double prompt_tokens;
    double out_tokens;       /* expected output; 0: analysis->out_tokens, else the default */
    double max_latency_ms;   /* 0: no limit */
    double intensity_now;    /* gCO2/kWh */
    double intensity_next;   /* next hour's forecast; NAN or < 0: unknown (= now) */
    unsigned loaded_mask;    /* bit i: model i is resident */
    int no_directive;        /* the caller opted out (x-c12-directive: none) */
    /* an output token's cost on model i relative to its rate: below 1 when
     * the model is decoding for others and this request would share their
     * steps (the batch's marginal cost, c12_batcher_marginal); 0: 1 */
    double out_marginal[C12_POLICY_MODELS_MAX];
} c12_policy_request;

typedef struct c12_policy_choice {
    int model;          /* index into the parameters' models */
    double rating, energy_j, seconds, co2_g;
    int adequate;       /* rating >= the level's min_rating */
    int in_time;        /* within the latency need (1 when none) */
    int loaded;
} c12_policy_choice;

typedef struct c12_policy_decision {
    size_t n;                                    /* candidates, best first */
    c12_policy_choice c[C12_POLICY_MODELS_MAX];
    int level;                                   /* thresholds exceeded (0..n_levels) */
    double intensity;                            /* the blend that chose the level */
    double min_rating;                           /* needed at that level */
    int directive;                               /* 0: none; else its level (1 = the lowest) */
    const c12_policy_directive *dir;             /* that directive (in the policy: valid while it is held) */
    char reason[C12_POLICY_REASON_MAX];          /* short, for x-c12-route */
    char explain[C12_POLICY_EXPLAIN_MAX];        /* every candidate and why */
} c12_policy_decision;

/* Rank the candidates: first the adequate ones in time, cleanest (least
 * gCO2) first; then those in time but rated too low, best rating first; then
 * those too slow, fastest first. NOT_FOUND when no model can take the request
 * (e.g. a chat with only base models). Allocates nothing. */
c12_rc c12_policy_decide(const c12_policy *p, const c12_policy_request *req, c12_policy_decision *out,
                         c12_err *err);

/* Whether a model's rating for (category, tier) meets the base min_rating. */
int c12_policy_adequate(const c12_policy *p, size_t model_index, c12_route_category cat, c12_route_tier tier);

/* The directive for a chat request of category cat at blended intensity
 * `blend` (NULL: none: disabled, a completion, below every level); *level is
 * its 1-based level. (policy_directives.c) */
const c12_policy_directive *c12_policy_directive_pick(const c12_policy_directives *d, c12_route_category cat,
                                                       double blend, int *level);
/* Checks a directives section (INVALID naming the field). */
c12_rc c12_policy_directives_check(const c12_policy_directives *d, c12_err *err);

/* ---- reload: a slot that always holds a policy ---- */
typedef struct c12_policy_slot {
    pthread_mutex_t mu;
    c12_policy *cur;
} c12_policy_slot;

/* Takes the caller's reference to `initial`. */
void c12_policy_slot_init(c12_policy_slot *s, c12_policy *initial);
void c12_policy_slot_destroy(c12_policy_slot *s);
/* A new reference to the current policy (unref it after the decision). */
c12_policy *c12_policy_slot_get(c12_policy_slot *s);
/* Install `next` (taking the caller's reference); requests that hold the old
 * one finish with it, and it is freed when the last lets go. */
void c12_policy_slot_swap(c12_policy_slot *s, c12_policy *next);

/* ---- configuration (policy_section.c) ---- */

/* The `policy:` section of a configuration file (src/config reads the file
 * and hands over the node; NULL: the file has none) over the built-in
 * defaults. Errors name "file:line: policy.key". */
c12_rc c12_policy_section(const c12_cfg_node *n, c12_policy_params *out, c12_err *err);
/* Its `directives:` key (policy_directives.c). */
c12_rc c12_policy_directives_set(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj,
                                 c12_err *err);

#endif
