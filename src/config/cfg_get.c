/* cfg_get.c - typed getters, slots and the key-table walkers of the
 * configuration's node API (cfg_node.h). Every complaint reads
 * "file:line: section.key: message". */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_node.h"

c12_rc c12_cfg_fail(const c12_cfg_node *n, const char *path, c12_err *err, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return c12_fail(err, C12_ERR_INVALID, "%s:%d: %s: %s", c12_cfg_file(n), c12_cfg_line(n),
                    path && *path ? path : "(top level)", what);
}

c12_rc c12_cfg_want_map(const c12_cfg_node *n, const char *path, c12_err *err)
{
    return c12_cfg_kind_of(n) == C12_CFG_MAP ? C12_OK : c12_cfg_fail(n, path, err, "must be a mapping");
}

c12_rc c12_cfg_str(const c12_cfg_node *n, const char *path, char *dst, size_t cap, c12_err *err)
{
    const char *s = c12_cfg_scalar(n);
    if (!s) return c12_cfg_fail(n, path, err, "must be a string");
    size_t len = strlen(s);
    if (len >= cap) return c12_cfg_fail(n, path, err, "longer than %zu characters", cap - 1);
    memcpy(dst, s, len + 1);
    return C12_OK;
}

c12_rc c12_cfg_long(const c12_cfg_node *n, const char *path, long lo, long hi, long *out, c12_err *err)
{
    const char *s = c12_cfg_scalar(n);
    char *e = NULL;
    long d = s ? strtol(s, &e, 10) : 0;
    if (!s || !*s || *e || d < lo || d > hi)
        return c12_cfg_fail(n, path, err, "must be an integer from %ld to %ld", lo, hi);
    *out = d;
    return C12_OK;
}

c12_rc c12_cfg_num(const c12_cfg_node *n, const char *path, double lo, double hi, double *out, c12_err *err)
{
    const char *s = c12_cfg_scalar(n);
    char *e = NULL;
    double d = s ? strtod(s, &e) : NAN;
    if (!s || !*s || *e || !isfinite(d) || d < lo || d > hi)
        return c12_cfg_fail(n, path, err, "must be a number from %g to %g", lo, hi);
    *out = d;
    return C12_OK;
}

c12_rc c12_cfg_bool(const c12_cfg_node *n, const char *path, int *out, c12_err *err)
{
    const char *s = c12_cfg_scalar(n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) *out = 1;
    else if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) *out = 0;
    else return c12_cfg_fail(n, path, err, "must be true or false");
    return C12_OK;
}

c12_rc c12_cfg_bytes(const c12_cfg_node *n, const char *path, uint64_t *out, c12_err *err)
{
    static const struct { const char *unit; double mul; } units[] = {
        {"", 1}, {"B", 1}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
        {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
    const char *s = c12_cfg_scalar(n);
    if (s && !strcmp(s, "auto")) {
        *out = 0;
        return C12_OK;
    }
    char *e = NULL;
    double d = s ? strtod(s, &e) : NAN;
    if (s && *s && isfinite(d) && d > 0) {
        while (*e == ' ') e++;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (!strcmp(e, units[i].unit) && d * units[i].mul < 1.8e19) {
                *out = (uint64_t)(d * units[i].mul);
                return C12_OK;
            }
    }
    return c12_cfg_fail(n, path, err, "must be a size in bytes (e.g. 4000000000, 4GB, 3.5GiB) or auto");
}

/* ---- slots ---- */

#define FIELD(T, obj, k) ((T *)((char *)(obj) + (k)->offset))

c12_rc c12_cfg_slot_str(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    return c12_cfg_str(v, path, FIELD(char, obj, k), k->size, err);
}

c12_rc c12_cfg_slot_long(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    return c12_cfg_long(v, path, (long)k->lo, (long)k->hi, FIELD(long, obj, k), err);
}

c12_rc c12_cfg_slot_int(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    long l;
    c12_rc rc = c12_cfg_long(v, path, (long)k->lo, (long)k->hi, &l, err);
    if (rc == C12_OK) *FIELD(int, obj, k) = (int)l;
    return rc;
}

c12_rc c12_cfg_slot_num(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    return c12_cfg_num(v, path, k->lo, k->hi, FIELD(double, obj, k), err);
}

c12_rc c12_cfg_slot_bool(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    return c12_cfg_bool(v, path, FIELD(int, obj, k), err);
}

c12_rc c12_cfg_slot_bytes(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    return c12_cfg_bytes(v, path, FIELD(uint64_t, obj, k), err);
}

c12_rc c12_cfg_slot_ms(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err)
{
    double s;
    c12_rc rc = c12_cfg_num(v, path, k->lo, k->hi, &s, err);
    if (rc == C12_OK) *FIELD(int64_t, obj, k) = (int64_t)(s * 1000 + 0.5);
    return rc;
}

/* ---- walkers ---- */

static void key_names(const c12_cfg_key *keys, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (const c12_cfg_key *k = keys; k->name; k++) {
        size_t used = strlen(buf);
        if (used + 1 < cap) snprintf(buf + used, cap - used, "%s%s", k == keys ? "" : ", ", k->name);
    }
}

static const c12_cfg_key *find_key(const c12_cfg_key *keys, const char *name)
{
    for (const c12_cfg_key *k = keys; k->name; k++)
        if (!strcmp(k->name, name)) return k;
    return NULL;
}

c12_rc c12_cfg_walk(const c12_cfg_node *map, const char *path, const c12_cfg_key *keys, void *obj, c12_err *err)
{
    if (c12_cfg_is_empty(map)) return C12_OK;
    c12_rc rc = c12_cfg_want_map(map, path, err);
    for (size_t i = 0; !rc && i < c12_cfg_len(map); i++) {
        const c12_cfg_node *kn = c12_cfg_pair_key(map, i);
        const char *name = c12_cfg_scalar(kn);
        char kpath[256], known[512];
        snprintf(kpath, sizeof kpath, "%s%s%s", path, *path ? "." : "", name ? name : "?");
        if (!name) return c12_cfg_fail(kn, path, err, "keys must be strings");
        const c12_cfg_key *k = find_key(keys, name);
        if (!k) {
            key_names(keys, known, sizeof known);
            return c12_cfg_fail(kn, kpath, err, "unknown key (known: %s)", known);
        }
        rc = k->set(k, c12_cfg_pair_value(map, i), kpath, obj, err);
    }
    return rc;
}

c12_rc c12_cfg_walk_text(const c12_cfg_node *map, const char *path, c12_cfg_text_fn set, void *obj, c12_err *err)
{
    if (c12_cfg_is_empty(map)) return C12_OK;
    c12_rc rc = c12_cfg_want_map(map, path, err);
    for (size_t i = 0; !rc && i < c12_cfg_len(map); i++) {
        const c12_cfg_node *kn = c12_cfg_pair_key(map, i), *vn = c12_cfg_pair_value(map, i);
        const char *k = c12_cfg_scalar(kn), *v = c12_cfg_scalar(vn);
        c12_err e;
        if (!k || !v) return c12_cfg_fail(kn, path, err, "keys and values must be plain scalars");
        if (set(obj, k, v, &e))
            return c12_fail(err, C12_ERR_INVALID, "%s:%d: %s", c12_cfg_file(vn), c12_cfg_line(vn), e.msg);
    }
    return rc;
}
