/* SPDX-License-Identifier: BSD-3-Clause
 * Atomic outputs: every file is written under a temporary name in its
 * final directory and renamed into place, so a crash or a full disk never
 * leaves a truncated file under a final name. */
#ifndef OFFBKG_OUTPUT_PRIVATE_H
#define OFFBKG_OUTPUT_PRIVATE_H

#include <stdbool.h>
#include <stdio.h>

#include <fitsio.h>

#include "ctx-private.h"

typedef struct offbkg_memfile offbkg_memfile_t;

/** An output being written. */
typedef struct offbkg_output {
    char *final_path;
    char *tmp_path;     /**< same directory, same suffix */
    bool overwrite;
    fitsfile *fits;     /**< for FITS outputs */
    offbkg_memfile_t *mem; /**< a .gz FITS output's bytes until commit */
    FILE *text;         /**< for text outputs */
} offbkg_output_t;

/** Create the directory @p dir and its parents as needed (mkdir -p). */
int offbkg_mkdir_p(offbkg_ctx_t *ctx, const char *dir);

/** OFFBKG_EEXIST with a message when @p path exists and !overwrite. */
int offbkg_output_check(offbkg_ctx_t *ctx, const char *path, bool overwrite);

/** Start writing @p path as a new, empty FITS file (out->fits). A
 *  ".gz" one is built in memory and compressed at commit. */
int offbkg_output_fits(offbkg_ctx_t *ctx, const char *path, bool overwrite,
                       offbkg_output_t *out);

/** Start writing @p path as a text file (out->text). */
int offbkg_output_text(offbkg_ctx_t *ctx, const char *path, bool overwrite,
                       offbkg_output_t *out);

/** Close and move into place. Without overwrite, an existing file is
 *  never replaced (OFFBKG_EEXIST). On any failure the temporary file is
 *  removed. @p out is emptied either way. */
int offbkg_output_commit(offbkg_ctx_t *ctx, offbkg_output_t *out);

/** Give up: close and remove the temporary file. No-op when empty. */
void offbkg_output_abort(offbkg_output_t *out);

/** Record a cfitsio failure: "<what>: <cfitsio message>" as OFFBKG_EFITS. */
int offbkg_fits_error(offbkg_ctx_t *ctx, int fits_status, const char *fmt,
                      ...) OFFBKG_PRINTF(3, 4);

#endif
