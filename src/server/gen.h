/* gen.h - what the generation endpoints (api_gen.c) share with streaming
 * (stream.c): a validated request bound to a leased slot, and the OpenAI
 * objects built from its results. */
#ifndef C12_SERVER_GEN_H
#define C12_SERVER_GEN_H

#include "server/api_req.h"
#include "server/server_impl.h"

typedef struct c12_gen_job {
    c12_server *srv;
    c12_api_req q;
    c12_backend_req breq;
    c12_lease lease;
    const char *model_id;
    char id[48];
    long long created;
} c12_gen_job;

/* Run a streamed job: answers the request with server-sent events, or with
 * a plain error if generation fails before its first event. Takes the job
 * (its request, lease and memory) in every case. */
enum MHD_Result c12_stream_run(c12_gen_job *job, struct MHD_Connection *c);

/* {"prompt_tokens", "completion_tokens", "total_tokens"} */
json_t *c12_gen_usage(const c12_backend_result *res);
const char *c12_gen_finish(c12_finish f);
/* Free the job's request and give its slot back. */
void c12_gen_job_end(c12_gen_job *job);
/* The error response for a failed generation. */
enum MHD_Result c12_gen_error(c12_gen_job *job, struct MHD_Connection *c, c12_rc rc, const char *msg);

#endif
