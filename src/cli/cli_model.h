/* cli_model.h - what model-using commands share: open -m NAME|PATH. */
#ifndef C12_CLI_MODEL_H
#define C12_CLI_MODEL_H

#include "engine/c12_engine.h"

/* Resolve a catalogue name or path and load it; prints the error and returns
 * NULL on failure. */
c12_model *cli_load_model(const char *cmd, const char *name_or_path);

#endif
