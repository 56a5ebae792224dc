/* ecomlake continuous - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'continuous' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_continuous = {
    "continuous",
    "generate restaurant windows as they close, catching up missed ones (not implemented yet)",
    "usage: ecomlake continuous\n\nNot implemented yet.\n",
    run,
};
