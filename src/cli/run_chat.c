/* run_chat.c - the interactive chat of `c12 run` (no -p). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "run.h"

#define MAX_TURNS 256

typedef struct history {
    c12_chat_msg msg[MAX_TURNS];
    size_t n;
} history;

static void history_free(history *h)
{
    for (size_t i = 0; i < h->n; i++) c12_free((char *)h->msg[i].content);
    h->n = 0;
}

static int history_add(history *h, const char *role, const char *text)
{
    if (h->n == MAX_TURNS) return -1;
    char *c = c12_strdup(text);
    if (!c) return -1;
    h->msg[h->n++] = (c12_chat_msg){.role = role, .content = c};
    return 0;
}

static int chat_turn(c12_session *s, const c12_model *m, const run_opts *o, history *h,
                     run_out *out)
{
    c12_buf_reset(&out->reply);
    int rc = run_generate(s, m, o, h->msg, h->n, out);
    if (!rc && history_add(h, "assistant", out->reply.data ? out->reply.data : "")) rc = 1;
    return rc;
}

int run_chat_loop(c12_session *s, const c12_model *m, const run_opts *o, run_out *out)
{
    if (o->raw) {
        fprintf(stderr, "c12 run: --raw needs -p (the chat uses the model's template)\n");
        return 2;
    }
    if (!c12_model_get_info(m)->has_chat_template) {
        fprintf(stderr, "c12 run: model '%s' is a base model (no chat template) and cannot chat: "
                "pass -p TEXT --raw to complete a prompt\n", c12_model_get_info(m)->name);
        return 2;
    }
    int tty = isatty(0);
    history h = {.n = 0};
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    if (tty) fprintf(stderr, "chat with %s - /bye or Ctrl-D to quit\n", c12_model_get_info(m)->name);
    for (;;) {
        if (tty) fprintf(stderr, "> ");
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0) break;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (!strcmp(line, "/bye")) break;
        if (!n) continue;
        if (history_add(&h, "user", line) || chat_turn(s, m, o, &h, out)) {
            rc = 1;
            break;
        }
    }
    free(line); /* from getline */
    history_free(&h);
    return rc;
}
