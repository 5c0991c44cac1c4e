/* Unit tests for src/server/http_form: the boundary from the Content-Type,
 * parts as Python's requests and the openai SDK (httpx) send them, quoted
 * names with escapes, binary bytes, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "server/http_form.h"

static void test_boundary(void **state)
{
    char b[C12_FORM_BOUNDARY_MAX + 1];
    c12_err err;
    assert_int_equal(c12_form_boundary("multipart/form-data; boundary=abc123", b, &err), C12_OK);
    assert_string_equal(b, "abc123");
    assert_int_equal(c12_form_boundary("Multipart/Form-Data;boundary=\"a b:c\"", b, &err), C12_OK);
    assert_string_equal(b, "a b:c");
    assert_int_equal(c12_form_boundary("application/json", b, &err), C12_ERR_INVALID);
    assert_int_equal(c12_form_boundary("multipart/form-data", b, &err), C12_ERR_INVALID);
    assert_int_equal(c12_form_boundary("multipart/form-datax; boundary=a", b, &err), C12_ERR_INVALID);
    assert_int_equal(c12_form_boundary(NULL, b, &err), C12_ERR_INVALID);
    char longer[128];
    snprintf(longer, sizeof longer, "multipart/form-data; boundary=%071d", 7);
    assert_int_equal(c12_form_boundary(longer, b, &err), C12_ERR_INVALID);
}

static const char BODY[] =
    "--xyz\r\n"
    "Content-Disposition: form-data; name=\"purpose\"\r\n"
    "\r\n"
    "batch\r\n"
    "--xyz\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"in \\\"1\\\".jsonl\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "{\"a\":1}\n\r\n--xy\0z\n"
    "\r\n"
    "--xyz--\r\n";

static void test_parts(void **state)
{
    c12_form f;
    c12_err err;
    assert_int_equal(c12_form_parse(BODY, sizeof BODY - 1, "xyz", &f, &err), C12_OK);
    assert_int_equal(f.n, 2);
    const c12_form_part *p = c12_form_get(&f, "purpose"), *file = c12_form_get(&f, "file");
    assert_non_null(p);
    assert_int_equal(p->len, 5);
    assert_memory_equal(p->data, "batch", 5);
    assert_string_equal(p->filename, "");
    assert_non_null(file);
    assert_string_equal(file->filename, "in \"1\".jsonl");
    assert_string_equal(file->content_type, "application/octet-stream");
    /* a near-boundary and a NUL inside the data are data */
    assert_int_equal(file->len, 17);
    assert_memory_equal(file->data, "{\"a\":1}\n\r\n--xy\0z\n", 17);
    assert_null(c12_form_get(&f, "model"));
    /* a preamble before the first delimiter is skipped */
    char pre[512] = "preamble\r\n";
    memcpy(pre + 10, BODY, sizeof BODY - 1);
    assert_int_equal(c12_form_parse(pre, 10 + sizeof BODY - 1, "xyz", &f, &err), C12_OK);
    assert_int_equal(f.n, 2);
}

static void test_refused(void **state)
{
    c12_form f;
    c12_err err;
    const struct {
        const char *body, *says;
    } bad[] = {
        {"no boundary here", "does not occur"},
        {"--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunfinished", "no closing boundary"},
        {"--xyz\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--xyz--", "not form-data"},
        {"--xyz\r\nContent-Type: text/plain\r\n\r\nx\r\n--xyz--", "no Content-Disposition"},
        {"--xyz\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--xyz--", "no name"},
        {"--xyz\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--xyz--", "no name"},
        {"--xyz\r\nbroken header\r\n\r\nx\r\n--xyz--", "without ':'"},
        {"--xyzjunk\r\n", "not followed by CRLF"},
        {"--xyz\r\nContent-Disposition: form-data; name=a", "headers do not end"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c12_rc rc = c12_form_parse(bad[i].body, strlen(bad[i].body), "xyz", &f, &err);
        if (rc != C12_ERR_FORMAT || !strstr(err.msg, bad[i].says))
            fail_msg("case %zu: rc %d '%s', wanted '%s'", i, rc, err.msg, bad[i].says);
    }
    char many[4096] = "";
    for (int i = 0; i < C12_FORM_PARTS_MAX + 1; i++)
        strcat(many, "--xyz\r\nContent-Disposition: form-data; name=p\r\n\r\nv\r\n");
    strcat(many, "--xyz--");
    assert_int_equal(c12_form_parse(many, strlen(many), "xyz", &f, &err), C12_ERR_RANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary),
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
