"""After `offbkg run` on H.E.S.S. DR1: gammapy 1.0 opens the output data
store, and DataStore.obs(id).bkg of every linked observation is our model:
the file the index names, with the values we wrote (checked at every bin
centre for one observation of each model file, at a few points for the
others). Prints "CHECK ok|fail WHAT" lines for tests/run/dr1_gammapy.sh.
Usage: check_dr1_store.py OUTDIR"""
import sys
import warnings
from pathlib import Path

import numpy as np
import astropy.units as u
from astropy.io import fits
from gammapy.data import DataStore

warnings.simplefilter("ignore")
out = Path(sys.argv[1])
failures = 0


def check(ok, what):
    global failures
    failures += not ok
    print(f"CHECK {'ok' if ok else 'fail'} {what}")


def written_values(path):
    """BKG of our file in (E, lon, lat) order, and the bin centres."""
    with fits.open(path) as h:
        t = h["BACKGROUND"].data
        e = np.sqrt(t["ENERG_LO"][0] * t["ENERG_HI"][0])
        x = 0.5 * (t["DETX_LO"][0] + t["DETX_HI"][0])
        y = 0.5 * (t["DETY_LO"][0] + t["DETY_HI"][0])
        # layout A: the cell is (n_E, n_x, n_y) with energy fastest
        bkg = t["BKG"][0].reshape(len(y), len(x), len(e)).T
    return bkg, e, x, y


ds = DataStore.from_dir(out)
# FITS pads strings with blanks; gammapy strips them when it looks up.
hdu_type = np.char.strip(np.asarray(ds.hdu_table["HDU_TYPE"]).astype(str))
bkg_rows = ds.hdu_table[hdu_type == "bkg"]
ids = list(ds.obs_table["OBS_ID"])
check(len(bkg_rows) == len(ids) == len(set(bkg_rows["OBS_ID"])),
      f"one bkg row for each of the {len(ids)} observations")

seen = set()
bad = []
for obs_id in ids:
    row = bkg_rows[bkg_rows["OBS_ID"] == obs_id][0]
    path = out / row["FILE_DIR"].strip() / row["FILE_NAME"].strip()
    bkg = ds.obs(obs_id).bkg
    if type(bkg).__name__ != "Background3D" or not path.exists():
        bad.append(obs_id)
        continue
    want, e, x, y = written_values(path)
    if path.name not in seen:
        seen.add(path.name)
        ee, xx, yy = np.meshgrid(e, x, y, indexing="ij")
        sel = (slice(None),) * 3
    else:
        ee, xx, yy = e[[3, 8, 12]], x[[10, 25, 40]], y[[5, 25, 44]]
        sel = ([3, 8, 12], [10, 25, 40], [5, 25, 44])
    got = bkg.evaluate(energy=ee * u.TeV, fov_lon=xx * u.deg,
                       fov_lat=yy * u.deg).to_value("s-1 MeV-1 sr-1")
    if not np.allclose(got, want[sel], rtol=1e-6, atol=0):
        bad.append(obs_id)
check(not bad, f"obs(id).bkg is the linked model for every observation "
      f"(bad: {bad[:5]})")
check(len(seen) == 2 and all(n.startswith("smooth_background_3D") for n in seen),
      f"the smoothed 3D models of both zenith groups are linked: {sorted(seen)}")
check(ds.obs(ids[0]).aeff is not None and ds.obs(ids[0]).events is not None,
      "the original IRFs and events still load through the output store")
sys.exit(1 if failures else 0)
