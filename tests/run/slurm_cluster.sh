#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The one-node Slurm test cluster (tests/tools/slurm_cluster.sh) itself:
# it starts, runs a job array and a job that depends on it, and stops
# leaving no daemon behind. Skipped, with the reason, where it cannot
# start (not root, slurm-wlm or munge missing, a daemon that fails).
. "$top_srcdir/tests/run/tap.sh"

cluster="$top_srcdir/tests/tools/slurm_cluster.sh"
S="$tap_tmp/slurm"
# munged wants every directory above its socket searchable by all.
chmod 755 "$tap_tmp"
# Never leave the daemons running, whatever ends this script.
trap 'sh "$cluster" stop "$S" >/dev/null 2>&1; rm -rf "$tap_tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
trap 'exit 141' PIPE

now_ms() { echo $(($(date +%s%N) / 1000000)); }
elapsed_s() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

t0=$(now_ms)
reason=$(sh "$cluster" start "$S" 2>"$tap_tmp/start.err")
status=$?
if [ $status -eq 77 ]; then
    echo "1..0 # SKIP slurm test cluster: $reason"
    cat "$tap_tmp/start.err"
    exit 0
fi
t_start=$(elapsed_s "$t0")
ok $status "the cluster starts: its node is idle (${t_start} s)${reason:+ ($reason)}"
[ $status -eq 0 ] || { sed 's/^/# /' "$tap_tmp/start.err"; tap_plan $tap_n; exit 1; }
SLURM_CONF="$S/slurm.conf"
export SLURM_CONF
pids=$(cat "$S/munged.pid" "$S/slurmctld.pid" "$S/slurmd.pid")

# submit NAME ARGS...: sbatch --parsable ARGS in $J, its job id in $job;
# a TAP result "sbatch NAME is accepted".
J="$S/jobs"
mkdir -p "$J"
submit() {
    name=$1
    shift
    job=$(sbatch --parsable --chdir="$J" "$@" 2>"$tap_tmp/sbatch.err")
    ok $(expr "$job" : '[0-9][0-9]*$' >/dev/null; echo $?) \
        "sbatch $name is accepted (job ${job:-none})"
    sed 's/^/# sbatch: /' "$tap_tmp/sbatch.err"
}

# job_state ID: "STATE REASON" of a job (finished jobs stay known for
# MinJobAge).
job_state() {
    scontrol show job "$1" 2>/dev/null \
        | sed -n 's/.*JobState=\([A-Z_]*\) Reason=\([^ ]*\).*/\1 \2/p' | head -1
}

# The array writes one file per task; the dependent job checks them all.
reduce_script='n=0
for i in 0 1 2 3; do grep -qx "$i" "task-$i" && n=$((n + 1)); done
echo "$n tasks" >result.tmp && mv result.tmp result'
t0=$(now_ms)
submit "--array=0-3" --array=0-3 --output="$J/array-%a.log" \
    --wrap 'echo "$SLURM_ARRAY_TASK_ID" >"task-$SLURM_ARRAY_TASK_ID"'
array=$job
submit "--dependency=afterok:$array" --dependency="afterok:$array" \
    --output="$J/reduce.log" --wrap "$reduce_script"
reduce=$job
sh "$cluster" wait "$S" 60 2>"$tap_tmp/wait.err"
ok $? "the array and the dependent job finish within 60 s ($(elapsed_s "$t0") s)"
t_jobs=$(elapsed_s "$t0")
sed 's/^/# /' "$tap_tmp/wait.err"
ok $(test "$(cat "$J/result" 2>/dev/null)" = "4 tasks"; echo $?) \
    "the dependent job ran after the array and saw its 4 files"
[ "$(cat "$J/result" 2>/dev/null)" = "4 tasks" ] || {
    ls -l "$J" | sed 's/^/# /'
    tail -5 "$S/slurmctld.log" | sed 's/^/# slurmctld.log: /'
}
ok $(test "$(job_state "$reduce")" = "COMPLETED None"; echo $?) \
    "scontrol reports the dependent job COMPLETED ($(job_state "$reduce"))"

# An array with a failing task: the dependent job never runs, and wait
# returns without waiting for it.
rm -f "$J/result"
submit "--array=0-1 with a failing task" --array=0-1 \
    --output="$J/fail-%a.log" --wrap 'exit "$SLURM_ARRAY_TASK_ID"'
failing=$job
submit "--dependency=afterok:$failing" --dependency="afterok:$failing" \
    --output="$J/never.log" --wrap "$reduce_script"
never=$job
sh "$cluster" wait "$S" 60 2>"$tap_tmp/wait.err"
ok $? "wait returns once only the job that can never start is left"
sed 's/^/# /' "$tap_tmp/wait.err"
ok $(test "$(job_state "$never")" = "PENDING DependencyNeverSatisfied" \
     && test ! -e "$J/result"; echo $?) \
    "a job after a failed array task never runs ($(job_state "$never"))"

t0=$(now_ms)
sh "$cluster" stop "$S" 2>"$tap_tmp/stop.err"
status=$?
t_stop=$(elapsed_s "$t0")
sed 's/^/# /' "$tap_tmp/stop.err"
ok $status "the cluster stops (${t_stop} s)"
left=
for p in $pids; do
    st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null)
    [ -n "$st" ] && [ "${st%% *}" != Z ] && left="$left $p"
done
ok $(test -z "$left"; echo $?) \
    "no daemon of the pid files is still running${left:+ (pids$left)}"
echo "# start ${t_start} s, jobs ${t_jobs} s, stop ${t_stop} s"
tap_plan $tap_n
