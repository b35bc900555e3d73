/* SPDX-License-Identifier: BSD-3-Clause
 * Path strings (path-private.h). */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path-private.h"

char *offbkg_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);

    if (p != NULL)
        snprintf(p, n, "%s%s%s", dir,
                 dir[0] != '\0' && dir[strlen(dir) - 1] != '/' ? "/" : "",
                 name);
    return p;
}

char *offbkg_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

char *offbkg_path_resolve(const char *base_dir, const char *path)
{
    if (path[0] == '/' || path[0] == '\0' || base_dir == NULL)
        return strdup(path);
    return offbkg_path_join(base_dir, path);
}

/* @p path absolute, symlinks resolved, into @p out (PATH_MAX): realpath,
 * or, for a path whose tail does not exist yet (an output directory
 * before it is made), that of its deepest existing ancestor and the rest
 * as written. NULL if none resolves. */
static char *canonical(const char *path, char *out)
{
    if (realpath(path, out) != NULL)
        return out;
    if (errno != ENOENT)
        return NULL;
    /* The last component (trailing slashes aside) and its parent. */
    size_t n = strlen(path), b;
    while (n > 1 && path[n - 1] == '/')
        n--;
    for (b = n; b > 0 && path[b - 1] != '/'; b--)
        ;
    if (b == n)
        return NULL;
    char *parent = b == 0 ? strdup(".") : strndup(path, b > 1 ? b - 1 : 1);
    char *r = parent != NULL ? canonical(parent, out) : NULL;
    free(parent);
    if (r == NULL || strlen(out) + (n - b) + 2 > PATH_MAX)
        return NULL;
    if (strcmp(out, "/") != 0)
        strcat(out, "/");
    strncat(out, path + b, n - b);
    return out;
}

char *offbkg_path_absolute(const char *path)
{
    char buf[PATH_MAX];

    return canonical(path, buf) != NULL ? strdup(buf) : NULL;
}

char *offbkg_path_relative(const char *from_dir, const char *to)
{
    char from[PATH_MAX], dest[PATH_MAX];
    size_t common = 0, ups = 0;

    if (canonical(from_dir, from) == NULL || canonical(to, dest) == NULL)
        return NULL;
    /* The longest common prefix that ends at a directory boundary. */
    for (size_t i = 0;; i++) {
        bool end_f = from[i] == '\0' || from[i] == '/';
        bool end_d = dest[i] == '\0' || dest[i] == '/';
        if (end_f && end_d)
            common = i;
        if (from[i] != dest[i] || from[i] == '\0')
            break;
    }
    if (strcmp(from, "/") == 0)
        common = 0;
    for (const char *p = from + common; *p != '\0'; p++)
        if (*p == '/')
            ups++;
    const char *rest = dest + common;
    if (*rest == '/')
        rest++;
    size_t n = 3 * ups + strlen(rest) + 2;
    char *out = malloc(n);
    if (out == NULL)
        return NULL;
    out[0] = '\0';
    for (size_t i = 0; i < ups; i++)
        strcat(out, i + 1 < ups || rest[0] != '\0' ? "../" : "..");
    strcat(out, rest);
    if (out[0] == '\0')
        strcpy(out, ".");
    return out;
}

