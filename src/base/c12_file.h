/* c12_file.h - read a whole file into memory. */
#ifndef C12_FILE_H
#define C12_FILE_H

#include <stddef.h>

#include "base/c12_rc.h"

/* Read a whole file (at most `max` bytes: a file of exactly max is read,
 * one byte more is C12_ERR_RANGE) into a NUL-terminated heap buffer the
 * caller frees with c12_free. C12_ERR_NOT_FOUND when it does not exist,
 * C12_ERR_IO when it cannot be opened or read. Every whole-file read in C12
 * goes through here. */
c12_rc c12_read_file(const char *path, size_t max, char **out, size_t *out_len, c12_err *err);

#endif
