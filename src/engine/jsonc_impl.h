/* jsonc_impl.h - the schema graph and the automaton's state, shared by
 * jsonc_schema.c (building), jsonc.c (stepping) and jsonc_mask.c (the walk
 * over the vocabulary, which saves and restores the state's top frames). */
#ifndef C12_JSONC_IMPL_H
#define C12_JSONC_IMPL_H

#include "c12_jsonc.h"

typedef struct jsonc_lit {
    uint32_t off;  /* into the schema's byte pool */
    uint16_t len;
} jsonc_lit;

typedef struct jsonc_node {
    unsigned types;
    int n_props;
    int prop0;              /* first of n_props in the schema's props */
    uint64_t required;      /* bits over the properties */
    int additional;         /* node for other keys, or -1 */
    int items, min_items, max_items;
    int min_len, max_len;   /* string characters; max -1: none */
    int n_lits, lit0;       /* enum/const values: n_lits > 0 */
    int n_alts;             /* anyOf: n_alts > 0 */
    int alts[C12_JSONC_MAX_ALTS];
} jsonc_node;

typedef struct jsonc_prop {
    jsonc_lit name;
    int child;
} jsonc_prop;

struct c12_jsonc_schema {
    jsonc_node *nodes;
    int n_nodes;
    jsonc_prop *props;
    int n_props, cap_props;
    jsonc_lit *lits;
    int n_lits, cap_lits;
    char *pool;
    size_t pool_len, pool_cap;
    int root;
    int lit_bool, lit_null; /* built-in literal lists: true/false, null */
};

/* A frame of the automaton's stack: an open value. */
enum { F_OBJ = 1, F_ARR, F_STR, F_NUM, F_LIT };

typedef struct jsonc_frame {
    uint8_t kind, st;
    uint8_t u8_left, u8_lo, u8_hi; /* string: continuation bytes still due, the next one's range */
    uint8_t flags;                 /* string: a key; number: integer only */
    int16_t prop;                  /* object: the property whose value comes (-1: additional) */
    uint16_t node;                 /* schema node (a literal frame: its first literal) */
    uint16_t n;                    /* string chars / key or literal bytes / number bytes / array items */
    uint16_t hex;                  /* \u escape: its value so far */
    uint16_t n_lits;               /* literal frame: how many literals from `node` */
    uint64_t bits;                 /* object: properties seen; key, literal: candidates */
} jsonc_frame;

enum { R_START = 0, R_DONE };

#define JSONC_TOKEN_MAX 256 /* bytes of a token the mask tries (longer ones: never allowed) */
#define JSONC_UNDO_FRAMES 4 /* a byte changes at most the top three frames (a number ending a
                               value that ends an object in an array) */

/* What one byte may change: restored to walk back up the vocabulary's trie. */
typedef struct jsonc_undo {
    int depth;
    uint8_t root, ws, nl;
    jsonc_frame f[JSONC_UNDO_FRAMES];
} jsonc_undo;

struct c12_jsonc {
    const c12_jsonc_schema *s;
    int depth;
    uint8_t root;   /* R_START, R_DONE */
    uint8_t ws, nl; /* blanks in a row, newlines among them */
    jsonc_frame f[C12_JSONC_MAX_DEPTH];
    jsonc_undo *undo; /* [JSONC_TOKEN_MAX + 1]: the mask's scratch */
};

/* One byte: 1 when accepted. */
int c12_jsonc_step(c12_jsonc *j, unsigned char b);
/* 1 when the automaton is inside a string value, between characters, with
 * room for at least `chars` more: any run of plain characters (no quote,
 * backslash or control byte; whole UTF-8) is accepted there. */
int c12_jsonc_in_plain_string(const c12_jsonc *j, int chars);
/* 1 when bytes[0..n) are such a run. */
int c12_jsonc_plain_bytes(const unsigned char *b, size_t n);

#endif
