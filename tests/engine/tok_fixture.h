/* tok_fixture.h - small in-memory vocabularies for the tokenizer tests.
 *
 * bpe_vocab(): the 256 GPT-2 byte-alphabet tokens (id = byte value), then
 * `extra` tokens with their types, and `merges`. spm_vocab(): <unk> <s> </s>,
 * the 256 <0xXX> byte tokens (ids 3..258), then `extra` with scores. */
#ifndef C12_TEST_TOK_FIXTURE_H
#define C12_TEST_TOK_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "engine/tok_internal.h"
#include "engine/tok_unicode.h"
#include "engine/tokenizer.h"

#define FIX_MAX 600

typedef struct fix_tok {
    const char *text;
    int type;    /* 0 = normal */
    float score; /* SPM only */
} fix_tok;

typedef struct fixture {
    char bytes[256][8];
    const char *tokens[FIX_MAX];
    int32_t types[FIX_MAX];
    float scores[FIX_MAX];
    c12_tok_params p;
} fixture;

static inline void fix_extra(fixture *f, int base, const fix_tok *extra, int n_extra)
{
    for (int i = 0; i < n_extra; i++) {
        f->tokens[base + i] = extra[i].text;
        f->types[base + i] = extra[i].type ? extra[i].type : C12_TOKTYPE_NORMAL;
        f->scores[base + i] = extra[i].score;
    }
    f->p.n_tokens = base + n_extra;
    f->p.tokens = f->tokens;
    f->p.types = f->types;
    f->p.scores = f->scores;
}

static inline void bpe_vocab(fixture *f, const char *pre, const fix_tok *extra, int n_extra,
                             const char *const *merges, size_t n_merges)
{
    memset(f, 0, sizeof *f);
    c12_tok_params_init(&f->p);
    for (int b = 0; b < 256; b++) {
        size_t k = tok_utf8_encode(tok_byte_to_cp((uint8_t)b), f->bytes[b]);
        f->bytes[b][k] = 0;
        f->tokens[b] = f->bytes[b];
        f->types[b] = C12_TOKTYPE_NORMAL;
    }
    fix_extra(f, 256, extra, n_extra);
    f->p.model = "gpt2";
    f->p.pre = pre;
    f->p.merges = merges;
    f->p.n_merges = n_merges;
}

static inline void spm_vocab(fixture *f, const fix_tok *extra, int n_extra)
{
    memset(f, 0, sizeof *f);
    c12_tok_params_init(&f->p);
    const char *head[3] = {"<unk>", "<s>", "</s>"};
    const int htype[3] = {C12_TOKTYPE_UNKNOWN, C12_TOKTYPE_CONTROL, C12_TOKTYPE_CONTROL};
    for (int i = 0; i < 3; i++) {
        f->tokens[i] = head[i];
        f->types[i] = htype[i];
    }
    for (int b = 0; b < 256; b++) {
        snprintf(f->bytes[b], sizeof f->bytes[b], "<0x%02X>", b);
        f->tokens[3 + b] = f->bytes[b];
        f->types[3 + b] = C12_TOKTYPE_BYTE;
    }
    fix_extra(f, 259, extra, n_extra);
    f->p.model = "llama";
    f->p.add_space_prefix = 0;
}

/* Encode and render the ids as "1,2,3" into out. */
static inline c12_rc enc_str(const c12_tok *t, const char *text, int add_special, int parse_special,
                             char *out, size_t cap)
{
    int32_t *ids = NULL;
    size_t n = 0, o = 0;
    c12_err err;
    c12_rc rc = c12_tok_encode(t, text, strlen(text), add_special, parse_special, &ids, &n, &err);
    out[0] = 0;
    if (rc) return rc;
    for (size_t i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, i ? ",%d" : "%d", ids[i]);
    c12_free(ids);
    return C12_OK;
}

#endif
