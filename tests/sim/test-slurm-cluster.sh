#!/bin/bash
# tests/sim/test-slurm-cluster.sh - tests/slurm/cluster against real Slurm
# daemons: up 3 nodes, srun -N3 hostname, srun -N2 ip -brief addr,
# sbatch -N2 with inner sruns, the node mount namespaces (private
# /etc/hosts, shared /run/netns), a job still running at down, and down
# leaving nothing (no netns, no daemon, no slurmstepd, no task, no file).
set -u
. "$(dirname "$0")/lib.sh"
need_root_tools ip nsenter unshare findmnt slurmctld slurmd srun sbatch munged
CLUSTER=$(cd "$(dirname "$0")/../slurm" && pwd)/cluster

N=ots$$-sl
cleanup() {
	local rc=$? out
	out=$("$CLUSTER" down "$N" 2>&1) || { fail "cleanup: $out"; rc=1; }
	rm -rf "/tmp/$N.tmp"
	check_exit $rc
}
trap cleanup EXIT
hosts_sum=$(sha256sum /etc/hosts)

T=/tmp/$N.tmp
mkdir -p "$T"
echo "# test plugstack line" >"$T/plugstack.conf"
echo "KillWait=3" >"$T/extra.conf"
t0=$EPOCHREALTIME
check "up 3 nodes" "$CLUSTER" up "$N" --nodes 3 --plugstack "$T/plugstack.conf" --conf "$T/extra.conf"
echo "     (up, until 3 nodes idle: $(since "$t0") s)"
eval "$("$CLUSTER" env "$N")"
run() { "$CLUSTER" run "$N" "$@"; }

out=$(run srun -N3 hostname 2>&1 | sort | tr '\n' ' ')
[ "$out" = "n1 n2 n3 " ] && pass "srun -N3 hostname: n1 n2 n3" || fail "srun -N3 hostname: $out"
out=$(run srun -N2 ip -brief addr 2>&1)
case $out in
*192.0.2.11/24*192.0.2.12/24* | *192.0.2.12/24*192.0.2.11/24*) pass "srun -N2 ip -brief addr: 192.0.2.11 and .12" ;;
*) fail "srun -N2 ip -brief addr: $out" ;;
esac
out=$(nsenter --net="/run/netns/$SLURM_CTL_NS" env SLURM_CONF="$SLURM_CONF" srun -N2 hostname 2>&1 | sort | tr '\n' ' ')
# Slurm picks any two idle nodes (one may still be completing the last job).
case $out in
"n1 n2 " | "n1 n3 " | "n2 n3 ") pass "plain nsenter into ctl runs srun ($out)" ;;
*) fail "plain nsenter srun: $out" ;;
esac
out=$(run srun -N2 --uid=nobody --chdir=/ id -un 2>&1 | tr '\n' ' ')
[ "$out" = "nobody nobody " ] && pass "srun --uid=nobody" || fail "srun --uid=nobody: $out"
out=$(run srun -N3 -l cat /proc/self/net/dev 2>&1 | grep -c 'eth0:')
[ "$out" = 3 ] && pass "each task sees its node's eth0" || fail "eth0 count $out"

# Batch job: the script on the first node, two steps inside.
# (sbatch --wait polls every 10 s: poll squeue instead)
job=$(run sbatch --parsable -N2 -o "$SLURM_DIR/job-%j.out" \
	--wrap 'hostname; srun -N2 hostname | sort | tr "\n" " "; srun -N2 -l ip -o -4 addr show dev eth0' 2>&1)
for ((t = 0; t < 300; t++)); do
	[ -n "$(run squeue -h -j "$job" 2>/dev/null)" ] || break
	sleep 0.1
done
out="job $job"
res=$(cat "$SLURM_DIR/job-$job.out" 2>/dev/null)
case $res in
n1*"n1 n2 "*192.0.2.1[12]/24*192.0.2.1[12]/24*) pass "sbatch -N2 with inner srun (job $job)" ;;
*) fail "sbatch: $out / $res" ;;
esac

# Mount namespaces: a node's /etc/hosts is the cluster's, the machine's is
# untouched; a netns made on a node is seen machine-wide and on other nodes.
out=$("$CLUSTER" exec "$N" n2 getent hosts n3)
case $out in 192.0.2.13*) pass "n2 resolves n3 (its /etc/hosts)" ;; *) fail "getent on n2: $out" ;; esac
[ "$(sha256sum /etc/hosts)" = "$hosts_sum" ] && pass "machine /etc/hosts untouched" || fail "/etc/hosts changed"
check "ip netns add on n1" "$CLUSTER" exec "$N" n1 ip netns add "$N-probe"
[ -e "/run/netns/$N-probe" ] && pass "node-made netns visible in the root ns" || fail "not visible in the root ns"
out=$("$CLUSTER" exec "$N" n3 ip netns list)
case $out in *"$N-probe"*) pass "and on n3" ;; *) fail "not visible on n3" ;; esac
check "ip netns del on n3" "$CLUSTER" exec "$N" n3 ip netns del "$N-probe"
[ ! -e "/run/netns/$N-probe" ] && pass "gone everywhere" || { fail "probe netns left"; ip netns del "$N-probe"; }
cmp -s "$SLURM_PLUGSTACK" "$T/plugstack.conf" && pass "--plugstack copied" || fail "plugstack.conf: $(cat "$SLURM_PLUGSTACK")"
out=$(run scontrol show config | grep -i '^KillWait')
case $out in *"3 sec"*) pass "--conf line in effect ($out)" ;; *) fail "--conf: $out" ;; esac

# A job still running at down: its slurmstepd and tasks must go too.
run sbatch -N1 -o /dev/null --wrap 'sleep 600' >/dev/null
run srun -N2 sleep 600 >/dev/null 2>&1 &
srun_pid=$!
for ((t = 0; t < 100; t++)); do
	[ "$(run squeue -h -t R | wc -l)" = 2 ] && break
	sleep 0.1
done
[ "$(run squeue -h -t R | wc -l)" = 2 ] && pass "2 jobs running" || fail "jobs: $(run squeue)"
procs=$(run_procs "$N" | cut -d' ' -f1 | tr '\n' ' ')
stepds=$(pgrep -x slurmstepd | while read -r p; do
	for n in /run/netns/"$N"-*; do [ "/proc/$p/ns/net" -ef "$n" ] && echo "$p"; done
done | tr '\n' ' ')
[ -n "$stepds" ] && pass "slurmstepd running: $stepds" || fail "no slurmstepd found"
t0=$EPOCHREALTIME
check "down with running jobs" "$CLUSTER" down "$N"
echo "     (down: $(since "$t0") s)"
wait_pid 30 "$srun_pid"
left=""
for p in $procs $stepds; do check_running "$p" && left+=" $p"; done
[ -z "$left" ] && pass "no daemon, slurmstepd or task left" || fail "left:$left"
leak_check "$N" "$SIM_DIR"
[ "$(sha256sum /etc/hosts)" = "$hosts_sum" ] && pass "machine /etc/hosts untouched" || fail "/etc/hosts changed"
check "down again is a no-op" "$CLUSTER" down "$N"

summary
