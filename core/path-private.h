/* SPDX-License-Identifier: BSD-3-Clause
 * Path strings: joining, the directory part, resolving against a base,
 * and the relative path between two places. Every result is a new
 * string, NULL if out of memory (or, for offbkg_path_relative, if a path
 * cannot be resolved). */
#ifndef OFFBKG_PATH_PRIVATE_H
#define OFFBKG_PATH_PRIVATE_H

/** DIR/NAME; NAME alone when @p dir is empty, no second '/' when @p dir
 *  ends with one. */
char *offbkg_path_join(const char *dir, const char *name);

/** The directory part of @p path: "." when it has no '/', "/" for a file
 *  in the root. */
char *offbkg_path_dir(const char *path);

/** Resolve @p path against @p base_dir unless it is absolute or empty. */
char *offbkg_path_resolve(const char *base_dir, const char *path);

/** @p path absolute with symlinks resolved; its tail may not exist
 *  yet. */
char *offbkg_path_absolute(const char *path);

/** The relative path from directory @p from_dir to @p to; the tail of
 *  either may not exist yet (an output directory before it is made). */
char *offbkg_path_relative(const char *from_dir, const char *to);

#endif
