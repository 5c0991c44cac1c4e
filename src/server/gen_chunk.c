/* gen_chunk.c - a streamed text chunk written straight into the event
 * buffer: the bytes json_dumps(JSON_COMPACT) gives for the object
 * stream.c's chunk() builds (same keys, same order, same escapes), without
 * building it. A stream writes one per token, and a jansson tree per token
 * (a dozen allocations, then the dump) was most of a streamed reply's own
 * CPU. tests/server/test_gen_chunk.c holds the two byte for byte equal. */
#include <stdio.h>
#include <string.h>

#include "base/c12_json.h"
#include "server/gen.h"

c12_rc c12_gen_chunk_text(const c12_gen_job *job, const char *text, size_t n, int role, c12_buf *out)
{
    int chat = job->q.kind == C12_API_CHAT;
    c12_rc rc = c12_buf_puts(out, "{\"id\":");
    if (!rc) rc = c12_json_put_string(out, job->id, sizeof job->id);
    if (!rc) rc = c12_buf_printf(out, ",\"object\":\"%s\",\"created\":%lld,\"model\":",
                                 chat ? "chat.completion.chunk" : "text_completion", (long long)job->created);
    if (!rc) rc = c12_json_put_string(out, job->model, strlen(job->model));
    if (!rc) rc = c12_buf_printf(out, ",\"choices\":[{\"index\":%d,%s", job->ci,
                                 !chat ? "\"text\":" : role ? "\"delta\":{\"role\":\"assistant\",\"content\":"
                                                            : "\"delta\":{\"content\":");
    if (!rc) rc = c12_json_put_string(out, text, n);
    if (!rc) rc = c12_buf_puts(out, chat ? "},\"logprobs\":null,\"finish_reason\":null}]"
                                         : ",\"logprobs\":null,\"finish_reason\":null}]");
    if (!rc) rc = c12_buf_puts(out, job->q.include_usage ? ",\"usage\":null}" : "}");
    return rc;
}
