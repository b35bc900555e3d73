#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A private one-node Slurm cluster for the tests (Debian 12's slurm-wlm
# and munge, as root). See doc/slurm.md.
#   sh slurm_cluster.sh start DIR   munged, slurmctld and slurmd with
#                                   everything under DIR (an empty
#                                   directory); returns once the node is
#                                   idle. Exit 77 with the reason on
#                                   stdout when the cluster cannot
#                                   start (everything started is
#                                   stopped again); 0 when it is up.
#   sh slurm_cluster.sh wait DIR SECONDS
#                                   wait until no job is left to run: each
#                                   has ended or can never start (its
#                                   afterok dependency failed); exit 1,
#                                   with the queue on stderr, if that
#                                   takes longer than SECONDS.
#   sh slurm_cluster.sh stop DIR    cancel the jobs, stop the daemons
#                                   named by DIR's pid files and any job
#                                   step they left; exit 1 if one is
#                                   still alive.
# The client commands (sbatch, squeue, ...) need SLURM_CONF=DIR/slurm.conf.
# Every daemon listens on 127.0.0.1 only, on ports picked at random, and
# talks to its own munged through DIR/munge.socket: nothing of the
# machine's own munge or Slurm (socket, ports, /etc files) is used.
set -u
PATH=$PATH:/usr/sbin:/sbin

usage() {
    echo "usage: sh slurm_cluster.sh start|stop DIR | wait DIR SECONDS" >&2
    exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
[ $# -eq 2 ] || { [ $# -eq 3 ] && [ "$cmd" = wait ]; } || usage
# The physical path: stop compares it with the targets of /proc/PID/fd.
[ "$cmd" = start ] && mkdir -p "$dir" 2>/dev/null
[ -d "$dir" ] && dir=$(cd "$dir" && pwd -P)

# The pid files, in the order stop kills them (slurmd before the
# controller, munged last: both Slurm daemons need it to shut down).
pidfiles="slurmd.pid slurmctld.pid munged.pid"

# alive PID: the process runs (a zombie, which nobody may reap in a
# container, does not).
alive() {
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "${st%% *}" != Z ]
}

# pid_of FILE: the pid in DIR/FILE if that process is alive and still
# the daemon the file names (a pid reused by another program is not it).
pid_of() {
    [ -s "$dir/$1" ] || return 1
    p=$(tr -dc 0-9 <"$dir/$1")
    [ -n "$p" ] && alive "$p" || return 1
    case $(cat "/proc/$p/comm" 2>/dev/null) in
    "${1%.pid}"*) echo "$p" ;;
    *) return 1 ;;
    esac
}

# ancestors: this shell and the processes above it (the test that runs
# it carries the cluster's SLURM_CONF too).
ancestors() {
    a=$$
    while [ -n "$a" ] && [ "$a" -gt 1 ]; do
        echo "$a"
        a=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$a/status" 2>/dev/null)
    done
}

# is_job PID: the process belongs to a job of this cluster.
is_job() {
    env=$(tr '\0' '\n' 2>/dev/null <"/proc/$1/environ") || return 1
    printf '%s\n' "$env" | grep -qxF "SLURM_CONF=$dir/slurm.conf" \
        && printf '%s\n' "$env" | grep -q '^SLURM_JOB_ID='
}

# ours [COMM]: the live processes (named COMM, if given) of this
# cluster: those holding one of DIR's daemon logs open (the daemons,
# slurmctld's slurmscriptd, the slurmstepd of each job step: these clear
# their environment, so the open log is what tells them from another
# cluster's) and those of its jobs (SLURM_JOB_ID set and SLURM_CONF
# naming DIR's slurm.conf, as slurmstepd sets it).
ours() {
    skip=" $(ancestors | tr '\n' ' ')"
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        case $skip in *" $p "*) continue ;; esac
        [ -z "${1:-}" ] || [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] \
            || continue
        alive "$p" || continue
        mine=
        for fd in "/proc/$p/fd/"*; do
            case $(readlink "$fd" 2>/dev/null) in
            "$dir/slurmd.log" | "$dir/slurmctld.log" | "$dir/munged.log")
                mine=1
                break
                ;;
            esac
        done
        if [ -n "$mine" ] || is_job "$p"; then
            echo "$p"
        fi
    done
}

# wait_gone PID...: true once none of them is alive (at most ~10 s).
wait_gone() {
    i=0
    while [ $i -lt 50 ]; do
        alive=
        for p in "$@"; do
            alive "$p" && alive="$alive $p"
        done
        [ -z "$alive" ] && return 0
        sleep 0.2
        i=$((i + 1))
    done
    return 1
}

# kill_all PID...: SIGTERM, then SIGKILL for any still alive after ~10 s.
kill_all() {
    [ $# -gt 0 ] || return 0
    kill "$@" 2>/dev/null
    wait_gone "$@" && return 0
    kill -9 "$@" 2>/dev/null
    wait_gone "$@"
}

stop() {
    if pid_of slurmctld.pid >/dev/null && [ -f "$dir/slurm.conf" ]; then
        # The jobs first, so that their steps end cleanly.
        SLURM_CONF="$dir/slurm.conf" scancel --quiet --full \
            --user="$(id -un)" >/dev/null 2>&1
        wait_gone $(ours slurmstepd)
    fi
    for f in $pidfiles; do
        p=$(pid_of "$f") && kill_all "$p"
    done
    # Whatever the daemons left (a job step slurmd did not end).
    kill_all $(ours)
    left=
    for p in $(ours); do
        left="$left $(cat "/proc/$p/comm" 2>/dev/null)($p)"
    done
    if [ -n "$left" ]; then
        echo "slurm_cluster: still running after stop:$left" >&2
        return 1
    fi
    return 0
}

# cannot REASON: print why, stop what was started, exit 77.
cannot() {
    echo "$*"
    stop >/dev/null 2>&1
    exit 77
}

# failed NAME WHAT: NAME's output and the end of its log to stderr;
# exit 77 giving WHAT and NAME's last error as the reason.
failed() {
    for f in "$1.out" "$1.log"; do
        [ -s "$dir/$f" ] && tail -5 "$dir/$f" | sed "s|^|# $f: |" >&2
    done
    why=$(cat "$dir/$1.out" "$dir/$1.log" 2>/dev/null \
          | grep -E 'error|fatal' | tail -1)
    cannot "$2${why:+ ($why)}"
}

# free_port: a random TCP port in 20000-59999 that nothing on this
# machine uses (in any state) right now.
free_port() {
    while :; do
        n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
        port=$((20000 + n % 40000))
        hex=$(printf '%04X' "$port")
        cat /proc/net/tcp /proc/net/tcp6 2>/dev/null \
            | awk -v h="$hex" '{ split($2, a, ":"); if (a[2] == h) f = 1 }
                               END { exit !f }' || break
    done
    echo "$port"
}

write_conf() {
    host=$1
    node=$2
    ctld_port=$(free_port)
    slurmd_port=$(free_port)
    while [ "$slurmd_port" = "$ctld_port" ]; do
        slurmd_port=$(free_port)
    done
    # No SPANK plugin (the default would read /etc/slurm/plugstack.conf).
    : >"$dir/plugstack.conf"
    cat >"$dir/slurm.conf" <<EOF
# A private one-node test cluster (tests/tools/slurm_cluster.sh).
ClusterName=offbkgtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
PlugStackConfig=$dir/plugstack.conf
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
SchedulerParameters=batch_sched_delay=0
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
    [ "$(id -u)" -eq 0 ] || cannot "not root (the test cluster runs its daemons as root)"
    for c in munged munge unmunge slurmctld slurmd sinfo sbatch scancel; do
        command -v $c >/dev/null 2>&1 \
            || cannot "$c not found (install Debian's slurm-wlm and munge)"
    done
    [ -d "$dir" ] || cannot "cannot make $dir"
    # Never a second cluster on the same files (nor stop the first).
    for f in $pidfiles; do
        pid_of "$f" >/dev/null && {
            echo "$dir already has a running ${f%.pid}"
            exit 77
        }
    done
    # munged refuses a key, socket or log directory that others can
    # write, and a socket directory that they cannot search.
    chmod 755 "$dir" && mkdir -p "$dir/state" "$dir/spool" \
        || cannot "cannot prepare $dir"

    # munge: a fresh key and a daemon on a private socket.
    dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 2>/dev/null \
        && chmod 600 "$dir/munge.key" || cannot "cannot write a munge key"
    munged --socket="$dir/munge.socket" \
        --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
        --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" \
        >"$dir/munged.out" 2>&1 \
        || failed munged "munged did not start"
    munge -n -S "$dir/munge.socket" 2>/dev/null \
        | unmunge -S "$dir/munge.socket" >/dev/null 2>&1 \
        || failed munged "munged does not answer on its socket"

    # slurm.conf: this host, with what slurmd finds on it.
    host=$(hostname -s)
    node=$(slurmd -C 2>/dev/null | grep '^NodeName=')
    [ -n "$node" ] || cannot "slurmd -C does not describe this machine"
    write_conf "$host" "$node"

    slurmctld -f "$dir/slurm.conf" -i \
        >"$dir/slurmctld.out" 2>&1 \
        || failed slurmctld "slurmctld did not start"
    slurmd -f "$dir/slurm.conf" -N "$host" \
        >"$dir/slurmd.out" 2>&1 \
        || failed slurmd "slurmd did not start"

    # Up when the node is idle (bounded: 30 s).
    i=0
    state=
    while [ $i -lt 150 ]; do
        state=$(SLURM_CONF="$dir/slurm.conf" sinfo -h -n "$host" -o %T \
                2>/dev/null)
        [ "$state" = idle ] && return 0
        # A daemon writes its pid file after it forks: missing for 2 s
        # at most, or dead.
        for f in $pidfiles; do
            [ -s "$dir/$f" ] || [ $i -ge 10 ] || continue
            pid_of "$f" >/dev/null \
                || failed "${f%.pid}" "${f%.pid} exited while the cluster started"
        done
        sleep 0.2
        i=$((i + 1))
    done
    tail -5 "$dir/slurmctld.log" | sed 's/^/# slurmctld.log: /' >&2
    cannot "node $host not idle after 30 s (state: ${state:-none})"
}

# left: the jobs still to run, one "ID STATE REASON" line each (a job
# whose dependency can never be satisfied stays pending for ever: not
# counted); an error of squeue too.
left() {
    SLURM_CONF="$dir/slurm.conf" squeue -h -o '%i %T %r' 2>&1 \
        | grep -v ' PENDING DependencyNeverSatisfied$'
}

wait_jobs() {
    case $1 in
    '' | *[!0-9]*) usage ;;
    esac
    i=0
    while [ $i -lt $(($1 * 5)) ]; do
        [ -z "$(left)" ] && return 0
        sleep 0.2
        i=$((i + 1))
    done
    [ -z "$(left)" ] && return 0
    echo "slurm_cluster: jobs still queued after $1 s:" >&2
    SLURM_CONF="$dir/slurm.conf" squeue >&2
    return 1
}

case $cmd in
start) start ;;
wait) wait_jobs "$3" ;;
stop) stop ;;
*) usage ;;
esac
