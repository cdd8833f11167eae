/*
 * test_compile_stream.c - a streamed compile (ot_compile_each: each plan
 * handed to the sink, which frees it before the next is lowered) writes the
 * same plans as a compile that holds them all (ot_compile), on a loop-
 * generated cluster large enough that freed plan memory is reused while the
 * next plan is lowered. Found by the compiler benchmark: the "file:line"
 * origin cache was keyed by the plan's address, which the next plan often
 * reuses, and handed out strings of the freed arena.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile/compile.h"
#include "model/load.h"
#include "plan/plan.h"
#include "plan/plan_json.h"
#include "util/strbuf.h"

#define NODES 12
#define PER   60

/* The benchmark's cluster (bench/compile_bench.c), smaller: a rack network
 * over 10 nodes, a local network per node, two interfaces per container. */
static const char topo[] =
    "topology stream\n"
    "param N = 12\n"
    "param PER = 60\n"
    "for r in 0..(N + 9) / 10 - 1 {\n"
    "    network rack{r} {\n"
    "        subnet 10.{r}.0.0/16\n"
    "    }\n"
    "}\n"
    "for n in 0..N - 1 {\n"
    "    network local{n} {\n"
    "        subnet 100.64.{n}.0/24\n"
    "    }\n"
    "    for j in 0..PER - 1 {\n"
    "        container c{n}x{j} on node[n] {\n"
    "            iface eth0 on rack{n / 10} address 10.{n / 10}.{n % 10}.{j + 1}/16\n"
    "            iface eth1 on local{n} address 100.64.{n}.{j + 1}/24\n"
    "            ranks {n * PER + j}\n"
    "        }\n"
    "    }\n"
    "}\n";

struct sink {
	struct ot_compiled *held;
	size_t n;
	struct ot_strbuf a, b;
};

static int compare(struct ot_plan *p, void *arg)
{
	struct sink *s = arg;

	cr_assert_lt(s->n, s->held->nplans);
	ot_sb_reset(&s->a);
	ot_sb_reset(&s->b);
	cr_assert_eq(ot_plan_json_write(p, 1, 0, &s->a), 0);
	cr_assert_eq(ot_plan_json_write(s->held->plans[s->n], 1, 0, &s->b), 0);
	cr_assert_eq(s->a.len, s->b.len, "plan %zu (%s): %zu bytes streamed, %zu held", s->n,
		     p->node, s->a.len, s->b.len);
	cr_assert(memcmp(s->a.buf, s->b.buf, s->a.len) == 0, "plan %zu (%s) differs", s->n,
		  p->node);
	s->n++;
	ot_plan_free(p);
	return 0;
}

Test(compile_stream, streamed_plans_equal_held_plans)
{
	struct ot_diags d;
	struct ot_model *m = NULL;
	struct ot_hosts *h = NULL;
	struct ot_strbuf hosts = OT_STRBUF_INIT;
	struct ot_compile_opts o = {.probes = true};
	struct sink s = {NULL, 0, OT_STRBUF_INIT, OT_STRBUF_INIT};
	unsigned i;

	ot_diags_init(&d);
	for (i = 0; i < NODES; i++)
		ot_sb_printf(&hosts, "node%u local 198.18.0.%u mtu=9000\n", i, i + 1);
	cr_assert_eq(ot_topology_load_mem("stream.otp", topo, sizeof(topo) - 1, NULL, &d, &m), 0);
	cr_assert_eq(ot_hosts_load_mem("stream.hosts", hosts.buf, hosts.len, &d, &h), 0);
	o.hosts = h;
	cr_assert_eq(ot_compile(m, &o, &d, &s.held), 0);
	cr_assert_eq(s.held->nplans, NODES);
	cr_assert_eq(ot_compile_each(m, &o, &d, compare, &s), 0);
	cr_assert_eq(s.n, NODES);
	/* every origin names a line of the source */
	for (i = 0; i < NODES; i++) {
		const struct ot_plan *p = s.held->plans[i];
		size_t j;

		for (j = 0; j < p->nops; j++)
			cr_assert(!p->ops[j].origin ||
				      strncmp(p->ops[j].origin, "stream.otp:", 11) == 0,
				  "op %zu of %s: origin '%s'", j, p->node, p->ops[j].origin);
	}
	ot_sb_free(&s.a);
	ot_sb_free(&s.b);
	ot_sb_free(&hosts);
	ot_compiled_free(s.held);
	ot_hosts_free(h);
	ot_model_free(m);
	ot_diags_free(&d);
}
