/* ecomlake build - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'build' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_build = {
    "build",
    "rebuild silver and gold tables in the warehouse (not implemented yet)",
    "usage: ecomlake build\n\nNot implemented yet.\n",
    run,
};
