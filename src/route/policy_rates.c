/* policy_rates.c - what a model's tokens cost, from the best source there
 * is: this machine's calibration, else the reference measurements shipped
 * here, else an estimate from the model's size. The router, the server's
 * counterfactual (metrics), `c12 report`, `c12 route` and `c12 simulate` all
 * take their rates from c12_policy_rates, through the policy. */
#include <stdio.h>
#include <string.h>

#include "route/policy.h"

#define REF_MACHINE "AMD EPYC"
#define REF_DATE "2026-12-04"
#define REF_HOW                                                                                         \
    "c12 calibrate -m qwen2.5-coder-1.5b -m smollm2-135m -m gemma3-270m -r 5 (64 prompt + 32 output "    \
    "tokens, 2 threads, the cheapest of 5 runs) at c12 84f39ca, " REF_DATE "T14:50Z, load average 0.27, " \
    "on 2 vCPUs of an '" REF_MACHINE "' (lscpu; KVM, no RAPL), cputime-constant meter at 42.5 W per "    \
    "busy core. An estimate elsewhere: c12 calibrate measures your machine"

/* Measured on the reference machine (docs/energy.md, "Reference rates"):
 * joules and seconds per prompt and output token, and the load, as
 * `c12 calibrate` wrote them. */
static const c12_policy_reference k_reference[] = {
    {.model = "qwen2.5-coder-1.5b", .j_prompt = 1.00661, .j_out = 3.02975, .s_prompt = 0.0119145,
     .s_out = 0.0357377, .load_j = 25.0942, .load_s = 0.538271, .machine = REF_MACHINE, .date = REF_DATE,
     .source = REF_HOW},
    {.model = "smollm2-135m", .j_prompt = 0.312269, .j_out = 0.599909, .s_prompt = 0.00367593,
     .s_out = 0.00708353, .load_j = 3.12447, .load_s = 0.111503, .machine = REF_MACHINE, .date = REF_DATE,
     .source = REF_HOW},
    {.model = "gemma3-270m", .j_prompt = 0.152524, .j_out = 0.927588, .s_prompt = 0.00179435,
     .s_out = 0.0112094, .load_j = 11.6214, .load_s = 0.264011, .machine = REF_MACHINE, .date = REF_DATE,
     .source = REF_HOW},
};

const c12_policy_reference *c12_policy_reference_find(const char *model)
{
    for (size_t i = 0; model && i < sizeof k_reference / sizeof k_reference[0]; i++)
        if (!strcmp(k_reference[i].model, model)) return &k_reference[i];
    return NULL;
}

/* Fitted to the 1-thread calibrations in docs/energy.md (smollm2-135m 0.44
 * J and 20 ms per output token, qwen2.5-coder-1.5b 3.15 J and 210 ms): cost
 * grows with the weights read per token, plus a fixed part per token. */
void c12_policy_estimate(double params_b, c12_policy_cost *out)
{
    if (params_b < 0) params_b = 0;
    out->j_out = 0.17 + 1.93 * params_b;
    out->j_prompt = 0.57 * out->j_out;
    out->s_out = 0.006 + 0.13 * params_b;
    out->s_prompt = 0.55 * out->s_out;
    out->load_j = 1.0 + 6.5 * params_b;
    out->load_s = 0.3 + 0.35 * params_b;
    out->from = C12_RATES_ESTIMATED;
    snprintf(out->basis, sizeof out->basis, "estimated from %.2fB parameters", params_b);
}

void c12_policy_rates(const char *model, double params_b, const c12_calibration *cal, c12_policy_cost *out)
{
    const c12_calib_entry *e = cal ? c12_calib_find(cal, model) : NULL;
    const c12_policy_reference *r = e ? NULL : c12_policy_reference_find(model);
    if (e) {
        *out = (c12_policy_cost){e->j_per_prompt_token, e->j_per_output_token, e->s_per_prompt_token,
                                 e->s_per_output_token, e->load_j, e->load_s, C12_RATES_CALIBRATED, "calibrated"};
    } else if (r) {
        *out = (c12_policy_cost){r->j_prompt, r->j_out, r->s_prompt, r->s_out, r->load_j, r->load_s,
                                 C12_RATES_REFERENCE, ""};
        snprintf(out->basis, sizeof out->basis, "reference: %s %s", r->machine, r->date);
    } else {
        c12_policy_estimate(params_b, out);
    }
}
