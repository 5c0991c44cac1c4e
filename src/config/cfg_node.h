/* cfg_node.h - the configuration file as a tree of nodes: the one YAML
 * reader (cfg_doc.c, libyaml) and the small API every section parser uses
 * (cfg_get.c): typed getters that name `file:line: section.key: message` in
 * one style, and nginx-style key tables (ngx_command_t): each row a key, a
 * setter ("slot") and where the value goes, so a section is a table rather
 * than an if/else chain.
 *
 *   static const c12_cfg_key KEYS[] = {
 *       C12_CFG_SLOT("grace_s", c12_cfg_slot_num, c12_config, grace_s, 0, 3600),
 *       C12_CFG_SET("listen", set_listen),          // a setter of its own
 *       {0}};
 *   rc = c12_cfg_walk(node, "server", KEYS, cfg, err);
 *
 * A node lives as long as its document. Nodes of a document are read-only. */
#ifndef C12_CFG_NODE_H
#define C12_CFG_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"

/* The size cap of a configuration file (c12_read_file's). */
#define C12_CFG_FILE_MAX (1u << 20)

typedef struct c12_cfg_doc c12_cfg_doc;
typedef struct c12_cfg_node c12_cfg_node;

typedef enum { C12_CFG_SCALAR = 1, C12_CFG_SEQ, C12_CFG_MAP } c12_cfg_kind;

/* Parse YAML text; `file` names it in messages (copied). */
c12_rc c12_cfg_doc_parse(const char *text, size_t len, const char *file, c12_cfg_doc **out, c12_err *err);
/* Read `path` once (c12_read_file, C12_CFG_FILE_MAX) and parse it. */
c12_rc c12_cfg_doc_load(const char *path, c12_cfg_doc **out, c12_err *err);
void c12_cfg_doc_free(c12_cfg_doc *d);
/* The top node, or NULL for an empty file. */
const c12_cfg_node *c12_cfg_doc_root(const c12_cfg_doc *d);
const char *c12_cfg_doc_file(const c12_cfg_doc *d);

/* ---- reading nodes ---- */
c12_cfg_kind c12_cfg_kind_of(const c12_cfg_node *n);
int c12_cfg_line(const c12_cfg_node *n);
const char *c12_cfg_file(const c12_cfg_node *n);
/* The text of a scalar, or NULL for a mapping or a sequence. */
const char *c12_cfg_scalar(const c12_cfg_node *n);
/* An empty scalar: `energy:` with nothing after it. */
int c12_cfg_is_empty(const c12_cfg_node *n);
/* Items of a sequence, pairs of a mapping (0 for a scalar). */
size_t c12_cfg_len(const c12_cfg_node *n);
const c12_cfg_node *c12_cfg_item(const c12_cfg_node *seq, size_t i);
const c12_cfg_node *c12_cfg_pair_key(const c12_cfg_node *map, size_t i);
const c12_cfg_node *c12_cfg_pair_value(const c12_cfg_node *map, size_t i);
/* The value of `key` in a mapping, or NULL. */
const c12_cfg_node *c12_cfg_get(const c12_cfg_node *map, const char *key);

/* ---- errors and typed getters: "file:line: path: message" ---- */
c12_rc c12_cfg_fail(const c12_cfg_node *n, const char *path, c12_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
c12_rc c12_cfg_want_map(const c12_cfg_node *n, const char *path, c12_err *err);
c12_rc c12_cfg_str(const c12_cfg_node *n, const char *path, char *dst, size_t cap, c12_err *err);
c12_rc c12_cfg_long(const c12_cfg_node *n, const char *path, long lo, long hi, long *out, c12_err *err);
c12_rc c12_cfg_num(const c12_cfg_node *n, const char *path, double lo, double hi, double *out, c12_err *err);
c12_rc c12_cfg_bool(const c12_cfg_node *n, const char *path, int *out, c12_err *err);
/* A size: 4000000000, 4GB, 3.5GiB; "auto" is 0. */
c12_rc c12_cfg_bytes(const c12_cfg_node *n, const char *path, uint64_t *out, c12_err *err);

/* ---- key tables ---- */
typedef struct c12_cfg_key c12_cfg_key;
/* Set the key's field of obj from v; `path` is "section.key". */
typedef c12_rc (*c12_cfg_set_fn)(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj,
                                 c12_err *err);
struct c12_cfg_key {
    const char *name;
    c12_cfg_set_fn set;
    size_t offset;  /* the field in obj */
    size_t size;    /* char arrays: their size */
    double lo, hi;  /* numbers: the range */
};

/* A row whose setter finds its own field; a row for field F of struct T. */
#define C12_CFG_SET(key, fn) {.name = (key), .set = (fn)}
#define C12_CFG_SLOT(key, fn, T, F, min, max)                                                  \
    {.name = (key), .set = (fn), .offset = offsetof(T, F), .size = sizeof(((T *)0)->F), .lo = (min), .hi = (max)}

/* Slots for the common field types (the field at k->offset of obj). */
c12_rc c12_cfg_slot_str(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err);
c12_rc c12_cfg_slot_int(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err);
c12_rc c12_cfg_slot_long(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err);
c12_rc c12_cfg_slot_num(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err);
c12_rc c12_cfg_slot_bool(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err);
c12_rc c12_cfg_slot_bytes(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err);
/* Seconds in the file, int64_t milliseconds in the struct. */
c12_rc c12_cfg_slot_ms(const c12_cfg_key *k, const c12_cfg_node *v, const char *path, void *obj, c12_err *err);

/* Each pair of the mapping through the table ({0}-terminated); a key not in
 * it is "unknown key (known: ...)". An empty node (`server:` alone) is an
 * empty mapping. */
c12_rc c12_cfg_walk(const c12_cfg_node *map, const char *path, const c12_cfg_key *keys, void *obj, c12_err *err);

/* For modules whose keys take text (energy_cfg.c, ledger_cfg.c): each
 * `key: scalar` goes to set(obj, key, text); its message gets file:line. */
typedef c12_rc (*c12_cfg_text_fn)(void *obj, const char *key, const char *value, c12_err *err);
c12_rc c12_cfg_walk_text(const c12_cfg_node *map, const char *path, c12_cfg_text_fn set, void *obj, c12_err *err);

#endif
