/* web.h - the files of the built-in dashboard, embedded in the binary at
 * build time (assets.c: the page, its script and style, and the vendored
 * uPlot chart library), so that `c12 serve` needs nothing beside it and
 * fetches nothing at run time. The server's page route serves them
 * (src/server/api_page.c); docs/dashboard.md describes the page. */
#ifndef C12_WEB_H
#define C12_WEB_H

#include <stddef.h>

#define C12_WEB_ASSETS_MAX 16
#define C12_WEB_ETAG_LEN 19 /* a quote, 16 hex digits, a quote, NUL */

typedef struct c12_web_asset {
    size_t index;             /* 0 .. c12_web_asset_count() - 1 */
    const char *path;         /* URL path, e.g. "/dashboard/app.js" */
    const char *content_type; /* with charset for text */
    const unsigned char *data;
    size_t len;
} c12_web_asset;

/* Set *out to the asset served at `path` ("/" and "/dashboard" are the
 * page); 0 (out untouched) when there is none. */
int c12_web_asset_find(const char *path, c12_web_asset *out);
/* The i-th asset (0 <= i < c12_web_asset_count()), for tests. */
size_t c12_web_asset_count(void);
void c12_web_asset_at(size_t i, c12_web_asset *out);
/* A quoted ETag of a's bytes (FNV-1a): they change only with the binary, so
 * the server computes them once, at start. */
void c12_web_asset_etag(const c12_web_asset *a, char out[C12_WEB_ETAG_LEN]);

#endif
