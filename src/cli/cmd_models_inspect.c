/* cmd_models_inspect.c - `c12 models inspect FILE|NAME [--json]`: what a GGUF
 * file is (architecture, parameters, context, tensor types, vocabulary, chat
 * template family) and whether C12 can run it, and why not. Exit status: 0
 * when C12 runs it, 1 when it does not (or the file is no GGUF), 2 usage. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/c12_engine.h"
#include "models/models.h"

static const char *chat_line(const c12_model_report *r, char *buf, size_t cap)
{
    if (!r->has_template) return "none (a base model: completions only)";
    if (!r->chat_family[0]) return "not recognised (no family C12 or llama.cpp knows)";
    snprintf(buf, cap, "%s (%s%s)", r->chat_family, r->chat_supported ? "supported" : "not supported",
             r->chat_tools ? "; tool calls" : "");
    return buf;
}

static void print_text(const char *path, const c12_model_report *r)
{
    char chat[128];
    printf("file:          %s (%.1f MB)\n", path, (double)r->file_bytes / 1e6);
    printf("name:          %s\n", r->name[0] ? r->name : "-");
    printf("architecture:  %s\n", r->arch[0] ? r->arch : "-");
    printf("parameters:    %.3f B\n", (double)r->n_params / 1e9);
    printf("context:       %d (training)\n", r->n_ctx_train);
    printf("layers:        %d, embedding %d, heads %d (%d KV)\n", r->n_layer, r->n_embd, r->n_head, r->n_head_kv);
    printf("vocabulary:    %d tokens, %s%s%s\n", r->n_vocab, r->tok_model[0] ? r->tok_model : "-",
           r->tok_pre[0] ? ", pre-tokenizer " : "", r->tok_pre);
    printf("tensor types: ");
    for (size_t i = 0; i < r->n_types; i++)
        printf(" %s x%u%s", c12_ggml_type_name(r->types[i].type), r->types[i].n_tensors,
               r->types[i].supported ? "" : " (unsupported)");
    printf("\nchat template: %s\n", chat_line(r, chat, sizeof chat));
    printf("runs in C12:   %s%s\n", r->runnable ? "yes" : "no: ", r->runnable ? "" : r->why);
}

static void print_json(const char *path, const c12_model_report *r)
{
    json_t *types = json_array();
    for (size_t i = 0; i < r->n_types; i++)
        json_array_append_new(types, json_pack("{s:s, s:i, s:b}", "type", c12_ggml_type_name(r->types[i].type),
                                               "tensors", (json_int_t)r->types[i].n_tensors, "supported",
                                               r->types[i].supported));
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:o}", "path", path,
                          "name", r->name, "architecture", r->arch, "parameters", (json_int_t)r->n_params,
                          "file_bytes", (json_int_t)r->file_bytes, "context_length", r->n_ctx_train, "layers",
                          r->n_layer, "embedding", r->n_embd, "heads", r->n_head, "kv_heads", r->n_head_kv,
                          "vocab_size", r->n_vocab, "tokenizer", r->tok_model, "pre_tokenizer", r->tok_pre,
                          "tensor_types", types);
    json_object_set_new(j, "chat_template", r->has_template ? json_pack("{s:o, s:b, s:b}", "family",
                                                      r->chat_family[0] ? json_string(r->chat_family) : json_null(),
                                                      "supported", r->chat_supported, "tool_calls", r->chat_tools)
                                                            : json_null());
    json_object_set_new(j, "runnable", json_boolean(r->runnable));
    json_object_set_new(j, "reason", r->runnable ? json_null() : json_string(r->why));
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) puts(s);
    free(s);
    json_decref(j);
}

int cmd_models_inspect(int argc, char **argv)
{
    const char *target = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (argv[i][0] == '-' || target) {
            fprintf(stderr, "usage: c12 models inspect FILE|NAME [--json]\n");
            return 2;
        } else target = argv[i];
    }
    if (!target) {
        fprintf(stderr, "usage: c12 models inspect FILE|NAME [--json]\n");
        return 2;
    }
    char path[4096];
    c12_err err;
    const c12_model_entry *e = c12_catalog_find(target);
    if (e && c12_models_path(e, path, sizeof path, &err)) {
        fprintf(stderr, "c12 models inspect: %s\n", err.msg);
        return 1;
    }
    if (!e) snprintf(path, sizeof path, "%s", target);
    c12_model_report r;
    if (c12_model_inspect(path, &r, &err)) {
        fprintf(stderr, "c12 models inspect: %s\n", err.msg);
        return 1;
    }
    if (json) print_json(path, &r);
    else print_text(path, &r);
    return r.runnable ? 0 : 1;
}
