/* ecomlake ingest - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'ingest' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_ingest = {
    "ingest",
    "validate landed CSV files and load them into bronze tables (not implemented yet)",
    "usage: ecomlake ingest\n\nNot implemented yet.\n",
    run,
};
