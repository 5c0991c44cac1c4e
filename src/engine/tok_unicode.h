/* tok_unicode.h - the code point facts the tokenizer needs (engine-internal).
 *
 * Classes come from a table generated from Unicode 15.1 (tok_unicode_data.c,
 * see scripts/gen_unicode_table.py for why that version); "whitespace" is the
 * Unicode White_Space property. UTF-8 decoding follows the reference
 * tokenizer's lenient rules, so that malformed input tokenizes the same way. */
#ifndef C12_TOK_UNICODE_H
#define C12_TOK_UNICODE_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_utf8.h"

enum {
    TOK_UC_UNDEF = 0, /* unassigned (Cn) */
    TOK_UC_LETTER = 1,
    TOK_UC_NUMBER = 2,
    TOK_UC_PUNCT = 3,
    TOK_UC_SYMBOL = 4,
    TOK_UC_MARK = 5,
    TOK_UC_SEP = 6,     /* Zs, Zl, Zp */
    TOK_UC_CONTROL = 7, /* Cc, Cf, Cs, Co */
};

#define TOK_CP_REPLACEMENT 0xFFFDu

extern const uint32_t tok_uc_ranges[];
extern const size_t tok_uc_n_ranges;

/* General-category class of a code point (TOK_UC_*). */
int tok_uc_class(uint32_t cp);
/* Unicode White_Space. */
int tok_uc_is_space(uint32_t cp);

/* Length of the UTF-8 sequence that byte `b` starts, judged from its high
 * bits only (1 for ASCII and for stray continuation bytes). */
size_t tok_utf8_lead_len(uint8_t b);

/* Decode one code point at s[0..n) (n >= 1), returning the bytes consumed.
 * Lenient like the reference: continuation bytes are checked, but overlong
 * forms and surrogates are accepted as the value they spell. Anything else
 * (stray continuation byte, truncated sequence, 0xF8..0xFF, a value above
 * U+10FFFF) yields U+FFFD and consumes one byte. */
size_t tok_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Encode cp (<= 0x10FFFF) into out (4 bytes room); returns the length. */
size_t tok_utf8_encode(uint32_t cp, char *out);

/* The strict check is c12_utf8_check (base/c12_utf8.h), shared with the
 * server and the ledger. */

#endif
