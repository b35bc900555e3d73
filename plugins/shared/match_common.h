/* SPDX-License-Identifier: BSD-3-Clause
 * What the match plugins match/nearest and match/zenith share: column
 * lookups, the time of a run, angles. Private to those plugins: compiled
 * into each module and not exported. */
#ifndef OFFBKG_PLUGINS_MATCH_COMMON_H
#define OFFBKG_PLUGINS_MATCH_COMMON_H

#include <stdarg.h>
#include <stddef.h>

#include <offbkg/plugin.h>

#define MC_DEG_TO_RAD (3.14159265358979323846 / 180.0)

/** The numeric (int or double) column @p name of @p t (case-insensitive),
 *  or NULL when it is missing or holds strings. */
const offbkg_column_t *mc_numeric_column(const offbkg_obs_table_t *t,
                                         const char *name);

/** The column a run's time is read from: LIVETIME, or ONTIME when the
 *  table has no numeric LIVETIME; NULL when it has neither. */
const offbkg_column_t *mc_time_column(const offbkg_obs_table_t *t);

/** |a - b| the shorter way round a circle of 360 deg: 0 to 180. NaN when
 *  either is not finite. */
double mc_angle_diff_deg(double a_deg, double b_deg);

/** An unmatched target of @p kind: @p out gets n = 0 and the reason,
 *  formatted into the plugin's @p reason (@p size bytes), which must stay
 *  valid until its next match call. Returns OFFBKG_OK. */
int mc_unmatched(offbkg_match_result_t *out, offbkg_match_kind_t kind,
                 char *reason, size_t size, const char *fmt, va_list ap)
    OFFBKG_PRINTF(5, 0);

#endif
