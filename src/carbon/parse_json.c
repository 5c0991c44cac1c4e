/* parse_json.c - jansson helpers for the provider parsers. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon.h"
#include "carbon/carbon_json.h"

static pthread_once_t json_once = PTHREAD_ONCE_INIT;

/* jansson reports a failed allocation during parsing as a syntax error, so
 * its allocator notes failures here, per thread, for the one json_loadb call
 * that is running on it. */
static _Thread_local int json_oom;

static void *json_alloc(size_t n)
{
    void *p = c12_malloc(n);
    if (!p) json_oom = 1;
    return p;
}

/* jansson's allocator is process-wide configuration. Pointing it at
 * c12_alloc keeps the project's rule (all heap through c12_alloc) and lets
 * the OOM tests fail jansson's allocations too. c12_free is free(), so
 * objects made before this ran are still freed correctly. */
static void json_setup(void) { json_set_alloc_funcs(json_alloc, c12_free); }

c12_rc c12_carbon_json_load(const char *body, size_t len, const char *what, json_t **out,
                            c12_err *err)
{
    pthread_once(&json_once, json_setup);
    json_error_t je;
    json_oom = 0;
    json_t *root = json_loadb(body, len, 0, &je);
    if (!root) {
        if (json_oom || json_error_code(&je) == json_error_out_of_memory) return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", what);
        return c12_fail(err, C12_ERR_FORMAT, "%s: malformed JSON at line %d column %d: %s", what,
                        je.line, je.column, je.text);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return c12_fail(err, C12_ERR_FORMAT, "%s: expected a JSON object", what);
    }
    *out = root;
    return C12_OK;
}

int c12_carbon_json_num(const json_t *obj, const char *key, double lo, double hi, double *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_number(v)) return 0;
    double d = json_number_value(v);
    if (!isfinite(d) || d < lo || d > hi) return 0;
    *out = d;
    return 1;
}

int c12_carbon_json_time(const json_t *obj, const char *key, int64_t *out_ms)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && c12_carbon_parse_time(s, out_ms) == C12_OK;
}

void c12_carbon_json_str(const json_t *obj, const char *key, char *dst, size_t size)
{
    const char *s = json_string_value(json_object_get(obj, key));
    size_t n = s ? strlen(s) : 0;
    if (n >= size) n = size - 1;
    if (n) memcpy(dst, s, n);
    dst[n] = '\0';
}
