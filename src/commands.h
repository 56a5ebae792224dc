/* The command table. Each command lives in its own src/cmd_*.c and defines one cli_cmd. */
#ifndef ECL_COMMANDS_H
#define ECL_COMMANDS_H

#include "cli.h"

extern const cli_cmd cmd_convert;
extern const cli_cmd cmd_run_generator;
extern const cli_cmd cmd_export_raw;
extern const cli_cmd cmd_backfill;
extern const cli_cmd cmd_verify;
extern const cli_cmd cmd_status;
extern const cli_cmd cmd_upload_raw;
extern const cli_cmd cmd_window;
extern const cli_cmd cmd_continuous;
extern const cli_cmd cmd_ingest;
extern const cli_cmd cmd_build;
extern const cli_cmd cmd_reload;
extern const cli_cmd cmd_doctor;

#endif
