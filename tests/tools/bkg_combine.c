/* SPDX-License-Identifier: BSD-3-Clause
 * bkg_combine linear|log OUT A W_A B W_B: whether model file OUT is the
 * combination of model files A and B with weights W_A and W_B by the rule
 * of doc/match.md §4, cell by cell, as "key value" lines:
 *   cells N                 cells compared
 *   one_empty N             cells with rate 0 in exactly one of A and B
 *   max_rel_rate X          largest |rate - expected| / expected (0 / 0 = 0)
 *   max_rel_err X           the same for rate_err
 *   outside N               cells whose rate is not between A's and B's
 *   nonfinite N             NaN or inf in OUT's rate or rate_err
 * where expected is, for linear, w_A r_A + w_B r_B and
 * sqrt(w_A^2 e_A^2 + w_B^2 e_B^2); for log, where both rates are > 0,
 * exp(w_A ln r_A + w_B ln r_B) with relative errors added in quadrature
 * with the same weights, and the linear rule in the other cells. */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bkg-private.h"

static double rel(double got, double want)
{
    double d = fabs(got - want);

    return d == 0 ? 0 : d / fmax(fabs(want), 1e-300);
}

int main(int argc, char **argv)
{
    offbkg_ctx_t *ctx = offbkg_ctx_new();
    offbkg_cube_t *c[3] = { NULL, NULL, NULL };
    const char *path[3];
    double wa, wb, max_rate = 0, max_err = 0;
    size_t one_empty = 0, outside = 0, bad = 0;
    int logmode, st = 1;

    if (argc != 7 || ctx == NULL
        || (strcmp(argv[1], "linear") != 0 && strcmp(argv[1], "log") != 0)) {
        fprintf(stderr, "usage: bkg_combine linear|log OUT A W_A B W_B\n");
        return 2;
    }
    logmode = strcmp(argv[1], "log") == 0;
    path[0] = argv[2];
    path[1] = argv[3];
    path[2] = argv[5];
    wa = atof(argv[4]);
    wb = atof(argv[6]);
    for (int i = 0; i < 3; i++)
        if (offbkg_bkg_read(ctx, path[i], &c[i]) != OFFBKG_OK) {
            fprintf(stderr, "bkg_combine: %s\n", offbkg_error_msg(ctx));
            goto out;
        }
    if (c[1]->n_cells != c[0]->n_cells || c[2]->n_cells != c[0]->n_cells) {
        fprintf(stderr, "bkg_combine: the cubes differ in size\n");
        goto out;
    }
    for (size_t i = 0; i < c[0]->n_cells; i++) {
        double ra = c[1]->rate[i], rb = c[2]->rate[i];
        double ea = c[1]->rate_err[i], eb = c[2]->rate_err[i];
        double r = c[0]->rate[i], e = c[0]->rate_err[i], want_r, want_e;

        if (logmode && ra > 0 && rb > 0) {
            want_r = exp(wa * log(ra) + wb * log(rb));
            want_e = want_r * sqrt(wa * wa * (ea / ra) * (ea / ra)
                                   + wb * wb * (eb / rb) * (eb / rb));
        } else {
            want_r = wa * ra + wb * rb;
            want_e = sqrt(wa * wa * ea * ea + wb * wb * eb * eb);
        }
        one_empty += (ra > 0) != (rb > 0);
        bad += !isfinite(r) || !isfinite(e);
        /* A relative slack for the rounding of the weights (%.9g). */
        outside += r < fmin(ra, rb) * (1 - 1e-8)
                   || r > fmax(ra, rb) * (1 + 1e-8);
        max_rate = fmax(max_rate, rel(r, want_r));
        max_err = fmax(max_err, rel(e, want_e));
    }
    printf("cells %zu\n", c[0]->n_cells);
    printf("one_empty %zu\n", one_empty);
    printf("max_rel_rate %.3g\n", max_rate);
    printf("max_rel_err %.3g\n", max_err);
    printf("outside %zu\n", outside);
    printf("nonfinite %zu\n", bad);
    st = 0;
out:
    for (int i = 0; i < 3; i++)
        offbkg_cube_free(c[i]);
    offbkg_ctx_free(ctx);
    return st;
}
