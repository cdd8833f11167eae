#!/bin/bash
# tests/sim/time-up-down.sh [REPS] - wall time of simcluster up/down (2, 8,
# 16 hosts with sshd; 8 without) and of the Slurm cluster (3 and 8 nodes),
# median of REPS runs (default 3). A measurement, not a test: the machine is
# shared, compare the lines of one run with each other.
set -eu
. "$(dirname "$0")/lib.sh"
need_root_tools ip nsenter unshare ssh /usr/sbin/sshd slurmctld slurmd
CLUSTER=$(cd "$(dirname "$0")/../slurm" && pwd)/cluster
REPS=${1:-3}
N=ots$$-t
trap '"$SIM" down "$N" >/dev/null 2>&1; "$CLUSTER" down "$N" >/dev/null 2>&1' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure LABEL UPCMD... : REPS times up + down of $N
measure() {
	local label=$1 r t0 t1 ups="" downs="" down=$SIM
	shift
	[ "$1" != "$CLUSTER" ] || down=$CLUSTER
	for ((r = 0; r < REPS; r++)); do
		t0=$EPOCHREALTIME
		"$@" >/dev/null
		t1=$EPOCHREALTIME
		"$down" down "$N" >/dev/null
		ups+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"$'\n'
		downs+="$(since "$t1")"$'\n'
	done
	printf '%-28s up %5.2f s   down %5.2f s   (median of %d)\n' "$label" \
		"$(median <<<"$ups")" "$(median <<<"$downs")" "$REPS"
}

measure "simcluster 2 hosts, sshd" "$SIM" up "$N" --hosts 2
measure "simcluster 8 hosts, sshd" "$SIM" up "$N" --hosts 8
measure "simcluster 16 hosts, sshd" "$SIM" up "$N" --hosts 16
measure "simcluster 8 hosts, --no-ssh" "$SIM" up "$N" --hosts 8 --no-ssh
measure "slurm cluster 3 nodes" "$CLUSTER" up "$N" --nodes 3
measure "slurm cluster 8 nodes" "$CLUSTER" up "$N" --nodes 8
