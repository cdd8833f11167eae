/*
 * plan_json_oracle.c - the plan as a jansson json_t tree: the test oracle of
 * the streamed writer (plan_jsonw.c). json_dumps(ot_plan_to_json(p),
 * JSON_SORT_KEYS | ...) must give the bytes ot_plan_dump(p) gives; jansson
 * sorts the keys and escapes the strings itself, so the writer's key tables
 * and escaping are checked against an independent implementation. Written
 * field by field from plan.h, not from the writer's tables: only the enum
 * names (plan_schema.h) are shared. Test code only.
 */
#include "plan_json_oracle.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "plan/plan_schema.h"

/* Set helpers: each omits the zero value. They record OOM in *oom. */
struct jw {
	bool oom;
};

static void put(struct jw *w, json_t *o, const char *k, json_t *v)
{
	if (!v || json_object_set_new(o, k, v) < 0)
		w->oom = true;
}

static void put_str(struct jw *w, json_t *o, const char *k, const char *s)
{
	if (s && *s)
		put(w, o, k, json_string(s));
}

static void put_int(struct jw *w, json_t *o, const char *k, long long v)
{
	if (v)
		put(w, o, k, json_integer(v));
}

static void put_bool(struct jw *w, json_t *o, const char *k, bool v)
{
	if (v)
		put(w, o, k, json_true());
}

static void put_addr(struct jw *w, json_t *o, const char *k, const struct ot_addr *a)
{
	char buf[OT_ADDR_STRLEN];

	if (!a->family)
		return;
	ot_addr_format(a, buf, sizeof(buf));
	put(w, o, k, json_string(buf));
}

static void put_prefix(struct jw *w, json_t *o, const char *k, const struct ot_prefix *p)
{
	char buf[OT_PREFIX_STRLEN];

	if (!p->addr.family)
		return;
	ot_prefix_format(p, buf, sizeof(buf));
	put(w, o, k, json_string(buf));
}

static void put_mac(struct jw *w, json_t *o, const char *k, const struct ot_mac *m)
{
	char buf[OT_MAC_STRLEN];

	if (ot_mac_is_zero(m))
		return;
	ot_mac_format(m, buf, sizeof(buf));
	put(w, o, k, json_string(buf));
}

static const char *ns_name(const struct ot_plan *p, int ns)
{
	return ns == OT_NS_HOST_INDEX ? "host" : p->ns[ns].name;
}

/* one range as [lo, hi], a list as [[lo, hi], ...] (plan_jsonw.c's forms) */
static json_t *ports_json(const struct ot_ports *ps)
{
	json_t *a;
	uint16_t i;

	if (ps->n == 1)
		return json_pack("[ii]", (int)ps->r[0].lo, (int)ps->r[0].hi);
	a = json_array();
	for (i = 0; a && i < ps->n; i++)
		json_array_append_new(a, json_pack("[ii]", (int)ps->r[i].lo, (int)ps->r[i].hi));
	return a;
}

static json_t *nft_json(struct jw *w, const struct ot_op_nft *n)
{
	json_t *o = json_object(), *chains = json_array(), *rules = json_array();
	size_t i;
	unsigned bit;

	if (!o || !chains || !rules) {
		json_decref(o);
		json_decref(chains);
		json_decref(rules);
		w->oom = true;
		return NULL;
	}
	put_str(w, o, "table", n->table);
	for (i = 0; i < n->nchains; i++) {
		const struct ot_nft_chain *c = &n->chains[i];
		json_t *jc = json_object();

		if (!jc) {
			w->oom = true;
			continue;
		}
		put_str(w, jc, "name", c->name);
		put_str(w, jc, "type", ot_enum_name(ot_nft_chain_type_names, c->type));
		put_str(w, jc, "hook", ot_enum_name(ot_nft_hook_names, c->hook));
		if (c->priority)
			put(w, jc, "priority", json_integer(c->priority));
		put_str(w, jc, "policy", c->policy_drop ? "drop" : "accept");
		if (json_array_append_new(chains, jc) < 0)
			w->oom = true;
	}
	for (i = 0; i < n->nrules; i++) {
		const struct ot_nft_rule *r = &n->rules[i];
		json_t *jr = json_object(), *ct;

		if (!jr) {
			w->oom = true;
			continue;
		}
		put_str(w, jr, "chain", n->chains[r->chain].name);
		if (r->family)
			put_str(w, jr, "family", ot_enum_name(ot_nft_family_names, r->family));
		if (r->l4proto)
			put_str(w, jr, "proto", ot_enum_name(ot_l4proto_names, r->l4proto));
		if (r->has_saddr)
			put_prefix(w, jr, "saddr", &r->saddr);
		if (r->has_daddr)
			put_prefix(w, jr, "daddr", &r->daddr);
		if (r->sport.n)
			put(w, jr, "sport", ports_json(&r->sport));
		if (r->dport.n)
			put(w, jr, "dport", ports_json(&r->dport));
		if (r->has_icmp_type)
			put(w, jr, "icmp_type",
			    json_pack("[ii]", r->icmp_type_first, r->icmp_type_last));
		put_str(w, jr, "iif", r->iif);
		put_str(w, jr, "oif", r->oif);
		if (r->ct_state) {
			ct = json_array();
			for (bit = 1; ct && bit <= OT_CT_INVALID; bit <<= 1)
				if (r->ct_state & bit)
					json_array_append_new(
					    ct,
					    json_string(ot_enum_name(ot_ct_state_names, (int)bit)));
			put(w, jr, "ct_state", ct);
		}
		put_str(w, jr, "verdict", ot_enum_name(ot_nft_verdict_names, r->verdict));
		put_addr(w, jr, "nat_addr", &r->nat_addr);
		put_int(w, jr, "nat_port", r->nat_port);
		put_bool(w, jr, "counter", r->counter);
		put_str(w, jr, "comment", r->comment);
		if (json_array_append_new(rules, jr) < 0)
			w->oom = true;
	}
	put(w, o, "chains", chains);
	put(w, o, "rules", rules);
	return o;
}

static json_t *op_json(struct jw *w, const struct ot_plan *p, const struct ot_op *op)
{
	json_t *o = json_object();

	if (!o) {
		w->oom = true;
		return NULL;
	}
	put_str(w, o, "op", ot_enum_name(ot_op_kind_names, op->kind));
	put_str(w, o, "ns", ns_name(p, op->ns));
	put_str(w, o, "origin", op->origin);
	switch (op->kind) {
	case OT_OP_NETNS:
		break;
	case OT_OP_LINK: {
		const struct ot_op_link *l = &op->link;

		put_str(w, o, "kind", ot_enum_name(ot_link_kind_names, l->kind));
		put_str(w, o, "name", l->name);
		put_str(w, o, "alias", l->alias);
		put_mac(w, o, "mac", &l->mac);
		put_int(w, o, "mtu", l->mtu);
		put_str(w, o, "master", l->master);
		put_bool(w, o, "ipv6", l->ipv6);
		if (l->kind == OT_LINK_VETH) {
			json_t *peer = json_object();

			if (!peer) {
				w->oom = true;
				break;
			}
			put_str(w, peer, "ns", ns_name(p, l->peer_ns));
			put_str(w, peer, "name", l->peer_name);
			put_str(w, peer, "alias", l->peer_alias);
			put_mac(w, peer, "mac", &l->peer_mac);
			put_str(w, peer, "master", l->peer_master);
			put_bool(w, peer, "ipv6", l->peer_ipv6);
			put(w, o, "peer", peer);
		} else if (l->kind == OT_LINK_VXLAN) {
			put_int(w, o, "vni", l->vni);
			put_int(w, o, "port", l->port);
			put_addr(w, o, "local", &l->local);
			put_str(w, o, "sock_ns", ns_name(p, l->sock_ns));
			put_bool(w, o, "learning", l->learning);
		} else if (l->kind == OT_LINK_MACVLAN) {
			put_str(w, o, "lower", l->lower);
			put_str(w, o, "mode", ot_enum_name(ot_macvlan_mode_names, l->mode));
		}
		break;
	}
	case OT_OP_LINK_UP:
		put_str(w, o, "dev", op->dev);
		break;
	case OT_OP_ADDR:
		put_str(w, o, "dev", op->addr.dev);
		put_prefix(w, o, "addr", &op->addr.addr);
		break;
	case OT_OP_ROUTE: {
		char dst[OT_PREFIX_STRLEN];

		if (op->route.dst.len == 0)
			snprintf(dst, sizeof(dst), "default%s",
				 op->route.dst.addr.family == AF_INET6 ? "6" : "");
		else
			ot_prefix_format(&op->route.dst, dst, sizeof(dst));
		put_str(w, o, "dst", dst);
		put_addr(w, o, "via", &op->route.via);
		put_str(w, o, "dev", op->route.dev);
		put_int(w, o, "metric", op->route.metric);
		break;
	}
	case OT_OP_FDB:
		put_str(w, o, "dev", op->fdb.dev);
		put(w, o, "mac", json_string("00:00:00:00:00:00"));
		put_mac(w, o, "mac", &op->fdb.mac);
		put_addr(w, o, "dst", &op->fdb.dst);
		put_str(w, o, "dst_node", op->fdb.dst_node);
		break;
	case OT_OP_SYSCTL:
		put_str(w, o, "key", op->sysctl.key);
		put(w, o, "value", json_string(op->sysctl.value ? op->sysctl.value : ""));
		break;
	case OT_OP_NFT:
		put(w, o, "nft", nft_json(w, &op->nft));
		break;
	case OT_OP_CGROUP:
		put_str(w, o, "path", op->cgroup.path);
		put_int(w, o, "cpu_pct", op->cgroup.cpu_pct);
		put_int(w, o, "memory", (long long)op->cgroup.memory);
		put_int(w, o, "pids", op->cgroup.pids);
		if (op->cgroup.nio) {
			json_t *io = json_array();

			for (size_t i = 0; io && i < op->cgroup.nio; i++) {
				const struct ot_cg_io *d = &op->cgroup.io[i];
				json_t *e = json_object();

				if (!e) {
					w->oom = true;
					break;
				}
				put_str(w, e, "dev", d->dev);
				put_int(w, e, "rbps", (long long)d->rbps);
				put_int(w, e, "wbps", (long long)d->wbps);
				put_int(w, e, "riops", (long long)d->riops);
				put_int(w, e, "wiops", (long long)d->wiops);
				if (json_array_append_new(io, e) < 0)
					w->oom = true;
			}
			put(w, o, "io", io);
		}
		break;
	case OT_OP_QDISC:
		put_str(w, o, "dev", op->qdisc.dev);
		put_int(w, o, "rate", (long long)op->qdisc.rate);
		put_int(w, o, "burst", op->qdisc.burst);
		put_int(w, o, "limit", op->qdisc.limit);
		put_int(w, o, "delay_us", op->qdisc.delay_us);
		put_int(w, o, "jitter_us", op->qdisc.jitter_us);
		put_int(w, o, "loss_ppm", op->qdisc.loss_ppm);
		put_int(w, o, "reorder_ppm", op->qdisc.reorder_ppm);
		break;
	case OT_OP_MOUNT:
		put_str(w, o, "kind", ot_enum_name(ot_mount_kind_names, op->mount.kind));
		put_str(w, o, "src", op->mount.src);
		put_str(w, o, "dst", op->mount.dst);
		put_bool(w, o, "ro", op->mount.ro);
		put_bool(w, o, "nofollow", op->mount.nofollow);
		put_int(w, o, "size", (long long)op->mount.size);
		put_int(w, o, "mode", op->mount.mode);
		break;
	case OT_OP__COUNT:
		break;
	}
	return o;
}

static json_t *ns_json(struct jw *w, const struct ot_plan_ns *ns)
{
	json_t *o = json_object(), *iso, *ranks;
	size_t i;
	unsigned bit;

	if (!o) {
		w->oom = true;
		return NULL;
	}
	put_str(w, o, "name", ns->name);
	put_str(w, o, "role", ot_enum_name(ot_ns_role_names, ns->role));
	if (ns->role != OT_NS_CONTAINER)
		return o;
	put_str(w, o, "container", ns->container);
	iso = json_array();
	for (bit = 1; iso && bit <= OT_ISO_CGROUP; bit <<= 1)
		if (ns->isolate & bit)
			json_array_append_new(iso,
					      json_string(ot_isolate_name((enum ot_isolate)bit)));
	put(w, o, "isolate", iso);
	put_str(w, o, "hostname", ns->hostname);
	put_str(w, o, "cgroup", ns->cgroup);
	if (ns->nranks) {
		ranks = json_array();
		for (i = 0; ranks && i < ns->nranks; i++)
			json_array_append_new(ranks,
					      json_pack("[II]", (json_int_t)ns->ranks[i].first,
							(json_int_t)ns->ranks[i].last));
		put(w, o, "ranks", ranks);
	}
	return o;
}

json_t *ot_plan_to_json(const struct ot_plan *p)
{
	struct jw w = {false};
	json_t *o = json_object(), *arr, *u;
	size_t i, n, *td = NULL;

	if (!o)
		return NULL;
	put_str(&w, o, "schema", OT_PLAN_SCHEMA);
	put_str(&w, o, "topology", p->topology);
	put_str(&w, o, "instance", p->instance);
	put_str(&w, o, "node", p->node);
	put_int(&w, o, "node_index", p->node_index);
	put_str(&w, o, "prefix", p->prefix);
	put_str(&w, o, "state_dir", p->state_dir);
	put_str(&w, o, "source_digest", p->source_digest);
	if (p->underlay.family || p->underlay_mtu) {
		u = json_object();
		if (u) {
			put_addr(&w, u, "address", &p->underlay);
			put_int(&w, u, "mtu", p->underlay_mtu);
		}
		put(&w, o, "underlay", u);
	}
	arr = json_array();
	for (i = 0; arr && i < p->nnodes; i++) {
		json_t *jn = json_object();

		if (!jn) {
			w.oom = true;
			continue;
		}
		put_str(&w, jn, "name", p->nodes[i].name);
		put_addr(&w, jn, "underlay", &p->nodes[i].underlay);
		if (json_array_append_new(arr, jn) < 0)
			w.oom = true;
	}
	put(&w, o, "nodes", arr);
	arr = json_array();
	for (i = 1; arr && i < p->nns; i++)
		if (json_array_append_new(arr, ns_json(&w, &p->ns[i])) < 0)
			w.oom = true;
	put(&w, o, "namespaces", arr);
	arr = json_array();
	for (i = 0; arr && i < p->nops; i++)
		if (json_array_append_new(arr, op_json(&w, p, &p->ops[i])) < 0)
			w.oom = true;
	put(&w, o, "ops", arr);
	arr = json_array();
	for (i = 0; arr && i < p->nprobes; i++) {
		const struct ot_probe *pr = &p->probes[i];
		json_t *jp = json_object();

		if (!jp) {
			w.oom = true;
			continue;
		}
		put_str(&w, jp, "from", p->ns[pr->from_ns].container);
		put_str(&w, jp, "to_node", pr->to_node);
		put_str(&w, jp, "to", pr->to_container);
		put_addr(&w, jp, "address", &pr->to_addr);
		put_str(&w, jp, "expect", ot_enum_name(ot_expect_names, pr->expect));
		put_str(&w, jp, "why", pr->why);
		if (json_array_append_new(arr, jp) < 0)
			w.oom = true;
	}
	put(&w, o, "probes", arr);
	/* The teardown order is derived (the reader ignores it); it is written
	 * so that an auditor reading the JSON sees what destroy will undo. */
	arr = json_array();
	if (arr && ot_plan_teardown(p, &td, &n) == 0) {
		for (i = 0; i < n; i++) {
			const struct ot_op *op = &p->ops[td[i]];
			char what[256];

			switch (op->kind) {
			case OT_OP_NETNS:
				snprintf(what, sizeof(what), "delete netns %s", p->ns[op->ns].name);
				break;
			case OT_OP_LINK:
				snprintf(what, sizeof(what), "delete link %s in %s",
					 op->ns == OT_NS_HOST_INDEX ? op->link.name
								    : op->link.peer_name,
					 "host");
				break;
			case OT_OP_SYSCTL:
				snprintf(what, sizeof(what), "restore sysctl %s in %s",
					 op->sysctl.key, ns_name(p, op->ns));
				break;
			case OT_OP_NFT:
				snprintf(what, sizeof(what), "delete nft table inet %s in %s",
					 op->nft.table, ns_name(p, op->ns));
				break;
			case OT_OP_CGROUP:
				snprintf(what, sizeof(what), "remove cgroup %s", op->cgroup.path);
				break;
			default:
				snprintf(what, sizeof(what), "undo op %zu", td[i]);
				break;
			}
			if (json_array_append_new(arr, json_string(what)) < 0)
				w.oom = true;
		}
	} else {
		w.oom = true;
	}
	free(td);
	put(&w, o, "teardown", arr);
	if (w.oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}
