# SPDX-License-Identifier: BSD-3-Clause
"""Cross-check offbkg background files with gammapy 1.0.

Usage: check_bkg.py DIR, where DIR holds the files of
tests/tools/write_test_cubes. For each file, gammapy evaluates the model at
every bin centre (energy at sqrt(lo * hi), angles at the linear centre) and
the result is compared with the BKG cell read with astropy (TDIM order) and
with the values the generator wrote:
  2D: 1e-6 * (100 (ie + 1) + (it + 1))
  3D: 1e-6 * (10000 (ie + 1) + 100 (ix + 1) + (iy + 1))
Prints "CHECK ok|fail WHAT" per check (tests/run/gammapy.sh turns them
into TAP) and exits 1 if any failed.
"""
import logging
import shutil
import sys
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.table import Table
from gammapy.data import DataStore
from gammapy.irf import Background2D, Background3D, FoVAlignment

RTOL = 1e-6
UNIT = u.Unit("s-1 MeV-1 sr-1")
failed = 0


def check(cond, what):
    global failed
    failed += not cond
    print(f"CHECK {'ok' if cond else 'fail'} {what}")


class Recorder(logging.Handler):
    """Keeps gammapy's warnings and errors ("Ambiguous axes order", ...)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def max_rel(a, b):
    return float(np.max(np.abs(a - b) / np.abs(b)))


def read_direct(path):
    """The BKG cell as astropy shapes it (TDIM reversed), the edges, TUNIT."""
    with fits.open(path) as hdus:
        hdu = hdus["BACKGROUND"]
        row = hdu.data[0]
        edges = {name[:-3]: np.append(row[name], row[name[:-3] + "_HI"][-1])
                 for name in hdu.columns.names if name.endswith("_LO")}
        return np.array(row["BKG"]), edges, hdu.columns["BKG"].unit, hdu.header


def centres(edges, log=False):
    return np.sqrt(edges[:-1] * edges[1:]) if log else (edges[:-1] + edges[1:]) / 2


def check_2d(path, recorder):
    cell, edges, unit, _ = read_direct(path)
    bkg = Background2D.read(path, hdu="BACKGROUND")
    ec, tc = centres(edges["ENERG"], log=True), centres(edges["THETA"])
    got = bkg.evaluate(energy=ec[:, None] * u.TeV, offset=tc[None, :] * u.deg)
    direct = cell.T  # TDIM (n_E, n_theta): numpy (n_theta, n_E)
    ie, it = np.indices(direct.shape)
    expected = 1e-6 * (100 * (ie + 1) + (it + 1))
    print(f"{path.name}: gammapy axes {bkg.axes.names} shape {bkg.data.shape}; "
          f"astropy cell {cell.shape}; evaluate at {direct.size} bin centres")
    print(f"  max rel diff gammapy vs astropy {max_rel(got.to_value(UNIT), direct):.2e}, "
          f"astropy vs analytic {max_rel(direct, expected):.2e}")
    check(bkg.data.shape == (len(ec), len(tc)), f"{path.name}: gammapy shape (n_E, n_theta)")
    check(np.allclose(got.to_value(UNIT), direct, rtol=RTOL, atol=0),
          f"{path.name}: gammapy evaluate equals the BKG cell at every bin centre")
    check(np.allclose(direct, expected, rtol=RTOL, atol=0),
          f"{path.name}: BKG cell holds the generator's values")
    check(u.Unit(unit, format="fits") == UNIT and bkg.unit == UNIT,
          f"{path.name}: unit '{unit}' parses to s-1 MeV-1 sr-1")
    check(not recorder.messages, f"{path.name}: gammapy logged no warning "
          f"{recorder.messages if recorder.messages else ''}")
    return bkg


def check_3d(path, recorder, alignment, lon_sign):
    cell, edges, unit, header = read_direct(path)
    bkg = Background3D.read(path, hdu="BACKGROUND")
    ec = centres(edges["ENERG"], log=True)
    xc, yc = centres(edges["DETX"]), centres(edges["DETY"])
    got = bkg.evaluate(energy=ec[:, None, None] * u.TeV,
                       fov_lon=xc[None, :, None] * u.deg,
                       fov_lat=yc[None, None, :] * u.deg).to_value(UNIT)
    direct = cell.transpose()  # TDIM (n_E, n_x, n_y): numpy (n_y, n_x, n_E)
    ie, ix, iy = np.indices(direct.shape)
    expected = 1e-6 * (10000 * (ie + 1) + 100 * (ix + 1) + (iy + 1))
    print(f"{path.name}: gammapy axes {bkg.axes.names} shape {bkg.data.shape}; "
          f"astropy cell {cell.shape}; FOVALIGN {header['FOVALIGN']}, "
          f"FOVLONSG {header['FOVLONSG']:+d} ({header.comments['FOVLONSG']})")
    print(f"  max rel diff gammapy vs astropy {max_rel(got, direct):.2e}, "
          f"astropy vs analytic {max_rel(direct, expected):.2e}")
    check(bkg.axes.names == ["energy", "fov_lon", "fov_lat"]
          and bkg.data.shape == (len(ec), len(xc), len(yc)),
          f"{path.name}: gammapy axes (energy, fov_lon, fov_lat) of shape (n_E, n_x, n_y)")
    check(np.allclose(got, direct, rtol=RTOL, atol=0),
          f"{path.name}: gammapy evaluate equals the BKG cell at every bin centre")
    check(np.allclose(direct, expected, rtol=RTOL, atol=0),
          f"{path.name}: BKG cell holds the generator's values")
    check(u.Unit(unit, format="fits") == UNIT and bkg.unit == UNIT,
          f"{path.name}: unit '{unit}' parses to s-1 MeV-1 sr-1")
    check(bkg.fov_alignment == FoVAlignment[alignment],
          f"{path.name}: gammapy fov_alignment is {bkg.fov_alignment}")
    check(header["FOVLONSG"] == lon_sign, f"{path.name}: FOVLONSG = {lon_sign:+d}")

    # fov_lon is DETX: the model is asymmetric in DETX, and gammapy's value
    # at (+x, 0) and (-x, 0) must be those of the last and first DETX bins.
    x, mid, e = xc[-1], len(yc) // 2, len(ec) // 2
    assert yc[mid] == 0
    plus, minus = (bkg.evaluate(energy=ec[e] * u.TeV, fov_lon=s * x * u.deg,
                                fov_lat=0 * u.deg).to_value(UNIT) for s in (1, -1))
    print(f"  at E = {ec[e]:.3g} TeV: fov_lon = +{x} deg -> {plus:.6g} "
          f"(DETX bin {len(xc) - 1}: {direct[e, -1, mid]:.6g}), "
          f"fov_lon = -{x} deg -> {minus:.6g} (DETX bin 0: {direct[e, 0, mid]:.6g})")
    check(plus != minus and np.isclose(plus, direct[e, -1, mid], rtol=RTOL)
          and np.isclose(minus, direct[e, 0, mid], rtol=RTOL),
          f"{path.name}: gammapy fov_lon follows DETX, sign included")
    check(not recorder.messages, f"{path.name}: gammapy logged no warning "
          f"{recorder.messages if recorder.messages else ''}")
    return bkg


def check_store(d, files):
    """A data store whose bkg rows point at our files, found by HDU_NAME."""
    store = d / "store"
    (store / "models").mkdir(parents=True)
    obs_ids = list(range(1, len(files) + 1))
    for name, _ in files:
        shutil.copy(d / name, store / "models" / name)
    obs = Table({"OBS_ID": obs_ids, "RA_PNT": [83.63] * len(files),
                 "DEC_PNT": [22.01] * len(files), "ZEN_PNT": [30.0] * len(files),
                 "ONTIME": [1800.0] * len(files), "LIVETIME": [1700.0] * len(files)})
    obs.meta.update(HDUCLASS="GADF", HDUCLAS1="INDEX", HDUCLAS2="OBS", EXTNAME="OBS_INDEX")
    obs.write(store / "obs-index.fits.gz")
    hdu = Table({"OBS_ID": obs_ids, "HDU_TYPE": ["bkg"] * len(files),
                 "HDU_CLASS": [cls for _, cls in files],
                 "FILE_DIR": ["models"] * len(files),
                 "FILE_NAME": [name for name, _ in files],
                 "HDU_NAME": ["BACKGROUND"] * len(files)})
    hdu.meta.update(HDUCLASS="GADF", HDUCLAS1="INDEX", HDUCLAS2="HDU", EXTNAME="HDU_INDEX")
    hdu.write(store / "hdu-index.fits.gz")

    ds = DataStore.from_dir(store)
    for obs_id, (name, cls) in zip(obs_ids, files):
        model = ds.hdu_table.hdu_location(obs_id=obs_id, hdu_type="bkg").load()
        direct = Background2D.read(d / name, hdu="BACKGROUND") if cls == "bkg_2d" \
            else Background3D.read(d / name, hdu="BACKGROUND")
        print(f"store obs {obs_id}: hdu_location(bkg).load() -> {type(model).__name__} "
              f"from models/{name}")
        check(type(model) is type(direct) and np.array_equal(model.data, direct.data),
              f"data store: OBS_ID {obs_id} loads {name} by HDU_NAME = BACKGROUND ({cls})")
        if cls == "bkg_3d":
            check(model.fov_alignment == FoVAlignment.ALTAZ,
                  f"data store: OBS_ID {obs_id} model is {model.fov_alignment}")


def main():
    d = Path(sys.argv[1])
    recorder = Recorder()
    logging.getLogger("gammapy").addHandler(recorder)
    print(f"gammapy {__import__('gammapy').__version__}, relative tolerance {RTOL}")

    check_2d(d / "bkg_2d.fits.gz", recorder)
    for name, align, sign in [("bkg_3d_radec_m.fits.gz", "RADEC", -1),
                              ("bkg_3d_radec_p.fits.gz", "RADEC", +1),
                              ("bkg_3d_altaz.fits.gz", "ALTAZ", -1)]:
        recorder.messages.clear()
        check_3d(d / name, recorder, align, sign)
    print("note: gammapy 1.0 ignores FOVLONSG and reads RADEC fov_lon as +lon_off;"
          " the FOVLONSG +1 file is the one whose sign gammapy 1.0 shares")

    check_store(d, [("bkg_2d.fits.gz", "bkg_2d"), ("bkg_3d_altaz.fits.gz", "bkg_3d")])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
