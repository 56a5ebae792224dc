/* Fuzzes what the object-storage client parses from servers and the environment: Retry-After
 * values, S3 error bodies, the retry classification and size settings. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/http.h"
#include "../../lib/remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    double ra = ecl_http_parse_retry_after(s, 1700000000);
    if (!(ra == -1 || ra >= 0))
        abort();
    char code[64], why[256];
    ecl_http_s3_code(s, size, code, sizeof code);
    if (strlen(code) >= sizeof code)
        abort();
    long status = size ? 100 + data[0] * 2 : 200;
    ecl_http_class k = ecl_http_classify(0, status, s, size, why, sizeof why);
    if (k != ECL_HTTP_OK && k != ECL_HTTP_RETRY && k != ECL_HTTP_FINAL)
        abort();
    uint64_t v;
    (void)ecl_parse_size(s, &v);
    free(s);
    return 0;
}
