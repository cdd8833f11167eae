# tests/lib/wait.sh - bounded waits for the test runners and benchmarks
# (sourced by bash; tests/lib/check.sh sources it). No wait of a suite is
# unbounded: poll with a limit, or end the child at its deadline.
#
#   wait_until SECS CMD...   run CMD every 0.1 s until it succeeds; status 1
#                            when it has not within SECS (CMD runs once more
#                            at the end)
#   wait_pid SECS PID        wait for the child PID at most SECS, then end it
#                            (TERM, KILL 5 s later); its exit status, or 124
#                            when it had to be ended
#   check_running PID        PID is alive and not a zombie (an exited child
#                            not reaped yet is a zombie)

# (Locals are named _w*: CMD runs in this function's scope.)
wait_until() {
	local _wu_end=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$_wu_end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

check_running() {
	local line
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	line=${line##*) }
	[ "${line%% *}" != Z ]
}

wait_pid() {
	local _wp_pid=$2 _wp_st=0
	if ! wait_until "$1" eval "! check_running $_wp_pid"; then
		kill -TERM "$_wp_pid" 2>/dev/null
		wait_until 5 eval "! check_running $_wp_pid" || kill -KILL "$_wp_pid" 2>/dev/null
		wait "$_wp_pid" 2>/dev/null
		return 124
	fi
	wait "$_wp_pid" 2>/dev/null || _wp_st=$?
	return $_wp_st
}
