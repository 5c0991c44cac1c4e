/* c12_utf8.h - the one UTF-8 validator: the tokenizer's detokenizer, the
 * server's JSON text and the ledger's fields all judge bytes with it. */
#ifndef C12_UTF8_H
#define C12_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Strict UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF) check of the sequence at s[0..n) (n >= 1): its length when it is
 * a complete valid character, 0 when s is a valid but incomplete prefix of
 * one, or -k when the first k bytes are an invalid "maximal subpart" (each
 * such run becomes one U+FFFD, as Unicode recommends). */
int c12_utf8_check(const uint8_t *s, size_t n);

/* Whether all of s[0..n) is whole, valid UTF-8 characters, none of them
 * NUL. */
int c12_utf8_whole(const char *s, size_t n);

/* Copy src[0..n) into dst (cap >= 1 bytes, NUL-terminated): valid
 * characters as they are, every byte that is not part of one as '?', and
 * never a character cut in two at the end. Returns the bytes written. */
size_t c12_utf8_copy(char *dst, size_t cap, const char *src, size_t n);

#endif
