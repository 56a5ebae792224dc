/* ecomlake run-generator - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'run-generator' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_run_generator = {
    "run-generator",
    "generate the synthetic e-commerce dataset for a date range (not implemented yet)",
    "usage: ecomlake run-generator\n\nNot implemented yet.\n",
    run,
};
