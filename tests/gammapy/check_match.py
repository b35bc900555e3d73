# SPDX-License-Identifier: BSD-3-Clause
"""gammapy 1.0 on an output store of per-observation models (doc/match.md).

Usage: check_match.py DIR CELLS, where DIR is the [output] dir of `offbkg
run` with a per-observation [match] plugin and CELLS has lines
"OBS_ID IE,ITHETA RATE": cells of each observation's linked 2D model as
offbkg's own reader (tests/tools/bkg_summary) read them.

gammapy opens DIR with DataStore.from_dir. For every observation with a
bkg row, the model gammapy loads is its own: the linked file's
BACKGROUND header has OBS_ID equal to the observation's, and the file
has a MATCH HDU. The model is evaluated at the centres of the CELLS
cells (energy at sqrt(lo * hi), offset at the linear centre) and must
equal both the BKG cell read with astropy and the rate offbkg's reader
gave. Prints "CHECK ok|fail WHAT" per check and exits 1 if any failed.
"""
import sys
from collections import defaultdict
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.io import fits
from gammapy.data import DataStore

RTOL = 1e-6          # gammapy against the file's own values
RTOL_TEXT = 2e-5     # against bkg_summary's %.6g
UNIT = u.Unit("s-1 MeV-1 sr-1")
failed = 0


def check(cond, what):
    global failed
    failed += not cond
    print(f"CHECK {'ok' if cond else 'fail'} {what}")


def main():
    d = Path(sys.argv[1])
    cells = defaultdict(list)
    for line in Path(sys.argv[2]).read_text().split("\n"):
        if line.strip():
            obs_id, cell, rate = line.split()
            ie, it = (int(x) for x in cell.split(","))
            cells[int(obs_id)].append((ie, it, float(rate)))
    print(f"gammapy {__import__('gammapy').__version__}")
    ds = DataStore.from_dir(d)
    hdu = ds.hdu_table
    rows = hdu[np.char.strip(np.char.lower(hdu["HDU_TYPE"].astype(str))) == "bkg"]
    obs_ids = [int(i) for i in ds.obs_table["OBS_ID"]]
    linked = sorted(int(r["OBS_ID"]) for r in rows)
    check(len(linked) > 0 and linked == sorted(obs_ids),
          f"every one of the {len(obs_ids)} observations has one bkg row "
          f"({len(linked)} rows)")

    not_own, bad_file, bad_text, worst = [], [], [], 0.0
    signatures = set()
    for row in rows:
        obs_id = int(row["OBS_ID"])
        path = d / str(row["FILE_DIR"]).strip() / str(row["FILE_NAME"]).strip()
        with fits.open(path) as hdus:
            head = hdus["BACKGROUND"].header
            has_match = "MATCH" in hdus and len(hdus["MATCH"].data) > 0
            brow = hdus["BACKGROUND"].data[0]
            bkg = np.array(brow["BKG"], dtype=float)      # (n_theta, n_E)
            e_lo, e_hi = brow["ENERG_LO"], brow["ENERG_HI"]
            t_lo, t_hi = brow["THETA_LO"], brow["THETA_HI"]
        if head.get("OBS_ID") != obs_id or not has_match:
            not_own.append(obs_id)
        model = ds.hdu_table.hdu_location(obs_id=obs_id, hdu_type="bkg").load()
        sig = []
        for ie, it, rate in cells[obs_id]:
            e = np.sqrt(e_lo[ie] * e_hi[ie]) * u.TeV
            t = (t_lo[it] + t_hi[it]) / 2 * u.deg
            got = float(model.evaluate(energy=e, offset=t).to_value(UNIT))
            want = bkg[it, ie]
            rel = abs(got - want) / (abs(want) if want else 1.0)
            worst = max(worst, rel)
            if rel > RTOL:
                bad_file.append(obs_id)
            if abs(got - rate) > RTOL_TEXT * max(abs(rate), 1e-300):
                bad_text.append(obs_id)
            sig.append(round(got, 12))
        signatures.add(tuple(sig))
        print(f"OBS_ID {obs_id}: {path.name} OBS_ID card {head.get('OBS_ID')}, "
              f"{head.get('MATCHER')} {head.get('MATCHKND')} N_MATCH "
              f"{head.get('N_MATCH')}: {sig}")
    n = len(rows)
    check(n > 0 and not not_own,
          f"each of the {n} linked files is the observation's own (OBS_ID "
          f"card, MATCH HDU){' not: ' + str(not_own[:10]) if not_own else ''}")
    check(n > 0 and len(cells) == n and not bad_file,
          f"gammapy's evaluate() equals the file's BKG at the cells of every "
          f"observation (max rel diff {worst:.1e})"
          f"{' failed: ' + str(sorted(set(bad_file))) if bad_file else ''}")
    check(n > 0 and not bad_text,
          f"... and the rate offbkg's reader gives there"
          f"{' failed: ' + str(sorted(set(bad_text))) if bad_text else ''}")
    check(len(signatures) >= max(2, n // 2),
          f"the observations' models differ ({len(signatures)} distinct of {n})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
