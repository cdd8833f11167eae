# tests/sim/lib.sh - shared helpers of the simulated-cluster tests (sourced).
#
# Each test gets a run tag "ots<PID>" for everything it creates, a trap that
# takes it down on any exit, and leak checks that fail the test when a
# namespace, process, mount or file of the run survives. Reporting and the
# skip policy: tests/lib/check.sh.

SIM=${SIM:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/hosts/simcluster}
# shellcheck source=tests/lib/check.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
check_begin "$(basename "$0" .sh)"

need_root_tools() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces)"
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || skip_all "missing $t (hosts/install-deps installs it)"
	done
}

# Live (non-zombie) processes whose command line or network namespace
# belongs to run NAME (netns NAME-*); prints "pid cmdline" lines.
run_procs() {
	local name=$1 f p n
	local -a nss=(/run/netns/"$name"-*) cmd
	for f in /proc/[0-9]*; do
		p=${f#/proc/}
		[ "$p" != $$ ] && [ "$p" != "$BASHPID" ] && check_running "$p" || continue
		mapfile -d '' cmd 2>/dev/null <"$f/cmdline" || continue
		case "${cmd[*]}" in *"$name"*) echo "$p ${cmd[*]}"; continue ;; esac
		for n in "${nss[@]}"; do
			[ "$f/ns/net" -ef "$n" ] || continue
			echo "$p ${cmd[*]}"
			break
		done
	done
}

# leak_check NAME DIR: nothing of the run may be left.
leak_check() {
	local name=$1 dir=$2 left
	left=$(compgen -G "/run/netns/$name-*" | tr "\n" " " || true)
	[ -z "$left" ] && pass "no netns $name-* left" || fail "netns left: $left"
	left=$(run_procs "$name")
	[ -z "$left" ] && pass "no process of $name left" || fail "processes left: $left"
	left=$(grep -F "$dir" /proc/self/mountinfo || true)
	[ -z "$left" ] && pass "no mount under $dir left" || fail "mounts left: $left"
	[ ! -e "$dir" ] && pass "$dir removed" || fail "$dir still exists"
	[ ! -e "/run/opentop-sim/$name" ] && [ ! -L "/run/opentop-sim/$name" ] &&
		pass "registry entry removed" || fail "/run/opentop-sim/$name still exists"
}

# since T0: seconds elapsed since the $EPOCHREALTIME value T0.
since() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'
}
