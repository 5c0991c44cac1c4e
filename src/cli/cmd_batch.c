/* cmd_batch.c - `c12 batch submit|list|status|cancel|results`: a client of
 * a running server's Files and Batches API (docs/batch.md), with a progress
 * bar on a terminal. Exit status: 0 done, 1 failed, 2 usage error. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/c12_buf.h"
#include "cli.h"

#define MAX_ANSWER (256u << 20)

typedef struct batch_opts {
    const char *url, *key, *window, *endpoint, *out;
    int wait, errors, json;
} batch_opts;

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: c12 batch submit FILE.jsonl [--window 24h] [--endpoint /v1/chat/completions] [--wait]\n"
               "       c12 batch list [--json]\n"
               "       c12 batch status ID [--wait] [--json]\n"
               "       c12 batch cancel ID\n"
               "       c12 batch results ID [--errors] [-o FILE]\n"
               "  options: --url URL (default $C12_URL, else http://127.0.0.1:8080), --key KEY (default\n"
               "  $C12_API_KEY). submit uploads the file (purpose batch) and creates the batch; --window is\n"
               "  \"24h\" or any \"1m\"..\"7d\"; the endpoint defaults to the first line's url. --wait shows a\n"
               "  progress bar (on a terminal) until the batch is final. results writes the output file (or\n"
               "  with --errors the error file) to stdout or FILE.\n");
    return rc;
}

/* ---- HTTP ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    return c12_buf_append(ud, p, size * n) ? 0 : size * n;
}

/* One request: method and path on the server; a JSON body, a form, or
 * neither. The answer's status and bytes. */
static int call(const batch_opts *o, const char *method, const char *path, const char *json, curl_mime *form,
                long *status, c12_buf *answer)
{
    CURL *h = curl_easy_init();
    if (!h) return 1;
    char url[2048], auth[600];
    struct curl_slist *hdrs = NULL;
    snprintf(url, sizeof url, "%s%s", o->url, path);
    if (o->key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->key);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (json) hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    if (json) curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    if (form) curl_easy_setopt(h, CURLOPT_MIMEPOST, form);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    if (rc != CURLE_OK) fprintf(stderr, "c12 batch: %s %s: %s\n", method, url, curl_easy_strerror(rc));
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc != CURLE_OK;
}

/* A JSON answer with a 2xx status, else the error's message on stderr. */
static json_t *call_json(const batch_opts *o, const char *method, const char *path, const char *json, curl_mime *form)
{
    c12_buf b;
    long status = 0;
    c12_buf_init(&b, MAX_ANSWER);
    json_t *j = NULL;
    if (!call(o, method, path, json, form, &status, &b)) j = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    if (j && (status < 200 || status > 299)) {
        const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        fprintf(stderr, "c12 batch: %s %s: %ld %s\n", method, path, status, msg ? msg : "");
        json_decref(j);
        j = NULL;
    } else if (!j && status) {
        fprintf(stderr, "c12 batch: %s %s: %ld, not JSON\n", method, path, status);
    }
    c12_buf_free(&b);
    return j;
}

static const char *str(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static long long num(json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

/* ---- showing a batch ---- */

static int is_final(const char *status)
{
    static const char *const FINAL[] = {"completed", "failed", "expired", "cancelled"};
    for (size_t i = 0; status && i < sizeof FINAL / sizeof FINAL[0]; i++)
        if (!strcmp(status, FINAL[i])) return 1;
    return 0;
}

static void show(json_t *b, int bar)
{
    json_t *rc = json_object_get(b, "request_counts"), *c12 = json_object_get(b, "c12");
    long long total = num(rc, "total"), done = num(rc, "completed") + num(rc, "failed");
    double co2 = json_number_value(json_object_get(c12, "co2_g")),
           at_submit = json_number_value(json_object_get(c12, "co2_at_submission_g"));
    json_t *start = json_object_get(c12, "planned_start_at");
    char when[32] = "";
    if (json_is_integer(start) && done < total && json_integer_value(start) > time(NULL)) {
        time_t t = (time_t)json_integer_value(start);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%SZ", gmtime(&t));
    }
    if (bar) {
        int w = 30, fill = total ? (int)(w * done / total) : 0;
        fprintf(stderr, "\r%s [%.*s%.*s] %lld/%lld %-11s %.4f g CO2e%s%s   ", str(b, "id"), fill,
                "##############################", w - fill, "..............................", done, total,
                str(b, "status"), co2, when[0] ? ", waiting for cleaner power until " : "", when);
        return;
    }
    printf("%s %s: %lld/%lld lines (%lld failed), %.4f g CO2e (%.4f g had it run at submission), waited %.0f s%s%s\n",
           str(b, "id"), str(b, "status"), done, total, num(rc, "failed"), co2, at_submit,
           json_number_value(json_object_get(c12, "deferred_s")), when[0] ? "; starts " : "", when);
    const char *out = str(b, "output_file_id"), *errs = str(b, "error_file_id");
    if (out || errs) printf("  output %s, errors %s\n", out ? out : "none", errs ? errs : "none");
}

/* Poll until final, with a bar on a terminal. */
static int wait_final(const batch_opts *o, const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/batches/%s", id);
    int tty = isatty(2);
    for (;;) {
        json_t *b = call_json(o, "GET", path, NULL, NULL);
        if (!b) return 1;
        int final = is_final(str(b, "status"));
        if (tty) show(b, 1);
        if (final) {
            if (tty) fputc('\n', stderr);
            show(b, 0);
        }
        int failed = final && strcmp(str(b, "status"), "completed");
        json_decref(b);
        if (final) return failed;
        sleep(1);
    }
}

/* ---- the subcommands ---- */

/* The url of the file's first line: the batch's endpoint when not given. */
static const char *first_url(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[65536];
    out[0] = '\0';
    if (f && fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        if (str(j, "url")) snprintf(out, cap, "%s", str(j, "url"));
        json_decref(j);
    }
    if (f) fclose(f);
    return out[0] ? out : "/v1/chat/completions";
}

static int sub_submit(const batch_opts *o, const char *file)
{
    CURL *h = curl_easy_init();
    curl_mime *form = h ? curl_mime_init(h) : NULL;
    if (!form) return 1;
    curl_mimepart *p = curl_mime_addpart(form);
    curl_mime_name(p, "purpose");
    curl_mime_data(p, "batch", CURL_ZERO_TERMINATED);
    p = curl_mime_addpart(form);
    curl_mime_name(p, "file");
    int bad = curl_mime_filedata(p, file) != CURLE_OK;
    json_t *f = bad ? NULL : call_json(o, "POST", "/v1/files", NULL, form);
    curl_mime_free(form);
    curl_easy_cleanup(h);
    if (bad) fprintf(stderr, "c12 batch: cannot read %s\n", file);
    if (!f) return 1;
    char url[64];
    json_t *req = json_pack("{s:s, s:s, s:s}", "input_file_id", str(f, "id"), "endpoint",
                            o->endpoint ? o->endpoint : first_url(file, url, sizeof url), "completion_window", o->window);
    char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_t *b = text ? call_json(o, "POST", "/v1/batches", text, NULL) : NULL;
    free(text);
    json_decref(req);
    json_decref(f);
    if (!b) return 1;
    printf("%s\n", str(b, "id"));
    fflush(stdout);
    int rc = !strcmp(str(b, "status"), "failed");
    if (rc) show(b, 0);
    else if (o->wait) rc = wait_final(o, str(b, "id"));
    json_decref(b);
    return rc;
}

static int sub_list(const batch_opts *o)
{
    json_t *l = call_json(o, "GET", "/v1/batches?limit=100", NULL, NULL);
    if (!l) return 1;
    size_t i;
    json_t *b;
    if (o->json) json_dumpf(l, stdout, JSON_INDENT(2)), printf("\n");
    else json_array_foreach(json_object_get(l, "data"), i, b) show(b, 0);
    json_decref(l);
    return 0;
}

static int sub_one(const batch_opts *o, const char *id, const char *action)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/batches/%s%s", id, action ? action : "");
    if (!action && o->wait) return wait_final(o, id);
    json_t *b = call_json(o, action ? "POST" : "GET", path, NULL, NULL);
    if (!b) return 1;
    if (o->json) json_dumpf(b, stdout, JSON_INDENT(2)), printf("\n");
    else show(b, 0);
    json_decref(b);
    return 0;
}

static int sub_results(const batch_opts *o, const char *id)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/batches/%s", id);
    json_t *b = call_json(o, "GET", path, NULL, NULL);
    const char *file = b ? str(b, o->errors ? "error_file_id" : "output_file_id") : NULL;
    if (b && !file) fprintf(stderr, "c12 batch: %s has no %s file (status %s)\n", id, o->errors ? "error" : "output",
                            str(b, "status"));
    int rc = 1;
    if (file) {
        c12_buf out;
        long status = 0;
        c12_buf_init(&out, MAX_ANSWER);
        snprintf(path, sizeof path, "/v1/files/%s/content", file);
        if (!call(o, "GET", path, NULL, NULL, &status, &out) && status == 200) {
            FILE *f = o->out ? fopen(o->out, "wb") : stdout;
            rc = !f || fwrite(out.data, 1, out.len, f) != out.len;
            if (f && f != stdout) rc |= fclose(f) != 0;
            if (rc) fprintf(stderr, "c12 batch: cannot write %s\n", o->out ? o->out : "stdout");
        }
        c12_buf_free(&out);
    }
    json_decref(b);
    return rc;
}

int cmd_batch(int argc, char **argv)
{
    batch_opts o = {.url = getenv("C12_URL") ? getenv("C12_URL") : "http://127.0.0.1:8080",
                    .key = getenv("C12_API_KEY"), .window = "24h"};
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--wait")) o.wait = 1;
        else if (!strcmp(a, "--errors")) o.errors = 1;
        else if (!strcmp(a, "--json")) o.json = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout, 0);
        else if (a[0] == '-' && !v) return usage(stderr, 2);
        else if (!strcmp(a, "--url")) o.url = v, i++;
        else if (!strcmp(a, "--key")) o.key = v, i++;
        else if (!strcmp(a, "--window")) o.window = v, i++;
        else if (!strcmp(a, "--endpoint")) o.endpoint = v, i++;
        else if (!strcmp(a, "-o")) o.out = v, i++;
        else if (a[0] != '-' && npos < 2) pos[npos++] = a;
        else return usage(stderr, 2);
    }
    const char *sub = argc > 1 ? argv[1] : "";
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = 2;
    if (!strcmp(sub, "submit") && npos == 1) rc = sub_submit(&o, pos[0]);
    else if (!strcmp(sub, "list") && npos == 0) rc = sub_list(&o);
    else if (!strcmp(sub, "status") && npos == 1) rc = sub_one(&o, pos[0], NULL);
    else if (!strcmp(sub, "cancel") && npos == 1) rc = sub_one(&o, pos[0], "/cancel");
    else if (!strcmp(sub, "results") && npos == 1) rc = sub_results(&o, pos[0]);
    else if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) rc = usage(stdout, 0);
    else usage(stderr, 2);
    curl_global_cleanup();
    return rc;
}
