/* gguf.h - a GGUF v3 reader over mmap (engine-internal).
 *
 * The whole file is mapped read-only; metadata values and tensor data are
 * views into the mapping, so nothing is copied. Every count, length and
 * offset is checked against the file size while parsing: a malformed or
 * truncated file is a C12_ERR_FORMAT naming the field, never a crash. */
#ifndef C12_GGUF_H
#define C12_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"

typedef enum {
    GGUF_T_UINT8 = 0, GGUF_T_INT8 = 1, GGUF_T_UINT16 = 2, GGUF_T_INT16 = 3,
    GGUF_T_UINT32 = 4, GGUF_T_INT32 = 5, GGUF_T_FLOAT32 = 6, GGUF_T_BOOL = 7,
    GGUF_T_STRING = 8, GGUF_T_ARRAY = 9, GGUF_T_UINT64 = 10, GGUF_T_INT64 = 11,
    GGUF_T_FLOAT64 = 12, GGUF_T_COUNT
} gguf_vtype;

/* A string inside the mapping: NOT NUL-terminated. */
typedef struct gguf_str {
    const char *p;
    uint64_t n;
} gguf_str;

typedef struct gguf_kv {
    gguf_str key;
    gguf_vtype type;
    /* scalars */
    union {
        uint64_t u;   /* any unsigned integer type, and bool */
        int64_t i;    /* any signed integer type */
        double f;     /* float32/float64 */
        gguf_str s;   /* string */
    } v;
    /* arrays: element type, count and a pointer to the first element in the
     * mapping. For string arrays, `strs` holds decoded views (owned by the
     * gguf_file). */
    gguf_vtype arr_type;
    uint64_t arr_n;
    const void *arr_data;
    gguf_str *strs;
} gguf_kv;

#define GGUF_MAX_DIMS 4

typedef struct gguf_tensor {
    gguf_str name;
    uint32_t n_dims;
    int64_t ne[GGUF_MAX_DIMS]; /* ne[0] is the fastest-moving (row length) */
    uint32_t type;             /* ggml type number */
    uint64_t offset;           /* relative to the data section */
    uint64_t nbytes;
    const void *data;          /* into the mapping */
} gguf_tensor;

typedef struct gguf_file gguf_file;

struct gguf_file {
    int fd;
    int guard; /* c12_mapguard handle of the mapping, -1: none */
    const uint8_t *map;
    size_t size;
    uint32_t version;
    uint64_t n_kv;
    gguf_kv *kv;
    uint64_t n_tensors;
    gguf_tensor *tensors;
    uint64_t alignment;
    uint64_t data_offset;
};

/* 1 when the file shrank under the mapping since gguf_open (truncated or
 * rewritten in place): the pages past its new end read as zeros
 * (c12_mapguard.h). */
int gguf_damaged(const gguf_file *f);

/* Map and parse a file. */
c12_rc gguf_open(const char *path, gguf_file **out, c12_err *err);
/* Parse an in-memory image (the fuzzer and tests use this); `buf` must outlive
 * the result, which does not own it. */
c12_rc gguf_parse(const void *buf, size_t size, gguf_file **out, c12_err *err);
void gguf_close(gguf_file *f);

const gguf_kv *gguf_find(const gguf_file *f, const char *key);
const gguf_tensor *gguf_tensor_find(const gguf_file *f, const char *name);

/* Typed look-ups: return C12_ERR_NOT_FOUND when absent, C12_ERR_FORMAT when the
 * key has an incompatible type; *out is set only on success. */
c12_rc gguf_get_u64(const gguf_file *f, const char *key, uint64_t *out, c12_err *err);
c12_rc gguf_get_f64(const gguf_file *f, const char *key, double *out, c12_err *err);
c12_rc gguf_get_bool(const gguf_file *f, const char *key, int *out, c12_err *err);
c12_rc gguf_get_str(const gguf_file *f, const char *key, gguf_str *out, c12_err *err);
/* Copy a string value into buf (NUL-terminated, truncated to cap-1). */
c12_rc gguf_get_cstr(const gguf_file *f, const char *key, char *buf, size_t cap, c12_err *err);

int gguf_str_eq(gguf_str s, const char *c);

#endif
