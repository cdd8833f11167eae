# t-teardown.sh - nothing is left behind (sourced by tests/slurm/run): a
# step that ends, a job that is cancelled, a task that crashes, a step whose
# container cannot be entered, and a slurmstepd that is SIGKILLed (its
# instance is reclaimed by the next OpenTop step on the node). Every case
# is checked against a snapshot of the nodes taken before it.

pair=$(topo pair.otp)
snap=$W/teardown-snap
snapshot "$snap"

# Normal end.
cl_user srun -N2 --opentop="$pair" true >/dev/null 2>&1
check "a finished step leaves nothing" same_state "$snap"

# Cancelled while running.
out=$W/out/td-cancel
cl_user srun -N2 --opentop="$pair" sleep 60 >"$out" 2>&1 &
pid=$!
wait_netns 'otsl_pair.j*' 2
check "the running step has its containers" [ "$(ls /run/netns | grep -c '^otsl_pair\.j')" = 2 ]
job=$(cl squeue -h -o %i | head -1)
cl scancel "$job"
wait_pid 60 $pid
check "a cancelled job leaves nothing on any node" same_state "$snap"

# A task that crashes (SIGSEGV), the other one still running.
out=$W/out/td-crash
cl_user srun -N2 --opentop="$pair" sh -c '[ "$SLURM_PROCID" = 1 ] && kill -SEGV $$; sleep 20' >"$out" 2>&1
rc=$?
check "a crashing task fails the step (exit $rc)" [ $rc != 0 ]
check "a crashed task leaves nothing on any node" same_state "$snap"

# A node-side failure after compile: the step fails with the reason, nothing stays.
bad=$(topo - otsl-mtu.otp <<'EOF'
topology otsl_mtu
network lan {
    subnet 10.1.0.0/24
    mtu 9000
}
container a on node0 { iface eth0 on lan address 10.1.0.1/24 }
container b on node1 { iface eth0 on lan address 10.1.0.2/24 }
EOF
)
out=$W/out/td-mtu
cl_user srun -N2 --opentop="$bad" true >"$out" 2>&1
rc=$?
check "an MTU the underlay cannot carry fails the step (exit $rc)" [ $rc != 0 ]
check "... with the node's reason on srun's stderr" grep -q "otsl-mtu.otp:4:[0-9]*: error: .*MTU" "$out"
check "... and nothing was built" same_state "$snap"
[ $CHECK_FAILED = 0 ] || cat "$out" >&2

# slurmstepd killed with SIGKILL: its tasks and containers are orphaned;
# the next OpenTop step on the node reclaims them.
out=$W/out/td-kill
cl_user srun -N2 --opentop="$pair" sleep 60 >"$out" 2>&1 &
pid=$!
wait_netns 'otsl_pair.j*' 2
job=$(cl squeue -h -o %i | head -1)
stepd=$(pgrep -f "^slurmstepd: \[$job\.0\]" | head -1)
n1ns=/run/netns/${SIM_NS_PREFIX}n1
for p in $(pgrep -f "^slurmstepd: \[$job\.0\]"); do
	[ /proc/$p/ns/net -ef "$n1ns" ] && stepd=$p
done
check "found the step's slurmstepd on n1 ($stepd)" [ -n "$stepd" ]
[ -n "$stepd" ] && kill -KILL "$stepd"
cl scancel "$job" >/dev/null 2>&1
wait_pid 60 $pid
wait_queue_empty 30 || true
orphans=$(ls /run/netns | grep -c "^otsl_pair\.j${job}s0\.node0")
check "after SIGKILL of slurmstepd, n1's container is orphaned ($orphans)" [ "$orphans" = 1 ]
out=$W/out/td-reclaim
cl_user srun -N2 --opentop="$pair" true >"$out" 2>&1
check "the next OpenTop step on n1 reclaims it" same_state "$snap"
grep -q "reclaimed 1 orphaned instance" "$SLURM_DIR/nodes/n1/slurmd.log" 2>/dev/null ||
	grep -rq "reclaimed 1 orphaned instance" "$SLURM_DIR/nodes/n1/" 2>/dev/null
check "... and says so in the node's log" [ $? = 0 ]
