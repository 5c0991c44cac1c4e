/* libFuzzer: constrained decoding's automaton on outside bytes. The input is
 * a JSON Schema (a client's), a NUL, then text fed to the automaton byte by
 * byte (without a NUL: the text alone under the any-value schema). A schema
 * either compiles or is refused; a text the automaton takes whole and calls
 * complete is JSON that jansson parses; a byte refused leaves the text so
 * far a prefix it still takes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "server/api_rfmt.h"

static int prefix_ok(const c12_jsonc_schema *s, const char *t, size_t n)
{
    c12_jsonc *j;
    c12_err e;
    if (c12_jsonc_new(s, &j, &e)) abort();
    int ok = c12_jsonc_feed(j, t, n);
    c12_jsonc_free(j);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) c12_json_init(), init = 1;
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    const char *text = nul ? nul + 1 : in;
    size_t n = nul ? size - (size_t)(text - in) : size;
    json_t *sj = nul ? json_loadb(in, (size_t)(nul - in), JSON_DECODE_ANY, NULL) : json_object();
    c12_jsonc_schema *s = NULL;
    c12_err e;
    if (!sj || c12_rfmt_compile(sj, &s, &e)) {
        json_decref(sj);
        return 0;
    }
    json_decref(sj);
    c12_jsonc *j;
    if (c12_jsonc_new(s, &j, &e)) abort();
    size_t took = 0;
    while (took < n && c12_jsonc_feed(j, text + took, 1)) took++;
    if (took == n && c12_jsonc_done(j)) {
        json_error_t je;
        json_t *v = json_loadb(text, n, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &je);
        /* a number too large for a double is valid JSON jansson will not hold */
        if (!v && !strstr(je.text, "overflow")) abort();
        json_decref(v);
    }
    if (!prefix_ok(s, text, took)) abort(); /* what was taken byte by byte is taken at once too */
    c12_jsonc_free(j);
    c12_jsonc_schema_free(s);
    return 0;
}
