/* sha.h - streaming SHA-256 (OpenSSL libcrypto's EVP), for checking models.
 *
 * A pull hashes bytes while it writes them, so that a 1 GB model is read
 * once, not twice. */
#ifndef C12_MODELS_SHA_H
#define C12_MODELS_SHA_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"

#define C12_SHA256_HEX 65 /* 64 hex digits and a NUL */

typedef struct c12_sha256 c12_sha256;

c12_rc c12_sha256_new(c12_sha256 **out, c12_err *err);
void c12_sha256_free(c12_sha256 *s);
c12_rc c12_sha256_update(c12_sha256 *s, const void *p, size_t n, c12_err *err);
/* Write the digest as lowercase hex; the context is spent afterwards. */
c12_rc c12_sha256_final(c12_sha256 *s, char hex[C12_SHA256_HEX], c12_err *err);

/* Hash of a whole file; `progress` (may be NULL) sees bytes read so far. */
c12_rc c12_sha256_file(const char *path, char hex[C12_SHA256_HEX],
                       void (*progress)(void *ctx, uint64_t done), void *ctx, c12_err *err);

/* Whether s is exactly 64 lowercase hex digits. */
int c12_sha256_is_hex(const char *s);

#endif
