/* helpers.h - shared by the tests of src/models: scratch directories and
 * small wheels (zip files) made with libzip. Header-only: each test program
 * is one .c file. */
#ifndef C12_TEST_MODELS_HELPERS_H
#define C12_TEST_MODELS_HELPERS_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "models/fetch.h"

/* A fresh directory under /tmp; remove it with c12_fetch_rmtree. */
static inline void scratch_dir(char out[64])
{
    snprintf(out, 64, "/tmp/c12-test-models-XXXXXX");
    if (!mkdtemp(out)) abort();
}

/* Entries of dir other than . and ..; the first one's name goes to `first`. */
static inline int dir_count(const char *dir, char *first, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *de;
    if (first && cap) first[0] = '\0';
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (n++ == 0 && first) snprintf(first, cap, "%s", de->d_name);
    }
    closedir(d);
    return n;
}

/* Deterministic bytes that do not compress to nothing. */
static inline void fill_bytes(unsigned char *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)(x >> 24);
    }
}

/* A zip at `path` holding `member` with the given bytes, plus a dist-info
 * file as a real wheel has. Returns 0 on success. */
static inline int make_wheel(const char *path, const char *member, const void *data, size_t n)
{
    int code = 0;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!za) return -1;
    zip_source_t *src = zip_source_buffer(za, data, n, 0);
    if (!src || zip_file_add(za, member, src, ZIP_FL_OVERWRITE) < 0) {
        zip_source_free(src);
        zip_discard(za);
        return -1;
    }
    static const char meta[] = "Metadata-Version: 2.1\nName: test\nVersion: 1.0\n";
    zip_source_t *m = zip_source_buffer(za, meta, sizeof meta - 1, 0);
    if (!m || zip_file_add(za, "test-1.0.dist-info/METADATA", m, ZIP_FL_OVERWRITE) < 0) {
        zip_source_free(m);
        zip_discard(za);
        return -1;
    }
    return zip_close(za) == 0 ? 0 : -1;
}

#endif
