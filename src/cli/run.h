/* run.h - shared by `c12 run`'s one-shot mode (cmd_run.c) and its chat loop (run_chat.c). */
#ifndef C12_CLI_RUN_H
#define C12_CLI_RUN_H

#include "base/c12_buf.h"
#include "engine/c12_engine.h"

typedef struct run_opts {
    const char *model, *prompt;
    const char *prompts_jsonl; /* --prompts-jsonl: many prompts, one per line */
    int n_predict, n_ctx, n_threads, raw, ids, stats, ignore_eos, logits_k;
    c12_sampling sampling;
} run_opts;

typedef struct run_out {
    c12_buf reply; /* the assistant's text, for the chat history */
    c12_buf ids;   /* generated ids as JSON, with --ids */
    int print;
} run_out;

/* Tokenize the chat msgs through the model's template (o->prompt as plain
 * text when msgs is NULL) and stream a reply. */
int run_generate(c12_session *s, const c12_model *m, const run_opts *o, const c12_chat_msg *msgs, size_t n_msgs,
                 run_out *out);
/* One prompt (o->prompt), through the chat template unless o->raw. */
int run_one_prompt(c12_session *s, const c12_model *m, const run_opts *o, run_out *out);
/* Every prompt of o->prompts_jsonl in turn (run_batch.c). */
int run_batch(c12_session *s, const c12_model *m, const run_opts *o, run_out *out);
/* Interactive chat on stdin until EOF or "/bye"; the session's cache keeps
 * the conversation so each turn only evaluates what is new. */
int run_chat_loop(c12_session *s, const c12_model *m, const run_opts *o, run_out *out);

#endif
