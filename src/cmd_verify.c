/* ecomlake verify - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'verify' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_verify = {
    "verify",
    "check a lake's partitions against their manifests (not implemented yet)",
    "usage: ecomlake verify\n\nNot implemented yet.\n",
    run,
};
