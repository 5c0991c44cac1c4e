/* c12_home.h - where C12 keeps its files: $C12_HOME, else ~/.cache/c12
 * (models/, ledger.db, calibration.json). */
#ifndef C12_HOME_H
#define C12_HOME_H

#include <stddef.h>

#include "base/c12_rc.h"

/* $C12_HOME/<name> (or $HOME/.cache/c12/<name>) into out. C12_ERR_NOT_FOUND
 * when neither variable is set; C12_ERR_RANGE when it does not fit. out is
 * set only on success. */
c12_rc c12_home_path(const char *name, char *out, size_t cap, c12_err *err);

#endif
