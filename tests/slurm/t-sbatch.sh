# t-sbatch.sh - sbatch --opentop with inner srun steps (sourced by
# tests/slurm/run).
#
# The batch script itself stays in the node's namespace (it must reach
# slurmctld to launch its steps); each inner srun step inherits --opentop
# from sbatch and gets a network of its own (instance ...j<job>s<step>);
# two steps running at the same time in the same job get different
# instances.

pair=$(topo pair.otp)
out=$W/out/sbatch
rm -f "$out"
before_alloc=$(allocations)
cl_user sbatch -N2 -o "$out" --opentop="$pair" --wrap '
	echo "batch $(ip -o -4 addr show | awk "{print \$4}" | grep -c "^192.0.2.")"
	srun -l sh -c "echo step0 \$OPENTOP_INSTANCE \$(ip -o -4 addr show eth0 | awk \"{print \\\$4}\")"
	srun -l sh -c "echo step1 \$OPENTOP_INSTANCE; [ \$SLURM_PROCID = 0 ] && ping -c 2 -W 2 10.77.0.2 >/dev/null && echo step1-ping-ok; sleep 1"
	srun --overlap -l sh -c "echo stepA \$OPENTOP_INSTANCE; sleep 2" &
	srun --overlap -l sh -c "echo stepB \$OPENTOP_INSTANCE; sleep 2" &
	wait
	echo batch-done' >"$W/out/sbatch.submit" 2>&1
rc=$?
check "sbatch --opentop (as nobody) is accepted" [ $rc = 0 ]
jobid=$(awk '/Submitted batch job/ {print $4}' "$W/out/sbatch.submit")
for ((t = 0; t < 300; t++)); do
	contains "$out" batch-done 2>/dev/null && break
	sleep 0.1
done
wait_queue_empty 10 || true
check "the batch script ran to the end" contains "$out" batch-done
check "the batch script stays in the node's namespace (underlay address)" contains "$out" "batch 1"
check "step 0 runs in instance otsl_pair.j${jobid}s0" contains "$out" "0: step0 otsl_pair.j${jobid}s0 10.77.0.1/24"
check "step 0, task 1: container b's address" contains "$out" "1: step0 otsl_pair.j${jobid}s0 10.77.0.2/24"
check "step 1 gets its own instance ...s1" contains "$out" "0: step1 otsl_pair.j${jobid}s1"
check "step 1's containers reach each other" contains "$out" "0: step1-ping-ok"
a=$(sed -n 's/^0: stepA //p' "$out")
b=$(sed -n 's/^0: stepB //p' "$out")
# one command for check: `check ... [ a ] && [ b ]` would check only a
own_instances() { [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; }
check "two concurrent steps of the job have instances of their own ($a, $b)" own_instances
check "sbatch allocated once" [ $(($(allocations) - before_alloc)) = 1 ]
[ $CHECK_FAILED = 0 ] || cat "$out" "$W/out/sbatch.submit" >&2

# A bad topology fails sbatch itself: nothing is queued.
bad=$(topo - otsl-bad.otp <<'EOF'
topology otsl_bad
network lan { subnet 10.1.0.0/24 }
container a on node0 { iface eth0 on lann address 10.1.0.1/24 }
EOF
)
before_alloc=$(allocations)
out=$W/out/sbatch-bad
cl_user sbatch -N1 --opentop="$bad" --wrap true >"$out" 2>&1
rc=$?
check "sbatch with a bad topology fails (exit $rc)" [ $rc != 0 ]
check "... with the compiler's file:line:col" grep -q "otsl-bad.otp:3:[0-9]*: error: " "$out"
check "... and nothing was submitted" [ "$(allocations)" = "$before_alloc" ]
[ $CHECK_FAILED = 0 ] || cat "$out" >&2

# salloc --opentop: the steps inside the allocation inherit it.
out=$W/out/salloc
cl_user salloc -N2 --opentop="$pair" srun -l sh -c 'echo "in $OPENTOP_CONTAINER $OPENTOP_INSTANCE"' >"$out" 2>&1
check "salloc --opentop: step 0 runs in the containers" \
	[ "$(grep -c '^[01]: in [ab] otsl_pair\.j[0-9]*s0$' "$out")" = 2 ]
[ $CHECK_FAILED = 0 ] || cat "$out" >&2
