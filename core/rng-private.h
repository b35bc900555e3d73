/* SPDX-License-Identifier: BSD-3-Clause
 * The host's random numbers: xoshiro256** (Blackman and Vigna), seeded
 * through splitmix64. Fast, 256 bits of state, good enough for
 * simulation; each user keeps its own state, so streams never
 * interleave and results do not depend on the thread count. */
#ifndef OFFBKG_RNG_PRIVATE_H
#define OFFBKG_RNG_PRIVATE_H

#include <stdint.h>

typedef struct offbkg_rng {
    uint64_t s[4];
} offbkg_rng_t;

/** The next output of splitmix64 advancing @p x: seeds, and mixes a
 *  64-bit value into well spread bits. */
uint64_t offbkg_rng_splitmix64(uint64_t *x);

/** The next 64 random bits. */
uint64_t offbkg_rng_next(offbkg_rng_t *rng);

/** Uniform in [0, 1): the top 53 bits, every double on a 2^-53 grid. */
double offbkg_rng_uniform(offbkg_rng_t *rng);

#endif
