# t-hostile.sh - the bounds refuse hostile topologies (sourced by
# tests/slurm/run).
#
# Every tests/slurm/hostile/*.otp starts with "# expect: TEXT": srun -N2
# --opentop=FILE (as nobody) must fail, print TEXT, allocate nothing (the
# refusal happens in srun, before the allocation: only a node-count
# mismatch is found after it, and still before anything is launched), and
# leave the nodes untouched. Then hostile paths: what root could read but
# the user cannot, devices, FIFOs, files too large.

snap=$W/hostile-snap
snapshot "$snap"
n=0
for f in "$TOP"/tests/slurm/hostile/*.otp; do
	name=$(basename "$f")
	want=$(sed -n 's/^# expect: //p' "$f" | head -1)
	path=$W/$name
	cp "$f" "$path"
	chmod 0644 "$path"
	out=$W/out/hostile-$name
	before_alloc=$(allocations)
	t0=$SECONDS
	cl_user srun -N2 --opentop="$path" true >"$out" 2>&1
	rc=$?
	secs=$((SECONDS - t0))
	after_alloc=$(allocations)
	allocs=$((after_alloc - before_alloc))
	ok=1
	[ $rc != 0 ] || ok=0
	contains "$out" "$want" || ok=0
	case $name in
	*node-count*) [ $allocs -le 1 ] || ok=0 ;;
	*million*) [ $allocs = 0 ] && [ $secs -le 5 ] || ok=0 ;;
	*) [ $allocs = 0 ] || ok=0 ;;
	esac
	if [ $ok = 1 ]; then
		pass "hostile $name refused: $want"
	else
		fail "hostile $name: exit $rc, $allocs allocation(s), ${secs}s, wanted '$want'"
		sed 's/^/      /' "$out" >&2
	fi
	n=$((n + 1))
done
check "at least 15 hostile topologies ($n)" [ $n -ge 15 ]
check "nothing was built for any of them" same_state "$snap"

# Hostile paths. Root may read /etc/shadow; the job user may not, and the
# plugin reads as the job user.
hp() {	# hp DESCRIPTION PATH EXPECTED
	local out=$W/out/hostile-path
	cl_user srun -N2 --opentop="$2" true >"$out" 2>&1
	local rc=$?
	if [ $rc != 0 ] && contains "$out" "$3"; then
		pass "path: $1"
	else
		fail "path: $1 (exit $rc, wanted '$3')"
		sed 's/^/      /' "$out" >&2
	fi
}
mkfifo -m 0666 "$W/fifo.otp"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$W/big.otp"
head -c 65537 "$W/big.otp" >"$W/over.otp"
chmod 0644 "$W/big.otp" "$W/over.otp"
hp "a file only root can read" /etc/shadow "cannot read topology '/etc/shadow': Permission denied"
hp "a device" /dev/zero "topology '/dev/zero' is not a regular file"
hp "a FIFO (must not block)" "$W/fifo.otp" "is not a regular file"
hp "a file over max_file" "$W/big.otp" "is 2097152 bytes, larger than the bound of 65536 bytes (plugstack.conf: max_file)"
hp "a file one byte over max_file" "$W/over.otp" "is 65537 bytes, larger than the bound of 65536 bytes (plugstack.conf: max_file)"
hp "a missing file" "$W/nonexistent.otp" "No such file or directory"
hp "an empty value" "" "--opentop"
check "hostile paths built nothing" same_state "$snap"

# A broken plugstack.conf is refused loudly (never half-applied).
plugstack "$TEST_BOUNDS max_containerz=4"
out=$W/out/hostile-plugstack
cl_user srun -N1 true >"$out" 2>&1
rc=$?
check "a plugstack.conf typo fails srun (exit $rc)" [ $rc != 0 ]
check "... naming the argument and the fix" contains "$out" "unknown option 'max_containerz' (did you mean 'max_containers'?)"
plugstack "$TEST_BOUNDS"
