/* SPDX-License-Identifier: BSD-3-Clause
 * Simulated OFF runs from a known rate (doc/domain.md §8): the truth model,
 * its bin integrals, the run plan, exact event drawing. Writing the data
 * store is in sim_write.c. */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <offbkg/astro.h>
#include <offbkg/geom.h>

#include "sim-private.h"

#define DEG_TO_RAD (M_PI / 180.0)
#define RAD_TO_DEG (180.0 / M_PI)
#define MEV_PER_TEV 1e6

/* MJD reference of the MET, as in H.E.S.S. DR1: 2001-01-01 00:00 UTC
 * expressed in TT. */
#define SIM_MJDREFI 51910
#define SIM_MJDREFF 0.000742870370370241
/* The sidereal rate (degrees of LST per day of UT). */
#define SIDEREAL_DEG_PER_DAY 360.98564736629

void offbkg_sim_params_default(offbkg_sim_params_t *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 42;
    p->n_runs = 10;
    p->first_obs_id = 1;
    p->zen_min_deg = 10;
    p->zen_max_deg = 60;
    p->ontime_min_s = 1200;
    p->ontime_max_s = 1800;
    p->deadc_min = 0.85;
    p->deadc_max = 0.97;
    p->min_abs_glat_deg = 10;
    p->mjd_first_utc = 52061;           /* 2001-06-01 */
    p->site_lon_deg = 16.5002222;
    p->site_lat_deg = -23.2717778;
    p->site_alt_m = 1835;

    p->r0 = 1e-4;
    p->gamma = 2.7;
    p->sigma0_deg = 1.5;
    p->sigma_index = 0.1;
    p->floor_norm = 1e-7;
    p->asym_lon = 0;
    p->asym_lat = 0;
    p->asym_scale_deg = 2.5;
    p->zenith_scaling = false;
    p->livetime_base = false;
    p->altaz = false;

    p->e_min_tev = 0.05;
    p->e_max_tev = 200;
    p->theta_max_deg = 6;

    p->book_e_lo_tev = 0.1;
    p->book_e_hi_tev = 100;
    p->book_theta_deg = 2.5;
    p->book_box_deg = 4;

    p->nan_rows = 0;
    p->source_mode = OFFBKG_SIM_SOURCE_NONE;
    p->src_n = 0;
    p->src_sigma_deg = 0.1;
    p->src_offset_deg = 0.5;
    p->src_ra_deg = NAN;
    p->src_dec_deg = NAN;
    p->src_gamma = 2.0;

    p->rate_column[0] = '\0';
    p->rate_col_min = 0.5;
    p->rate_col_max = 1.5;
    p->rate_col_ref = 1.0;
    p->rate_col_index = 1.0;
    p->run_scatter = 0.0;
}

/* "name: message" as OFFBKG_EINVAL. */
#define BAD(...) offbkg_error_set(ctx, OFFBKG_EINVAL, __VA_ARGS__)

static int range_ok(double lo, double hi)
{
    return isfinite(lo) && isfinite(hi) && lo <= hi;
}

/* Names the store already writes in the obs-index or as EVENTS keys, and
 * FITS keywords of the table structure: the rate column must be new. */
static const char *const taken_names[] = {
    "OBS_ID", "RA_PNT", "DEC_PNT", "GLON_PNT", "GLAT_PNT", "ZEN_PNT",
    "ALT_PNT", "AZ_PNT", "OBJECT", "ONTIME", "LIVETIME", "DEADC", "TSTART",
    "TSTOP", "N_TELS", "EVENT_COUNT", "TARGET_TAG", "CREATOR", "HDUCLASS",
    "HDUDOC", "HDUVERS", "HDUCLAS1", "HDUCLAS2", "MJDREFI", "MJDREFF",
    "TIMEUNIT", "TIMESYS", "TIMEREF", "RADECSYS", "EQUINOX", "OBS_MODE",
    "GEOLON", "GEOLAT", "ALTITUDE", "EUNIT", "EXTNAME", "XTENSION",
    "BITPIX", "PCOUNT", "GCOUNT", "TFIELDS", "COMMENT", "HISTORY", "END",
    NULL
};

static int check_rate_factors(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p)
{
    const char *name = p->rate_column;
    size_t len = strnlen(name, sizeof p->rate_column);

    if (!isfinite(p->run_scatter) || p->run_scatter < 0
        || p->run_scatter > 1)
        return BAD("run scatter: %g is out of range 0..1", p->run_scatter);
    if (len == 0)
        return OFFBKG_OK;
    if (len >= sizeof p->rate_column || strspn(name, "ABCDEFGHIJKLMNOPQRS"
                                              "TUVWXYZ0123456789_") != len)
        return BAD("rate column: '%.*s' is not 1 to 8 of A-Z, 0-9, _",
                   (int)len, name);
    for (size_t i = 0; taken_names[i] != NULL; i++)
        if (strcmp(name, taken_names[i]) == 0)
            return BAD("rate column: %s is already written by the store",
                       name);
    if (strncmp(name, "NAXIS", 5) == 0 || strncmp(name, "TTYPE", 5) == 0
        || strncmp(name, "TFORM", 5) == 0 || strncmp(name, "TUNIT", 5) == 0)
        return BAD("rate column: %s is a FITS table keyword", name);
    /* The power of a positive value only: C stays finite and positive. */
    if (!range_ok(p->rate_col_min, p->rate_col_max) || p->rate_col_min <= 0)
        return BAD("rate column range: need 0 < MIN <= MAX, got %g, %g",
                   p->rate_col_min, p->rate_col_max);
    if (!isfinite(p->rate_col_ref) || p->rate_col_ref <= 0)
        return BAD("rate column reference: %g is not > 0", p->rate_col_ref);
    if (!isfinite(p->rate_col_index) || fabs(p->rate_col_index) > 10)
        return BAD("rate column index: %g is out of range -10..10",
                   p->rate_col_index);
    return OFFBKG_OK;
}

int offbkg_sim_params_check(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p)
{
    double lim;

    if (p->n_runs < 0 || p->n_runs > 100000)
        return BAD("number of runs: %d is out of range 0..100000",
                   p->n_runs);
    if (p->first_obs_id < 0 || p->first_obs_id > 999999 - p->n_runs - 3)
        return BAD("first OBS_ID: %lld is out of range",
                   (long long)p->first_obs_id);
    if (!range_ok(p->zen_min_deg, p->zen_max_deg) || p->zen_min_deg < 0
        || p->zen_max_deg > 90)
        return BAD("zenith range: need 0 <= MIN <= MAX <= 90 deg, got "
                   "%g, %g", p->zen_min_deg, p->zen_max_deg);
    if (!range_ok(p->ontime_min_s, p->ontime_max_s) || p->ontime_min_s <= 0
        || p->ontime_max_s > 86400)
        return BAD("ONTIME range: need 0 < MIN <= MAX <= 86400 s, got "
                   "%g, %g", p->ontime_min_s, p->ontime_max_s);
    if (!range_ok(p->deadc_min, p->deadc_max) || p->deadc_min <= 0
        || p->deadc_max > 1)
        return BAD("DEADC range: need 0 < MIN <= MAX <= 1, got %g, %g",
                   p->deadc_min, p->deadc_max);
    if (!isfinite(p->min_abs_glat_deg) || p->min_abs_glat_deg < 0
        || p->min_abs_glat_deg > 60)
        return BAD("minimum |GLAT|: %g is out of range 0..60 deg",
                   p->min_abs_glat_deg);
    if (!isfinite(p->mjd_first_utc) || p->mjd_first_utc < 41317
        || p->mjd_first_utc > 88000)
        return BAD("first MJD: %g is out of range 41317..88000",
                   p->mjd_first_utc);
    if (!isfinite(p->site_lon_deg) || fabs(p->site_lon_deg) > 360
        || !isfinite(p->site_lat_deg) || fabs(p->site_lat_deg) >= 89
        || !isfinite(p->site_alt_m))
        return BAD("site: longitude %g, latitude %g deg, height %g m is "
                   "not usable", p->site_lon_deg, p->site_lat_deg,
                   p->site_alt_m);
    if (!isfinite(p->r0) || p->r0 < 0 || !isfinite(p->floor_norm)
        || p->floor_norm < 0 || p->r0 + p->floor_norm <= 0)
        return BAD("rate normalisation: need r0 >= 0 and floor >= 0, not "
                   "both 0 (got %g, %g)", p->r0, p->floor_norm);
    if (!isfinite(p->gamma) || fabs(p->gamma) > 10)
        return BAD("spectral index: %g is out of range -10..10", p->gamma);
    if (!isfinite(p->sigma0_deg) || p->sigma0_deg < 0.05
        || p->sigma0_deg > 30)
        return BAD("sigma at 1 TeV: %g is out of range 0.05..30 deg",
                   p->sigma0_deg);
    if (!isfinite(p->sigma_index) || fabs(p->sigma_index) > 1)
        return BAD("sigma index: %g is out of range -1..1",
                   p->sigma_index);
    if (!range_ok(p->e_min_tev, p->e_max_tev) || p->e_min_tev <= 0
        || p->e_max_tev <= p->e_min_tev || p->e_max_tev / p->e_min_tev > 1e9)
        return BAD("energy range: need 0 < MIN < MAX (at most 9 decades), "
                   "got %g, %g TeV", p->e_min_tev, p->e_max_tev);
    if (p->sigma0_deg * pow(p->e_min_tev, p->sigma_index) < 0.02
        || p->sigma0_deg * pow(p->e_max_tev, p->sigma_index) < 0.02)
        return BAD("sigma(E) falls below 0.02 deg in the energy range");
    if (!isfinite(p->theta_max_deg) || p->theta_max_deg <= 0
        || p->theta_max_deg > 30)
        return BAD("maximum offset: %g is out of range (0, 30] deg",
                   p->theta_max_deg);
    if (!isfinite(p->asym_scale_deg) || p->asym_scale_deg <= 0)
        return BAD("asymmetry scale: %g must be > 0 deg", p->asym_scale_deg);
    /* The factor must stay positive on the whole cap, where |fov_lon| and
     * |fov_lat| reach theta_max. */
    lim = p->asym_scale_deg / p->theta_max_deg;
    if (!isfinite(p->asym_lon) || fabs(p->asym_lon) >= lim)
        return BAD("lon asymmetry: |%g| must be below %g (the rate must "
                   "stay positive out to %g deg)", p->asym_lon, lim,
                   p->theta_max_deg);
    if (!isfinite(p->asym_lat) || fabs(p->asym_lat) >= lim)
        return BAD("lat asymmetry: |%g| must be below %g (the rate must "
                   "stay positive out to %g deg)", p->asym_lat, lim,
                   p->theta_max_deg);
    if (!range_ok(p->book_e_lo_tev, p->book_e_hi_tev)
        || !isfinite(p->book_theta_deg) || !isfinite(p->book_box_deg))
        return BAD("bookkeeping region is not usable");
    if (p->nan_rows < 0 || p->nan_rows > 1000000)
        return BAD("NaN rows: %d is out of range 0..1000000", p->nan_rows);
    if (p->source_mode != OFFBKG_SIM_SOURCE_NONE) {
        if (p->src_n < 0 || p->src_n > 10000000)
            return BAD("source events: %d is out of range", p->src_n);
        if (!isfinite(p->src_sigma_deg) || p->src_sigma_deg <= 0
            || p->src_sigma_deg > 10)
            return BAD("source width: %g is out of range (0, 10] deg",
                       p->src_sigma_deg);
        if (!isfinite(p->src_gamma) || fabs(p->src_gamma) > 10)
            return BAD("source index: %g is out of range", p->src_gamma);
        if (p->source_mode == OFFBKG_SIM_SOURCE_OFFSET
            && (!isfinite(p->src_offset_deg) || p->src_offset_deg < 0
                || p->src_offset_deg > 30))
            return BAD("source offset: %g is out of range 0..30 deg",
                       p->src_offset_deg);
        if (p->source_mode == OFFBKG_SIM_SOURCE_RADEC
            && (!isfinite(p->src_ra_deg) || !isfinite(p->src_dec_deg)
                || fabs(p->src_dec_deg) > 90))
            return BAD("source position: RA %g, Dec %g deg is not usable",
                       p->src_ra_deg, p->src_dec_deg);
    }
    if (p->n_src_obs_ids > 0) {
        /* The plan numbers its runs from first_obs_id, extra runs last. */
        int64_t last = p->first_obs_id + p->n_runs - 1
                       + (p->edge_zeniths ? 2 : 0) + (p->missing_file ? 1 : 0);
        if (p->source_mode == OFFBKG_SIM_SOURCE_NONE)
            return BAD("source runs: given without a source");
        for (size_t i = 0; i < p->n_src_obs_ids; i++)
            if (p->src_obs_ids[i] < p->first_obs_id
                || p->src_obs_ids[i] > last)
                return BAD("source runs: OBS_ID %lld is not one of the "
                           "runs (OBS_IDs %lld to %lld)",
                           (long long)p->src_obs_ids[i],
                           (long long)p->first_obs_id, (long long)last);
    }
    return check_rate_factors(ctx, p);
}

/* ---- the truth ---------------------------------------------------- */

/* Great-circle offset (deg) of an offset-frame position, stable at small
 * angles: sin^2(theta/2) = sin^2(lat/2) + cos(lat) sin^2(lon/2). */
static double offset_of(double lon_deg, double lat_deg)
{
    double sl = sin(0.5 * lat_deg * DEG_TO_RAD);
    double so = sin(0.5 * lon_deg * DEG_TO_RAD);
    double h = sl * sl + cos(lat_deg * DEG_TO_RAD) * so * so;

    return 2.0 * asin(sqrt(fmin(1.0, h))) * RAD_TO_DEG;
}

/* The asymmetry factor, clipped at 0 (it is positive on the cap). */
static double asym_factor(const offbkg_sim_params_t *p, double fov_lon,
                          double fov_lat)
{
    double a = (1.0 + p->asym_lon * fov_lon / p->asym_scale_deg)
               * (1.0 + p->asym_lat * fov_lat / p->asym_scale_deg);
    return a > 0 ? a : 0.0;
}

/* The zenith factor of the r0 term; 0 when nothing is seen (zen >= 90),
 * NaN for NaN. */
static double zen_factor(const offbkg_sim_params_t *p, double zen_deg)
{
    if (isnan(zen_deg))
        return NAN;
    if (fabs(zen_deg) >= 90)
        return 0.0;
    return p->zenith_scaling ? 1.0 / cos(zen_deg * DEG_TO_RAD) : 1.0;
}

double offbkg_sim_zenith_factor(const offbkg_sim_params_t *p, double zen_deg)
{
    return zen_factor(p, zen_deg);
}

static double sigma_deg(const offbkg_sim_params_t *p, double e_tev)
{
    return p->sigma0_deg * pow(e_tev, p->sigma_index);
}

double offbkg_sim_rate(const offbkg_sim_params_t *p, double e_tev,
                       double fov_lon_deg, double fov_lat_deg,
                       double zen_deg)
{
    double z = zen_factor(p, zen_deg), theta, s;

    if (isnan(z) || isnan(e_tev) || isnan(fov_lon_deg) || isnan(fov_lat_deg))
        return NAN;
    if (z == 0.0 || !(e_tev > 0))
        return 0.0;
    theta = offset_of(fov_lon_deg, fov_lat_deg);
    s = sigma_deg(p, e_tev);
    return asym_factor(p, fov_lon_deg, fov_lat_deg)
           * pow(e_tev, -p->gamma)
           * (p->r0 * z * exp(-theta * theta / (2.0 * s * s))
              + p->floor_norm);
}

/* ---- bin integrals ------------------------------------------------ */

/* Composite Gauss-Legendre: GL_N points on each of up to MAX_PANELS
 * panels of one interval. */
#define GL_N 8
#define MAX_PANELS 256
#define MAX_NODES (GL_N * MAX_PANELS)

typedef struct gl_rule {
    double x[GL_N], w[GL_N];   /* on [-1, 1] */
} gl_rule_t;

/* Nodes are the roots of P_n, found by Newton's method from the usual
 * cosine guesses; weights 2 / ((1 - x^2) P_n'(x)^2). */
static void gl_rule_init(gl_rule_t *r)
{
    const int n = GL_N;

    for (int i = 0; i < (n + 1) / 2; i++) {
        double x = cos(M_PI * (i + 0.75) / (n + 0.5)), dp = 1.0;
        for (int it = 0; it < 100; it++) {
            double p0 = 1.0, p1 = x, dx;
            for (int j = 2; j <= n; j++) {
                double p2 = ((2.0 * j - 1.0) * x * p1 - (j - 1.0) * p0) / j;
                p0 = p1;
                p1 = p2;
            }
            dp = n * (x * p1 - p0) / (x * x - 1.0);
            dx = p1 / dp;
            x -= dx;
            if (fabs(dx) < 1e-16)
                break;
        }
        r->x[i] = -x;
        r->x[n - 1 - i] = x;
        r->w[i] = r->w[n - 1 - i] = 2.0 / ((1.0 - x * x) * dp * dp);
    }
}

typedef struct panels {
    double a, h;     /* start, panel width */
    int n;           /* panels */
} panels_t;

/* Split [a, b] into panels no wider than hmax (at most MAX_PANELS). */
static void panels_init(panels_t *pn, double a, double b, double hmax)
{
    double k = ceil((b - a) / hmax);

    pn->n = k < 1 ? 1 : k > MAX_PANELS ? MAX_PANELS : (int)k;
    pn->a = a;
    pn->h = (b - a) / pn->n;
}

/* Node j (0 <= j < GL_N * n) and its weight. */
static void panels_node(const panels_t *pn, const gl_rule_t *r, int j,
                        double *x, double *w)
{
    int panel = j / GL_N, i = j % GL_N;
    double mid = pn->a + (panel + 0.5) * pn->h;

    *x = mid + 0.5 * pn->h * r->x[i];
    *w = 0.5 * pn->h * r->w[i];
}

/* The energy part, shared by every spatial node: for node k,
 * c[k] = weight * dE_MeV/dlnE * E^-gamma and a[k] = 1 / (2 sigma(E)^2)
 * (deg^-2), so that the integral over E of R at offset theta is
 * A * (r0 Z sum_k c[k] exp(-theta^2 a[k]) + floor sum_k c[k]). */
typedef struct energy_nodes {
    int n;
    double c[MAX_NODES], a[MAX_NODES];
    double c_sum;
    double sigma_min_deg;
} energy_nodes_t;

static void energy_nodes_init(energy_nodes_t *en, const gl_rule_t *r,
                              const offbkg_sim_params_t *p, double e_lo,
                              double e_hi, int refine)
{
    panels_t pn;

    panels_init(&pn, log(e_lo), log(e_hi), 0.5 / refine);
    en->n = GL_N * pn.n;
    en->c_sum = 0;
    for (int k = 0; k < en->n; k++) {
        double lne, w, e, s;
        panels_node(&pn, r, k, &lne, &w);
        e = exp(lne);
        s = sigma_deg(p, e);
        en->c[k] = w * MEV_PER_TEV * pow(e, 1.0 - p->gamma);
        en->a[k] = 1.0 / (2.0 * s * s);
        en->c_sum += en->c[k];
    }
    en->sigma_min_deg = fmin(sigma_deg(p, e_lo), sigma_deg(p, e_hi));
}

/* E-integrated rate at offset theta, without the factor A. */
static double energy_sum(const energy_nodes_t *en, double r0z,
                         double floor_norm, double theta_deg)
{
    double t2 = theta_deg * theta_deg, g = 0;

    if (r0z > 0)
        for (int k = 0; k < en->n; k++)
            g += en->c[k] * exp(-t2 * en->a[k]);
    return r0z * g + floor_norm * en->c_sum;
}

/* Average of the asymmetry factor around the circle of radius theta
 * (periodic trapezoid rule, exponentially accurate for this smooth
 * periodic integrand). For the bilinear factor it is 1: the lon, lat and
 * lon*lat terms are odd under a reflection of the circle. */
static double asym_ring_mean(const offbkg_sim_params_t *p, double theta_deg)
{
    enum { N_PHI = 64 };
    double ct = cos(theta_deg * DEG_TO_RAD), st = sin(theta_deg * DEG_TO_RAD);
    double sum = 0;

    for (int i = 0; i < N_PHI; i++) {
        double phi = 2.0 * M_PI * (i + 0.5) / N_PHI;
        double y = st * cos(phi), z = st * sin(phi);
        double lon = -atan2(y, ct) * RAD_TO_DEG;
        double lat = atan2(z, hypot(ct, y)) * RAD_TO_DEG;
        sum += asym_factor(p, lon, lat);
    }
    return sum / N_PHI;
}

/* Clip an energy interval to the simulated one; 0 if empty. */
static int clip_energy(const offbkg_sim_params_t *p, double *lo, double *hi)
{
    *lo = fmax(*lo, p->e_min_tev);
    *hi = fmin(*hi, p->e_max_tev);
    return *hi > *lo;
}

double offbkg_sim_expected_2d_refined(const offbkg_sim_params_t *p,
                                      double zen_deg, double time_s,
                                      double e_lo_tev, double e_hi_tev,
                                      double theta_lo_deg,
                                      double theta_hi_deg, int refine)
{
    static const double two_pi = 2.0 * M_PI;
    double z = zen_factor(p, zen_deg), t_lo, t_hi, total = 0;
    bool asym = p->asym_lon != 0 || p->asym_lat != 0;
    energy_nodes_t *en;
    gl_rule_t r;
    panels_t pt;

    if (isnan(z) || isnan(time_s) || isnan(e_lo_tev) || isnan(e_hi_tev)
        || isnan(theta_lo_deg) || isnan(theta_hi_deg))
        return NAN;
    t_lo = fmax(theta_lo_deg, 0.0);
    t_hi = fmin(theta_hi_deg, p->theta_max_deg);
    if (z == 0.0 || time_s == 0 || !clip_energy(p, &e_lo_tev, &e_hi_tev)
        || !(t_hi > t_lo))
        return 0.0;
    en = malloc(sizeof *en);
    if (en == NULL)
        return NAN;
    gl_rule_init(&r);
    energy_nodes_init(en, &r, p, e_lo_tev, e_hi_tev, refine);
    panels_init(&pt, t_lo, t_hi, en->sigma_min_deg / (2.0 * refine));
    for (int j = 0; j < GL_N * pt.n; j++) {
        double t, w, domega;
        panels_node(&pt, &r, j, &t, &w);
        domega = two_pi * sin(t * DEG_TO_RAD) * w * DEG_TO_RAD;
        if (asym)
            domega *= asym_ring_mean(p, t);
        total += domega * energy_sum(en, p->r0 * z, p->floor_norm, t);
    }
    free(en);
    return time_s * total;
}

double offbkg_sim_expected_2d(const offbkg_sim_params_t *p, double zen_deg,
                              double time_s, double e_lo_tev,
                              double e_hi_tev, double theta_lo_deg,
                              double theta_hi_deg)
{
    return offbkg_sim_expected_2d_refined(p, zen_deg, time_s, e_lo_tev,
                                          e_hi_tev, theta_lo_deg,
                                          theta_hi_deg, 1);
}

/* What one 3D integral needs. */
typedef struct box_ctx {
    const offbkg_sim_params_t *p;
    const gl_rule_t *r;
    const energy_nodes_t *en;
    double r0z;
    double hmax_deg;     /* spatial panel width */
} box_ctx_t;

/* Integral over lon in [lo, hi] (deg) at latitude lat of A * (E-integral
 * of the rate), with dlon in rad. */
static double lon_integral(const box_ctx_t *b, double lat, double lo,
                           double hi)
{
    panels_t pn;
    double sum = 0;

    panels_init(&pn, lo, hi, b->hmax_deg);
    for (int j = 0; j < GL_N * pn.n; j++) {
        double lon, w;
        panels_node(&pn, b->r, j, &lon, &w);
        sum += w * DEG_TO_RAD * asym_factor(b->p, lon, lat)
               * energy_sum(b->en, b->r0z, b->p->floor_norm,
                            offset_of(lon, lat));
    }
    return sum;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Half-width in lon of the cap at latitude lat (deg): the cap is
 * cos(lat) cos(lon) >= cos(theta_max). */
static double cap_half_width(double lat, double cos_tm)
{
    double c = cos_tm / cos(lat * DEG_TO_RAD);
    return c >= 1.0 ? 0.0 : acos(c) * RAD_TO_DEG;
}

/* The rectangle clipped to the cap. In each latitude strip between
 * breakpoints (where the cap's edge meets lon_lo or lon_hi) the lon
 * bounds are smooth; the substitution lat = theta_max sin(u) removes the
 * square-root behaviour of the half-width at lat = +-theta_max. */
static double box_on_cap(const box_ctx_t *b, double lon_lo, double lon_hi,
                         double lat_lo, double lat_hi)
{
    double tm = b->p->theta_max_deg, cos_tm = cos(tm * DEG_TO_RAD);
    double cuts[6], total = 0;
    int nc = 0;

    lat_lo = fmax(lat_lo, -tm);
    lat_hi = fmin(lat_hi, tm);
    if (!(lat_hi > lat_lo))
        return 0.0;
    cuts[nc++] = lat_lo;
    cuts[nc++] = lat_hi;
    for (int i = 0; i < 2; i++) {
        double x = fabs(i == 0 ? lon_lo : lon_hi);
        if (x < tm) {
            double ls = acos(cos_tm / cos(x * DEG_TO_RAD)) * RAD_TO_DEG;
            if (ls > lat_lo && ls < lat_hi)
                cuts[nc++] = ls;
            if (-ls > lat_lo && -ls < lat_hi)
                cuts[nc++] = -ls;
        }
    }
    qsort(cuts, (size_t)nc, sizeof cuts[0], cmp_double);
    for (int c = 0; c + 1 < nc; c++) {
        double u1 = asin(fmax(-1.0, fmin(1.0, cuts[c] / tm)));
        double u2 = asin(fmax(-1.0, fmin(1.0, cuts[c + 1] / tm)));
        panels_t pn;
        if (!(u2 > u1))
            continue;
        panels_init(&pn, u1, u2, b->hmax_deg / tm);
        for (int j = 0; j < GL_N * pn.n; j++) {
            double u, w, lat, hw, lo, hi;
            panels_node(&pn, b->r, j, &u, &w);
            lat = tm * sin(u);
            hw = cap_half_width(lat, cos_tm);
            lo = fmax(lon_lo, -hw);
            hi = fmin(lon_hi, hw);
            if (hi > lo)
                total += w * tm * cos(u) * DEG_TO_RAD
                         * cos(lat * DEG_TO_RAD)
                         * lon_integral(b, lat, lo, hi);
        }
    }
    return total;
}

double offbkg_sim_expected_3d_refined(const offbkg_sim_params_t *p,
                                      double zen_deg, double time_s,
                                      double e_lo_tev, double e_hi_tev,
                                      double lon_lo_deg, double lon_hi_deg,
                                      double lat_lo_deg, double lat_hi_deg,
                                      int refine)
{
    double z = zen_factor(p, zen_deg), total = 0, far_lon, far_lat;
    energy_nodes_t *en;
    gl_rule_t r;
    box_ctx_t b;

    if (isnan(z) || isnan(time_s) || isnan(e_lo_tev) || isnan(e_hi_tev)
        || isnan(lon_lo_deg) || isnan(lon_hi_deg) || isnan(lat_lo_deg)
        || isnan(lat_hi_deg))
        return NAN;
    lon_lo_deg = fmax(lon_lo_deg, -180.0);
    lon_hi_deg = fmin(lon_hi_deg, 180.0);
    lat_lo_deg = fmax(lat_lo_deg, -90.0);
    lat_hi_deg = fmin(lat_hi_deg, 90.0);
    if (z == 0.0 || time_s == 0 || !clip_energy(p, &e_lo_tev, &e_hi_tev)
        || !(lon_hi_deg > lon_lo_deg) || !(lat_hi_deg > lat_lo_deg))
        return 0.0;
    en = malloc(sizeof *en);
    if (en == NULL)
        return NAN;
    gl_rule_init(&r);
    energy_nodes_init(en, &r, p, e_lo_tev, e_hi_tev, refine);
    b.p = p;
    b.r = &r;
    b.en = en;
    b.r0z = p->r0 * z;
    b.hmax_deg = en->sigma_min_deg / (2.0 * refine);

    /* The corner farthest from the centre decides whether the rectangle
     * lies inside the cap. */
    far_lon = fmax(fabs(lon_lo_deg), fabs(lon_hi_deg));
    far_lat = fmax(fabs(lat_lo_deg), fabs(lat_hi_deg));
    if (far_lon < 90 && far_lat < 90
        && offset_of(far_lon, far_lat) <= p->theta_max_deg) {
        panels_t pn;
        panels_init(&pn, lat_lo_deg, lat_hi_deg, b.hmax_deg);
        for (int j = 0; j < GL_N * pn.n; j++) {
            double lat, w;
            panels_node(&pn, &r, j, &lat, &w);
            total += w * DEG_TO_RAD * cos(lat * DEG_TO_RAD)
                     * lon_integral(&b, lat, lon_lo_deg, lon_hi_deg);
        }
    } else {
        total = box_on_cap(&b, lon_lo_deg, lon_hi_deg, lat_lo_deg,
                           lat_hi_deg);
    }
    free(en);
    return time_s * total;
}

double offbkg_sim_expected_3d(const offbkg_sim_params_t *p, double zen_deg,
                              double time_s, double e_lo_tev,
                              double e_hi_tev, double lon_lo_deg,
                              double lon_hi_deg, double lat_lo_deg,
                              double lat_hi_deg)
{
    return offbkg_sim_expected_3d_refined(p, zen_deg, time_s, e_lo_tev,
                                          e_hi_tev, lon_lo_deg, lon_hi_deg,
                                          lat_lo_deg, lat_hi_deg, 1);
}

double offbkg_sim_r0_for_events(const offbkg_sim_params_t *p,
                                double mean_events)
{
    offbkg_sim_params_t q = *p;
    double t = 0.5 * (p->ontime_min_s + p->ontime_max_s), per_r0, fl;

    if (p->livetime_base)
        t *= 0.5 * (p->deadc_min + p->deadc_max);
    q.r0 = 1.0;
    q.floor_norm = 0.0;
    per_r0 = offbkg_sim_expected_2d(&q, 0.0, t, p->e_min_tev, p->e_max_tev,
                                    0.0, p->theta_max_deg);
    q.r0 = 0.0;
    q.floor_norm = p->floor_norm;
    fl = offbkg_sim_expected_2d(&q, 0.0, t, p->e_min_tev, p->e_max_tev, 0.0,
                                p->theta_max_deg);
    if (!(mean_events > fl) || !(per_r0 > 0))
        return NAN;
    return (mean_events - fl) / per_r0;
}

/* ---- random numbers ----------------------------------------------- */

void offbkg_sim_rng_seed(offbkg_rng_t *rng, uint64_t seed,
                         uint64_t stream)
{
    /* Hash the seed, then offset by the stream through a second odd
     * constant, so (seed, stream) pairs give unrelated states. */
    uint64_t x = seed;
    uint64_t h = offbkg_rng_splitmix64(&x);

    x = h ^ (stream * UINT64_C(0xD1B54A32D192ED03));
    for (int i = 0; i < 4; i++)
        rng->s[i] = offbkg_rng_splitmix64(&x);
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
        rng->s[0] = 1;
}

double offbkg_sim_normal(offbkg_rng_t *rng)
{
    /* 1 - u is in (0, 1]: the log is finite. */
    double r = sqrt(-2.0 * log(1.0 - offbkg_rng_uniform(rng)));

    return r * cos(2.0 * M_PI * offbkg_rng_uniform(rng));
}

uint64_t offbkg_sim_poisson(offbkg_rng_t *rng, double mu)
{
    if (!(mu > 0))
        return 0;
    if (mu < 10) {
        /* Inversion by sequential search. */
        double u = offbkg_rng_uniform(rng), pk = exp(-mu), cdf = pk;
        uint64_t k = 0;
        while (u > cdf && k < 1000) {
            k++;
            pk *= mu / (double)k;
            cdf += pk;
        }
        return k;
    }
    /* PTRS: W. Hormann, "The transformed rejection method for generating
     * Poisson random variables", Insurance: Mathematics and Economics 12
     * (1993) 39-45. A rejection method, so exact. */
    {
        double smu = sqrt(mu), log_mu = log(mu);
        double b = 0.931 + 2.53 * smu, a = -0.059 + 0.02483 * b;
        double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
        double v_r = 0.9277 - 3.6224 / (b - 2.0);
        for (;;) {
            double u = offbkg_rng_uniform(rng) - 0.5;
            double v = offbkg_rng_uniform(rng);
            double us = 0.5 - fabs(u), k;
            if (us <= 0)
                continue;
            k = floor((2.0 * a / us + b) * u + mu + 0.43);
            if (us >= 0.07 && v <= v_r)
                return (uint64_t)k;
            if (k < 0 || (us < 0.013 && v > us))
                continue;
            if (log(v) + log(inv_alpha) - log(a / (us * us) + b)
                <= -mu + k * log_mu - lgamma(k + 1.0))
                return (uint64_t)k;
        }
    }
}

/* A power law E^-g on [lo, hi] by inverting its CDF, written with
 * expm1/log1p so that g near 1 (log-uniform) keeps its precision. */
static double draw_power_law(offbkg_rng_t *rng, double g, double lo,
                             double hi)
{
    double u = offbkg_rng_uniform(rng), s = 1.0 - g, l = log(hi / lo);

    if (fabs(s * l) < 1e-12)
        return lo * exp(u * l);
    return lo * exp(log1p(u * expm1(s * l)) / s);
}

/* ---- the run plan ------------------------------------------------- */

static double wrap360(double x)
{
    x = fmod(x, 360.0);
    if (x < 0)
        x += 360.0;
    return x >= 360.0 ? 0.0 : x;
}

static double wrap180(double x)
{
    x = wrap360(x);
    return x > 180 ? x - 360 : x;
}

/* The UTC MJD after mjd0 (within one sidereal day) where the LST is
 * lst_deg. */
static double solve_lst(double mjd0, double lst_deg, double site_lon)
{
    double mjd = mjd0 + wrap360(lst_deg - offbkg_lst_deg(mjd0, site_lon))
                            / SIDEREAL_DEG_PER_DAY;
    for (int i = 0; i < 3; i++)
        mjd += wrap180(lst_deg - offbkg_lst_deg(mjd, site_lon))
               / SIDEREAL_DEG_PER_DAY;
    return mjd;
}

/* MET (TT seconds since the reference) of a UTC MJD. */
static double utc_to_met(double mjd_utc)
{
    double tt_minus_utc = offbkg_tai_minus_utc_s(mjd_utc) + 32.184;
    return ((mjd_utc - SIM_MJDREFI) - SIM_MJDREFF) * 86400.0 + tt_minus_utc;
}

/* The UTC MJD of a MET, the way a reader of the store computes it. */
static double met_to_utc(double met_s)
{
    return offbkg_mjd_to_utc(SIM_MJDREFI + (SIM_MJDREFF + met_s / 86400.0),
                             OFFBKG_TIMESYS_TT);
}

/* Pointing and times of run r at zenith r->zen_deg: a declination that
 * reaches that zenith, the hour angle that gives it, an RA off the
 * Galactic plane, and the date on night r->index when the LST puts the
 * pointing there at mid-run. */
static int plan_pointing(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p,
                         offbkg_rng_t *rng, offbkg_sim_run_t *r)
{
    double phi = p->site_lat_deg * DEG_TO_RAD, z = r->zen_deg * DEG_TO_RAD;
    double dlo = fmax(-89.5, p->site_lat_deg - r->zen_deg);
    double dhi = fmin(89.5, p->site_lat_deg + r->zen_deg);

    for (int tries = 0; tries < 100000; tries++) {
        double dec = dlo + offbkg_rng_uniform(rng) * (dhi - dlo);
        double d = dec * DEG_TO_RAD;
        double cos_h = (cos(z) - sin(phi) * sin(d)) / (cos(phi) * cos(d));
        double h, ra, l, b, mjd_mid, met_mid, mid_utc, alt, az;
        bool west = offbkg_rng_uniform(rng) < 0.5;

        ra = 360.0 * offbkg_rng_uniform(rng);
        if (fabs(cos_h) > 1.0 + 1e-12)
            continue;
        h = acos(fmax(-1.0, fmin(1.0, cos_h))) * RAD_TO_DEG;
        if (!west)
            h = -h;
        offbkg_icrs_to_galactic(ra, dec, &l, &b);
        if (fabs(b) <= p->min_abs_glat_deg)
            continue;
        mjd_mid = solve_lst(p->mjd_first_utc + (double)r->index, ra + h,
                            p->site_lon_deg);
        met_mid = utc_to_met(mjd_mid);
        /* Whole-second GTI edges, as in DR1; then move the RA by the
         * rounding (< 0.01 deg) so that the zenith is exact at the
         * rounded mid-run. */
        r->tstart_s = floor(met_mid - 0.5 * r->ontime_s + 0.5);
        r->tstop_s = r->tstart_s + r->ontime_s;
        mid_utc = met_to_utc(r->tstart_s + 0.5 * r->ontime_s);
        ra = wrap360(offbkg_lst_deg(mid_utc, p->site_lon_deg) - h);
        offbkg_icrs_to_galactic(ra, dec, &l, &b);
        if (fabs(b) <= p->min_abs_glat_deg)
            continue;
        offbkg_radec_to_altaz(ra, dec, mid_utc, p->site_lon_deg,
                              p->site_lat_deg, &alt, &az);
        r->ra_pnt_deg = ra;
        r->dec_pnt_deg = dec;
        r->glon_pnt_deg = l;
        r->glat_pnt_deg = b;
        r->mjd_mid_utc = mid_utc;
        r->alt_deg = 90.0 - r->zen_deg;
        r->az_deg = az;
        return OFFBKG_OK;
    }
    return offbkg_error_set(ctx, OFFBKG_EINVAL, "run %lld: found no "
                            "pointing at zenith %g deg with |GLAT| > %g deg",
                            (long long)r->obs_id, r->zen_deg,
                            p->min_abs_glat_deg);
}

static double draw_in(offbkg_rng_t *rng, double lo, double hi)
{
    return lo + offbkg_rng_uniform(rng) * (hi - lo);
}

/* The streams of the per-run factors, apart from the 4 per run of the
 * plan and the draws (4 * index + 0..3, index < 2^30): switching a factor
 * on changes no other draw. */
#define STREAM_COLUMN (UINT64_C(1) << 32)
#define STREAM_SCATTER (UINT64_C(2) << 32)

/* The run's rate factor F = C * S (sim-private.h). S is lognormal, not a
 * normal cut at 0: it is positive without a cut that would bias its mean
 * and width, and with ln S ~ N(-s2 / 2, s2), s2 = ln(1 + sigma^2), its
 * mean is exactly 1 and its relative sigma exactly run_scatter. */
static void plan_rate_factor(const offbkg_sim_params_t *p,
                             offbkg_sim_run_t *r)
{
    offbkg_rng_t rng;

    r->col_value = NAN;
    r->col_factor = 1.0;
    r->scatter_factor = 1.0;
    if (p->rate_column[0] != '\0') {
        offbkg_sim_rng_seed(&rng, p->seed, STREAM_COLUMN + r->index);
        r->col_value = draw_in(&rng, p->rate_col_min, p->rate_col_max);
        r->col_factor = pow(r->col_value / p->rate_col_ref,
                            p->rate_col_index);
    }
    if (p->run_scatter > 0) {
        double s2 = log1p(p->run_scatter * p->run_scatter);
        offbkg_sim_rng_seed(&rng, p->seed, STREAM_SCATTER + r->index);
        r->scatter_factor = exp(sqrt(s2) * offbkg_sim_normal(&rng)
                                - 0.5 * s2);
    }
    r->rate_factor = r->col_factor * r->scatter_factor;
}

int offbkg_sim_plan(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p,
                    offbkg_sim_run_t **out, size_t *n_out)
{
    size_t n_reg = (size_t)p->n_runs;
    size_t n = n_reg + (p->edge_zeniths ? 2 : 0) + (p->missing_file ? 1 : 0);
    offbkg_sim_run_t *runs;
    int st = offbkg_sim_params_check(ctx, p);

    *out = NULL;
    *n_out = 0;
    if (st != OFFBKG_OK)
        return st;
    if (n == 0)
        return offbkg_error_set(ctx, OFFBKG_EINVAL, "no runs to simulate");
    runs = calloc(n, sizeof *runs);
    if (runs == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        offbkg_sim_run_t *r = &runs[i];
        offbkg_rng_t rng;
        double u, t;

        offbkg_sim_rng_seed(&rng, p->seed, 4 * (uint64_t)i);
        r->index = i;
        r->obs_id = p->first_obs_id + (int64_t)i;
        u = offbkg_rng_uniform(&rng);
        if (i < n_reg)          /* stratified: every stretch gets runs */
            r->zen_deg = p->zen_min_deg + (i + u) / (double)n_reg
                                              * (p->zen_max_deg
                                                 - p->zen_min_deg);
        else if (p->edge_zeniths && i < n_reg + 2)
            r->zen_deg = i == n_reg ? 49.0 : 90.0;
        else
            r->zen_deg = draw_in(&rng, p->zen_min_deg, p->zen_max_deg);
        t = draw_in(&rng, p->ontime_min_s, p->ontime_max_s);
        r->ontime_s = floor(t + 0.5);
        if (r->ontime_s < p->ontime_min_s || r->ontime_s > p->ontime_max_s)
            r->ontime_s = t;
        r->deadc = draw_in(&rng, p->deadc_min, p->deadc_max);
        r->livetime_s = r->ontime_s * r->deadc;
        r->time_s = p->livetime_base ? r->livetime_s : r->ontime_s;
        st = plan_pointing(ctx, p, &rng, r);
        if (st != OFFBKG_OK) {
            free(runs);
            return st;
        }
        plan_rate_factor(p, r);
        /* F multiplies the whole rate: the events' distribution is the
         * same, only their number changes (no work per event). */
        r->mu = r->rate_factor
                * offbkg_sim_expected_2d(p, r->zen_deg, r->time_s,
                                         p->e_min_tev, p->e_max_tev, 0.0,
                                         p->theta_max_deg);
        if (!(r->mu < 5e7)) {
            free(runs);
            return offbkg_error_set(ctx, OFFBKG_EINVAL, "run %lld would "
                                    "have %g events; lower r0 or the "
                                    "ONTIME", (long long)r->obs_id, r->mu);
        }
        r->missing = p->missing_file && i == n - 1;
        snprintf(r->file_name, sizeof r->file_name, "run_%06lld.fits%s",
                 (long long)r->obs_id,
                 p->plain_files || (p->mixed_compression && i % 2 == 1)
                     ? ""
                     : ".gz");
    }
    *out = runs;
    *n_out = n;
    return OFFBKG_OK;
}

/* ---- drawing events ----------------------------------------------- */

void offbkg_sim_events_clear(offbkg_sim_events_t *ev)
{
    free(ev->ev);
    memset(ev, 0, sizeof *ev);
    ev->src_ra_deg = ev->src_dec_deg = NAN;
}

/* Whether event a comes before event b: by time, ties in draw order. */
static bool before(const offbkg_sim_event_t *a, const offbkg_sim_event_t *b)
{
    return a->time_s < b->time_s
           || (a->time_s == b->time_s && a->seq < b->seq);
}

/* Sort @p ev (n rows, times in [t0_s, t1_s]) by time, ties in draw order.
 * The times are uniform, so n buckets of equal width hold about one event
 * each: a stable scatter into the buckets (in draw order), then an
 * insertion sort that only has to swap neighbours within a bucket.
 * @p tmp holds n rows, @p count n + 1 sizes. */
static void sort_by_time(offbkg_sim_event_t *ev, offbkg_sim_event_t *tmp,
                         size_t *count, size_t n, double t0_s, double t1_s)
{
    double scale = t1_s > t0_s ? (double)n / (t1_s - t0_s) : 0.0;

    memset(count, 0, (n + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++) {
        double x = (ev[i].time_s - t0_s) * scale;
        size_t b = x > 0 ? (x < (double)n ? (size_t)x : n - 1) : 0;
        count[b + 1]++;
    }
    for (size_t b = 0; b < n; b++)
        count[b + 1] += count[b];
    for (size_t i = 0; i < n; i++) {
        double x = (ev[i].time_s - t0_s) * scale;
        size_t b = x > 0 ? (x < (double)n ? (size_t)x : n - 1) : 0;
        tmp[count[b]++] = ev[i];
    }
    for (size_t i = 0; i < n; i++) {
        offbkg_sim_event_t e = tmp[i];
        size_t j = i;
        while (j > 0 && before(&e, &ev[j - 1])) {
            ev[j] = ev[j - 1];
            j--;
        }
        ev[j] = e;
    }
}

/* The point at offset theta (deg) and position angle psi (rad, from +lat
 * toward +lon_off) around the origin of @p frame, on the sky. */
static void point_around(const offbkg_offset_frame_t *frame, double theta,
                         double psi, double *ra, double *dec)
{
    double ct = cos(theta * DEG_TO_RAD), st = sin(theta * DEG_TO_RAD);
    double y = st * sin(psi), z = st * cos(psi);

    offbkg_offset_frame_inverse(frame, atan2(y, ct) * RAD_TO_DEG,
                                atan2(z, hypot(ct, y)) * RAD_TO_DEG, ra,
                                dec);
}

/* The offset-frame position at 1 - cos(theta) = d and azimuth phi. */
static void cap_point(double d, double phi, double *lon_off, double *lat_off)
{
    double st = sqrt(d * (2.0 - d)), x = 1.0 - d;
    double y = st * cos(phi), z = st * sin(phi);

    *lon_off = atan2(y, x) * RAD_TO_DEG;
    *lat_off = atan2(z, hypot(x, y)) * RAD_TO_DEG;
}

/* The sky position of the offset-frame point at 1 - cos(theta) = d and
 * azimuth phi: offbkg_offset_frame_inverse of cap_point, from the unit
 * vector directly (no angles in between: two atan2 and a sine and
 * cosine less). */
static void cap_to_sky(const offbkg_offset_frame_t *frame, double d,
                       double phi, double *ra_deg, double *dec_deg)
{
    double st = sqrt(d * (2.0 - d)), xp = 1.0 - d, sp, cp, x, z, ra;

    sp = sin(phi);
    cp = cos(phi);
    x = frame->cos_lat0 * xp - frame->sin_lat0 * st * sp;
    z = frame->sin_lat0 * xp + frame->cos_lat0 * st * sp;
    ra = frame->lon0_deg + atan2(st * cp, x) * RAD_TO_DEG;
    ra = fmod(ra, 360.0);
    if (ra < 0)
        ra += 360.0;
    *ra_deg = ra >= 360.0 ? 0.0 : ra;
    *dec_deg = atan2(z, hypot(x, st * cp)) * RAD_TO_DEG;
}

/* The ALTAZ frame of @p run (used when p->altaz). */
static void sim_altaz_init(const offbkg_sim_params_t *p,
                           const offbkg_sim_run_t *run,
                           offbkg_altaz_fov_t *fov)
{
    offbkg_altaz_fov_init(fov, run->ra_pnt_deg, run->dec_pnt_deg,
                          p->site_lon_deg, p->site_lat_deg,
                          SIM_MJDREFI + SIM_MJDREFF, run->tstart_s);
}

/* A power law E^-g on [lo, hi] by inversion, the constants of its CDF
 * computed once per run. */
typedef struct power_law {
    double log_lo, l, s, em1;   /* ln lo, ln(hi/lo), 1 - g, expm1(s l) */
    bool flat;                  /* g near 1: log-uniform */
} power_law_t;

static void power_law_init(power_law_t *pl, double g, double lo, double hi)
{
    pl->log_lo = log(lo);
    pl->l = log(hi / lo);
    pl->s = 1.0 - g;
    pl->flat = fabs(pl->s * pl->l) < 1e-12;
    pl->em1 = pl->flat ? 0.0 : expm1(pl->s * pl->l);
}

/* ln E of a draw; expm1/log1p keep g near 1 precise. */
static double power_law_log(const power_law_t *pl, double u)
{
    if (pl->flat)
        return pl->log_lo + u * pl->l;
    return pl->log_lo + log1p(u * pl->em1) / pl->s;
}

/* The integral of E^-g over the power law's range, divided by lo^(1-g). */
static double power_law_mass(const power_law_t *pl)
{
    return pl->flat ? pl->l : pl->em1 / pl->s;
}

/* Background events by accept-reject from an envelope that is drawn in
 * closed form and close to the rate, so that nearly every proposal is
 * kept. With d = 1 - cos(theta) and s = sigma(E) in radians,
 * theta^2 >= 2 d, so exp(-theta^2 / (2 s^2)) <= exp(-d / s^2) and
 *
 *   R <= A_max E^-gamma (r0 Z exp(-d / s^2) + floor [d <= d_max]).
 *
 * Both terms are drawn exactly: the floor with E ~ E^-gamma and d uniform
 * on [0, d_max]; the Gaussian with E ~ E^-gamma s(E)^2, a power law of
 * index gamma - 2 sigma_index, and d exponential of mean s(E)^2 (a d past
 * d_max, outside the cap, is rejected). Each is picked in proportion to
 * its integral, the azimuth is uniform, and the proposal is kept with
 * probability R / envelope. The events follow R exactly, as with any
 * envelope; this one only wastes fewer draws. */
static void draw_background(const offbkg_sim_params_t *p,
                            const offbkg_sim_run_t *run,
                            offbkg_rng_t *rng, size_t n,
                            offbkg_sim_event_t *ev)
{
    double tm = p->theta_max_deg * DEG_TO_RAD;
    double d_max = 2.0 * sin(0.5 * tm) * sin(0.5 * tm);
    double r0z = p->r0 * zen_factor(p, run->zen_deg);
    double a_max = (1.0 + fabs(p->asym_lon) * p->theta_max_deg
                              / p->asym_scale_deg)
                   * (1.0 + fabs(p->asym_lat) * p->theta_max_deg
                                / p->asym_scale_deg);
    double s0 = p->sigma0_deg * DEG_TO_RAD, alpha = p->sigma_index;
    bool asym = p->asym_lon != 0 || p->asym_lat != 0;
    power_law_t pl_floor, pl_gauss;
    double m_floor, m_gauss, p_floor;
    offbkg_offset_frame_t frame;
    offbkg_altaz_fov_t fov;

    power_law_init(&pl_floor, p->gamma, p->e_min_tev, p->e_max_tev);
    power_law_init(&pl_gauss, p->gamma - 2.0 * alpha, p->e_min_tev,
                   p->e_max_tev);
    /* The two integrals, each over E (in units of e_min) and d. */
    m_floor = p->floor_norm * d_max * power_law_mass(&pl_floor);
    m_gauss = r0z * s0 * s0 * pow(p->e_min_tev, 2.0 * alpha)
              * power_law_mass(&pl_gauss);
    p_floor = m_floor / (m_floor + m_gauss);
    offbkg_offset_frame_init(&frame, run->ra_pnt_deg, run->dec_pnt_deg);
    sim_altaz_init(p, run, &fov);
    for (size_t i = 0; i < n; i++) {
        double log_e, d, phi, lon_off, lat_off;
        for (;;) {
            double theta, s2, a = 1.0, gauss, r, env, delta, v;
            if (offbkg_rng_uniform(rng) < p_floor) {
                log_e = power_law_log(&pl_floor, offbkg_rng_uniform(rng));
                s2 = s0 * s0 * exp(2.0 * alpha * log_e);
                d = offbkg_rng_uniform(rng) * d_max;
            } else {
                log_e = power_law_log(&pl_gauss, offbkg_rng_uniform(rng));
                s2 = s0 * s0 * exp(2.0 * alpha * log_e);
                d = -s2 * log1p(-offbkg_rng_uniform(rng));
            }
            phi = 2.0 * M_PI * offbkg_rng_uniform(rng);
            if (d > d_max)
                continue;
            /* theta in radians; s2 too */
            theta = 2.0 * asin(sqrt(0.5 * d));
            if (asym) {
                cap_point(d, phi, &lon_off, &lat_off);
                a = asym_factor(p, -lon_off, lat_off) / a_max;
            }
            /* R / envelope = a (gauss e^-delta + floor) / (gauss + floor)
             * with delta = (theta^2 - 2 d) / (2 s^2) >= 0, small where
             * the events are: 1 - delta <= e^-delta <= 1 decides most
             * proposals without the exp. */
            gauss = r0z * exp(-d / s2);
            env = gauss + p->floor_norm;
            delta = (theta * theta - 2.0 * d) / (2.0 * s2);
            v = offbkg_rng_uniform(rng) * env;
            if (v < a * (gauss * (1.0 - delta) + p->floor_norm))
                break;
            if (v >= a * env)
                continue;
            r = a * (gauss * exp(-delta) + p->floor_norm);
            if (v < r)
                break;
        }
        ev[i].energy_tev = exp(log_e);
        ev[i].time_s = draw_in(rng, run->tstart_s, run->tstop_s);
        ev[i].kind = 0;
        if (p->altaz) { /* the camera at that time, back to the sky */
            cap_point(d, phi, &lon_off, &lat_off);
            offbkg_altaz_fov_inverse(&fov, ev[i].time_s, -lon_off, lat_off,
                                     &ev[i].ra_deg, &ev[i].dec_deg);
        } else {
            cap_to_sky(&frame, d, phi, &ev[i].ra_deg, &ev[i].dec_deg);
        }
    }
}

/* Bad rows: NaN RA, ENERGY or DEC in turn, then one with ENERGY = 0. */
static size_t draw_bad_rows(const offbkg_sim_params_t *p,
                            const offbkg_sim_run_t *run,
                            offbkg_rng_t *rng, offbkg_sim_event_t *ev)
{
    size_t n = 0;

    if (p->nan_rows <= 0)
        return 0;
    for (int k = 0; k <= p->nan_rows; k++, n++) {
        ev[n].time_s = draw_in(rng, run->tstart_s, run->tstop_s);
        ev[n].ra_deg = run->ra_pnt_deg;
        ev[n].dec_deg = run->dec_pnt_deg;
        ev[n].energy_tev = 1.0;
        ev[n].kind = 1;
        if (k == p->nan_rows)
            ev[n].energy_tev = 0.0;
        else if (k % 3 == 0)
            ev[n].ra_deg = NAN;
        else if (k % 3 == 1)
            ev[n].energy_tev = NAN;
        else
            ev[n].dec_deg = NAN;
    }
    return n;
}

/* Whether @p run carries the source: every run unless src_obs_ids names
 * some. */
static bool has_source(const offbkg_sim_params_t *p,
                       const offbkg_sim_run_t *run)
{
    if (p->source_mode == OFFBKG_SIM_SOURCE_NONE)
        return false;
    if (p->n_src_obs_ids == 0)
        return true;
    for (size_t i = 0; i < p->n_src_obs_ids; i++)
        if (p->src_obs_ids[i] == run->obs_id)
            return true;
    return false;
}

/* The Gaussian blob: its centre (offset mode: src_offset_deg from the
 * pointing at a random position angle), then src_n events around it.
 * It has a stream of its own: a run without it draws the same events. */
static size_t draw_source(const offbkg_sim_params_t *p,
                          const offbkg_sim_run_t *run,
                          offbkg_rng_t *rng, offbkg_sim_event_t *ev,
                          double *src_ra, double *src_dec)
{
    offbkg_offset_frame_t frame;

    if (!has_source(p, run))
        return 0;
    if (p->source_mode == OFFBKG_SIM_SOURCE_OFFSET) {
        offbkg_offset_frame_init(&frame, run->ra_pnt_deg, run->dec_pnt_deg);
        point_around(&frame, p->src_offset_deg,
                     2.0 * M_PI * offbkg_rng_uniform(rng), src_ra, src_dec);
    } else {
        *src_ra = p->src_ra_deg;
        *src_dec = p->src_dec_deg;
        if (offbkg_sep_deg(run->ra_pnt_deg, run->dec_pnt_deg, *src_ra,
                           *src_dec) > p->theta_max_deg)
            return 0;
    }
    offbkg_offset_frame_init(&frame, *src_ra, *src_dec);
    for (int i = 0; i < p->src_n; i++) {
        double r = p->src_sigma_deg
                   * sqrt(-2.0 * log1p(-offbkg_rng_uniform(rng)));
        point_around(&frame, r, 2.0 * M_PI * offbkg_rng_uniform(rng),
                     &ev[i].ra_deg, &ev[i].dec_deg);
        ev[i].energy_tev = draw_power_law(rng, p->src_gamma, p->e_min_tev,
                                          p->e_max_tev);
        ev[i].time_s = draw_in(rng, run->tstart_s, run->tstop_s);
        ev[i].kind = 2;
    }
    return (size_t)p->src_n;
}

/* tan of a limit angle for angle_below; 0 where it does not help (a
 * limit outside (0, 90) deg). */
static double tan_limit(double lim_deg)
{
    return lim_deg > 0 && lim_deg < 90 ? tan(lim_deg * DEG_TO_RAD) : 0.0;
}

/* atan2(opp, adj) < lim_deg (opp >= 0), decided without atan2 unless the
 * point is within 1e-9 (relative) of the limit: the answer is always the
 * one atan2 gives, and atan2 is the slowest step of the bookkeeping. */
static bool angle_below(double opp, double adj, double tan_lim,
                        double lim_deg)
{
    if (adj > 0 && tan_lim > 0) {
        double edge = tan_lim * adj;
        if (opp < edge * (1.0 - 1e-9))
            return true;
        if (opp > edge * (1.0 + 1e-9))
            return false;
    }
    return atan2(opp, adj) * RAD_TO_DEG < lim_deg;
}

/* Whether an event counts in the 2D / 3D bookkeeping regions, from its
 * RA/DEC as written; tan_theta and tan_box from tan_limit. */
static void book_event(const offbkg_sim_params_t *p,
                       const offbkg_sim_run_t *run,
                       const offbkg_offset_frame_t *frame,
                       const offbkg_altaz_fov_t *fov, double tan_theta,
                       double tan_box, const offbkg_sim_event_t *e,
                       bool *in2, bool *in3)
{
    double lon_off, lat_off, x, y, z;
    bool e_in = e->energy_tev >= p->book_e_lo_tev
                && e->energy_tev <= p->book_e_hi_tev;

    *in2 = *in3 = false;
    if (!e_in || !isfinite(e->ra_deg) || !isfinite(e->dec_deg))
        return;
    if (p->altaz) {
        *in2 = offbkg_sep_deg(run->ra_pnt_deg, run->dec_pnt_deg, e->ra_deg,
                              e->dec_deg) < p->book_theta_deg;
        offbkg_altaz_fov_forward(fov, e->time_s, e->ra_deg, e->dec_deg,
                                 &lon_off, &lat_off);
        *in3 = fabs(lon_off) < p->book_box_deg
               && fabs(lat_off) < p->book_box_deg;
        return;
    }
    /* One unit vector for both, with the angles of
     * offbkg_offset_frame_sep_deg and offbkg_offset_frame_forward:
     * theta = atan2(hypot(y, z), x), |lon_off| = atan2(|y|, x),
     * |lat_off| = atan2(|z|, hypot(x, y)). */
    offbkg_offset_frame_unit(frame, e->ra_deg, e->dec_deg, &x, &y, &z);
    *in2 = angle_below(hypot(y, z), x, tan_theta, p->book_theta_deg);
    *in3 = angle_below(fabs(y), x, tan_box, p->book_box_deg)
           && angle_below(fabs(z), hypot(x, y), tan_box, p->book_box_deg);
}

int offbkg_sim_draw_run(offbkg_ctx_t *ctx, const offbkg_sim_params_t *p,
                        const offbkg_sim_run_t *run,
                        offbkg_sim_events_t *out)
{
    offbkg_rng_t rng;
    offbkg_offset_frame_t frame;
    offbkg_altaz_fov_t fov;
    offbkg_sim_event_t *tmp;
    size_t *count;
    double tan_theta, tan_box;
    uint64_t n_bkg;
    size_t cap, n;

    memset(out, 0, sizeof *out);
    out->src_ra_deg = out->src_dec_deg = NAN;
    /* No file, or a pointing at or below the horizon: nothing at all is
     * recorded, contamination included. */
    if (run->missing || zen_factor(p, run->zen_deg) == 0.0)
        return OFFBKG_OK;
    /* One stream per run and kind: the background does not change when
     * contamination is switched on. */
    offbkg_sim_rng_seed(&rng, p->seed, 4 * (uint64_t)run->index + 1);
    n_bkg = offbkg_sim_poisson(&rng, run->mu);
    cap = (size_t)n_bkg + (p->nan_rows > 0 ? (size_t)p->nan_rows + 1 : 0)
          + (p->source_mode != OFFBKG_SIM_SOURCE_NONE ? (size_t)p->src_n : 0);
    out->ev = malloc((cap > 0 ? cap : 1) * sizeof *out->ev);
    if (out->ev == NULL)
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory for %zu "
                                "events", cap);
    draw_background(p, run, &rng, (size_t)n_bkg, out->ev);
    n = out->n_background = (size_t)n_bkg;
    offbkg_sim_rng_seed(&rng, p->seed, 4 * (uint64_t)run->index + 2);
    out->n_bad = draw_bad_rows(p, run, &rng, out->ev + n);
    n += out->n_bad;
    offbkg_sim_rng_seed(&rng, p->seed, 4 * (uint64_t)run->index + 3);
    out->n_src = draw_source(p, run, &rng, out->ev + n, &out->src_ra_deg,
                             &out->src_dec_deg);
    n += out->n_src;
    out->n = n;
    for (size_t i = 0; i < n; i++)
        out->ev[i].seq = i;
    tmp = malloc((n > 0 ? n : 1) * sizeof *tmp);
    count = malloc((n + 1) * sizeof *count);
    if (tmp == NULL || count == NULL) {
        free(tmp);
        free(count);
        offbkg_sim_events_clear(out);
        return offbkg_error_set(ctx, OFFBKG_ENOMEM, "out of memory for %zu "
                                "events", n);
    }
    sort_by_time(out->ev, tmp, count, n, run->tstart_s, run->tstop_s);
    free(tmp);
    free(count);

    offbkg_offset_frame_init(&frame, run->ra_pnt_deg, run->dec_pnt_deg);
    sim_altaz_init(p, run, &fov);
    tan_theta = tan_limit(p->book_theta_deg);
    tan_box = tan_limit(p->book_box_deg);
    for (size_t i = 0; i < n; i++) {
        bool in2, in3;
        if (out->ev[i].kind == 1)
            continue;
        book_event(p, run, &frame, &fov, tan_theta, tan_box, &out->ev[i],
                   &in2, &in3);
        if (out->ev[i].kind == 0) {
            out->n_in_2d += in2;
            out->n_in_3d += in3;
        } else {
            out->n_src_in_2d += in2;
        }
    }
    return OFFBKG_OK;
}
