/* sandbox.c - running generated Python in a child process, never in C12's.
 *
 * The child gets its own process group (so a program that forks is killed
 * whole), a fresh temporary folder as its working directory, stdin from
 * /dev/null, stdout/stderr discarded, RLIMIT_CPU, RLIMIT_AS (1 GiB),
 * RLIMIT_FSIZE (16 MiB), no inherited descriptors, a network namespace of its
 * own where the kernel allows one (best effort), and python3 -I (isolated: no user
 * site, no PYTHON* variables). The parent polls for its exit and kills the
 * group with SIGKILL at the wall-clock deadline: CPU time alone would not stop
 * a program that sleeps. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/c12_clock.h"
#include "quality/quality.h"

static c12_rc write_file(const char *path, const char *text, c12_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return c12_fail(err, C12_ERR_IO, "eval-quality: cannot create %s: %s", path, strerror(errno));
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            close(fd);
            return c12_fail(err, C12_ERR_IO, "eval-quality: cannot write %s", path);
        }
        off += (size_t)w;
    }
    close(fd);
    return C12_OK;
}

/* In the child, before exec: only async-signal-safe calls. */
static void child(const char *dir, double timeout_s)
{
    setpgid(0, 0);
    /* best effort: no network (a new, empty network namespace) where user
     * namespaces are allowed; the limits below hold either way */
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) (void)unshare(CLONE_NEWNET);
    for (int fd = 3; fd < 1024; fd++) close(fd); /* the model file, sockets, the ledger */
    if (chdir(dir)) _exit(126);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    rlim_t cpu = (rlim_t)timeout_s + 1;
    struct rlimit r = {cpu, cpu + 1};
    setrlimit(RLIMIT_CPU, &r);
    r.rlim_cur = r.rlim_max = (rlim_t)1 << 30;
    setrlimit(RLIMIT_AS, &r);
    r.rlim_cur = r.rlim_max = (rlim_t)16 << 20;
    setrlimit(RLIMIT_FSIZE, &r);
    r.rlim_cur = r.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &r);
    char *argv[] = {"python3", "-I", "prog.py", NULL};
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "PYTHONHASHSEED=0", "HOME=/nonexistent", NULL};
    execve("/usr/bin/python3", argv, envp);
    execvpe("python3", argv, envp);
    _exit(127);
}

c12_rc c12_quality_run_python(const char *program, double timeout_s, c12_quality_outcome *out, c12_err *err)
{
    if (!(timeout_s > 0)) return c12_fail(err, C12_ERR_INVALID, "eval-quality: timeout must be > 0");
    const char *tmp = getenv("TMPDIR");
    char dir[512], file[600];
    if (snprintf(dir, sizeof dir, "%s/c12-quality-XXXXXX", tmp && *tmp ? tmp : "/tmp") >= (int)sizeof dir)
        return c12_fail(err, C12_ERR_RANGE, "eval-quality: TMPDIR too long");
    if (!mkdtemp(dir)) return c12_fail(err, C12_ERR_IO, "eval-quality: mkdtemp: %s", strerror(errno));
    snprintf(file, sizeof file, "%s/prog.py", dir);
    c12_rc rc = write_file(file, program, err);
    pid_t pid = -1;
    if (!rc && (pid = fork()) < 0) rc = c12_fail(err, C12_ERR_IO, "eval-quality: fork: %s", strerror(errno));
    if (pid == 0) child(dir, timeout_s);
    c12_quality_outcome o = C12_QUALITY_FAIL;
    if (!rc) {
        setpgid(pid, pid); /* also here: no race with the kill below */
        double deadline = c12_clock_s() + timeout_s;
        int status = 0, done = 0;
        while (!done) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) {
                done = 1;
            } else if (w < 0 && errno != EINTR) {
                rc = c12_fail(err, C12_ERR_IO, "eval-quality: waitpid: %s", strerror(errno));
                break;
            } else if (c12_clock_s() >= deadline) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
                }
                o = C12_QUALITY_TIMEOUT;
                break;
            } else {
                struct timespec ts = {0, 5 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
        }
        if (done) {
            kill(-pid, SIGKILL); /* anything it left behind */
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) o = C12_QUALITY_PASS;
            else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) o = C12_QUALITY_TIMEOUT;
        }
    }
    /* the program may have written files: remove the folder and all in it */
    unlink(file);
    if (rmdir(dir)) {
        pid_t rp = fork();
        if (rp == 0) {
            char *argv[] = {"rm", "-rf", dir, NULL};
            execvp("rm", argv);
            _exit(127);
        }
        if (rp > 0) waitpid(rp, NULL, 0);
    }
    if (rc) return rc;
    *out = o;
    return C12_OK;
}
