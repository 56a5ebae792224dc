/* Placeholders for the object-store sinks until their implementations land; they refuse clearly. */
#include "sink.h"

int ecl_sink_open_s3(ecl_sink **s, const char *url, const ecl_sink_opts *o, ecl_err *e)
{
    (void)o;
    *s = NULL;
    return ecl_err_set(e, ECL_EUNSUPPORTED, "s3 sink not built yet (cannot open '%s')", url);
}

int ecl_sink_open_gs(ecl_sink **s, const char *url, const ecl_sink_opts *o, ecl_err *e)
{
    (void)o;
    *s = NULL;
    return ecl_err_set(e, ECL_EUNSUPPORTED, "gs sink not built yet (cannot open '%s')", url);
}
