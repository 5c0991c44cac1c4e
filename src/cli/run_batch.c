/* run_batch.c - `c12 run --prompts-jsonl FILE`: many prompts in one process.
 *
 * Each line of FILE is a JSON object {"text": "...", "chat": true|false}
 * ("chat" defaults to true). Each prompt runs as `c12 run -p TEXT` would run
 * it (--raw when "chat" is false), one after the other in one session: the
 * model is loaded once, and a prefix shared with the previous prompt (a chat
 * template's system turn) is evaluated once; results do not depend on that
 * (C12 evaluates every token with the same arithmetic, batched or not). With
 * --ids or --logits K the output is one JSON line per prompt, which is what
 * the tests comparing many prompts with llama.cpp read. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

static int one_line(c12_session *s, const c12_model *m, const run_opts *o, const char *line,
                    int lineno, run_out *out)
{
    json_error_t je;
    json_t *j = json_loads(line, 0, &je);
    const char *text = j ? json_string_value(json_object_get(j, "text")) : NULL;
    const json_t *chat = j ? json_object_get(j, "chat") : NULL;
    if (!text || (chat && !json_is_boolean(chat))) {
        fprintf(stderr, "c12 run: %s:%d: expected {\"text\": string, \"chat\": bool}\n",
                o->prompts_jsonl, lineno);
        json_decref(j);
        return 1;
    }
    run_opts po = *o;
    po.prompt = text;
    po.raw = chat && json_is_false(chat);
    c12_buf_reset(&out->reply);
    c12_buf_reset(&out->ids);
    int rc = run_one_prompt(s, m, &po, out);
    json_decref(j);
    return rc;
}

int run_batch(c12_session *s, const c12_model *m, const run_opts *o, run_out *out)
{
    FILE *f = fopen(o->prompts_jsonl, "r");
    if (!f) {
        fprintf(stderr, "c12 run: cannot read %s\n", o->prompts_jsonl);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    int rc = 0, lineno = 0;
    while (!rc && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0') continue; /* blank line */
        rc = one_line(s, m, o, line, lineno, out);
        fflush(stdout);
    }
    free(line); /* from getline */
    fclose(f);
    return rc;
}
