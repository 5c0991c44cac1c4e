/* batch.h - OpenAI's Batch API objects as C12 keeps them: files (a batch's
 * input, its output and error files) and batches, with their statuses and
 * timestamps as OpenAI defines them, and the carbon a batch emitted against
 * what it would have emitted at submission (docs/batch.md). */
#ifndef C12_BATCH_H
#define C12_BATCH_H

#include <stdint.h>

#include "batch/input.h"

#define C12_BATCH_ID_MAX 40
#define C12_BATCH_OWNER_MAX 72
#define C12_BATCH_METADATA_MAX 10240 /* 16 pairs of 64 + 512 characters, as JSON */

typedef struct c12_bfile {
    char id[C12_BATCH_ID_MAX];        /* "file-" and 24 hex digits */
    char filename[256];
    char purpose[24];                 /* "batch", "batch_output" */
    int64_t bytes;
    int64_t created_at;               /* Unix seconds */
    char owner[C12_BATCH_OWNER_MAX];  /* the sha256 of the API key that made it ("" without keys) */
} c12_bfile;

typedef enum {
    C12_BATCH_VALIDATING = 0,
    C12_BATCH_FAILED,
    C12_BATCH_IN_PROGRESS,
    C12_BATCH_FINALIZING,
    C12_BATCH_COMPLETED,
    C12_BATCH_EXPIRED,
    C12_BATCH_CANCELLING,
    C12_BATCH_CANCELLED,
    C12_BATCH_STATUSES
} c12_batch_status;

/* "validating", "failed", ... (OpenAI's words); and back (-1: unknown). */
const char *c12_batch_status_name(c12_batch_status s);
int c12_batch_status_parse(const char *name);
/* A status no batch leaves: failed, completed, expired, cancelled. */
int c12_batch_status_final(c12_batch_status s);

/* A timestamp a batch reaches with each status (the *_at fields). */
typedef struct c12_batch_times {
    int64_t created, in_progress, expires, finalizing, completed, failed, expired, cancelling, cancelled;
} c12_batch_times;

typedef struct c12_batch {
    char id[C12_BATCH_ID_MAX];        /* "batch_" and 24 hex digits */
    c12_batch_endpoint endpoint;
    char input_file_id[C12_BATCH_ID_MAX], output_file_id[C12_BATCH_ID_MAX], error_file_id[C12_BATCH_ID_MAX];
    char completion_window[16];       /* as given: "24h", or C12's "90m", "2d" */
    int64_t window_s;
    c12_batch_status status;
    c12_batch_times at;               /* Unix seconds; 0: not (yet) */
    int64_t total, completed, failed; /* request_counts */
    char metadata[C12_BATCH_METADATA_MAX]; /* JSON object text, or "" */
    char errors[1024];                /* why it failed: "line N: ..." or "" */
    char owner[C12_BATCH_OWNER_MAX];  /* as c12_bfile's */
    /* C12's own: carbon, and time spent waiting for cleaner power */
    double energy_j, co2_g;           /* what its lines emitted */
    double co2_at_submit_g;           /* those joules at the intensity when it was submitted */
    double submit_intensity;          /* gCO2/kWh when it was submitted */
    double run_s;                     /* seconds its lines took */
    double est_s;                     /* seconds all its lines were expected to take (as it was created) */
    double deferred_s;                /* seconds it waited with lines left */
    int64_t planned_start_ms;         /* the last plan's start (0: none yet) */
} c12_batch;

/* The `batch:` section (src/config/sect_server.c reads it):
 *   batch:
 *     enabled: true               # the Files and Batches API
 *     max_file_bytes: 200MiB      # an uploaded file's cap (and POST /v1/files' body cap)
 *     max_lines: 50000            # requests in one file
 *     margin: 0.1                 # share of a batch's window kept free before its deadline
 *     tick_s: 30                  # how often waiting batches are planned again
 *     dir: ""                     # "": $C12_HOME/batches (unused when ledger.store is
 *                                 # postgresql: the ledger's database holds them) */
typedef struct c12_batch_cfg {
    int enabled;
    uint64_t max_file_bytes;
    int max_lines;
    double margin;
    double tick_s;
    char dir[1024];
} c12_batch_cfg;

void c12_batch_cfg_defaults(c12_batch_cfg *c);

/* A window "24h", "90m", "2d" (1 minute to 7 days) in seconds, or 0. */
int64_t c12_batch_window_parse(const char *s);

#endif
