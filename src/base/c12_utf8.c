/* c12_utf8.c - strict UTF-8, byte by byte. */
#include "base/c12_utf8.h"

int c12_utf8_check(const uint8_t *s, size_t n)
{
    uint8_t b = s[0];
    if (b < 0x80) return 1;
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b >= 0xC2 && b <= 0xDF) need = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
        need = 3;
        if (b == 0xE0) lo = 0xA0;      /* no overlongs */
        else if (b == 0xED) hi = 0x9F; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 4;
        if (b == 0xF0) lo = 0x90;
        else if (b == 0xF4) hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return -1;
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= n) return 0;
        uint8_t c = s[i];
        uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (c < l || c > h) return -(int)i;
    }
    return (int)need;
}

int c12_utf8_whole(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        int k = c12_utf8_check((const uint8_t *)s + i, n - i);
        if (k <= 0 || !s[i]) return 0;
        i += (size_t)k;
    }
    return 1;
}

size_t c12_utf8_copy(char *dst, size_t cap, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int k = c12_utf8_check((const uint8_t *)src + i, n - i);
        size_t len = k > 0 ? (size_t)k : 1;
        if (o + len >= cap) break;
        if (k > 0) {
            for (size_t j = 0; j < len; j++) dst[o + j] = src[i + j];
        } else {
            dst[o] = '?';
        }
        o += len;
        i += len;
    }
    dst[o] = '\0';
    return o;
}
