/* jsonc_schema.c - building the schema graph of constrained decoding
 * (c12_jsonc.h) and checking what the automaton needs of it: anyOf
 * alternatives told apart by their first byte. */
#include <string.h>

#include "base/c12_alloc.h"
#include "jsonc_impl.h"

#define MAX_LITS_TOTAL 4096
#define MAX_POOL (256u << 10)

static c12_rc grow(void **p, int *cap, int need, size_t elem, c12_err *err)
{
    if (need <= *cap) return C12_OK;
    int nc = *cap ? *cap * 2 : 16;
    while (nc < need) nc *= 2;
    void *q = c12_realloc(*p, elem * (size_t)nc);
    if (!q) return c12_fail(err, C12_ERR_NOMEM, "schema: out of memory");
    *p = q;
    *cap = nc;
    return C12_OK;
}

static c12_rc add_bytes(c12_jsonc_schema *s, const char *b, size_t n, jsonc_lit *out, c12_err *err)
{
    if (n > C12_JSONC_MAX_LITERAL)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "schema: a name or enum value is longer than %d bytes",
                        C12_JSONC_MAX_LITERAL);
    if (s->pool_len + n > MAX_POOL) return c12_fail(err, C12_ERR_UNSUPPORTED, "schema: too large");
    if (s->pool_len + n > s->pool_cap) {
        size_t nc = s->pool_cap ? s->pool_cap : 1024;
        while (nc < s->pool_len + n) nc *= 2;
        char *q = c12_realloc(s->pool, nc);
        if (!q) return c12_fail(err, C12_ERR_NOMEM, "schema: out of memory");
        s->pool = q;
        s->pool_cap = nc;
    }
    memcpy(s->pool + s->pool_len, b, n);
    *out = (jsonc_lit){.off = (uint32_t)s->pool_len, .len = (uint16_t)n};
    s->pool_len += n;
    return C12_OK;
}

static c12_rc add_lit(c12_jsonc_schema *s, const char *b, size_t n, c12_err *err)
{
    if (s->n_lits >= MAX_LITS_TOTAL) return c12_fail(err, C12_ERR_UNSUPPORTED, "schema: too many enum values");
    c12_rc rc = grow((void **)&s->lits, &s->cap_lits, s->n_lits + 1, sizeof *s->lits, err);
    if (!rc) rc = add_bytes(s, b, n, &s->lits[s->n_lits], err);
    if (!rc) s->n_lits++;
    return rc;
}

c12_rc c12_jsonc_schema_new(c12_jsonc_schema **out, c12_err *err)
{
    c12_jsonc_schema *s = c12_calloc(1, sizeof *s);
    if (!s || !(s->nodes = c12_calloc(C12_JSONC_MAX_NODES, sizeof *s->nodes))) {
        c12_free(s);
        return c12_fail(err, C12_ERR_NOMEM, "schema: out of memory");
    }
    int any;
    c12_rc rc = c12_jsonc_node_new(s, C12_JSONC_ANY, &any, err);
    s->lit_bool = 0;
    if (!rc) rc = add_lit(s, "true", 4, err);
    if (!rc) rc = add_lit(s, "false", 5, err);
    s->lit_null = 2;
    if (!rc) rc = add_lit(s, "null", 4, err);
    if (rc) {
        c12_jsonc_schema_free(s);
        return rc;
    }
    s->nodes[any].additional = any; /* any keys, any values */
    *out = s;
    return C12_OK;
}

void c12_jsonc_schema_free(c12_jsonc_schema *s)
{
    if (!s) return;
    c12_free(s->nodes);
    c12_free(s->props);
    c12_free(s->lits);
    c12_free(s->pool);
    c12_free(s);
}

c12_rc c12_jsonc_node_new(c12_jsonc_schema *s, unsigned types, int *id, c12_err *err)
{
    if (s->n_nodes >= C12_JSONC_MAX_NODES)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "schema: more than %d subschemas", C12_JSONC_MAX_NODES);
    s->nodes[s->n_nodes] = (jsonc_node){.types = types & C12_JSONC_ANY, .additional = -1, .items = 0,
                                        .max_items = -1, .max_len = -1};
    *id = s->n_nodes++;
    return C12_OK;
}

c12_rc c12_jsonc_node_prop(c12_jsonc_schema *s, int node, const char *name, size_t len, int child, int required,
                           c12_err *err)
{
    jsonc_node *n = &s->nodes[node];
    if (n->n_props >= C12_JSONC_MAX_PROPS)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "schema: an object with more than %d properties",
                        C12_JSONC_MAX_PROPS);
    if (n->n_props && n->prop0 + n->n_props != s->n_props)
        return c12_fail(err, C12_ERR_INTERNAL, "schema: properties of a node added out of turn");
    c12_rc rc = grow((void **)&s->props, &s->cap_props, s->n_props + 1, sizeof *s->props, err);
    if (rc) return rc;
    jsonc_prop *p = &s->props[s->n_props];
    if ((rc = add_bytes(s, name, len, &p->name, err))) return rc;
    p->child = child;
    if (!n->n_props) n->prop0 = s->n_props;
    if (required) n->required |= 1ull << n->n_props;
    n->n_props++;
    s->n_props++;
    return C12_OK;
}

void c12_jsonc_node_types(c12_jsonc_schema *s, int node, unsigned types)
{
    s->nodes[node].types = types & C12_JSONC_ANY;
}

void c12_jsonc_node_additional(c12_jsonc_schema *s, int node, int child) { s->nodes[node].additional = child; }

void c12_jsonc_node_items(c12_jsonc_schema *s, int node, int child, int min, int max)
{
    jsonc_node *n = &s->nodes[node];
    n->items = child;
    n->min_items = min < 0 ? 0 : min > 65535 ? 65535 : min;
    n->max_items = max < 0 || max > 65535 ? -1 : max;
}

void c12_jsonc_node_strlen(c12_jsonc_schema *s, int node, int min, int max)
{
    jsonc_node *n = &s->nodes[node];
    n->min_len = min < 0 ? 0 : min > 65535 ? 65535 : min;
    n->max_len = max < 0 || max > 65535 ? -1 : max;
}

c12_rc c12_jsonc_node_literal(c12_jsonc_schema *s, int node, const char *json, size_t len, c12_err *err)
{
    jsonc_node *n = &s->nodes[node];
    if (n->n_lits >= C12_JSONC_MAX_ENUM)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "schema: an enum with more than %d values", C12_JSONC_MAX_ENUM);
    if (n->n_lits && n->lit0 + n->n_lits != s->n_lits)
        return c12_fail(err, C12_ERR_INTERNAL, "schema: enum values of a node added out of turn");
    if (!len) return c12_fail(err, C12_ERR_INVALID, "schema: an empty enum value");
    if (!n->n_lits) n->lit0 = s->n_lits;
    c12_rc rc = add_lit(s, json, len, err);
    if (!rc) n->n_lits++;
    return rc;
}

c12_rc c12_jsonc_node_alt(c12_jsonc_schema *s, int node, int child, c12_err *err)
{
    jsonc_node *n = &s->nodes[node];
    if (n->n_alts >= C12_JSONC_MAX_ALTS)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "schema: anyOf with more than %d alternatives", C12_JSONC_MAX_ALTS);
    n->alts[n->n_alts++] = child;
    return C12_OK;
}

void c12_jsonc_schema_root(c12_jsonc_schema *s, int node) { s->root = node; }

/* ---- the first bytes a node's values can start with ---- */

typedef struct byteset {
    uint64_t w[4];
} byteset;

static void set_add(byteset *b, unsigned char c) { b->w[c >> 6] |= 1ull << (c & 63); }

static void first_bytes(const c12_jsonc_schema *s, int id, int depth, byteset *out)
{
    const jsonc_node *n = &s->nodes[id];
    if (depth > C12_JSONC_MAX_NODES) return; /* a cycle of anyOf through refs: check refuses it */
    if (n->n_alts) {
        for (int i = 0; i < n->n_alts; i++) first_bytes(s, n->alts[i], depth + 1, out);
        return;
    }
    if (n->n_lits) {
        for (int i = 0; i < n->n_lits; i++) set_add(out, (unsigned char)s->pool[s->lits[n->lit0 + i].off]);
        return;
    }
    if (n->types & C12_JSONC_NULL) set_add(out, 'n');
    if (n->types & C12_JSONC_BOOL) set_add(out, 't'), set_add(out, 'f');
    if (n->types & (C12_JSONC_INT | C12_JSONC_NUM)) {
        set_add(out, '-');
        for (int c = '0'; c <= '9'; c++) set_add(out, (unsigned char)c);
    }
    if (n->types & C12_JSONC_STR) set_add(out, '"');
    if (n->types & C12_JSONC_ARR) set_add(out, '[');
    if (n->types & C12_JSONC_OBJ) set_add(out, '{');
}

/* 1 when node id reaches itself through anyOf alone (no byte consumed). */
static int alt_cycle(const c12_jsonc_schema *s, int id, int at, int depth)
{
    const jsonc_node *n = &s->nodes[at];
    if (depth > 0 && at == id) return 1;
    if (depth > 16) return 1; /* deeper anyOf nesting than anyone writes: refused as a cycle */
    for (int i = 0; i < n->n_alts; i++)
        if (alt_cycle(s, id, n->alts[i], depth + 1)) return 1;
    return 0;
}

c12_rc c12_jsonc_schema_check(c12_jsonc_schema *s, c12_err *err)
{
    for (int id = 0; id < s->n_nodes; id++) {
        const jsonc_node *n = &s->nodes[id];
        if (!n->n_alts && !n->n_lits && !n->types)
            return c12_fail(err, C12_ERR_UNSUPPORTED, "schema: a subschema allows no value");
        if (!n->n_alts) continue;
        if (alt_cycle(s, id, id, 0))
            return c12_fail(err, C12_ERR_UNSUPPORTED, "schema: anyOf refers back to itself, or nests too deeply");
        byteset seen = {{0}};
        for (int i = 0; i < n->n_alts; i++) {
            byteset b = {{0}};
            first_bytes(s, n->alts[i], 0, &b);
            for (int w = 0; w < 4; w++) {
                if (b.w[w] & seen.w[w])
                    return c12_fail(err, C12_ERR_UNSUPPORTED, "schema: anyOf alternatives that may start alike (two "
                                    "objects, two strings, two numbers...) cannot be told apart while generating");
                seen.w[w] |= b.w[w];
            }
        }
    }
    return C12_OK;
}
