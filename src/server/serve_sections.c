/* serve_sections.c - the energy: and ledger: sections of the configuration
 * file. Their modules own the keys (c12_energy_cfg_set, c12_ledger_cfg_set);
 * this walks the YAML and hands each scalar over, naming file:line when a
 * module refuses one. The other sections belong to src/config, src/carbon
 * and src/route, which read the same file. */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "base/c12_alloc.h"
#include "base/c12_file.h"
#include "server/serve_env.h"

typedef struct sections {
    c12_energy_cfg *energy;
    c12_ledger_cfg *ledger;
} sections;

typedef c12_rc (*set_fn)(sections *s, const char *key, const char *value, c12_err *err);

static c12_rc set_energy(sections *s, const char *k, const char *v, c12_err *err)
{
    return c12_energy_cfg_set(s->energy, k, v, err);
}

static c12_rc set_ledger(sections *s, const char *k, const char *v, c12_err *err)
{
    return c12_ledger_cfg_set(s->ledger, k, v, err);
}

static const struct {
    const char *name;
    set_fn set;
} SECTIONS[] = {{"energy", set_energy}, {"ledger", set_ledger}};

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static c12_rc at(c12_err *err, const char *file, const yaml_node_t *n, const char *sec, const char *what)
{
    return c12_fail(err, C12_ERR_INVALID, "%s:%lu: %s: %s", file, (unsigned long)n->start_mark.line + 1, sec, what);
}

static c12_rc walk_section(yaml_document_t *doc, const yaml_node_t *map, size_t which, sections *s,
                           const char *file, c12_err *err)
{
    const char *sec = SECTIONS[which].name;
    if (map->type == YAML_SCALAR_NODE && !map->data.scalar.length) return C12_OK; /* "energy:" alone */
    if (map->type != YAML_MAPPING_NODE) return at(err, file, map, sec, "must be a mapping");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const yaml_node_t *kn = yaml_document_get_node(doc, p->key), *vn = yaml_document_get_node(doc, p->value);
        const char *k = scalar(kn), *v = scalar(vn);
        if (!k || !v) return at(err, file, kn, sec, "keys and values must be plain scalars");
        c12_err e;
        if (SECTIONS[which].set(s, k, v, &e)) return at(err, file, vn, sec, e.msg);
    }
    return C12_OK;
}

static c12_rc walk(yaml_document_t *doc, sections *s, const char *file, c12_err *err)
{
    const yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root || root->type != YAML_MAPPING_NODE) return C12_OK; /* src/config judges the file's shape */
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const char *k = scalar(yaml_document_get_node(doc, p->key));
        for (size_t i = 0; k && i < sizeof SECTIONS / sizeof SECTIONS[0]; i++) {
            if (strcmp(k, SECTIONS[i].name)) continue;
            c12_rc rc = walk_section(doc, yaml_document_get_node(doc, p->value), i, s, file, err);
            if (rc) return rc;
        }
    }
    return C12_OK;
}

c12_rc c12_serve_sections_parse(const char *text, size_t len, const char *file, c12_energy_cfg *energy,
                                c12_ledger_cfg *ledger, c12_err *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        c12_rc rc = c12_fail(err, C12_ERR_FORMAT, "%s:%zu: %s", file, parser.problem_mark.line + 1,
                             parser.problem ? parser.problem : "YAML error");
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_parser_delete(&parser);
    /* Work on copies: the caller's settings change only on success. */
    c12_energy_cfg e = *energy;
    c12_ledger_cfg l = *ledger;
    sections s = {&e, &l};
    c12_rc rc = walk(&doc, &s, file, err);
    yaml_document_delete(&doc);
    if (rc) return rc;
    *energy = e;
    *ledger = l;
    return C12_OK;
}

c12_rc c12_serve_sections_load(const char *path, c12_energy_cfg *energy, c12_ledger_cfg *ledger, c12_err *err)
{
    char *text;
    size_t len;
    c12_rc rc = c12_read_file(path, 1u << 20, &text, &len, err);
    if (rc) return rc;
    rc = c12_serve_sections_parse(text, len, path, energy, ledger, err);
    c12_free(text);
    return rc;
}
