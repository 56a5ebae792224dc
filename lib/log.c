#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static ecl_log_hook g_hook;
static void *g_ctx;
static ecl_level g_min = ECL_LOG_INFO;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

void ecl_log_set_hook(ecl_log_hook hook, void *ctx, ecl_level min_level)
{
    pthread_mutex_lock(&g_lock);
    g_hook = hook;
    g_ctx = ctx;
    g_min = min_level;
    pthread_mutex_unlock(&g_lock);
}

int ecl_log_enabled(ecl_level level) { return g_hook && level >= g_min; }

void ecl_log(ecl_level level, const char *subject, const char *fmt, ...)
{
    if (!ecl_log_enabled(level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&g_lock);
    if (g_hook)
        g_hook(level, subject, msg, g_ctx);
    pthread_mutex_unlock(&g_lock);
}
