/* SPDX-License-Identifier: BSD-3-Clause
 * Whole-array finiteness checks on the bits of the doubles: integer
 * operations without a branch or an early exit, which compilers
 * vectorise (double comparisons accumulated into a flag they do not, at
 * least GCC 12 for SSE2), so a check costs a fraction of the cube it
 * checks. IEEE 754 binary64: a value is inf or NaN when its exponent
 * bits are all ones; below 0 when its sign bit is set and the rest is
 * not all zero (-0 is >= 0). */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "finite-private.h"

#define SIGN UINT64_C(0x8000000000000000)
#define MAGNITUDE UINT64_C(0x7fffffffffffffff)
#define EXPONENT UINT64_C(0x7ff0000000000000)
#define EXPONENT_ONE UINT64_C(0x0010000000000000)

/* Bit 63 set when @p b is inf or NaN: the exponent plus one carries
 * into the sign bit only when it is all ones. */
static uint64_t not_finite(uint64_t b)
{
    return (b & EXPONENT) + EXPONENT_ONE;
}

/* Bit 63 set when @p b is below 0: the sign bit, and a magnitude that
 * is not 0 (it plus MAGNITUDE reaches bit 63 exactly when it is >= 1). */
static uint64_t negative(uint64_t b)
{
    return b & ((b & MAGNITUDE) + MAGNITUDE);
}

bool offbkg_finite_all(const double *v, size_t n)
{
    uint64_t bad = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, &v[i], sizeof b);
        bad |= not_finite(b);
    }
    return (bad & SIGN) == 0;
}

bool offbkg_finite_all_nonneg(const double *v, size_t n)
{
    uint64_t bad = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, &v[i], sizeof b);
        bad |= not_finite(b) | negative(b);
    }
    return (bad & SIGN) == 0;
}
