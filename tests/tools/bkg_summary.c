/* SPDX-License-Identifier: BSD-3-Clause
 * bkg_summary FILE [IE,I1[,I2] ...]: what the end-to-end tests check in a
 * model file, read with our own reader, as "key value" lines:
 *   axes N_E N_1 [N_2]
 *   counts TOTAL                     (sum of the COUNTS HDU)
 *   counts_e I COUNT                 (per energy bin)
 *   exposure_max_s T                 (largest exposure of any cell)
 *   rate_integral_per_s R            (sum over cells of rate x solid
 *                                     angle x energy width: the model's
 *                                     events per second of run time)
 *   rate IE,I1[,I2] VALUE            (for each cell IE,I1[,I2] given)
 *   exposure_s IE,I1[,I2] VALUE      (that cell's exposure)
 *   nonfinite N                      (NaN or inf anywhere; must be 0)
 *   digest HEX                       (FNV-1a 64 of every array's bytes:
 *                                     equal digests, bit-identical data) */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bkg-private.h"

/* FNV-1a 64 of @p n bytes at @p p, continuing from @p h. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t digest(const offbkg_cube_t *c)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t n = c->n_cells * sizeof(double);

    for (size_t k = 0; k < c->n_axes; k++)
        h = fnv1a(h, c->axes[k].edges,
                  (c->axes[k].n_bins + 1) * sizeof(double));
    h = fnv1a(h, c->counts, n);
    h = fnv1a(h, c->exposure_s, n);
    h = fnv1a(h, c->solid_angle_sr, n);
    h = fnv1a(h, c->rate, n);
    return fnv1a(h, c->rate_err, n);
}

int main(int argc, char **argv)
{
    offbkg_ctx_t *ctx = offbkg_ctx_new();
    offbkg_cube_t *c = NULL;

    if (argc < 2 || ctx == NULL) {
        fprintf(stderr, "usage: bkg_summary FILE [IE,I1[,I2] ...]\n");
        return 2;
    }
    if (offbkg_bkg_read(ctx, argv[1], &c) != OFFBKG_OK) {
        fprintf(stderr, "bkg_summary: %s\n", offbkg_error_msg(ctx));
        offbkg_ctx_free(ctx);
        return 1;
    }
    size_t ne = c->axes[0].n_bins, per_e = c->n_cells / ne, bad = 0;
    double total = 0, tmax = 0, integral = 0;
    printf("axes %zu", ne);
    for (size_t k = 1; k < c->n_axes; k++)
        printf(" %zu", c->axes[k].n_bins);
    printf("\n");
    for (size_t i = 0; i < c->n_cells; i++) {
        total += c->counts[i];
        if (c->exposure_s[i] > tmax)
            tmax = c->exposure_s[i];
        bad += !isfinite(c->rate[i]) || !isfinite(c->rate_err[i])
               || !isfinite(c->counts[i]) || !isfinite(c->exposure_s[i]);
    }
    printf("counts %.0f\n", total);
    for (size_t e = 0; e < ne; e++) {
        double sum = 0, de_mev = (c->axes[0].edges[e + 1]
                                  - c->axes[0].edges[e]) * 1e6;
        for (size_t j = 0; j < per_e; j++) {
            size_t i = e * per_e + j;
            sum += c->counts[i];
            integral += c->rate[i] * c->solid_angle_sr[i] * de_mev;
        }
        printf("counts_e %zu %.0f\n", e, sum);
    }
    printf("exposure_max_s %.2f\n", tmax);
    printf("rate_integral_per_s %.9g\n", integral);
    for (int a = 2; a < argc; a++) {
        long i[3] = { 0, 0, 0 };
        int n = sscanf(argv[a], "%ld,%ld,%ld", &i[0], &i[1], &i[2]);
        size_t n2 = c->n_axes == 3 ? c->axes[2].n_bins : 1;
        size_t cell = ((size_t)i[0] * c->axes[1].n_bins + (size_t)i[1]) * n2
                      + (size_t)i[2];
        if (n < 2 || cell >= c->n_cells) {
            fprintf(stderr, "bkg_summary: bad cell %s\n", argv[a]);
            offbkg_cube_free(c);
            offbkg_ctx_free(ctx);
            return 2;
        }
        printf("rate %s %.6g\n", argv[a], c->rate[cell]);
        printf("exposure_s %s %.6g\n", argv[a], c->exposure_s[cell]);
    }
    printf("nonfinite %zu\n", bad);
    printf("digest %016llx\n", (unsigned long long)digest(c));
    offbkg_cube_free(c);
    offbkg_ctx_free(ctx);
    return 0;
}
