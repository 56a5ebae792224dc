/* ecomlake window - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'window' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_window = {
    "window",
    "generate one business window of restaurant sales (not implemented yet)",
    "usage: ecomlake window\n\nNot implemented yet.\n",
    run,
};
