/* sse_scan.c - one event of an upstream's reply read without building a
 * jansson tree (sse_fields.h). An upstream sends a chunk per token and
 * jansson's parse of each (a dozen allocations) was the largest part of a
 * proxied request's own CPU. The scanner walks the whole text with JSON's
 * grammar, keeps the few fields sse.c reads, and gives up (0) on anything
 * it does not settle exactly as jansson would: jansson then reads the
 * event, so what comes out never depends on which of the two read it
 * (tests/fuzz/fuzz_sse.c reads every input both ways and compares). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_utf8.h"
#include "pool/sse_fields.h"

#define DEPTH_MAX 32
#define KEY_MAX 24    /* longer keys are none of those read */
#define SLOTS_MAX 8   /* strings decoded into scratch, resolved at the end */

typedef enum { C_SKIP, C_ROOT, C_CHOICES, C_CHOICE0, C_DELTA, C_MESSAGE, C_USAGE, C_C12_USAGE, C_C12_TOP } ctx;

typedef struct scan {
    const char *p, *end;
    int depth;
    c12_buf *scratch;
    c12_sse_fields *f;
    int pt_int, ct_int;
    int n_slots;
    c12_sse_str *slot[SLOTS_MAX];
    size_t slot_off[SLOTS_MAX];
} scan;

/* What a member's value is wanted for. */
typedef struct want {
    ctx obj;            /* parse an object (or choices' array) in this context; C_SKIP: none */
    int *is_obj;        /* set when the value is that object (or array) */
    c12_sse_str *str;   /* a string wanted */
    long long *i;       /* an integer wanted ... */
    int *is_int;
    double *d;          /* ... or any number */
    int *is_num;
} want;

static int value(scan *sc, const want *w);

static void ws(scan *sc)
{
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r')) sc->p++;
}

static int eat(scan *sc, char c)
{
    ws(sc);
    if (sc->p >= sc->end || *sc->p != c) return 0;
    sc->p++;
    return 1;
}

static int hex4(const char *p, unsigned *u)
{
    *u = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
        if (v > 15) return 0;
        *u = *u << 4 | v;
    }
    return 1;
}

/* After the opening quote: to the closing one; *esc when an escape came.
 * 0: malformed, or a \u escape jansson may judge otherwise (NUL, a surrogate). */
static int string_end(scan *sc, const char **close, int *esc)
{
    const char *p = sc->p, *e = sc->end;
    *esc = 0;
    while (p < e && *p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c == '\\') {
            if (e - p < 2) return 0;
            *esc = 1;
            char k = p[1];
            if (k == 'u') {
                unsigned u;
                if (e - p < 6 || !hex4(p + 2, &u) || u == 0 || (u >= 0xD800 && u <= 0xDFFF)) return 0;
                p += 6;
            } else if (strchr("\"\\/bfnrt", k) && k) {
                p += 2;
            } else
                return 0;
        } else if (c < 0x20) {
            return 0;
        } else if (c >= 0x80) {
            int k = c12_utf8_check((const uint8_t *)p, (size_t)(e - p));
            if (k <= 0) return 0;
            p += k;
        } else
            p++;
    }
    if (p >= e) return 0;
    *close = p;
    return 1;
}

/* The escaped text s[0..n) (checked by string_end), decoded onto b. */
static int unescape(c12_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t run = i;
        while (run < n && s[run] != '\\') run++;
        if (c12_buf_append(b, s + i, run - i)) return 0;
        if (run == n) break;
        char k = s[run + 1], one[4];
        size_t len = 1;
        if (k == 'u') {
            unsigned u;
            hex4(s + run + 2, &u);
            if (u < 0x80) one[0] = (char)u;
            else if (u < 0x800) one[0] = (char)(0xC0 | u >> 6), one[1] = (char)(0x80 | (u & 0x3F)), len = 2;
            else
                one[0] = (char)(0xE0 | u >> 12), one[1] = (char)(0x80 | ((u >> 6) & 0x3F)),
                one[2] = (char)(0x80 | (u & 0x3F)), len = 3;
            i = run + 6;
        } else {
            one[0] = k == 'b' ? '\b' : k == 'f' ? '\f' : k == 'n' ? '\n' : k == 'r' ? '\r' : k == 't' ? '\t' : k;
            i = run + 2;
        }
        if (c12_buf_append(b, one, len)) return 0;
    }
    return 1;
}

/* A string value: into out (when wanted), or into key (a member's name,
 * "" when longer than KEY_MAX). */
static int string(scan *sc, c12_sse_str *out, char *key)
{
    if (!eat(sc, '"')) return 0;
    const char *s = sc->p, *close;
    int esc;
    if (!string_end(sc, &close, &esc)) return 0;
    sc->p = close + 1;
    size_t n = (size_t)(close - s);
    if (key) {
        key[0] = '\0';
        c12_buf kb = {.data = NULL};
        if (n <= KEY_MAX && !esc) memcpy(key, s, n), key[n] = '\0';
        else if (n <= KEY_MAX * 6 && esc) { /* rare: an escaped name */
            c12_buf_init(&kb, 0);
            int ok = unescape(&kb, s, n);
            if (ok && kb.len <= KEY_MAX && kb.data && strlen(kb.data) == kb.len) memcpy(key, kb.data, kb.len + 1);
            c12_buf_free(&kb);
            if (!ok) return 0;
        }
        return 1;
    }
    if (!out) return 1;
    *out = (c12_sse_str){.is = 1, .s = s, .n = n};
    if (!esc) return 1;
    if (sc->n_slots == SLOTS_MAX) return 0;
    size_t off = sc->scratch->len;
    if (!unescape(sc->scratch, s, n)) return 0;
    out->n = sc->scratch->len - off;
    sc->slot[sc->n_slots] = out;
    sc->slot_off[sc->n_slots++] = off;
    return 1;
}

static int digits(scan *sc)
{
    const char *s = sc->p;
    while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9') sc->p++;
    return sc->p > s;
}

/* A number: an integer of up to 18 digits exactly, a real as strtod reads
 * it (jansson's own reading); longer ones, or a real out of range, are
 * left to jansson. */
static int number(scan *sc, const want *w)
{
    const char *s = sc->p;
    int neg = sc->p < sc->end && *sc->p == '-';
    if (neg) sc->p++;
    if (sc->p < sc->end && *sc->p == '0') sc->p++;
    else if (!(sc->p < sc->end && *sc->p >= '1' && *sc->p <= '9') || !digits(sc)) return 0;
    int real = 0;
    if (sc->p < sc->end && *sc->p == '.') {
        sc->p++;
        if (!digits(sc)) return 0;
        real = 1;
    }
    if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
        sc->p++;
        if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-')) sc->p++;
        if (!digits(sc)) return 0;
        real = 1;
    }
    size_t n = (size_t)(sc->p - s);
    char text[64];
    if (n >= sizeof text || (!real && n - (size_t)neg > 18)) return 0;
    memcpy(text, s, n);
    text[n] = '\0';
    const long long i = real ? 0 : strtoll(text, NULL, 10);
    const double d = real ? strtod(text, NULL) : (double)i; /* an integer as json_number_value gives it */
    if (isinf(d)) return 0;
    if (!real && w->i) {
        *w->i = i;
        *w->is_int = 1;
    }
    if (w->d) {
        *w->d = d;
        *w->is_num = 1;
    }
    return 1;
}

static int literal(scan *sc, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n)) return 0;
    sc->p += n;
    return 1;
}

/* The member named key in context c: what its value is wanted for; bit,
 * its place among the names read there (a second one: jansson keeps the
 * last, this scanner gives up); -1: an "error" or "tool_calls". */
static int member(scan *sc, ctx c, const char *key, want *w, int *bit)
{
    c12_sse_fields *f = sc->f;
    static const char *const names[][4] = {
        [C_ROOT] = {"choices", "usage", "c12", "error"},
        [C_CHOICE0] = {"finish_reason", "delta", "message", "text"},
        [C_DELTA] = {"content", "tool_calls"},
        [C_MESSAGE] = {"content", "tool_calls"},
        [C_USAGE] = {"prompt_tokens", "completion_tokens", "c12"},
        [C_C12_USAGE] = {"energy_j", "energy_method"},
        [C_C12_TOP] = {"energy_j", "energy_method"},
    };
    *w = (want){.obj = C_SKIP};
    *bit = -1;
    if (c == C_SKIP || c == C_CHOICES) return 0;
    for (int i = 0; i < 4 && names[c][i]; i++)
        if (!strcmp(key, names[c][i])) *bit = i;
    if (*bit < 0) return 0;
    c12_sse_c12 *k = c == C_C12_USAGE ? &f->usage_c12 : &f->top_c12;
    switch (c * 4 + *bit) {
    case C_ROOT * 4 + 0: *w = (want){.obj = C_CHOICES}; break;
    case C_ROOT * 4 + 1: *w = (want){.obj = C_USAGE, .is_obj = &f->usage_obj}; break;
    case C_ROOT * 4 + 2: *w = (want){.obj = C_C12_TOP, .is_obj = &f->top_c12.obj}; break;
    case C_CHOICE0 * 4 + 0: w->str = &f->finish; break;
    case C_CHOICE0 * 4 + 1: *w = (want){.obj = C_DELTA, .is_obj = &f->delta_obj}; break;
    case C_CHOICE0 * 4 + 2: *w = (want){.obj = C_MESSAGE, .is_obj = &f->message_obj}; break;
    case C_CHOICE0 * 4 + 3: w->str = &f->text; break;
    case C_DELTA * 4 + 0: w->str = &f->delta_content; break;
    case C_MESSAGE * 4 + 0: w->str = &f->message_content; break;
    case C_USAGE * 4 + 0: w->i = &f->prompt_tokens, w->is_int = &sc->pt_int; break;
    case C_USAGE * 4 + 1: w->i = &f->completion_tokens, w->is_int = &sc->ct_int; break;
    case C_USAGE * 4 + 2: *w = (want){.obj = C_C12_USAGE, .is_obj = &f->usage_c12.obj}; break;
    case C_C12_USAGE * 4 + 0:
    case C_C12_TOP * 4 + 0: w->d = &k->energy_j, w->is_num = &k->num; break;
    case C_C12_USAGE * 4 + 1:
    case C_C12_TOP * 4 + 1: w->str = &k->method; break;
    default: return -1; /* error, tool_calls */
    }
    return 0;
}

static int object(scan *sc, ctx c)
{
    unsigned seen = 0;
    if (eat(sc, '}')) return 1;
    do {
        char key[KEY_MAX + 1];
        want w;
        int bit;
        if (!string(sc, NULL, key) || !eat(sc, ':') || member(sc, c, key, &w, &bit) < 0) return 0;
        if (bit >= 0 && (seen & 1u << bit)) return 0;
        if (bit >= 0) seen |= 1u << bit;
        if (!value(sc, &w)) return 0;
    } while (eat(sc, ','));
    return eat(sc, '}');
}

static int array(scan *sc, ctx c)
{
    if (eat(sc, ']')) return 1;
    int i = 0;
    do {
        want w = {.obj = c == C_CHOICES && i == 0 ? C_CHOICE0 : C_SKIP, .is_obj = c == C_CHOICES && i == 0 ? &sc->f->choice_obj : NULL};
        if (!value(sc, &w)) return 0;
        i++;
    } while (eat(sc, ','));
    return eat(sc, ']');
}

static int value(scan *sc, const want *w)
{
    ws(sc);
    if (sc->p >= sc->end) return 0;
    char c = *sc->p;
    if (c == '"') return string(sc, w->str, NULL);
    if (c == '-' || (c >= '0' && c <= '9')) return number(sc, w);
    if (c == 't') return literal(sc, "true");
    if (c == 'f') return literal(sc, "false");
    if (c == 'n') return literal(sc, "null");
    if (c != '{' && c != '[') return 0;
    if (++sc->depth > DEPTH_MAX) return 0;
    sc->p++;
    /* an object where one is read (choices wants an array) */
    int fits = w->obj != C_SKIP && (c == '[') == (w->obj == C_CHOICES);
    int ok = c == '{' ? object(sc, fits ? w->obj : C_SKIP) : array(sc, fits ? w->obj : C_SKIP);
    if (ok && fits && w->is_obj) *w->is_obj = 1;
    sc->depth--;
    return ok;
}

int c12_sse_scan(const char *d, size_t n, c12_buf *scratch, c12_sse_fields *f)
{
    *f = (c12_sse_fields){0};
    c12_buf_reset(scratch);
    scan sc = {.p = d, .end = d + n, .scratch = scratch, .f = f};
    ws(&sc);
    if (sc.p >= sc.end || *sc.p != '{') return 0; /* jansson's reading (and error) for anything else */
    want root = {.obj = C_ROOT};
    if (!value(&sc, &root)) return 0;
    ws(&sc);
    if (sc.p != sc.end) return 0;
    f->tokens_int = sc.pt_int && sc.ct_int;
    for (int i = 0; i < sc.n_slots; i++) sc.slot[i]->s = scratch->data + sc.slot_off[i];
    return 1;
}
