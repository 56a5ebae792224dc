/* Scratch directories for unit tests: a fresh directory under $TMPDIR (or /tmp), removed after. */
#ifndef ECL_TEST_TMPDIR_H
#define ECL_TEST_TMPDIR_H

#include <stddef.h>

/* Creates "<tmp>/<prefix>XXXXXX" into out; returns 0 or -1. */
int ecl_test_mkdtemp(char *out, size_t n, const char *prefix);
/* Removes dir and everything below it; returns 0 or -1. */
int ecl_test_rmtree(const char *dir);

#endif
