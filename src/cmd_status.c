/* ecomlake status - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'status' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_status = {
    "status",
    "show runs, chunks, partitions and the backfill log (not implemented yet)",
    "usage: ecomlake status\n\nNot implemented yet.\n",
    run,
};
