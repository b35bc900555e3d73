# SPDX-License-Identifier: BSD-3-Clause
"""gammapy 1.0 on an offbkg output store with the provenance HDU.

Usage: check_provenance.py DIR. Every model file of DIR must load with
gammapy's Background2D/Background3D.read (the OBS_IDS HDU after BKG_ERR
must not disturb it), and DataStore.from_dir(DIR).check() must not
report a missing HDUDOC (or any other problem) for the obs-index and
the hdu-index.
Prints "CHECK ok|fail WHAT" per check and exits 1 if any failed.
"""
import logging
import sys
from pathlib import Path

from astropy.io import fits
from gammapy.data import DataStore
from gammapy.data.data_store import DataStoreChecker
from gammapy.irf import Background2D, Background3D

failed = 0


def check(cond, what):
    global failed
    failed += not cond
    print(f"CHECK {'ok' if cond else 'fail'} {what}")


def main(root):
    models = sorted(root.glob("background_*D_group_*_table.fits.gz"))
    check(len(models) > 0, f"{root} holds model files")
    for path in models:
        cls = Background3D if "_3D_" in path.name else Background2D
        try:
            model = cls.read(path, hdu="BACKGROUND")
            ok = model.data.size > 0
        except Exception as exc:   # what gammapy says is the diagnostic
            print(f"{path.name}: {exc!r}")
            ok = False
        check(ok, f"gammapy loads {path.name}")
        with fits.open(path) as hdus:
            ids = hdus["OBS_IDS"].data["OBS_ID"]
            check(len(ids) == hdus["BACKGROUND"].header["NRUNS"],
                  f"{path.name}: astropy reads OBS_IDS, NRUNS rows")
    store = DataStore.from_dir(root)
    checker = DataStoreChecker(store)
    for part in ("obs_table", "hdu_table"):
        records = list(getattr(checker, f"check_{part}")())
        for r in records:
            print(f"{part}: {r}")
        check(not any("HDUDOC" in str(r.get("msg", "")) for r in records),
              f"DataStore check of the {part}: no missing HDUDOC")
        check(not any(r.get("level") in ("warning", "error")
                      for r in records),
              f"DataStore check of the {part}: no warning or error")


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    main(Path(sys.argv[1]))
    sys.exit(1 if failed else 0)
