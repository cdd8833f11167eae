# t-storage.sh - storage under Slurm (sourced by tests/slurm/run).
#
# With the plugin's defaults (binds=none root=no, and no mount isolation)
# a bind mount and a root directory are refused at submission, at their
# line. With isolate=...,mount binds=$W/storage/shared root=yes: a task
# (as nobody) sees the allowed directory bound read-only at /data, its
# private /tmp and a sized tmpfs, and not the node's /tmp; a bind outside
# the allowed path is still refused, and one through a symbolic link
# under it is refused by the node; then a task runs inside a root tree
# built from busybox-static. The nodes' state is unchanged afterwards
# (tests/slurm/run: mounts included).
#
# An intermittent EINVAL binding the mount namespace file (2 of 3 runs,
# before any storage operation) was the kernel's mount namespace loop check
# against per-CPU namespace ids, with slurmd in a mount namespace of its own
# (src/exec/ns.c, mntns_newer; docs/test-cluster.md).

S=$W/storage
mkdir -p "$S/shared" "$S/root"/{bin,proc,sys,dev,tmp,data,etc}
echo "shared file" >"$S/shared/hello"
ln -s /etc "$S/shared/etc-link"
chmod -R a+rX "$S"
BB=$(command -v busybox || true)

st_topo() { # NAME BODY...: a one-container topology on node0
	local name=$1
	shift
	{
		printf 'topology otsl_%s\ncontainer c on node0 {\n    isolate net mount\n' "$name"
		printf '%s\n' "$@"
		echo "}"
	} | topo - "$name.otp"
}

# ---- the defaults refuse ----
f=$(st_topo stdef "    mount bind $S/shared to /data ro" "    root $S/root")
out=$W/out/storage-default
cl_user srun -N1 --opentop="$f" true >"$out" 2>&1 && fail "storage: defaults accepted a bind mount" ||
	pass "storage: the defaults refuse the topology"
check "... a bind mount (binds=none)" contains "$out" "bind mount of '$S/shared' in 'c' is not allowed here"
check "... a root directory (root=no)" contains "$out" "a root directory for 'c' is not allowed here"
check "... and mount isolation (isolate=net,uts,ipc)" contains "$out" "isolation 'mount' is not allowed here"

# ---- allowed ----
plugstack "${TEST_BOUNDS/isolate=net,uts,ipc/isolate=net,uts,ipc,mount} binds=$S/shared root=yes"
f=$(st_topo stok "    mount bind $S/shared to /mnt ro" "    mount tmpfs /media size 2M" \
	"    tmp private size 1M")
out=$W/out/storage-ok
: >/tmp/otsl-storage-host-tmp-marker
cl_user srun -N1 --opentop="$f" sh -c '
	cat /mnt/hello
	touch /mnt/x 2>/dev/null && echo mnt-writable || echo mnt-readonly
	grep " /media " /proc/self/mountinfo | grep -o "tmpfs.*size=[0-9a-z]*"
	grep " /tmp " /proc/self/mountinfo | grep -o "tmpfs.*size=[0-9a-z]*"
	ls /tmp/otsl-storage-host-tmp-marker 2>/dev/null || echo no-host-tmp
	echo data > /tmp/mine && cat /tmp/mine' >"$out" 2>&1
rc=$?
rm -f /tmp/otsl-storage-host-tmp-marker
check "storage: srun with a bind, a tmpfs and a private /tmp exits 0" [ $rc = 0 ]
check "... the task reads the allowed directory at /mnt" contains "$out" "shared file"
check "... read-only" contains "$out" "mnt-readonly"
check "... /media is a 2M tmpfs" contains "$out" "size=2048k"
check "... /tmp is a private 1M tmpfs" contains "$out" "size=1024k"
check "... without the node's /tmp files" contains "$out" "no-host-tmp"
check "... and writable by the task" contains "$out" "data"
[ $rc = 0 ] || cat "$out" >&2

f=$(st_topo stout "    mount bind /etc to /mnt ro")
out=$W/out/storage-outside
cl_user srun -N1 --opentop="$f" true >"$out" 2>&1 && fail "storage: a bind of /etc was accepted" ||
	check "storage: a bind outside binds= is refused at submission" \
		contains "$out" "bind source '/etc' of 'c' is outside the paths the administrator allows"
f=$(st_topo stlink "    mount bind $S/shared/etc-link to /mnt ro")
out=$W/out/storage-link
cl_user srun -N1 --opentop="$f" cat /mnt/passwd >"$out" 2>&1 && fail "storage: a bind through a link was accepted" ||
	check "storage: a bind through a symbolic link under binds= is refused by the node" \
		contains "$out" "a symbolic link on its path"

# ---- a root directory (busybox) ----
if [ -n "$BB" ] && file -L "$BB" | grep -q "statically linked"; then
	cp "$BB" "$S/root/bin/busybox"
	for c in sh ls cat id; do ln -sf busybox "$S/root/bin/$c"; done
	cp /etc/passwd /etc/group "$S/root/etc/"
	chmod -R a+rX "$S/root"
	f=$(st_topo stroot "    root $S/root ro" "    mount bind $S/shared to /data ro" \
		"    tmp private size 1M")
	out=$W/out/storage-root
	cl_user srun -N1 --chdir=/ --opentop="$f" /bin/sh -c 'echo $(ls /); cat /data/hello; id -u' >"$out" 2>&1
	rc=$?
	check "storage: a task inside a busybox root exits 0" [ $rc = 0 ]
	check "... sees the tree" contains "$out" "bin data dev etc proc sys tmp"
	check "... and the bind inside it" contains "$out" "shared file"
	check "... as nobody" contains "$out" "$NOBODY_UID"
	[ $rc = 0 ] || cat "$out" >&2
else
	skip "storage: no static busybox (busybox-static) for the root tree"
fi
plugstack "$TEST_BOUNDS"
