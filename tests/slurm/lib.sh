# tests/slurm/lib.sh - helpers of the Slurm suites (sourced by tests/slurm/run
# and by bench/slurm). Expects: CL (cluster name), B (build directory), TOP
# (source tree), W (a work directory on the shared file system, readable by
# the job users), and the variables of `tests/slurm/cluster env $CL`.

# shellcheck source=tests/lib/wait.sh
. "$TOP/tests/lib/wait.sh"

NOBODY_UID=65534
NOBODY_GID=65534

# Run a client command on the login host (ctl), as root.
cl() {
	"$TOP/tests/slurm/cluster" run "$CL" "$@"
}

# The same as the unprivileged user nobody (the usual job user).
# Run from $W: the checkout may sit in a directory the job user cannot
# enter (mktemp -d makes 0700), and slurmstepd would report the chdir.
cl_user() {
	(cd "$W" && "$TOP/tests/slurm/cluster" run "$CL" setpriv --reuid=$NOBODY_UID \
		--regid=$NOBODY_GID --clear-groups "$@")
}

# A topology file readable by the job user: copy $TOP/tests/slurm/topo/F
# (or write stdin when F is "-" and a name is given) into $W.
topo() {
	local f=$1
	if [ "$f" = - ]; then
		cat >"$W/$2"
		f=$2
	else
		cp "$TOP/tests/slurm/topo/$f" "$W/$f"
	fi
	chmod 0644 "$W/$f"
	echo "$W/$f"
}

# Write plugstack.conf: the plugin ($PLUGIN, else $B/spank/opentop.so) with
# the given arguments.
plugstack() {
	echo "required ${PLUGIN:-$B/spank/opentop.so} $*" >"$SLURM_PLUGSTACK"
}

# The bounds every functional suite runs with.
TEST_BOUNDS="vni=5000000-5999999 vni_block=16 addrs=10.0.0.0/8,fd00::/8 max_containers=8 \
max_ifaces=16 isolate=net,uts,ipc sysctls=no read_timeout=5"

# ------------------------------------------------------------ host state

# The state of every node, with tests/lib/hoststate: each node's namespace
# (links, addresses, routes, permanent neighbours, nft, net sysctls) plus
# the machine-wide things our instances may name, filtered by the prefix
# "otsl_" (every test topology is called otsl_*, so other helpers' objects
# never show up): /run/netns, /run/opentop, cgroups, mounts, processes in
# our namespaces; and the plugin's owner records. Written to FILE.
snapshot() {
	local out=$1 h
	{
		for h in $SLURM_NODES; do
			echo "=== node $h"
			# Open MPI's traffic to 0.0.0.0 leaves a NOARP cache entry on the
			# node's lo (with or without OpenTop): the kernel's, not ours.
			"$TOP/tests/lib/hoststate" snapshot --ns "${SIM_NS_PREFIX}$h" --prefix otsl_ |
				grep -v $'^0\.0\.0\.0\tlo\t'
		done
		echo "=== owner records"
		ls -A /run/opentop/slurm 2>/dev/null | grep '^otsl_' | sort || true
	} >"$out"
}

# The nodes' own IPv6 link-local addresses finish DAD a moment after the
# cluster is up (their local routes appear then): wait for that before a
# first snapshot, so kernel churn is never mistaken for a leak.
wait_settled() {
	local h t
	for ((t = 0; t < 50; t++)); do
		for h in $SLURM_NODES; do
			if [ -n "$(ip -n "${SIM_NS_PREFIX}$h" -6 addr show tentative 2>/dev/null)" ]; then
				sleep 0.1
				continue 2
			fi
		done
		return 0
	done
}

# Wait (<= 10 s) until the host state equals snapshot FILE; on timeout
# print the diff and fail. Teardown is partly asynchronous in the kernel.
same_state() {
	local want=$1 now t
	now=$(mktemp "$W/state.XXXXXX")
	for ((t = 0; t < 100; t++)); do
		snapshot "$now"
		if cmp -s "$want" "$now"; then
			rm -f "$now"
			return 0
		fi
		sleep 0.1
	done
	echo "host state differs from before:" >&2
	diff -u "$want" "$now" >&2 || true
	rm -f "$now"
	return 1
}

# ------------------------------------------------------------ reporting
# pass, fail, check, skip: tests/lib/check.sh (sourced by tests/slurm/run).

# contains FILE TEXT: FILE has TEXT as a fixed string.
contains() {
	grep -qF -- "$2" "$1"
}

# Number of allocations slurmctld made so far (a refusal on the submit side
# must not allocate).
allocations() {
	grep -c '_slurm_rpc_allocate_resources\|_slurm_rpc_submit_batch_job' \
		"$SLURM_DIR/ctl/slurmctld.log" || true
}

# ------------------------------------------------------------ MPI

# What mpi_pingpong sends in bulk by default (rank 0 to the last rank).
BULK=$((4 << 20))

# mpi_check LABEL OUT NRANKS SUBNET: parse mpi_pingpong's report (rank r
# on node n<r+1>, alone in its container with eth0 SUBNET.<r+1>; the bulk
# transfer carried by those interfaces).
mpi_check() {
	local label=$1 out=$2 n=$3 net=$4 r last=$(($3 - 1)) line tx rx
	check "$label: the ring visited all $n ranks" contains "$out" "ring ranks=$n sum=$((n * (n - 1) / 2)) ok"
	for ((r = 0; r < n; r++)); do
		line=$(grep "^rank $r host " "$out")
		# exactly one interface: the container's eth0 with its overlay address
		if [[ "$line" =~ ^rank\ $r\ host\ n$((r + 1))\ container\ [a-z0-9]+\ iface\ eth0\ ${net//./\\.}\.$((r + 1))\ tx=([0-9]+)\ rx=([0-9]+)$ ]]; then
			tx=${BASH_REMATCH[1]}
			rx=${BASH_REMATCH[2]}
			pass "$label: rank $r on n$((r + 1)) sees only eth0 $net.$((r + 1))"
			if [ $r = 0 ]; then
				check "$label: rank 0's 4 MiB left through the overlay ($tx bytes sent)" [ "$tx" -ge $BULK ]
			elif [ $r = $last ]; then
				check "$label: rank $r received them on the overlay ($rx bytes)" [ "$rx" -ge $BULK ]
			fi
		else
			fail "$label: rank $r report: '$line'"
		fi
	done
	check "$label: round trips measured" grep -q '^rtt_us size=8 ' "$out"
}

# Wait until no job is left in the queue (<= $1 s).
queue_empty() { [ -z "$(cl squeue -h -o %i)" ]; }
wait_queue_empty() {
	wait_until "${1:-30}" queue_empty
}

# Wait until /run/netns has N entries matching PATTERN (<= 20 s).
netns_count_at_least() { [ "$(find /run/netns -maxdepth 1 -name "$1" | wc -l)" -ge "$2" ]; }
wait_netns() {
	wait_until 20 netns_count_at_least "$1" "$2"
}

# The hostname of simulated node HOST (its UTS namespace, as its slurmd sees it).
tests_node_hostname() {
	"$TOP/tests/slurm/cluster" exec "$CL" "$1" hostname
}
