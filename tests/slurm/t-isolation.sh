# t-isolation.sh - two concurrent jobs with the same topology on the same
# nodes stay isolated (sourced by tests/slurm/run).
#
# Jobs A and B both run pair.otp (same names, same addresses 10.77.0.1 and
# .2) on n1 and n2 at the same time. Each gets its own namespaces
# (otsl_pair.j<job>s0.*) and its own VNI; a ping from A's container a to
# 10.77.0.2 is answered by A's container b - B's container b receives not
# a single echo request (its own ICMP counters) - and vice versa.

pair=$(topo pair.otp)
outA=$W/out/iso-A
outB=$W/out/iso-B
cl_user srun -N2 --opentop="$pair" sleep 30 >"$outA" 2>&1 &
pidA=$!
wait_netns 'otsl_pair.j*' 2
cl_user srun -N2 --opentop="$pair" sleep 30 >"$outB" 2>&1 &
pidB=$!
wait_netns 'otsl_pair.j*' 4
check "job B's start left job A running (2 jobs running)" \
	[ "$(cl squeue -h -t R -o %i | wc -l)" = 2 ]
mapfile -t jobs < <(ls /run/netns | sed -n 's/^otsl_pair\.j\([0-9]*\)s0\.node0\.a$/\1/p' | sort -n)
check "two jobs, two instances of pair.otp on the same nodes" [ "${#jobs[@]}" = 2 ]
if [ "${#jobs[@]}" = 2 ]; then
	A=otsl_pair.j${jobs[0]}s0
	Bi=otsl_pair.j${jobs[1]}s0
	vni() { ip -n "$1" -d link show eth0 | sed -n 's/.*vxlan id \([0-9]*\).*/\1/p'; }
	# ICMP echo requests a namespace received (its own /proc/net/snmp)
	rx() { nsenter --net="/run/netns/$1" awk '/^Icmp:/ && $3 ~ /^[0-9]+$/ {print $10}' /proc/net/snmp; }
	vA=$(vni "$A.node0.a")
	vB=$(vni "$Bi.node0.a")
	# one command for check: `check ... [ a ] && [ b ]` would check only a
	in_range() { [ -n "$1" ] && [ "$1" -ge 5000000 ] && [ "$1" -le 5999999 ]; }
	own_vnis() { in_range "$vA" && in_range "$vB" && [ "$vA" != "$vB" ]; }
	check "each job has its own VNI ($vA vs $vB), inside the allowed range" own_vnis
	check "both nodes of a job agree on its VNI" [ "$(vni "$A.node1.b")" = "$vA" ]
	rxA=$(rx "$A.node1.b")
	rxB=$(rx "$Bi.node1.b")
	check "job A's container a reaches 10.77.0.2" \
		nsenter --net="/run/netns/$A.node0.a" ping -c 5 -i 0.2 -W 2 -q 10.77.0.2
	check "... which is job A's container b (it received the 5 echo requests)" [ "$(rx "$A.node1.b")" = $((rxA + 5)) ]
	check "... and job B's container b received none" [ "$(rx "$Bi.node1.b")" = "$rxB" ]
	rxA=$(rx "$A.node1.b")
	check "job B's container a reaches its own b" \
		nsenter --net="/run/netns/$Bi.node0.a" ping -c 3 -i 0.2 -W 2 -q 10.77.0.2
	check "... and job A's container b received none" [ "$(rx "$A.node1.b")" = "$rxA" ]
	macA=$(ip -n "$A.node1.b" link show eth0 | awk '/link\/ether/ {print $2}')
	neighA=$(ip -n "$A.node0.a" neigh show 10.77.0.2 | awk '{print $5}')
	check "A's neighbour 10.77.0.2 has A's MAC ($neighA = $macA)" [ "$neighA" = "$macA" ]
fi
cl scancel "${jobs[@]}" >/dev/null 2>&1
wait_pid 60 $pidA
wait_pid 60 $pidB
wait_queue_empty 20 || fail "isolation: jobs did not end"
