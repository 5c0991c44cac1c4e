/* The dashboard's embedded files: every path finds its file, the bytes are
 * the file's under web/ as built (so the Makefile's rebuild rule works), and
 * each is followed by a NUL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base/c12_alloc.h"
#include "base/c12_file.h"
#include "web/web.h"

static const char *const SOURCES[][2] = {
    {"/dashboard", "web/dashboard/index.html"},
    {"/dashboard/app.js", "web/dashboard/app.js"},
    {"/dashboard/style.css", "web/dashboard/style.css"},
    {"/dashboard/vendor/uPlot.iife.min.js", "web/vendor/uplot/uPlot.iife.min.js"},
    {"/dashboard/vendor/uPlot.min.css", "web/vendor/uplot/uPlot.min.css"},
    {"/dashboard/vendor/uPlot.LICENSE", "web/vendor/uplot/LICENSE"},
};

static void test_bytes_are_the_files(void **state)
{
    (void)state;
    assert_int_equal(c12_web_asset_count(), sizeof SOURCES / sizeof SOURCES[0]);
    for (size_t i = 0; i < c12_web_asset_count(); i++) {
        c12_web_asset a;
        c12_web_asset_at(i, &a);
        assert_string_equal(a.path, SOURCES[i][0]);
        char *text;
        size_t len;
        c12_err err;
        assert_int_equal(c12_read_file(SOURCES[i][1], 1u << 20, &text, &len, &err), C12_OK);
        assert_int_equal(a.len, len);
        assert_memory_equal(a.data, text, len);
        assert_int_equal(a.data[a.len], 0);
        c12_free(text);
        assert_non_null(strstr(a.content_type, "charset=utf-8"));
        assert_int_equal(a.index, i);
        char e1[C12_WEB_ETAG_LEN], e2[C12_WEB_ETAG_LEN];
        c12_web_asset_etag(&a, e1);
        assert_int_equal(strlen(e1), C12_WEB_ETAG_LEN - 1);
        if (i) { /* different bytes, different tags */
            c12_web_asset prev;
            c12_web_asset_at(i - 1, &prev);
            c12_web_asset_etag(&prev, e2);
            assert_string_not_equal(e1, e2);
        }
    }
}

static void test_find(void **state)
{
    (void)state;
    c12_web_asset a = {0}, b;
    assert_true(c12_web_asset_find("/", &a));
    assert_string_equal(a.path, "/dashboard");
    assert_true(strstr((const char *)a.data, "<title>C12 dashboard</title>") != NULL);
    assert_true(c12_web_asset_find("/dashboard/", &b) && b.data == a.data);
    assert_true(c12_web_asset_find("/dashboard/app.js", &b));
    assert_string_equal(b.content_type, "text/javascript; charset=utf-8");
    b.path = "untouched";
    assert_false(c12_web_asset_find("/dashboard/nosuch.js", &b));
    assert_false(c12_web_asset_find("/dashboard/app.js/", &b));
    assert_false(c12_web_asset_find("", &b));
    assert_string_equal(b.path, "untouched");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_bytes_are_the_files), cmocka_unit_test(test_find)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
