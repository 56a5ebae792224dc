/* sqlfiles.h - the warehouse SQL files of the repository (sql/bronze, sql/silver, sql/gold), compiled
 * into the binary so `ecomlake ingest` and `ecomlake build` need nothing installed beside it.
 *
 * A step may have per-dialect variants: "silver/02_orders" resolves to sql/silver/02_orders.sql, or to
 * 02_orders.sqlite.sql / 02_orders.postgres.sql where the two engines need different text. */
#ifndef ECL_SQLFILES_H
#define ECL_SQLFILES_H

#include <stddef.h>

typedef struct ecl_sqlfile {
    const char *name;    /* "silver/02_orders" */
    const char *dialect; /* NULL = both, "sqlite" or "postgres" */
    const char *text;    /* NUL-terminated */
} ecl_sqlfile;

/* The text of a step for a dialect ("sqlite" or "postgres"), or NULL. */
const char *ecl_sqlfile_get(const char *name, const char *dialect);
/* Steps of a layer ("bronze", "silver", "gold") in order, each name once. Returns the count. */
size_t ecl_sqlfile_steps(const char *layer, const char **names, size_t max);

#endif
