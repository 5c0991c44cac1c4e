/* tok_special.c - special tokens: the attribute fix-ups the reference applies
 * from token texts, the end-of-generation list, and the partition of input
 * text around special tokens.
 *
 * Partition rule (the reference's): special tokens are tried longest text
 * first; each one takes every non-overlapping occurrence, leftmost first,
 * that lies wholly in text no earlier token took. User-defined tokens always
 * take part; control and unknown tokens only with parse_special. A token
 * marked lstrip/rstrip also swallows the ASCII whitespace beside it.
 * Occurrences are found with a byte trie in one pass over the text, then
 * claimed in (token order, position) order, which gives the same result. */
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "tok_internal.h"

/* Texts the reference recognises; a match it did not already know as control
 * becomes control. Each row is one role; "first" rows pick only one token
 * (the first found, which we take in id order), the EOG row takes all. */
static const char *const k_eot[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
    "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
    "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>", "<end_of_utterance>", NULL};
static const char *const k_eom[] = {"<|eom_id|>", NULL};
static const char *const k_fim_pre[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
    "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>", "<PRE>", "\xe2\x96\x81<PRE>",
    "<|code_prefix|>", "<|prefix|>", NULL};
static const char *const k_fim_suf[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
    "<\xef\xbd\x9c" "fim\xe2\x96\x81" "hole\xef\xbd\x9c>", "<SUF>", "\xe2\x96\x81<SUF>",
    "<|code_suffix|>", "<|suffix|>", NULL};
static const char *const k_fim_mid[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
    "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>", "<MID>", "\xe2\x96\x81<MID>",
    "<|code_middle|>", "<|middle|>", NULL};
static const char *const k_fim_pad[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", NULL};
static const char *const k_fim_rep[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
    "<reponame>", NULL};
static const char *const k_fim_sep[] = {"<|file_sep|>", NULL};
static const char *const k_eog[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
    "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
    "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>",
    "<|tool_response>", "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",
    "[e~[", NULL};

static int in_list(const char *const *list, const char *s, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && !memcmp(*list, s, n)) return 1;
    return 0;
}

/* The id the text maps to, if it is the canonical id of its text (the
 * reference walks its text->id map, where a repeated text keeps its last id). */
static int canonical(const c12_tok *t, int32_t id)
{
    return tok_find_n(t, t->text + t->off[id], t->len[id]) == id;
}

static int32_t find_text(const c12_tok *t, const char *s) { return (int32_t)tok_find_n(t, s, strlen(s)); }

typedef struct idset {
    int32_t *v;
    size_t n, cap;
} idset;

static c12_rc set_add(idset *s, int32_t id, c12_err *err)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == id) return C12_OK;
    tok_ids a = {s->v, s->n, s->cap};
    c12_rc rc = tok_ids_push(&a, id, err);
    s->v = a.v, s->n = a.n, s->cap = a.cap;
    return rc;
}

static void set_del(idset *s, int32_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == id) s->v[i] = s->v[--s->n];
}

static int set_has_text(const c12_tok *t, const idset *s, const char *txt, int32_t *which)
{
    size_t n = strlen(txt);
    for (size_t i = 0; i < s->n; i++)
        if (t->len[s->v[i]] == n && !memcmp(t->text + t->off[s->v[i]], txt, n)) {
            if (which) *which = s->v[i];
            return 1;
        }
    return 0;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static c12_rc build_eog(c12_tok *t, int32_t *sp, c12_err *err)
{
    static const struct { const char *const *list; int which; } roles[] = {
        {k_eot, C12_TOKSP_EOT}, {k_eom, C12_TOKSP_EOM}, {k_fim_pre, C12_TOKSP_FIM_PRE},
        {k_fim_suf, C12_TOKSP_FIM_SUF}, {k_fim_mid, C12_TOKSP_FIM_MID},
        {k_fim_pad, C12_TOKSP_FIM_PAD}, {k_fim_rep, C12_TOKSP_FIM_REP},
        {k_fim_sep, C12_TOKSP_FIM_SEP},
    };
    int32_t n = t->n_vocab;
    for (int32_t id = 0; id < n; id++) {
        const char *s = t->text + t->off[id];
        size_t k = t->len[id];
        for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++)
            if (sp[roles[r].which] < 0 && in_list(roles[r].list, s, k) && canonical(t, id)) {
                sp[roles[r].which] = id;
                t->attr[id] |= TOK_ATTR_CONTROL;
            }
    }
    /* control tokens named "unused" are unused */
    for (int32_t id = 0; id < n; id++)
        if ((t->attr[id] & TOK_ATTR_CONTROL) && canonical(t, id) &&
            memmem(t->text + t->off[id], t->len[id], "unused", 6))
            t->attr[id] |= TOK_ATTR_UNUSED;

    idset eog = {0};
    c12_rc rc = C12_OK;
    const int fim_eog[] = {C12_TOKSP_FIM_PAD, C12_TOKSP_FIM_REP, C12_TOKSP_FIM_SEP};
    for (size_t i = 0; i < 3 && !rc; i++)
        if (sp[fim_eog[i]] >= 0) rc = set_add(&eog, sp[fim_eog[i]], err);
    for (int32_t id = 0; id < n && !rc; id++) {
        const char *s = t->text + t->off[id];
        if (in_list(k_eog, s, t->len[id]) && canonical(t, id)) {
            rc = set_add(&eog, id, err);
            t->attr[id] |= TOK_ATTR_CONTROL;
        }
    }
    /* gpt-oss: these always render, as user-defined tokens */
    const char *render[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};
    for (size_t i = 0; i < 4; i++) {
        int32_t id = find_text(t, render[i]);
        if (id >= 0) t->attr[id] = TOK_ATTR_USER_DEFINED;
    }
    const int named[] = {C12_TOKSP_EOS, C12_TOKSP_EOT, C12_TOKSP_EOM};
    for (size_t i = 0; i < 3 && !rc; i++)
        if (sp[named[i]] >= 0) rc = set_add(&eog, sp[named[i]], err);
    if (rc) {
        c12_free(eog.v);
        return rc;
    }
    /* "<|end|>" is not an end when the vocabulary also has return/call
     * (o200k_harmony) or calls/flush (solar-open) */
    int32_t end_id = -1;
    int has_ret = set_has_text(t, &eog, "<|return|>", NULL);
    int has_call = set_has_text(t, &eog, "<|call|>", NULL) || set_has_text(t, &eog, "<|calls|>", NULL);
    int has_flush = set_has_text(t, &eog, "<|flush|>", NULL);
    if (set_has_text(t, &eog, "<|end|>", &end_id) && ((has_ret && has_call) || (has_call && has_flush))) {
        set_del(&eog, end_id);
        t->attr[end_id] = TOK_ATTR_USER_DEFINED;
    }
    /* a normal "</s>" where another token ends tool responses */
    int32_t s_id = -1;
    if ((set_has_text(t, &eog, "<|tool_response>", NULL) ||
         set_has_text(t, &eog, "<|plamo:eos|>", NULL)) &&
        set_has_text(t, &eog, "</s>", &s_id)) {
        set_del(&eog, s_id);
        t->attr[s_id] = TOK_ATTR_NORMAL;
    }
    if (eog.n) qsort(eog.v, eog.n, sizeof *eog.v, cmp_i32);
    t->eog = eog.v;
    t->n_eog = eog.n;
    return C12_OK;
}

typedef struct lenid {
    uint32_t len;
    int32_t id;
} lenid;

static int cmp_special(const void *a, const void *b)
{
    /* longest first; the reference's sort leaves ties in no set order, we
     * take lower ids first */
    const lenid *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static uint32_t trie_child(const c12_tok *t, uint32_t node, uint8_t b)
{
    if (node == 0) return t->root[b];
    for (uint32_t c = t->trie[node].child; c; c = t->trie[c].sibling)
        if (t->trie[c].byte == b) return c;
    return 0;
}

static c12_rc build_trie(c12_tok *t, c12_err *err)
{
    size_t total = 1;
    for (size_t r = 0; r < t->n_special; r++) total += t->len[t->special[r]];
    t->trie = c12_calloc(total, sizeof *t->trie);
    if (!t->trie) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (special tokens)");
    t->n_trie = 1;
    memset(t->root, 0, sizeof t->root);
    for (size_t r = 0; r < t->n_special; r++) {
        int32_t id = t->special[r];
        const uint8_t *s = (const uint8_t *)t->text + t->off[id];
        uint32_t node = 0;
        for (uint32_t i = 0; i < t->len[id]; i++) {
            uint32_t c = trie_child(t, node, s[i]);
            if (!c) {
                c = (uint32_t)t->n_trie++;
                tok_trie_node *nd = &t->trie[c];
                nd->byte = s[i];
                nd->rank_all = nd->rank_user = -1;
                if (node == 0) {
                    t->root[s[i]] = c;
                } else {
                    nd->sibling = t->trie[node].child;
                    t->trie[node].child = c;
                }
            }
            node = c;
        }
        /* a repeated text: only the first in order can ever match */
        if (t->trie[node].rank_all < 0) t->trie[node].rank_all = (int32_t)r;
        if (t->trie[node].rank_user < 0 && !(t->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN)))
            t->trie[node].rank_user = (int32_t)r;
    }
    return C12_OK;
}

static void set_attr_text(c12_tok *t, const char *s, uint32_t bit, int on)
{
    int32_t id = find_text(t, s);
    if (id < 0) return;
    if (on) t->attr[id] |= bit;
    else t->attr[id] &= ~bit;
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n)) return 1;
    return 0;
}

c12_rc tok_special_init(c12_tok *t, const char *model_name, const char *pre, int32_t *sp,
                        c12_err *err)
{
    c12_rc rc = build_eog(t, sp, err);
    if (rc) return rc;
    size_t n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++)
        n += (t->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN)) != 0;
    lenid *li = c12_malloc((n ? n : 1) * sizeof *li);
    t->special = c12_malloc((n ? n : 1) * sizeof *t->special);
    if (!li || !t->special) {
        c12_free(li);
        return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (special tokens)");
    }
    n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++)
        if (t->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN))
            li[n++] = (lenid){t->len[id], id};
    qsort(li, n, sizeof *li, cmp_special);
    for (size_t i = 0; i < n; i++) t->special[i] = li[i].id;
    t->n_special = n;
    c12_free(li);

    /* strip rules the reference keys on model and pre-tokenizer names */
    if (pre && (strstr(pre, "jina-v2-de") || strstr(pre, "jina-v2-es") || strstr(pre, "jina-v2-code"))) {
        set_attr_text(t, "<mask>", TOK_ATTR_LSTRIP, 1);
    } else if (model_name && (contains_ci(model_name, "phi-3") || contains_ci(model_name, "phi3"))) {
        for (size_t i = 0; i < t->n_special; i++) t->attr[t->special[i]] |= TOK_ATTR_RSTRIP;
        set_attr_text(t, "</s>", TOK_ATTR_RSTRIP, 1);
        set_attr_text(t, "<unk>", TOK_ATTR_RSTRIP, 0);
        set_attr_text(t, "<s>", TOK_ATTR_RSTRIP, 0);
        set_attr_text(t, "<|endoftext|>", TOK_ATTR_RSTRIP, 0);
    } else if (model_name && contains_ci(model_name, "modern-bert")) {
        set_attr_text(t, "[MASK]", TOK_ATTR_LSTRIP, 1);
    }
    return build_trie(t, err);
}

/* an occurrence of a special token in the text */
typedef struct occ {
    uint32_t rank;
    uint32_t pos;
} occ;

static int cmp_occ(const void *a, const void *b)
{
    const occ *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

enum { RAW = -1, TAKEN = -2 };

int32_t tok_special_at(const c12_tok *t, const char *text, size_t len)
{
    const uint8_t *s = (const uint8_t *)text;
    int32_t best = -1;
    if (!len) return -1;
    for (uint32_t node = t->root[s[0]], d = 1; node; d++) {
        int32_t r = t->trie[node].rank_all;
        if (r >= 0) best = t->special[r]; /* deeper is longer */
        if (d >= len) break;
        node = trie_child(t, node, s[d]);
    }
    return best;
}

c12_rc tok_partition(const c12_tok *t, const char *text, size_t len, int parse_special,
                     tok_raw_fn raw, tok_ids *out, c12_err *err)
{
    const uint8_t *s = (const uint8_t *)text;
    occ *oc = NULL;
    size_t n_oc = 0, cap_oc = 0;
    c12_rc rc = C12_OK;
    if (len > 0xFFFFFFFFu) return c12_fail(err, C12_ERR_RANGE, "tokenizer: text too long");
    for (size_t i = 0; i < len && !rc; i++) {
        for (uint32_t node = t->root[s[i]], d = 1; node; d++) {
            int32_t r = parse_special ? t->trie[node].rank_all : t->trie[node].rank_user;
            if (r >= 0) {
                if (n_oc == cap_oc) {
                    size_t cap = cap_oc ? cap_oc * 2 : 16;
                    occ *no = c12_realloc(oc, cap * sizeof *no);
                    if (!no) {
                        rc = c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (special tokens)");
                        break;
                    }
                    oc = no, cap_oc = cap;
                }
                oc[n_oc++] = (occ){(uint32_t)r, (uint32_t)i};
            }
            if (i + d >= len) break;
            node = trie_child(t, node, s[i + d]);
        }
    }
    if (rc || n_oc == 0) {
        c12_free(oc);
        return rc ? rc : raw(t, text, len, 1, out, err);
    }
    qsort(oc, n_oc, sizeof *oc, cmp_occ);
    int32_t *mark = c12_malloc(len * sizeof *mark);
    if (!mark) {
        c12_free(oc);
        return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (special tokens)");
    }
    for (size_t i = 0; i < len; i++) mark[i] = RAW;
    for (size_t k = 0; k < n_oc; k++) {
        int32_t id = t->special[oc[k].rank];
        size_t p = oc[k].pos, l = t->len[id], j;
        for (j = 0; j < l && mark[p + j] == RAW; j++) {}
        if (j < l) continue; /* overlaps text an earlier token took */
        mark[p] = id;
        for (j = 1; j < l; j++) mark[p + j] = TAKEN;
        if (t->attr[id] & TOK_ATTR_LSTRIP)
            for (j = p; j > 0 && mark[j - 1] == RAW && tok_ascii_space(s[j - 1]); j--) mark[j - 1] = TAKEN;
        if (t->attr[id] & TOK_ATTR_RSTRIP)
            for (j = p + l; j < len && mark[j] == RAW && tok_ascii_space(s[j]); j++) mark[j] = TAKEN;
    }
    c12_free(oc);
    int prev_special = 1; /* the first fragment counts as following a special token */
    for (size_t i = 0; i < len && !rc;) {
        if (mark[i] == RAW) {
            size_t j = i;
            while (j < len && mark[j] == RAW) j++;
            rc = raw(t, text + i, j - i, prev_special, out, err);
            prev_special = 0;
            i = j;
        } else {
            if (mark[i] >= 0) {
                rc = tok_ids_push(out, mark[i], err);
                prev_special = 1;
            }
            i++;
        }
    }
    c12_free(mark);
    return rc;
}
