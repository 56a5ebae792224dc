/* ecomlake convert - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'convert' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_convert = {
    "convert",
    "convert CSV to Parquet (and back) under a schema contract (not implemented yet)",
    "usage: ecomlake convert\n\nNot implemented yet.\n",
    run,
};
