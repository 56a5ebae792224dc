#include "rng.h"

#include <math.h>

uint64_t ecl_tag_str(const char *name)
{
    /* FNV-1a, then mixed: stable across platforms and releases, which the determinism promise needs. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return ecl_mix64(h);
}

double ecl_rng_normal(ecl_rng *r, double mean, double sd)
{
    /* Box-Muller with one draw kept per call: stateless, so a key's draws stay position-independent. */
    double u1 = ecl_rng_double(r), u2 = ecl_rng_double(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return mean + sd * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double ecl_rng_lognormal(ecl_rng *r, double mu, double sigma) { return exp(ecl_rng_normal(r, mu, sigma)); }

double ecl_rng_exponential(ecl_rng *r, double rate)
{
    double u = ecl_rng_double(r);
    return -log1p(-u) / rate;
}

int64_t ecl_rng_poisson(ecl_rng *r, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda < 30) {
        double l = exp(-lambda), p = 1.0;
        int64_t k = 0;
        do {
            k++;
            p *= ecl_rng_double(r);
        } while (p > l);
        return k - 1;
    }
    double v = floor(ecl_rng_normal(r, lambda, sqrt(lambda)) + 0.5);
    return v < 0 ? 0 : (int64_t)v;
}

size_t ecl_rng_weighted(ecl_rng *r, const double *w, size_t n)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i] > 0 ? w[i] : 0;
    if (total <= 0)
        return 0;
    double x = ecl_rng_double(r) * total;
    for (size_t i = 0; i < n; i++) {
        double wi = w[i] > 0 ? w[i] : 0;
        if (x < wi)
            return i;
        x -= wi;
    }
    for (size_t i = n; i-- > 0;)
        if (w[i] > 0)
            return i;
    return 0;
}

