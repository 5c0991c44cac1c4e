#include "models/sha.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "base/c12_alloc.h"

/* The EVP context is allocated by OpenSSL with its own allocator; only our
 * wrapper struct goes through c12_alloc (so OOM tests still reach it). */
struct c12_sha256 {
    EVP_MD_CTX *ctx;
};

c12_rc c12_sha256_new(c12_sha256 **out, c12_err *err)
{
    c12_sha256 *s = c12_calloc(1, sizeof *s);
    if (!s) return c12_fail(err, C12_ERR_NOMEM, "out of memory for a sha256 context");
    s->ctx = EVP_MD_CTX_new();
    if (!s->ctx) {
        c12_free(s);
        return c12_fail(err, C12_ERR_NOMEM, "out of memory for a sha256 context");
    }
    if (EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
        c12_sha256_free(s);
        return c12_fail(err, C12_ERR_INTERNAL, "sha256: EVP_DigestInit_ex failed");
    }
    *out = s;
    return C12_OK;
}

void c12_sha256_free(c12_sha256 *s)
{
    if (!s) return;
    EVP_MD_CTX_free(s->ctx);
    c12_free(s);
}

c12_rc c12_sha256_update(c12_sha256 *s, const void *p, size_t n, c12_err *err)
{
    if (EVP_DigestUpdate(s->ctx, p, n) != 1)
        return c12_fail(err, C12_ERR_INTERNAL, "sha256: EVP_DigestUpdate failed");
    return C12_OK;
}

c12_rc c12_sha256_final(c12_sha256 *s, char hex[C12_SHA256_HEX], c12_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(s->ctx, md, &len) != 1 || len != 32)
        return c12_fail(err, C12_ERR_INTERNAL, "sha256: EVP_DigestFinal_ex failed");
    static const char digits[] = "0123456789abcdef";
    for (unsigned int i = 0; i < len; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    return C12_OK;
}

c12_rc c12_sha256_file(const char *path, char hex[C12_SHA256_HEX],
                       void (*progress)(void *ctx, uint64_t done), void *ctx, c12_err *err)
{
    enum { CHUNK = 1 << 20 };
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return c12_fail(err, C12_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    unsigned char *buf = c12_malloc(CHUNK);
    c12_sha256 *s = NULL;
    c12_rc rc = C12_OK;
    if (!buf) {
        rc = c12_fail(err, C12_ERR_NOMEM, "out of memory hashing %s", path);
        goto out;
    }
    if ((rc = c12_sha256_new(&s, err))) goto out;
    uint64_t done = 0;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = c12_fail(err, C12_ERR_IO, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) break;
        if ((rc = c12_sha256_update(s, buf, (size_t)n, err))) goto out;
        done += (uint64_t)n;
        if (progress) progress(ctx, done);
    }
    char tmp[C12_SHA256_HEX];
    if ((rc = c12_sha256_final(s, tmp, err))) goto out;
    memcpy(hex, tmp, sizeof tmp);
out:
    c12_sha256_free(s);
    c12_free(buf);
    close(fd);
    return rc;
}

int c12_sha256_is_hex(const char *s)
{
    if (!s) return 0;
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return i == 64;
}
