# tests/sim/lib.sh - shared helpers of the simulated-cluster tests (sourced).
#
# Each test gets a run tag "ots<PID>" for everything it creates, a trap that
# takes it down on any exit, and leak checks that fail the test when a
# namespace, process, mount or file of the run survives. Exit 77 = skipped
# (printed with the reason; tests/mk/sim.mk does not count it as a pass).

SIM=${SIM:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/hosts/simcluster}
FAILS=0
CHECKS=0

skip() {
	echo "SKIP: $*"
	exit 77
}

need_root_tools() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || skip "missing $t (hosts/install-deps installs it)"
	done
}

ok() {
	CHECKS=$((CHECKS + 1))
	echo "ok   $*"
}

bad() {
	CHECKS=$((CHECKS + 1))
	FAILS=$((FAILS + 1))
	echo "FAIL $*"
}

# check DESCRIPTION CMD...: the command must succeed (its output is shown
# only when it does not).
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$what"; else bad "$what"; printf '%s\n' "$out" | sed 's/^/     | /'; fi
}

# refuse DESCRIPTION CMD...: the command must fail.
refuse() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then bad "$what (it succeeded)"; printf '%s\n' "$out" | sed 's/^/     | /'; else ok "$what"; fi
}

# alive PID: true when PID is a live, non-zombie process.
alive() {
	local line
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	line=${line##*) }
	[ "${line%% *}" != Z ]
}

# Live (non-zombie) processes whose command line or network namespace
# belongs to run NAME (netns NAME-*); prints "pid cmdline" lines.
run_procs() {
	local name=$1 f p n
	local -a nss=(/run/netns/"$name"-*) cmd
	for f in /proc/[0-9]*; do
		p=${f#/proc/}
		[ "$p" != $$ ] && [ "$p" != "$BASHPID" ] && alive "$p" || continue
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
	[ -z "$left" ] && ok "no netns $name-* left" || bad "netns left: $left"
	left=$(run_procs "$name")
	[ -z "$left" ] && ok "no process of $name left" || bad "processes left: $left"
	left=$(grep -F "$dir" /proc/self/mountinfo || true)
	[ -z "$left" ] && ok "no mount under $dir left" || bad "mounts left: $left"
	[ ! -e "$dir" ] && ok "$dir removed" || bad "$dir still exists"
	[ ! -e "/run/opentop-sim/$name" ] && [ ! -L "/run/opentop-sim/$name" ] &&
		ok "registry entry removed" || bad "/run/opentop-sim/$name still exists"
}

finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "FAILED: $FAILS of $CHECKS checks"
		exit 1
	fi
	echo "PASS: $CHECKS checks"
}

# since T0: seconds elapsed since the $EPOCHREALTIME value T0.
since() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'
}
