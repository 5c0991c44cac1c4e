#include <stdio.h>

#include "cli.h"

int cmd_tokenize(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "c12 %s: not built yet\n", argv[0]);
    return 1;
}
