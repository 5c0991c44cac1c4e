/* api_rfmt.c - response_format into the schema graph of constrained
 * decoding. The JSON Schema subset is what OpenAI's strict mode and
 * pydantic write: type (one or a list), properties, required,
 * additionalProperties, items, minItems, maxItems, minLength, maxLength,
 * enum, const, anyOf/oneOf (alternatives told apart by their first byte),
 * allOf of one schema, nullable, and $ref to "#/$defs/..." (or
 * "#/definitions/..."), recursive ones too. An object with properties and
 * no additionalProperties is generated closed (only its keys: valid under
 * the schema either way); one without properties takes any keys. */
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "server/api_rfmt.h"

#define MAX_DEFS 64

typedef struct defn {
    const char *name;
    int node;
} defn;

typedef struct cx {
    c12_jsonc_schema *s;
    const json_t *root;
    defn defs[MAX_DEFS];
    int n_defs;
    c12_err *err;
} cx;

/* Keywords that say nothing about which values are valid. */
static const char *const ANNOTATIONS[] = {"title", "description", "default", "examples", "$comment", "deprecated",
                                          "readOnly", "writeOnly", "$schema", "$id", "$defs", "definitions",
                                          "discriminator", NULL};
static const char *const ENFORCED[] = {"type", "properties", "required", "additionalProperties", "items",
                                       "minItems", "maxItems", "minLength", "maxLength", "enum", "const", "anyOf",
                                       "oneOf", "allOf", "nullable", "$ref", NULL};

static int listed(const char *const *l, const char *k)
{
    for (; *l; l++)
        if (!strcmp(*l, k)) return 1;
    return 0;
}

static c12_rc unsupported(cx *c, const char *what, const char *name)
{
    return c12_fail(c->err, C12_ERR_UNSUPPORTED, "%s '%.64s' is not supported by constrained decoding", what, name);
}

static c12_rc compile(cx *c, const json_t *sch, int depth, int *id);

static c12_rc ref(cx *c, const char *r, int depth, int *id)
{
    const char *name = NULL, *sect = NULL;
    if (!strncmp(r, "#/$defs/", 8)) name = r + 8, sect = "$defs";
    else if (!strncmp(r, "#/definitions/", 14)) name = r + 14, sect = "definitions";
    const json_t *def = name ? json_object_get(json_object_get(c->root, sect), name) : NULL;
    if (!def) return c12_fail(c->err, C12_ERR_UNSUPPORTED, "$ref '%.100s' does not name an entry of the schema's "
                              "$defs (only local refs are supported)", r);
    for (int i = 0; i < c->n_defs; i++)
        if (!strcmp(c->defs[i].name, r)) {
            *id = c->defs[i].node;
            return C12_OK;
        }
    if (c->n_defs >= MAX_DEFS) return c12_fail(c->err, C12_ERR_UNSUPPORTED, "schema: more than %d $defs", MAX_DEFS);
    /* the node first, so a recursive model refers to it */
    int node;
    c12_rc rc = c12_jsonc_node_new(c->s, 0, &node, c->err);
    if (rc) return rc;
    c->defs[c->n_defs++] = (defn){r, node};
    if ((rc = compile(c, def, depth + 1, &node))) return rc;
    *id = node;
    return C12_OK;
}

static c12_rc types(cx *c, const json_t *t, unsigned *out)
{
    static const struct { const char *n; unsigned bit; } T[] = {
        {"string", C12_JSONC_STR}, {"number", C12_JSONC_NUM}, {"integer", C12_JSONC_INT}, {"boolean", C12_JSONC_BOOL},
        {"null", C12_JSONC_NULL}, {"object", C12_JSONC_OBJ}, {"array", C12_JSONC_ARR}};
    size_t n = json_is_array(t) ? json_array_size(t) : 1;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_is_array(t) ? json_array_get(t, i) : t;
        size_t k = 0;
        while (json_is_string(e) && k < sizeof T / sizeof T[0] && strcmp(T[k].n, json_string_value(e))) k++;
        if (!json_is_string(e) || k == sizeof T / sizeof T[0])
            return c12_fail(c->err, C12_ERR_INVALID, "schema: 'type' must be one of string, number, integer, boolean, "
                            "null, object, array (or a list of them)");
        bits |= T[k].bit;
    }
    *out = bits;
    return C12_OK;
}

static c12_rc count(cx *c, const json_t *sch, const char *k, int *out)
{
    const json_t *v = json_object_get(sch, k);
    if (!v) return C12_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
        return c12_fail(c->err, C12_ERR_INVALID, "schema: '%s' must be an integer from 0 to 65535", k);
    *out = (int)json_integer_value(v);
    return C12_OK;
}

static c12_rc object(cx *c, const json_t *sch, int node, int depth)
{
    const json_t *props = json_object_get(sch, "properties"), *req = json_object_get(sch, "required");
    const json_t *add = json_object_get(sch, "additionalProperties");
    if (props && !json_is_object(props)) return c12_fail(c->err, C12_ERR_INVALID, "schema: 'properties' must be an object");
    if (req && !json_is_array(req)) return c12_fail(c->err, C12_ERR_INVALID, "schema: 'required' must be an array");
    size_t i;
    const json_t *r;
    json_array_foreach(req, i, r)
        if (!json_is_string(r) || !json_object_get(props, json_string_value(r)))
            return c12_fail(c->err, C12_ERR_UNSUPPORTED, "schema: 'required' names a key that 'properties' does not have");
    const char *k;
    const json_t *v;
    c12_rc rc;
    if (json_object_size(props) > C12_JSONC_MAX_PROPS)
        return c12_fail(c->err, C12_ERR_UNSUPPORTED, "schema: an object with more than %d properties",
                        C12_JSONC_MAX_PROPS);
    int child[C12_JSONC_MAX_PROPS], np = 0;
    json_object_foreach((json_t *)props, k, v) { /* the values' nodes first: a node's properties are added together */
        child[np] = -1;
        if ((rc = compile(c, v, depth + 1, &child[np++]))) return rc;
    }
    np = 0;
    json_object_foreach((json_t *)props, k, v) {
        int must = 0;
        json_array_foreach(req, i, r) must |= !strcmp(json_string_value(r), k);
        json_t *kj = json_string(k);
        char *esc = kj ? json_dumps(kj, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        json_decref(kj);
        if (!esc) return c12_fail(c->err, C12_ERR_NOMEM, "out of memory");
        rc = c12_jsonc_node_prop(c->s, node, esc + 1, strlen(esc) - 2, child[np++], must, c->err); /* without the quotes */
        c12_free(esc);
        if (rc) return rc;
    }
    int extra = -1;
    if (json_is_true(add) || (!add && !props)) extra = 0; /* any value */
    else if (json_is_object(add) && (rc = compile(c, add, depth + 1, &extra))) return rc;
    else if (add && !json_is_boolean(add) && !json_is_object(add))
        return c12_fail(c->err, C12_ERR_INVALID, "schema: 'additionalProperties' must be a boolean or a schema");
    c12_jsonc_node_additional(c->s, node, extra);
    return C12_OK;
}

static c12_rc array(cx *c, const json_t *sch, int node, int depth)
{
    const json_t *items = json_object_get(sch, "items");
    int child = -1, mn = 0, mx = -1;
    c12_rc rc;
    if (items && !json_is_object(items) && !json_is_boolean(items))
        return unsupported(c, "the keyword", "items (as a list of schemas)");
    if (items && (rc = compile(c, items, depth + 1, &child))) return rc;
    if (!items) child = 0; /* any value */
    if ((rc = count(c, sch, "minItems", &mn)) || (rc = count(c, sch, "maxItems", &mx))) return rc;
    c12_jsonc_node_items(c->s, node, child, mn, mx);
    return C12_OK;
}

static c12_rc literals(cx *c, const json_t *sch, int node)
{
    const json_t *e = json_object_get(sch, "enum"), *k = json_object_get(sch, "const");
    if (e && (!json_is_array(e) || !json_array_size(e)))
        return c12_fail(c->err, C12_ERR_INVALID, "schema: 'enum' must be a non-empty array");
    size_t n = e ? json_array_size(e) : 1;
    for (size_t i = 0; i < n; i++) {
        char *t = json_dumps(e ? json_array_get(e, i) : k, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!t) return c12_fail(c->err, C12_ERR_NOMEM, "out of memory");
        c12_rc rc = c12_jsonc_node_literal(c->s, node, t, strlen(t), c->err);
        c12_free(t);
        if (rc) return rc;
    }
    return C12_OK;
}

static c12_rc alternatives(cx *c, const json_t *l, const char *kw, int node, int depth)
{
    if (!json_is_array(l) || !json_array_size(l))
        return c12_fail(c->err, C12_ERR_INVALID, "schema: '%s' must be a non-empty array", kw);
    size_t i;
    const json_t *a;
    json_array_foreach(l, i, a) {
        int child = -1;
        c12_rc rc = compile(c, a, depth + 1, &child);
        if (!rc) rc = c12_jsonc_node_alt(c->s, node, child, c->err);
        if (rc) return rc;
    }
    return C12_OK;
}

/* The node's content from schema object sch (node already made). */
static c12_rc fill(cx *c, const json_t *sch, int node, int depth)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)sch, k, v)
        if (!listed(ANNOTATIONS, k) && !listed(ENFORCED, k)) return unsupported(c, "the JSON Schema keyword", k);
    const json_t *any = json_object_get(sch, "anyOf") ? json_object_get(sch, "anyOf") : json_object_get(sch, "oneOf");
    if (any && json_object_get(sch, "anyOf") && json_object_get(sch, "oneOf"))
        return unsupported(c, "the combination", "anyOf with oneOf");
    if (any && (json_object_get(sch, "type") || json_object_get(sch, "enum") || json_object_get(sch, "const")))
        return unsupported(c, "the combination", "anyOf with type, enum or const");
    if (any) return alternatives(c, any, json_object_get(sch, "anyOf") ? "anyOf" : "oneOf", node, depth);
    if (json_object_get(sch, "enum") || json_object_get(sch, "const")) return literals(c, sch, node);
    unsigned t = C12_JSONC_ANY;
    const json_t *tj = json_object_get(sch, "type");
    c12_rc rc;
    if (tj && (rc = types(c, tj, &t))) return rc;
    if (!tj && json_object_get(sch, "properties")) t = C12_JSONC_OBJ;
    if (!tj && json_object_get(sch, "items")) t = C12_JSONC_ARR;
    if (json_is_true(json_object_get(sch, "nullable"))) t |= C12_JSONC_NULL;
    c12_jsonc_node_types(c->s, node, t);
    int mn = 0, mx = -1;
    if ((rc = count(c, sch, "minLength", &mn)) || (rc = count(c, sch, "maxLength", &mx))) return rc;
    c12_jsonc_node_strlen(c->s, node, mn, mx);
    if ((t & C12_JSONC_OBJ) && (rc = object(c, sch, node, depth))) return rc;
    if ((t & C12_JSONC_ARR) && (rc = array(c, sch, node, depth))) return rc;
    return C12_OK;
}

/* A subschema: *id is its node (a $ref's is the definition's own). When
 * *id >= 0 on entry (a definition's reserved node) it is filled in place. */
static c12_rc compile(cx *c, const json_t *sch, int depth, int *id)
{
    if (depth > C12_RFMT_MAX_DEPTH)
        return c12_fail(c->err, C12_ERR_UNSUPPORTED, "schema: nested more than %d deep", C12_RFMT_MAX_DEPTH);
    int reserved = *id;
    if (json_is_true(sch) && reserved < 0) return *id = 0, C12_OK;
    if (!json_is_object(sch)) return c12_fail(c->err, C12_ERR_INVALID, "schema: a subschema must be an object");
    const json_t *r = json_object_get(sch, "$ref"), *all = json_object_get(sch, "allOf");
    const char *k;
    const json_t *v;
    if (r || all) { /* the one schema they name, with annotations alone beside it */
        json_object_foreach((json_t *)sch, k, v)
            if (strcmp(k, r ? "$ref" : "allOf") && !listed(ANNOTATIONS, k))
                return unsupported(c, "a keyword beside $ref or allOf:", k);
        if (r && all) return unsupported(c, "the combination", "$ref with allOf");
        if (r && !json_is_string(r)) return c12_fail(c->err, C12_ERR_INVALID, "schema: '$ref' must be a string");
        if (all && (!json_is_array(all) || json_array_size(all) != 1))
            return unsupported(c, "the keyword", "allOf (but with one schema)");
        int target = -1;
        c12_rc rc = r ? ref(c, json_string_value(r), depth, &target) : compile(c, json_array_get(all, 0), depth + 1, &target);
        if (rc) return rc;
        if (reserved < 0) return *id = target, C12_OK;
        return c12_jsonc_node_alt(c->s, reserved, target, c->err); /* a definition that is itself a ref */
    }
    int node = reserved;
    c12_rc rc = node >= 0 ? C12_OK : c12_jsonc_node_new(c->s, 0, &node, c->err);
    if (!rc) rc = fill(c, sch, node, depth);
    if (!rc) *id = node;
    return rc;
}

c12_rc c12_rfmt_compile(const json_t *schema, c12_jsonc_schema **out, c12_err *err)
{
    cx c = {.root = schema, .err = err};
    c12_rc rc = c12_jsonc_schema_new(&c.s, err);
    if (rc) return rc;
    int root = -1;
    if (!(rc = compile(&c, schema, 0, &root))) {
        c12_jsonc_schema_root(c.s, root);
        rc = c12_jsonc_schema_check(c.s, err);
    }
    if (rc) {
        c12_jsonc_schema_free(c.s);
        return rc;
    }
    *out = c.s;
    return C12_OK;
}

static c12_rc bad(char *param, const char *p, c12_err *err, c12_rc rc, const char *msg)
{
    if (param) snprintf(param, 64, "%s", p);
    return c12_fail(err, rc, "%s", msg);
}

/* json_object: any object. */
static c12_rc any_object(c12_jsonc_schema **out, c12_err *err)
{
    c12_jsonc_schema *s;
    int node;
    c12_rc rc = c12_jsonc_schema_new(&s, err);
    if (rc) return rc;
    if ((rc = c12_jsonc_node_new(s, C12_JSONC_OBJ, &node, err))) {
        c12_jsonc_schema_free(s);
        return rc;
    }
    c12_jsonc_node_additional(s, node, 0);
    c12_jsonc_schema_root(s, node);
    *out = s;
    return C12_OK;
}

c12_rc c12_rfmt_read(const json_t *rf, c12_jsonc_schema **out, char *param, c12_err *err)
{
    if (!rf || json_is_null(rf)) return *out = NULL, C12_OK;
    const json_t *t = json_object_get(rf, "type");
    if (!json_is_object(rf) || !json_is_string(t))
        return bad(param, "response_format", err, C12_ERR_INVALID,
                   "'response_format' must be an object with a 'type': text, json_object or json_schema");
    const char *type = json_string_value(t);
    if (!strcmp(type, "text")) return *out = NULL, C12_OK;
    if (!strcmp(type, "json_object")) return any_object(out, err);
    if (strcmp(type, "json_schema"))
        return bad(param, "response_format.type", err, C12_ERR_INVALID,
                   "'response_format.type' must be text, json_object or json_schema");
    const json_t *js = json_object_get(rf, "json_schema");
    const json_t *name = json_object_get(js, "name"), *sch = json_object_get(js, "schema");
    const json_t *strict = json_object_get(js, "strict");
    if (!json_is_object(js) || !json_is_string(name) || !json_string_length(name) || json_string_length(name) > 64)
        return bad(param, "response_format.json_schema", err, C12_ERR_INVALID,
                   "'response_format.json_schema' must be an object with a 'name' (1 to 64 characters) and a 'schema'");
    if (strict && !json_is_boolean(strict) && !json_is_null(strict))
        return bad(param, "response_format.json_schema.strict", err, C12_ERR_INVALID,
                   "'response_format.json_schema.strict' must be a boolean");
    if (!sch || json_is_null(sch)) return any_object(out, err); /* OpenAI: no schema, any JSON object */
    c12_err e;
    c12_rc rc = c12_rfmt_compile(sch, out, &e);
    if (rc == C12_ERR_NOMEM) return c12_fail(err, rc, "%s", e.msg);
    if (rc) return bad(param, "response_format.json_schema.schema", err, C12_ERR_INVALID, e.msg);
    return C12_OK;
}
