/* ecomlake upload-raw - not implemented yet: see the open issues. */
#include "commands.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("'upload-raw' is not implemented yet");
    return EXIT_FAILURE_;
}

const cli_cmd cmd_upload_raw = {
    "upload-raw",
    "publish local partitions to S3 or GCS (not implemented yet)",
    "usage: ecomlake upload-raw\n\nNot implemented yet.\n",
    run,
};
