/* ecomlake reload - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'reload' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_reload = {
    "reload",
    "delete and reload a date range of a warehouse table, audited (not implemented yet)",
    "usage: ecomlake reload\n\nNot implemented yet.\n",
    run,
};
