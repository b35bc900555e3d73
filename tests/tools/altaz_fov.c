/* SPDX-License-Identifier: BSD-3-Clause
 * altaz_fov STORE OBS_ID MAX_OFFSET_DEG: print the ALTAZ FoV coordinates
 * that model/3d gives each event of run OBS_ID of the data store in
 * directory STORE within MAX_OFFSET_DEG of the pointing, for the gammapy
 * cross-check (tests/gammapy/check_altaz_fov.py). The run is read, and
 * its time reference and site resolved, the way `offbkg make` does it.
 *
 * Output: a line "# pointing RA DEC site LON LAT HEIGHT mjdref_tt MJD",
 * then one line "TIME RA DEC FOV_LON FOV_LAT" per event (degrees, MET s). */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <offbkg/astro.h>
#include <offbkg/geom.h>

#include "ctx-private.h"
#include "datastore-private.h"
#include "events-private.h"

static int fail(offbkg_ctx_t *ctx, const char *what)
{
    fprintf(stderr, "altaz_fov: %s: %s\n", what, offbkg_error_msg(ctx));
    return 1;
}

int main(int argc, char **argv)
{
    offbkg_datastore_conf_t conf = { 0 };
    offbkg_datastore_t *store = NULL;
    offbkg_events_t ev = { 0 };
    offbkg_altaz_fov_t fov;
    offbkg_ctx_t *ctx;
    const offbkg_run_header_t *h;
    double max_deg, mjdref_tt, lon, lat, height;
    int64_t obs_id;
    int rc = 1;

    if (argc != 4) {
        fputs("usage: altaz_fov STORE OBS_ID MAX_OFFSET_DEG\n", stderr);
        return 2;
    }
    obs_id = strtoll(argv[2], NULL, 10);
    max_deg = strtod(argv[3], NULL);
    ctx = offbkg_ctx_new();
    if (ctx == NULL)
        return 1;
    conf.path = argv[1];
    if (offbkg_datastore_open(ctx, &conf, &store) != OFFBKG_OK) {
        rc = fail(ctx, argv[1]);
        goto out;
    }
    if (offbkg_events_read(ctx, store, obs_id, &ev) != OFFBKG_OK) {
        rc = fail(ctx, argv[2]);
        goto out;
    }
    /* The fallback chain of core/model.c: EVENTS header, then the
     * obs-index header. */
    h = &ev.header;
    mjdref_tt = isfinite(h->mjdref_day)
                    ? offbkg_mjd_to_tt(h->mjdref_day, h->timesys)
                    : offbkg_mjd_to_tt(store->mjdref_day, store->timesys);
    lon = h->site_lon_deg;
    lat = h->site_lat_deg;
    height = h->site_height_m;
    if (!isfinite(lon) || !isfinite(lat)) {
        lon = store->site_lon_deg;
        lat = store->site_lat_deg;
        height = store->site_height_m;
    }
    if (!isfinite(mjdref_tt) || !isfinite(lon) || !isfinite(lat)
        || !isfinite(h->ra_pnt_deg) || !isfinite(h->dec_pnt_deg)) {
        fprintf(stderr, "altaz_fov: run %s lacks the site, the time "
                "reference or the pointing\n", argv[2]);
        goto out;
    }
    offbkg_altaz_fov_init(&fov, h->ra_pnt_deg, h->dec_pnt_deg, lon, lat,
                          mjdref_tt, h->tstart_s);
    printf("# pointing %.17g %.17g site %.17g %.17g %.17g mjdref_tt %.17g\n",
           h->ra_pnt_deg, h->dec_pnt_deg, lon, lat, height, mjdref_tt);
    for (size_t i = 0; i < ev.n; i++) {
        double fl, fb;
        if (offbkg_sep_deg(h->ra_pnt_deg, h->dec_pnt_deg, ev.ra_deg[i],
                           ev.dec_deg[i]) > max_deg)
            continue;
        offbkg_altaz_fov_forward(&fov, ev.time_s[i], ev.ra_deg[i],
                                 ev.dec_deg[i], &fl, &fb);
        printf("%.17g %.17g %.17g %.17g %.17g\n", ev.time_s[i], ev.ra_deg[i],
               ev.dec_deg[i], fl, fb);
    }
    rc = 0;
out:
    offbkg_events_free(&ev);
    offbkg_datastore_free(store);
    offbkg_ctx_free(ctx);
    return rc;
}
