#include "models/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/c12_alloc.h"

static const char *const fixed_args[] = {
    "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
    "-d",
};
#define N_FIXED (sizeof fixed_args / sizeof fixed_args[0])

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

c12_rc c12_fetch_argv(const c12_model_entry *e, const char *dir, const char *python,
                      const char *extra, char ***out, c12_err *err)
{
    /* Size everything first, then lay the pointers and the strings out in a
     * single block, so the caller frees one thing and OOM has one exit. */
    size_t n_extra = 0, chars = strlen(python) + 1 + strlen(dir) + 1;
    for (size_t i = 0; i < N_FIXED; i++) chars += strlen(fixed_args[i]) + 1;
    for (size_t i = 0; i < e->n_parts; i++)
        chars += strlen(e->parts[i].package) + 2 + strlen(e->parts[i].version) + 1;
    if (extra) {
        for (const char *p = extra; *p;) {
            while (is_blank(*p)) p++;
            if (!*p) break;
            n_extra++;
            while (*p && !is_blank(*p)) p++, chars++;
            chars++;
        }
    }
    size_t n_args = 1 + N_FIXED + 1 + e->n_parts + n_extra;
    char **argv = c12_malloc((n_args + 1) * sizeof *argv + chars);
    if (!argv) return c12_fail(err, C12_ERR_NOMEM, "out of memory building pip's command line");
    char *s = (char *)(argv + n_args + 1);
    size_t k = 0;
#define PUT(str) (argv[k++] = s, s = stpcpy(s, (str)) + 1)
    PUT(python);
    for (size_t i = 0; i < N_FIXED; i++) PUT(fixed_args[i]);
    PUT(dir);
    for (size_t i = 0; i < e->n_parts; i++) {
        argv[k++] = s;
        s += sprintf(s, "%s==%s", e->parts[i].package, e->parts[i].version) + 1;
    }
#undef PUT
    if (extra) {
        for (const char *p = extra; *p;) {
            while (is_blank(*p)) p++;
            if (!*p) break;
            argv[k++] = s;
            while (*p && !is_blank(*p)) *s++ = *p++;
            *s++ = '\0';
        }
    }
    argv[k] = NULL;
    *out = argv;
    return C12_OK;
}

/* The last bytes of the child's stderr: enough for pip's closing ERROR lines.
 * Reads land after the kept bytes; the buffer is then cut back to TAIL_CAP. */
enum { TAIL_CAP = 2048 };
typedef struct {
    char buf[2 * TAIL_CAP];
    size_t len; /* <= TAIL_CAP between reads */
} tail_buf;

/* Read once from fd into t; returns read()'s result. */
static ssize_t tail_read(tail_buf *t, int fd)
{
    ssize_t n = read(fd, t->buf + t->len, TAIL_CAP);
    if (n > 0) {
        t->len += (size_t)n;
        if (t->len > TAIL_CAP) {
            memmove(t->buf, t->buf + t->len - TAIL_CAP, TAIL_CAP);
            t->len = TAIL_CAP;
        }
    }
    return n;
}

/* Copy into out the last lines of t that fit, each as "\n  LINE", so that an
 * error message ends with what pip said last (its ERROR lines). */
static void tail_lines(const tail_buf *t, char *out, size_t cap)
{
    size_t end = t->len;
    while (end && (t->buf[end - 1] == '\n' || t->buf[end - 1] == '\r')) end--;
    size_t first = end, used = 1; /* the NUL */
    for (size_t pos = end, lines = 0; pos > 0 && lines < 6; lines++) {
        size_t ls = pos; /* the line is buf[ls, pos) */
        while (ls && t->buf[ls - 1] != '\n') ls--;
        if (used + 3 + (pos - ls) > cap) break;
        used += 3 + (pos - ls);
        first = ls;
        pos = ls ? ls - 1 : 0;
    }
    if (first == end && end) /* one line longer than cap: keep its end */
        first = cap > 4 && end > cap - 4 ? end - (cap - 4) : 0;
    size_t o = 0;
    for (size_t i = first; i < end; i++) {
        if (i == first || t->buf[i - 1] == '\n') {
            if (o + 4 > cap - 1) break;
            memcpy(out + o, "\n  ", 3);
            o += 3;
        }
        if (t->buf[i] == '\n' || t->buf[i] == '\r') continue;
        if (o + 1 > cap - 1) break;
        out[o++] = t->buf[i];
    }
    out[o] = '\0';
}

c12_rc c12_fetch_run(char *const argv[], c12_err *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC))
        return c12_fail(err, C12_ERR_IO, "cannot make a pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    /* pip's stdout (its progress) goes to our stderr: our stdout is for the
     * command's own output. dup2 clears O_CLOEXEC on the copies. */
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    pid_t pid;
    int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (e) {
        close(fds[0]);
        return c12_fail(err, C12_ERR_IO, "cannot run %s: %s", argv[0], strerror(e));
    }
    tail_buf tail = {.len = 0};
    for (;;) {
        ssize_t n = tail_read(&tail, fds[0]);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return c12_fail(err, C12_ERR_INTERNAL, "waitpid: %s", strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return C12_OK;
    char what[64], lines[C12_ERR_MSG_MAX - 120];
    if (WIFEXITED(status))
        snprintf(what, sizeof what, "exit status %d", WEXITSTATUS(status));
    else
        snprintf(what, sizeof what, "killed by signal %d", WTERMSIG(status));
    tail_lines(&tail, lines, sizeof lines);
    return c12_fail(err, C12_ERR_IO, "pip download failed (%s)%s%s", what,
                    lines[0] ? "; its last lines:" : " and printed nothing", lines);
}

c12_rc c12_fetch_download(const c12_model_entry *e, const char *dir, c12_err *err)
{
    const char *python = getenv("C12_PYTHON");
    if (!python || !*python) python = "python3";
    char **argv = NULL;
    c12_rc rc = c12_fetch_argv(e, dir, python, getenv("C12_PIP_ARGS"), &argv, err);
    if (rc) return rc;
    rc = c12_fetch_run(argv, err);
    c12_free(argv);
    return rc;
}

c12_rc c12_fetch_mkdirs(const char *path, c12_err *err)
{
    char tmp[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof tmp) return c12_fail(err, C12_ERR_RANGE, "bad directory path");
    memcpy(tmp, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0') continue;
        char c = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, 0755) && errno != EEXIST)
            return c12_fail(err, C12_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
        tmp[i] = c;
    }
    struct stat st;
    if (stat(path, &st) || !S_ISDIR(st.st_mode))
        return c12_fail(err, C12_ERR_IO, "%s is not a directory", path);
    return C12_OK;
}

c12_rc c12_fetch_tmpdir(const char *parent, char *out, size_t cap, c12_err *err)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s/.pull-XXXXXX", parent);
    if (n < 0 || (size_t)n >= sizeof tmp || (size_t)n >= cap)
        return c12_fail(err, C12_ERR_RANGE, "path too long: %s", parent);
    if (!mkdtemp(tmp))
        return c12_fail(err, C12_ERR_IO, "cannot create a directory in %s: %s", parent,
                        strerror(errno));
    memcpy(out, tmp, (size_t)n + 1);
    return C12_OK;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void c12_fetch_rmtree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
