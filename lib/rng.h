/* rng.h - counter-based random numbers keyed by (seed, entity, purpose).
 *
 * There is no global stream: every draw is a pure function of its key and counter, so the value a
 * customer's third visit gets does not depend on how many other customers were simulated first, on
 * the chunking of a date range, or on thread count. Keys are built with ecl_rng_key from the seed and
 * up to three integers (an entity kind or purpose tag, an entity id, a day or sequence number). */
#ifndef ECL_RNG_H
#define ECL_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct ecl_rng {
    uint64_t key;
    uint64_t ctr;
} ecl_rng;

static inline uint64_t ecl_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A stable 64-bit tag for a purpose name ("visit", "cart.items"), for use as a key component. */

uint64_t ecl_tag_str(const char *name);

static inline ecl_rng ecl_rng_key(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t k = ecl_mix64(seed ^ 0x6a09e667f3bcc909ULL);
    k = ecl_mix64(k ^ (a + 0x9e3779b97f4a7c15ULL));
    k = ecl_mix64(k ^ (b + 0xbb67ae8584caa73bULL));
    k = ecl_mix64(k ^ (c + 0x3c6ef372fe94f82bULL));
    return (ecl_rng){k, 0};
}

static inline uint64_t ecl_rng_u64(ecl_rng *r)
{
    return ecl_mix64(r->key + 0x9e3779b97f4a7c15ULL * ++r->ctr);
}

/* Uniform in [0, 1) with 53 bits. */
static inline double ecl_rng_double(ecl_rng *r) { return (double)(ecl_rng_u64(r) >> 11) * 0x1.0p-53; }

/* Uniform integer in [lo, hi] (inclusive), unbiased. Inline: the generators draw it millions of
 * times a day. */
static inline int64_t ecl_rng_range(ecl_rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    if (span == 0)
        return (int64_t)ecl_rng_u64(r);
    /* Lemire's multiply-and-reject: unbiased, one multiplication in the common case. */
    unsigned __int128 m = (unsigned __int128)ecl_rng_u64(r) * span;
    uint64_t low = (uint64_t)m;
    if (low < span) {
        uint64_t t = -span % span;
        while (low < t) {
            m = (unsigned __int128)ecl_rng_u64(r) * span;
            low = (uint64_t)m;
        }
    }
    return lo + (int64_t)(uint64_t)(m >> 64);
}
/* true with probability p. */
static inline int ecl_rng_bernoulli(ecl_rng *r, double p) { return ecl_rng_double(r) < p; }
double ecl_rng_normal(ecl_rng *r, double mean, double sd);
double ecl_rng_lognormal(ecl_rng *r, double mu, double sigma);
double ecl_rng_exponential(ecl_rng *r, double rate);
/* Poisson with mean lambda (exact inversion below 30, normal approximation above). */
int64_t ecl_rng_poisson(ecl_rng *r, double lambda);
/* Index drawn with the given non-negative weights (n > 0; all-zero weights give index 0). */
size_t ecl_rng_weighted(ecl_rng *r, const double *weights, size_t n);
/* Index by binary search in a cumulative table (cum[n-1] is the total). */
static inline size_t ecl_rng_cumulative(ecl_rng *r, const double *cum, size_t n)
{
    double x = ecl_rng_double(r) * cum[n - 1];
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x < cum[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

#endif
