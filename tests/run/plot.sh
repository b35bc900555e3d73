#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# offbkg plot FILE... (doc/plot.md): the figures of a simulated store's
# models, raw and smoothed, 2D and 3D, and of each pair side by side:
# the files listed on stdout, their PNG signature, size and pixels (not
# blank: ink, colour, distinct colours; python3-pil, skipped without
# it), PDF and SVG; a GADF model written by astropy (layout C, ALTAZ, no
# COUNTS: not ours) drawn too; a 2D model against a 3D one refused;
# --format and -o checked. A build without PLplot says so instead.
. "$top_srcdir/tests/run/tap.sh"
T=$tap_tmp
tap_plan 22

run_offbkg --version
if echo "$out" | grep -q "^figures: none (built without PLplot)$"; then
    run_offbkg plot "$T/x.fits.gz" -o "$T/figs"
    ok $(test $status -eq 1 && echo "$err" | grep -q "offbkg was built without PLplot: no figures (install libplplot-dev and plplot-driver-cairo, then configure again)"; echo $?) \
        "a build without PLplot says so (exit 1)"
    ok $(test ! -e "$T/figs"; echo $?) "and writes nothing"
    i=2
    while [ $i -lt 22 ]; do
        i=$((i + 1))
        ok 0 "# SKIP built without PLplot"
    done
    exit 0
fi
ok $(echo "$out" | grep -q "^figures: drawn with PLplot$"; echo $?) \
    "offbkg --version says figures are drawn with PLplot"

# A store and its models: 2D and 3D, raw and smoothed, per zenith group.
run_offbkg simulate "$T/store" --runs 6
cat >"$T/run.ini" <<INI
[datastore]
path = store
[output]
dir = models
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 90
[model 2d]
plugin = 2d
[model 3d]
plugin = 3d
radec_lon_sign = gadf
[smooth 2d]
plugin = gauss1d
[smooth 3d]
plugin = k5a
INI
run_offbkg -q run "$T/run.ini"
ok $status "the models of a simulated store"
m=$T/models
raw2=$m/background_2D_group_000_table.fits.gz
smo2=$m/smooth_background_2D_group_000_table.fits.gz
raw3=$m/background_3D_group_000_table.fits.gz
smo3=$m/smooth_background_3D_group_000_table.fits.gz
sums_before=$(sha256sum "$m"/* | sort)

# Two 2D models: each one's figures, then the comparison.
run_offbkg plot "$raw2" "$smo2" -o "$T/f2"
want2="background_2D_group_000_table_rate_energy.png
background_2D_group_000_table_rate_offset.png
background_2D_group_000_table_counts.png
smooth_background_2D_group_000_table_rate_energy.png
smooth_background_2D_group_000_table_rate_offset.png
smooth_background_2D_group_000_table_counts.png
compare_background_2D_group_000_table_smooth_background_2D_group_000_table_rate_energy.png
compare_background_2D_group_000_table_smooth_background_2D_group_000_table_rate_offset.png
compare_background_2D_group_000_table_smooth_background_2D_group_000_table_ratio.png"
ok $(test $status -eq 0 \
     && test "$(echo "$out" | sed "s|^$T/f2/||")" = "$want2"; echo $?) \
    "plot of two 2D models prints the 9 figures written, in order"
ok $(test "$(ls -A "$T/f2" | sort)" = "$(echo "$want2" | sort)"; echo $?) \
    "the directory holds those figures and nothing else (no temporary)"

run_offbkg plot "$raw3" "$smo3" -o "$T/f3"
want3="background_3D_group_000_table_fov.png
background_3D_group_000_table_profile.png
background_3D_group_000_table_counts.png
smooth_background_3D_group_000_table_fov.png
smooth_background_3D_group_000_table_profile.png
smooth_background_3D_group_000_table_counts.png
compare_background_3D_group_000_table_smooth_background_3D_group_000_table_ratio.png
compare_background_3D_group_000_table_smooth_background_3D_group_000_table_profile.png"
ok $(test $status -eq 0 \
     && test "$(echo "$out" | sed "s|^$T/f3/||")" = "$want3"; echo $?) \
    "plot of two 3D models prints the 8 figures written, in order"
ok $(test "$(ls -A "$T/f3" | sort)" = "$(echo "$want3" | sort)"; echo $?) \
    "the directory holds those figures and nothing else"

# Every PNG: the signature, and a size that a blank page would not have.
bad=
for f in "$T"/f2/*.png "$T"/f3/*.png; do
    sig=$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')
    size=$(wc -c <"$f")
    if [ "$sig" != 89504e470d0a1a0a ] || [ "$size" -lt 20000 ]; then
        bad="$bad ${f##*/}($sig,$size)"
    fi
done
ok $(test -z "$bad"; echo $?) \
    "every figure is a PNG of more than 20 kB${bad:+:$bad}"

ok $(test "$(sha256sum "$m"/* | sort)" = "$sums_before"; echo $?) \
    "the model files are unchanged"

# The pixels: python3-pil (the Debian interpreter first: a pyenv shim
# earlier on PATH may lack it).
py=
for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null 2>&1 \
       && "$p" -c "import PIL" >/dev/null 2>&1; then
        py=$p
        break
    fi
done
pixels() { "$py" "$top_srcdir/tests/tools/png_pixels.py" "$@"; }
if [ -n "$py" ]; then
    pixels "$T"/f2/*.png "$T"/f3/*.png >"$T/pixels"
    sed "s|^$T/||; s/^/# /" "$T/pixels"
    # Line plots: 800 x 600, ink, coloured curves; maps: coloured cells
    # over much of the page and thousands of colours (a colour bar and
    # empty frames alone have a few hundred).
    lines_bad=$(awk '$1 !~ /_(fov|counts|ratio)\.png$/ &&
                     !($2 == 800 && $3 == 600 && $4 > 0.04 && $5 > 0.008 &&
                       $6 > 500) { print $1 }' "$T/pixels")
    maps_bad=$(awk '$1 ~ /_(fov|counts|ratio)\.png$/ &&
                    !($4 > 0.08 && $5 > 0.035 && $6 > 2000) { print $1 }' \
               "$T/pixels")
    ok $(test -z "$lines_bad" && test "$(grep -c -v '_\(fov\|counts\|ratio\)\.png ' "$T/pixels")" -eq 9; echo $?) \
        "every line plot is 800 x 600 with ink and coloured curves${lines_bad:+: $lines_bad}"
    ok $(test -z "$maps_bad" && test "$(grep -c '_\(fov\|counts\|ratio\)\.png ' "$T/pixels")" -eq 8; echo $?) \
        "every map figure has coloured cells and thousands of colours${maps_bad:+: $maps_bad}"
    # A 3D map figure is three panels wide.
    ok $(awk '$1 ~ /_3D_group_000_table_fov\.png$/ && $2 == 1260 { n++ }
              END { exit n == 2 ? 0 : 1 }' "$T/pixels"; echo $?) \
        "the FoV maps at three energies are three panels wide"
else
    ok 0 "# SKIP python3-pil not importable: the pixels are not checked"
    ok 0 "# SKIP python3-pil not importable"
    ok 0 "# SKIP python3-pil not importable"
fi

# PDF and SVG.
run_offbkg plot "$raw2" -o "$T/pdf" --format pdf
f=$T/pdf/background_2D_group_000_table_rate_energy.pdf
ok $(test $status -eq 0 && test "$(head -c 5 "$f")" = "%PDF-" \
     && test "$(wc -c <"$f")" -gt 5000 \
     && tail -c 64 "$f" | grep -q "%%EOF" \
     && test "$(ls "$T/pdf" | grep -c '\.pdf$')" -eq 3; echo $?) \
    "--format pdf: three complete PDF files"
run_offbkg plot "$raw3" -o "$T/svg" --format svg
f=$T/svg/background_3D_group_000_table_fov.svg
ok $(test $status -eq 0 && head -c 200 "$f" | grep -q "^<?xml" \
     && grep -q "<svg" "$f" && tail -c 20 "$f" | grep -q "</svg>" \
     && test "$(ls "$T/svg" | grep -c '\.svg$')" -eq 3; echo $?) \
    "--format svg: three complete SVG files"

# A GADF file that is not ours: layout C (energy slowest: TDIM (DETX,
# DETY, ENERGY)), as the GADF examples and old gammapy wrote, ALTAZ, no
# COUNTS.
if [ -n "$py" ] && "$py" -c "import astropy, numpy" >/dev/null 2>&1; then
    "$py" - "$T/foreign_bkg3d.fits" <<'PY'
import sys
import numpy as np
from astropy.io import fits
e = np.logspace(-1, 2, 9)
x = np.linspace(-3, 3, 13)
y = np.linspace(-3, 3, 13)
xc, yc = 0.5 * (x[1:] + x[:-1]), 0.5 * (y[1:] + y[:-1])
ec = np.sqrt(e[1:] * e[:-1])
bkg = (1e-3 * ec[:, None, None] ** -2.7
       * np.exp(-(xc[None, None, :] ** 2 + yc[None, :, None] ** 2) / 4))
cols = [fits.Column(name=n, format="%dE" % len(v), unit=u, array=[v])
        for n, v, u in [("ENERG_LO", e[:-1], "TeV"), ("ENERG_HI", e[1:], "TeV"),
                        ("DETX_LO", x[:-1], "deg"), ("DETX_HI", x[1:], "deg"),
                        ("DETY_LO", y[:-1], "deg"), ("DETY_HI", y[1:], "deg")]]
cols.append(fits.Column(name="BKG", format="%dE" % bkg.size,
                        unit="s-1 MeV-1 sr-1", array=[bkg.ravel()],
                        dim="(%d,%d,%d)" % bkg.shape[::-1]))
hdu = fits.BinTableHDU.from_columns(cols, name="BACKGROUND")
hdu.header["HDUCLAS2"] = "BKG"
hdu.header["HDUCLAS4"] = "BKG_3D"
hdu.header["FOVALIGN"] = "ALTAZ"
fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(sys.argv[1])
PY
    run_offbkg plot "$T/foreign_bkg3d.fits" -o "$T/foreign"
    ok $(test $status -eq 0 \
         && test "$(echo "$out" | sed "s|^$T/foreign/||")" = "foreign_bkg3d_fov.png
foreign_bkg3d_profile.png"; echo $?) \
        "a GADF bkg_3d written by astropy (layout C, ALTAZ, no COUNTS): its maps and profile"
    pixels "$T/foreign/foreign_bkg3d_fov.png" >"$T/pixels"
    ok $(awk '{ exit ($5 > 0.1 && $6 > 2000) ? 0 : 1 }' "$T/pixels"; echo $?) \
        "its maps are drawn ($(cut -d' ' -f4- "$T/pixels"))"
else
    ok 0 "# SKIP no python3 with astropy, numpy and PIL for a foreign model"
    ok 0 "# SKIP no python3 with astropy, numpy and PIL"
fi

# A 2D model against a 3D one: each drawn, the comparison refused.
run_offbkg plot "$raw2" "$raw3" -o "$T/mixed"
ok $(test $status -eq 1 && echo "$err" | grep -q "cannot compare .*background_2D_group_000_table.fits.gz (bkg_2d) with .*background_3D_group_000_table.fits.gz (bkg_3d)" \
     && test "$(ls "$T/mixed" | grep -c compare_)" -eq 0 \
     && test "$(ls "$T/mixed" | wc -l)" -eq 6; echo $?) \
    "a bkg_2d against a bkg_3d: both drawn, the comparison refused (exit 1)"

# Energies outside or inside the axis are the [plot] section's (not
# options here); three files: no comparison.
run_offbkg plot "$raw2" "$smo2" "$raw3" -o "$T/three"
ok $(test $status -eq 0 && test "$(echo "$out" | grep -c compare_)" -eq 0 \
     && test "$(echo "$out" | wc -l)" -eq 9; echo $?) \
    "three files: each one's figures, no comparison"

# Usage.
run_offbkg plot
ok $(test $status -eq 2 && echo "$err" | grep -q "plot: expected model files FILE... or one CONFIG"; echo $?) \
    "plot without a file is a usage error (exit 2)"
run_offbkg plot "$raw2" --format jpeg -o "$T/jpeg"
ok $(test $status -eq 2 && echo "$err" | grep -q -- "--format: expected png, pdf or svg, got 'jpeg'" \
     && test ! -e "$T/jpeg"; echo $?) \
    "--format jpeg is a usage error, nothing written"
run_offbkg check "$T/run.ini" -o "$T/x"
ok $(test $status -eq 2 && echo "$err" | grep -q "check: -o and --format are options of offbkg plot"; echo $?) \
    "-o with another command is a usage error"
run_offbkg --help
ok $(echo "$out" | grep -q "^  plot FILE\.\.\. " && echo "$out" | grep -q -- "--format F"; echo $?) \
    "--help lists plot and its options"
# The default directory is the current one (without $OFFBKG_WRAPPER,
# whose libtool may be named relative to the build directory).
mkdir "$T/cwd"
(cd "$T/cwd" && "$OFFBKG" plot "$raw2" >"$T/cwd.out" \
     && test "$(head -1 "$T/cwd.out")" = "./background_2D_group_000_table_rate_energy.png" \
     && test -f background_2D_group_000_table_rate_energy.png)
ok $? "without -o the figures go to the current directory"
