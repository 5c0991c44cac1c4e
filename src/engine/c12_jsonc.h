/* c12_jsonc.h - constrained decoding to JSON: a schema graph (built by
 * the caller from a client's JSON Schema, src/server/api_rfmt.c), a
 * byte-level pushdown automaton that accepts exactly the prefixes of JSON
 * texts valid under it (jsonc.c), and the mask that lets a sampler pick only
 * tokens whose bytes keep the output such a prefix (jsonc_mask.c).
 *
 * The schema is immutable once built and may be shared; an automaton is one
 * generation's state. Limits are fixed so that a client's schema cannot make
 * the automaton large: at most C12_JSONC_MAX_NODES nodes, 64 properties per
 * object, 64 values per enum, C12_JSONC_MAX_DEPTH open values at once. */
#ifndef C12_JSONC_H
#define C12_JSONC_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"

#define C12_JSONC_MAX_NODES 512
#define C12_JSONC_MAX_PROPS 64
#define C12_JSONC_MAX_ENUM 64
#define C12_JSONC_MAX_ALTS 8
#define C12_JSONC_MAX_DEPTH 32   /* open containers, strings, numbers at once */
#define C12_JSONC_MAX_LITERAL 256 /* bytes of one enum/const value or property name */
#define C12_JSONC_WS_MAX 24      /* blanks in a row between tokens of the JSON (two newlines at most, no \r) */
#define C12_JSONC_NUM_MAX 32     /* bytes of one number */

/* The JSON types a node allows (bits). */
enum {
    C12_JSONC_NULL = 1 << 0,
    C12_JSONC_BOOL = 1 << 1,
    C12_JSONC_INT = 1 << 2,
    C12_JSONC_NUM = 1 << 3, /* any number (integers included) */
    C12_JSONC_STR = 1 << 4,
    C12_JSONC_ARR = 1 << 5,
    C12_JSONC_OBJ = 1 << 6,
    C12_JSONC_ANY = (1 << 7) - 1,
};

typedef struct c12_jsonc_schema c12_jsonc_schema;

/* An empty schema. Node 0 exists already: any JSON value (objects with
 * any keys, arrays of anything); the root is node 0 until set. */
c12_rc c12_jsonc_schema_new(c12_jsonc_schema **out, c12_err *err);
void c12_jsonc_schema_free(c12_jsonc_schema *s);
/* A new node allowing `types`, with no properties, no additional
 * properties (a closed object), items of any value, no enum. *id its index. */
c12_rc c12_jsonc_node_new(c12_jsonc_schema *s, unsigned types, int *id, c12_err *err);
/* The types a node allows (replacing those it was made with). */
void c12_jsonc_node_types(c12_jsonc_schema *s, int node, unsigned types);
/* Object: a property (name as its JSON-escaped bytes, without quotes). */
c12_rc c12_jsonc_node_prop(c12_jsonc_schema *s, int node, const char *name, size_t len, int child, int required,
                           c12_err *err);
/* Object: keys other than the properties take values of node `child`; -1: none allowed. */
void c12_jsonc_node_additional(c12_jsonc_schema *s, int node, int child);
/* Array: items of node `child`, between min and max of them (max -1: no bound). */
void c12_jsonc_node_items(c12_jsonc_schema *s, int node, int child, int min, int max);
/* String: between min and max characters (max -1: no bound). */
void c12_jsonc_node_strlen(c12_jsonc_schema *s, int node, int min, int max);
/* enum/const: the value must be one of these JSON texts, written compactly
 * (the node's types are then ignored). */
c12_rc c12_jsonc_node_literal(c12_jsonc_schema *s, int node, const char *json, size_t len, c12_err *err);
/* anyOf: the value is one of the alternatives, chosen by its first byte
 * (c12_jsonc_schema_check refuses alternatives that may start alike). */
c12_rc c12_jsonc_node_alt(c12_jsonc_schema *s, int node, int child, c12_err *err);
void c12_jsonc_schema_root(c12_jsonc_schema *s, int node);
/* Checks what the builder cannot see one call at a time: anyOf
 * alternatives that could start with the same byte, an enum with no value.
 * C12_ERR_UNSUPPORTED with a reason. */
c12_rc c12_jsonc_schema_check(c12_jsonc_schema *s, c12_err *err);

/* --- the automaton --- */
typedef struct c12_jsonc c12_jsonc;
c12_rc c12_jsonc_new(const c12_jsonc_schema *s, c12_jsonc **out, c12_err *err);
void c12_jsonc_free(c12_jsonc *j);
/* Feed bytes: 1 when the text so far is still a prefix of a valid value
 * (then the state has advanced), 0 when a byte was refused (the state is then
 * undefined: the caller feeds only what the mask allowed). */
int c12_jsonc_feed(c12_jsonc *j, const char *bytes, size_t n);
/* 1 when the text so far is a complete value (generation may end here). */
int c12_jsonc_done(const c12_jsonc *j);

/* --- the vocabulary's tokens, for masking (jsonc_mask.c) --- */
struct c12_model;
typedef struct c12_jsonc_vocab c12_jsonc_vocab;
/* Index a model's vocabulary once: each token's bytes, sorted, with the
 * prefix shared with the one before. Special tokens (control, user-defined,
 * unknown) are left out; end-of-generation tokens are listed apart. */
c12_rc c12_jsonc_vocab_new(const struct c12_model *m, c12_jsonc_vocab **out, c12_err *err);
void c12_jsonc_vocab_free(c12_jsonc_vocab *v);
/* The same from token texts (id i: text[i], len[i] bytes; 0 bytes: never
 * allowed) and end-of-generation ids: for tests, which compare the walk
 * with feeding each token alone. */
c12_rc c12_jsonc_vocab_from_pieces(const char *const *text, const size_t *len, int n, const int32_t *eog, int n_eog,
                                   c12_jsonc_vocab **out, c12_err *err);
/* Set logits[id] to -inf for every token that may not come next: whose
 * bytes the automaton refuses, a special token, an end-of-generation token
 * before the value is complete. Returns how many tokens stay allowed (0:
 * none can: the caller stops). Does not change j. */
int c12_jsonc_mask(const c12_jsonc_vocab *v, c12_jsonc *j, float *logits);

#endif
