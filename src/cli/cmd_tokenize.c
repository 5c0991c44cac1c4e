/* cmd_tokenize.c - `c12 tokenize -m MODEL [--jsonl FILE]`: print token ids.
 *
 * Without --jsonl the whole of stdin is one text and one JSON array is
 * printed; with --jsonl each line of FILE ("-" = stdin) is a JSON object
 * whose "text" is tokenized, one array per line. Ids are those of
 * llama_tokenize(text, add_special=true, parse_special=false) unless
 * --no-special / --parse-special say otherwise. With --chat FILE, FILE is a
 * chat request's body (messages, tools, tool_choice) and the ids are its
 * prompt as the server renders it with the model's template. Only the
 * vocabulary is read from the model file, not its weights. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "engine/c12_engine.h"
#include "base/c12_alloc.h"
#include "base/c12_file.h"
#include "cli.h"
#include "models/models.h"
#include "server/api_req.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: c12 tokenize -m MODEL [--jsonl FILE | --chat FILE] [--no-special] [--parse-special]\n"
            "\n"
            "  -m, --model MODEL  catalogue name or path to a .gguf file\n"
            "  --jsonl FILE       tokenize the \"text\" of each JSON line of FILE (- = stdin),\n"
            "                     printing one JSON array per line; else all of stdin is one text\n"
            "  --chat FILE        the prompt of a chat request's JSON body (messages, tools,\n"
            "                     tool_choice) as c12 serve renders it with the model's template\n"
            "  --no-special       do not add BOS/EOS tokens\n"
            "  --parse-special    turn control-token texts such as <|im_start|> into their ids\n");
}

typedef struct opts {
    const char *model, *jsonl, *chat;
    int add_special, parse_special;
} opts;

static int print_ids(const c12_tok *t, const opts *o, const char *text, size_t len, c12_err *err)
{
    int32_t *ids;
    size_t n;
    if (c12_tok_encode(t, text, len, o->add_special, o->parse_special, &ids, &n, err)) return -1;
    putchar('[');
    for (size_t i = 0; i < n; i++) printf(i ? ",%d" : "%d", ids[i]);
    fputs("]\n", stdout);
    c12_free(ids);
    return 0;
}

/* Text to tokenize from stdin: far more than any context window. */
#define STDIN_MAX (256u << 20)

static int run_stdin(const c12_tok *t, const opts *o, c12_err *err)
{
    char *text = NULL;
    size_t len = 0;
    if (c12_read_file("/dev/stdin", STDIN_MAX, &text, &len, err)) return -1;
    int rc = print_ids(t, o, text, len, err);
    c12_free(text);
    return rc;
}

static int run_jsonl(const c12_tok *t, const opts *o, c12_err *err)
{
    FILE *f = strcmp(o->jsonl, "-") ? fopen(o->jsonl, "rb") : stdin;
    if (!f) return c12_fail(err, C12_ERR_IO, "cannot open %s", o->jsonl), -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t k;
    int rc = 0;
    for (long no = 1; rc == 0 && (k = getline(&line, &cap, f)) >= 0; no++) {
        if (k == 0 || strspn(line, " \t\r\n") == (size_t)k) continue;
        json_error_t je;
        json_t *row = json_loadb(line, (size_t)k, JSON_ALLOW_NUL, &je);
        json_t *text = row ? json_object_get(row, "text") : NULL;
        if (!json_is_string(text)) {
            c12_fail(err, C12_ERR_FORMAT, "%s:%ld: %s", o->jsonl, no,
                     row ? "no \"text\" string" : je.text);
            rc = -1;
        } else {
            rc = print_ids(t, o, json_string_value(text), json_string_length(text), err);
        }
        json_decref(row);
    }
    free(line); /* getline's buffer comes from the C library */
    if (f != stdin) fclose(f);
    return rc;
}

/* A chat request's prompt, rendered as the server renders it (the
 * request's tools as offered unless tool_choice is "none"). */
static int run_chat(const c12_tok *t, const char *file, c12_err *err)
{
    char *body = NULL;
    size_t len = 0;
    c12_api_req q;
    char param[64];
    if (c12_read_file(file, STDIN_MAX, &body, &len, err)) return -1;
    c12_rc rc = c12_api_req_parse(body, len, C12_API_CHAT, &q, param, err);
    c12_free(body);
    if (rc) return -1;
    int32_t *ids = NULL;
    size_t n = 0;
    rc = c12_tok_chat(t, q.messages, q.n_messages, 1, q.tool_choice != C12_TOOL_NONE ? &q.tools : NULL, &ids, &n, err);
    for (size_t i = 0; !rc && i < n; i++) printf(i ? ",%d" : "[%d", ids[i]);
    if (!rc) fputs(n ? "]\n" : "[]\n", stdout);
    c12_free(ids);
    c12_api_req_free(&q);
    return rc ? -1 : 0;
}

int cmd_tokenize(int argc, char **argv)
{
    opts o = {NULL, NULL, NULL, 1, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-m") || !strcmp(a, "--model")) && i + 1 < argc) o.model = argv[++i];
        else if (!strcmp(a, "--jsonl") && i + 1 < argc) o.jsonl = argv[++i];
        else if (!strcmp(a, "--chat") && i + 1 < argc) o.chat = argv[++i];
        else if (!strcmp(a, "--no-special")) o.add_special = 0;
        else if (!strcmp(a, "--parse-special")) o.parse_special = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "c12 tokenize: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!o.model) {
        fprintf(stderr, "c12 tokenize: -m MODEL is required\n");
        usage(stderr);
        return 2;
    }
    c12_err err;
    c12_err_clear(&err);
    char path[PATH_MAX];
    c12_tok *t = NULL;
    int rc = 1;
    if (c12_models_resolve(o.model, path, sizeof path, &err) || c12_tok_open(path, &t, &err)) goto out;
    if (o.chat) {
        rc = run_chat(t, o.chat, &err) ? 1 : 0;
    } else if (o.jsonl) {
        rc = run_jsonl(t, &o, &err) ? 1 : 0;
    } else {
        rc = run_stdin(t, &o, &err) ? 1 : 0;
    }
    if (fflush(stdout) && !rc) {
        c12_fail(&err, C12_ERR_IO, "write error");
        rc = 1;
    }
out:
    if (rc) fprintf(stderr, "c12 tokenize: %s\n", err.msg);
    c12_tok_free(t);
    return rc;
}
