/* tokenizer.c - building a vocabulary (from GGUF or from parameters), the
 * accessors, and c12_tok_encode's outer loop.
 *
 * Behaviour follows llama.cpp's llama_tokenize (our reference for token ids):
 * the text is first cut around special tokens (tok_special.c), then each raw
 * run goes through byte-level BPE (tok_bpe.c) or SentencePiece-style merges
 * by score (tok_spm.c); BOS/EOS are added as the vocabulary says. */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "tok_internal.h"

void c12_tok_params_init(c12_tok_params *p)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < C12_TOKSP_COUNT; i++) p->special[i] = -1;
    p->add_bos = p->add_eos = p->add_space_prefix = -1;
}

void c12_tok_free(c12_tok *t)
{
    if (!t) return;
    c12_free(t->chat_template);
    c12_free(t->text);
    c12_free(t->off);
    c12_free(t->len);
    c12_free(t->score);
    c12_free(t->attr);
    tok_map_free(&t->map);
    c12_free(t->merge_text);
    c12_free(t->merge_off);
    c12_free(t->merge_len);
    tok_map_free(&t->merges);
    tok_pre_free(&t->pre);
    c12_free(t->eog);
    c12_free(t->special);
    c12_free(t->trie);
    c12_free(t);
}

static uint32_t type_to_attr(int32_t type)
{
    switch (type) {
    case C12_TOKTYPE_NORMAL: return TOK_ATTR_NORMAL;
    case C12_TOKTYPE_UNKNOWN: return TOK_ATTR_UNKNOWN;
    case C12_TOKTYPE_CONTROL: return TOK_ATTR_CONTROL;
    case C12_TOKTYPE_USER_DEFINED: return TOK_ATTR_USER_DEFINED;
    case C12_TOKTYPE_UNUSED: return TOK_ATTR_UNUSED;
    case C12_TOKTYPE_BYTE: return TOK_ATTR_BYTE;
    default: return TOK_ATTR_UNDEFINED;
    }
}

/* Copy n strings into one pool with offsets; an empty string becomes
 * `empty_fmt` with its index (the reference renames empty tokens so that
 * every id keeps a distinct text). */
static c12_rc copy_strings(size_t n, const char *const *s, const size_t *lens, const char *empty_fmt,
                           char **pool, uint32_t **off, uint32_t **len, c12_err *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = lens ? lens[i] : strlen(s[i]);
        total += k ? k : 32;
    }
    if (total > 0xFFFFFFFFu) return c12_fail(err, C12_ERR_RANGE, "tokenizer: vocabulary too large");
    *pool = c12_malloc(total + 1);
    *off = c12_malloc((n + 1) * sizeof **off);
    *len = c12_malloc((n + 1) * sizeof **len);
    if (!*pool || !*off || !*len) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory");
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = lens ? lens[i] : strlen(s[i]);
        (*off)[i] = (uint32_t)o;
        if (k) memcpy(*pool + o, s[i], k);
        else if (empty_fmt) k = (size_t)snprintf(*pool + o, 32, empty_fmt, (unsigned)i);
        (*len)[i] = (uint32_t)k;
        o += k;
    }
    return C12_OK;
}

/* The byte tokens "<0xAB>"; SentencePiece falls back to the byte's own
 * one-character token when there is none (`or_char`). */
static void build_byte_tokens(c12_tok *t, int or_char)
{
    static const char hex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; b++) {
        char name[7] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0};
        int64_t id = tok_find_n(t, name, 6);
        if (id < 0 && or_char) {
            char one = (char)b;
            id = tok_find_n(t, &one, 1);
        }
        t->byte_tok[b] = (int32_t)id;
    }
}

/* tokenizer.ggml.model values: how the vocabulary tokenizes, the
 * pre-tokenizer a value implies whatever the file says, and the special ids
 * the reference assumes before the file names its own (-1 = none). */
typedef struct tok_model_def {
    const char *name;
    int kind;
    const char *pre;
    int32_t bos, eos, unk;
} tok_model_def;

static const tok_model_def k_models[] = {
    {"gpt2", TOK_KIND_BPE, NULL, 11, 11, -1},
    {"llama", TOK_KIND_SPM, NULL, 1, 2, 0},
    /* Gemma 4: BPE over UTF-8 with SentencePiece's spaces and byte tokens */
    {"gemma4", TOK_KIND_BPE, "gemma4", -1, -1, -1},
};

static const tok_model_def *model_def(const char *name)
{
    for (size_t i = 0; name && i < sizeof k_models / sizeof k_models[0]; i++)
        if (!strcmp(k_models[i].name, name)) return &k_models[i];
    return NULL;
}

int tok_model_kind(const char *model)
{
    const tok_model_def *md = model_def(model);
    return md ? md->kind : 0;
}

static c12_rc build(const c12_tok_params *p, c12_tok *t, c12_err *err)
{
    c12_rc rc;
    if (!p->model) return c12_fail(err, C12_ERR_INVALID, "tokenizer: no model kind given");
    const tok_model_def *md = model_def(p->model);
    if (!md) return c12_fail(err, C12_ERR_UNSUPPORTED, "tokenizer: model '%s' is not supported", p->model);
    t->kind = md->kind;
    const char *pre = md->pre ? md->pre : p->pre;
    if (p->n_tokens <= 0 || !p->tokens)
        return c12_fail(err, C12_ERR_FORMAT, "tokenizer: the vocabulary has no tokens");
    int32_t n = t->n_vocab = p->n_tokens;

    if ((rc = copy_strings((size_t)n, p->tokens, p->token_lens, "[EMPTY_%u]", &t->text, &t->off,
                           &t->len, err)))
        return rc;
    t->score = c12_calloc((size_t)n, sizeof *t->score);
    t->attr = c12_calloc((size_t)n, sizeof *t->attr);
    if (!t->score || !t->attr) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory");
    for (int32_t i = 0; i < n; i++) {
        t->score[i] = p->scores ? p->scores[i] : 0.0f;
        t->attr[i] = p->types ? type_to_attr(p->types[i]) : TOK_ATTR_NORMAL;
    }
    if ((rc = tok_map_init(&t->map, (uint32_t)n, t->text, t->off, t->len, err))) return rc;
    for (int32_t i = 0; i < n; i++) tok_map_put(&t->map, (uint32_t)i, 1); /* last id wins */

    int add_bos_default = t->kind == TOK_KIND_SPM, bos_always = 0;
    if (t->kind == TOK_KIND_BPE) {
        if (p->n_merges > 0xFFFFFFF0u) return c12_fail(err, C12_ERR_RANGE, "tokenizer: too many merges");
        if ((rc = copy_strings(p->n_merges, p->merges, p->merge_lens, NULL, &t->merge_text,
                               &t->merge_off, &t->merge_len, err)))
            return rc;
        t->n_merges = (uint32_t)p->n_merges;
        if ((rc = tok_map_init(&t->merges, t->n_merges, t->merge_text, t->merge_off, t->merge_len,
                               err)))
            return rc;
        for (uint32_t i = 0; i < t->n_merges; i++) tok_map_put(&t->merges, i, 0); /* first wins */
        tok_pre_opts po;
        if ((rc = tok_pre_init(&t->pre, pre, &po, err))) return rc;
        t->ignore_merges = po.ignore_merges;
        t->raw_utf8 = po.raw_utf8;
        t->escape_spaces = po.escape_spaces;
        t->newline_words = po.newline_words;
        add_bos_default = po.add_bos;
        bos_always = po.bos_always;
    }

    /* special ids: the kind's defaults, dropped when out of range, then what
     * the vocabulary names (ignored when out of range) */
    int32_t sp[C12_TOKSP_COUNT];
    for (int i = 0; i < C12_TOKSP_COUNT; i++) sp[i] = -1;
    sp[C12_TOKSP_BOS] = md->bos, sp[C12_TOKSP_EOS] = md->eos, sp[C12_TOKSP_UNK] = md->unk;
    for (int i = 0; i < C12_TOKSP_COUNT; i++) {
        if (sp[i] >= n) sp[i] = -1;
        if (p->special[i] >= 0 && p->special[i] < n) sp[i] = (int32_t)p->special[i];
    }
    t->add_bos = bos_always || (p->add_bos >= 0 ? p->add_bos : add_bos_default);
    t->add_eos = p->add_eos >= 0 ? p->add_eos : 0;
    t->add_space_prefix = p->add_space_prefix >= 0 ? p->add_space_prefix : t->kind == TOK_KIND_SPM;
    if ((rc = tok_special_init(t, p->name, pre, sp, err))) return rc;
    t->bos = sp[C12_TOKSP_BOS];
    t->eos = sp[C12_TOKSP_EOS];
    t->unk = sp[C12_TOKSP_UNK];
    t->eot = sp[C12_TOKSP_EOT];
    t->eom = sp[C12_TOKSP_EOM];
    if (t->add_bos && t->bos < 0)
        return c12_fail(err, C12_ERR_FORMAT, "tokenizer: add_bos_token is set but there is no BOS token");
    if (t->add_eos && t->eos < 0)
        return c12_fail(err, C12_ERR_FORMAT, "tokenizer: add_eos_token is set but there is no EOS token");
    if (t->kind == TOK_KIND_SPM || t->raw_utf8) build_byte_tokens(t, t->kind == TOK_KIND_SPM);
    for (int32_t i = 0; i < n; i++) {
        size_t k = c12_tok_piece(t, i, 1, NULL, 0);
        if (k > t->max_piece) t->max_piece = k;
    }
    t->max_detok = tok_detok_bound(t);
    return C12_OK;
}

c12_rc c12_tok_build(const c12_tok_params *p, c12_tok **out, c12_err *err)
{
    c12_tok *t = c12_calloc(1, sizeof *t);
    if (!t) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory");
    c12_rc rc = build(p, t, err);
    if (rc) {
        c12_tok_free(t);
        return rc;
    }
    *out = t;
    return C12_OK;
}

c12_rc c12_tok_encode(const c12_tok *t, const char *text, size_t len, int add_special,
                      int parse_special, int32_t **out, size_t *n_out, c12_err *err)
{
    if (!t || (!text && len)) return c12_fail(err, C12_ERR_INVALID, "tokenizer: bad arguments");
    tok_ids ids = {0};
    c12_rc rc = C12_OK;
    if (add_special && t->add_bos) rc = tok_ids_push(&ids, t->bos, err);
    if (!rc && len)
        rc = tok_partition(t, text, len, parse_special, tok_raw_of(t), &ids, err);
    if (!rc && add_special && t->add_eos) rc = tok_ids_push(&ids, t->eos, err);
    if (!rc && !ids.v) { /* always hand back an array, even for no ids */
        ids.v = c12_malloc(sizeof *ids.v);
        if (!ids.v) rc = c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (ids)");
    }
    if (rc) {
        c12_free(ids.v);
        return rc;
    }
    *out = ids.v;
    *n_out = ids.n;
    return C12_OK;
}

int32_t c12_tok_n_vocab(const c12_tok *t) { return t->n_vocab; }
int32_t c12_tok_bos(const c12_tok *t) { return t->bos; }
int32_t c12_tok_eos(const c12_tok *t) { return t->eos; }
int c12_tok_add_bos(const c12_tok *t) { return t->add_bos; }
size_t c12_tok_max_piece(const c12_tok *t) { return t->max_piece; }

int c12_tok_is_eog(const c12_tok *t, int32_t id)
{
    size_t lo = 0, hi = t->n_eog;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->eog[mid] == id) return 1;
        if (t->eog[mid] < id) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

int32_t c12_tok_find(const c12_tok *t, const char *text)
{
    return (int32_t)tok_find_n(t, text, strlen(text));
}

const char *c12_tok_text(const c12_tok *t, int32_t id, size_t *len)
{
    if (id < 0 || id >= t->n_vocab) return NULL;
    *len = t->len[id];
    return t->text + t->off[id];
}

int c12_tok_type(const c12_tok *t, int32_t id)
{
    if (id < 0 || id >= t->n_vocab) return C12_TOKTYPE_UNDEFINED;
    uint32_t a = t->attr[id];
    if (a & TOK_ATTR_CONTROL) return C12_TOKTYPE_CONTROL;
    if (a & TOK_ATTR_USER_DEFINED) return C12_TOKTYPE_USER_DEFINED;
    if (a & TOK_ATTR_UNKNOWN) return C12_TOKTYPE_UNKNOWN;
    if (a & TOK_ATTR_BYTE) return C12_TOKTYPE_BYTE;
    if (a & TOK_ATTR_UNUSED) return C12_TOKTYPE_UNUSED;
    if (a & TOK_ATTR_NORMAL) return C12_TOKTYPE_NORMAL;
    return C12_TOKTYPE_UNDEFINED;
}
