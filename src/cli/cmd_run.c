/* cmd_run.c - `c12 run`: generate with a model, one prompt or an interactive chat. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "cli.h"
#include "cli_model.h"
#include "run.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: c12 run -m NAME|PATH [-p PROMPT] [-n N] [--temp T] [--seed S] [--raw]\n"
            "  -m, --model M        catalogue name or .gguf path (default smollm2-135m)\n"
            "  -p, --prompt TEXT    one prompt; without it, an interactive chat on stdin\n"
            "  -n, --n-predict N    most tokens to generate (default 256)\n"
            "  -c, --ctx N          context size (default min(model, 4096))\n"
            "  -t, --threads N      threads (default: one per core)\n"
            "      --temp T         temperature, 0 = greedy (default 0.8)\n"
            "      --top-k K, --top-p P, --min-p P, --repeat-penalty R\n"
            "      --seed S         sampling seed\n"
            "      --raw            no chat template: the prompt is plain text\n"
            "      --ignore-eos     keep generating past end-of-text tokens\n"
            "      --ids            print prompt and generated token ids as JSON (for tests)\n"
            "      --logits K       print the prompt's K highest next-token logits as JSON, no generation\n"
            "      --prompts-jsonl F  run each line's {\"text\", \"chat\"} in turn (JSON lines out\n"
            "                       with --ids or --logits); for tests\n"
            "      --stats          print prefill/decode speed on stderr\n");
}

static int parse(int argc, char **argv, run_opts *o)
{
    static const struct option lo[] = {
        {"model", 1, 0, 'm'}, {"prompt", 1, 0, 'p'}, {"n-predict", 1, 0, 'n'}, {"ctx", 1, 0, 'c'},
        {"threads", 1, 0, 't'}, {"temp", 1, 0, 1}, {"seed", 1, 0, 2}, {"raw", 0, 0, 3},
        {"top-k", 1, 0, 4}, {"top-p", 1, 0, 5}, {"min-p", 1, 0, 6}, {"repeat-penalty", 1, 0, 7},
        {"ids", 0, 0, 8}, {"stats", 0, 0, 9}, {"ignore-eos", 0, 0, 10}, {"logits", 1, 0, 11},
        {"prompts-jsonl", 1, 0, 12},
        {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    o->model = "smollm2-135m";
    o->n_predict = 256;
    o->sampling = c12_sampling_default();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:p:n:c:t:h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'p': o->prompt = optarg; break;
        case 'n': o->n_predict = atoi(optarg); break;
        case 'c': o->n_ctx = atoi(optarg); break;
        case 't': o->n_threads = atoi(optarg); break;
        case 1: o->sampling.temperature = strtof(optarg, NULL); break;
        case 2: o->sampling.seed = strtoull(optarg, NULL, 10); break;
        case 3: o->raw = 1; break;
        case 4: o->sampling.top_k = atoi(optarg); break;
        case 5: o->sampling.top_p = strtof(optarg, NULL); break;
        case 6: o->sampling.min_p = strtof(optarg, NULL); break;
        case 7: o->sampling.repeat_penalty = strtof(optarg, NULL); break;
        case 8: o->ids = 1; break;
        case 9: o->stats = 1; break;
        case 10: o->ignore_eos = 1; break;
        case 11: o->logits_k = atoi(optarg); break;
        case 12: o->prompts_jsonl = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "c12 run: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    return -1;
}

static int on_text(void *ud, const char *text, size_t len)
{
    run_out *o = ud;
    if (o->print) {
        fwrite(text, 1, len, stdout);
        fflush(stdout);
    }
    return c12_buf_append(&o->reply, text, len) != C12_OK;
}

static void on_token(void *ud, int32_t id)
{
    run_out *o = ud;
    c12_buf_printf(&o->ids, "%s%d", o->ids.len ? ", " : "", id);
}

static void print_ids(const int32_t *p, size_t n, run_out *o)
{
    printf("{\"prompt_ids\": [");
    for (size_t i = 0; i < n; i++) printf("%s%d", i ? ", " : "", p[i]);
    printf("], \"ids\": [%s]}\n", o->ids.data ? o->ids.data : "");
}

/* --logits K: the K highest next-token logits after the prompt, as JSON. */
static int print_top_logits(c12_session *s, const c12_model *m, const int32_t *ids, size_t n, int k)
{
    c12_err err;
    if (c12_session_prefill(s, ids, (int)n, NULL, &err)) {
        fprintf(stderr, "c12 run: %s\n", err.msg);
        return 1;
    }
    const float *l = c12_session_logits(s);
    int nv = c12_model_get_info(m)->n_vocab;
    if (k > nv) k = nv;
    int32_t *top = c12_malloc(sizeof(int32_t) * (size_t)k);
    if (!top) return 1;
    for (int i = 0; i < k; i++) { /* selection: k is small */
        int32_t best = -1;
        for (int32_t v = 0; v < nv; v++) {
            int used = 0;
            for (int j = 0; j < i && !used; j++) used = top[j] == v;
            if (!used && (best < 0 || l[v] > l[best])) best = v;
        }
        top[i] = best;
    }
    printf("{\"top_ids\": [");
    for (int i = 0; i < k; i++) printf("%s%d", i ? ", " : "", top[i]);
    printf("], \"top_logits\": [");
    for (int i = 0; i < k; i++) printf("%s%.9g", i ? ", " : "", l[top[i]]);
    printf("]}\n");
    c12_free(top);
    return 0;
}

/* Tokenize the chat (or the raw prompt) and generate; the reply lands in out. */
int run_generate(c12_session *s, const c12_model *m, const run_opts *o, const c12_chat_msg *msgs, size_t n_msgs,
                 run_out *out)
{
    c12_err err;
    int32_t *ids = NULL;
    size_t n = 0;
    c12_rc trc = msgs ? c12_model_chat_tokens(m, msgs, n_msgs, 1, &ids, &n, &err)
                      : c12_model_tokenize(m, o->prompt, strlen(o->prompt), 1, 0, &ids, &n, &err);
    if (trc) {
        fprintf(stderr, "c12 run: %s\n", err.msg);
        return 1;
    }
    if (o->logits_k > 0) {
        int rc = print_top_logits(s, m, ids, n, o->logits_k);
        c12_free(ids);
        return rc;
    }
    c12_gen_params gp = {.max_tokens = o->n_predict, .sampling = o->sampling,
                         .ignore_eos = o->ignore_eos, .on_token = o->ids ? on_token : NULL};
    c12_gen_result r;
    int rc = c12_generate(s, ids, (int)n, &gp, on_text, out, &r, &err) ? 1 : 0;
    if (rc) fprintf(stderr, "%sc12 run: %s\n", out->print ? "\n" : "", err.msg);
    else if (o->ids) print_ids(ids, n, out);
    else if (out->print) printf("\n");
    /* the first token comes from the prompt's logits: decode_s spans the
     * n - 1 forward passes after it, so that is the decode speed */
    if (!rc && o->stats)
        fprintf(stderr, "prompt %d tokens (%d cached) in %.3f s, %.1f t/s; generated %d in %.3f s, %.1f t/s\n",
                r.n_prompt, r.n_cached, r.prefill_s,
                r.prefill_s > 0 ? (r.n_prompt - r.n_cached) / r.prefill_s : 0.0, r.n_completion,
                r.decode_s, r.decode_s > 0 && r.n_completion > 1 ? (r.n_completion - 1) / r.decode_s : 0.0);
    if (!rc && o->stats)
        fprintf(stderr, "memory: model %.1f MB mapped, KV cache %.1f MB (%d tokens)\n",
                c12_model_get_info(m)->mapped_bytes / 1e6, c12_session_kv_bytes(s) / 1e6,
                c12_session_n_ctx(s));
    c12_free(ids);
    return rc;
}

int run_one_prompt(c12_session *s, const c12_model *m, const run_opts *o, run_out *out)
{
    if (o->raw) return run_generate(s, m, o, NULL, 0, out);
    if (!c12_model_get_info(m)->has_chat_template) { /* a usage error: say what works */
        fprintf(stderr, "c12 run: model '%s' is a base model (no chat template): pass --raw to "
                "complete the prompt as plain text\n", c12_model_get_info(m)->name);
        return 2;
    }
    c12_chat_msg msg = {.role = "user", .content = o->prompt};
    return run_generate(s, m, o, &msg, 1, out);
}

int cmd_run(int argc, char **argv)
{
    run_opts o = {0};
    int prc = parse(argc, argv, &o);
    if (prc >= 0) return prc;
    c12_model *m = cli_load_model("run", o.model);
    if (!m) return 1;
    c12_session_params sp = {.n_ctx = o.n_ctx, .n_threads = o.n_threads};
    c12_session *s = NULL;
    c12_err err;
    int rc = 1;
    run_out out = {.print = !o.ids};
    c12_buf_init(&out.reply, 0);
    c12_buf_init(&out.ids, 0);
    if (c12_session_new(m, &sp, &s, &err)) fprintf(stderr, "c12 run: %s\n", err.msg);
    else if (o.prompts_jsonl) rc = run_batch(s, m, &o, &out);
    else if (o.prompt) rc = run_one_prompt(s, m, &o, &out);
    else rc = run_chat_loop(s, m, &o, &out);
    c12_buf_free(&out.reply);
    c12_buf_free(&out.ids);
    c12_session_free(s);
    c12_model_free(m);
    return rc;
}
