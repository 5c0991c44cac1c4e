/* cfg_doc.c - the one YAML reader: libyaml's document API, turned into
 * c12_cfg_node's once. Node i of the tree is node i of libyaml's document,
 * so an alias is a second reference to the same node (no copy: a file of
 * nested aliases cannot blow up), and scalars point into libyaml's
 * document, which the c12_cfg_doc keeps. */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "base/c12_alloc.h"
#include "base/c12_file.h"
#include "config/cfg_node.h"

struct c12_cfg_node {
    c12_cfg_kind kind;
    int line;
    const c12_cfg_doc *doc;
    const char *text;              /* scalar */
    size_t n;                      /* sequence items, mapping pairs */
    const c12_cfg_node **items;    /* sequence: n; mapping: key, value, key, value, ... */
};

struct c12_cfg_doc {
    yaml_document_t yaml;
    c12_cfg_node *nodes;
    const c12_cfg_node **refs;     /* every node's items, one array */
    const c12_cfg_node *root;
    char file[1024];
};

static size_t refs_needed(const yaml_document_t *y)
{
    size_t total = 0;
    for (const yaml_node_t *n = y->nodes.start; n < y->nodes.top; n++) {
        if (n->type == YAML_SEQUENCE_NODE) total += (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (n->type == YAML_MAPPING_NODE) total += 2 * (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    }
    return total;
}

/* libyaml numbers nodes from 1. */
static const c12_cfg_node *at(const c12_cfg_doc *d, int id) { return &d->nodes[id - 1]; }

static void link_node(c12_cfg_doc *d, const yaml_node_t *y, c12_cfg_node *n, const c12_cfg_node ***next)
{
    n->doc = d;
    n->line = (int)y->start_mark.line + 1;
    n->items = *next;
    if (y->type == YAML_SCALAR_NODE) {
        n->kind = C12_CFG_SCALAR;
        n->text = (const char *)y->data.scalar.value;
    } else if (y->type == YAML_SEQUENCE_NODE) {
        n->kind = C12_CFG_SEQ;
        for (yaml_node_item_t *it = y->data.sequence.items.start; it < y->data.sequence.items.top; it++)
            n->items[n->n++] = at(d, *it);
    } else {
        n->kind = C12_CFG_MAP;
        for (yaml_node_pair_t *p = y->data.mapping.pairs.start; p < y->data.mapping.pairs.top; p++, n->n++) {
            n->items[2 * n->n] = at(d, p->key);
            n->items[2 * n->n + 1] = at(d, p->value);
        }
    }
    *next += n->kind == C12_CFG_MAP ? 2 * n->n : n->n;
}

static c12_rc build(c12_cfg_doc *d, c12_err *err)
{
    size_t count = (size_t)(d->yaml.nodes.top - d->yaml.nodes.start), nrefs = refs_needed(&d->yaml);
    d->nodes = c12_calloc(count ? count : 1, sizeof *d->nodes);
    d->refs = c12_calloc(nrefs ? nrefs : 1, sizeof *d->refs);
    if (!d->nodes || !d->refs) return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", d->file);
    const c12_cfg_node **next = d->refs;
    for (size_t i = 0; i < count; i++) link_node(d, &d->yaml.nodes.start[i], &d->nodes[i], &next);
    const c12_cfg_node *root = count ? &d->nodes[0] : NULL; /* libyaml's root is node 1 */
    d->root = c12_cfg_is_empty(root) ? NULL : root;
    return C12_OK;
}

c12_rc c12_cfg_doc_parse(const char *text, size_t len, const char *file, c12_cfg_doc **out, c12_err *err)
{
    c12_cfg_doc *d = c12_calloc(1, sizeof *d);
    yaml_parser_t parser;
    if (!d) return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", file);
    snprintf(d->file, sizeof d->file, "%s", file);
    if (!yaml_parser_initialize(&parser)) {
        c12_free(d);
        return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", file);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &d->yaml)) {
        c12_rc rc = c12_fail(err, C12_ERR_FORMAT, "%s:%zu: %s", file, parser.problem_mark.line + 1,
                             parser.problem ? parser.problem : "YAML error");
        yaml_parser_delete(&parser);
        c12_free(d);
        return rc;
    }
    yaml_parser_delete(&parser);
    c12_rc rc = build(d, err);
    if (rc) {
        c12_cfg_doc_free(d);
        return rc;
    }
    *out = d;
    return C12_OK;
}

c12_rc c12_cfg_doc_load(const char *path, c12_cfg_doc **out, c12_err *err)
{
    char *text;
    size_t len;
    c12_rc rc = c12_read_file(path, C12_CFG_FILE_MAX, &text, &len, err);
    if (rc) return rc;
    rc = c12_cfg_doc_parse(text, len, path, out, err);
    c12_free(text);
    return rc;
}

void c12_cfg_doc_free(c12_cfg_doc *d)
{
    if (!d) return;
    yaml_document_delete(&d->yaml);
    c12_free(d->nodes);
    c12_free(d->refs);
    c12_free(d);
}

const c12_cfg_node *c12_cfg_doc_root(const c12_cfg_doc *d) { return d->root; }
const char *c12_cfg_doc_file(const c12_cfg_doc *d) { return d->file; }

c12_cfg_kind c12_cfg_kind_of(const c12_cfg_node *n) { return n->kind; }
int c12_cfg_line(const c12_cfg_node *n) { return n ? n->line : 0; }
const char *c12_cfg_file(const c12_cfg_node *n) { return n ? n->doc->file : "(configuration)"; }
const char *c12_cfg_scalar(const c12_cfg_node *n) { return n && n->kind == C12_CFG_SCALAR ? n->text : NULL; }
int c12_cfg_is_empty(const c12_cfg_node *n) { return n && n->kind == C12_CFG_SCALAR && !n->text[0]; }
size_t c12_cfg_len(const c12_cfg_node *n) { return n && n->kind != C12_CFG_SCALAR ? n->n : 0; }
const c12_cfg_node *c12_cfg_item(const c12_cfg_node *seq, size_t i) { return seq->items[i]; }
const c12_cfg_node *c12_cfg_pair_key(const c12_cfg_node *map, size_t i) { return map->items[2 * i]; }
const c12_cfg_node *c12_cfg_pair_value(const c12_cfg_node *map, size_t i) { return map->items[2 * i + 1]; }

const c12_cfg_node *c12_cfg_get(const c12_cfg_node *map, const char *key)
{
    if (!map || map->kind != C12_CFG_MAP) return NULL;
    for (size_t i = 0; i < map->n; i++) {
        const char *k = c12_cfg_scalar(c12_cfg_pair_key(map, i));
        if (k && !strcmp(k, key)) return c12_cfg_pair_value(map, i);
    }
    return NULL;
}
