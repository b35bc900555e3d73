#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The README's Quick start, for a fresh Debian 12 machine.
#   sh tools/quickstart.sh         install what is missing, build, run the
#                                  main job
#   sh tools/quickstart.sh test    install what is missing, build, run the
#                                  whole test suite (make check)
# The build goes to _build/ (out of tree); nothing is installed system-wide
# except the Debian packages offbkg needs.
set -eu

mode=${1:-run}
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/_build"

# Debian packages: toolchain, the libraries (PLplot with its cairo driver
# draws the figures, doc/plot.md), and test tools.
packages="build-essential autoconf automake libtool pkgconf libltdl-dev
libcfitsio-dev libcmocka-dev zlib1g-dev libisal-dev libplplot-dev
plplot-driver-cairo valgrind"
# The test suite also checks our files in gammapy 1.0 (Debian's package),
# starts a one-node Slurm cluster of its own (doc/slurm.md), and looks at
# the figures' pixels (python3-pil) and index.html in a headless browser
# (chromium), and formats the manual pages with every warning (groff).
[ "$mode" = test ] && packages="$packages python3-gammapy slurm-wlm munge
python3-pil chromium groff-base"

install_missing() {
    missing=""
    for p in $packages; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q "install ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "quickstart: installing:$missing"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
}

build() {
    cd "$top"
    [ -x configure ] && [ configure -nt configure.ac ] \
        || autoreconf -fi >/dev/null
    mkdir -p "$build"
    cd "$build"
    # A directory named core/ makes configure print one harmless
    # "cannot remove 'core'" line; hide it.
    [ -f Makefile ] || "$top/configure" -q 2>&1 \
        | grep -v "cannot remove 'core'" || true
    make -j"$(nproc)" >/dev/null
}

install_missing
build
cd "$build"
export OFFBKG_PLUGIN_PATH="$build/plugins"

case "$mode" in
test)
    # One line per test case; the summary and any failure's log on exit.
    if make -j"$(nproc)" check; then
        exit 0
    fi
    cat test-suite.log
    exit 1
    ;;
run)
    # The main job: a simulated data store of OFF runs, then the whole
    # pipeline on it (select, group, 2D and 3D models, index tables, and
    # their figures with index.html: the INI's [plot]).
    ./offbkg --version
    ./offbkg simulate "$build/sim" --overwrite
    ./offbkg --set "datastore.path=$build/sim" \
        --set "output.dir=$build/models" run "$top/doc/examples/quickstart.ini"
    echo "quickstart: the models are in $build/models:"
    ls "$build/models"
    echo "quickstart: their figures: open $build/models/index.html in a" \
        "browser"
    ;;
*)
    echo "usage: sh tools/quickstart.sh [test]" >&2
    exit 2
    ;;
esac
