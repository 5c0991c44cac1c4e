/* cmd_route.c - `c12 route TEXT | --messages FILE.json` (the routing
 * analysis of a prompt, without generating) and `c12 eval-router FILE.jsonl`
 * (precision, recall, F1 and decision time on labelled prompts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "base/c12_file.h"
#include "cli.h"
#include "route/route.h"

#define INPUT_MAX (16u << 20)

static int route_usage(FILE *f, int rc)
{
    fprintf(f, "usage: c12 route [--json] TEXT...          analyse a prompt (TEXT '-' reads stdin)\n"
               "       c12 route [--json] --messages FILE  analyse an OpenAI-style messages array\n");
    return rc;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_analysis(const c12_route_analysis *a, int json)
{
    if (json) {
        printf("{\"category\":\"%s\",\"code_score\":%d,\"complexity\":%d,\"tier\":\"%s\",\"out_tokens\":%ld,"
               "\"follow_up\":%s,\"words\":%zu,\"passage_words\":%zu,\"asks\":%d,\"reasons\":[",
               c12_route_category_name(a->category), a->code_score, a->complexity, c12_route_tier_name(a->tier),
               a->out_tokens, a->follow_up ? "true" : "false", a->n_words, a->passage_words, a->n_asks);
        for (size_t i = 0; i < a->n_reasons; i++) {
            if (i) putchar(',');
            json_str(a->reasons[i]);
        }
        printf("]}\n");
        return;
    }
    printf("category: %s (code score %d, threshold %d)\n", c12_route_category_name(a->category), a->code_score,
           C12_ROUTE_CODE_THRESHOLD);
    if (a->passage_words) printf("passage: %zu words\n", a->passage_words);
    printf("complexity: %d (%s)\n", a->complexity, c12_route_tier_name(a->tier));
    if (a->out_tokens) printf("requested output: ~%ld tokens\n", a->out_tokens);
    printf("reasons:\n");
    for (size_t i = 0; i < a->n_reasons; i++) printf("  - %s\n", a->reasons[i]);
}

/* The whole of a file ("-" = stdin) into b. */
static int slurp(const char *path, c12_buf *b)
{
    char *text = NULL;
    size_t len = 0;
    c12_err err;
    if (c12_read_file(strcmp(path, "-") ? path : "/dev/stdin", INPUT_MAX, &text, &len, &err)) return -1;
    int rc = c12_buf_append(b, text, len) ? -1 : 0;
    c12_free(text);
    return rc;
}

static int route_messages(const char *file, int json)
{
    c12_buf b;
    c12_buf_init(&b, INPUT_MAX);
    c12_route_msgs m = {0};
    c12_route_analysis a;
    c12_err err;
    int rc = 1;
    if (slurp(file, &b))
        fprintf(stderr, "c12 route: cannot read %s\n", file);
    else if (c12_route_msgs_parse(b.data ? b.data : "", b.len, &m, &err) ||
             c12_route_analyse(m.msgs, m.n, &a, &err))
        fprintf(stderr, "c12 route: %s: %s\n", file, err.msg);
    else {
        print_analysis(&a, json);
        rc = 0;
    }
    c12_route_msgs_free(&m);
    c12_buf_free(&b);
    return rc;
}

static int route_text(int argc, char **argv, int json)
{
    c12_buf b;
    c12_buf_init(&b, INPUT_MAX);
    int rc = 0;
    if (argc == 1 && !strcmp(argv[0], "-"))
        rc = slurp("-", &b);
    else
        for (int i = 0; i < argc && !rc; i++) rc = c12_buf_printf(&b, "%s%s", i ? " " : "", argv[i]) ? -1 : 0;
    c12_route_analysis a;
    c12_err err;
    if (!rc && c12_route_analyse_text(b.data ? b.data : "", b.len, &a, &err)) rc = -1;
    if (rc)
        fprintf(stderr, "c12 route: cannot read the text\n");
    else
        print_analysis(&a, json);
    c12_buf_free(&b);
    return rc ? 1 : 0;
}

int cmd_route(int argc, char **argv)
{
    int json = 0, i = 1;
    const char *messages = NULL;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--messages") && i + 1 < argc)
            messages = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return route_usage(stdout, 0);
        else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else
            return route_usage(stderr, 2);
    }
    if (messages) return i == argc ? route_messages(messages, json) : route_usage(stderr, 2);
    if (i == argc) return route_usage(stderr, 2);
    return route_text(argc - i, argv + i, json);
}
