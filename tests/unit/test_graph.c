/*
 * test_graph.c - `otc graph` (compile/graph.c): the DOT of a small
 * topology, exactly (identical containers collapsed into one box with a
 * count, NAT labelled apart from the firewall, the legend); and the
 * 16-node HPC layout rendered by Graphviz is a picture of sensible size,
 * not a strip.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile/compile.h"
#include "compile/graph.h"
#include "model/load.h"
#include "util/strbuf.h"

static const char small_otp[] =
    "topology small\n"
    "network lan { subnet 10.1.0.0/24 }\n"
    "network wan { subnet 10.2.0.0/24 }\n"
    "for i in 0..2 {\n"
    "    container a{i} on n0 { iface eth0 on lan address 10.1.0.{i + 1}/24 }\n"
    "}\n"
    "container gw on n0 {\n"
    "    iface eth0 on lan address 10.1.0.100/24\n"
    "    iface eth1 on wan address 10.2.0.1/24\n"
    "    forward\n"
    "    firewall { allow forward tcp dport 22 }\n"
    "    nat { masquerade out eth1 }\n"
    "}\n"
    "container b0 on n1 { iface eth0 on lan address 10.1.0.50/24 }\n"
    "container w on n1 { iface eth0 on wan address 10.2.0.2/24 }\n";

/* Reviewed by eye and rendered with dot -Tpng: a0..a2 are one box. */
static const char small_dot[] =
    "graph \"small\" {\n"
    "\tgraph [fontname=\"Helvetica\", labelloc=t, label=\"topology small\"];\n"
    "\tnode [fontname=\"Helvetica\", fontsize=10];\n"
    "\tedge [fontname=\"Helvetica\", fontsize=9];\n"
    "\t\"n/lan\" [shape=ellipse, style=bold, label=\"lan\\n10.1.0.0/24\\nVXLAN VNI 7100780 "
    "(derived), MTU 1450\"];\n"
    "\t\"n/wan\" [shape=ellipse, style=bold, label=\"wan\\n10.2.0.0/24\\nVXLAN VNI 10584269 "
    "(derived), MTU 1450\"];\n"
    "\tsubgraph \"cluster_legend\" {\n"
    "\t\tlabel=\"legend\";\n"
    "\t\tstyle=dashed;\n"
    "\t\tfontsize=10;\n"
    "\t\t\"legend/c\" [shape=box, style=rounded, label=\"container\"];\n"
    "\t\t\"legend/g\" [shape=box, style=\"rounded,bold\", label=\"first ... last\\nxN identical "
    "containers\\n(same networks, interfaces,\\nrules, isolation)\"];\n"
    "\t\t\"legend/s\" [shape=box3d, label=\"network on a node\\n(bridge)\"];\n"
    "\t\t\"legend/n\" [shape=ellipse, style=bold, label=\"network across nodes\\n(VXLAN VNI)\"];\n"
    "\t\t\"legend/h\" [shape=house, label=\"host namespace\"];\n"
    "\t\t\"legend/c\" -- \"legend/s\" [label=\"veth\"];\n"
    "\t\t\"legend/g\" -- \"legend/s\" [label=\"veth xN\"];\n"
    "\t\t\"legend/s\" -- \"legend/n\" [style=dashed, label=\"VXLAN device\"];\n"
    "\t\t\"legend/c\" -- \"legend/h\" [style=dotted, label=\"macvlan\"];\n"
    "\t}\n"
    "\tsubgraph \"cluster_n0\" {\n"
    "\t\tlabel=\"n0\";\n"
    "\t\tstyle=rounded;\n"
    "\t\t\"c/a0\" [shape=box, style=\"rounded,bold\", label=\"a0 ... a2\\nx3 identical "
    "containers\"];\n"
    "\t\t\"c/gw\" [shape=box, style=\"rounded\", label=\"gw\\nforward\\nfirewall: 1 rule\\nnat: 1 "
    "rule\"];\n"
    "\t\t\"s/lan@n0\" [shape=box3d, label=\"lan\\nbridge br-lan\"];\n"
    "\t}\n"
    "\tsubgraph \"cluster_n1\" {\n"
    "\t\tlabel=\"n1\";\n"
    "\t\tstyle=rounded;\n"
    "\t\t\"c/b0\" [shape=box, style=\"rounded\", label=\"b0\"];\n"
    "\t\t\"c/w\" [shape=box, style=\"rounded\", label=\"w\"];\n"
    "\t}\n"
    "\t\"c/a0\" -- \"s/lan@n0\" [label=\"eth0 x3\\n10.1.0.1/24 ... 10.1.0.3/24\"];\n"
    "\t\"c/gw\" -- \"s/lan@n0\" [label=\"eth0\\n10.1.0.100/24\"];\n"
    "\t\"s/lan@n0\" -- \"n/lan\" [style=dashed, label=\"vx7100780\"];\n"
    "\t\"c/b0\" -- \"n/lan\" [style=dashed, label=\"eth0\\n10.1.0.50/24\\n(VXLAN device)\"];\n"
    "\t\"c/gw\" -- \"n/wan\" [style=dashed, label=\"eth1\\n10.2.0.1/24\\n(VXLAN device)\"];\n"
    "\t\"c/w\" -- \"n/wan\" [style=dashed, label=\"eth0\\n10.2.0.2/24\\n(VXLAN device)\"];\n"
    "}\n";

/* The DOT of src (unbound: no hosts file); the caller frees it. */
static char *graph_of(const char *name, const char *src, size_t len)
{
	struct ot_compile_opts o = {0};
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_compiled *c = NULL;
	struct ot_model *m = NULL;
	struct ot_diags d;

	ot_diags_init(&d);
	cr_assert_eq(ot_topology_load_mem(name, src, len, NULL, &d, &m), 0);
	cr_assert_eq(ot_compile(m, &o, &d, &c), 0);
	cr_assert_eq(ot_graph_dot(c, &sb), 0);
	cr_assert(!sb.oom);
	ot_compiled_free(c);
	ot_model_free(m);
	ot_diags_free(&d);
	return sb.buf;
}

Test(graph, small_exact)
{
	char *t = graph_of("small.otp", small_otp, sizeof(small_otp) - 1);

	cr_assert_str_eq(t, small_dot);
	free(t);
}

static size_t count(const char *t, const char *s)
{
	size_t n = 0;

	for (; (t = strstr(t, s)); t++)
		n++;
	return n;
}

/* Width and height of a PNG file (its IHDR chunk, big-endian). */
static void png_size(const char *path, uint32_t *w, uint32_t *h)
{
	unsigned char b[24];
	FILE *f = fopen(path, "rb");

	cr_assert_not_null(f);
	cr_assert_eq(fread(b, 1, sizeof(b), f), sizeof(b));
	fclose(f);
	cr_assert_eq(memcmp(b + 12, "IHDR", 4), 0);
	*w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
	*h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
}

/*
 * topologies/hpc.otp at 16 nodes x 8 ranks: 16 boxes (one per node) and a
 * picture Graphviz draws in rows (it was a 16,971 x 403 px strip with 128
 * boxes).
 */
Test(graph, hpc_16_nodes_is_a_picture)
{
	static const char hpc[] = "topology hpc\n"
				  "network fabric { subnet 10.100.0.0/16; mtu 1450 }\n"
				  "for i in 0..127 {\n"
				  "    container rank{i} on node[i / 8] {\n"
				  "        iface eth0 on fabric address 10.100.0.{i + 1}\n"
				  "        ranks {i}\n"
				  "    }\n"
				  "}\n";
	char dot[] = "/tmp/otu-graph.XXXXXX", png[64], cmd[200];
	uint32_t w, h;
	char *t = graph_of("hpc.otp", hpc, sizeof(hpc) - 1);
	FILE *f;
	int fd;

	cr_assert_eq(count(t, "x8 identical containers"), 16, "%s", t);
	cr_assert_eq(count(t, "shape=box,"), 16 + 2, "%s", t); /* + the legend's two */
	if (system("command -v dot >/dev/null 2>&1") != 0) {
		free(t);
		cr_skip_test("graphviz `dot` is not installed (hosts/install-deps installs it)");
		return;
	}
	fd = mkstemp(dot);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(t, f);
	fclose(f);
	snprintf(png, sizeof(png), "%s.png", dot);
	snprintf(cmd, sizeof(cmd), "dot -Tpng -o %s %s", png, dot);
	cr_assert_eq(system(cmd), 0);
	png_size(png, &w, &h);
	unlink(dot);
	unlink(png);
	free(t);
	/* 2,519 x 1,191 when written; a strip or a tower fails */
	cr_assert(w <= 4000 && h <= 3000 && w <= 4 * h && h <= 4 * w, "%u x %u px", w, h);
}
