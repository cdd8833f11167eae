# t-caps.sh - a Slurm task entering a container gets its `capabilities`
# and `no_new_privs` (sourced by tests/slurm/run).
#
# srun -N2 --opentop=caps.otp as nobody: each task reads its own
# /proc/self/status. Task 0 (container a: drop net_raw sys_admin,
# no_new_privs) must show the node's bounding set without those two and
# NoNewPrivs 1; task 1 (container b: keep net_bind_service) a bounding set
# of net_bind_service alone and NoNewPrivs 0; both CapEff 0 (slurmstepd
# changed to the user, as without the plugin). pair.otp, without either
# statement, is the control: the node's full bounding set, NoNewPrivs 0.

caps=$(topo caps.otp)
pair=$(topo pair.otp)
probe='awk -v r=$SLURM_PROCID "/^(CapEff|CapBnd|NoNewPrivs):/ {print \"task\", r, \$1, \$2}" /proc/self/status'
host_bnd=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)
no_raw_admin=$(printf '%016x' $((16#$host_bnd & ~(1 << 13) & ~(1 << 21))))

out=$W/out/caps
cl_user srun -N2 --opentop="$caps" sh -c "$probe" >"$out" 2>"$out.err"
rc=$?
check "srun -N2 --opentop=caps.otp (as nobody) exits 0" [ $rc = 0 ]
check "task 0 (drop net_raw sys_admin): CapBnd $no_raw_admin" \
	contains "$out" "task 0 CapBnd: $no_raw_admin"
check "task 0: NoNewPrivs 1" contains "$out" "task 0 NoNewPrivs: 1"
check "task 0: CapEff 0 (the user's)" contains "$out" "task 0 CapEff: 0000000000000000"
check "task 1 (keep net_bind_service): CapBnd 0000000000000400" \
	contains "$out" "task 1 CapBnd: 0000000000000400"
check "task 1: NoNewPrivs 0" contains "$out" "task 1 NoNewPrivs: 0"
[ $CHECK_FAILED = 0 ] || { cat "$out" "$out.err" >&2; }

out=$W/out/caps-control
cl_user srun -N2 --opentop="$pair" sh -c "$probe" >"$out" 2>"$out.err"
check "control (pair.otp): task 0 CapBnd $host_bnd, NoNewPrivs 0" \
	contains "$out" "task 0 CapBnd: $host_bnd"
check "control (pair.otp): task 0 NoNewPrivs 0" contains "$out" "task 0 NoNewPrivs: 0"
