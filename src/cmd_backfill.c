/* ecomlake backfill - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'backfill' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_backfill = {
    "backfill",
    "hydrate a lake with years of partitions, resumable and audited (not implemented yet)",
    "usage: ecomlake backfill\n\nNot implemented yet.\n",
    run,
};
