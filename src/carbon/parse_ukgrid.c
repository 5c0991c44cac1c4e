/* parse_ukgrid.c - UK Carbon Intensity API responses (see carbon_parse.h).
 *
 * The national and regional endpoints wrap the same item ({from, to,
 * intensity}) differently; one walker accepts all of them. */
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon_json.h"
#include "carbon/carbon_parse.h"

/* Bounds the work a hostile body can cause (48 h of half-hours is 96). */
#define MAX_ITEMS 20000

void c12_carbon_uk_list_free(c12_carbon_uk_list *l)
{
    c12_free(l->items);
    l->items = NULL;
    l->n = 0;
}

static c12_rc add_item(const json_t *it, size_t at, c12_carbon_uk_list *l, size_t *cap, c12_err *err)
{
    const json_t *in = json_object_get(it, "intensity");
    c12_carbon_uk_item x;
    memset(&x, 0, sizeof x);
    double fc;
    if (!c12_carbon_json_time(it, "from", &x.from_ms) || !c12_carbon_json_time(it, "to", &x.to_ms) ||
        x.to_ms <= x.from_ms)
        return c12_fail(err, C12_ERR_FORMAT, "ukgrid: item %zu lacks a valid from/to", at);
    if (!json_is_object(in))
        return c12_fail(err, C12_ERR_FORMAT, "ukgrid: item %zu lacks \"intensity\"", at);
    x.has_actual = c12_carbon_json_num(in, "actual", 0, C12_CARBON_MAX_G_KWH, &x.value);
    if (!x.has_actual) {
        /* `actual` is null for the current and future half-hours (and absent
         * in regional data): the forecast stands in, flagged as such. */
        if (!c12_carbon_json_num(in, "forecast", 0, C12_CARBON_MAX_G_KWH, &fc))
            return c12_fail(err, C12_ERR_FORMAT, "ukgrid: item %zu has neither actual nor forecast", at);
        x.value = fc;
    }
    c12_carbon_json_str(in, "index", x.index, sizeof x.index);
    if (l->n == MAX_ITEMS) return c12_fail(err, C12_ERR_RANGE, "ukgrid: more than %d items", MAX_ITEMS);
    if (l->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        c12_carbon_uk_item *p = c12_realloc(l->items, nc * sizeof *p);
        if (!p) return c12_fail(err, C12_ERR_NOMEM, "ukgrid: out of memory");
        l->items = p;
        *cap = nc;
    }
    l->items[l->n++] = x;
    return C12_OK;
}

static c12_rc walk_items(const json_t *arr, int depth, c12_carbon_uk_list *l, size_t *cap,
                         c12_err *err)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *it = json_array_get(arr, i);
        if (!json_is_object(it)) return c12_fail(err, C12_ERR_FORMAT, "ukgrid: item %zu is not an object", i);
        const json_t *inner = json_object_get(it, "data");
        c12_rc rc;
        if (json_is_array(inner)) { /* a region wrapper: {regionid, shortname, data: [...]} */
            if (depth > 0) return c12_fail(err, C12_ERR_FORMAT, "ukgrid: regions nested in regions");
            c12_carbon_json_str(it, "shortname", l->region, sizeof l->region);
            rc = walk_items(inner, depth + 1, l, cap, err);
        } else {
            rc = add_item(it, i, l, cap, err);
        }
        if (rc) return rc;
    }
    return C12_OK;
}

c12_rc c12_carbon_parse_uk(const char *body, size_t len, c12_carbon_uk_list *out, c12_err *err)
{
    json_t *root;
    c12_rc rc = c12_carbon_json_load(body, len, "ukgrid", &root, err);
    if (rc) return rc;
    c12_carbon_uk_list l = {NULL, 0, "GB"};
    size_t cap = 0;
    json_t *data = json_object_get(root, "data");
    if (json_is_object(data)) { /* regional forecast: "data" is one region */
        json_t *one = json_array();
        if (!one || json_array_append(one, data)) {
            json_decref(one);
            json_decref(root);
            return c12_fail(err, C12_ERR_NOMEM, "ukgrid: out of memory");
        }
        rc = walk_items(one, 0, &l, &cap, err);
        json_decref(one);
    } else if (json_is_array(data)) {
        rc = walk_items(data, 0, &l, &cap, err);
    } else {
        rc = c12_fail(err, C12_ERR_FORMAT, "ukgrid: \"data\" missing");
    }
    if (rc == C12_OK && l.n == 0) rc = c12_fail(err, C12_ERR_FORMAT, "ukgrid: no intensity items");
    json_decref(root);
    if (rc) {
        c12_carbon_uk_list_free(&l);
        return rc;
    }
    c12_carbon_uk_list_free(out);
    *out = l;
    return C12_OK;
}
