# SPDX-License-Identifier: BSD-3-Clause
"""Compare offbkg's per-event ALTAZ FoV coordinates with gammapy 1.0.

Usage: check_altaz_fov.py STORE OUT_DIR MAX_OFFSET_DEG TOLERANCE_DEG OBS_ID...
       check_altaz_fov.py --models DIR
In the first form, OUT_DIR/OBS_ID.txt is the output of tests/tools/altaz_fov for each
run. For every run, astropy computes the alt/az of each event and of the
pointing at the event's time (pressure 0, the site of the EVENTS header,
times from its MJDREFI/MJDREFF/TIMESYS), and gammapy 1.0's
gammapy.utils.coordinates.sky_to_fov turns them into FoV coordinates; the
largest difference to ours must stay below TOLERANCE_DEG. The events
within MAX_OFFSET_DEG are also selected here, from the file, and must be
the ones offbkg printed. In the second, DIR is the output of `offbkg run`
with an ALTAZ 3D model: every bkg_3d model gammapy loads from it must be
FoVAlignment.ALTAZ and evaluate to the BKG cell at every bin centre.
Prints "CHECK ok|fail WHAT" per check.
"""
import sys
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import AltAz, EarthLocation, SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time, TimeDelta
from gammapy.data import DataStore
from gammapy.irf import FoVAlignment
from gammapy.utils.coordinates import sky_to_fov

sys.path.insert(0, str(Path(__file__).parent))
from check_store import gammapy_at_centres, read_cell  # noqa: E402

failed = 0


def check(cond, what):
    global failed
    failed += not cond
    print(f"CHECK {'ok' if cond else 'fail'} {what}")


def events_file(store, obs_id):
    hdus = Table.read(store / "hdu-index.fits.gz")
    row = hdus[(hdus["OBS_ID"] == obs_id) & (hdus["HDU_TYPE"] == "events")][0]
    return store / row["FILE_DIR"].strip() / row["FILE_NAME"].strip()


def check_run(store, out_dir, obs_id, max_deg, tol_deg):
    with fits.open(events_file(store, obs_id)) as f:
        hdr = f["EVENTS"].header
        ev = f["EVENTS"].data
        ra_f, dec_f = np.asarray(ev["RA"], float), np.asarray(ev["DEC"], float)
    pnt = SkyCoord(hdr["RA_PNT"] * u.deg, hdr["DEC_PNT"] * u.deg)
    near = SkyCoord(ra_f * u.deg, dec_f * u.deg).separation(pnt).deg <= max_deg

    ours = np.loadtxt(out_dir / f"{obs_id}.txt", ndmin=2)
    t, ra, dec, lon, lat = ours.T
    check(len(ours) == int(np.sum(near)) and len(ours) > 1000,
          f"run {obs_id}: offbkg printed the {int(np.sum(near))} events "
          f"within {max_deg} deg ({len(ours)})")

    location = EarthLocation.from_geodetic(
        lon=float(hdr["GEOLON"]) * u.deg, lat=float(hdr["GEOLAT"]) * u.deg,
        height=float(hdr["ALTITUDE"]) * u.m)
    mjdref = float(hdr["MJDREFI"]) + float(hdr["MJDREFF"])
    scale = hdr["TIMESYS"].strip().lower()
    times = Time(mjdref, format="mjd", scale=scale) + TimeDelta(t * u.s)
    frame = AltAz(obstime=times, location=location, pressure=0 * u.hPa)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # IERS downloads are off here
        ev_altaz = SkyCoord(ra * u.deg, dec * u.deg).transform_to(frame)
        pnt_altaz = SkyCoord(np.full(len(t), hdr["RA_PNT"]) * u.deg,
                             np.full(len(t), hdr["DEC_PNT"]) * u.deg).transform_to(frame)
    gp_lon, gp_lat = sky_to_fov(ev_altaz.az, ev_altaz.alt, pnt_altaz.az, pnt_altaz.alt)
    d_lon = np.abs(gp_lon.to_value(u.deg) - lon)
    d_lat = np.abs(gp_lat.to_value(u.deg) - lat)
    worst = float(max(d_lon.max(), d_lat.max()))
    print(f"run {obs_id}: pointing alt {pnt_altaz.alt.deg.min():.1f}-"
          f"{pnt_altaz.alt.deg.max():.1f} deg; {len(t)} events within {max_deg} deg; "
          f"max |dlon| {d_lon.max():.4f}, max |dlat| {d_lat.max():.4f}, "
          f"median {np.median(np.hypot(d_lon, d_lat)):.4f} deg")
    check(worst < tol_deg,
          f"run {obs_id}: offbkg ALTAZ FoV within {tol_deg} deg of gammapy "
          f"sky_to_fov on astropy AltAz (max {worst:.4f} deg)")
    # A wrong sign or an unrotated frame would be off by up to 2 x 3 deg.
    check(np.ptp(lon) > 4 and np.ptp(lat) > 4,
          f"run {obs_id}: the events span the field ({np.ptp(lon):.1f} x "
          f"{np.ptp(lat):.1f} deg)")


def check_models(d):
    ds = DataStore.from_dir(d)
    hdu = ds.hdu_table
    rows = hdu[np.char.strip(np.char.lower(hdu["HDU_CLASS"].astype(str))) == "bkg_3d"]
    for row in rows:
        obs_id = int(row["OBS_ID"])
        model = ds.hdu_table.hdu_location(obs_id=obs_id, hdu_type="bkg").load()
        path = d / str(row["FILE_DIR"]).strip() / str(row["FILE_NAME"]).strip()
        cell, edges = read_cell(path, str(row["HDU_NAME"]).strip())
        got = gammapy_at_centres(model, edges)
        with fits.open(path) as f:
            align = f[str(row["HDU_NAME"]).strip()].header.get("FOVALIGN")
        print(f"OBS_ID {obs_id}: {path.name} FOVALIGN {align}, gammapy "
              f"{model.fov_alignment}, {int(np.sum(cell > 0))} cells > 0")
        check(model.fov_alignment == FoVAlignment.ALTAZ and align == "ALTAZ"
              and np.any(cell > 0) and np.allclose(got, cell, rtol=1e-6, atol=0),
              f"OBS_ID {obs_id}: gammapy loads {path.name} as FoVAlignment.ALTAZ "
              f"and evaluate() equals BKG at every bin centre")
    check(len(rows) > 0, f"{len(rows)} observations link an ALTAZ bkg_3d model")


def main():
    if sys.argv[1] == "--models":
        check_models(Path(sys.argv[2]))
        return 1 if failed else 0
    store, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    max_deg, tol_deg = float(sys.argv[3]), float(sys.argv[4])
    print(f"gammapy {__import__('gammapy').__version__}, "
          f"astropy {__import__('astropy').__version__}")
    for obs_id in sys.argv[5:]:
        check_run(store, out_dir, int(obs_id), max_deg, tol_deg)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
