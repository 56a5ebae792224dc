/* err.h - one error enum and a message beside it.
 *
 * Library functions return int: 0 on success, otherwise one of the ecl_code values below, and fill the
 * caller's ecl_err with a one-line message (lowercase, no final period, what failed first, paths in
 * quotes). Only the first error is kept (sticky), so a cause is never overwritten by its consequences.
 * The CLI maps codes to exit codes at the edge; the library never prints or exits.
 * Values are never renumbered. */
#ifndef ECL_ERR_H
#define ECL_ERR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum ecl_code {
    ECL_OK = 0,
    ECL_EINVAL = 1,       /* bad argument or input value (usage, contract, CSV row) */
    ECL_ENOMEM = 2,       /* allocation failed or a size cap was hit */
    ECL_EIO = 3,          /* local I/O failed */
    ECL_ENOSPC = 4,       /* disk full or quota exceeded */
    ECL_EFORMAT = 5,      /* corrupt or unsupported data (Parquet, CSV, JSON, YAML) */
    ECL_ECONFIG = 6,      /* configuration error (file:line:col in the message) */
    ECL_ETRANSIENT = 7,   /* network or service failure worth retrying */
    ECL_EAUTH = 8,        /* missing, bad or expired credentials */
    ECL_ENOTFOUND = 9,    /* file, object, bucket or partition does not exist */
    ECL_EPERM = 10,       /* permission denied */
    ECL_EMISMATCH = 11,   /* verification found data that does not match its manifest */
    ECL_EINTR = 12,       /* interrupted by a signal; state is resumable */
    ECL_EPARTIAL = 13,    /* some units of work failed; the rest committed */
    ECL_EUNSUPPORTED = 14,/* a feature we deliberately do not handle */
    ECL_EEXISTS = 15,     /* target already exists */
    ECL_EPERMANENT = 16,  /* remote refused for a reason retries cannot fix */
    ECL_CODE_LAST
} ecl_code;

typedef struct ecl_err {
    ecl_code code;
    char msg[1024];
} ecl_err;

#define ECL_ERR_INIT {ECL_OK, {0}}

/* Records code and message unless an error is already recorded; returns the recorded code. */
int ecl_err_set(ecl_err *e, ecl_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ecl_err_setv(ecl_err *e, ecl_code code, const char *fmt, va_list ap);
/* Like ecl_err_set, with ": strerror(errnum)" appended and the code chosen from errnum. */
int ecl_err_errno(ecl_err *e, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes context to an already recorded message ("partition 'x': <old message>"). */
void ecl_err_prefix(ecl_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ecl_err_clear(ecl_err *e);
const char *ecl_code_name(ecl_code code);

#endif
