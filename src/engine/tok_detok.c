/* tok_detok.c - token ids back to text: one token's piece, and the streaming
 * detokenizer that only ever emits whole UTF-8 characters. */
#include <stdio.h>
#include <string.h>

#include "tok_internal.h"
#include "tok_unicode.h"

/* Append n bytes at *o (tracking the full length even past cap). */
static void put(char *buf, size_t cap, size_t *o, const char *s, size_t n)
{
    if (*o < cap) memcpy(buf + *o, s, n < cap - *o ? n : cap - *o);
    *o += n;
}

size_t c12_tok_piece(const c12_tok *t, int32_t id, int special, char *buf, size_t cap)
{
    if (id < 0 || id >= t->n_vocab) return 0;
    uint32_t a = t->attr[id];
    const char *s = t->text + t->off[id];
    size_t n = t->len[id], o = 0;
    if (a & (TOK_ATTR_UNKNOWN | TOK_ATTR_CONTROL)) {
        if (special) put(buf, cap, &o, s, n);
        return o;
    }
    if (a & TOK_ATTR_USER_DEFINED) {
        put(buf, cap, &o, s, n);
        return o;
    }
    if (a & TOK_ATTR_NORMAL) {
        if (t->kind == TOK_KIND_SPM || t->escape_spaces) { /* "▁" back to a space */
            for (size_t i = 0; i < n;) {
                if (i + 3 <= n && !memcmp(s + i, "\xe2\x96\x81", 3)) {
                    put(buf, cap, &o, " ", 1);
                    i += 3;
                } else {
                    put(buf, cap, &o, s + i, 1);
                    i++;
                }
            }
            return o;
        }
        /* byte-level: each code point of the text is one byte */
        for (size_t i = 0; i < n;) {
            uint32_t cp;
            size_t k = tok_utf8_decode((const uint8_t *)s + i, n - i, &cp);
            int b = tok_cp_to_byte(cp);
            if (b >= 0) {
                char c = (char)b;
                put(buf, cap, &o, &c, 1);
            } else { /* not in the alphabet: the reference spells it out */
                char u[4], hex[16];
                size_t m = tok_utf8_encode(cp, u);
                put(buf, cap, &o, "[UNK_BYTE_0x", 12);
                for (size_t j = 0; j < m; j++) {
                    snprintf(hex, sizeof hex, "%02x", (unsigned)(uint8_t)u[j]);
                    put(buf, cap, &o, hex, 2);
                }
                put(buf, cap, &o, s, n);
                put(buf, cap, &o, "]", 1);
            }
            i += k;
        }
        return o;
    }
    if (a & TOK_ATTR_BYTE) { /* "<0xAB>" */
        if (n >= 5) {
            unsigned v = 0;
            for (size_t i = 3; i < 5; i++) {
                char c = s[i];
                v = v * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0'
                                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0);
            }
            char c = (char)v;
            put(buf, cap, &o, &c, 1);
        }
        return o;
    }
    return 0; /* unused / undefined tokens have no text */
}

void c12_detok_init(c12_detok *d, const c12_tok *t)
{
    memset(d, 0, sizeof *d);
    d->tok = t;
}

size_t c12_detok_min_cap(const c12_tok *t) { return t->max_detok; }

size_t tok_detok_bound(const c12_tok *t)
{
    /* one push writes the held bytes (at most 3, each at worst one U+FFFD of
     * 3 bytes) and the piece, whose invalid bytes also grow threefold */
    size_t worst = 0;
    char piece[1024];
    for (int32_t id = 0; id < t->n_vocab; id++) {
        size_t n = c12_tok_piece(t, id, 0, piece, sizeof piece), m = 0;
        if (n > sizeof piece) {
            m = 3 * n;
        } else {
            for (size_t i = 0; i < n;) {
                int k = c12_utf8_check((const uint8_t *)piece + i, n - i);
                m += k > 0 ? (size_t)k : 3;
                i += k > 0 ? (size_t)k : k < 0 ? (size_t)-k : 1;
            }
        }
        if (m > worst) worst = m;
    }
    return worst + 9;
}

/* Write complete characters of in[0..n) to out (cap bytes); invalid runs
 * become U+FFFD. Returns bytes consumed from `in`; a valid but incomplete tail
 * is left unconsumed (unless `final`, when it is invalid too). */
static size_t sanitize(const uint8_t *in, size_t n, int final, char *out, size_t cap, size_t *o)
{
    size_t i = 0;
    while (i < n) {
        int k = c12_utf8_check(in + i, n - i);
        if (k == 0 && !final) break;
        const char *src = (const char *)in + i;
        size_t m = k > 0 ? (size_t)k : 3, adv = k > 0 ? (size_t)k : k < 0 ? (size_t)-k : n - i;
        if (k <= 0) src = "\xef\xbf\xbd";
        if (*o + m > cap) break; /* no room: cut at this character */
        memcpy(out + *o, src, m);
        *o += m;
        i += adv;
    }
    return i;
}

size_t c12_detok_push(c12_detok *d, int32_t id, char *buf, size_t cap)
{
    /* the held bytes (at most 3) and the new piece form one stream */
    enum { MAXP = 1024 }; /* longer than any real token's piece */
    uint8_t s[MAXP + sizeof d->pending];
    memcpy(s, d->pending, d->n_pending);
    size_t n = c12_tok_piece(d->tok, id, 0, (char *)s + d->n_pending, MAXP);
    n = (n > MAXP ? MAXP : n) + d->n_pending;
    size_t o = 0, used = sanitize(s, n, 0, buf, cap, &o), left = n - used;
    d->n_pending = 0;
    /* hold a character still waiting for its last bytes; anything else left
     * over did not fit in cap and is lost, as documented */
    if (left && left < sizeof d->pending && c12_utf8_check(s + used, left) == 0) {
        memcpy(d->pending, s + used, left);
        d->n_pending = left;
    }
    return o;
}

size_t c12_detok_flush(c12_detok *d, char *buf, size_t cap)
{
    size_t o = 0;
    sanitize((const uint8_t *)d->pending, d->n_pending, 1, buf, cap, &o);
    d->n_pending = 0;
    return o;
}
