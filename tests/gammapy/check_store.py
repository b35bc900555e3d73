# SPDX-License-Identifier: BSD-3-Clause
"""Cross-check an offbkg output data store with gammapy 1.0.

Usage: check_store.py DIR, where DIR is the [output] dir of `offbkg run`
(hdu-index.fits.gz, obs-index.fits.gz and the models). gammapy opens it
with DataStore.from_dir(DIR). gammapy 1.0's ds.obs() insists on IRFs a
simulated store lacks, so each HDU is loaded through
ds.hdu_table.hdu_location(...).load(), as ds.obs() would.

For every OBS_ID with a bkg row, the model gammapy loads is evaluated at
every bin centre (energy at sqrt(lo * hi), angles at the linear centre)
and compared with the BKG cell of the referenced file read with astropy
(TDIM order). The events of every observation must load, and every
non-bkg row must resolve to an existing file.
Prints "CHECK ok|fail WHAT" per check (tests/run/pipeline.sh turns them
into TAP) and exits 1 if any failed.
"""
import sys
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.io import fits
from gammapy.data import DataStore
from gammapy.irf import Background2D, Background3D

RTOL = 1e-6
UNIT = u.Unit("s-1 MeV-1 sr-1")
failed = 0


def check(cond, what):
    global failed
    failed += not cond
    print(f"CHECK {'ok' if cond else 'fail'} {what}")


def read_cell(path, hdu_name):
    """The BKG cell as astropy shapes it (TDIM reversed) and the edges."""
    with fits.open(path) as hdus:
        hdu = hdus[hdu_name]
        row = hdu.data[0]
        edges = {name[:-3]: np.append(row[name], row[name[:-3] + "_HI"][-1])
                 for name in hdu.columns.names if name.endswith("_LO")}
        return np.array(row["BKG"], dtype=float), edges


def centres(edges, log=False):
    return np.sqrt(edges[:-1] * edges[1:]) if log else (edges[:-1] + edges[1:]) / 2


def gammapy_at_centres(model, edges):
    """gammapy's model at every bin centre, in the cell's numpy order."""
    ec = centres(edges["ENERG"], log=True) * u.TeV
    if isinstance(model, Background2D):
        tc = centres(edges["THETA"]) * u.deg
        got = model.evaluate(energy=ec[:, None], offset=tc[None, :])
        return got.to_value(UNIT).T          # (n_theta, n_E)
    xc, yc = centres(edges["DETX"]) * u.deg, centres(edges["DETY"]) * u.deg
    got = model.evaluate(energy=ec[:, None, None], fov_lon=xc[None, :, None],
                         fov_lat=yc[None, None, :])
    return got.to_value(UNIT).transpose()    # (n_y, n_x, n_E)


def check_bkg_rows(d, ds, hdu):
    rows = hdu[np.char.strip(np.char.lower(hdu["HDU_TYPE"].astype(str))) == "bkg"]
    bad, worst = [], 0.0
    for row in rows:
        obs_id = int(row["OBS_ID"])
        loc = ds.hdu_table.hdu_location(obs_id=obs_id, hdu_type="bkg")
        model = loc.load()
        path = d / str(row["FILE_DIR"]).strip() / str(row["FILE_NAME"]).strip()
        cell, edges = read_cell(path, str(row["HDU_NAME"]).strip())
        want = Background2D if str(row["HDU_CLASS"]).strip() == "bkg_2d" else Background3D
        got = gammapy_at_centres(model, edges)
        scale = np.abs(cell)
        rel = np.max(np.abs(got - cell) / np.where(scale > 0, scale, 1))
        worst = max(worst, float(rel))
        good = (type(model) is want and got.shape == cell.shape
                and np.all(cell >= 0) and np.any(cell > 0)
                and np.allclose(got, cell, rtol=RTOL, atol=0))
        print(f"OBS_ID {obs_id}: {row['HDU_CLASS'].strip()} {path.name}: "
              f"{type(model).__name__} {model.axes.names} shape "
              f"{model.data.shape}, max rel diff {rel:.2e}")
        if not good:
            bad.append(obs_id)
    check(len(rows) > 0 and not bad,
          f"gammapy loads the bkg model of all {len(rows)} linked observations "
          f"and evaluate() equals BKG at every bin centre (max rel diff "
          f"{worst:.1e}){' failed: ' + str(bad) if bad else ''}")


def check_events(ds):
    bad, n_events = [], 0
    ids = [int(i) for i in ds.obs_table["OBS_ID"]]
    for obs_id in ids:
        try:
            events = ds.hdu_table.hdu_location(obs_id=obs_id, hdu_type="events").load()
            n_events += len(events.table)
        except Exception as exc:        # report every observation, not the first
            print(f"OBS_ID {obs_id}: events: {exc}")
            bad.append(obs_id)
    check(len(ids) > 0 and not bad,
          f"gammapy loads the events of all {len(ids)} observations "
          f"({n_events} events){' failed: ' + str(bad) if bad else ''}")


def check_other_rows(d, hdu):
    missing = []
    n = 0
    for row in hdu:
        if str(row["HDU_TYPE"]).strip().lower() == "bkg":
            continue
        n += 1
        path = d / str(row["FILE_DIR"]).strip() / str(row["FILE_NAME"]).strip()
        if not path.is_file():
            missing.append(f"{int(row['OBS_ID'])} {row['HDU_TYPE'].strip()} {path}")
    for m in missing:
        print(f"missing: {m}")
    check(n > 0 and not missing,
          f"all {n} non-bkg rows resolve to existing files from the output dir")


def main():
    d = Path(sys.argv[1])
    print(f"gammapy {__import__('gammapy').__version__}, relative tolerance {RTOL}")
    ds = DataStore.from_dir(d)
    hdu = ds.hdu_table
    check_bkg_rows(d, ds, hdu)
    check_events(ds)
    check_other_rows(d, hdu)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
