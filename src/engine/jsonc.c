/* jsonc.c - the automaton of constrained decoding (c12_jsonc.h): a
 * pushdown machine over bytes whose stack holds the open values (objects,
 * arrays, strings, numbers, literals), each with the schema node it must
 * satisfy. It refuses a byte as soon as no valid JSON text under the schema
 * can continue the prefix: a key the object does not have, a '}' before the
 * required keys, a string past maxLength, invalid UTF-8 or escapes, a lone
 * surrogate or NUL escape (jansson and pydantic refuse those), a run of
 * blanks longer than C12_JSONC_WS_MAX, nesting past C12_JSONC_MAX_DEPTH,
 * more than one space before the value, anything after it.
 * A number or literal has no closing byte: it ends when the next byte
 * cannot continue it, which is then fed to the value around it. */
#include <string.h>

#include "base/c12_alloc.h"
#include "jsonc_impl.h"

/* object sub-states */
enum { O_START, O_KEY, O_COLON, O_VALUE, O_AFTER, O_NEXT };
/* array sub-states */
enum { A_START, A_AFTER, A_NEXT };
/* string sub-states */
enum { S_CHAR, S_ESC, S_HEX };
/* number sub-states */
enum { N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP };

#define FL_KEY 1
#define FL_INT 1

c12_rc c12_jsonc_new(const c12_jsonc_schema *s, c12_jsonc **out, c12_err *err)
{
    c12_jsonc *j = c12_calloc(1, sizeof *j);
    if (!j || !(j->undo = c12_malloc(sizeof *j->undo * (JSONC_TOKEN_MAX + 1)))) {
        c12_free(j);
        return c12_fail(err, C12_ERR_NOMEM, "out of memory");
    }
    j->s = s;
    *out = j;
    return C12_OK;
}

void c12_jsonc_free(c12_jsonc *j)
{
    if (!j) return;
    c12_free(j->undo);
    c12_free(j);
}

static int is_ws(unsigned char b) { return b == ' ' || b == '\n' || b == '\t' || b == '\r'; }

static jsonc_frame *top(c12_jsonc *j) { return &j->f[j->depth - 1]; }

static jsonc_frame *push(c12_jsonc *j, int kind, int node)
{
    if (j->depth >= C12_JSONC_MAX_DEPTH) return NULL;
    jsonc_frame *f = &j->f[j->depth++];
    *f = (jsonc_frame){.kind = (uint8_t)kind, .node = (uint16_t)node, .prop = -1};
    return f;
}

static const jsonc_node *node_of(const c12_jsonc *j, const jsonc_frame *f) { return &j->s->nodes[f->node]; }

static uint64_t all_bits(int n) { return n >= 64 ? ~0ull : (1ull << n) - 1; }

/* The frame on top is a complete value: pop it and tell its parent. */
static void value_done(c12_jsonc *j)
{
    j->depth--;
    if (!j->depth) {
        j->root = R_DONE;
        return;
    }
    jsonc_frame *p = top(j);
    if (p->kind == F_OBJ) p->st = O_AFTER;
    else if (p->kind == F_ARR) {
        p->st = A_AFTER;
        if (p->n < 65535) p->n++;
    }
}

static int lit_frame(c12_jsonc *j, int lit0, int n, unsigned char b);

/* Open a value of schema node `id` whose first byte is b. */
static int start_value(c12_jsonc *j, int id, unsigned char b)
{
    const c12_jsonc_schema *s = j->s;
    const jsonc_node *n = &s->nodes[id];
    for (int guard = 0; n->n_alts && guard < 32; guard++) { /* anyOf: the alternative this byte starts */
        int pick = -1;
        for (int i = 0; i < n->n_alts && pick < 0; i++) {
            const jsonc_node *a = &s->nodes[n->alts[i]];
            if (a->n_alts) { /* nested anyOf: try it whole */
                c12_jsonc save = *j;
                if (start_value(j, n->alts[i], b)) return 1;
                *j = save;
                continue;
            }
            if (a->n_lits) {
                for (int k = 0; k < a->n_lits && pick < 0; k++)
                    if ((unsigned char)s->pool[s->lits[a->lit0 + k].off] == b) pick = n->alts[i];
                continue;
            }
            unsigned t = a->types;
            if ((b == '{' && (t & C12_JSONC_OBJ)) || (b == '[' && (t & C12_JSONC_ARR)) ||
                (b == '"' && (t & C12_JSONC_STR)) || (b == 'n' && (t & C12_JSONC_NULL)) ||
                ((b == 't' || b == 'f') && (t & C12_JSONC_BOOL)) ||
                ((b == '-' || (b >= '0' && b <= '9')) && (t & (C12_JSONC_INT | C12_JSONC_NUM))))
                pick = n->alts[i];
        }
        if (pick < 0) return 0;
        id = pick;
        n = &s->nodes[id];
    }
    if (n->n_alts) return 0;
    if (n->n_lits) return lit_frame(j, n->lit0, n->n_lits, b);
    unsigned t = n->types;
    jsonc_frame *f;
    if (b == '{' && (t & C12_JSONC_OBJ)) return push(j, F_OBJ, id) != NULL;
    if (b == '[' && (t & C12_JSONC_ARR)) return push(j, F_ARR, id) != NULL;
    if (b == '"' && (t & C12_JSONC_STR)) return push(j, F_STR, id) != NULL;
    if ((b == '-' || (b >= '0' && b <= '9')) && (t & (C12_JSONC_INT | C12_JSONC_NUM))) {
        if (!(f = push(j, F_NUM, id))) return 0;
        f->flags = (t & C12_JSONC_NUM) ? 0 : FL_INT;
        f->n = 1;
        f->st = b == '-' ? N_MINUS : b == '0' ? N_ZERO : N_INT;
        return 1;
    }
    if ((b == 't' || b == 'f') && (t & C12_JSONC_BOOL)) return lit_frame(j, s->lit_bool, 2, b);
    if (b == 'n' && (t & C12_JSONC_NULL)) return lit_frame(j, s->lit_null, 1, b);
    return 0;
}

/* ---- literals: enum/const values, true, false, null ---- */

static const char *lit_bytes(const c12_jsonc *j, int k, size_t *len)
{
    const jsonc_lit *l = &j->s->lits[k];
    *len = l->len;
    return j->s->pool + l->off;
}

static int lit_frame(c12_jsonc *j, int lit0, int n, unsigned char b)
{
    jsonc_frame *f = push(j, F_LIT, lit0);
    if (!f) return 0;
    f->n_lits = (uint16_t)n;
    f->bits = all_bits(n);
    f->n = 0;
    /* lit_step on the first byte */
    uint64_t keep = 0;
    for (int k = 0; k < n; k++) {
        size_t len;
        const char *t = lit_bytes(j, lit0 + k, &len);
        if (len && (unsigned char)t[0] == b) keep |= 1ull << k;
    }
    if (!keep) return 0;
    f->bits = keep;
    f->n = 1;
    return 1;
}

/* 1 when some candidate is complete at the frame's position. */
static int lit_complete(const c12_jsonc *j, const jsonc_frame *f)
{
    for (int k = 0; k < f->n_lits; k++) {
        size_t len;
        if ((f->bits >> k & 1) && (lit_bytes(j, f->node + k, &len), len == f->n)) return 1;
    }
    return 0;
}

/* -1: the byte does not continue any candidate; 1: it does. */
static int lit_continue(c12_jsonc *j, jsonc_frame *f, unsigned char b)
{
    uint64_t keep = 0;
    for (int k = 0; k < f->n_lits; k++) {
        size_t len;
        const char *t = lit_bytes(j, f->node + k, &len);
        if ((f->bits >> k & 1) && len > f->n && (unsigned char)t[f->n] == b) keep |= 1ull << k;
    }
    if (!keep) return -1;
    f->bits = keep;
    f->n++;
    return 1;
}

/* ---- strings ---- */

static int hexval(unsigned char b)
{
    if (b >= '0' && b <= '9') return b - '0';
    if (b >= 'a' && b <= 'f') return b - 'a' + 10;
    if (b >= 'A' && b <= 'F') return b - 'A' + 10;
    return -1;
}

/* A key's bytes against the object's property names (its candidates). */
static int key_byte(c12_jsonc *j, jsonc_frame *f, unsigned char b)
{
    const jsonc_frame *o = f - 1;
    const jsonc_node *on = node_of(j, o);
    uint64_t keep = 0;
    for (int k = 0; k < on->n_props; k++) {
        const jsonc_lit *nm = &j->s->props[on->prop0 + k].name;
        if ((f->bits >> k & 1) && nm->len > f->n && (unsigned char)j->s->pool[nm->off + f->n] == b)
            keep |= 1ull << k;
    }
    f->bits = keep;
    if (f->n < 65535) f->n++;
    return keep || on->additional >= 0;
}

/* The key's closing quote: which property (or an additional key) it was. */
static int key_close(c12_jsonc *j, jsonc_frame *f)
{
    jsonc_frame *o = f - 1;
    const jsonc_node *on = node_of(j, o);
    int prop = -1;
    for (int k = 0; k < on->n_props && prop < 0; k++)
        if ((f->bits >> k & 1) && j->s->props[on->prop0 + k].name.len == f->n) prop = k;
    if (prop < 0 && on->additional < 0) return 0;
    if (prop >= 0) o->bits |= 1ull << prop;
    o->prop = (int16_t)prop;
    o->st = O_COLON;
    j->depth--;
    return 1;
}

static int str_char_start(c12_jsonc *j, jsonc_frame *f)
{
    if (f->flags & FL_KEY) return 1;
    const jsonc_node *n = node_of(j, f);
    if (n->max_len >= 0 && f->n >= n->max_len) return 0;
    if (f->n < 65535) f->n++; /* past it only maxLength could tell, and it is at most 65535 */
    return 1;
}

static int str_step(c12_jsonc *j, jsonc_frame *f, unsigned char b)
{
    int key = f->flags & FL_KEY;
    if (f->u8_left) { /* a continuation byte of a multibyte character */
        if (b < f->u8_lo || b > f->u8_hi) return 0;
        f->u8_left--;
        f->u8_lo = 0x80, f->u8_hi = 0xBF;
        return !key || key_byte(j, f, b);
    }
    if (f->st == S_ESC) {
        if (!strchr("\"\\/bfnrtu", b) || !b) return 0;
        f->st = b == 'u' ? S_HEX : S_CHAR;
        f->hex = 0;
        f->u8_lo = 0; /* hex digits so far */
        return !key || key_byte(j, f, b);
    }
    if (f->st == S_HEX) {
        int v = hexval(b);
        if (v < 0) return 0;
        f->hex = (uint16_t)(f->hex << 4 | v);
        int d = ++f->u8_lo;
        /* no surrogates (a lone one is refused by strict parsers; characters past U+FFFF go as UTF-8) */
        if (d == 2 && f->hex >= 0xD8 && f->hex <= 0xDF) return 0;
        if (d == 4) {
            if (!f->hex) return 0; /* \u0000: jansson refuses NUL in strings */
            f->st = S_CHAR;
            f->u8_lo = 0;
        }
        return !key || key_byte(j, f, b);
    }
    if (b == '"') {
        if (key) return key_close(j, f);
        if (f->n < node_of(j, f)->min_len) return 0;
        value_done(j);
        return 1;
    }
    if (b < 0x20 || b == 0x7F) return 0; /* control characters must be escaped (DEL too: a model's garbage) */
    if (b == '\\') {
        if (!str_char_start(j, f)) return 0;
        f->st = S_ESC;
        return !key || key_byte(j, f, b);
    }
    if (b >= 0x80) { /* a lead byte: how many follow, and the first one's range (no overlongs, no surrogates) */
        if (b < 0xC2 || b > 0xF4) return 0;
        f->u8_left = b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
        f->u8_lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
        f->u8_hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
    }
    if (!str_char_start(j, f)) return 0;
    return !key || key_byte(j, f, b);
}

/* ---- numbers ---- */

static int num_complete(const jsonc_frame *f)
{
    return f->st == N_ZERO || f->st == N_INT || f->st == N_FRAC || f->st == N_EXP;
}

/* -1: the byte ends the number (not part of it); 0: refused; 1: taken. */
static int num_step(jsonc_frame *f, unsigned char b)
{
    int digit = b >= '0' && b <= '9';
    int next = -1;
    switch (f->st) {
    case N_MINUS: next = b == '0' ? N_ZERO : digit ? N_INT : -2; break;
    case N_ZERO: next = b == '.' ? N_DOT : (b == 'e' || b == 'E') ? N_E : digit ? -2 : -1; break;
    case N_INT: next = digit ? N_INT : b == '.' ? N_DOT : (b == 'e' || b == 'E') ? N_E : -1; break;
    case N_DOT: next = digit ? N_FRAC : -2; break;
    case N_FRAC: next = digit ? N_FRAC : (b == 'e' || b == 'E') ? N_E : -1; break;
    case N_E: next = digit ? N_EXP : (b == '+' || b == '-') ? N_ESIGN : -2; break;
    case N_ESIGN: next = digit ? N_EXP : -2; break;
    case N_EXP: next = digit ? N_EXP : -1; break;
    }
    if (next == -2) return 0;
    if (next == -1) return num_complete(f) ? -1 : 0;
    if ((f->flags & FL_INT) && (next == N_DOT || next == N_E)) return -1; /* an integer ends here */
    if (f->n >= C12_JSONC_NUM_MAX) return 0;
    f->n++;
    f->st = (uint8_t)next;
    return 1;
}

/* ---- containers ---- */

/* Blanks between tokens: at most C12_JSONC_WS_MAX in a row, two of them
 * newlines, no carriage returns (valid JSON, but a model that likes them
 * would fill every run with them). */
static int blank(c12_jsonc *j, unsigned char b)
{
    if (j->ws >= C12_JSONC_WS_MAX || b == '\r' || (b == '\n' && j->nl >= 2)) return 0;
    j->ws++;
    j->nl += b == '\n';
    return 1;
}

static int obj_key_start(c12_jsonc *j, jsonc_frame *o)
{
    const jsonc_node *n = node_of(j, o);
    uint64_t left = all_bits(n->n_props) & ~o->bits;
    if (!left && n->additional < 0) return 0;
    o->st = O_KEY;
    jsonc_frame *k = push(j, F_STR, o->node);
    if (!k) return 0;
    k->flags = FL_KEY;
    k->bits = left;
    return 1;
}

static int obj_may_close(const c12_jsonc *j, const jsonc_frame *o)
{
    const jsonc_node *n = node_of(j, o);
    return (o->bits & n->required) == n->required;
}

static int obj_step(c12_jsonc *j, jsonc_frame *o, unsigned char b)
{
    if (is_ws(b) && o->st != O_KEY) return blank(j, b);
    switch (o->st) {
    case O_START:
        if (b == '}' && obj_may_close(j, o)) break;
        return b == '"' && obj_key_start(j, o);
    case O_NEXT: return b == '"' && obj_key_start(j, o);
    case O_COLON:
        if (b != ':') return 0;
        o->st = O_VALUE;
        return 1;
    case O_VALUE: {
        const jsonc_node *n = node_of(j, o);
        int child = o->prop >= 0 ? j->s->props[n->prop0 + o->prop].child : n->additional;
        return start_value(j, child, b);
    }
    case O_AFTER:
        if (b == ',') {
            const jsonc_node *n = node_of(j, o);
            if ((all_bits(n->n_props) & ~o->bits) == 0 && n->additional < 0) return 0;
            o->st = O_NEXT;
            return 1;
        }
        if (b == '}' && obj_may_close(j, o)) break;
        return 0;
    default: return 0;
    }
    value_done(j); /* '}' */
    return 1;
}

static int arr_step(c12_jsonc *j, jsonc_frame *a, unsigned char b)
{
    if (is_ws(b)) return blank(j, b);
    const jsonc_node *n = node_of(j, a);
    int more = n->max_items < 0 || a->n < n->max_items;
    switch (a->st) {
    case A_START:
        if (b == ']' && n->min_items == 0) break;
        return more && start_value(j, n->items, b);
    case A_NEXT: return start_value(j, n->items, b);
    case A_AFTER:
        if (b == ',' && more) {
            a->st = A_NEXT;
            return 1;
        }
        if (b == ']' && a->n >= n->min_items) break;
        return 0;
    default: return 0;
    }
    value_done(j);
    return 1;
}

int c12_jsonc_step(c12_jsonc *j, unsigned char b)
{
    for (;;) {
        if (!j->depth) {
            if (j->root == R_DONE) return 0; /* complete: only the end of generation (no trailing blanks to burn) */
            /* before the value, one space at most (an SPM vocabulary's "▁{"): the reply starts with it */
            if (is_ws(b)) return b == ' ' && !j->ws ? blank(j, b) : 0;
            j->ws = j->nl = 0;
            return start_value(j, j->s->root, b);
        }
        jsonc_frame *f = top(j);
        int r;
        switch (f->kind) {
        case F_STR: return str_step(j, f, b);
        case F_NUM:
            r = num_step(f, b);
            if (r >= 0) return r;
            value_done(j); /* the byte ends the number: the value around it takes it */
            continue;
        case F_LIT:
            if (lit_continue(j, f, b) > 0) return 1;
            if (!lit_complete(j, f)) return 0;
            value_done(j);
            continue;
        case F_OBJ:
            if (!is_ws(b)) j->ws = j->nl = 0;
            return obj_step(j, f, b);
        case F_ARR:
            if (!is_ws(b)) j->ws = j->nl = 0;
            return arr_step(j, f, b);
        default: return 0;
        }
    }
}

int c12_jsonc_feed(c12_jsonc *j, const char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!c12_jsonc_step(j, (unsigned char)bytes[i])) return 0;
    return 1;
}

int c12_jsonc_done(const c12_jsonc *j)
{
    if (j->root == R_DONE && !j->depth) return 1;
    if (j->depth != 1) return 0;
    const jsonc_frame *f = &j->f[0];
    if (f->kind == F_NUM) return num_complete(f);
    if (f->kind == F_LIT) return lit_complete(j, f);
    return 0;
}

int c12_jsonc_in_plain_string(const c12_jsonc *j, int chars)
{
    if (!j->depth) return 0;
    const jsonc_frame *f = &j->f[j->depth - 1];
    if (f->kind != F_STR || (f->flags & FL_KEY) || f->st != S_CHAR || f->u8_left) return 0;
    int max = j->s->nodes[f->node].max_len;
    return max < 0 || max - f->n >= chars;
}

int c12_jsonc_plain_bytes(const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = b[i];
        if (c < 0x20 || c == '"' || c == '\\' || c == 0x7F) return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c < 0xC2 || c > 0xF4) return 0;
        size_t k = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80, hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
        if (i + k >= n) return 0; /* the character does not end in the token */
        for (size_t m = 1; m <= k; m++, lo = 0x80, hi = 0xBF)
            if (b[i + m] < lo || b[i + m] > hi) return 0;
        i += k + 1;
    }
    return 1;
}
