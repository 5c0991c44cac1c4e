/* gguf_get.c - typed look-ups of GGUF metadata and tensors. */
#include <stdio.h>
#include <string.h>

#include "gguf.h"

int gguf_str_eq(gguf_str s, const char *c)
{
    size_t n = strlen(c);
    return s.n == n && memcmp(s.p, c, n) == 0;
}

const gguf_kv *gguf_find(const gguf_file *f, const char *key)
{
    for (uint64_t i = 0; i < f->n_kv; i++)
        if (gguf_str_eq(f->kv[i].key, key)) return &f->kv[i];
    return NULL;
}

const gguf_tensor *gguf_tensor_find(const gguf_file *f, const char *name)
{
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (gguf_str_eq(f->tensors[i].name, name)) return &f->tensors[i];
    return NULL;
}

static int is_unsigned(gguf_vtype t)
{
    return t == GGUF_T_UINT8 || t == GGUF_T_UINT16 || t == GGUF_T_UINT32 || t == GGUF_T_UINT64 ||
           t == GGUF_T_BOOL;
}

static int is_signed(gguf_vtype t)
{
    return t == GGUF_T_INT8 || t == GGUF_T_INT16 || t == GGUF_T_INT32 || t == GGUF_T_INT64;
}

static c12_rc lookup(const gguf_file *f, const char *key, const gguf_kv **kv, c12_err *err)
{
    *kv = gguf_find(f, key);
    if (!*kv) return c12_fail(err, C12_ERR_NOT_FOUND, "gguf: key '%s' is missing", key);
    return C12_OK;
}

c12_rc gguf_get_u64(const gguf_file *f, const char *key, uint64_t *out, c12_err *err)
{
    const gguf_kv *kv;
    c12_rc rc = lookup(f, key, &kv, err);
    if (rc) return rc;
    if (is_unsigned(kv->type)) {
        *out = kv->v.u;
        return C12_OK;
    }
    if (is_signed(kv->type) && kv->v.i >= 0) {
        *out = (uint64_t)kv->v.i;
        return C12_OK;
    }
    return c12_fail(err, C12_ERR_FORMAT, "gguf: key '%s' is not a non-negative integer", key);
}

c12_rc gguf_get_f64(const gguf_file *f, const char *key, double *out, c12_err *err)
{
    const gguf_kv *kv;
    c12_rc rc = lookup(f, key, &kv, err);
    if (rc) return rc;
    if (kv->type == GGUF_T_FLOAT32 || kv->type == GGUF_T_FLOAT64) *out = kv->v.f;
    else if (is_unsigned(kv->type)) *out = (double)kv->v.u;
    else if (is_signed(kv->type)) *out = (double)kv->v.i;
    else return c12_fail(err, C12_ERR_FORMAT, "gguf: key '%s' is not a number", key);
    return C12_OK;
}

c12_rc gguf_get_bool(const gguf_file *f, const char *key, int *out, c12_err *err)
{
    const gguf_kv *kv;
    c12_rc rc = lookup(f, key, &kv, err);
    if (rc) return rc;
    if (kv->type != GGUF_T_BOOL)
        return c12_fail(err, C12_ERR_FORMAT, "gguf: key '%s' is not a bool", key);
    *out = kv->v.u != 0;
    return C12_OK;
}

c12_rc gguf_get_str(const gguf_file *f, const char *key, gguf_str *out, c12_err *err)
{
    const gguf_kv *kv;
    c12_rc rc = lookup(f, key, &kv, err);
    if (rc) return rc;
    if (kv->type != GGUF_T_STRING)
        return c12_fail(err, C12_ERR_FORMAT, "gguf: key '%s' is not a string", key);
    *out = kv->v.s;
    return C12_OK;
}

c12_rc gguf_get_cstr(const gguf_file *f, const char *key, char *buf, size_t cap, c12_err *err)
{
    gguf_str s = {0};
    c12_rc rc = gguf_get_str(f, key, &s, err);
    if (rc) return rc;
    snprintf(buf, cap, "%.*s", (int)(s.n > 0x7fffffff ? 0x7fffffff : s.n), s.p);
    return C12_OK;
}
