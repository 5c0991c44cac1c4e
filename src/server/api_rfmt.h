/* api_rfmt.h - a request's `response_format` (api_rfmt.c): "text", or
 * "json_object" / "json_schema" compiled into the schema graph that
 * constrained decoding follows (src/engine/c12_jsonc.h). A JSON Schema
 * keyword C12 does not enforce is refused with its name, never ignored;
 * annotations (title, description, default, examples...) are skipped. */
#ifndef C12_API_RFMT_H
#define C12_API_RFMT_H

#include <jansson.h>

#include "base/c12_rc.h"
#include "engine/c12_jsonc.h"

#define C12_RFMT_MAX_DEPTH 24 /* nested subschemas */

/* `rf` (the field's value; NULL: absent) into *out: NULL for text, else a
 * schema (the caller frees). C12_ERR_INVALID or UNSUPPORTED with the field
 * at fault in param (64 bytes, may be NULL). */
c12_rc c12_rfmt_read(const json_t *rf, c12_jsonc_schema **out, char *param, c12_err *err);
/* A JSON Schema alone (the value of json_schema.schema). */
c12_rc c12_rfmt_compile(const json_t *schema, c12_jsonc_schema **out, c12_err *err);

#endif
