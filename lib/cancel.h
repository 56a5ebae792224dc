/* cancel.h - cooperative cancellation. The CLI's signal handler sets the flag; long-running library
 * loops poll ecl_cancelled() at clean points (between partitions, parts, row groups) and return
 * ECL_EINTR, leaving everything resumable. */
#ifndef ECL_CANCEL_H
#define ECL_CANCEL_H

#include <signal.h>
#include <stdbool.h>

extern volatile sig_atomic_t ecl_cancel_flag;

static inline bool ecl_cancelled(void) { return ecl_cancel_flag != 0; }
static inline void ecl_cancel_request(void) { ecl_cancel_flag = 1; }

#endif
