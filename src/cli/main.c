/* main.c - `c12 COMMAND [ARGS]`: find the command in the table and run it. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_json.h"
#include "cli.h"

#ifndef C12_VERSION
#define C12_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
    fprintf(out, "c12 %s - a carbon-aware LLM serving gateway\n\nusage: c12 COMMAND [ARGS]\n\n",
            C12_VERSION);
    for (const c12_cli_cmd *c = c12_cli_commands; c->name; c++)
        fprintf(out, "  %-12s %s\n", c->name, c->summary);
    fprintf(out, "\n`c12 COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
    c12_json_init(); /* jansson's allocator is process-wide: set before any thread */
    /* No fastbins: glibc merges them all (malloc_consolidate) before each
     * large block, and every served request makes one (its job, 6 KB) after
     * the small blocks of the last one's JSON: 3% of a proxied request's
     * CPU, 2% net of the dearer frees (perf, bench/README.md). Small
     * blocks still come from the per-thread caches. */
    mallopt(M_MXFAST, 0);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("c12 %s\n", C12_VERSION);
        return 0;
    }
    for (const c12_cli_cmd *c = c12_cli_commands; c->name; c++)
        if (!strcmp(c->name, argv[1])) return c->run(argc - 1, argv + 1);
    fprintf(stderr, "c12: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
