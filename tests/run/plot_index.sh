#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# [plot] (doc/plot.md): `offbkg run` and `offbkg validate` draw the
# figures of [output] dir at their end, and index.html shows every one of
# them and links the FITS files; the figures are PNGs of 800 x 600 pixels
# (maps their panels' size) that are not blank; a headless Chromium, with no network, loads the
# page and every image on it; a rerun removes the figures it does not
# draw again and leaves other files alone; a [plot] dir that cannot be a
# directory fails the command before any work, leaving nothing.
. "$top_srcdir/tests/run/tap.sh"

T=$tap_tmp
tap_plan 28

dom="--runs 12 --events 3000 --zenith 10,60 --energy 0.1,100 --theta-max 3"
# Not under the valgrind wrapper: simulate is not what is tested here.
"$OFFBKG" simulate "$T/sim" $dom -q >"$T/sim.out" 2>&1 || {
    sed 's/^/# /' "$T/sim.out"
    echo "Bail out! offbkg simulate failed"
    exit 1
}

# ini OUT [EXTRA]: 2D and 3D group models, the 2D one smoothed, a nearest
# strategy for validate, and [plot].
ini() {
    cat <<INI
[datastore]
path = $T/sim
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 35, 90
[model 2d]
plugin = 2d
energy_n = 8
offset_n = 20
[smooth 2d]
plugin = gauss1d
[model 3d]
plugin = 3d
[match near]
plugin = nearest
columns = ZEN_PNT
min_runs = 4
max_runs = 4
[validate]
[output]
dir = $1
overwrite = true
[plot]
${2:-}
INI
}

ini "$T/o-run" >"$T/run.ini"
run_offbkg check "$T/run.ini"
if printf '%s' "$err" | grep -q "built without PLplot"; then
    # The section is refused at its line, before any work; every other
    # test is then a skip, said with the reason.
    run_offbkg run "$T/run.ini"
    ok $(test $status -eq 2 \
         && printf '%s\n' "$err" | grep -q "run.ini:[0-9]*: \[plot\] offbkg was built without PLplot: no figures (install libplplot-dev and plplot-driver-cairo, then configure again)" \
         && test ! -e "$T/o-run"; echo $?) \
        "a build without PLplot refuses [plot] at its line (exit $status), nothing written"
    while [ "$tap_n" -lt 28 ]; do
        tap_n=$((tap_n + 1))
        echo "ok $tap_n # SKIP offbkg was built without PLplot"
    done
    exit 0
fi

run_offbkg run "$T/run.ini"
ok $(test $status -eq 0 && test -s "$T/o-run/index.html"; echo $?) \
    "run with [plot]: exit $status, index.html written"
ok $(printf '%s\n' "$out" \
     | grep -q "^figures: [1-9][0-9]* in $T/o-run/figures, shown by $T/o-run/index.html$"
     echo $?) "run says how many figures and where index.html is"

# check_page DIR: every figure of DIR/figures is on DIR/index.html once,
# every image the page shows is a file of DIR/figures, and every FITS
# file of DIR is linked.
check_page() {
    cp_dir=$1
    ls "$cp_dir/figures" | sort >"$T/files"
    grep -o '<img src="[^"]*"' "$cp_dir/index.html" \
        | sed 's/^<img src="figures\///; s/"$//' | sort >"$T/imgs"
    cp_bad=0
    if ! cmp -s "$T/files" "$T/imgs"; then
        diff "$T/files" "$T/imgs" | sed 's/^/# figures vs page: /'
        cp_bad=1
    fi
    for f in "$cp_dir"/*.fits "$cp_dir"/*.fits.gz; do
        [ -e "$f" ] || continue
        grep -q "href=\"${f##*/}\"" "$cp_dir/index.html" || {
            echo "# not linked: ${f##*/}"
            cp_bad=1
        }
    done
    return $cp_bad
}

check_page "$T/o-run"
ok $? "run: index.html shows every figure once and links every FITS file"
n_files=$(wc -l <"$T/files")
n_caps=$(grep -c '<figcaption>' "$T/o-run/index.html")
ok $(test "$n_files" -ge 20 && test "$n_caps" -eq "$n_files"; echo $?) \
    "run: $n_files figures (2D and 3D models of 2 groups, smoothed vs raw), each with a caption ($n_caps)"
for kind in _rate_energy _rate_offset _counts _fov _profile; do
    ls "$T/o-run/figures" | grep -q "^background_.*$kind.png$" || echo "$kind"
done >"$T/missing"
ls "$T/o-run/figures" | grep -q '^compare_.*_ratio.png$' || echo compare >>"$T/missing"
ok $(test ! -s "$T/missing"; echo $?) \
    "run: rate against energy and offset, counts, FoV maps, profiles, smoothed/raw ratio ($(tr '\n' ' ' <"$T/missing"))"
# Offline: nothing the page needs comes from elsewhere, and no script.
ok $(! grep -Eq 'https?:|//|<script' "$T/o-run/index.html"; echo $?) \
    "run: index.html has no external address and no script"

# The PNGs: signature, size, and pixels that are not blank.
python=
for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1 \
       && "$py" -c "import PIL.Image" >/dev/null 2>&1; then
        python=$py
        break
    fi
done
bad_sig=0
for f in "$T/o-run/figures"/*.png; do
    [ "$(od -An -tx1 -N8 "$f" | tr -d ' \n')" = 89504e470d0a1a0a ] \
        || { echo "# not a PNG: $f"; bad_sig=1; }
done
ok $bad_sig "run: every figure is a PNG file"
cat >"$T/pixels.py" <<'PY'
import sys
from PIL import Image
bad = 0
for path in sys.argv[1:]:
    im = Image.open(path).convert("RGB")
    w, h = im.size
    px = im.getdata()
    ink = sum(1 for p in px if p != (255, 255, 255)) / float(w * h)
    colours = len(set(px))
    # 800 x 600 a plot; maps are sized by their panels (core/plot.c).
    size = (w, h) == (800, 600) or (600 <= w <= 2000 and 400 <= h <= 1200)
    fine = size and ink > 0.02 and colours >= 4
    if not fine:
        bad += 1
        print("# %s: %dx%d, %.1f%% ink, %d colours"
              % (path, w, h, 100 * ink, colours))
print("BAD %d" % bad)
PY
# One figure drawn blank, for the check to catch.
if [ -n "$python" ]; then
    "$python" -c "from PIL import Image; Image.new('RGB', (800, 600), 'white').save('$T/blank.png')"
    "$python" "$T/pixels.py" "$T/o-run/figures"/*.png >"$T/pix.out" 2>&1
    sed -n '/^#/p' "$T/pix.out"
    ok $(grep -q '^BAD 0$' "$T/pix.out"; echo $?) \
        "run: every figure is 800 x 600 pixels (maps: their panels'), with ink on more than 2% of them and at least 4 colours"
    "$python" "$T/pixels.py" "$T/blank.png" >"$T/pix.out" 2>&1
    ok $(grep -q '^BAD 1$' "$T/pix.out"; echo $?) \
        "the pixel check finds a blank figure"
else
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP no python3 with PIL (Debian python3-pil)"
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP no python3 with PIL (Debian python3-pil)"
fi

# browser_check PAGE: load a copy of PAGE (beside it, so its relative
# links hold) with a script that counts the images loaded, in a
# headless Chromium whose only proxy is a closed port (no network).
# Sets $browser_line to "IMAGES N OF M LOADED [BROKEN ...]".
chromium=
for c in chromium chromium-browser; do
    command -v "$c" >/dev/null 2>&1 && { chromium=$c; break; }
done
browser_check() {
    bc_copy="${1%/*}/check-$$.html"
    cat "$1" - >"$bc_copy" <<'JS'
<script>
window.addEventListener('load', function () {
  var imgs = document.images, bad = [], n = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) n++;
    else bad.push(imgs[i].getAttribute('src'));
  }
  var p = document.createElement('pre');
  p.textContent = 'IMAGES ' + n + ' OF ' + imgs.length + ' LOADED'
                  + (bad.length ? ' BROKEN ' + bad.join(' ') : '');
  document.body.appendChild(p);
});
</script>
JS
    HOME=$T timeout 120 "$chromium" --headless --disable-gpu --no-sandbox \
        --allow-file-access-from-files --proxy-server=127.0.0.1:9 \
        --user-data-dir="$T/chromium-profile" --virtual-time-budget=15000 \
        --dump-dom "file://$bc_copy" >"$T/dom" 2>"$T/chromium.err"
    bc_status=$?
    rm -f "$bc_copy"
    browser_line=$(grep -o 'IMAGES [0-9]* OF [0-9]* LOADED[^<]*' "$T/dom" \
                   | tail -1)
    [ $bc_status -eq 0 ] || tail -3 "$T/chromium.err" | sed 's/^/# chromium: /'
}

if [ -z "$chromium" ]; then
    for i in 1 2; do
        tap_n=$((tap_n + 1))
        echo "ok $tap_n # SKIP no chromium (Debian chromium; tools/quickstart.sh test installs it)"
    done
elif ! HOME=$T timeout 60 "$chromium" --headless --disable-gpu --no-sandbox \
        --user-data-dir="$T/chromium-profile" --dump-dom about:blank \
        >/dev/null 2>"$T/chromium.err"; then
    tail -3 "$T/chromium.err" | sed 's/^/# /'
    for i in 1 2; do
        tap_n=$((tap_n + 1))
        echo "ok $tap_n # SKIP chromium does not start headless here"
    done
else
    browser_check "$T/o-run/index.html"
    echo "# $browser_line"
    ok $(test "$browser_line" = "IMAGES $n_files OF $n_files LOADED"; echo $?) \
        "chromium, offline, loads index.html and all $n_files images"
    # The check can fail: a page with a broken image says so.
    sed 's|<img src="figures/|<img src="figures/gone-|' "$T/o-run/index.html" \
        >"$T/o-run/broken.html"
    browser_check "$T/o-run/broken.html"
    rm -f "$T/o-run/broken.html"
    echo "# $browser_line"
    ok $(printf '%s' "$browser_line" | grep -q "^IMAGES 0 OF $n_files LOADED BROKEN figures/gone-"
         echo $?) "chromium: a page whose images are missing is caught"
fi

# validate with [plot]: the validation figures.
ini "$T/val" >"$T/val.ini"
run_offbkg validate "$T/val.ini"
ok $(test $status -eq 0 && test -s "$T/val/index.html" \
     && printf '%s\n' "$out" | grep -q "shown by $T/val/index.html$"
     echo $?) "validate with [plot]: exit $status, index.html written and said"
check_page "$T/val"
ok $? "validate: index.html shows every figure once and links validation.fits"
for f in validation_ratio_01_near_2d validation_ratio_02_near_2d_smooth \
         validation_ratio_03_near_3d validation_significance_01_near_2d \
         validation_profile_01_ENERG validation_profile_02_THETA \
         validation_profile_03_ZEN_PNT validation_profile_04_DETX \
         validation_profile_05_DETY validation_ratio_zenith; do
    [ -s "$T/val/figures/$f.png" ] || echo "$f"
done >"$T/missing"
ok $(test ! -s "$T/missing"; echo $?) \
    "validate: a ratio histogram per strategy, the significances, profiles against energy, offset, DETX, DETY and ZEN_PNT, ratio against zenith ($(tr '\n' ' ' <"$T/missing"))"
if [ -n "$chromium" ] && [ -n "${browser_line:-}" ]; then
    n_val=$(ls "$T/val/figures" | wc -l)
    browser_check "$T/val/index.html"
    echo "# $browser_line"
    ok $(test "$browser_line" = "IMAGES $n_val OF $n_val LOADED"; echo $?) \
        "chromium loads the validation page and all $n_val images"
else
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP no chromium that starts headless"
fi

# A rerun without comparisons: the comparison figures go (with a
# warning), a file of the user's in figures/ stays.
echo mine >"$T/o-run/figures/notes.txt"
ini "$T/o-run" "compare = none" >"$T/run2.ini"
run_offbkg run "$T/run2.ini"
ok $(test $status -eq 0 && ! ls "$T/o-run/figures" | grep -q '^compare_' \
     && test -s "$T/o-run/figures/notes.txt" \
     && printf '%s\n' "$err" | grep -q "warning: removed the old $T/o-run/figures/compare_"
     echo $?) "rerun with compare = none: the old comparisons removed with a warning, another file kept"
rm -f "$T/o-run/figures/notes.txt"
check_page "$T/o-run"
ok $? "rerun: index.html shows exactly the figures there"

# A validation.fits that cannot be read, in the directory of a run: the
# run keeps its models, warns, and says so on the page; with --strict it
# fails and writes nothing.
head -c 8000 "$T/val/validation.fits" >"$T/o-run/validation.fits"
run_offbkg run "$T/run2.ini"
ok $(test $status -eq 0 \
     && printf '%s\n' "$err" | grep -q "warning: figures of validation.fits not drawn: .*validation.fits" \
     && grep -q "The figures of 1 file could not be drawn" "$T/o-run/index.html"
     echo $?) "a damaged validation.fits: the run succeeds, its figures left out with a warning and a line on the page"
touch -d '2000-01-01' "$T/o-run/index.html"
run_offbkg --strict run "$T/run2.ini"
ok $(test $status -eq 1 \
     && printf '%s\n' "$err" | grep -q "error: .*validation.fits" \
     && test -n "$(find "$T/o-run/index.html" ! -newermt 2001-01-01)" \
     && ! ls -A "$T/o-run" | grep -q '^\.tmp'; echo $?) \
    "with --strict it fails the run (exit $status), naming the file; nothing is replaced or left"
rm -f "$T/o-run/validation.fits"

# offbkg plot CONFIG: the same page and figures from the files there.
rm -rf "$T/o-run/figures" "$T/o-run/index.html"
run_offbkg plot "$T/run.ini"
ok $(test $status -eq 0 \
     && printf '%s\n' "$out" | grep -q "^figures: [1-9][0-9]* in $T/o-run/figures, shown by $T/o-run/index.html$"
     echo $?) "offbkg plot CONFIG: exit $status, says where index.html is"
check_page "$T/o-run"
ok $(test $? -eq 0 && ls "$T/o-run/figures" | grep -q '^compare_' \
     && ! ls -A "$T/o-run" | grep -q '^\.'; echo $?) \
    "offbkg plot CONFIG: every figure (comparisons too) on the page, every FITS file linked, nothing left over"
# Errors: nothing to draw, no such directory, a damaged validation.fits,
# no [plot]: a message, and nothing written.
mkdir "$T/empty"
ini "$T/empty" >"$T/empty.ini"
run_offbkg plot "$T/empty.ini"
ok $(test $status -eq 1 \
     && printf '%s\n' "$err" | grep -q "error: $T/empty: no model file of a group and no validation.fits to draw" \
     && test -z "$(ls -A "$T/empty")"; echo $?) \
    "offbkg plot CONFIG with nothing to draw: exit $status, said, nothing written"
ini "$T/none" >"$T/none.ini"
run_offbkg plot "$T/none.ini"
ok $(test $status -eq 1 \
     && printf '%s\n' "$err" | grep -q "error: $T/none: no such directory" \
     && test ! -e "$T/none"; echo $?) \
    "offbkg plot CONFIG without [output] dir: exit $status, said, no directory made"
cp "$T/o-run/index.html" "$T/index.before"
head -c 8000 "$T/val/validation.fits" >"$T/o-run/validation.fits"
run_offbkg plot "$T/run.ini"
ok $(test $status -eq 1 \
     && printf '%s\n' "$err" | grep -q "error: .*validation.fits" \
     && cmp -s "$T/o-run/index.html" "$T/index.before" \
     && ! ls -A "$T/o-run" | grep -q '^\.'; echo $?) \
    "offbkg plot CONFIG with a damaged validation.fits: exit $status, names it, the old page untouched, nothing left"
rm -f "$T/o-run/validation.fits"
grep -v '^\[plot\]' "$T/run.ini" >"$T/noplot.ini"
run_offbkg plot "$T/noplot.ini"
ok $(test $status -eq 2 && printf '%s\n' "$err" | grep -q "no \[plot\] section"
     echo $?) "offbkg plot CONFIG without [plot]: exit $status, said"

# A [plot] dir that cannot be one: the command stops before any work
# (exit 1), naming it, and leaves nothing but what was there.
mkdir "$T/bad"
echo x >"$T/bad/figures"
ini "$T/bad" >"$T/bad.ini"
run_offbkg run "$T/bad.ini"
ok $(test $status -eq 1 \
     && printf '%s\n' "$err" | grep -q "$T/bad/figures: not a directory" \
     && test "$(ls -A "$T/bad")" = figures; echo $?) \
    "[plot] dir a file: exit $status, the message names it, nothing written"
ini "$T/bad" "dir = ../elsewhere" >"$T/bad2.ini"
run_offbkg run "$T/bad2.ini"
ok $(test $status -eq 2 \
     && printf '%s\n' "$err" | grep -q "bad2.ini:[0-9]*: \[plot\] dir: \"../elsewhere\": expected a directory name"
     echo $?) "[plot] dir outside [output] dir: a configuration error at its line (exit $status)"
ok $(test "$(ls -A "$T/bad")" = figures; echo $?) \
    "and nothing written"
exit 0
