"""The peer of `offbkg run` for the benchmark: the same 2D job written
the way a gammapy 1.0 user would write it. Every run of the data store,
grouped by ZEN_PNT (edges 0, 49, 90 deg); per group, counts in 15 log
energy bins 0.1-100 TeV times 99 sqrt-spaced offset bins 0-2.5 deg,
divided by ONTIME x dE x dOmega, written as a GADF bkg_2d file.
Usage: gammapy_2d.py DATASTORE OUTDIR"""
import sys
import warnings
from pathlib import Path

import numpy as np
import astropy.units as u
from gammapy.data import DataStore
from gammapy.irf import Background2D
from gammapy.maps import MapAxis

warnings.simplefilter("ignore")
store, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)

energy = MapAxis.from_energy_bounds(0.1, 100, 15, unit="TeV", name="energy")
offset = MapAxis.from_edges(np.sqrt(np.linspace(0, 2.5**2, 100)), unit="deg",
                            name="offset")
zenith_edges = [0, 49, 90]

ds = DataStore.from_dir(store)
obs_table = ds.obs_table
group = np.digitize(obs_table["ZEN_PNT"], zenith_edges) - 1
n_events = 0
for g in range(len(zenith_edges) - 1):
    ids = obs_table["OBS_ID"][group == g]
    if len(ids) == 0:
        continue
    counts = np.zeros((energy.nbin, offset.nbin))
    ontime = 0 * u.s
    for obs in ds.get_observations(ids, required_irf=[]):
        events = obs.events
        sep = events.radec.separation(events.pointing_radec)
        counts += np.histogram2d(events.energy.to_value("TeV"),
                                 sep.to_value("deg"),
                                 bins=(energy.edges.to_value("TeV"),
                                       offset.edges.to_value("deg")))[0]
        ontime += obs.observation_time_duration
        n_events += len(events.table)
    edges = offset.edges.to("rad").value
    solid_angle = 2 * np.pi * (np.cos(edges[:-1]) - np.cos(edges[1:])) * u.sr
    rate = counts / (ontime * energy.bin_width[:, None] * solid_angle)
    bkg = Background2D(axes=[energy, offset],
                       data=rate.to_value("s-1 MeV-1 sr-1"),
                       unit="s-1 MeV-1 sr-1")
    bkg.write(out / f"background_2D_group_{g:03d}_table.fits.gz",
              overwrite=True)
print(f"events {n_events}")
