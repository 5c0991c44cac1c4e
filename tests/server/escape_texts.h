/* escape_texts.h - texts that a JSON string written straight out must
 * escape as jansson does (quotes, backslashes, every short escape and the
 * \u00XX ones, DEL and '/' as they are, multi-byte UTF-8, a cut character,
 * invalid bytes and a surrogate, a NUL inside): shared by the tests that
 * hold such writers byte for byte equal to json_dumps. Header-only. */
#ifndef C12_TEST_ESCAPE_TEXTS_H
#define C12_TEST_ESCAPE_TEXTS_H

#include <stddef.h>

static const struct {
    const char *s;
    size_t n;
} escape_texts[] = {
    {"", 0},
    {"Hello", 5},
    {"say \"hi\" \\ back/slash", 22},
    {"\x01\x02\x07\x08\x09\x0a\x0b\x0c\x0d\x1b\x1f\x7f", 12},
    {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14},
    {"cut \xC3", 5},
    {"bad \xFF\xFE mid \xED\xA0\x80 surrogate", 26},
    {"before\0after", 12},
};
#define N_ESCAPE_TEXTS (sizeof escape_texts / sizeof escape_texts[0])

#endif
