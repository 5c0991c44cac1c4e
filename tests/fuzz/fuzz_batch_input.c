/* libFuzzer: a Batch API input file (POST /v1/files, POST /v1/batches):
 * a refusal names a line and is a C string; an accepted file's line count
 * matches the callbacks and the endpoints. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_json.h"
#include "batch/input.h"

static int count(void *ud, size_t line, const char *id, c12_batch_endpoint e, const char *body, char *msg, size_t cap)
{
    if (!id[0] || strlen(id) > C12_BATCH_CUSTOM_ID_MAX || body[0] != '{') abort();
    (*(size_t *)ud)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) c12_json_init(), once = 1;
    c12_batch_input_rules r = {.only_endpoint = -1, .max_lines = 64};
    c12_batch_input_stats st;
    c12_err err;
    size_t n = 0;
    c12_rc rc = c12_batch_input_read((const char *)data, size, &r, count, &n, &st, &err);
    if (rc) {
        if (!memchr(err.msg, '\0', sizeof err.msg)) abort();
        if (rc == C12_ERR_FORMAT && strncmp(err.msg, "line ", 5)) abort();
        return 0;
    }
    if (st.lines != n || st.by_endpoint[0] + st.by_endpoint[1] != n || n == 0 || n > 64) abort();
    return 0;
}
