/* SPDX-License-Identifier: BSD-3-Clause
 * Configuration diagnostics: every problem of a config file, collected so
 * that all of them are reported at once as
 *   file:line: [section] key: message                                  */
#ifndef OFFBKG_DIAG_PRIVATE_H
#define OFFBKG_DIAG_PRIVATE_H

#include <stddef.h>

#include <offbkg/plugin.h>

typedef struct offbkg_diag {
    char *file;     /**< config file, or "--set" for command-line values */
    int line;       /**< 1-based; 0 when the problem has no line */
    char *section;  /**< NULL if none */
    char *key;      /**< NULL if none */
    char *message;
} offbkg_diag_t;

typedef struct offbkg_diags {
    size_t n;
    size_t cap;
    offbkg_diag_t *items;
} offbkg_diags_t;

/** Add a diagnostic (file, section and key may be NULL). Returns
 *  OFFBKG_OK or OFFBKG_ENOMEM. */
int offbkg_diag_add(offbkg_diags_t *d, const char *file, int line,
                    const char *section, const char *key,
                    const char *fmt, ...) OFFBKG_PRINTF(6, 7);

/** Sort by file, then line (stable), for printing. */
void offbkg_diag_sort(offbkg_diags_t *d);

/** Format one diagnostic as "file:line: [section] key: message" (the
 *  parts that exist) into a new string; NULL if out of memory. */
char *offbkg_diag_format(const offbkg_diag_t *diag);

void offbkg_diag_clear(offbkg_diags_t *d);

/** The candidate closest to @p word (edit distance, case-insensitive) if
 *  it is close enough to be a likely typo (a third of the word, at least
 *  2 edits) or one of them only extends the other ("min_glat" for
 *  "min_glat_deg"), else NULL. The one hint helper of offbkg: sections,
 *  keys, plugins and commands all go through it. @p candidates is
 *  NULL-terminated or has @p n entries (n = (size_t)-1 for NULL-ended). */
const char *offbkg_diag_closest_match(const char *word,
                                      const char *const *candidates, size_t n);

#endif
