/* gguf.c - GGUF v2/v3 parsing with every length checked against the file.
 *
 * Layout: magic "GGUF", u32 version, u64 n_tensors, u64 n_kv, then n_kv
 * key/value pairs, then n_tensors tensor descriptors, then padding to
 * `general.alignment` (default 32) and the tensor data. All integers are
 * little-endian; this reader runs on little-endian hosts only. */
#include "gguf.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "base/c12_mapguard.h"
#include "quant.h"

#define GGUF_DEFAULT_ALIGNMENT 32

typedef struct cursor {
    const uint8_t *base;
    size_t pos, size;
    c12_err *err;
} cursor;

static const size_t scalar_size[GGUF_T_COUNT] = {
    [GGUF_T_UINT8] = 1, [GGUF_T_INT8] = 1, [GGUF_T_UINT16] = 2, [GGUF_T_INT16] = 2,
    [GGUF_T_UINT32] = 4, [GGUF_T_INT32] = 4, [GGUF_T_FLOAT32] = 4, [GGUF_T_BOOL] = 1,
    [GGUF_T_UINT64] = 8, [GGUF_T_INT64] = 8, [GGUF_T_FLOAT64] = 8,
};

static c12_rc need(cursor *c, size_t n, const char *what)
{
    if (n > c->size - c->pos)
        return c12_fail(c->err, C12_ERR_FORMAT, "gguf: truncated file reading %s at offset %zu",
                        what, c->pos);
    return C12_OK;
}

static c12_rc rd(cursor *c, void *dst, size_t n, const char *what)
{
    c12_rc rc = need(c, n, what);
    if (rc) return rc;
    memcpy(dst, c->base + c->pos, n);
    c->pos += n;
    return C12_OK;
}

static c12_rc rd_str(cursor *c, gguf_str *s, const char *what)
{
    uint64_t n;
    c12_rc rc = rd(c, &n, 8, what);
    if (rc) return rc;
    if (n > c->size - c->pos)
        return c12_fail(c->err, C12_ERR_FORMAT,
                        "gguf: %s length %llu runs past the end of the file (offset %zu)", what,
                        (unsigned long long)n, c->pos);
    s->p = (const char *)c->base + c->pos;
    s->n = n;
    c->pos += n;
    return C12_OK;
}

static void scalar_value(gguf_kv *kv, const uint8_t *p)
{
    switch (kv->type) {
    case GGUF_T_UINT8: kv->v.u = p[0]; break;
    case GGUF_T_BOOL: kv->v.u = p[0] != 0; break;
    case GGUF_T_INT8: kv->v.i = (int8_t)p[0]; break;
    case GGUF_T_UINT16: { uint16_t x; memcpy(&x, p, 2); kv->v.u = x; break; }
    case GGUF_T_INT16: { int16_t x; memcpy(&x, p, 2); kv->v.i = x; break; }
    case GGUF_T_UINT32: { uint32_t x; memcpy(&x, p, 4); kv->v.u = x; break; }
    case GGUF_T_INT32: { int32_t x; memcpy(&x, p, 4); kv->v.i = x; break; }
    case GGUF_T_UINT64: { uint64_t x; memcpy(&x, p, 8); kv->v.u = x; break; }
    case GGUF_T_INT64: { int64_t x; memcpy(&x, p, 8); kv->v.i = x; break; }
    case GGUF_T_FLOAT32: { float x; memcpy(&x, p, 4); kv->v.f = x; break; }
    case GGUF_T_FLOAT64: { double x; memcpy(&x, p, 8); kv->v.f = x; break; }
    default: break;
    }
}

static c12_rc parse_array(cursor *c, gguf_kv *kv, const char *key)
{
    uint32_t at;
    c12_rc rc = rd(c, &at, 4, "array element type");
    if (rc) return rc;
    if (at >= GGUF_T_COUNT || at == GGUF_T_ARRAY)
        return c12_fail(c->err, C12_ERR_FORMAT, "gguf: key '%s': bad array element type %u", key,
                        at);
    if ((rc = rd(c, &kv->arr_n, 8, "array length"))) return rc;
    kv->arr_type = (gguf_vtype)at;
    kv->arr_data = c->base + c->pos;
    if (at != GGUF_T_STRING) {
        size_t es = scalar_size[at];
        if (kv->arr_n > (c->size - c->pos) / es)
            return c12_fail(c->err, C12_ERR_FORMAT,
                            "gguf: key '%s': array of %llu elements runs past the end of the file",
                            key, (unsigned long long)kv->arr_n);
        c->pos += (size_t)kv->arr_n * es;
        return C12_OK;
    }
    /* each string takes at least its 8-byte length: bound n before allocating */
    if (kv->arr_n > (c->size - c->pos) / 8)
        return c12_fail(c->err, C12_ERR_FORMAT,
                        "gguf: key '%s': string array of %llu runs past the end of the file", key,
                        (unsigned long long)kv->arr_n);
    kv->strs = c12_calloc((size_t)kv->arr_n, sizeof *kv->strs);
    if (!kv->strs) return c12_fail(c->err, C12_ERR_NOMEM, "gguf: no memory for '%s'", key);
    for (uint64_t i = 0; i < kv->arr_n; i++)
        if ((rc = rd_str(c, &kv->strs[i], key))) return rc;
    return C12_OK;
}

static c12_rc parse_kv(cursor *c, gguf_kv *kv, uint64_t idx)
{
    char what[64];
    snprintf(what, sizeof what, "key %llu name", (unsigned long long)idx);
    c12_rc rc = rd_str(c, &kv->key, what);
    if (rc) return rc;
    char key[96];
    snprintf(key, sizeof key, "%.*s", (int)(kv->key.n < 80 ? kv->key.n : 80), kv->key.p);
    uint32_t t;
    if ((rc = rd(c, &t, 4, "value type"))) return rc;
    if (t >= GGUF_T_COUNT)
        return c12_fail(c->err, C12_ERR_FORMAT, "gguf: key '%s': bad value type %u", key, t);
    kv->type = (gguf_vtype)t;
    if (t == GGUF_T_STRING) return rd_str(c, &kv->v.s, key);
    if (t == GGUF_T_ARRAY) return parse_array(c, kv, key);
    if ((rc = need(c, scalar_size[t], key))) return rc;
    scalar_value(kv, c->base + c->pos);
    c->pos += scalar_size[t];
    return C12_OK;
}

static c12_rc parse_tensor(cursor *c, gguf_tensor *t, uint64_t idx)
{
    char what[64];
    snprintf(what, sizeof what, "tensor %llu name", (unsigned long long)idx);
    c12_rc rc = rd_str(c, &t->name, what);
    if (rc) return rc;
    if ((rc = rd(c, &t->n_dims, 4, "tensor n_dims"))) return rc;
    if (t->n_dims == 0 || t->n_dims > GGUF_MAX_DIMS)
        return c12_fail(c->err, C12_ERR_FORMAT, "gguf: tensor '%.*s': n_dims %u out of range 1..4",
                        (int)t->name.n, t->name.p, t->n_dims);
    for (int d = 0; d < GGUF_MAX_DIMS; d++) t->ne[d] = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) {
        if ((rc = rd(c, &t->ne[d], 8, "tensor dimension"))) return rc;
        if (t->ne[d] <= 0 || t->ne[d] > ((int64_t)1 << 40))
            return c12_fail(c->err, C12_ERR_FORMAT, "gguf: tensor '%.*s': dimension %u is %lld",
                            (int)t->name.n, t->name.p, d, (long long)t->ne[d]);
    }
    if ((rc = rd(c, &t->type, 4, "tensor type"))) return rc;
    return rd(c, &t->offset, 8, "tensor offset");
}

/* Size of a tensor from its type's block layout; checks every multiplication. */
static c12_rc tensor_size(gguf_tensor *t, c12_err *err)
{
    const c12_type_traits *tt = c12_type(c12_types(C12_ISA_SCALAR), t->type);
    if (!tt)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "gguf: tensor '%.*s': unsupported type %u",
                        (int)t->name.n, t->name.p, t->type);
    size_t row = c12_type_row_size(tt, t->ne[0]);
    if (!row)
        return c12_fail(err, C12_ERR_FORMAT,
                        "gguf: tensor '%.*s': row of %lld is not a multiple of %s's block of %d",
                        (int)t->name.n, t->name.p, (long long)t->ne[0], tt->name, tt->block_size);
    uint64_t n = row;
    for (int d = 1; d < GGUF_MAX_DIMS; d++) {
        if ((uint64_t)t->ne[d] > UINT64_MAX / n)
            return c12_fail(err, C12_ERR_FORMAT, "gguf: tensor '%.*s': size overflows",
                            (int)t->name.n, t->name.p);
        n *= (uint64_t)t->ne[d];
    }
    t->nbytes = n;
    return C12_OK;
}

static c12_rc parse_header(cursor *c, gguf_file *f)
{
    char magic[4];
    c12_rc rc = rd(c, magic, 4, "magic");
    if (rc) return rc;
    if (memcmp(magic, "GGUF", 4))
        return c12_fail(c->err, C12_ERR_FORMAT, "gguf: bad magic (not a GGUF file)");
    if ((rc = rd(c, &f->version, 4, "version"))) return rc;
    if (f->version < 2 || f->version > 3)
        return c12_fail(c->err, C12_ERR_UNSUPPORTED, "gguf: version %u (C12 reads v2 and v3)",
                        f->version);
    if ((rc = rd(c, &f->n_tensors, 8, "tensor count"))) return rc;
    if ((rc = rd(c, &f->n_kv, 8, "key/value count"))) return rc;
    /* a key takes >= 12 bytes, a tensor descriptor >= 24 */
    if (f->n_kv > c->size / 12 || f->n_tensors > c->size / 24)
        return c12_fail(c->err, C12_ERR_FORMAT,
                        "gguf: counts (%llu keys, %llu tensors) exceed what the file can hold",
                        (unsigned long long)f->n_kv, (unsigned long long)f->n_tensors);
    return C12_OK;
}

static c12_rc parse_layout(cursor *c, gguf_file *f)
{
    const gguf_kv *al = gguf_find(f, "general.alignment");
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    if (al) {
        if (al->type != GGUF_T_UINT32 || al->v.u == 0 || (al->v.u & (al->v.u - 1)))
            return c12_fail(c->err, C12_ERR_FORMAT,
                            "gguf: general.alignment must be a power-of-two u32");
        f->alignment = al->v.u;
    }
    uint64_t off = ((uint64_t)c->pos + f->alignment - 1) / f->alignment * f->alignment;
    if (off > c->size && f->n_tensors > 0)
        return c12_fail(c->err, C12_ERR_FORMAT, "gguf: data section starts past the end");
    f->data_offset = off;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        c12_rc rc = tensor_size(t, c->err);
        if (rc) return rc;
        if (t->offset % f->alignment)
            return c12_fail(c->err, C12_ERR_FORMAT, "gguf: tensor '%.*s': offset not aligned",
                            (int)t->name.n, t->name.p);
        uint64_t avail = c->size - off;
        if (t->offset > avail || t->nbytes > avail - t->offset)
            return c12_fail(c->err, C12_ERR_FORMAT,
                            "gguf: tensor '%.*s': data (%llu bytes at %llu) runs past the end of "
                            "the file",
                            (int)t->name.n, t->name.p, (unsigned long long)t->nbytes,
                            (unsigned long long)t->offset);
        t->data = c->base + off + t->offset;
    }
    return C12_OK;
}

static c12_rc parse_all(cursor *c, gguf_file *f)
{
    c12_rc rc = parse_header(c, f);
    if (rc) return rc;
    f->kv = c12_calloc(f->n_kv ? (size_t)f->n_kv : 1, sizeof *f->kv);
    f->tensors = c12_calloc(f->n_tensors ? (size_t)f->n_tensors : 1, sizeof *f->tensors);
    if (!f->kv || !f->tensors) return c12_fail(c->err, C12_ERR_NOMEM, "gguf: no memory");
    for (uint64_t i = 0; i < f->n_kv; i++)
        if ((rc = parse_kv(c, &f->kv[i], i))) return rc;
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if ((rc = parse_tensor(c, &f->tensors[i], i))) return rc;
    return parse_layout(c, f);
}

c12_rc gguf_parse(const void *buf, size_t size, gguf_file **out, c12_err *err)
{
    gguf_file *f = c12_calloc(1, sizeof *f);
    if (!f) return c12_fail(err, C12_ERR_NOMEM, "gguf: no memory");
    f->fd = -1;
    f->guard = -1;
    f->map = buf;
    f->size = size;
    cursor c = {.base = buf, .pos = 0, .size = size, .err = err};
    c12_rc rc = parse_all(&c, f);
    if (rc) {
        /* messages quote names from the file: keep them printable ASCII */
        for (char *m = err ? err->msg : NULL; m && *m; m++)
            if ((unsigned char)*m < 0x20 || (unsigned char)*m > 0x7e) *m = '?';
        gguf_close(f);
        return rc;
    }
    *out = f;
    return C12_OK;
}

c12_rc gguf_open(const char *path, gguf_file **out, c12_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return c12_fail(err, C12_ERR_IO, "cannot open %s: %m", path);
    struct stat st;
    if (fstat(fd, &st) || st.st_size <= 0) {
        close(fd);
        return c12_fail(err, C12_ERR_FORMAT, "%s: empty or unreadable file", path);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        close(fd);
        return c12_fail(err, C12_ERR_IO, "cannot map %s: %m", path);
    }
    /* guarded from the start: the file may shrink while it is parsed */
    int guard = c12_mapguard_add(map, (size_t)st.st_size);
    gguf_file *f = NULL;
    c12_rc rc = gguf_parse(map, (size_t)st.st_size, &f, err);
    if (rc == C12_OK && c12_mapguard_damaged(guard)) {
        gguf_close(f);
        rc = c12_fail(err, C12_ERR_IO, "the file shrank while it was read");
    }
    if (rc) {
        c12_mapguard_remove(guard);
        char inner[C12_ERR_MSG_MAX];
        snprintf(inner, sizeof inner, "%s", err ? err->msg : "");
        c12_fail(err, rc, "%s: %s", path, inner);
        munmap(map, (size_t)st.st_size);
        close(fd);
        return rc;
    }
    f->fd = fd;
    f->guard = guard;
    *out = f;
    return C12_OK;
}

int gguf_damaged(const gguf_file *f) { return f && c12_mapguard_damaged(f->guard); }

void gguf_close(gguf_file *f)
{
    if (!f) return;
    if (f->kv)
        for (uint64_t i = 0; i < f->n_kv; i++) c12_free(f->kv[i].strs);
    c12_free(f->kv);
    c12_free(f->tensors);
    if (f->fd >= 0) {
        c12_mapguard_remove(f->guard);
        munmap((void *)f->map, f->size);
        close(f->fd);
    }
    c12_free(f);
}
