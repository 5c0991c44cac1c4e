/* c12_json.h - the one JSON loader: jansson behind C12's allocator, with
 * out-of-memory told apart from malformed text, for buffers and files. */
#ifndef C12_JSON_H
#define C12_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "base/c12_buf.h"
#include "base/c12_rc.h"

/* Point jansson's allocator at c12_malloc (the project's rule: every heap
 * byte through c12_alloc, so OOM tests fail jansson's allocations too).
 * jansson's allocator is process-wide: main() calls this once before any
 * thread starts (unit tests in their main). c12_free is free(), so objects
 * made before it are still freed correctly. */
void c12_json_init(void);
/* Parse text (jansson flags, e.g. JSON_REJECT_DUPLICATES). C12_ERR_NOMEM
 * when an allocation failed; C12_ERR_FORMAT "what: malformed JSON at line
 * L column C: reason" otherwise. *out is set only on success. */
c12_rc c12_json_parse(const char *text, size_t len, size_t flags, const char *what, json_t **out, c12_err *err);
/* The same for a client's bytes (a request body): the message keeps the
 * line and column but not the text jansson quotes ("near 'xyz'"), which is
 * the client's own (a prompt, a key pasted in the wrong place) and must
 * not come back in a response or a log. */
c12_rc c12_json_parse_untrusted(const char *text, size_t len, size_t flags, const char *what, json_t **out,
                                c12_err *err);
/* Append s[0..n) as a JSON string, quoted, byte for byte as json_dumps
 * writes the string c12_json_text makes of it (invalid UTF-8 as '?', the
 * text up to its first NUL): for output built without a jansson tree
 * (server/gen_chunk.c, once per streamed token). */
c12_rc c12_json_put_string(c12_buf *b, const char *s, size_t n);
/* Append v as json_dumps writes a real: "%.17g", ".0" added to a whole
 * number, the exponent without '+' or leading zeros (1e-05 -> 1e-5).
 * C12_ERR_INVALID for NaN or an infinity (jansson holds no such real). */
c12_rc c12_json_put_real(c12_buf *b, double v);
/* Append ,"key": (key: plain ASCII, no escapes), for an object written
 * straight out after its first member. */
c12_rc c12_json_put_key(c12_buf *b, const char *key);
/* Append any value as json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) writes it
 * (a subtree passed through as it came). */
c12_rc c12_json_put_value(c12_buf *b, const json_t *v);
/* A whole file (c12_read_file, at most max bytes) parsed; `what` is its path. */
c12_rc c12_json_load_file(const char *path, size_t max, size_t flags, json_t **out, c12_err *err);

#endif
