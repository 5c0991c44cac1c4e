/* tok_pre_scan.c - the pre-tokenizer patterns the reference splits with
 * hand-written scanners (see tok_pre.h): C12 follows the same rules, edge
 * cases included, since those scanners decide the reference's token ids. */
#include "tok_pre.h"

static uint32_t S_cp(const tok_scan *s, size_t i) { return i < s->end ? s->cp[i] : 0xFFFFFFFFu; }
static uint8_t S_fl(const tok_scan *s, size_t i) { return i < s->end ? s->fl[i] : 0; }

/* Emit the word from the previous cut to `to`; returns its length. */
static size_t S_cut(tok_scan *s, size_t to)
{
    size_t n = to - s->prev;
    if (n && !s->rc) s->rc = tok_lens_push(s->out, n, s->err);
    s->prev = to;
    return n;
}

static uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* 's 't 're 've 'm 'll 'd at pos: returns the length (0 = none). Only ASCII
 * letters can fold to these, so ASCII folding is the whole of (?i:...). */
static size_t contraction(const tok_scan *s, size_t pos, int fold)
{
    if (S_cp(s, pos) != '\'' || pos + 1 >= s->end) return 0;
    uint32_t a = S_cp(s, pos + 1), b = pos + 2 < s->end ? S_cp(s, pos + 2) : 0;
    if (fold) a = ascii_lower(a), b = ascii_lower(b);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* \s+(?!\S)|\s+ at pos, after the rules that come first: returns 1 when it
 * cut (a run of spaces leaves its last one to the next word when a non-space
 * follows). */
static int spaces(tok_scan *s, size_t *pos)
{
    size_t ws = 0;
    while (S_fl(s, *pos + ws) & TOK_F_SPACE) ws++;
    if (ws > 1 && *pos + ws < s->end) ws--;
    if (!ws) return 0;
    *pos += ws;
    S_cut(s, *pos);
    return 1;
}

void tok_scan_gpt2(tok_scan *s)
{
    const uint8_t LNS = TOK_F_LETTER | TOK_F_NUMBER | TOK_F_SPACE;
    for (size_t pos = s->ini; pos < s->end && !s->rc;) {
        uint32_t c = S_cp(s, pos);
        size_t k = contraction(s, pos, 0);
        if (k) {
            pos += S_cut(s, pos + k);
            continue;
        }
        /* " ?X+" for letters, numbers, and "other" (not space/letter/number) */
        uint8_t f2 = c == ' ' ? S_fl(s, pos + 1) : S_fl(s, pos);
        uint8_t want = (f2 & TOK_F_LETTER) ? TOK_F_LETTER : (f2 & TOK_F_NUMBER) ? TOK_F_NUMBER : 0;
        if (want || ((f2 & TOK_F_IN) && !(f2 & LNS))) {
            pos += c == ' ';
            if (want)
                while (S_fl(s, pos) & want) pos++;
            else
                while ((S_fl(s, pos) & TOK_F_IN) && !(S_fl(s, pos) & LNS)) pos++;
            S_cut(s, pos);
            continue;
        }
        if (!spaces(s, &pos)) S_cut(s, ++pos);
    }
}

/* llama3, qwen2 and qwen35: the same rules except for digits (runs of up to
 * three, or single digits) and, for qwen35, combining marks, which join
 * letter runs ([\p{L}\p{M}]+) and leave the punctuation class. */
void tok_scan_llama3(tok_scan *s, int kind)
{
    const uint8_t LET = TOK_F_LETTER | (kind == TOK_PASS_QWEN35 ? TOK_F_MARK : 0);
    const uint8_t LNS = LET | TOK_F_NUMBER | TOK_F_SPACE;
    const size_t max_digits = kind == TOK_PASS_LLAMA3 ? 3 : 1;
    for (size_t pos = s->ini; pos < s->end && !s->rc;) {
        uint32_t c = S_cp(s, pos);
        uint8_t f = S_fl(s, pos);
        size_t k = contraction(s, pos, 1);
        if (k) {
            pos += S_cut(s, pos + k);
            continue;
        }
        /* [^\r\n\p{L}\p{N}]?\p{L}+ */
        if (!(c == '\r' || c == '\n' || (f & TOK_F_NUMBER)) &&
            ((f & LET) || (S_fl(s, pos + 1) & LET))) {
            pos++;
            while (S_fl(s, pos) & LET) pos++;
            S_cut(s, pos);
            continue;
        }
        if (f & TOK_F_NUMBER) {
            size_t run = 0;
            while (S_fl(s, pos) & TOK_F_NUMBER) {
                pos++;
                if (++run == max_digits) {
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
            while ((S_fl(s, pos) & TOK_F_IN) && !(S_fl(s, pos) & LNS)) pos++;
            while (S_cp(s, pos) == '\r' || S_cp(s, pos) == '\n') pos++;
            S_cut(s, pos);
            continue;
        }
        size_t ws = 0, after_rn = 0;
        while (S_fl(s, pos + ws) & TOK_F_SPACE) {
            uint32_t w = S_cp(s, pos + ws);
            if (w == '\r' || w == '\n') after_rn = pos + ws + 1;
            ws++;
        }
        if (after_rn) { /* \s*[\r\n]+ ends after the run's last line break */
            pos = after_rn;
            S_cut(s, pos);
            continue;
        }
        if (!spaces(s, &pos)) S_cut(s, ++pos);
    }
}

/* [^\n]+|[\n]+: runs of line breaks and runs of anything else. */
void tok_scan_newlines(tok_scan *s)
{
    for (size_t pos = s->ini; pos < s->end && !s->rc;) {
        int nl = S_cp(s, pos) == '\n';
        while (pos < s->end && (S_cp(s, pos) == '\n') == nl) pos++;
        S_cut(s, pos);
    }
}
