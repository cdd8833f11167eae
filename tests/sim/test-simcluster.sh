#!/bin/bash
# tests/sim/test-simcluster.sh - hosts/simcluster against the real kernel and
# real sshd: up 3 hosts, log in to each from the ctl netns with strict host
# key checking, refuse unknown/changed host keys and a wrong client key,
# per-host MTU, hosts file, spawn, rollback of a failed up, a foreign process
# blocking down, and down leaving nothing. Then the same with --no-ssh.
set -u
. "$(dirname "$0")/lib.sh"
need_root_tools ip nsenter unshare ssh ssh-keygen /usr/sbin/sshd ping

N=ots$$
NS=$N-nossh
FOREIGN=""
cleanup() {
	local rc=$? c out
	[ -z "$FOREIGN" ] || kill "$FOREIGN" 2>/dev/null
	for c in "$N" "$NS" "$N-fail" "$N-int"; do
		out=$("$SIM" down "$c" 2>&1) || { fail "cleanup: $out"; rc=1; }
	done
	rm -rf "/tmp/$N.tmp"
	check_exit $rc
}
trap cleanup EXIT
mkdir -p "/tmp/$N.tmp"
T=/tmp/$N.tmp
links_before=$(ip -o link | awk '{print $2}' | sort)

# --- up with sshd
t0=$EPOCHREALTIME
check "up 3 hosts with sshd, h2 at MTU 1400, IPv6 underlay too" \
	"$SIM" up "$N" --hosts 3 --mtu h2=1400 --subnet6 fd00:0:2::/64
echo "     (up took $(since "$t0") s)"
eval "$("$SIM" env "$N")"
[ "$SIM_DIR" = "/run/opentop-sim/$N" ] && pass "env: SIM_DIR" || fail "env: SIM_DIR=$SIM_DIR"
refuse "a second up of the same name is refused" "$SIM" up "$N" --hosts 1

ctl() { "$SIM" exec "$N" ctl -- "$@"; }
SSHO=(-F "$SIM_SSH_CONFIG" -o StrictHostKeyChecking=yes -o BatchMode=yes)
i=0
for h in h1 h2 h3; do
	i=$((i + 1))
	out=$(ctl ssh "${SSHO[@]}" "$h" 'hostname; ip -o -4 addr show dev eth0' 2>&1)
	case $out in
	"$h"*"192.0.2.1$i/24"*) pass "ssh $h: hostname $h, address 192.0.2.1$i" ;;
	*) fail "ssh $h: got: $out" ;;
	esac
	out=$(ctl ssh "${SSHO[@]}" "root@192.0.2.1$i" true 2>&1) &&
		pass "ssh root@192.0.2.1$i (known_hosts under the address)" || fail "ssh by address: $out"
done

out=$(ctl ssh "${SSHO[@]}" root@fd00:0:2::13 hostname 2>&1)
[ "$out" = h3 ] && pass "ssh root@fd00:0:2::13 (IPv6, known_hosts)" || fail "ssh over IPv6: $out"
check "h1 reaches h2 over IPv6" "$SIM" exec "$N" h1 -- ping -6 -c1 -W2 -q fd00:0:2::12

# Host keys: unknown and changed keys are refused, the right one accepted.
: >"$T/empty_known_hosts"
out=$(ctl ssh "${SSHO[@]}" -o UserKnownHostsFile="$T/empty_known_hosts" h1 true 2>&1) &&
	fail "unknown host key accepted" ||
	{ case $out in *"verification failed"*) pass "unknown host key refused" ;; *) fail "unknown key: $out" ;; esac; }
ssh-keygen -q -t ed25519 -N "" -f "$T/otherkey"
sed "s|^\(192.0.2.12\) .*|\1 $(cut -d' ' -f1,2 "$T/otherkey.pub")|" "$SIM_KNOWN_HOSTS" >"$T/changed_known_hosts"
out=$(ctl ssh "${SSHO[@]}" -o UserKnownHostsFile="$T/changed_known_hosts" root@192.0.2.12 true 2>&1) &&
	fail "changed host key accepted" ||
	{ case $out in *"IDENTIFICATION HAS CHANGED"*) pass "changed host key refused" ;; *) fail "changed key: $out" ;; esac; }
# Client keys: a key not in authorized_keys, and passwords, are refused.
out=$(ctl ssh -F /dev/null -o UserKnownHostsFile="$SIM_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
	-o BatchMode=yes -o IdentitiesOnly=yes -i "$T/otherkey" root@192.0.2.11 true 2>&1) &&
	fail "unauthorized client key accepted" ||
	{ case $out in *"Permission denied"*) pass "wrong client key refused" ;; *) fail "wrong client key: $out" ;; esac; }
# What sshd offers, as it tells the client ("Authentications that can
# continue"): publickey only. (BatchMode alone refuses to type a password
# whatever sshd allows: the exit status of ssh proves nothing here.)
out=$(ctl ssh -v "${SSHO[@]}" -o PreferredAuthentications=password,keyboard-interactive h1 true 2>&1)
# (ssh -v ends its debug lines with CR LF)
methods=$(echo "$out" | tr -d '\r' | sed -n 's/.*Authentications that can continue: //p' | head -1)
[ "$methods" = publickey ] && pass "no password login (sshd offers: $methods)" ||
	fail "sshd offers '${methods:-nothing it said}', not publickey only"

# The root namespace got no link; the hosts reach each other; the MTU.
[ "$(ip -o link | awk '{print $2}' | sort)" = "$links_before" ] &&
	pass "root netns links unchanged" || fail "root netns links changed"
check "h1 reaches h3" "$SIM" exec "$N" h1 -- ping -c1 -W2 -q 192.0.2.13
mtu=$("$SIM" exec "$N" h2 -- cat /sys/class/net/eth0/mtu)
[ "$mtu" = 1400 ] && pass "h2 eth0 mtu 1400" || fail "h2 eth0 mtu $mtu"
check "1400-byte packet h1 -> h2 passes" "$SIM" exec "$N" h1 -- ping -c1 -W2 -q -M "do" -s 1372 192.0.2.12
refuse "1401-byte packet h1 -> h2 is dropped (h2 underlay MTU 1400)" \
	"$SIM" exec "$N" h1 -- ping -c1 -W1 -q -M "do" -s 1373 192.0.2.12
check "unplug h3" "$SIM" link "$N" h3 down
refuse "h3 unreachable when unplugged" "$SIM" exec "$N" h1 -- ping -c1 -W1 -q 192.0.2.13
check "plug h3 back" "$SIM" link "$N" h3 up
check "1500-byte packet h1 -> h3 passes" "$SIM" exec "$N" h1 -- ping -c1 -W2 -q -M "do" -s 1472 192.0.2.13

# Hosts file: 3 lines, name target underlay key=value... (docs/language.md).
"$SIM" hosts-file "$N" >"$T/hosts.txt"
awk -v d="$SIM_DIR" '
	/^#/ || NF == 0 { next }
	{ n++ }
	$1 != "h" n || $2 != "root@192.0.2.1" n || $3 != "192.0.2.1" n { bad = 1 }
	{ for (i = 4; i <= NF; i++) if ($i !~ /^(port|user|identity|dir|mtu|dev)=[^ ]+$/) bad = 1 }
	$0 !~ " identity=" d "/id_ed25519 " { bad = 1 }
	n == 2 && $0 !~ / mtu=1400 / { bad = 1 }
	END { exit bad || n != 3 }' "$T/hosts.txt" && pass "hosts file format" || { fail "hosts file:"; cat "$T/hosts.txt"; }
OTC=${OTC:-$(dirname "$0")/../../build/otc}
if [ -x "$OTC" ]; then
	cat >"$T/sim.otp" <<'EOF'
topology simcheck
network lan {
    subnet 10.77.0.0/24
}
container a on h1 {
    iface eth0 on lan address 10.77.0.1/24
}
container b on h2 {
    iface eth0 on lan address 10.77.0.2/24
}
container c on h3 {
    iface eth0 on lan address 10.77.0.3/24
}
EOF
	check "otc check accepts the hosts file" "$OTC" check "$T/sim.otp" "$T/hosts.txt"
	out=$("$OTC" plan "$T/sim.otp" "$T/hosts.txt" --node h2 2>&1)
	case $out in *"underlay"*"192.0.2.12, MTU 1400"*) pass "otc plan: h2 underlay 192.0.2.12, MTU 1400" ;;
	*) fail "otc plan h2: $out" ;; esac
	"$SIM" hosts-file "$N" --ipv6 >"$T/hosts6.txt"
	out=$("$OTC" plan "$T/sim.otp" "$T/hosts6.txt" --node h1 2>&1)
	case $out in *"underlay"*"fd00:0:2::11, MTU 1500"*"vxlan eth0 mtu 1330"*) pass "otc plan, IPv6 underlay: overlay MTU 1330 (h2: 1400 - 70)" ;;
	*) fail "otc plan over IPv6: $out" ;; esac
	sed 's/ on h3 / on h4 /' "$T/sim.otp" >"$T/sim4.otp"
	refuse "otc check refuses a node the hosts file lacks" "$OTC" check "$T/sim4.otp" "$T/hosts.txt"
else
	skip "otc check of the hosts file: $OTC is not built"
fi

# spawn: a recorded daemon in a host's namespaces, stopped by down.
pid=$("$SIM" spawn "$N" h3 --tag sleeper -- sleep 1000)
[ "$(readlink /proc/"$pid"/ns/net)" = "$("$SIM" exec "$N" h3 -- readlink /proc/self/ns/net)" ] &&
	pass "spawn: PID $pid is the daemon, in h3's netns" || fail "spawn: $pid not in h3"
"$SIM" status "$N" | grep -q "pid   $pid sleeper (h3) running" && pass "status lists it" || fail "status"

# A process we did not start blocks down, is listed, and is left alone.
nsenter --net=/run/netns/"$N"-h1 sleep 1000 &
FOREIGN=$!
sleep 0.2
out=$("$SIM" down "$N" 2>&1) && fail "down succeeded with a foreign process" ||
	{ case $out in *"$FOREIGN sleep 1000"*) pass "down lists the foreign process and fails" ;; *) fail "down: $out" ;; esac; }
check_running "$FOREIGN" && pass "foreign process left alone" || fail "foreign process was killed"
[ -e "/run/netns/$N-h1" ] && pass "its netns kept" || fail "its netns deleted"
check_running "$pid" && fail "spawned daemon survived the failed down" || pass "spawned daemon stopped"
kill "$FOREIGN"
wait_pid 10 "$FOREIGN"
FOREIGN=""
t0=$EPOCHREALTIME
check "down (second attempt) succeeds" "$SIM" down "$N"
echo "     (down took $(since "$t0") s)"
leak_check "$N" "$SIM_DIR"
check "down again is a no-op" "$SIM" down "$N"
[ "$(ip -o link | awk '{print $2}' | sort)" = "$links_before" ] &&
	pass "root netns links as before" || fail "root netns links changed"

# A failed up takes itself down (sshd that cannot start).
out=$(OPENTOP_SSHD=/bin/false "$SIM" up "$N-fail" --hosts 2 2>&1) && fail "up with a broken sshd succeeded" ||
	pass "up with a broken sshd fails"
leak_check "$N-fail" "/run/opentop-sim/$N-fail"

# An interrupted up (SIGTERM while sshd start or logins run) leaves nothing.
for d in 0.4 0.8; do
	"$SIM" up "$N-int" --hosts 4 >/dev/null 2>&1 &
	p=$!
	sleep "$d"
	kill -TERM "$p" 2>/dev/null
	wait_pid 60 "$p"
	if [ -e "/run/opentop-sim/$N-int" ] && "$SIM" down "$N-int" >/dev/null 2>&1; then
		pass "up finished before SIGTERM after $d s; taken down"
	fi
	leak_check "$N-int" "/run/opentop-sim/$N-int"
done

# --- --no-ssh, own --dir
check "up 3 hosts --no-ssh --dir" "$SIM" up "$NS" --hosts 3 --no-ssh --dir "$T/cl"
check "h3 reaches ctl" "$SIM" exec "$NS" h3 -- ping -c1 -W2 -q 192.0.2.1
[ "$("$SIM" exec "$NS" h2 -- hostname)" = h2 ] && pass "exec h2: hostname h2" || fail "exec hostname"
[ -z "$(run_procs "$NS")" ] && pass "no process at all with --no-ssh" || fail "processes: $(run_procs "$NS")"
grep -q identity= <("$SIM" hosts-file "$NS") && fail "hosts file names a key" || pass "hosts file without key"
check "down --no-ssh" "$SIM" down "$NS"
leak_check "$NS" "$T/cl"

summary
