/* calib.c - the calibration file: parse, serialize, load, save, look up.
 * The file is outside bytes (a user may edit it), so parsing checks every
 * value and is fuzzed (tests/fuzz/fuzz_calibration.c). */
#include "base/c12_json.h"
#include "energy/calib.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/c12_alloc.h"
#include "base/c12_home.h"

c12_rc c12_calib_new(c12_calibration **out, c12_err *err)
{
    c12_calibration *c = c12_calloc(1, sizeof *c);
    if (!c) return c12_fail(err, C12_ERR_NOMEM, "calibration: no memory");
    *out = c;
    return C12_OK;
}

void c12_calib_free(c12_calibration *c) { c12_free(c); }

const c12_calib_entry *c12_calib_find(const c12_calibration *c, const char *model)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (strcmp(c->e[i].model, model) == 0) return &c->e[i];
    return NULL;
}

c12_rc c12_calib_set(c12_calibration *c, const c12_calib_entry *e, c12_err *err)
{
    c12_calib_entry *slot = (c12_calib_entry *)c12_calib_find(c, e->model);
    if (!slot) {
        if (c->n >= C12_CALIB_MAX_MODELS)
            return c12_fail(err, C12_ERR_RANGE, "calibration: more than %d models",
                            C12_CALIB_MAX_MODELS);
        slot = &c->e[c->n++];
    }
    *slot = *e;
    return C12_OK;
}

double c12_calib_expected_j(const c12_calib_entry *e, double prompt_tokens, double output_tokens)
{
    return e->j_per_prompt_token * prompt_tokens + e->j_per_output_token * output_tokens;
}

double c12_calib_expected_s(const c12_calib_entry *e, double prompt_tokens, double output_tokens)
{
    return e->s_per_prompt_token * prompt_tokens + e->s_per_output_token * output_tokens;
}

/* ---- parsing ---- */

typedef struct num_field {
    const char *key;
    size_t off;
} num_field;

#define NUM(k) {#k, offsetof(c12_calib_entry, k)}
static const num_field NUMS[] = {
    NUM(j_per_prompt_token), NUM(j_per_output_token), NUM(s_per_prompt_token),
    NUM(s_per_output_token), NUM(load_s), NUM(load_j), NUM(watts_per_core),
};
#define INT(k) {#k, offsetof(c12_calib_entry, k)}
static const num_field INTS[] = {INT(threads), INT(prompt_tokens), INT(output_tokens)};

static c12_rc get_str(json_t *o, const char *model, const char *key, char *dst, size_t cap,
                      c12_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!v) return C12_OK;
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return c12_fail(err, C12_ERR_FORMAT, "calibration: %s.%s: a string of < %zu bytes", model,
                        key, cap);
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return C12_OK;
}

static c12_rc parse_entry(const char *model, json_t *o, c12_calib_entry *e, c12_err *err)
{
    memset(e, 0, sizeof *e);
    if (!json_is_object(o)) return c12_fail(err, C12_ERR_FORMAT, "calibration: %s: not an object", model);
    if (strlen(model) == 0 || strlen(model) >= sizeof e->model)
        return c12_fail(err, C12_ERR_FORMAT, "calibration: bad model name");
    snprintf(e->model, sizeof e->model, "%s", model);
    for (size_t i = 0; i < sizeof NUMS / sizeof NUMS[0]; i++) {
        json_t *v = json_object_get(o, NUMS[i].key);
        if (!v) continue;
        double d = json_number_value(v);
        if (!json_is_number(v) || !isfinite(d) || d < 0 || d > 1e12)
            return c12_fail(err, C12_ERR_FORMAT, "calibration: %s.%s: not a number >= 0", model,
                            NUMS[i].key);
        *(double *)((char *)e + NUMS[i].off) = d;
    }
    for (size_t i = 0; i < sizeof INTS / sizeof INTS[0]; i++) {
        json_t *v = json_object_get(o, INTS[i].key);
        if (!v) continue;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
            return c12_fail(err, C12_ERR_FORMAT, "calibration: %s.%s: not a count", model,
                            INTS[i].key);
        *(int *)((char *)e + INTS[i].off) = (int)json_integer_value(v);
    }
    c12_rc rc = get_str(o, model, "method", e->method, sizeof e->method, err);
    if (rc == C12_OK) rc = get_str(o, model, "measured_at", e->measured_at, sizeof e->measured_at, err);
    return rc;
}

static c12_rc parse_root(json_t *root, c12_calibration *c, c12_err *err)
{
    if (!json_is_object(root)) return c12_fail(err, C12_ERR_FORMAT, "calibration: not a JSON object");
    json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) != 1)
        return c12_fail(err, C12_ERR_FORMAT, "calibration: version must be 1");
    json_t *models = json_object_get(root, "models");
    if (!json_is_object(models)) return c12_fail(err, C12_ERR_FORMAT, "calibration: no \"models\" object");
    const char *name;
    json_t *v;
    json_object_foreach(models, name, v)
    {
        c12_calib_entry e;
        c12_rc rc = parse_entry(name, v, &e, err);
        if (rc == C12_OK) rc = c12_calib_set(c, &e, err);
        if (rc) return rc;
    }
    return C12_OK;
}

/* A calibration from a parsed document (takes the reference to root). */
static c12_rc from_json(json_t *root, c12_calibration **out, c12_err *err)
{
    c12_calibration *c = NULL;
    c12_rc rc = c12_calib_new(&c, err);
    if (rc == C12_OK) rc = parse_root(root, c, err);
    json_decref(root);
    if (rc) {
        c12_calib_free(c);
        return rc;
    }
    *out = c;
    return C12_OK;
}

c12_rc c12_calib_parse(const char *text, size_t len, c12_calibration **out, c12_err *err)
{
    json_t *root = NULL;
    c12_rc rc = c12_json_parse(text, len, JSON_REJECT_DUPLICATES, "calibration", &root, err);
    return rc ? rc : from_json(root, out, err);
}

c12_rc c12_calib_load(const char *path, c12_calibration **out, c12_err *err)
{
    json_t *root = NULL;
    c12_rc rc = c12_json_load_file(path, C12_CALIB_FILE_MAX, JSON_REJECT_DUPLICATES, &root, err);
    return rc ? rc : from_json(root, out, err);
}

/* ---- writing ---- */

static c12_rc put_entry(c12_buf *b, const c12_calib_entry *e, int last)
{
    /* the strings are checked by plain() first, so %s needs no escaping */
    c12_rc rc = c12_buf_printf(
        b,
        "    \"%s\": {\"method\": \"%s\", \"measured_at\": \"%s\", \"threads\": %d,\n"
        "      \"prompt_tokens\": %d, \"output_tokens\": %d, \"watts_per_core\": %.6g,\n"
        "      \"j_per_prompt_token\": %.6g, \"j_per_output_token\": %.6g,\n"
        "      \"s_per_prompt_token\": %.6g, \"s_per_output_token\": %.6g,\n"
        "      \"load_s\": %.6g, \"load_j\": %.6g}%s\n",
        e->model, e->method, e->measured_at, e->threads, e->prompt_tokens, e->output_tokens,
        e->watts_per_core, e->j_per_prompt_token, e->j_per_output_token, e->s_per_prompt_token,
        e->s_per_output_token, e->load_s, e->load_j, last ? "" : ",");
    return rc;
}

static int plain(const char *s)
{
    for (; *s; s++)
        if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20) return 0;
    return 1;
}

c12_rc c12_calib_to_json(const c12_calibration *c, c12_buf *b, c12_err *err)
{
    c12_rc rc = c12_buf_puts(b, "{\"version\": 1, \"models\": {\n");
    for (size_t i = 0; rc == C12_OK && i < c->n; i++) {
        const c12_calib_entry *e = &c->e[i];
        if (!plain(e->model) || !plain(e->method) || !plain(e->measured_at))
            return c12_fail(err, C12_ERR_INVALID, "calibration: a name with quotes or controls");
        rc = put_entry(b, e, i + 1 == c->n);
    }
    if (rc == C12_OK) rc = c12_buf_puts(b, "}}\n");
    return rc ? c12_fail(err, rc, "calibration: no memory") : C12_OK;
}

static c12_rc make_parent(const char *path, c12_err *err)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return C12_OK;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) break;
        *p = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return c12_fail(err, C12_ERR_IO, "%s: %s", dir, strerror(errno));
    return C12_OK;
}

static c12_rc write_file(const char *tmp, const char *data, size_t len, c12_err *err)
{
    FILE *f = fopen(tmp, "wb");
    if (!f) return c12_fail(err, C12_ERR_IO, "%s: %s", tmp, strerror(errno));
    int ok = fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        unlink(tmp);
        return c12_fail(err, C12_ERR_IO, "%s: write failed", tmp);
    }
    return C12_OK;
}

c12_rc c12_calib_save(const c12_calibration *c, const char *path, c12_err *err)
{
    char tmp[1100];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return c12_fail(err, C12_ERR_RANGE, "calibration: path too long");
    c12_buf b;
    c12_buf_init(&b, C12_CALIB_FILE_MAX);
    c12_rc rc = make_parent(path, err);
    if (rc == C12_OK) rc = c12_calib_to_json(c, &b, err);
    if (rc == C12_OK) rc = write_file(tmp, b.data, b.len, err);
    if (rc == C12_OK && rename(tmp, path) != 0) {
        rc = c12_fail(err, C12_ERR_IO, "%s: %s", path, strerror(errno));
        unlink(tmp);
    }
    c12_buf_free(&b);
    return rc;
}

c12_rc c12_calib_default_path(char *out, size_t cap, c12_err *err)
{
    return c12_home_path("calibration.json", out, cap, err);
}
