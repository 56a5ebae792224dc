/* gauth.h - Google OAuth2 access tokens for the GCS sink, found the way Application Default
 * Credentials are: GOOGLE_APPLICATION_CREDENTIALS (a service-account key or an authorized-user file),
 * then gcloud's application_default_credentials.json (CLOUDSDK_CONFIG or ~/.config/gcloud), then the
 * metadata server (GCE_METADATA_HOST, default metadata.google.internal).
 *
 * One token cache per credential, shared by all threads: the first thread that finds the token
 * close to expiry refreshes it while the others wait (single flight). A token is refreshed once
 * less than min(5 min, 20% of its lifetime) remains, and again when a request came back 401.
 * Refresh failures that are transient (transport, 408, 429, 5xx including 502) are retried with
 * the upload retry policy; invalid_grant and friends fail with advice. */
#ifndef ECL_GAUTH_H
#define ECL_GAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "http.h"

typedef struct ecl_gauth ecl_gauth;

/* Discovers credentials. With anonymous_ok (an emulator) and none found, tokens are empty. */
int ecl_gauth_new(ecl_gauth **g, ecl_http *http, bool anonymous_ok, ecl_err *e);
void ecl_gauth_free(ecl_gauth *g);
/* "service_account", "authorized_user", "metadata" or "none". */
const char *ecl_gauth_kind(const ecl_gauth *g);
/* A valid access token ("" when anonymous). refused: the token a request was just refused with
 * (401), or NULL; it is replaced unless another thread already did. */
int ecl_gauth_token(ecl_gauth *g, const char *refused, char *out, size_t cap, ecl_err *e);
long ecl_gauth_refreshes(ecl_gauth *g);

/* Seconds before expiry at which a token of this lifetime is refreshed: min(300, lifetime / 5). */
double ecl_gauth_refresh_margin(double lifetime_s);
/* Builds the signed JWT assertion of the service-account flow (RS256). */
int ecl_gauth_jwt(const char *client_email, const char *private_key_pem, const char *key_id, const char *scope,
                  const char *audience, time_t now, int lifetime_s, ecl_buf *out, ecl_err *e);
/* base64url without padding. */
void ecl_base64url(const unsigned char *p, size_t n, ecl_buf *out);

#endif
