/* calib.h - per-model energy and time calibration, for the policy and the
 * simulator: what a prompt token and an output token cost on this machine.
 *
 * `c12 calibrate` measures (calib_measure.c) and stores the result as JSON in
 * $C12_HOME/calibration.json:
 *
 *   {"version": 1, "models": {"smollm2-135m": {"method": "cputime-constant",
 *     "j_per_prompt_token": 0.21, "j_per_output_token": 1.9,
 *     "s_per_prompt_token": 0.005, "s_per_output_token": 0.045,
 *     "load_s": 0.3, "load_j": 12.1, "threads": 2, "prompt_tokens": 64,
 *     "output_tokens": 32, "watts_per_core": 42.5, "measured_at": "..."}}}
 *
 * Entries are replaced per model, so calibrating one model keeps the others. */
#ifndef C12_CALIB_H
#define C12_CALIB_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_buf.h"
#include "base/c12_rc.h"
#include "energy/energy.h"

#define C12_CALIB_NAME_MAX 64
#define C12_CALIB_MAX_MODELS 64
#define C12_CALIB_FILE_MAX (1u << 20)

typedef struct c12_calib_entry {
    char model[C12_CALIB_NAME_MAX];
    char method[C12_ENERGY_METHOD_MAX];
    double j_per_prompt_token, j_per_output_token;
    double s_per_prompt_token, s_per_output_token;
    double load_s, load_j;         /* load + first touch of the weights */
    double watts_per_core;         /* 0 when the method is not cputime */
    int threads, prompt_tokens, output_tokens;
    char measured_at[32];          /* UTC, "YYYY-MM-DDTHH:MM:SSZ" */
} c12_calib_entry;

typedef struct c12_calibration {
    size_t n;
    c12_calib_entry e[C12_CALIB_MAX_MODELS];
} c12_calibration;

/* An empty calibration (c12_free it with c12_calib_free). */
c12_rc c12_calib_new(c12_calibration **out, c12_err *err);
void c12_calib_free(c12_calibration *c);
/* Parse the JSON above; unknown keys are ignored, bad values are FORMAT. */
c12_rc c12_calib_parse(const char *text, size_t len, c12_calibration **out, c12_err *err);
/* Read a file; C12_ERR_NOT_FOUND when it does not exist. */
c12_rc c12_calib_load(const char *path, c12_calibration **out, c12_err *err);
/* Serialize (pretty, keys in a fixed order) into b. */
c12_rc c12_calib_to_json(const c12_calibration *c, c12_buf *b, c12_err *err);
/* Write atomically (temporary file + rename), creating the folder. */
c12_rc c12_calib_save(const c12_calibration *c, const char *path, c12_err *err);
/* $C12_HOME/calibration.json (C12_HOME defaults to ~/.cache/c12). */
c12_rc c12_calib_default_path(char *out, size_t cap, c12_err *err);

const c12_calib_entry *c12_calib_find(const c12_calibration *c, const char *model);
/* Insert or replace the entry of e->model. C12_ERR_RANGE when full. */
c12_rc c12_calib_set(c12_calibration *c, const c12_calib_entry *e, c12_err *err);
/* Expected joules of a request: prompt and output tokens at the calibrated rates. */
double c12_calib_expected_j(const c12_calib_entry *e, double prompt_tokens, double output_tokens);
/* Expected seconds (without queueing or loading). */
double c12_calib_expected_s(const c12_calib_entry *e, double prompt_tokens, double output_tokens);

/* ---- measuring (calib_measure.c; uses the engine) ---- */

struct c12_model;

typedef struct c12_calib_params {
    int prompt_tokens;   /* evaluated in one prefill from an empty cache (default 64) */
    int output_tokens;   /* decoded one at a time after it (default 32) */
    int threads;         /* engine threads (0: one per core) */
    int reps;            /* runs; the cheapest is kept (default 1) */
    double max_s;        /* per run: decoding stops early after this (0: no limit) */
} c12_calib_params;

/* Measure prefill and decode of `m` with meter `meter`, filling everything in
 * *out except model, load_s and load_j (set by the caller, who loaded it). */
c12_rc c12_calib_measure(struct c12_model *m, const c12_meter *meter, const c12_calib_params *p,
                         c12_calib_entry *out, c12_err *err);

#endif
