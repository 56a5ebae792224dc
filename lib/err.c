#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ecl_err_setv(ecl_err *e, ecl_code code, const char *fmt, va_list ap)
{
    if (!e)
        return code;
    if (e->code != ECL_OK)
        return e->code;
    e->code = code;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return code;
}

int ecl_err_set(ecl_err *e, ecl_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ecl_err_setv(e, code, fmt, ap);
    va_end(ap);
    return rc;
}

static ecl_code code_from_errno(int errnum)
{
    switch (errnum) {
    case ENOSPC:
    case EDQUOT:
        return ECL_ENOSPC;
    case ENOMEM:
        return ECL_ENOMEM;
    case ENOENT:
        return ECL_ENOTFOUND;
    case EACCES:
    case EPERM:
    case EROFS:
        return ECL_EPERM;
    case EEXIST:
        return ECL_EEXISTS;
    case EINTR:
        return ECL_EINTR;
    default:
        return ECL_EIO;
    }
}

int ecl_err_errno(ecl_err *e, int errnum, const char *fmt, ...)
{
    if (!e)
        return code_from_errno(errnum);
    if (e->code != ECL_OK)
        return e->code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(e->msg);
    snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errnum));
    e->code = code_from_errno(errnum);
    return e->code;
}

void ecl_err_prefix(ecl_err *e, const char *fmt, ...)
{
    if (!e || e->code == ECL_OK)
        return;
    char pre[512], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    snprintf(e->msg, sizeof e->msg, "%s: %s", pre, old);
}

void ecl_err_clear(ecl_err *e)
{
    if (e) {
        e->code = ECL_OK;
        e->msg[0] = '\0';
    }
}

const char *ecl_code_name(ecl_code code)
{
    static const char *const names[ECL_CODE_LAST] = {
        [ECL_OK] = "ok",
        [ECL_EINVAL] = "invalid input",
        [ECL_ENOMEM] = "out of memory",
        [ECL_EIO] = "i/o error",
        [ECL_ENOSPC] = "no space left",
        [ECL_EFORMAT] = "bad format",
        [ECL_ECONFIG] = "configuration error",
        [ECL_ETRANSIENT] = "transient failure",
        [ECL_EAUTH] = "authentication failed",
        [ECL_ENOTFOUND] = "not found",
        [ECL_EPERM] = "permission denied",
        [ECL_EMISMATCH] = "verification mismatch",
        [ECL_EINTR] = "interrupted",
        [ECL_EPARTIAL] = "partial failure",
        [ECL_EUNSUPPORTED] = "unsupported",
        [ECL_EEXISTS] = "already exists",
        [ECL_EPERMANENT] = "permanent failure",
    };
    if ((unsigned)code >= ECL_CODE_LAST || !names[code])
        return "unknown error";
    return names[code];
}
