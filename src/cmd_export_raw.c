/* ecomlake export-raw - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'export-raw' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_export_raw = {
    "export-raw",
    "turn a generated run into Hive-partitioned Parquet with manifests (not implemented yet)",
    "usage: ecomlake export-raw\n\nNot implemented yet.\n",
    run,
};
