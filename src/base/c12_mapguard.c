/* c12_mapguard.c - the SIGBUS guard of mapped files (c12_mapguard.h).
 *
 * The table of guarded ranges is process-wide state, the one exception to
 * "no mutable globals": a signal handler can reach nothing else. It holds
 * only atomics, written by add/remove and read by the handler, and the
 * handler does nothing but mmap (a system call, safe in a handler on Linux)
 * and atomic stores. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/c12_mapguard.h"

typedef struct guard_slot {
    atomic_uintptr_t base; /* 0: free, or being filled in */
    atomic_size_t len;
    atomic_int damaged;
    atomic_int used;
} guard_slot;

static guard_slot g_slots[C12_MAPGUARD_MAX];
static struct sigaction g_previous; /* written once, before the handler can run */
static uintptr_t g_page;
static int g_installed;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    uintptr_t a = (uintptr_t)si->si_addr;
    for (int i = 0; i < C12_MAPGUARD_MAX; i++) {
        uintptr_t b = atomic_load(&g_slots[i].base);
        size_t n = atomic_load(&g_slots[i].len);
        if (!b || a < b || a - b >= n) continue;
        /* The page is past the file's new end: zeros in its place, so the
         * read that faulted completes; the owner sees `damaged`. */
        void *page = (void *)(a & ~(g_page - 1));
        if (mmap(page, (size_t)g_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
            atomic_store(&g_slots[i].damaged, 1);
            return;
        }
        break;
    }
    /* Not ours (or no page to put there): the handler from before takes the
     * fault again when the instruction is retried (the default: the
     * process dies with SIGBUS, as without this guard). */
    sigaction(SIGBUS, &g_previous, NULL);
}

static void install(void)
{
    long page = sysconf(_SC_PAGESIZE);
    g_page = page > 0 ? (uintptr_t)page : 4096;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    g_installed = sigaction(SIGBUS, &sa, &g_previous) == 0;
}

int c12_mapguard_add(const void *base, size_t len)
{
    pthread_once(&g_once, install);
    if (!g_installed || !base || !len) return -1;
    for (int i = 0; i < C12_MAPGUARD_MAX; i++) {
        int expect = 0;
        if (!atomic_compare_exchange_strong(&g_slots[i].used, &expect, 1)) continue;
        atomic_store(&g_slots[i].damaged, 0);
        atomic_store(&g_slots[i].len, len);
        atomic_store(&g_slots[i].base, (uintptr_t)base);
        return i;
    }
    return -1;
}

void c12_mapguard_remove(int h)
{
    if (h < 0 || h >= C12_MAPGUARD_MAX) return;
    atomic_store(&g_slots[h].base, 0);
    atomic_store(&g_slots[h].len, 0);
    atomic_store(&g_slots[h].damaged, 0);
    atomic_store(&g_slots[h].used, 0);
}

int c12_mapguard_damaged(int h)
{
    if (h < 0 || h >= C12_MAPGUARD_MAX) return 0;
    return atomic_load(&g_slots[h].damaged);
}
