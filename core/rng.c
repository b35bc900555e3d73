/* SPDX-License-Identifier: BSD-3-Clause
 * xoshiro256** and splitmix64 (core/rng-private.h). */
#include <config.h>

#include "rng-private.h"

uint64_t offbkg_rng_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t offbkg_rng_next(offbkg_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double offbkg_rng_uniform(offbkg_rng_t *rng)
{
    return (double)(offbkg_rng_next(rng) >> 11) * 0x1.0p-53;
}
