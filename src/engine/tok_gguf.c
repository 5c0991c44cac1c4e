/* tok_gguf.c - read a vocabulary's tokenizer.* keys from GGUF into
 * c12_tok_params and build it. Arrays are views into the mapping; the
 * builder copies them. */
#include <string.h>

#include "base/c12_alloc.h"
#include "model.h"
#include "tok_internal.h"

static const gguf_kv *find_array(const gguf_file *f, const char *key, gguf_vtype want, c12_err *err,
                                 c12_rc *rc)
{
    const gguf_kv *kv = gguf_find(f, key);
    *rc = C12_OK;
    if (!kv) return NULL;
    if (kv->type != GGUF_T_ARRAY || kv->arr_type != want) {
        *rc = c12_fail(err, C12_ERR_FORMAT, "tokenizer: '%s' has the wrong type", key);
        return NULL;
    }
    return kv;
}

static c12_rc opt_bool(const gguf_file *f, const char *key, int *out, c12_err *err)
{
    int v;
    c12_err e2;
    c12_rc rc = gguf_get_bool(f, key, &v, &e2);
    if (rc == C12_ERR_NOT_FOUND) return C12_OK;
    if (rc) return c12_fail(err, rc, "tokenizer: %s", e2.msg);
    *out = v;
    return C12_OK;
}

c12_rc c12_tok_from_gguf(const gguf_file *f, c12_tok **out, c12_err *err)
{
    /* In the order the reference reads them: the deprecated FIM keys last, so
     * they win when both are present. */
    static const struct { const char *key; int which; } ids[] = {
        {"tokenizer.ggml.bos_token_id", C12_TOKSP_BOS},
        {"tokenizer.ggml.eos_token_id", C12_TOKSP_EOS},
        {"tokenizer.ggml.eot_token_id", C12_TOKSP_EOT},
        {"tokenizer.ggml.eom_token_id", C12_TOKSP_EOM},
        {"tokenizer.ggml.unknown_token_id", C12_TOKSP_UNK},
        {"tokenizer.ggml.seperator_token_id", C12_TOKSP_SEP}, /* sic */
        {"tokenizer.ggml.padding_token_id", C12_TOKSP_PAD},
        {"tokenizer.ggml.mask_token_id", C12_TOKSP_MASK},
        {"tokenizer.ggml.fim_pre_token_id", C12_TOKSP_FIM_PRE},
        {"tokenizer.ggml.fim_suf_token_id", C12_TOKSP_FIM_SUF},
        {"tokenizer.ggml.fim_mid_token_id", C12_TOKSP_FIM_MID},
        {"tokenizer.ggml.fim_pad_token_id", C12_TOKSP_FIM_PAD},
        {"tokenizer.ggml.fim_rep_token_id", C12_TOKSP_FIM_REP},
        {"tokenizer.ggml.fim_sep_token_id", C12_TOKSP_FIM_SEP},
        {"tokenizer.ggml.prefix_token_id", C12_TOKSP_FIM_PRE},
        {"tokenizer.ggml.suffix_token_id", C12_TOKSP_FIM_SUF},
        {"tokenizer.ggml.middle_token_id", C12_TOKSP_FIM_MID},
    };
    c12_tok_params p;
    c12_tok_params_init(&p);
    char model[32], pre[64], name[256];
    c12_err e2;
    c12_rc rc = gguf_get_cstr(f, "tokenizer.ggml.model", model, sizeof model, &e2);
    if (rc) return c12_fail(err, rc, "tokenizer: %s", e2.msg);
    p.model = model;
    rc = gguf_get_cstr(f, "tokenizer.ggml.pre", pre, sizeof pre, &e2);
    if (rc && rc != C12_ERR_NOT_FOUND) return c12_fail(err, rc, "tokenizer: %s", e2.msg);
    p.pre = rc ? NULL : pre;
    if (!gguf_get_cstr(f, "general.name", name, sizeof name, &e2)) p.name = name;

    const gguf_kv *toks = find_array(f, "tokenizer.ggml.tokens", GGUF_T_STRING, err, &rc);
    if (rc) return rc;
    if (!toks) return c12_fail(err, C12_ERR_FORMAT, "tokenizer: 'tokenizer.ggml.tokens' is missing");
    if (toks->arr_n == 0 || toks->arr_n > 0x7FFFFFFF)
        return c12_fail(err, C12_ERR_FORMAT, "tokenizer: bad token count %llu",
                        (unsigned long long)toks->arr_n);
    size_t n = (size_t)toks->arr_n;
    p.n_tokens = (int32_t)n;

    const gguf_kv *types = find_array(f, "tokenizer.ggml.token_type", GGUF_T_INT32, err, &rc);
    if (rc) return rc;
    /* scores are float32, or int32 in some converters' output */
    const gguf_kv *scores = gguf_find(f, "tokenizer.ggml.scores");
    if (scores && (scores->type != GGUF_T_ARRAY ||
                   (scores->arr_type != GGUF_T_FLOAT32 && scores->arr_type != GGUF_T_INT32)))
        return c12_fail(err, C12_ERR_FORMAT, "tokenizer: 'tokenizer.ggml.scores' has the wrong type");
    if ((types && types->arr_n < n) || (scores && scores->arr_n < n))
        return c12_fail(err, C12_ERR_FORMAT, "tokenizer: fewer token types or scores than tokens");
    const gguf_kv *merges = find_array(f, "tokenizer.ggml.merges", GGUF_T_STRING, err, &rc);
    if (rc) return rc;
    if (tok_model_kind(model) == TOK_KIND_BPE && !merges)
        return c12_fail(err, C12_ERR_FORMAT, "tokenizer: 'tokenizer.ggml.merges' is missing");

    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        uint64_t v;
        if (!gguf_get_u64(f, ids[i].key, &v, &e2)) p.special[ids[i].which] = v > INT64_MAX ? -1 : (int64_t)v;
    }
    if ((rc = opt_bool(f, "tokenizer.ggml.add_bos_token", &p.add_bos, err))) return rc;
    if ((rc = opt_bool(f, "tokenizer.ggml.add_eos_token", &p.add_eos, err))) return rc;
    if ((rc = opt_bool(f, "tokenizer.ggml.add_space_prefix", &p.add_space_prefix, err))) return rc;

    /* views -> the arrays c12_tok_build takes (GGUF arrays may be unaligned) */
    const char **tp = c12_malloc(n * sizeof *tp);
    size_t *tl = c12_malloc(n * sizeof *tl);
    int32_t *ty = types ? c12_malloc(n * sizeof *ty) : NULL;
    float *sc = scores ? c12_malloc(n * sizeof *sc) : NULL;
    size_t nm = merges ? (size_t)merges->arr_n : 0;
    const char **mp = nm ? c12_malloc(nm * sizeof *mp) : NULL;
    size_t *ml = nm ? c12_malloc(nm * sizeof *ml) : NULL;
    if (!tp || !tl || (types && !ty) || (scores && !sc) || (nm && (!mp || !ml))) {
        rc = c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        tp[i] = toks->strs[i].p;
        tl[i] = (size_t)toks->strs[i].n;
    }
    if (ty) memcpy(ty, types->arr_data, n * sizeof *ty);
    if (sc && scores->arr_type == GGUF_T_FLOAT32) {
        memcpy(sc, scores->arr_data, n * sizeof *sc);
    } else if (sc) {
        for (size_t i = 0; i < n; i++) {
            int32_t v;
            memcpy(&v, (const char *)scores->arr_data + i * 4, 4);
            sc[i] = (float)v;
        }
    }
    for (size_t i = 0; i < nm; i++) {
        mp[i] = merges->strs[i].p;
        ml[i] = (size_t)merges->strs[i].n;
    }
    p.tokens = tp;
    p.token_lens = tl;
    p.types = ty;
    p.scores = sc;
    p.n_merges = nm;
    p.merges = mp;
    p.merge_lens = ml;
    rc = c12_tok_build(&p, out, err);
    gguf_str tmpl = {0};
    if (!rc && gguf_get_str(f, "tokenizer.chat_template", &tmpl, NULL) == C12_OK) {
        c12_tok *t = *out;
        if (!(t->chat_template = c12_strndup(tmpl.p, (size_t)tmpl.n))) {
            c12_tok_free(t);
            rc = c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory");
        } else
            t->chat_tools = c12_chat_template_tools(t->chat_template);
    }
done:
    c12_free(tp);
    c12_free(tl);
    c12_free(ty);
    c12_free(sc);
    c12_free(mp);
    c12_free(ml);
    return rc;
}

int c12_tok_chat_tools(const c12_tok *t) { return t->chat_tools; }

c12_rc c12_tok_chat(const c12_tok *t, const c12_chat_msg *msgs, size_t n, int add_assistant,
                    const c12_chat_tools *tools, int32_t **out, size_t *n_out, c12_err *err)
{
    if (!t->chat_template) return c12_fail(err, C12_ERR_INVALID, "the model has no chat template (a base model)");
    return c12_chat_tokens_tools(t, t->chat_template, msgs, n, add_assistant, NULL, tools, out, n_out, err);
}

c12_rc c12_tok_open(const char *path, c12_tok **out, c12_err *err)
{
    gguf_file *g = NULL;
    c12_rc rc = gguf_open(path, &g, err);
    if (!rc) rc = c12_tok_from_gguf(g, out, err);
    if (g) gguf_close(g);
    return rc;
}
