/*
 * verify_classes.c - `verify` by traffic class: the reachability oracle
 * (src/reach) run on this node's plan, compared with live probes
 * (classprobe.c) of the same requests. See classprobe.h for what is probed
 * and what is left out, docs/reach.md for the oracle's model.
 */
#include "exec/classprobe.h"
#include "exec/exec_int.h"
#include "reach/reach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHY_MAX 320 /* sizeof(struct ot_reach_result.why) */

/* Every request worth probing (not to the host, not unknown), or just count;
 * cross: only pairs whose ends are on different nodes. */
static size_t collect(const struct ot_reach *r, struct ot_class_verify *v,
		      struct ot_reach_result *res, bool cross)
{
	const struct ot_reach_class *cls;
	size_t ncls = ot_reach_classes(r, &cls), n = ot_reach_nendpoints(r), a, b, k, c, m = 0;

	for (a = 0; a < n; a++)
		for (b = 0; b < n; b++) {
			const struct ot_reach_endpoint *t = ot_reach_endpoint(r, b);

			if (a == b || t->host ||
			    (cross && !strcmp(ot_reach_endpoint(r, a)->node, t->node)))
				continue;
			for (k = 0; k < t->naddrs; k++)
				for (c = 0; c < ncls; c++) {
					struct ot_class_check *x;

					ot_reach_eval(r, a, &t->addrs[k], &cls[c], res);
					if (res->verdict == OT_REACH_UNKNOWN ||
					    (res->delivered_to >= 0 &&
					     ot_reach_endpoint(r, (size_t)res->delivered_to)->host))
						continue;
					if (v) {
						x = &v->v[m];
						x->from = ot_reach_endpoint(r, a)->name;
						x->from_node = ot_reach_endpoint(r, a)->node;
						x->to = t->name;
						x->addr = t->addrs[k];
						ot_reach_class_format(&cls[c], x->cls,
								      sizeof(x->cls));
						x->want = ot_reach_verdict_name(res->verdict);
						x->want_at = res->delivered_to >= 0
								 ? ot_reach_endpoint(
								       r, (size_t)res->delivered_to)
								       ->name
								 : NULL;
						x->want_port = res->delivered_port;
						x->why = v->strings + m * WHY_MAX;
						snprintf(v->strings + m * WHY_MAX, WHY_MAX, "%s",
							 res->why);
						x->live.to = t->addrs[k];
						x->live.proto = cls[c].proto;
						x->live.port = cls[c].port;
						x->from_ep = a;
					}
					m++;
				}
		}
	return m;
}

int ot_exec_verify_classes(const struct ot_plan *p, const struct ot_exec_opts *o,
			   unsigned timeout_ms, struct ot_class_verify **ret, struct ot_error *err)
{
	const struct ot_plan *plans[1] = {p};
	const struct ot_reach_class *cls;
	struct ot_class_verify *v = calloc(1, sizeof(*v));
	struct ot_reach_result res;
	struct ot_reach *r = NULL;
	struct ot_xctx x;
	size_t i, n, nl = 0, ncls, np = 0;
	int *epfd = NULL, *lfd = NULL, *lmap = NULL, rc;
	uint16_t *ports = NULL;

	if (!v)
		return ot_error_set(err, -ENOMEM, "out of memory");
	if ((rc = ot_x_init(&x, p, o, err)) < 0) {
		free(v);
		return rc;
	}
	/* the devices first (bounded; still not running after it: the probes tell) */
	if ((rc = ot_x_links_wait(&x, 5000, NULL, 0, err)) < 0 ||
	    (rc = ot_reach_new(plans, 1, &r, err)) < 0)
		goto out;
	n = ot_reach_nendpoints(r);
	ncls = ot_reach_classes(r, &cls);
	v->n = collect(r, NULL, &res, false);
	v->v = calloc(v->n + 1, sizeof(*v->v));
	v->strings = calloc(v->n + 1, WHY_MAX);
	epfd = calloc(n + 1, sizeof(*epfd));
	lfd = calloc(n + 1, sizeof(*lfd));
	lmap = calloc(n + 1, sizeof(*lmap));
	ports = calloc(ncls + 1, sizeof(*ports));
	if (!v->v || !v->strings || !epfd || !lfd || !lmap || !ports) {
		rc = ot_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	collect(r, v, &res, false);
	for (i = 0; i < n; i++) {
		const struct ot_reach_endpoint *e = ot_reach_endpoint(r, i);
		int ns = e->host ? OT_NS_HOST_INDEX : ot_plan_ns_find(p, e->netns);

		if (ns < 0 || (epfd[i] = ot_x_nsfd(&x, ns, err)) < 0) {
			rc = ns < 0 ? ot_error_set(err, -ENOENT, "no namespace %s", e->netns)
				    : epfd[i];
			goto out;
		}
		lmap[i] = -1;
		if (!e->host) {
			lmap[i] = (int)nl;
			lfd[nl++] = epfd[i];
		}
	}
	for (i = 0; i < ncls; i++)
		if (cls[i].proto && (!np || ports[np - 1] != cls[i].port))
			ports[np++] = cls[i].port;
	{
		struct ot_cprobe *pr = calloc(v->n + 1, sizeof(*pr));

		if (!pr) {
			rc = ot_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < v->n; i++) {
			pr[i] = v->v[i].live;
			pr[i].src_fd = epfd[v->v[i].from_ep];
		}
		rc = ot_cprobe_run(lfd, nl, ports, np, pr, v->n, timeout_ms, err);
		for (i = 0; i < v->n && rc == 0; i++) {
			struct ot_class_check *c = &v->v[i];
			int want_at = c->want_at ? lmap[ot_reach_endpoint_find(r, c->want_at)] : -1;
			size_t k;

			c->live = pr[i];
			for (k = 0; k < n; k++)
				if (pr[i].arrived && lmap[k] == pr[i].arrived_at)
					c->live_at = ot_reach_endpoint(r, k)->name;
			c->pass = ot_cprobe_agrees(&pr[i], strcmp(c->want, "lost") != 0,
						   strcmp(c->want, "answered") == 0, want_at,
						   c->want_port);
			v->nfail += !c->pass;
		}
		free(pr);
	}
out:
	/* endpoint names live in the reach object: keep it with the result */
	if (rc == 0) {
		v->reach = r;
		*ret = v;
	} else {
		ot_reach_free(r);
		ot_class_verify_free(v);
		rc = ot_error_prefix(err, rc, "%s: verify by class", p->node);
	}
	free(epfd);
	free(lfd);
	free(lmap);
	free(ports);
	ot_x_free(&x);
	return rc;
}

int ot_exec_cross_classes(const struct ot_plan *const *plans, size_t nplans,
			  struct ot_class_verify **ret, struct ot_error *err)
{
	struct ot_class_verify *v = calloc(1, sizeof(*v));
	struct ot_reach_result res;
	int rc;

	if (!v)
		return ot_error_set(err, -ENOMEM, "out of memory");
	rc = ot_reach_new(plans, nplans, &v->reach, err);
	if (rc == 0) {
		v->n = collect(v->reach, NULL, &res, true);
		v->v = calloc(v->n + 1, sizeof(*v->v));
		v->strings = calloc(v->n + 1, WHY_MAX);
		if (!v->v || !v->strings)
			rc = ot_error_set(err, -ENOMEM, "out of memory");
	}
	if (rc == 0) {
		collect(v->reach, v, &res, true);
		*ret = v;
		return 0;
	}
	ot_class_verify_free(v);
	return ot_error_prefix(err, rc, "verify by class across nodes");
}

int ot_exec_xprobe(const struct ot_plan *p, const struct ot_exec_opts *o,
		   const struct ot_xprobe_args *a, struct ot_cprobe *pr, const char **at,
		   struct ot_error *err)
{
	struct ot_xctx x;
	size_t i, nl = 0;
	int *lfd = NULL, *lns = NULL, rc, ns;

	if ((rc = ot_x_init(&x, p, o, err)) < 0)
		return rc;
	lfd = calloc(p->nns + 1, sizeof(*lfd));
	lns = calloc(p->nns + 1, sizeof(*lns));
	if (!lfd || !lns) {
		rc = ot_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < a->n && rc == 0; i++) {
		pr[i].src_fd = -1;
		if (a->listen || !a->srcs[i])
			continue;
		ns =
		    a->srcs[i][0] == '@' ? OT_NS_HOST_INDEX : ot_plan_container_find(p, a->srcs[i]);
		if (ns < 0)
			rc = ot_error_set(err, -ENOENT, "no container '%s' on this node",
					  a->srcs[i]);
		else if ((pr[i].src_fd = ot_x_nsfd(&x, ns, err)) < 0)
			rc = pr[i].src_fd;
	}
	if (rc == 0 && a->listen) {
		for (i = 0; i < p->nns && rc == 0; i++) {
			if (p->ns[i].role != OT_NS_CONTAINER)
				continue;
			lns[nl] = (int)i;
			if ((lfd[nl++] = ot_x_nsfd(&x, (int)i, err)) < 0)
				rc = lfd[nl - 1];
		}
		if (rc == 0)
			rc = ot_cprobe_listen(lfd, nl, a->ports, a->nports, pr, a->n, &a->round,
					      a->stop_fd, a->ready, a->arg, err);
		for (i = 0; i < a->n && rc == 0; i++)
			at[i] =
			    pr[i].arrived && pr[i].arrived_at >= 0 && (size_t)pr[i].arrived_at < nl
				? p->ns[lns[pr[i].arrived_at]].container
				: NULL;
	} else if (rc == 0) {
		rc = ot_cprobe_send(pr, a->n, &a->round, a->timeout_ms, err);
	}
out:
	free(lfd);
	free(lns);
	ot_x_free(&x);
	return rc < 0 ? ot_error_prefix(err, rc, "%s: probes across nodes", p->node) : 0;
}

void ot_class_check_live_text(const struct ot_class_check *k, char *buf, size_t size)
{
	const struct ot_cprobe *l = &k->live;
	bool why = !l->answered && l->detail[0];

	snprintf(buf, size, "%s%s%s:%u%s%s%s",
		 l->answered  ? "answered"
		 : l->arrived ? "arrives"
			      : "lost",
		 k->live_at ? " at " : "", k->live_at ? k->live_at : "", l->arrived_port,
		 why ? " (" : "", why ? l->detail : "", why ? ")" : "");
}

const char *ot_class_verify_endpoint(const struct ot_class_verify *v, const char *name)
{
	size_t i, n = ot_reach_nendpoints(v->reach);

	for (i = 0; i < n; i++)
		if (!strcmp(ot_reach_endpoint(v->reach, i)->name, name))
			return ot_reach_endpoint(v->reach, i)->name;
	return NULL;
}

void ot_class_verify_free(struct ot_class_verify *v)
{
	if (!v)
		return;
	ot_reach_free(v->reach);
	free(v->v);
	free(v->strings);
	free(v);
}
