#include "cli.h"

#include <stddef.h>

const c12_cli_cmd c12_cli_commands[] = {
    {"run", "generate text with a model (interactive chat without -p)", cmd_run},
    {"tokenize", "print a text's token ids as a JSON array", cmd_tokenize},
    {"logits", "the model's top logits at each position of a sequence of token ids (teacher-forced)", cmd_logits},
    {"perplexity", "perplexity of a model on a text file", cmd_perplexity},
    {"bench", "prefill and decode speed of a model", cmd_bench},
    {"models", "list and pull the models C12 knows", cmd_models},
    {"carbon", "grid carbon intensity: now, forecast, backtest", cmd_carbon},
    {"config", "check or show a configuration file", cmd_config},
    {"route", "analyse a prompt: code, grounded or general, complexity, and why", cmd_route},
    {"eval-router", "precision, recall, F1 and decision time of the router on labelled prompts", cmd_eval_router},
    {"serve", "serve the models over an OpenAI-compatible HTTP API", cmd_serve},
    {"calibrate", "measure each model's energy and time per token", cmd_calibrate},
    {"report", "ledger totals by model, category, key, user, day or hour, and the CO2 saved", cmd_report},
    {"ledger", "inspect a ledger, or fill one with test rows", cmd_ledger},
    {"eval-quality", "pass@1 of a model: code tasks with tests (MBPP, run in a subprocess), questions with answers",
     cmd_eval_quality},
    {"batch", "submit, watch, cancel and fetch batches on a running server (docs/batch.md)", cmd_batch},
    {"simulate", "replay a workload through the router and the policies over a carbon trace", cmd_simulate},
    {NULL, NULL, NULL},
};
