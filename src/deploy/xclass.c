/*
 * xclass.c - otdeploy --verify: TCP/UDP/ICMP class probes between
 * endpoints of different nodes, compared with the reachability oracle run
 * on every node's plan (contract in deploy.h, ot_deploy_cross_classes).
 *
 * A node has only its own plan, so its `otnode verify` probes its own
 * pairs; here otdeploy, which holds every plan, is the rendezvous. One
 * round (at most OT_CPROBE_BATCH probes, the same list on every node):
 *
 *   1. every node: `otnode xprobe-listen` in a session held open; it binds
 *      listeners in its containers and says "ready";
 *   2. every node with sources, one after the other: `otnode xprobe-send`
 *      sends its probes and reports which were answered;
 *   3. every listener is told "stop" and reports which probes arrived
 *      where, then exits.
 *
 * No process is left: a listener whose session ends (stop, EOF, an error
 * of otdeploy) returns, and every remote command runs under timeout(1).
 * Nodes reached in-process ("local") have no session: with one of them in
 * the run, the probes across nodes are not made (said in the report).
 */
#include "deploy/transport.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "deploy/deploy.h"
#include "deploy/ssh.h"
#include "exec/classprobe.h"
#include "util/strbuf.h"

#define LINE_MAX_X 512

/* The round's input for node k (k < 0: a listener, sends nothing). */
static void round_text(const struct ot_deploy *d, const struct ot_class_verify *cv, size_t first,
		       size_t n, const struct ot_cprobe_round *rd, const char *ports, int k,
		       struct ot_strbuf *sb)
{
	size_t i;

	ot_sb_printf(sb, "round %u %u %u\nports %s\n", rd->nonce, rd->idbase, 1500u, ports);
	for (i = first; i < first + n; i++) {
		const struct ot_class_check *c = &cv->v[i];
		char a[OT_ADDR_STRLEN];

		ot_addr_format(&c->addr, a, sizeof(a));
		ot_sb_printf(sb, "p %s %s %s %u\n",
			     k >= 0 && !strcmp(c->from_node, d->nodes[k].name) ? c->from : "-", a,
			     c->live.proto == IPPROTO_TCP   ? "tcp"
			     : c->live.proto == IPPROTO_UDP ? "udp"
							    : "icmp",
			     c->live.port);
	}
	ot_sb_append(sb, "end\n");
}

/* Read "KIND I ..." lines up to "done"; fill the round's checks. */
static int read_results(struct ot_ssh_cmd *c, struct ot_class_verify *cv, size_t first, size_t n,
			bool listen, struct ot_error *err)
{
	char line[LINE_MAX_X], who[128], detail[80];
	unsigned long i;
	unsigned v;
	int rc;

	for (;;) {
		rc = ot_ssh_cmd_read_line(c, line, sizeof(line), 30000, err);
		if (rc < 0)
			return rc;
		if (!strcmp(line, "done"))
			return 0;
		if (listen && sscanf(line, "a %lu %127s %u", &i, who, &v) == 3 && i < n) {
			struct ot_class_check *k = &cv->v[first + i];

			k->live.arrived = true;
			k->live.arrived_port = (uint16_t)v;
			k->live_at = ot_class_verify_endpoint(cv, who);
		} else if (!listen && sscanf(line, "r %lu %u %79[^\n]", &i, &v, detail) == 3 &&
			   i < n) {
			struct ot_class_check *k = &cv->v[first + i];

			k->live.answered = v == 1;
			snprintf(k->live.detail, sizeof(k->live.detail), "%.63s",
				 strcmp(detail, "-") ? detail : "");
		} else {
			return ot_error_set(err, -EPROTO, "unexpected '%.80s'", line);
		}
	}
}

/* End a session: its exit status must be 0. */
static int finish(struct ot_ssh_cmd *c, const char *node, struct ot_error *err)
{
	struct ot_ssh_result r;
	int rc = ot_ssh_cmd_finish(c, 10000, &r, err);

	if (rc == 0 && r.status != 0) {
		char why[160];

		ot_deploy_last_line(r.errout ? r.errout : "", why, sizeof(why));
		rc = ot_error_set(err, -EIO, "%s: exit status %d: %s", node, r.status, why);
	}
	ot_ssh_result_free(&r);
	return rc;
}

static int one_round(struct ot_deploy *d, struct ot_class_verify *cv, size_t first, size_t n,
		     const char *ports, struct ot_error *err)
{
	struct ot_ssh_cmd **ls = calloc(d->nnodes + 1, sizeof(*ls));
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_cprobe_round rd;
	char line[LINE_MAX_X];
	size_t i, k;
	int rc = 0;

	if (!ls)
		return ot_error_set(err, -ENOMEM, "out of memory");
	if (getrandom(&rd, sizeof(rd), 0) != sizeof(rd)) {
		free(ls);
		return ot_error_sys(err, -errno, "getrandom");
	}
	/* 1: listeners everywhere */
	round_text(d, cv, first, n, &rd, ports, -1, &sb);
	for (k = 0; k < d->nnodes && rc == 0; k++) {
		rc = ot_deploy_ssh_transport.session(d, k, "xprobe-listen", &ls[k]);
		if (rc < 0) {
			rc = ot_error_set(err, rc, "%s: %s", d->nodes[k].name, d->nodes[k].err.msg);
			break;
		}
		rc = ot_ssh_cmd_write(ls[k], ot_sb_str(&sb), sb.len, err);
		if (rc == 0)
			rc = ot_ssh_cmd_read_line(ls[k], line, sizeof(line), OT_DEPLOY_READY_MS,
						  err);
		if (rc == 0 && strcmp(line, "ready"))
			rc = ot_error_set(err, -EPROTO, "listener said '%.80s'", line);
		if (rc < 0 && d->nodes[k].sudo)
			rc =
			    ot_error_prefix(err, rc,
					    "%s: xprobe-listen through sudo (the sudoers line must "
					    "allow %s --plan-stdin xprobe-listen and xprobe-send: "
					    "otdeploy(1), SUDO)",
					    d->nodes[k].name, d->nodes[k].rexe);
		else if (rc < 0)
			rc = ot_error_prefix(err, rc, "%s: xprobe-listen", d->nodes[k].name);
	}
	/* 2: the senders, one node after the other */
	for (k = 0; k < d->nnodes && rc == 0; k++) {
		struct ot_ssh_cmd *s = NULL;
		bool any = false;

		for (i = first; i < first + n; i++)
			any |= !strcmp(cv->v[i].from_node, d->nodes[k].name);
		if (!any)
			continue;
		ot_sb_reset(&sb);
		round_text(d, cv, first, n, &rd, ports, (int)k, &sb);
		rc = ot_deploy_ssh_transport.session(d, k, "xprobe-send", &s);
		if (rc < 0) {
			rc = ot_error_set(err, rc, "%s: %s", d->nodes[k].name, d->nodes[k].err.msg);
			break;
		}
		rc = ot_ssh_cmd_write(s, ot_sb_str(&sb), sb.len, err);
		if (rc == 0)
			rc = read_results(s, cv, first, n, false, err);
		if (rc == 0)
			rc = finish(s, d->nodes[k].name, err);
		else
			ot_ssh_cmd_abort(s);
		if (rc < 0)
			rc = ot_error_prefix(err, rc, "%s: xprobe-send", d->nodes[k].name);
	}
	/* 3: stop every listener (on an error too: EOF stops it) */
	for (k = 0; k < d->nnodes; k++) {
		if (!ls[k])
			continue;
		if (rc == 0) {
			rc = ot_ssh_cmd_write(ls[k], "stop\n", 5, err);
			if (rc == 0)
				rc = read_results(ls[k], cv, first, n, true, err);
			if (rc == 0)
				rc = finish(ls[k], d->nodes[k].name, err);
			else
				ot_ssh_cmd_abort(ls[k]);
			if (rc < 0)
				rc =
				    ot_error_prefix(err, rc, "%s: xprobe-listen", d->nodes[k].name);
		} else {
			ot_ssh_cmd_abort(ls[k]);
		}
	}
	ot_sb_free(&sb);
	free(ls);
	return rc;
}

int ot_deploy_cross_classes(struct ot_deploy *d)
{
	const struct ot_plan **plans = calloc(d->nnodes + 1, sizeof(*plans));
	struct ot_class_verify *cv = NULL;
	struct ot_strbuf ports = OT_STRBUF_INIT, seen = OT_STRBUF_INIT;
	struct ot_error err = {0};
	size_t i;
	int rc = 0;

	if (!plans)
		return -ENOMEM;
	for (i = 0; i < d->nnodes; i++)
		plans[i] = d->nodes[i].plan;
	/* a local node first: then nothing is wrong, they cannot be made */
	for (i = 0; i < d->nnodes && rc == 0; i++)
		if (d->nodes[i].local)
			rc = ot_error_set(&err, -EOPNOTSUPP,
					  "not made: %s is reached in-process (local), and the "
					  "probes need a session on every node",
					  d->nodes[i].name);
	for (i = 0; i < d->nnodes && rc == 0; i++)
		if (!d->nodes[i].started)
			rc = ot_error_set(&err, -EIO, "not made: %s did not run otnode verify",
					  d->nodes[i].name);
	if (rc == 0 && d->nnodes > 1)
		rc = ot_exec_cross_classes((const struct ot_plan *const *)plans, d->nnodes, &cv,
					   &err);
	free(plans);
	if (rc < 0 || !cv) {
		snprintf(d->xclass_note, sizeof(d->xclass_note), "%.255s", rc < 0 ? err.msg : "");
		d->xclass_failed = rc < 0 && rc != -EOPNOTSUPP;
		return rc;
	}
	/* every port a class names (the checks hold every class) */
	for (i = 0; i < cv->n; i++) {
		char p[16];

		if (!cv->v[i].live.proto)
			continue;
		snprintf(p, sizeof(p), ",%u,", cv->v[i].live.port);
		if (!strstr(ot_sb_str(&seen), p)) {
			ot_sb_append(&seen, p + (seen.len ? 1 : 0));
			ot_sb_printf(&ports, "%s%u", ports.len ? "," : "", cv->v[i].live.port);
		}
	}
	ot_sb_free(&seen);
	for (i = 0; i < cv->n && rc == 0; i += OT_CPROBE_BATCH)
		rc = one_round(d, cv, i, cv->n - i < OT_CPROBE_BATCH ? cv->n - i : OT_CPROBE_BATCH,
			       ports.len ? ot_sb_str(&ports) : "-", &err);
	ot_sb_free(&ports);
	for (i = 0; i < cv->n && rc == 0; i++) {
		struct ot_class_check *c = &cv->v[i];
		bool arrive = strcmp(c->want, "lost") != 0, answer = !strcmp(c->want, "answered");

		c->pass =
		    c->live.arrived == arrive && c->live.answered == answer &&
		    (!arrive || (c->live_at && c->want_at && !strcmp(c->live_at, c->want_at) &&
				 c->live.arrived_port == c->want_port));
		cv->nfail += !c->pass;
	}
	if (rc < 0) {
		snprintf(d->xclass_note, sizeof(d->xclass_note), "%.255s", err.msg);
		d->xclass_failed = true;
		ot_class_verify_free(cv);
		return rc;
	}
	d->xclass = cv;
	return 0;
}
