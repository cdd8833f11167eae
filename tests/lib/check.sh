# tests/lib/check.sh - the one pass/fail/skip vocabulary of the test runners
# (sourced by bash scripts; see docs/testing.md).
#
#   check_begin NAME    name the suite: every line it prints starts with NAME
#   pass MSG            one check passed (printed unless CHECK_QUIET=1: a
#                       suite of hundreds of files prints its failures only)
#   fail MSG            one check failed (the suite goes on)
#   skip REASON         one check could not run here, and why (a reason is
#                       required: a skip without one is a failure)
#   check MSG CMD...    pass when CMD succeeds, else fail and show its output
#   refuse MSG CMD...   pass when CMD fails, else fail and show its output
#   die MSG             fail and end the suite now
#   skip_all REASON     the suite cannot run here: skip and end it now
#   summary             end the suite (after its cleanup)
#   check_criterion LABEL FILE STATUS
#                       add the results of a Criterion program (its output
#                       with --verbose in FILE, its exit status) to the
#                       counts; print its line and, on trouble, its output
#
# Sourcing this file sets an EXIT trap that prints the suite's one summary
# line, "NAME: N passed, N failed, N skipped", and exits 1 on a failure, 77
# on a skip (a skip is not a pass), 0 otherwise. A suite that needs its own
# EXIT trap (cleanup) ends it with `check_exit $rc` (rc: the status the
# suite exited with; a non-zero one that no failure explains, e.g. from
# set -e or a signal, counts as a failure). Record leftovers found while
# cleaning up with fail before check_exit.
#
# The exit status is the whole policy a suite has; tests/lib/run-suite maps
# 77 to a failure unless the caller asked for skips (OT_ALLOW_SKIP) and puts
# an overall timeout on the suite.
#
# Bounded waits (wait_until, wait_pid): tests/lib/wait.sh, sourced here.

# shellcheck source=tests/lib/wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

CHECK_NAME=${CHECK_NAME:-$(basename "$0")}
CHECK_PASSED=0
CHECK_FAILED=0
CHECK_SKIPPED=0

check_begin() {
	CHECK_NAME=$1
}

pass() {
	CHECK_PASSED=$((CHECK_PASSED + 1))
	[ "${CHECK_QUIET:-0}" = 1 ] || echo "$CHECK_NAME: ok   $*"
}

fail() {
	CHECK_FAILED=$((CHECK_FAILED + 1))
	echo "$CHECK_NAME: FAIL $*" >&2
}

skip() {
	if [ -z "$*" ]; then
		fail "a check was skipped without saying why"
		return
	fi
	CHECK_SKIPPED=$((CHECK_SKIPPED + 1))
	echo "$CHECK_NAME: SKIP $* (not a pass)" >&2
}

# The output of a failed check, indented under it.
check_show() {
	[ -n "$1" ] && printf '%s\n' "$1" | head -40 | sed 's/^/     | /' >&2
	return 0
}

# (Locals are named _ck_*: the command runs in this function's scope, and
# a local "out" would hide a suite's own $out from it.)
check() {
	local _ck_what=$1 _ck_out
	shift
	if _ck_out=$("$@" 2>&1); then
		pass "$_ck_what"
	else
		fail "$_ck_what"
		check_show "$_ck_out"
	fi
}

refuse() {
	local _ck_what=$1 _ck_out
	shift
	if _ck_out=$("$@" 2>&1); then
		fail "$_ck_what (it succeeded)"
		check_show "$_ck_out"
	else
		pass "$_ck_what"
	fi
}

check_exit() {
	local rc=$1
	trap - EXIT
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ "$CHECK_FAILED" = 0 ]; then
		fail "ended early (exit status $rc)"
	fi
	echo "$CHECK_NAME: $CHECK_PASSED passed, $CHECK_FAILED failed, $CHECK_SKIPPED skipped"
	if [ "$CHECK_FAILED" -gt 0 ]; then
		exit 1
	fi
	if [ "$CHECK_SKIPPED" -gt 0 ]; then
		exit 77
	fi
	exit 0
}
trap 'check_exit $?' EXIT
# A signal (tests/lib/run-suite's timeout sends TERM) ends the suite through
# its EXIT trap, so it cleans up and says so.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# The status the summary line will report (the EXIT trap prints it): also
# right when a suite's own trap forgot check_exit.
summary() {
	[ "$CHECK_FAILED" = 0 ] || exit 1
	[ "$CHECK_SKIPPED" = 0 ] || exit 77
	exit 0
}

die() {
	fail "$*"
	exit 1
}

skip_all() {
	skip "${*:-}"
	exit 77
}

check_criterion() {
	local label=$1 file=$2 st=$3 syn p f s
	syn=$(sed 's/\x1b\[[0-9;]*m//g' "$file" | grep -a 'Synthesis: Tested:' | tail -1)
	if [ -z "$syn" ]; then
		check_show "$(cat "$file")"
		fail "$label: no Criterion synthesis (exit status $st)"
		return
	fi
	p=$(echo "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	f=$(echo "$syn" | sed -n 's/.*Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\1 + \2/p')
	f=$((${f:-0}))
	# Criterion leaves skipped tests out of its synthesis: count them, and
	# show each with its reason
	s=$(sed 's/\x1b\[[0-9;]*m//g' "$file" | grep -ac '^\[SKIP\]' || true)
	sed 's/\x1b\[[0-9;]*m//g' "$file" | grep -a '^\[SKIP\]' | sed "s/^/$CHECK_NAME: /" >&2
	CHECK_PASSED=$((CHECK_PASSED + ${p:-0}))
	CHECK_FAILED=$((CHECK_FAILED + f))
	CHECK_SKIPPED=$((CHECK_SKIPPED + s))
	if [ "$st" != 0 ] || [ "$f" != 0 ]; then
		cat "$file" >&2
		[ "$f" != 0 ] || fail "$label: exit status $st"
	fi
	echo "$CHECK_NAME: $label: ${p:-0} passed, $f failed, $s skipped"
}
