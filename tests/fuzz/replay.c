/* SPDX-License-Identifier: BSD-3-Clause
 * A main() for the fuzz targets without libFuzzer: run the target on
 * every file named, or on every file in a directory named, as libFuzzer
 * does with file arguments. A crash or a sanitizer report fails it. */
#include <config.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0
        || (data = malloc(n > 0 ? (size_t)n : 1)) == NULL
        || fread(data, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "replay: %s: cannot read\n", path);
        if (f != NULL)
            fclose(f);
        free(data);
        return 1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, (size_t)n);
    free(data);
    printf("replay: %s\n", path);
    return 0;
}

static int run_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort), bad = 0;

    if (n < 0) {
        fprintf(stderr, "replay: %s: cannot list\n", dir);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        if (names[i]->d_name[0] != '.') {
            /* Into subdirectories too, as libFuzzer reads a corpus. */
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            bad |= stat(path, &st) == 0 && S_ISDIR(st.st_mode)
                       ? run_dir(path)
                       : run_file(path);
        }
        free(names[i]);
    }
    free(names);
    return bad;
}

int main(int argc, char **argv)
{
    int bad = 0;

    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (argv[i][0] == '-')
            continue;   /* libFuzzer's options, e.g. -runs=0 */
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            bad |= run_dir(argv[i]);
        else
            bad |= run_file(argv[i]);
    }
    return bad;
}
