/* sink_gcs.c - Google Cloud Storage through the JSON API. */
#include "sink.h"

int ecl_sink_open_gs(ecl_sink **s, const char *url, const ecl_sink_opts *o, ecl_err *e)
{
    (void)o;
    *s = NULL;
    return ecl_err_set(e, ECL_EUNSUPPORTED, "'%s': the gs:// sink is not built yet", url);
}
