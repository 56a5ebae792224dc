/* ecomlake doctor - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'doctor' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_doctor = {
    "doctor",
    "pre-flight checks: tools, credentials, endpoints, disk (not implemented yet)",
    "usage: ecomlake doctor\n\nNot implemented yet.\n",
    run,
};
