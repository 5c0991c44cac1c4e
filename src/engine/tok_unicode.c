/* tok_unicode.c - code point classes and UTF-8 helpers for the tokenizer. */
#include "tok_unicode.h"

int tok_uc_class(uint32_t cp)
{
    if (cp > 0x10FFFF) return TOK_UC_UNDEF;
    /* binary search for the last run starting at or before cp */
    size_t lo = 0, hi = tok_uc_n_ranges;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if ((tok_uc_ranges[mid] >> 4) <= cp) lo = mid;
        else hi = mid;
    }
    return (int)(tok_uc_ranges[lo] & 15);
}

int tok_uc_is_space(uint32_t cp)
{
    if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

size_t tok_utf8_lead_len(uint8_t b)
{
    static const uint8_t len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return len[b >> 4];
}

static int is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

size_t tok_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t b = s[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    size_t need;
    uint32_t v;
    if ((b & 0xE0) == 0xC0) need = 2, v = b & 0x1F;
    else if ((b & 0xF0) == 0xE0) need = 3, v = b & 0x0F;
    else if ((b & 0xF8) == 0xF0) need = 4, v = b & 0x07;
    else need = 0, v = 0; /* continuation byte or 0xF8..0xFF */
    if (need == 0 || n < need) goto bad;
    for (size_t i = 1; i < need; i++) {
        if (!is_cont(s[i])) goto bad;
        v = (v << 6) | (s[i] & 0x3F);
    }
    /* The reference would crash re-encoding such a value; we call it invalid. */
    if (v > 0x10FFFF) goto bad;
    *cp = v;
    return need;
bad:
    *cp = TOK_CP_REPLACEMENT;
    return 1;
}

size_t tok_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

