/* SPDX-License-Identifier: BSD-3-Clause
 * The raw INI file: every section and key with its line number, read
 * by ini.c's own line parser (lines of any length). No meaning is given to keys
 * here; params.c and runconf.c do that. */
#ifndef OFFBKG_INI_PRIVATE_H
#define OFFBKG_INI_PRIVATE_H

#include <stddef.h>

#include "diag-private.h"

/** A hash index of names (internal to ini.c; all zero = none). */
typedef struct offbkg_ini_index {
    size_t *slots;     /**< position + 1 of a named item; 0 = empty */
    size_t cap;        /**< a power of two, or 0 */
} offbkg_ini_index_t;

typedef struct offbkg_ini_entry {
    char *key;
    char *value;       /**< continuation lines joined with ", " */
    char *file;        /**< where it came from ("--set" for overrides) */
    char *base_dir;    /**< base of relative paths: the file's directory,
                            or the working directory for --set */
    int line;
    int cont_line;     /**< first continuation line, 0 if none */
    int used;          /**< set by the consumer, to find unknown keys */
} offbkg_ini_entry_t;

typedef struct offbkg_ini_section {
    char *name;        /**< as written, inner blanks collapsed: "model 3d" */
    int line;          /**< line of the [header]; 0 if made by --set */
    size_t n;
    size_t cap;
    offbkg_ini_entry_t *entries;
    offbkg_ini_index_t index;  /**< of the keys, once there are many */
} offbkg_ini_section_t;

typedef struct offbkg_ini {
    char *path;        /**< the file read */
    char *dir;         /**< its directory, absolute; base of relative paths */
    size_t n;
    size_t cap;
    offbkg_ini_section_t *sections;
    offbkg_ini_index_t index;  /**< of the section names */
} offbkg_ini_t;

/** Read @p path. Syntax problems (no '=', unterminated header, a NUL
 *  byte, duplicate keys or sections, keys outside any section) are added
 *  to @p diags and the rest of the file is still read. Returns OFFBKG_OK
 *  (even with diagnostics), OFFBKG_EIO if the file cannot be opened (with
 *  a diagnostic) or OFFBKG_ENOMEM. */
int offbkg_ini_read(const char *path, offbkg_ini_t **out,
                    offbkg_diags_t *diags);

/** Apply one "section.key=value" override (the section may contain a
 *  blank: "model 3d.plugin=3d"). Replaces an existing value, or adds the
 *  key (and section). Malformed text gives a diagnostic. */
int offbkg_ini_override(offbkg_ini_t *ini, const char *assignment,
                        offbkg_diags_t *diags);

offbkg_ini_section_t *offbkg_ini_section(offbkg_ini_t *ini,
                                         const char *name);
offbkg_ini_entry_t *offbkg_ini_entry(offbkg_ini_section_t *s,
                                     const char *key);
/** Free what a section owns (its name and entries), not the struct. */
void offbkg_ini_section_clear(offbkg_ini_section_t *s);
void offbkg_ini_free(offbkg_ini_t *ini);

#endif
