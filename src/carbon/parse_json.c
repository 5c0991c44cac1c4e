/* parse_json.c - jansson helpers for the provider parsers. */
#include <math.h>
#include <string.h>

#include "base/c12_json.h"
#include "carbon/carbon.h"
#include "carbon/carbon_json.h"

c12_rc c12_carbon_json_load(const char *body, size_t len, const char *what, json_t **out,
                            c12_err *err)
{
    json_t *root = NULL;
    c12_rc rc = c12_json_parse(body, len, 0, what, &root, err);
    if (rc) return rc;
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
