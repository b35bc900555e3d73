/* SPDX-License-Identifier: BSD-3-Clause
 * Whole-array checks that a model has no NaN, no inf (and no value
 * below 0), fast enough to run on every cube the match step makes. */
#ifndef OFFBKG_FINITE_PRIVATE_H
#define OFFBKG_FINITE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

/** Whether every one of @p v is finite. */
bool offbkg_finite_all(const double *v, size_t n);

/** Whether every one of @p v is finite and >= 0 (-0 included): as
 *  v[i] >= 0 && v[i] <= DBL_MAX for each. */
bool offbkg_finite_all_nonneg(const double *v, size_t n);

#endif
