/* libFuzzer target for the YAML loader and the schema contract built on it: any input either loads
 * or fails with an ECL_ECONFIG message that starts with the file name and a position; a loaded tree
 * can be walked and every typed getter called on every node without crashing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/contract.h"
#include "../../lib/yamlcfg.h"

static void walk(const ecl_ynode *n, int depth)
{
    ecl_err e = ECL_ERR_INIT;
    const char *s;
    int64_t i;
    double d;
    bool b;
    int32_t days;
    int idx;
    static const char *const names[] = {"a", "b", NULL};
    char path[128];
    ecl_y_str(n, &s, &e);
    ecl_y_int(n, &i, &e);
    ecl_y_double(n, &d, &e);
    ecl_y_prob(n, &d, &e);
    ecl_y_posint(n, &i, &e);
    ecl_y_bool(n, &b, &e);
    ecl_y_date(n, &days, &e);
    ecl_y_enum(n, names, &idx, &e);
    ecl_y_pathstr(n, path, sizeof path);
    if (depth > 200)
        abort();
    for (size_t k = 0; k < ecl_y_len(n); k++)
        walk(ecl_y_item(n, k), depth + 1);
    ecl_y_check_keys(n, names, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ecl_err e = ECL_ERR_INIT;
    ecl_ydoc *doc = NULL;
    if (ecl_ydoc_load_mem(&doc, "f.yaml", data, size, &e) == 0) {
        walk(ecl_ydoc_root(doc), 0);
        ecl_ydoc_free(doc);
    } else if (e.code != ECL_ECONFIG || strncmp(e.msg, "f.yaml:", 7) != 0) {
        abort();
    }
    ecl_contract c;
    ecl_err_clear(&e);
    if (ecl_contract_load_mem(&c, "f.yaml", data, size, &e) == 0) {
        if (c.schema.nfields == 0 || !c.name)
            abort();
        ecl_contract_release(&c);
    } else if (e.code != ECL_ECONFIG || (strncmp(e.msg, "f.yaml:", 7) != 0 && strncmp(e.msg, "missing", 7) != 0)) {
        abort();
    }
    return 0;
}
