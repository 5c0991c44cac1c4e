/* policy_defaults.c - the built-in policy: ratings and where each came from,
 * thresholds, and the estimate for models without calibration. */
#include <string.h>

#include "route/policy.h"

/* Code ratings are pass@1 on the first 40 MBPP test-split tasks (task_id
 * 11..50), greedy: the only quality measurement C12 has. MBPP does not split by tier,
 * so a model's code figure stands for all three tiers. There is no measured
 * general-text benchmark yet: the general ratings are provisional (see
 * docs/policy.md, "What is not measured"), ordered by size, and marked so. */
static const c12_policy_model k_models[] = {
    {"qwen2.5-coder-1.5b", 1, 1.54,
     {{0.55, 0.55, 0.55}, {0.55, 0.55, 0.55}},
     "code: MBPP pass@1 22/40 = 0.55 (c12 eval-quality, greedy, tasks 11-50; llama.cpp: 24/40); "
     "general: provisional, unmeasured"},
    {"smollm2-135m", 1, 0.135,
     {{0.50, 0.30, 0.10}, {0.10, 0.10, 0.10}},
     "code: MBPP pass@1 4/40 = 0.10 (c12 eval-quality, greedy, tasks 11-50; llama.cpp: 3/40); "
     "general: provisional, unmeasured"},
    {"gemma3-270m", 0, 0.27,
     {{0.30, 0.15, 0.05}, {0.025, 0.025, 0.025}},
     "base model, raw completions only; code: MBPP pass@1 1/40 = 0.025 (c12 eval-quality, greedy, completion "
     "prompt, tasks 11-50); general: provisional, unmeasured"},
};

void c12_policy_defaults(c12_policy_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_models = sizeof k_models / sizeof k_models[0];
    memcpy(p->models, k_models, sizeof k_models);
    /* "adequate": as good as the strongest model measured on the category */
    p->min_rating = 0.5;
    /* GB 2023 (the bundled trace): median 153, 75th percentile 203, 90th 237 */
    p->n_levels = 2;
    p->levels[0] = (c12_policy_level){.above = 200, .min_rating = 0.3};
    p->levels[1] = (c12_policy_level){.above = 240, .min_rating = 0.05};
    p->forecast_weight = 0.5;
    p->default_out_tokens = 256;
    p->pue = 1.0;
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
    out->calibrated = 0;
}
