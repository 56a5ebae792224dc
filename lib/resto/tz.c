/* tz.c - local civil time <-> UTC through the system tz database.
 *
 * The C library only converts in the process's own zone (TZ), so each conversion sets TZ under a
 * lock and puts the previous value back. This is the one piece of process-global state the restaurant
 * model touches; callers elsewhere that read TZ concurrently would see it flip. */
#include "resto.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct tz_saved {
    char *old;
    int had;
} tz_saved;

static void tz_enter(const char *zone, tz_saved *s)
{
    pthread_mutex_lock(&tz_lock);
    const char *old = getenv("TZ");
    s->had = old != NULL;
    s->old = old ? strdup(old) : NULL;
    setenv("TZ", zone, 1);
    tzset();
}

static void tz_leave(tz_saved *s)
{
    if (s->had && s->old)
        setenv("TZ", s->old, 1);
    else
        unsetenv("TZ");
    tzset();
    free(s->old);
    pthread_mutex_unlock(&tz_lock);
}

int ecl_tz_check(const char *zone, ecl_err *e)
{
    if (!zone || !*zone || strstr(zone, "..") || zone[0] == '/' || strlen(zone) > 200)
        return ecl_err_set(e, ECL_EINVAL, "'%s' is not a time zone name", zone ? zone : "");
    if (strcmp(zone, "UTC") == 0)
        return 0;
    /* glibc quietly falls back to UTC for unknown names, so look the zone up ourselves. */
    const char *dir = getenv("TZDIR");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
    if (access(path, R_OK) != 0)
        return ecl_err_set(e, ECL_EINVAL, "unknown time zone '%s' (not in the tz database)", zone);
    return 0;
}

int ecl_tz_local_to_utc(const char *zone, int32_t date, int seconds_of_day, int64_t *utc, ecl_err *e)
{
    int y, m, d;
    ecl_civil_from_days(date, &y, &m, &d);
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = seconds_of_day / 3600;
    tm.tm_min = seconds_of_day / 60 % 60;
    tm.tm_sec = seconds_of_day % 60;
    tm.tm_isdst = -1;
    tz_saved s;
    tz_enter(zone, &s);
    time_t t = mktime(&tm);
    tz_leave(&s);
    if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31))
        return ecl_err_set(e, ECL_EINVAL, "cannot convert local time in zone '%s'", zone);
    *utc = (int64_t)t;
    return 0;
}

int ecl_tz_utc_to_local(const char *zone, int64_t utc, int32_t *date, int *seconds_of_day,
                        int *offset, ecl_err *e)
{
    time_t t = (time_t)utc;
    struct tm tm;
    tz_saved s;
    tz_enter(zone, &s);
    struct tm *ok = localtime_r(&t, &tm);
    tz_leave(&s);
    if (!ok)
        return ecl_err_set(e, ECL_EINVAL, "cannot convert instant %lld to zone '%s'", (long long)utc, zone);
    *date = ecl_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    *seconds_of_day = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    *offset = (int)tm.tm_gmtoff;
    return 0;
}
