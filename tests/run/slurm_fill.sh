#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# tools/slurm/offbkg-array.sh on a private one-node Slurm cluster
# (tests/tools/slurm_cluster.sh, doc/slurm.md): 4 shards of offbkg fill
# as a job array, then offbkg run --from-store as a job that depends on
# it; the models are bit for bit those of one process from the events.
# Skipped, with the reason, where the cluster cannot start.
. "$top_srcdir/tests/run/tap.sh"

T=$tap_tmp
cluster="$top_srcdir/tests/tools/slurm_cluster.sh"
S="$T/slurm"
chmod 755 "$T"
trap 'sh "$cluster" stop "$S" >/dev/null 2>&1; rm -rf "$tap_tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
trap 'exit 141' PIPE

reason=$(sh "$cluster" start "$S") || {
    echo "1..0 # SKIP slurm test cluster: $reason"; exit 0; }
SLURM_CONF="$S/slurm.conf"; export SLURM_CONF

run_offbkg simulate "$T/store" --runs 12 --events 1000
ok $status "simulate writes the test store"
cat >"$T/base.ini" <<INI
[datastore]
path = store
[select]
plugin = all
[group]
plugin = zenith
edges_deg = 0, 30, 60
[model 2d]
plugin = 2d
[model 3d]
plugin = 3d
radec_lon_sign = gadf
INI
{ cat "$T/base.ini"; printf '[output]\ndir = events\n'; } >"$T/events.ini"
{ cat "$T/base.ini"; printf '[output]\ndir = cluster\n[store]\ndir = contrib\n'; } >"$T/cluster.ini"

start_s=$(date +%s)
run_offbkg -q run "$T/events.ini"
one_s=$(( $(date +%s) - start_s ))
ok $status "one process from the events (exit $status, ${one_s} s)"

# The jobs call offbkg as the tests do (under valgrind in check-valgrind,
# through libtool, which is found from the build directory).
cat >"$T/offbkg" <<SH
#!/bin/sh
cd '$(pwd)' || exit 1
exec ${OFFBKG_WRAPPER:-} "$OFFBKG" "\$@"
SH
chmod +x "$T/offbkg"
start_s=$(date +%s)
ids=$(cd "$T" && OFFBKG="$T/offbkg" sh "$top_srcdir/tools/slurm/offbkg-array.sh" \
    cluster.ini 4 --chdir="$T" --output="$T/job-%A-%a.out" 2>"$T/submit.err")
ok $? "offbkg-array.sh submits the array and the reduce: $ids $(cat "$T/submit.err")"
sh "$cluster" wait "$S" 300 >"$T/wait.out" 2>&1
ok $? "the jobs end within 300 s: $(tail -3 "$T/wait.out")"
cluster_s=$(( $(date +%s) - start_s ))
reduce=$(echo "$ids" | sed -n 's/.*reduce: job \([0-9]*\).*/\1/p')
state=$(scontrol show job "$reduce" 2>/dev/null | grep -o 'JobState=[A-Z]*')
ok $(test "$state" = JobState=COMPLETED; echo $?) \
    "the reduce job completed ($state; array and reduce took ${cluster_s} s, one process ${one_s} s)"
n=$(ls "$T/contrib"/*/obs_*.fits* 2>/dev/null | wc -l)
ok $(test "$n" -eq 24; echo $?) "4 shards filled 12 runs x 2 models = 24 entries ($n)"
model_digests "$T/events" >"$T/events.dig"
model_digests "$T/cluster" >"$T/cluster.dig"
ok $(test -s "$T/cluster.dig" && cmp -s "$T/events.dig" "$T/cluster.dig"; echo $?) \
    "the models of the cluster are bit for bit those of one process"
sh "$cluster" stop "$S"
ok $? "the cluster stops, nothing left running"
tap_plan $tap_n
