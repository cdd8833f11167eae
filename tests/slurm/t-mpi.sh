# t-mpi.sh - MPI over the overlay (sourced by tests/slurm/run).
#
# Open MPI (srun --mpi=pmix, through the plugin's PMIx relay) on 2 and 3
# nodes, and MPICH (srun --mpi=pmi2, UCX over TCP, reading devices from the
# fresh /sys) on 2 nodes, one rank per node, each rank in its container.
# Proof that the messages crossed the overlay: every rank sees only its
# container's interface (with the topology's address), and that
# interface's byte counters carried the 4 MiB bulk transfer (rank 0 sent
# it, the last rank received it). MPI runs get a timeout; MPICH may hang
# in MPI_Finalize on a shared kernel (about 1 run in 15, with or without
# containers: docs/test-cluster.md), so a timed-out MPICH run is retried once.

# copies in $W: the job user may not enter the checkout (mktemp -d: 0700)
cp "$B/tests/slurm/mpi_pingpong.ompi" "$B/tests/slurm/mpi_pingpong.mpich" "$W/"
chmod 0755 "$W/mpi_pingpong.ompi" "$W/mpi_pingpong.mpich"
ompi=$W/mpi_pingpong.ompi
mpich=$W/mpi_pingpong.mpich
pair=$(topo pair.otp)
trio=$(topo trio.otp)

out=$W/out/mpi-ompi2
timeout 120 "$TOP/tests/slurm/cluster" run "$CL" setpriv --reuid=$NOBODY_UID --regid=$NOBODY_GID \
	--clear-groups srun -N2 --mpi=pmix --opentop="$pair" "$ompi" --iters 500 >"$out" 2>&1
check "Open MPI (pmix) over the overlay, 2 nodes: exit 0" [ $? = 0 ]
mpi_check "ompi -N2" "$out" 2 10.77.0
[ $CHECK_FAILED = 0 ] || cat "$out" >&2

out=$W/out/mpi-ompi3
timeout 120 "$TOP/tests/slurm/cluster" run "$CL" setpriv --reuid=$NOBODY_UID --regid=$NOBODY_GID \
	--clear-groups srun -N3 --mpi=pmix --opentop="$trio" "$ompi" --iters 500 >"$out" 2>&1
check "Open MPI (pmix) over the overlay, 3 nodes: exit 0" [ $? = 0 ]
mpi_check "ompi -N3" "$out" 3 10.78.0

out=$W/out/mpi-mpich2
for attempt in 1 2; do
	timeout 60 "$TOP/tests/slurm/cluster" run "$CL" setpriv --reuid=$NOBODY_UID \
		--regid=$NOBODY_GID --clear-groups env UCX_TLS=tcp \
		srun -N2 --mpi=pmi2 --opentop="$pair" "$mpich" --iters 500 >"$out" 2>&1
	rc=$?
	[ $rc = 124 ] || break
	echo "  note MPICH run $attempt timed out (known MPI_Finalize hang); retrying" >&2
	cl scancel -u nobody >/dev/null 2>&1
	wait_queue_empty 20 || true
done
check "MPICH (pmi2, UCX/tcp) over the overlay, 2 nodes: exit 0" [ $rc = 0 ]
mpi_check "mpich -N2" "$out" 2 10.77.0
[ $CHECK_FAILED = 0 ] || cat "$out" >&2

# Two ranks per node, each in its own container (bridge + VXLAN per node):
# the relay serves a listener in each container.
quad=$(topo quad.otp)
out=$W/out/mpi-ompi-quad
timeout 120 "$TOP/tests/slurm/cluster" run "$CL" setpriv --reuid=$NOBODY_UID --regid=$NOBODY_GID \
	--clear-groups srun -N2 -n4 --mpi=pmix --opentop="$quad" "$ompi" --iters 200 >"$out" 2>&1
check "Open MPI, 2 ranks per node in 4 containers: exit 0" [ $? = 0 ]
check "... the ring visited all 4 ranks" contains "$out" "ring ranks=4 sum=6 ok"
check "... each rank in its own container with only its address" \
	[ "$(grep -cE '^rank ([0-3]) host n[12] container c\1 iface eth0 10\.79\.0\.[1-4] tx=[0-9]+ rx=[0-9]+$' "$out")" = 4 ]
[ $CHECK_FAILED = 0 ] || cat "$out" >&2
