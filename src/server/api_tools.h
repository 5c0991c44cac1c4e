/* api_tools.h - a chat request's tools: `tools`, `tool_choice`,
 * `parallel_tool_calls`, and the history's assistant `tool_calls` and `tool`
 * messages, read into c12_api_req (api_tools.c); JSON as the chat template's
 * `tojson` writes it (tool_json.c). */
#ifndef C12_API_TOOLS_H
#define C12_API_TOOLS_H

#include <jansson.h>

#include "server/api_req.h"

#define C12_API_MAX_TOOLS 128

/* The request body o (already read by c12_api_req_parse up to its messages).
 * On failure param (64 bytes, may be NULL) names the field. */
c12_rc c12_api_tools_read(json_t *o, c12_api_req *r, char *param, c12_err *err);
void c12_api_tools_free(c12_api_req *r);
/* What the assistant's turn opens with when tool_choice forces a call (the
 * model's output continues it), or "" (in buf, at least 128 bytes). */
const char *c12_api_tools_prefill(const c12_api_req *r, char *buf, size_t cap);
/* v written as Jinja2's tojson writes it; *out is c12_malloc'ed. */
c12_rc c12_tool_tojson(const json_t *v, char **out, c12_err *err);

#endif
