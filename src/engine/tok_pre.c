/* tok_pre.c - BPE pre-tokenizers (see tok_pre.h for the approach). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "tok_pre.h"
#include "tok_unicode.h"

/* per-code-point flags in the scratch array */
enum { F_IN = 1, F_LETTER = 2, F_NUMBER = 4, F_SPACE = 8 };
/* collapsed text: the byte that stands for a non-ASCII code point */
enum { CB_OTHER = 0xD0, CB_NUMBER = 0xD1, CB_LETTER = 0xD2, CB_PUNCT = 0xD3, CB_MARK = 0xD4,
       CB_SYMBOL = 0xD5, CB_SPACE = 0x0B };

typedef struct pre_def {
    const char *names; /* '|'-separated */
    int ignore_merges, add_bos;
    int n;
    int kind[TOK_PRE_MAX_PASS];
    const char *re[TOK_PRE_MAX_PASS];
} pre_def;

/* Which names share which passes follows the reference's table; names whose
 * other settings (extra separator tokens, normalizers) C12 lacks are left
 * out rather than half-supported. */
static const pre_def k_pre[] = {
    {"default", 0, 0, 4, {TOK_PASS_REGEX, TOK_PASS_GPT2, TOK_PASS_REGEX, TOK_PASS_REGEX},
     {"[\\p{P}\\$\\+<=>\\^~\\|]+", NULL, "\\p{N}+", "[0-9][0-9][0-9]"}},
    {"gpt-2|phi-2|mpt|olmo|jais|trillion|granite-docling|exaone4|gigachat|mellum|a.x-4.0", 0, 0, 1,
     {TOK_PASS_GPT2}, {NULL}},
    {"starcoder|refact|command-r|smollm|codeshell|exaone|minerva-7b|mellum2", 0, 0, 2,
     {TOK_PASS_REGEX, TOK_PASS_GPT2}, {"\\p{N}", NULL}},
    {"qwen2|deepseek-r1-qwen|kormo|f2llmv2|megrez|stablelm2|hunyuan|solar-open", 0, 0, 1,
     {TOK_PASS_QWEN2}, {NULL}},
    {"llama3|llama-v3|llama-bpe|falcon3|falcon-h1|pixtral|midm-2.0|lfm2|jina-v5-nano", 1, 1, 1,
     {TOK_PASS_LLAMA3}, {NULL}},
    {"dbrx|smaug-bpe", 0, 0, 1, {TOK_PASS_LLAMA3}, {NULL}},
};

static int name_in(const char *names, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = names; *p;) {
        const char *e = strchr(p, '|');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && !memcmp(p, name, n)) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

static void *pcre_alloc(size_t n, void *ud) { (void)ud; return c12_malloc(n); }
static void pcre_free(void *p, void *ud) { (void)ud; c12_free(p); }

/* Rewrite \p{N} \p{L} \p{P} \p{S} \p{M} (and \p{Lu} etc. as letters) into
 * classes over the collapsed bytes: the class byte plus the ASCII members. */
static int collapse_regex(const char *re, char *out, size_t cap)
{
    static const struct { const char *p; const char *cls; } cats[] = {
        {"\\p{N}", "\\xd10-9"}, {"\\p{L}", "\\xd2A-Za-z"},
        {"\\p{Lu}", "\\xd2A-Za-z"}, {"\\p{Ll}", "\\xd2A-Za-z"}, {"\\p{Lt}", "\\xd2A-Za-z"},
        {"\\p{Lm}", "\\xd2A-Za-z"}, {"\\p{Lo}", "\\xd2A-Za-z"},
        {"\\p{P}", "\\xd3!-#%-*,-/:;?@\\[-\\]_\\{\\}"}, {"\\p{M}", "\\xd4"},
        {"\\p{S}", "\\xd5\\$+<->\\^`\\|~"},
    };
    size_t o = 0;
    int inside = 0;
    for (size_t i = 0; re[i]; i++) {
        const char *add = NULL;
        char one[2] = {re[i], 0};
        size_t skip = 0;
        if (re[i] == '[' && (i == 0 || re[i - 1] != '\\')) inside = 1;
        else if (inside && re[i] == ']' && re[i - 1] != '\\') inside = 0;
        else if (re[i] == '\\' && re[i + 1] == 'p' && re[i + 2] == '{') {
            for (size_t c = 0; c < sizeof cats / sizeof cats[0]; c++) {
                size_t k = strlen(cats[c].p);
                if (!strncmp(re + i, cats[c].p, k)) {
                    add = cats[c].cls;
                    skip = k - 1;
                    break;
                }
            }
            if (!add) return -1; /* a category the collapsed text cannot express */
        }
        if (add) {
            size_t k = strlen(add);
            if (o + k + 3 >= cap) return -1;
            if (!inside) out[o++] = '[';
            memcpy(out + o, add, k);
            o += k;
            if (!inside) out[o++] = ']';
            i += skip;
        } else {
            if (o + 2 >= cap) return -1;
            out[o++] = one[0];
        }
    }
    out[o] = 0;
    return 0;
}

c12_rc tok_pre_init(tok_pre *p, const char *name, int *ignore_merges, int *add_bos_default,
                    c12_err *err)
{
    memset(p, 0, sizeof *p);
    const pre_def *d = NULL;
    if (!name || !*name) name = "default";
    for (size_t i = 0; i < sizeof k_pre / sizeof k_pre[0] && !d; i++)
        if (name_in(k_pre[i].names, name)) d = &k_pre[i];
    if (!d)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "tokenizer: pre-tokenizer '%s' is not supported",
                        name);
    p->gctx = pcre2_general_context_create(pcre_alloc, pcre_free, NULL);
    if (!p->gctx) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (pcre2 context)");
    pcre2_compile_context *cctx = pcre2_compile_context_create(p->gctx);
    p->mctx = pcre2_match_context_create(p->gctx);
    if (!cctx || !p->mctx) {
        if (cctx) pcre2_compile_context_free(cctx);
        tok_pre_free(p);
        return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (pcre2 context)");
    }
    c12_rc rc = C12_OK;
    for (int i = 0; i < d->n; i++) {
        p->kind[i] = d->kind[i];
        p->n_pass = i + 1;
        if (d->kind[i] != TOK_PASS_REGEX) continue;
        char pat[512];
        if (collapse_regex(d->re[i], pat, sizeof pat)) {
            rc = c12_fail(err, C12_ERR_INTERNAL, "tokenizer: cannot collapse regex '%s'", d->re[i]);
            break;
        }
        int ec;
        PCRE2_SIZE eo;
        /* byte mode on purpose: the collapsed text is not UTF-8 */
        p->re[i] = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, cctx);
        if (!p->re[i]) {
            /* compile error 121 is "failed to allocate heap memory" (no name
             * for it in pcre2.h) */
            rc = ec == 121 || ec == PCRE2_ERROR_NOMEMORY
                     ? c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (regex)")
                     : c12_fail(err, C12_ERR_INTERNAL, "tokenizer: regex '%s' error %d at %zu",
                                pat, ec, (size_t)eo);
            break;
        }
    }
    pcre2_compile_context_free(cctx);
    if (rc) {
        tok_pre_free(p);
        return rc;
    }
    *ignore_merges = d->ignore_merges;
    *add_bos_default = d->add_bos;
    return C12_OK;
}

void tok_pre_free(tok_pre *p)
{
    for (int i = 0; i < TOK_PRE_MAX_PASS; i++)
        if (p->re[i]) pcre2_code_free(p->re[i]);
    if (p->mctx) pcre2_match_context_free(p->mctx);
    if (p->gctx) pcre2_general_context_free(p->gctx);
    memset(p, 0, sizeof *p);
}

void tok_lens_free(tok_lens *l)
{
    c12_free(l->v);
    memset(l, 0, sizeof *l);
}

static c12_rc lens_push(tok_lens *l, size_t v, c12_err *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        size_t *nv = c12_realloc(l->v, cap * sizeof *nv);
        if (!nv) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (words)");
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return C12_OK;
}

/* A scanner over one word [ini, end) of the previous pass. Positions past the
 * end read as "nothing": no flags, and code point -1. */
typedef struct scan {
    const uint32_t *cp;
    const uint8_t *fl;
    size_t ini, end, prev;
    tok_lens *out;
    c12_err *err;
    c12_rc rc;
} scan;

static uint32_t S_cp(const scan *s, size_t i) { return i < s->end ? s->cp[i] : 0xFFFFFFFFu; }
static uint8_t S_fl(const scan *s, size_t i) { return i < s->end ? s->fl[i] : 0; }

/* Emit the word from the previous cut to `to`; returns its length. */
static size_t S_cut(scan *s, size_t to)
{
    size_t n = to - s->prev;
    if (n && !s->rc) s->rc = lens_push(s->out, n, s->err);
    s->prev = to;
    return n;
}

static uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* 's 't 're 've 'm 'll 'd at pos: returns the length (0 = none). Only ASCII
 * letters can fold to these, so ASCII folding is the whole of (?i:...). */
static size_t contraction(const scan *s, size_t pos, int fold)
{
    if (S_cp(s, pos) != '\'' || pos + 1 >= s->end) return 0;
    uint32_t a = S_cp(s, pos + 1), b = pos + 2 < s->end ? S_cp(s, pos + 2) : 0;
    if (fold) a = ascii_lower(a), b = ascii_lower(b);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

static void split_gpt2(scan *s)
{
    const uint8_t LNS = F_LETTER | F_NUMBER | F_SPACE;
    for (size_t pos = s->ini; pos < s->end && !s->rc;) {
        uint32_t c = S_cp(s, pos);
        size_t k = contraction(s, pos, 0);
        if (k) {
            pos += S_cut(s, pos + k);
            continue;
        }
        /* " ?X+" for letters, numbers, and "other" (not space/letter/number) */
        uint8_t f2 = c == ' ' ? S_fl(s, pos + 1) : S_fl(s, pos);
        uint8_t want = (f2 & F_LETTER) ? F_LETTER : (f2 & F_NUMBER) ? F_NUMBER : 0;
        if (want || ((f2 & F_IN) && !(f2 & LNS))) {
            pos += c == ' ';
            if (want)
                while (S_fl(s, pos) & want) pos++;
            else
                while ((S_fl(s, pos) & F_IN) && !(S_fl(s, pos) & LNS)) pos++;
            S_cut(s, pos);
            continue;
        }
        size_t ws = 0;
        while (S_fl(s, pos + ws) & F_SPACE) ws++;
        if (ws > 1 && pos + ws < s->end) { /* \s+(?!\S): leave one for the next word */
            pos += ws - 1;
            S_cut(s, pos);
            continue;
        }
        if (ws > 0) {
            pos += ws;
            S_cut(s, pos);
            continue;
        }
        S_cut(s, ++pos);
    }
}

/* llama3 and qwen2: the same rules except for digits (runs of up to three,
 * or single digits). */
static void split_llama3(scan *s, int max_digits)
{
    const uint8_t LNS = F_LETTER | F_NUMBER | F_SPACE;
    for (size_t pos = s->ini; pos < s->end && !s->rc;) {
        uint32_t c = S_cp(s, pos);
        uint8_t f = S_fl(s, pos);
        size_t k = contraction(s, pos, 1);
        if (k) {
            pos += S_cut(s, pos + k);
            continue;
        }
        /* [^\r\n\p{L}\p{N}]?\p{L}+ */
        if (!(c == '\r' || c == '\n' || (f & F_NUMBER)) &&
            ((f & F_LETTER) || (S_fl(s, pos + 1) & F_LETTER))) {
            pos++;
            while (S_fl(s, pos) & F_LETTER) pos++;
            S_cut(s, pos);
            continue;
        }
        if (f & F_NUMBER) {
            size_t run = 0;
            while (S_fl(s, pos) & F_NUMBER) {
                pos++;
                if (++run == (size_t)max_digits) {
                    S_cut(s, pos);
                    run = 0;
                }
            }
            S_cut(s, pos);
            continue;
        }
        /* ` ?[^\s\p{L}\p{N}]+[\r\n]*` */
        uint8_t f2 = c == ' ' ? S_fl(s, pos + 1) : f;
        if (!(f2 & LNS)) {
            pos += c == ' ';
            while ((S_fl(s, pos) & F_IN) && !(S_fl(s, pos) & LNS)) pos++;
            while (S_cp(s, pos) == '\r' || S_cp(s, pos) == '\n') pos++;
            S_cut(s, pos);
            continue;
        }
        size_t ws = 0, after_rn = 0;
        while (S_fl(s, pos + ws) & F_SPACE) {
            uint32_t w = S_cp(s, pos + ws);
            if (w == '\r' || w == '\n') after_rn = pos + ws + 1;
            ws++;
        }
        if (after_rn) { /* \s*[\r\n]+ ends after the run's last line break */
            pos = after_rn;
            S_cut(s, pos);
            continue;
        }
        if (ws > 1 && pos + ws < s->end) {
            pos += ws - 1;
            S_cut(s, pos);
            continue;
        }
        if (ws > 0) {
            pos += ws;
            S_cut(s, pos);
            continue;
        }
        S_cut(s, ++pos);
    }
}

/* Matches become words and so do the gaps between them (as the reference's
 * std::regex splitter does); an empty match just moves on. */
static c12_rc split_regex(const pcre2_code *re, pcre2_match_data *md, pcre2_match_context *mc,
                          const uint8_t *coll,
                          size_t ini, size_t end, tok_lens *out, c12_err *err)
{
    size_t at = 0, len = end - ini, last = 0;
    c12_rc rc = C12_OK;
    while (at <= len && !rc) {
        int r = pcre2_match(re, coll + ini, len, at, 0, md, mc);
        if (r == PCRE2_ERROR_NOMATCH) break;
        if (r < 0)
            return r == PCRE2_ERROR_NOMEMORY
                       ? c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (regex)")
                       : c12_fail(err, C12_ERR_INTERNAL, "tokenizer: regex match error %d", r);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t s = ov[0], e = ov[1];
        if (e == s) {
            at = s + 1;
            continue;
        }
        if (s > last) rc = lens_push(out, s - last, err);
        if (!rc) rc = lens_push(out, e - s, err);
        last = at = e;
    }
    if (!rc && last < len) rc = lens_push(out, len - last, err);
    return rc;
}

static uint8_t collapse(uint32_t cp, uint8_t fl, int cls)
{
    if (cp < 0x80) return (uint8_t)cp;
    if (fl & F_SPACE) return CB_SPACE;
    switch (cls) {
    case TOK_UC_NUMBER: return CB_NUMBER;
    case TOK_UC_LETTER: return CB_LETTER;
    case TOK_UC_PUNCT: return CB_PUNCT;
    case TOK_UC_MARK: return CB_MARK;
    case TOK_UC_SYMBOL: return CB_SYMBOL;
    default: return CB_OTHER;
    }
}

c12_rc tok_pre_split(const tok_pre *p, const uint32_t *cp, size_t n, uint8_t *fl, tok_lens *out,
                     tok_lens *tmp, c12_err *err)
{
    out->n = 0;
    if (!n) return C12_OK;
    int need_coll = 0;
    for (int i = 0; i < p->n_pass; i++) need_coll |= p->kind[i] == TOK_PASS_REGEX;
    uint8_t *coll = NULL;
    if (need_coll && !(coll = c12_malloc(n)))
        return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (pre-tokenizer)");
    for (size_t i = 0; i < n; i++) {
        int cls = tok_uc_class(cp[i]);
        uint8_t f = F_IN;
        if (cls == TOK_UC_LETTER) f |= F_LETTER;
        if (cls == TOK_UC_NUMBER) f |= F_NUMBER;
        if (tok_uc_is_space(cp[i])) f |= F_SPACE;
        fl[i] = f;
        if (coll) coll[i] = collapse(cp[i], f, cls);
    }
    c12_rc rc = lens_push(out, n, err);
    pcre2_match_data *md = NULL;
    for (int pi = 0; pi < p->n_pass && !rc; pi++) {
        tok_lens in = *out;
        *out = *tmp;
        out->n = 0;
        if (p->kind[pi] == TOK_PASS_REGEX && !md) {
            md = pcre2_match_data_create_from_pattern(p->re[pi], p->gctx);
            if (!md) rc = c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (regex)");
        }
        size_t start = 0;
        for (size_t w = 0; w < in.n && !rc; w++) {
            size_t end = start + in.v[w];
            if (p->kind[pi] == TOK_PASS_REGEX) {
                rc = split_regex(p->re[pi], md, p->mctx, coll, start, end, out, err);
            } else {
                scan s = {cp, fl, start, end, start, out, err, C12_OK};
                if (p->kind[pi] == TOK_PASS_GPT2) split_gpt2(&s);
                else split_llama3(&s, p->kind[pi] == TOK_PASS_QWEN2 ? 1 : 3);
                rc = s.rc;
            }
            start = end;
        }
        *tmp = in;
    }
    if (md) pcre2_match_data_free(md);
    c12_free(coll);
    return rc;
}
