# t-shape.sh - one topology file for any allocation (sourced by
# tests/slurm/run).
#
# tasks.otp (one container per task, `node[node_of(r)]`, `address auto`)
# unchanged under -N1 -n1, -N1 -n4, -N2 -n3, -N3 -n7 and -N3 -n6
# --distribution=cyclic: every task reports, from inside, its container,
# its network namespace inode and its address; each task must be in the
# container of its own rank, on the node Slurm put it on, in a namespace
# of its own (not the node's), with an address of its own; the first and
# the last rank reach each other over the overlay. Then the parameters
# through Slurm (--opentop-define, SLURM_OPENTOP_DEFINE,
# SLURM_OPENTOP_TOPOLOGY), the refusals (undeclared parameter, non-integer
# value, a topology that does not fit the step: nothing allocated or
# built), and a job whose topology file is removed right after sbatch
# returned. The nodes have 2 CPUs: -O (overcommit) lets 7 tasks run on 3.

tasks=$(topo tasks.otp)

# What a task reports about itself (one line).
probe='echo "task $SLURM_PROCID node $SLURM_NODEID host $(hostname) container $OPENTOP_CONTAINER netns $(readlink /proc/self/ns/net) addr $(ip -o -4 addr show eth0 | awk "{print \$4}") hostns $(readlink /proc/1/ns/net 2>/dev/null)"'

# shape_case NAME N SRUN_ARGS... : run the probe with tasks.otp under the
# given shape and check every task's report.
shape_case() {
	local name=$1 n=$2 out=$W/out/shape-$1 rc r line nsset addrset
	shift 2
	cl_user srun -O "$@" --opentop="$tasks" sh -c "$probe
		[ \$SLURM_PROCID = 0 ] && ping -c 2 -i 0.2 -W 2 10.78.0.$n >/dev/null && echo ping-last-ok
		sleep 1" >"$out" 2>"$out.err"
	rc=$?
	check "$name: srun $* --opentop=tasks.otp exits 0" [ $rc = 0 ]
	check "$name: $n tasks reported" [ "$(grep -c '^task ' "$out")" = "$n" ]
	for ((r = 0; r < n; r++)); do
		line=$(grep "^task $r " "$out")
		check "$name: task $r is in container rank$r" \
			grep -q "^task $r .* container rank$r " <<<"$line"
	done
	nsset=$(awk '/^task / {print $10}' "$out" | sort -u | wc -l)
	check "$name: $n distinct network namespaces" [ "$nsset" = "$n" ]
	check "$name: no task in its node's own namespace" \
		[ -z "$(awk '/^task / && $10 == $14 {print}' "$out")" ]
	addrset=$(awk '/^task / {print $12}' "$out" | grep -c '^10\.78\.0\.[0-9]*/16$')
	check "$name: $n automatic addresses in 10.78.0.0/16" [ "$addrset" = "$n" ]
	check "$name: $n distinct addresses" \
		[ "$(awk '/^task / {print $12}' "$out" | sort -u | wc -l)" = "$n" ]
	check "$name: rank 0 reaches the last address (10.78.0.$n) over the overlay" \
		contains "$out" ping-last-ok
	[ $CHECK_FAILED = 0 ] || cat "$out" "$out.err" >&2
}

shape_case n1n1 1 -N1 -n1
shape_case n1n4 4 -N1 -n4
shape_case n2n3 3 -N2 -n3
shape_case n3n7 7 -N3 -n7
shape_case n3n6cyclic 6 -N3 -n6 --distribution=cyclic
# cyclic really is cyclic: rank 1 on node 1, rank 3 back on node 0
check "n3n6cyclic: rank 1 ran on node 1" grep -q "^task 1 node 1 " "$W/out/shape-n3n6cyclic"
check "n3n6cyclic: rank 3 ran on node 0" grep -q "^task 3 node 0 " "$W/out/shape-n3n6cyclic"

# Parameters on the command line and in the environment.
out=$W/out/shape-define
cl_user srun -N2 -n2 --opentop="$tasks" --opentop-define=NET=79 sh -c "$probe" >"$out" 2>&1
check "--opentop-define=NET=79: addresses from 10.79.0.0/16" \
	[ "$(grep -c 'addr 10\.79\.0\.[12]/16' "$out")" = 2 ]
out=$W/out/shape-define-env
cl_user env SLURM_OPENTOP_DEFINE=NET=80 srun -N2 -n2 --opentop="$tasks" sh -c "$probe" >"$out" 2>&1
check "SLURM_OPENTOP_DEFINE=NET=80: addresses from 10.80.0.0/16" \
	[ "$(grep -c 'addr 10\.80\.0\.[12]/16' "$out")" = 2 ]
out=$W/out/shape-topology-env
cl_user env SLURM_OPENTOP_TOPOLOGY="$tasks" SLURM_OPENTOP_DEFINE=NET=81 srun -N1 -n2 -O sh -c "$probe" >"$out" 2>&1
check "SLURM_OPENTOP_TOPOLOGY without --opentop: tasks in containers rank0, rank1" \
	[ "$(grep -c 'container rank[01] .* addr 10\.81\.0\.[12]/16' "$out")" = 2 ]
out=$W/out/shape-define-both
cl_user env SLURM_OPENTOP_DEFINE=NET=80 srun -N1 -n1 --opentop="$tasks" --opentop-define=NET=82 \
	sh -c "$probe" >"$out" 2>&1
check "the command line wins over the environment (10.82.0.1)" contains "$out" "addr 10.82.0.1/16"
[ $CHECK_FAILED = 0 ] || cat "$W"/out/shape-define* "$W/out/shape-topology-env" >&2

# Refusals: before allocation where the shape does not matter ...
before_alloc=$(allocations)
out=$W/out/shape-bad-name
cl_user srun -N1 --opentop="$tasks" --opentop-define=NETT=1 true >"$out" 2>&1
rc=$?
check "--opentop-define=NETT=1 fails (exit $rc)" [ $rc != 0 ]
check "... naming the param the topology lacks, with a suggestion" \
	grep -q "the topology has no param 'NETT'" "$out"
out=$W/out/shape-bad-value
cl_user srun -N1 --opentop="$tasks" --opentop-define=NET=x true >"$out" 2>&1
rc=$?
check "--opentop-define=NET=x fails (exit $rc)" [ $rc != 0 ]
check "... the value is not an integer" grep -q "NET: the value is not an integer" "$out"
out=$W/out/shape-bad-nodes
cl_user srun -N1 --opentop="$tasks" --opentop-define=NODES=4 true >"$out" 2>&1
rc=$?
check "--opentop-define=NODES=4 fails: the step sets NODES (exit $rc)" [ $rc != 0 ] && grep -q "use srun -N" "$out"
check "... nothing was allocated" [ "$(allocations)" = "$before_alloc" ]
[ $CHECK_FAILED = 0 ] || cat "$W"/out/shape-bad-* >&2

# ... and, for a topology that needs 4 nodes on a step of 2, after the
# allocation but before any node builds anything.
four=$(topo - otsl-four.otp <<'EOF'
topology otsl_four
network lan { subnet 10.83.0.0/24 }
for k in 0..3 {
    container c{k} on node[k] { iface eth0 on lan address auto }
}
EOF
)
out=$W/out/shape-bad-fit
cl_user srun -N2 --opentop="$four" sh -c 'echo ran-$SLURM_PROCID' >"$out" 2>&1
rc=$?
check "a 4-node topology on srun -N2 fails (exit $rc)" [ $rc != 0 ]
check "... with file:line:col and the numbers" \
	grep -q "otsl-four.otp:4:[0-9]*: error: the topology needs 4 nodes, the allocation has 2" "$out"
check "... and no task ran" [ -z "$(grep ran- "$out")" ]
check "... and no namespace of the topology exists" [ -z "$(ls /run/netns | grep '^otsl_four')" ]
[ $CHECK_FAILED = 0 ] || cat "$out" >&2

# The topology travels with the job: removed right after sbatch returned,
# the job's steps still build it (no file read on the nodes). The file is
# padded with empty lines to exactly max_file (the default 64 KiB): each
# newline travels as 3 bytes (%0A), so the bytes need 2 environment
# variables of at most 96 KiB (SLURM_OPENTOP_TEXT, _1), which the nodes
# and the job's own srun join.
gone=$(sed 's/^topology otsl_tasks/topology otsl_gone/' "$tasks" | topo - otsl-gone.otp)
head -c $((65536 - $(stat -c %s "$gone"))) /dev/zero | tr '\0' '\n' >>"$gone"
out=$W/out/shape-gone
rm -f "$out"
cl_user sbatch -N2 -n3 -O -o "$out" --opentop="$gone" --wrap "
	sleep 2
	srun -l sh -c 'echo \"step \$OPENTOP_CONTAINER \$(ip -o -4 addr show eth0 | awk \"{print \\\$4}\")\"; env | grep -c ^SLURM_OPENTOP_TEXT | sed s/^/task-text-vars-/'
	env | grep -o '^SLURM_OPENTOP_TEXT[_0-9]*=' | tr -d = | LC_ALL=C sort | xargs echo batch-vars
	echo batch-done" >"$W/out/shape-gone.submit" 2>&1
rc=$?
rm -f "$gone"
check "sbatch --opentop=otsl-gone.otp (65536 bytes, the bound) accepted (exit $rc), then the file removed" [ $rc = 0 ] && [ ! -e "$gone" ]
for ((t = 0; t < 300; t++)); do
	contains "$out" batch-done 2>/dev/null && break
	sleep 0.1
done
wait_queue_empty 10 || true
check "the step ran in its containers without the file (3 tasks)" \
	[ "$(grep -c 'step rank[012] 10\.78\.0\.[123]/16' "$out")" = 3 ]
check "... the bytes came in 2 variables" grep -q "^batch-vars SLURM_OPENTOP_TEXT SLURM_OPENTOP_TEXT_1$" "$out"
check "... which the tasks do not see" [ "$(grep -c 'task-text-vars-0$' "$out")" = 3 ]
[ $CHECK_FAILED = 0 ] || cat "$out" "$W/out/shape-gone.submit" >&2
