/* log.h - the library's only way to say something: events handed to a hook the CLI installs.
 * Without a hook, events are dropped. Thread-safe: the hook is called under a lock. */
#ifndef ECL_LOG_H
#define ECL_LOG_H

typedef enum ecl_level { ECL_LOG_DEBUG, ECL_LOG_INFO, ECL_LOG_WARN, ECL_LOG_ERROR } ecl_level;

/* subject names what the event concerns (a partition, an object key, a file), or NULL. */
typedef void (*ecl_log_hook)(ecl_level level, const char *subject, const char *msg, void *ctx);

void ecl_log_set_hook(ecl_log_hook hook, void *ctx, ecl_level min_level);
int ecl_log_enabled(ecl_level level);
void ecl_log(ecl_level level, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
