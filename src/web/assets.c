/* assets.c - the dashboard's files, embedded with the assembler's .incbin.
 *
 * Paths are relative to the repository root, where make runs the compiler;
 * the Makefile makes this object depend on every file under web/ so that an
 * edited page rebuilds it. Each file is followed by a NUL byte (not counted
 * in its length) so that text can be read as a C string too. */
#include "web/web.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define C12_WEB_EMBED(sym, file)                                                                      \
    __asm__(".pushsection .rodata\n"                                                                  \
            ".balign 16\n"                                                                            \
            ".globl " #sym "\n.hidden " #sym "\n.type " #sym ", @object\n" #sym ":\n"                 \
            ".incbin \"" file "\"\n"                                                                  \
            ".globl " #sym "_end\n.hidden " #sym "_end\n" #sym "_end:\n"                              \
            ".byte 0\n"                                                                               \
            ".popsection\n");                                                                         \
    extern const unsigned char sym[] __attribute__((visibility("hidden")));                          \
    extern const unsigned char sym##_end[] __attribute__((visibility("hidden")))

C12_WEB_EMBED(c12_web_index_html, "web/dashboard/index.html");
C12_WEB_EMBED(c12_web_app_js, "web/dashboard/app.js");
C12_WEB_EMBED(c12_web_style_css, "web/dashboard/style.css");
C12_WEB_EMBED(c12_web_uplot_js, "web/vendor/uplot/uPlot.iife.min.js");
C12_WEB_EMBED(c12_web_uplot_css, "web/vendor/uplot/uPlot.min.css");
C12_WEB_EMBED(c12_web_uplot_license, "web/vendor/uplot/LICENSE");

#define HTML "text/html; charset=utf-8"
#define JS "text/javascript; charset=utf-8"
#define CSS "text/css; charset=utf-8"
#define TEXT "text/plain; charset=utf-8"
static const struct {
    const char *path, *type;
    const unsigned char *start, *end;
} FILES[] = {
    {"/dashboard", HTML, c12_web_index_html, c12_web_index_html_end},
    {"/dashboard/app.js", JS, c12_web_app_js, c12_web_app_js_end},
    {"/dashboard/style.css", CSS, c12_web_style_css, c12_web_style_css_end},
    {"/dashboard/vendor/uPlot.iife.min.js", JS, c12_web_uplot_js, c12_web_uplot_js_end},
    {"/dashboard/vendor/uPlot.min.css", CSS, c12_web_uplot_css, c12_web_uplot_css_end},
    {"/dashboard/vendor/uPlot.LICENSE", TEXT, c12_web_uplot_license, c12_web_uplot_license_end},
};
#define N_FILES (sizeof FILES / sizeof FILES[0])
_Static_assert(N_FILES <= C12_WEB_ASSETS_MAX, "raise C12_WEB_ASSETS_MAX");

size_t c12_web_asset_count(void) { return N_FILES; }

void c12_web_asset_at(size_t i, c12_web_asset *out)
{
    *out = (c12_web_asset){i, FILES[i].path, FILES[i].type, FILES[i].start, (size_t)(FILES[i].end - FILES[i].start)};
}

void c12_web_asset_etag(const c12_web_asset *a, char out[C12_WEB_ETAG_LEN])
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < a->len; i++) h = (h ^ a->data[i]) * 0x100000001b3ull;
    snprintf(out, C12_WEB_ETAG_LEN, "\"%016llx\"", (unsigned long long)h);
}

int c12_web_asset_find(const char *path, c12_web_asset *out)
{
    if (!strcmp(path, "/") || !strcmp(path, "/dashboard/")) path = "/dashboard";
    for (size_t i = 0; i < N_FILES; i++)
        if (!strcmp(path, FILES[i].path)) {
            c12_web_asset_at(i, out);
            return 1;
        }
    return 0;
}
