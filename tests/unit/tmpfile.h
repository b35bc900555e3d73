/* SPDX-License-Identifier: BSD-3-Clause
 * Test helper: write a string to an INI file in a fresh mkdtemp directory
 * (under $TMPDIR or /tmp) and remove both afterwards. */
#ifndef OFFBKG_TESTS_TMPFILE_H
#define OFFBKG_TESTS_TMPFILE_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct tmp_ini {
    char dir[PATH_MAX];      /* the directory mkdtemp made */
    char real_dir[PATH_MAX]; /* its realpath, as the INI reader reports it */
    char path[PATH_MAX];     /* dir/NAME */
} tmp_ini_t;

/** Make a new directory holding file @p name with @p text. Returns 0, or
 *  -1 with nothing left behind. */
static inline int tmp_ini_write_named(tmp_ini_t *t, const char *name,
                                      const char *text)
{
    const char *base = getenv("TMPDIR");
    FILE *fp;
    size_t len = strlen(text);
    int n;

    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    n = snprintf(t->dir, sizeof t->dir, "%s/offbkg-test-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof t->dir || mkdtemp(t->dir) == NULL)
        return -1;
    n = snprintf(t->path, sizeof t->path, "%s/%s", t->dir, name);
    if (n < 0 || (size_t)n >= sizeof t->path
        || realpath(t->dir, t->real_dir) == NULL) {
        rmdir(t->dir);
        return -1;
    }
    fp = fopen(t->path, "w");
    if (fp == NULL) {
        rmdir(t->dir);
        return -1;
    }
    if (fwrite(text, 1, len, fp) != len) {
        fclose(fp);
        unlink(t->path);
        rmdir(t->dir);
        return -1;
    }
    if (fclose(fp) != 0) {
        unlink(t->path);
        rmdir(t->dir);
        return -1;
    }
    return 0;
}

/** tmp_ini_write_named with the name "test.ini". */
static inline int tmp_ini_write(tmp_ini_t *t, const char *text)
{
    return tmp_ini_write_named(t, "test.ini", text);
}

/** Remove the file and its directory. */
static inline void tmp_ini_remove(tmp_ini_t *t)
{
    unlink(t->path);
    rmdir(t->dir);
}

#endif
