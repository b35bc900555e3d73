/* SPDX-License-Identifier: BSD-3-Clause
 * Atomic outputs: every file is written under a new, unpredictable
 * temporary name created with O_CREAT|O_EXCL|O_NOFOLLOW (a planted name or
 * symbolic link is never followed) and written through that descriptor;
 * FITS files are built in memory by cfitsio and their bytes written by us.
 * The file is fsync()ed, renamed into place and its directory fsync()ed,
 * so a crash, a power loss or a full disk never leaves a truncated file
 * under a final name. When the context has an output set (outset-private.h)
 * and the file goes to its directory, it is written into the set's staging
 * directory instead and moved in with the rest of the set. */
#ifndef OFFBKG_OUTPUT_PRIVATE_H
#define OFFBKG_OUTPUT_PRIVATE_H

#include <stdbool.h>
#include <stdio.h>

#include <fitsio.h>

#include "ctx-private.h"

/** A FITS output's bytes in memory. cfitsio keeps the addresses of the
 *  two fields and updates them as the memory file grows, so they live
 *  apart from offbkg_output_t: buf may move at any cfitsio write. */
typedef struct offbkg_memfile {
    void *buf;
    size_t size;
} offbkg_memfile_t;

/** An output being written. */
typedef struct offbkg_output {
    char *final_path;   /**< the name the user knows (messages name it) */
    char *tmp_path;     /**< the file written: a temporary beside the
                             final one, or its name in the staging
                             directory of the context's output set */
    bool overwrite;
    bool staged;        /**< in an output set: the set moves it in */
    bool sync_dir_later; /**< commit does not fsync the directory: the
                              caller syncs it once for many files
                              (offbkg_output_sync_dir), when a name
                              lost in a crash is only work to redo */
    int fd;             /**< tmp_path, created O_EXCL|O_NOFOLLOW */
    fitsfile *fits;     /**< for FITS outputs: built in memory */
    offbkg_memfile_t *mem; /**< a FITS output's bytes until commit */
    FILE *text;         /**< for text outputs (owns fd) */
} offbkg_output_t;

/** Write all of @p buf (@p n bytes) to @p fd, retrying short writes and
 *  EINTR. 0, or -1 with errno set. */
int offbkg_output_write_all(int fd, const void *buf, size_t n);

/** Create the directory @p dir and its parents as needed (mkdir -p). */
int offbkg_output_mkdir_p(offbkg_ctx_t *ctx, const char *dir);

/** fsync the directory @p dir, so that the renames in it survive a
 *  crash (a file system that cannot sync a directory is let be). */
int offbkg_output_sync_dir(offbkg_ctx_t *ctx, const char *dir);

/** OFFBKG_EEXIST with a message when @p path exists and !overwrite. */
int offbkg_output_check(offbkg_ctx_t *ctx, const char *path, bool overwrite);

/** Start writing @p path as a new, empty FITS file (out->fits), built in
 *  memory and written (compressed for a ".gz" name) at commit. */
int offbkg_output_fits(offbkg_ctx_t *ctx, const char *path, bool overwrite,
                       offbkg_output_t *out);

/** Start writing @p path as a text file (out->text). */
int offbkg_output_text(offbkg_ctx_t *ctx, const char *path, bool overwrite,
                       offbkg_output_t *out);

/** Write out, fsync and move into place (a staged file stays in the
 *  staging directory). Without overwrite, an existing file is never
 *  replaced (OFFBKG_EEXIST). Every failure names the final path; the
 *  temporary file is then removed. @p out is emptied either way. */
int offbkg_output_commit(offbkg_ctx_t *ctx, offbkg_output_t *out);

/** offbkg_output_commit, except that a file to be linked into place
 *  (!out->overwrite) whose final name is taken is kept, written and
 *  synced: OFFBKG_EEXIST, and @p out is committed again (with
 *  out->overwrite set, to replace what is there) or given up with
 *  offbkg_output_abort. */
int offbkg_output_commit_or_keep(offbkg_ctx_t *ctx, offbkg_output_t *out);

/** Give up: close and remove the temporary file. No-op when empty. */
void offbkg_output_abort(offbkg_output_t *out);

/** Where to read back the output @p path before the context's output set
 *  is committed (its staged copy when the set owns the kind of file), or
 *  @p path. A new string; NULL if out of memory. */
char *offbkg_output_read_path(offbkg_ctx_t *ctx, const char *path);

#endif
