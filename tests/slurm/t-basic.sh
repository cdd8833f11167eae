# t-basic.sh - tasks see exactly their container (sourced by tests/slurm/run).
#
# srun -N2 --opentop=pair.otp, as the unprivileged user nobody: on each
# node the task's network namespace holds exactly lo and the container's
# eth0 with its address (netlink and /sys agree), OPENTOP_* tell it where
# it is, the two containers reach each other over the overlay and do not
# reach the underlay; the batch of checks is repeated with two containers
# per node (bridge) and with explicit rank mapping.

pair=$(topo pair.otp)

# What a task reports about itself.
probe='echo "task $SLURM_PROCID host $(hostname) container $OPENTOP_CONTAINER"
ip -o -4 addr show | awk "{print \"task $SLURM_PROCID addr\", \$2, \$4}"
echo "task $SLURM_PROCID sys" $(ls /sys/class/net)
echo "task $SLURM_PROCID links" $(ip -o link show | awk -F": " "{print \$2}" | sed "s/@.*//")'

out=$W/out/basic-pair
cl_user srun -N2 --opentop="$pair" sh -c "$probe" >"$out" 2>"$out.err"
rc=$?
check "srun -N2 --opentop=pair.otp (as nobody) exits 0" [ $rc = 0 ]
check "task 0 is in container a on n1" contains "$out" "task 0 host n1 container a"
check "task 1 is in container b on n2" contains "$out" "task 1 host n2 container b"
check "task 0 sees lo and 10.77.0.1/24 on eth0 only" \
	[ "$(grep '^task 0 addr' "$out" | sort | tr '\n' ' ')" = "task 0 addr eth0 10.77.0.1/24 task 0 addr lo 127.0.0.1/8 " ]
check "task 1 sees lo and 10.77.0.2/24 on eth0 only" \
	[ "$(grep '^task 1 addr' "$out" | sort | tr '\n' ' ')" = "task 1 addr eth0 10.77.0.2/24 task 1 addr lo 127.0.0.1/8 " ]
check "task 0: netlink lists exactly lo, eth0" contains "$out" "task 0 links lo eth0"
check "task 1: /sys/class/net lists exactly eth0, lo (fresh sysfs)" contains "$out" "task 1 sys eth0 lo"
[ $CHECK_FAILED = 0 ] || { cat "$out" "$out.err" >&2; }

# Reachability over the overlay, not over the underlay.
out=$W/out/basic-ping
cl_user srun -N2 -l --opentop="$pair" sh -c '
	if [ "$SLURM_PROCID" = 0 ]; then
		ping -c 3 -i 0.2 -W 2 10.77.0.2 >/dev/null && echo overlay-ok
		ping -c 1 -W 1 192.0.2.12 >/dev/null 2>&1 || echo underlay-unreachable
	else
		sleep 3
	fi' >"$out" 2>&1
check "container a pings container b across nodes (VXLAN)" contains "$out" "0: overlay-ok"
check "container a cannot reach the underlay (node n2's address)" contains "$out" "0: underlay-unreachable"

# Two containers per node: bridge + VXLAN; default mapping (local task l ->
# container l of the node).
quad=$(topo quad.otp)
out=$W/out/basic-quad
cl_user srun -N2 -n4 -l --opentop="$quad" sh -c '
	echo "$OPENTOP_CONTAINER $(ip -o -4 addr show eth0 | awk "{print \$4}")"
	# Each node builds its share on its own: give the other node time.
	sleep 2
	for a in 10.79.0.1 10.79.0.2 10.79.0.3 10.79.0.4; do
		ping -c 2 -i 0.3 -W 2 $a >/dev/null && echo "reach $a"
	done
	sleep 2' >"$out" 2>&1
check "quad: 4 tasks, 4 containers (c0..c3 with their addresses)" \
	[ "$(grep -c ': c[0-3] 10.79.0.[1-4]/24' "$out")" = 4 ]
check "quad: every container reaches all four (16 replies)" [ "$(grep -c ': reach ' "$out")" = 16 ]
check "quad: task 1 is container c1" contains "$out" "1: c1 10.79.0.2/24"

# Explicit ranks: two tasks share a container.
ranks=$(topo ranks.otp)
out=$W/out/basic-ranks
cl_user srun -N2 -n4 -l --opentop="$ranks" sh -c 'echo "in $OPENTOP_CONTAINER $(ip -o -4 addr show eth0 | awk "{print \$4}")"' >"$out" 2>&1
check "ranks: 0,1 in x and 2,3 in y" \
	[ "$(sort "$out" | tr '\n' ' ')" = "0: in x 10.80.0.1/24 1: in x 10.80.0.1/24 2: in y 10.80.0.2/24 3: in y 10.80.0.2/24 " ]

# More tasks than containers on a node: a clear error, exit status 1.
out=$W/out/basic-toomany
cl_user srun -N2 -n4 --opentop="$pair" true >"$out" 2>&1
rc=$?
check "more tasks than containers fails (exit $rc)" [ $rc != 0 ]
check "... saying which task and how to fix it" contains "$out" "which has only 1 container: start at most 1 task per node"

# Without --opentop the plugin does nothing: the node's own namespace.
out=$W/out/basic-plain
cl_user srun -N2 -l sh -c 'ip -o -4 addr show | awk "{print \$4}"' >"$out" 2>&1
check "without --opentop tasks stay in the node's namespace" contains "$out" "0: 192.0.2.11/24"

# The isolation a container asks for: its own hostname (UTS) and IPC
# namespace; the node's are untouched.
uts=$(topo uts.otp)
out=$W/out/basic-uts
cl_user srun -N2 -l --opentop="$uts" sh -c 'echo "host $(hostname) ipc $(readlink /proc/self/ns/ipc)"' >"$out" 2>&1
check "isolate uts: task 0 runs with hostname 'web', task 1 with 'db'" \
	[ "$(grep -c '^0: host web \|^1: host db ' "$out")" = 2 ]
ipc_node=$(readlink /proc/self/ns/ipc)  # the nodes share the harness's
own_ipc() {	# web's IPC namespace is not the node's; db (no ipc) has the node's
	grep -q '^0: host web ipc ipc:' "$out" && ! grep -qF "0: host web ipc $ipc_node" "$out" &&
		grep -qF "1: host db ipc $ipc_node" "$out"
}
check "isolate ipc: container web has an IPC namespace of its own, db (no ipc) the node's" own_ipc
check "the nodes keep their hostnames" [ "$(tests_node_hostname n1)" = n1 ]
[ $CHECK_FAILED = 0 ] || cat "$out" >&2

# Who made it: while a step runs, `otnode list` on the node names the
# job's user and uid (not slurmstepd's root) and the job and step.
out=$W/out/basic-list
cl_user srun -N2 --opentop="$pair" sleep 5 >"$out.srun" 2>&1 &
lpid=$!
listed_by_job() {
	"$B/otnode" list --json --all >"$out" 2>&1 &&
		[ "$(jq --argjson u "$NOBODY_UID" '[.instances[] | select(.topology == "otsl_pair" and
			.by == "nobody" and .uid == $u and (.job | test("^[0-9]+\\.[0-9]+$")))] | length' "$out")" = 2 ]
}
check "otnode list: both nodes' instances name nobody, uid $NOBODY_UID, job.step" wait_until 20 listed_by_job
wait "$lpid"
check "... and the step ends well" [ $? = 0 ]
[ $CHECK_FAILED = 0 ] || cat "$out" "$out.srun" >&2
