/* gen_chunk.c - streamed chunks written straight into the event buffer:
 * the bytes json_dumps(JSON_COMPACT) gives for the objects stream.c's
 * chunk() builds (same keys, same order, same escapes), without building
 * them. A stream writes one per token, and a jansson tree per token (a
 * dozen allocations, then the dump) was most of a streamed reply's own
 * CPU; its finish and usage chunks, one each, were most of the rest of a
 * proxied stream's allocations. tests/server/test_gen_chunk.c holds them
 * byte for byte equal. */
#include <stdio.h>
#include <string.h>

#include "base/c12_json.h"
#include "server/gen.h"

static int chat(const c12_gen_job *job) { return job->q.kind == C12_API_CHAT; }

static c12_rc head(const c12_gen_job *job, c12_buf *out)
{
    return c12_gen_put_head(out, job, chat(job) ? "chat.completion.chunk" : "text_completion");
}

c12_rc c12_gen_chunk_text(const c12_gen_job *job, const char *text, size_t n, int role, c12_buf *out)
{
    c12_rc rc = head(job, out);
    if (!rc) rc = c12_buf_printf(out, ",\"choices\":[{\"index\":%d,%s", job->ci,
                                 !chat(job) ? "\"text\":" : role ? "\"delta\":{\"role\":\"assistant\",\"content\":"
                                                                 : "\"delta\":{\"content\":");
    if (!rc) rc = c12_json_put_string(out, text, n);
    if (!rc) rc = c12_buf_puts(out, chat(job) ? "},\"logprobs\":null,\"finish_reason\":null}]"
                                              : ",\"logprobs\":null,\"finish_reason\":null}]");
    if (!rc) rc = c12_buf_puts(out, job->q.include_usage ? ",\"usage\":null}" : "}");
    return rc;
}

c12_rc c12_gen_chunk_finish(const c12_gen_job *job, const char *finish, int figures, c12_buf *out)
{
    c12_rc rc = head(job, out);
    if (!rc) rc = c12_buf_printf(out, ",\"choices\":[{\"index\":%d,%s,\"logprobs\":null,\"finish_reason\":", job->ci,
                                 chat(job) ? "\"delta\":{}" : "\"text\":\"\"");
    if (!rc) rc = c12_json_put_string(out, finish, strlen(finish));
    if (!rc) rc = c12_buf_puts(out, "}]");
    if (!rc && job->q.include_usage) rc = c12_buf_puts(out, ",\"usage\":null");
    if (!rc && figures) rc = c12_gen_put_usage_c12(out, job);
    return rc ? rc : c12_buf_puts(out, "}");
}

c12_rc c12_gen_chunk_usage(const c12_gen_job *job, const c12_backend_result *res, c12_buf *out)
{
    c12_rc rc = head(job, out);
    if (!rc) rc = c12_buf_puts(out, ",\"choices\":[]");
    if (!rc) rc = c12_gen_put_usage(out, job, res);
    return rc ? rc : c12_buf_puts(out, "}");
}
