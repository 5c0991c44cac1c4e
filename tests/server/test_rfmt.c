/* api_rfmt.c and the constrained-decoding automaton (src/engine/jsonc*.c):
 * for each schema keyword, texts that must be accepted whole (and complete)
 * and texts refused at some byte; keywords refused by name; the limits
 * (depth, whitespace runs, numbers); every prefix of an accepted text stays
 * accepted; the allocation-failure loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "base/c12_json.h"
#include "server/api_rfmt.h"

static c12_jsonc_schema *schema(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    c12_jsonc_schema *s = NULL;
    c12_err e;
    c12_rc rc = c12_rfmt_compile(j, &s, &e);
    if (rc) fail_msg("%s: %s", text, e.msg);
    json_decref(j);
    return s;
}

/* 2: accepted and complete; 1: accepted, not complete; 0: refused. */
static int run(const c12_jsonc_schema *s, const char *text)
{
    c12_jsonc *j;
    c12_err e;
    assert_int_equal(c12_jsonc_new(s, &j, &e), C12_OK);
    int ok = 1;
    for (size_t i = 0; ok && text[i]; i++) ok = c12_jsonc_feed(j, text + i, 1);
    int r = ok ? 1 + c12_jsonc_done(j) : 0;
    c12_jsonc_free(j);
    return r;
}

static void yes(const char *sch, const char *text)
{
    c12_jsonc_schema *s = schema(sch);
    int r = run(s, text);
    if (r != 2) fail_msg("schema %s: %s should be complete and valid (got %d)", sch, text, r);
    /* every prefix is accepted (not necessarily complete) */
    char buf[512];
    for (size_t n = 0; n < strlen(text) && n < sizeof buf; n++) {
        memcpy(buf, text, n);
        buf[n] = '\0';
        if (!run(s, buf)) fail_msg("schema %s: prefix %s of %s refused", sch, buf, text);
    }
    c12_jsonc_schema_free(s);
}

static void no(const char *sch, const char *text)
{
    c12_jsonc_schema *s = schema(sch);
    if (run(s, text) != 0) fail_msg("schema %s: %s should be refused", sch, text);
    c12_jsonc_schema_free(s);
}

static void incomplete(const char *sch, const char *text)
{
    c12_jsonc_schema *s = schema(sch);
    if (run(s, text) != 1) fail_msg("schema %s: %s should be a valid but incomplete prefix", sch, text);
    c12_jsonc_schema_free(s);
}

static void refused(const char *sch, const char *word)
{
    json_t *j = json_loads(sch, 0, NULL);
    assert_non_null(j);
    c12_jsonc_schema *s = NULL;
    c12_err e;
    if (c12_rfmt_compile(j, &s, &e) == C12_OK) fail_msg("%s should be refused", sch);
    if (!strstr(e.msg, word)) fail_msg("%s: the message '%s' should name %s", sch, e.msg, word);
    assert_null(s);
    json_decref(j);
}

static void test_any_json(void **state)
{
    (void)state;
    const char *any = "{}";
    yes(any, "{\"a\": [1, 2.5e-3, -0, true, false, null, \"x\\n\\u00e9\"], \"b\": {}}");
    yes(any, "\"caf\xc3\xa9\"");
    yes(any, "12");
    incomplete(any, "-");
    incomplete(any, "1.");
    incomplete(any, "{\"a\"");
    no(any, "01");
    no(any, "{,}");
    no(any, "[1,]");
    no(any, "{\"a\" 1}");
    no(any, "tru e");
    no(any, "\"\x01\"");         /* a control character unescaped */
    no(any, "\"\\x\"");          /* an escape JSON lacks */
    no(any, "\"\\ud800\"");      /* a lone surrogate */
    no(any, "\"\\u0000\"");      /* NUL */
    no(any, "\"\xc0\x80\"");     /* overlong UTF-8 */
    no(any, "\"\xed\xa0\x80\""); /* a surrogate in UTF-8 */
    no(any, "\"\xe9t\"");        /* a lead byte without its continuation */
    no(any, "{} {}");
    no(any, "1 2");
    no(any, "{} ");              /* nothing after the value: the end of generation only */
    yes(any, " {}");
    no(any, "\n{}");              /* before the value: one space at most */
    no(any, "  {}");
}

static void test_objects(void **state)
{
    (void)state;
    const char *s = "{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"}, \"age\": {\"type\": "
                    "\"integer\"}}, \"required\": [\"name\"], \"additionalProperties\": false, \"title\": \"P\"}";
    yes(s, "{\"name\": \"Ada\", \"age\": 36}");
    yes(s, "{\"age\":36,\"name\":\"Ada\"}");
    yes(s, "{\"name\": \"Ada\"}");
    no(s, "{\"age\": 36}");           /* '}' before the required key */
    no(s, "{\"nam\": 1}");            /* not a key of the object */
    no(s, "{\"names\"");
    no(s, "{\"name\": 1}");           /* wrong type */
    no(s, "{\"name\": \"A\", \"name\""); /* a key twice */
    no(s, "{\"name\": \"A\", \"age\": 1.5}"); /* an integer has no fraction */
    no(s, "{\"name\": \"A\", \"age\": 1e3}");
    no(s, "{\"name\": \"A\", \"age\": 3, ");  /* no key is left: no comma */
    /* open objects: other keys take the additional schema */
    const char *open = "{\"type\": \"object\", \"additionalProperties\": {\"type\": \"integer\"}}";
    yes(open, "{\"x\": 1, \"y\": 2}");
    /* properties whose values are objects themselves (their own properties in between) */
    yes("{\"properties\": {\"a\": {\"properties\": {\"x\": {}}}, \"b\": {\"properties\": {\"y\": {}}}}}",
        "{\"a\": {\"x\": 1}, \"b\": {\"y\": 2}}");
    no(open, "{\"x\": \"1\"}");
    yes("{\"type\": \"object\"}", "{\"x\": [1, {\"y\": null}]}");
    /* a property name that needs escaping is matched as JSON writes it */
    yes("{\"properties\": {\"a\\\"b\": {\"type\": \"null\"}}, \"required\": [\"a\\\"b\"]}", "{\"a\\\"b\": null}");
}

static void test_arrays_and_strings(void **state)
{
    (void)state;
    const char *a = "{\"type\": \"array\", \"items\": {\"type\": \"number\"}, \"minItems\": 1, \"maxItems\": 2}";
    yes(a, "[1]");
    yes(a, "[1, 2.5]");
    no(a, "[]");
    no(a, "[1, 2, ");
    no(a, "[\"1\"]");
    yes("{\"type\": \"array\"}", "[]");
    const char *s = "{\"type\": \"string\", \"minLength\": 2, \"maxLength\": 3}";
    yes(s, "\"ab\"");
    yes(s, "\"\xc3\xa9t\xc3\xa9\""); /* three characters, five bytes */
    yes(s, "\"a\\n\"");
    no(s, "\"a\"");
    no(s, "\"abcd");
    yes("{\"type\": [\"string\", \"null\"]}", "null");
    yes("{\"type\": \"string\", \"nullable\": true}", "\"x\"");
    yes("{\"type\": \"boolean\"}", "false");
    no("{\"type\": \"boolean\"}", "null");
}

static void test_enum_const_anyof_refs(void **state)
{
    (void)state;
    const char *e = "{\"enum\": [\"red\", \"green\", 1, 12, null]}";
    yes(e, "\"red\"");
    yes(e, "12");
    yes(e, "1");
    yes(e, "null");
    no(e, "\"blue\"");
    no(e, "\"re\"");
    no(e, "2");
    yes("{\"const\": {\"a\": [1, \"b\"]}}", "{\"a\":[1,\"b\"]}");
    /* pydantic's Optional[Model] and nested models */
    const char *p = "{\"$defs\": {\"Pet\": {\"type\": \"object\", \"properties\": {\"kind\": {\"enum\": [\"cat\", \"dog\"], "
                    "\"type\": \"string\"}}, \"required\": [\"kind\"], \"additionalProperties\": false}}, \"type\": "
                    "\"object\", \"properties\": {\"pet\": {\"anyOf\": [{\"$ref\": \"#/$defs/Pet\"}, {\"type\": "
                    "\"null\"}], \"default\": null}, \"pets\": {\"type\": \"array\", \"items\": {\"$ref\": "
                    "\"#/$defs/Pet\"}}}, \"required\": [\"pet\", \"pets\"], \"additionalProperties\": false}";
    yes(p, "{\"pet\": {\"kind\": \"cat\"}, \"pets\": [{\"kind\": \"dog\"}]}");
    yes(p, "{\"pet\": null, \"pets\": []}");
    no(p, "{\"pet\": {\"kind\": \"cow\"}");
    no(p, "{\"pet\": 1");
    /* a recursive model */
    const char *r = "{\"$ref\": \"#/$defs/N\", \"$defs\": {\"N\": {\"type\": \"object\", \"properties\": {\"next\": "
                    "{\"anyOf\": [{\"$ref\": \"#/$defs/N\"}, {\"type\": \"null\"}]}}, \"required\": [\"next\"], "
                    "\"additionalProperties\": false}}}";
    yes(r, "{\"next\": {\"next\": null}}");
    no(r, "{\"next\": {}}");
    yes("{\"allOf\": [{\"type\": \"integer\"}], \"description\": \"x\"}", "7");
    yes("{\"oneOf\": [{\"type\": \"integer\"}, {\"type\": \"string\"}]}", "\"7\"");
}

static void test_refusals(void **state)
{
    (void)state;
    refused("{\"type\": \"string\", \"pattern\": \"^a\"}", "pattern");
    refused("{\"type\": \"string\", \"format\": \"date-time\"}", "format");
    refused("{\"type\": \"number\", \"minimum\": 0}", "minimum");
    refused("{\"type\": \"array\", \"prefixItems\": []}", "prefixItems");
    refused("{\"not\": {}}", "not");
    refused("{\"anyOf\": [{\"type\": \"string\"}, {\"enum\": [\"a\"]}]}", "start alike");
    refused("{\"anyOf\": [{\"type\": \"object\"}, {\"type\": \"object\", \"properties\": {}}]}", "start alike");
    refused("{\"$ref\": \"http://example.com/s.json\"}", "$ref");
    refused("{\"$ref\": \"#/$defs/A\", \"$defs\": {\"A\": {\"$ref\": \"#/$defs/A\"}}}", "itself");
    refused("{\"type\": \"fish\"}", "type");
    refused("{\"properties\": {\"a\": {}}, \"required\": [\"b\"]}", "required");
    /* too deep */
    char deep[2048] = "";
    for (int i = 0; i < 40; i++) strcat(deep, "{\"items\": ");
    strcat(deep, "{}");
    for (int i = 0; i < 40; i++) strcat(deep, "}");
    refused(deep, "deep");
}

static void test_limits(void **state)
{
    (void)state;
    char t[256] = "[";
    memset(t + 1, ' ', C12_JSONC_WS_MAX);
    strcpy(t + 1 + C12_JSONC_WS_MAX, "1]");
    yes("{}", t);
    memset(t + 1, ' ', C12_JSONC_WS_MAX + 1);
    strcpy(t + 2 + C12_JSONC_WS_MAX, "1]");
    no("{}", t);
    yes("{}", "{\n\n  \"a\":\t1}");
    no("{}", "{\n\n\n");           /* three newlines in a row */
    no("{}", "{\r\n");              /* no carriage returns */
    char d[128] = "";
    for (int i = 0; i < C12_JSONC_MAX_DEPTH; i++) strcat(d, "[");
    incomplete("{}", d);
    strcat(d, "[");
    no("{}", d);
    char n[64] = "";
    memset(n, '1', C12_JSONC_NUM_MAX);
    yes("{}", n);
    strcat(n, "1");
    no("{}", n);
}

/* The mask (a walk of the sorted vocabulary with undo records, and the
 * plain-string shortcut) against feeding each token alone after the text so
 * far, along random paths through what the mask allows. */
#define NT 400
static void check_mask(const char *sch, unsigned seed)
{
    static const char *alpha[] = {"{", "}", "\"", "a", "b", ":", " ", "\n", "1", "0", "-", ".", "e", ",", "[", "]",
                                  "\\", "u", "n", "t", "r", "l", "f", "s", "\xc3", "\xa9", "x", "d", "g", "k"};
    const int na = sizeof alpha / sizeof alpha[0];
    char *text[NT];
    size_t len[NT];
    int32_t eog = NT - 1;
    for (int i = 0; i < NT; i++) { /* tokens of 1 to 4 pieces, a few words, one end-of-generation token */
        char b[32] = "";
        seed = seed * 1103515245u + 12345u;
        int k = 1 + (int)((seed >> 16) % 4);
        for (int m = 0; m < k; m++) {
            seed = seed * 1103515245u + 12345u;
            strcat(b, alpha[(seed >> 16) % (unsigned)na]);
        }
        if (i < 12) snprintf(b, sizeof b, "%s", (const char *[]){"\"name\"", "\"kind\"", "cat", "dog", "true",
                                                                 "null", "\"}", "\",", "\":", "\u00e9", "\xc3\xa9t",
                                                                 "\"pets\""}[i]);
        text[i] = c12_strdup(b);
        len[i] = i == eog ? 0 : strlen(b);
    }
    c12_jsonc_vocab *v;
    c12_err e;
    assert_int_equal(c12_jsonc_vocab_from_pieces((const char *const *)text, len, NT, &eog, 1, &v, &e), C12_OK);
    c12_jsonc_schema *s = schema(sch);
    c12_jsonc *j;
    assert_int_equal(c12_jsonc_new(s, &j, &e), C12_OK);
    char hist[4096] = "";
    float logits[NT];
    for (int step = 0; step < 60; step++) {
        for (int i = 0; i < NT; i++) logits[i] = 0;
        int allowed = c12_jsonc_mask(v, j, logits), counted = 0;
        for (int i = 0; i < NT; i++) {
            int ok;
            if (i == eog) ok = run(s, hist) == 2;
            else {
                char t[4200];
                snprintf(t, sizeof t, "%s%s", hist, text[i]);
                ok = run(s, t) != 0;
            }
            if (ok != (logits[i] == 0))
                fail_msg("schema %s after '%s': token '%s' mask %g, feeding says %d", sch, hist, text[i], logits[i], ok);
            counted += ok;
        }
        assert_int_equal(allowed, counted);
        if (!allowed || logits[eog] == 0) break;
        int pick;
        do {
            seed = seed * 1103515245u + 12345u;
            pick = (int)((seed >> 16) % NT);
        } while (logits[pick] != 0);
        strcat(hist, text[pick]);
        assert_true(c12_jsonc_feed(j, text[pick], len[pick]));
    }
    c12_jsonc_free(j);
    c12_jsonc_schema_free(s);
    c12_jsonc_vocab_free(v);
    for (int i = 0; i < NT; i++) c12_free(text[i]);
}

static void test_mask_matches_feeding(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 6; seed++) {
        check_mask("{}", seed);
        check_mask("{\"type\": \"object\"}", seed);
        check_mask("{\"properties\": {\"name\": {\"type\": \"string\"}, \"kind\": {\"enum\": [\"cat\", \"dog\"]}, "
                   "\"pets\": {\"type\": \"array\", \"items\": {\"type\": [\"number\", \"null\"]}}}, "
                   "\"required\": [\"name\", \"kind\", \"pets\"]}", seed);
        check_mask("{\"type\": \"string\", \"maxLength\": 5}", seed);
    }
}

/* response_format itself */
static void test_read(void **state)
{
    (void)state;
    const char *good[] = {"{\"type\": \"text\"}", "{\"type\": \"json_object\"}",
                          "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"x\", \"strict\": true, "
                          "\"schema\": {\"type\": \"object\"}}}"};
    for (int i = 0; i < 3; i++) {
        json_t *j = json_loads(good[i], 0, NULL);
        c12_jsonc_schema *s = (c12_jsonc_schema *)1;
        c12_err e;
        char param[64];
        assert_int_equal(c12_rfmt_read(j, &s, param, &e), C12_OK);
        assert_true(i ? s != NULL : s == NULL);
        if (i == 1) assert_int_equal(run(s, "[1]"), 0); /* json_object: an object */
        if (i == 1) assert_int_equal(run(s, "{\"a\": 1}"), 2);
        c12_jsonc_schema_free(s);
        json_decref(j);
    }
    const char *bad[] = {"{\"type\": \"xml\"}", "{\"type\": \"json_schema\"}", "[1]",
                         "{\"type\": \"json_schema\", \"json_schema\": {\"schema\": {}}}",
                         "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"x\", \"schema\": {\"if\": {}}}}"};
    for (int i = 0; i < 5; i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        c12_jsonc_schema *s = NULL;
        c12_err e;
        char param[64] = "";
        assert_int_not_equal(c12_rfmt_read(j, &s, param, &e), C12_OK);
        assert_null(s);
        assert_true(!strncmp(param, "response_format", 15));
        json_decref(j);
    }
}

static void test_allocation_failures(void **state)
{
    (void)state;
    json_t *j = json_loads("{\"$defs\": {\"A\": {\"enum\": [\"x\", \"y\"]}}, \"properties\": {\"a\": {\"$ref\": "
                           "\"#/$defs/A\"}, \"b\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}}",
                           0, NULL);
    c12_alloc_fail_at(0, 0);
    c12_jsonc_schema *s = NULL;
    c12_err e;
    assert_int_equal(c12_rfmt_compile(j, &s, &e), C12_OK);
    c12_jsonc_schema_free(s);
    unsigned long n = c12_alloc_fail_at(0, 0);
    assert_true(n > 0);
    for (unsigned long i = 1; i <= n; i++) {
        c12_alloc_fail_at(i, 1);
        s = NULL;
        c12_rc rc = c12_rfmt_compile(j, &s, &e);
        c12_alloc_fail_at(0, 0);
        assert_int_equal(rc, C12_ERR_NOMEM);
        assert_null(s);
    }
    assert_int_equal(c12_rfmt_compile(j, &s, &e), C12_OK);
    assert_int_equal(run(s, "{\"a\": \"y\", \"b\": [\"q\"]}"), 2);
    c12_jsonc_schema_free(s);
    json_decref(j);
}

int main(void)
{
    c12_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_any_json), cmocka_unit_test(test_objects), cmocka_unit_test(test_arrays_and_strings),
        cmocka_unit_test(test_enum_const_anyof_refs), cmocka_unit_test(test_refusals), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_read), cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_mask_matches_feeding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
