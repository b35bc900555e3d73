/* SPDX-License-Identifier: BSD-3-Clause
 * The floor of the benchmark: the time one core takes to inflate gzip
 * files fully, in-process, with zlib and nothing else (no FITS parsing,
 * no binning). offbkg reads the same files; its wall time divided by this
 * one says how much work it does beyond inflating.
 *
 * Usage: inflate_floor FILE...   (or the file names on stdin, one a line)
 * Prints: files N gz_bytes B raw_bytes R seconds S */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#define OUT_BYTES (1 << 20)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Inflate @p path to its end, member after member, into the reused
 * buffer @p out; the bytes out, or -1 on an error. The whole compressed
 * file is read first, as cfitsio does. */
static long long inflate_file(const char *path, unsigned char *out,
                              long long *gz_bytes)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *in = NULL;
    long size;
    long long total = 0;
    z_stream z;
    int rc = Z_OK;

    if (fp == NULL)
        return -1;
    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) <= 0
        || fseek(fp, 0, SEEK_SET) != 0 || (in = malloc((size_t)size)) == NULL
        || fread(in, 1, (size_t)size, fp) != (size_t)size) {
        fclose(fp);
        free(in);
        return -1;
    }
    fclose(fp);
    memset(&z, 0, sizeof z);
    z.next_in = in;
    z.avail_in = (uInt)size;
    if (inflateInit2(&z, 15 + 32) != Z_OK) {
        free(in);
        return -1;
    }
    while (rc == Z_OK) {
        z.next_out = out;
        z.avail_out = OUT_BYTES;
        rc = inflate(&z, Z_NO_FLUSH);
        total += OUT_BYTES - z.avail_out;
        /* Concatenated gzip members: go on with the next. */
        if (rc == Z_STREAM_END && z.avail_in > 0)
            rc = inflateReset(&z);
    }
    inflateEnd(&z);
    free(in);
    *gz_bytes += size;
    return rc == Z_STREAM_END ? total : -1;
}

int main(int argc, char **argv)
{
    unsigned char *out = malloc(OUT_BYTES);
    char line[4096];
    long long raw = 0, gz = 0;
    long files = 0;
    double t0 = now_s();

    if (out == NULL)
        return 1;
    for (int i = 1; i < argc || (argc == 1 && fgets(line, sizeof line,
                                                    stdin) != NULL);
         i++) {
        const char *path = argv[i];
        if (argc == 1) {
            line[strcspn(line, "\n")] = '\0';
            path = line;
        }
        long long n = inflate_file(path, out, &gz);
        if (n < 0) {
            fprintf(stderr, "inflate_floor: %s: cannot inflate\n", path);
            free(out);
            return 1;
        }
        raw += n;
        files++;
    }
    printf("files %ld gz_bytes %lld raw_bytes %lld seconds %.4f\n", files, gz,
           raw, now_s() - t0);
    free(out);
    return 0;
}
