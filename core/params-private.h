/* SPDX-License-Identifier: BSD-3-Clause
 * Parameter tables: check a table, parse a section's values into the
 * config struct the table describes, format values back, free them. */
#ifndef OFFBKG_PARAMS_PRIVATE_H
#define OFFBKG_PARAMS_PRIVATE_H

#include <stddef.h>

#include <offbkg/plugin.h>

#include "diag-private.h"
#include "ini-private.h"

/** Check that a table is well formed (names valid and unique, types
 *  known, defaults parse, offsets inside config_size, ENUMs have
 *  choices). On error records the first problem in @p why (size @p n). */
int offbkg_params_check_table(const offbkg_param_t *table,
                              size_t config_size, char *why, size_t n);

/** Fill a new config struct of @p config_size bytes from section @p sec
 *  (may be NULL: defaults only), using @p base_dir to resolve PATH
 *  defaults (values from the file use their entry's base_dir). Every
 *  problem is added to @p diags as file:line: [section] key: message,
 *  and unknown keys get a closest-match hint. Keys consumed are marked
 *  used. Returns OFFBKG_OK, or OFFBKG_ECONFIG with *config still set (a
 *  bad value replaced by its default, so checking can go on; free it
 *  with offbkg_params_free), or OFFBKG_ENOMEM with nothing allocated. */
int offbkg_params_fill(const offbkg_param_t *table, size_t config_size,
                       offbkg_ini_section_t *sec, const char *section_name,
                       const char *ini_file, int section_line,
                       const char *base_dir, const char *const *host_keys,
                       offbkg_diags_t *diags, void **config);

/** Parse @p text (NULL: the parameter's zero value) for @p p into its
 *  field of @p config, freeing the value there first. Returns OFFBKG_OK,
 *  OFFBKG_ECONFIG with the reason in @p why (size @p n) and the old value
 *  kept, or OFFBKG_ENOMEM. For a value that comes from elsewhere than an
 *  INI file, e.g. a command-line option described by a table. */
int offbkg_params_set(const offbkg_param_t *p, const char *text,
                      const char *base_dir, void *config, char *why,
                      size_t n);

/** Free a config struct filled by offbkg_params_fill. */
void offbkg_params_free(const offbkg_param_t *table, void *config);

/** The value of @p p in @p config as INI text, in a new string. */
char *offbkg_params_format(const offbkg_param_t *p, const void *config);

/** "bool", "int", "double", "string", "path", "enum", "list of doubles",
 *  "list of strings". */
const char *offbkg_params_type_name(offbkg_param_type_t type);

/** The allowed range of @p p as text ("> 0", "0 .. 90", "one of a, b")
 *  into @p buf; "" if unbounded. */
void offbkg_params_range_text(const offbkg_param_t *p, char *buf, size_t n);

#endif
