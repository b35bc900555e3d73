#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Fill the [store] of CONFIG in N shards as a Slurm job array, then make
# the models from the store alone in a job that starts when every shard
# succeeded (doc/store.md, "Shards and clusters").
#
#   tools/slurm/offbkg-array.sh CONFIG N [SBATCH-OPTION]...
#
# Task I (1..N) runs `offbkg fill CONFIG --shard I/N`; the reduce runs
# `offbkg run CONFIG --from-store`, which reads no event file and fails,
# naming them, if runs are missing. The SBATCH-OPTIONs (e.g. --partition,
# --time, --output) go to both jobs. $OFFBKG names the offbkg program
# (default: offbkg on the PATH of the jobs). Prints the two job ids.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG N [SBATCH-OPTION]..." >&2
    exit 2
fi
config=$1
n=$2
shift 2
case $n in
    ''|*[!0-9]*) echo "$0: N must be a number of shards, got '$n'" >&2; exit 2 ;;
esac
if [ "$n" -lt 1 ]; then
    echo "$0: N must be at least 1" >&2
    exit 2
fi
if [ ! -r "$config" ]; then
    echo "$0: cannot read $config" >&2
    exit 2
fi
offbkg=${OFFBKG:-offbkg}
# Relative paths in CONFIG are relative to CONFIG itself; the jobs only
# need its absolute path.
case $config in
    /*) ;;
    *) config=$(pwd)/$config ;;
esac

fill=$(sbatch --parsable --job-name=offbkg-fill --array="1-$n" "$@" \
    --wrap="exec '$offbkg' -q fill '$config' --shard \"\$SLURM_ARRAY_TASK_ID/$n\"")
fill=${fill%%;*}
reduce=$(sbatch --parsable --job-name=offbkg-reduce \
    --dependency="afterok:$fill" "$@" \
    --wrap="exec '$offbkg' run '$config' --from-store")
reduce=${reduce%%;*}
echo "fill: job array $fill ($n shards); reduce: job $reduce"
