# tests/lib/leftovers.sh - sourced by scripts that build an instance on a
# simulated cluster (bench/deploy, bench/deploy-apply): what an instance
# leaves when the script stops half-way (a baseline's scp failing, a
# Ctrl-C) outside the cluster's own namespaces, which `simcluster down`
# removes: the named network namespaces "<instance>.*" (switches and
# containers live under global names) and the state directories
# /run/opentop/<instance>.*.
#
# remove_leftovers INSTANCE: remove them (names this script's own by its
# prefix); prints how many it removed on stdout, returns 1 when there
# were any.
remove_leftovers() {
	local inst=$1 n=0 x
	[ -n "$inst" ] || return 0
	for x in /run/netns/"$inst".*; do
		[ -e "$x" ] || continue
		ip netns del "${x#/run/netns/}" 2>/dev/null || true
		n=$((n + 1))
	done
	for x in /run/opentop/"$inst".*; do
		[ -e "$x" ] || continue
		rm -rf -- "$x"
		n=$((n + 1))
	done
	echo "$n"
	[ "$n" = 0 ]
}
