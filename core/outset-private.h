/* SPDX-License-Identifier: BSD-3-Clause
 * The output set of a pipeline command: every file it writes in [output]
 * dir appears at once, or none does.
 *
 * A command holds an exclusive lock on the directory (flock on
 * DIR/.offbkg.lock, its pid inside) from before any work to the end; a
 * second command on the same directory is refused at once, naming the
 * holder. Its files are written into a staging directory made by mkdtemp
 * inside DIR (DIR/.tmp-offbkg-XXXXXX: the same file system, mode 0700, so
 * nobody can plant a name in it), each created with O_EXCL|O_NOFOLLOW. To
 * commit, the staged files are fsync()ed, all in one pass (the first
 * commits the file system's journal for them all: a set of 1000 models
 * costs one such commit, not 1000), then a journal listing the files to
 * move in and the files of ours to remove (those of earlier commands that this one does
 * not write) is written and fsync()ed in the staging directory; then the
 * files are renamed in, the others removed, DIR fsync()ed and the staging
 * directory removed. The next command on DIR, under the lock, completes a
 * staging directory whose journal is complete and removes one whose
 * journal is not: after a kill or a crash at any moment, DIR holds the
 * old complete set or the new one.
 *
 * "Ours" are the names offbkg writes (run.lis, obs.fits, group-def.fits,
 * the model files, the index tables, report.json, validation.fits,
 * index.html, and the figures in the set's figure directory); no other
 * file in DIR is ever touched. Each command owns the kinds it writes.
 *
 * A set may have one figure directory, DIR/FIGDIR ([plot] dir): its
 * figures are staged in the staging directory's FIGDIR and moved in with
 * the rest (the journal names them FIGDIR/NAME); the directory is made
 * at commit if needed. */
#ifndef OFFBKG_OUTSET_PRIVATE_H
#define OFFBKG_OUTSET_PRIVATE_H

#include <stdbool.h>

#include "ctx-private.h"

typedef struct offbkg_outset offbkg_outset_t;

/** The kinds of files of ours; a command owns those it writes. */
enum {
    OFFBKG_OWN_RUN_LIST = 1,    /**< run.lis */
    OFFBKG_OWN_GROUPING = 2,    /**< obs.fits, group-def.fits */
    OFFBKG_OWN_MODELS = 4,      /**< [label_][smooth_]background_*D_group_NNN_table.fits.gz,
                                     and _obs_NNNNNN_ (per observation) */
    OFFBKG_OWN_REPORT = 8,      /**< report.json */
    OFFBKG_OWN_INDEX = 16,      /**< hdu-, obs-, bkg-index.fits.gz */
    OFFBKG_OWN_VALIDATION = 32, /**< validation.fits */
    OFFBKG_OWN_FIGURES = 64,    /**< index.html, and in the figure
                                     directory the figures:
                                     [A-Za-z0-9_.-]+ ending .png, .pdf or
                                     .svg, not starting with '.' */
    OFFBKG_OWN_ALL = 127
};

/** Whether @p name (no directory) is a figure's name of ours. */
bool offbkg_outset_is_figure(const char *name);

/** Whether @p name (a file name, no directory) is one of @p kinds. */
bool offbkg_outset_is_ours(const char *name, unsigned kinds);

/** Lock directory @p dir (made if needed), complete or undo what an
 *  interrupted earlier command left in it, refuse (OFFBKG_EEXIST, naming
 *  the file) when !@p overwrite and it holds a file of @p kinds, and make
 *  the staging directory. Another command holding the lock, or a
 *  directory that cannot be written: OFFBKG_EIO with a message naming the
 *  directory (and the holder's pid), said now, before any work. */
int offbkg_outset_begin(offbkg_ctx_t *ctx, const char *dir, unsigned kinds,
                        bool overwrite, offbkg_outset_t **set);

/** Make DIR/@p figdir (one plain name) the set's figure directory: the
 *  figures written there while the set is on the context are staged and
 *  moved in at commit, and those of ours it holds that this command did
 *  not write are removed then (the set must own OFFBKG_OWN_FIGURES).
 *  Refused now, before any work: DIR/@p figdir that is not a directory
 *  (a symbolic link included), and without overwrite one that holds a
 *  figure of ours (OFFBKG_EEXIST). */
int offbkg_outset_figures(offbkg_ctx_t *ctx, offbkg_outset_t *set,
                          const char *figdir);

/** The names (in DIR, "FIGDIR/NAME" for figures) of the files of
 *  @p kinds that DIR will hold once the set is committed: those staged,
 *  and those of kinds the set does not own that are there now; sorted.
 *  *names is a new array of new strings (free each and it), NULL when
 *  *n is 0. Read each through offbkg_outset_read_path. */
int offbkg_outset_list(offbkg_ctx_t *ctx, const offbkg_outset_t *set,
                       unsigned kinds, char ***names, size_t *n);

/** Where the output @p path is written: 1 with *staged a new string in
 *  the staging directory when @p path is in the set's directory; 0 when it
 *  is not (*staged NULL); -1 if out of memory. */
int offbkg_outset_stage_path(const offbkg_outset_t *set, const char *path,
                             char **staged);

/** Where to read @p path back before the commit: its staged copy when the
 *  set owns its kind (written by this command, or removed at commit),
 *  else @p path itself. A new string; NULL if out of memory. */
char *offbkg_outset_read_path(const offbkg_outset_t *set, const char *path);

/** Move the staged files into place and remove the files of the set's
 *  kinds that this command did not write, each with a warning. A
 *  cancelled context (SIGINT, SIGTERM, ...) stops before anything is
 *  moved. */
int offbkg_outset_commit(offbkg_ctx_t *ctx, offbkg_outset_t *set);

/** Remove the staging directory (the outputs are lost unless committed),
 *  unlock and free. NULL: no-op. */
void offbkg_outset_end(offbkg_outset_t *set);

#endif
