/* policy_defaults.c - the built-in policy: ratings and where each came from,
 * thresholds (the energy rates are policy_rates.c's). */
#include <string.h>

#include "route/policy.h"

/* Every rating is a measured pass@1, greedy, with `c12 eval-quality`
 * (docs/policy.md, "Where the ratings come from"):
 *   - code: the first 40 MBPP test-split tasks (task_id 11..50). The router
 *     puts all 40 in the low tier (and 496 of the 500 test-split tasks), so
 *     MBPP cannot measure the medium and high tiers: the one figure stands
 *     for all three;
 *   - general: data/quality/general.jsonl, 60 questions written for C12, 20
 *     in each router tier; each tier its own figure;
 *   - grounded: data/quality/grounded.jsonl, 60 Dolly questions about a
 *     passage the prompt gives (closed QA, extraction, summarising), the reply
 *     must hold the reference answer's key span. The router puts 54 of the 60
 *     in the medium tier, 6 in the low and none in the high one, so, as for
 *     code, the one figure over all 60 stands for all three tiers.
 * With 20 questions a tier the 95% intervals are about +-0.2 wide. */
static const c12_policy_model k_models[] = {
    {.name = "qwen2.5-coder-1.5b", .chat = 1, .params_b = 1.54,
     .rating = {{0.85, 0.55, 0.70}, {0.55, 0.55, 0.55}, {0.90, 0.90, 0.90}},
     .source = "code: MBPP pass@1 22/40 = 0.55 (c12 eval-quality, greedy, tasks 11-50, all low tier; llama.cpp: 24/40), "
     "all tiers; general: c12 eval-quality --tasks data/quality/general.jsonl --n 60, greedy, "
     "chat prompt, --max-tokens 640 (low rows from a 256 run: none was cut): low 17/20, medium 11/20, "
     "high 14/20; grounded: c12 eval-quality --tasks data/quality/grounded.jsonl --n 60 --max-tokens 640 "
     "-t 2, greedy, chat prompt: 54/60 = 0.90 (54 rows in the medium tier: low 6/6, medium 48/54, no high row), "
     "all tiers"},
    {.name = "smollm2-135m", .chat = 1, .params_b = 0.135,
     .rating = {{0.35, 0.0, 0.0}, {0.10, 0.10, 0.10}, {0.817, 0.817, 0.817}},
     .source = "code: MBPP pass@1 4/40 = 0.10 (c12 eval-quality, greedy, tasks 11-50, all low tier; llama.cpp: 3/40), "
     "all tiers; general: c12 eval-quality --tasks data/quality/general.jsonl --n 60 --max-tokens 640, greedy, "
     "chat prompt: low 7/20, medium 0/20, high 0/20; grounded: c12 eval-quality --tasks "
     "data/quality/grounded.jsonl --n 60 --max-tokens 640 -t 2, greedy, chat prompt: 49/60 = 0.817 (54 rows in the "
     "medium tier: low 5/6, medium 44/54, no high row), all tiers"},
    {.name = "gemma3-270m", .chat = 0, .params_b = 0.27,
     .rating = {{0.30, 0.0, 0.0}, {0.025, 0.025, 0.025}, {0.50, 0.50, 0.50}},
     .source = "base model, raw completions only; code: MBPP pass@1 1/40 = 0.025 (c12 eval-quality, greedy, completion "
     "prompt, tasks 11-50), all tiers; general: c12 eval-quality --tasks data/quality/general.jsonl --n 60 "
     "--max-tokens 256, greedy, completion prompt: low 6/20, medium 0/20, high 0/20; grounded: c12 eval-quality "
     "--tasks data/quality/grounded.jsonl --n 60 --max-tokens 256 -t 1, greedy, completion prompt (its first line "
     "scored): 30/60 = 0.50 (54 rows in the medium tier: low 6/6, medium 24/54, no high row), all tiers"},
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
    /* Answer-length directives: off until the operator turns them on
     * (policy.directives.enabled); the levels are the issue's, at the
     * thresholds' intensities. The factors are qwen2.5-coder-1.5b's (the
     * model that answers most general requests) on the general set,
     * measured with `make bench-directives` (bench/directives.sh: c12
     * eval-quality --directive, greedy, 60 rows, --max-tokens 640,
     * 2026-12-04): "Answer briefly." 16,869 output tokens against 17,393
     * (x0.97), passes 44/60 against 42/60; "Answer in at most two
     * sentences." 14,392 (x0.83), 49/60. The pass factor is capped at 1:
     * 60 questions do not show a directive makes answers better. smollm2
     * shortens more (x0.73, x0.48) and passed more too (13 and 11 of 60
     * against 7). No code directive: on MBPP they cost smollm2 a task and
     * the code is the answer's length. docs/policy.md has the table. */
    c12_policy_directives *d = &p->directives;
    d->n_levels = 2;
    d->levels[0] = (c12_policy_directive){.above = 200, .text = "Answer briefly.", .out_factor = 0.97, .pass_factor = 1};
    d->levels[1] = (c12_policy_directive){
        .above = 240, .text = "Answer in at most two sentences.", .out_factor = 0.83, .pass_factor = 1};
}
