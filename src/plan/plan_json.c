/*
 * plan_json.c - plan <-> canonical JSON (contract in plan_json.h).
 *
 * The writer omits every field at its zero value; the reader treats a missing
 * field as zero. So a round trip is exact, and the JSON a person reads holds
 * only what matters. Namespaces are referred to by name ("host" for the
 * node's own), never by index, so a plan is readable on its own.
 */
#include "plan/plan_json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* ------------------------------------------------------------------ */
/* enum <-> name tables                                                */

struct name_val {
	const char *name;
	int val;
};

static const struct name_val op_names[] = {
	{"netns", OT_OP_NETNS}, {"link", OT_OP_LINK},	  {"up", OT_OP_LINK_UP},
	{"addr", OT_OP_ADDR},	{"route", OT_OP_ROUTE},	  {"fdb", OT_OP_FDB},
	{"sysctl", OT_OP_SYSCTL}, {"nft", OT_OP_NFT},	  {"cgroup", OT_OP_CGROUP},
	{NULL, 0},
};
static const struct name_val link_names[] = {
	{"veth", OT_LINK_VETH}, {"bridge", OT_LINK_BRIDGE}, {"vxlan", OT_LINK_VXLAN},
	{"macvlan", OT_LINK_MACVLAN}, {NULL, 0},
};
static const struct name_val role_names[] = {
	{"switch", OT_NS_SWITCH}, {"container", OT_NS_CONTAINER}, {NULL, 0},
};
static const struct name_val iso_names[] = {
	{"net", OT_ISO_NET}, {"uts", OT_ISO_UTS},     {"ipc", OT_ISO_IPC},	 {"pid", OT_ISO_PID},
	{"mount", OT_ISO_MNT}, {"cgroup", OT_ISO_CGROUP}, {NULL, 0},
};
static const struct name_val hook_names[] = {
	{"prerouting", OT_NFT_PREROUTING}, {"input", OT_NFT_INPUT}, {"forward", OT_NFT_FORWARD},
	{"output", OT_NFT_OUTPUT}, {"postrouting", OT_NFT_POSTROUTING}, {NULL, 0},
};
static const struct name_val ctype_names[] = {
	{"filter", OT_NFT_FILTER}, {"nat", OT_NFT_NAT}, {NULL, 0},
};
static const struct name_val verdict_names[] = {
	{"accept", OT_NFT_ACCEPT},	   {"drop", OT_NFT_DROP}, {"reject", OT_NFT_REJECT},
	{"masquerade", OT_NFT_MASQUERADE}, {"snat", OT_NFT_SNAT}, {"dnat", OT_NFT_DNAT},
	{NULL, 0},
};
static const struct name_val proto_names[] = {
	{"tcp", IPPROTO_TCP}, {"udp", IPPROTO_UDP}, {"icmp", IPPROTO_ICMP},
	{"icmpv6", IPPROTO_ICMPV6}, {NULL, 0},
};
static const struct name_val family_names[] = {
	{"ip", AF_INET}, {"ip6", AF_INET6}, {NULL, 0},
};
static const struct name_val ct_names[] = {
	{"new", OT_CT_NEW}, {"established", OT_CT_ESTABLISHED}, {"related", OT_CT_RELATED},
	{"invalid", OT_CT_INVALID}, {NULL, 0},
};
static const struct name_val mode_names[] = {
	{"bridge", OT_MACVLAN_BRIDGE}, {"private", OT_MACVLAN_PRIVATE}, {"vepa", OT_MACVLAN_VEPA},
	{"passthru", OT_MACVLAN_PASSTHRU}, {NULL, 0},
};
static const struct name_val expect_names[] = {
	{"reach", OT_EXPECT_REACH}, {"blocked", OT_EXPECT_BLOCKED}, {NULL, 0},
};

static const char *name_of(const struct name_val *t, int v)
{
	for (; t->name; t++)
		if (t->val == v)
			return t->name;
	return "?";
}

static int val_of(const struct name_val *t, const char *name, int *ret)
{
	for (; t->name; t++)
		if (strcmp(t->name, name) == 0) {
			*ret = t->val;
			return 0;
		}
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* writer                                                              */

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

static json_t *ports_json(uint16_t lo, uint16_t hi)
{
	return json_pack("[ii]", (int)lo, (int)hi);
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
		put_str(w, jc, "type", name_of(ctype_names, c->type));
		put_str(w, jc, "hook", name_of(hook_names, c->hook));
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
			put_str(w, jr, "family", name_of(family_names, r->family));
		if (r->l4proto)
			put_str(w, jr, "proto", name_of(proto_names, r->l4proto));
		if (r->has_saddr)
			put_prefix(w, jr, "saddr", &r->saddr);
		if (r->has_daddr)
			put_prefix(w, jr, "daddr", &r->daddr);
		if (r->sport_lo || r->sport_hi)
			put(w, jr, "sport", ports_json(r->sport_lo, r->sport_hi));
		if (r->dport_lo || r->dport_hi)
			put(w, jr, "dport", ports_json(r->dport_lo, r->dport_hi));
		put_str(w, jr, "iif", r->iif);
		put_str(w, jr, "oif", r->oif);
		if (r->ct_state) {
			ct = json_array();
			for (bit = 1; ct && bit <= OT_CT_INVALID; bit <<= 1)
				if (r->ct_state & bit)
					json_array_append_new(ct, json_string(name_of(ct_names, (int)bit)));
			put(w, jr, "ct_state", ct);
		}
		put_str(w, jr, "verdict", name_of(verdict_names, r->verdict));
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
	put_str(w, o, "op", name_of(op_names, op->kind));
	put_str(w, o, "ns", ns_name(p, op->ns));
	put_str(w, o, "origin", op->origin);
	switch (op->kind) {
	case OT_OP_NETNS:
		break;
	case OT_OP_LINK: {
		const struct ot_op_link *l = &op->link;

		put_str(w, o, "kind", name_of(link_names, l->kind));
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
			put_str(w, o, "mode", name_of(mode_names, l->mode));
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
	put_str(w, o, "role", name_of(role_names, ns->role));
	if (ns->role != OT_NS_CONTAINER)
		return o;
	put_str(w, o, "container", ns->container);
	iso = json_array();
	for (bit = 1; iso && bit <= OT_ISO_CGROUP; bit <<= 1)
		if (ns->isolate & bit)
			json_array_append_new(iso, json_string(name_of(iso_names, (int)bit)));
	put(w, o, "isolate", iso);
	put_str(w, o, "hostname", ns->hostname);
	put_str(w, o, "cgroup", ns->cgroup);
	if (ns->nranks) {
		ranks = json_array();
		for (i = 0; ranks && i < ns->nranks; i++)
			json_array_append_new(ranks, json_pack("[II]", (json_int_t)ns->ranks[i].first,
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
		put_str(&w, jp, "expect", name_of(expect_names, pr->expect));
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
					 op->ns == OT_NS_HOST_INDEX ? op->link.name : op->link.peer_name,
					 "host");
				break;
			case OT_OP_SYSCTL:
				snprintf(what, sizeof(what), "restore sysctl %s in %s", op->sysctl.key,
					 ns_name(p, op->ns));
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

char *ot_plan_dump(const struct ot_plan *p, int pretty)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;

	/* streamed: the same bytes as json_dumps(ot_plan_to_json(p), JSON_SORT_KEYS
	 * | ...), without a json_t tree (plan_jsonw.c) */
	if (ot_plan_json_write(p, pretty, 0, &sb) < 0) {
		ot_sb_free(&sb);
		return NULL;
	}
	ot_sb_putc(&sb, '\n');
	return ot_sb_steal(&sb);
}

/* ------------------------------------------------------------------ */
/* reader                                                              */

struct jr {
	struct ot_plan *p;
	struct ot_error *err;
	char path[128];
	int rc;
};

static int jfail(struct jr *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int jfail(struct jr *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r->rc)
		return r->rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->rc = ot_error_set(r->err, -EINVAL, "plan JSON: %s: %s", r->path[0] ? r->path : "(top)",
			     msg);
	return r->rc;
}

/* Every key of o must be in keys (NULL-terminated). */
static int only_keys(struct jr *r, json_t *o, const char *const *keys)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(o, k, v)
	{
		for (i = 0; keys[i]; i++)
			if (strcmp(keys[i], k) == 0)
				break;
		if (!keys[i])
			return jfail(r, "unknown key '%s'", k);
	}
	return 0;
}

static const char *get_str(struct jr *r, json_t *o, const char *k, bool required)
{
	json_t *v = json_object_get(o, k);

	if (!v) {
		if (required)
			jfail(r, "missing '%s'", k);
		return NULL;
	}
	if (!json_is_string(v)) {
		jfail(r, "'%s' must be a string", k);
		return NULL;
	}
	return json_string_value(v);
}

static const char *dup_str(struct jr *r, json_t *o, const char *k, bool required)
{
	const char *s = get_str(r, o, k, required);
	const char *d;

	if (!s)
		return NULL;
	d = ot_plan_strdup(r->p, s);
	if (!d)
		r->rc = ot_error_set(r->err, -ENOMEM, "plan JSON: out of memory");
	return d;
}

static long long get_int(struct jr *r, json_t *o, const char *k, long long lo, long long hi)
{
	json_t *v = json_object_get(o, k);
	long long x;

	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		jfail(r, "'%s' must be an integer", k);
		return 0;
	}
	x = json_integer_value(v);
	if (x < lo || x > hi) {
		jfail(r, "'%s' = %lld is out of range %lld..%lld", k, x, lo, hi);
		return 0;
	}
	return x;
}

static bool get_bool(struct jr *r, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!v)
		return false;
	if (!json_is_boolean(v)) {
		jfail(r, "'%s' must be true or false", k);
		return false;
	}
	return json_is_true(v);
}

static int get_enum(struct jr *r, json_t *o, const char *k, const struct name_val *t, bool required,
		    int dflt)
{
	const char *s = get_str(r, o, k, required);
	int v;

	if (!s)
		return dflt;
	if (val_of(t, s, &v) < 0) {
		jfail(r, "'%s': unknown value '%s'", k, s);
		return dflt;
	}
	return v;
}

static void get_name(struct jr *r, json_t *o, const char *k, char *dst, bool required)
{
	const char *s = get_str(r, o, k, required);

	if (!s)
		return;
	if (!ot_ifname_valid(s) && strlen(s) >= OT_IFNAMSIZ) {
		jfail(r, "'%s' = '%s' is longer than 15 bytes", k, s);
		return;
	}
	if (!ot_ifname_valid(s)) {
		jfail(r, "'%s' = '%s' is not a valid interface name", k, s);
		return;
	}
	memcpy(dst, s, strlen(s) + 1);
}

static void get_addr(struct jr *r, json_t *o, const char *k, struct ot_addr *a, bool required)
{
	const char *s = get_str(r, o, k, required);

	if (s && ot_addr_parse(s, a) < 0)
		jfail(r, "'%s' = '%s' is not an IP address", k, s);
}

static void get_prefix(struct jr *r, json_t *o, const char *k, struct ot_prefix *pf, bool *has)
{
	const char *s = get_str(r, o, k, false);

	if (!s)
		return;
	if (ot_prefix_parse(s, true, pf) < 0) {
		jfail(r, "'%s' = '%s' is not an address/length", k, s);
		return;
	}
	if (has)
		*has = true;
}

static void get_mac(struct jr *r, json_t *o, const char *k, struct ot_mac *m)
{
	const char *s = get_str(r, o, k, false);

	if (s && ot_mac_parse(s, m) < 0)
		jfail(r, "'%s' = '%s' is not a MAC address", k, s);
}

static int get_ns(struct jr *r, json_t *o, const char *k)
{
	const char *s = get_str(r, o, k, true);
	int i;

	if (!s)
		return 0;
	i = ot_plan_ns_find(r->p, s);
	if (i < 0) {
		jfail(r, "'%s': unknown namespace '%s'", k, s);
		return 0;
	}
	return i;
}

static void get_ports(struct jr *r, json_t *o, const char *k, uint16_t *lo, uint16_t *hi)
{
	json_t *v = json_object_get(o, k);
	json_int_t a, b;

	if (!v)
		return;
	if (!json_is_array(v) || json_array_size(v) != 2 ||
	    !json_is_integer(json_array_get(v, 0)) || !json_is_integer(json_array_get(v, 1))) {
		jfail(r, "'%s' must be [first, last]", k);
		return;
	}
	a = json_integer_value(json_array_get(v, 0));
	b = json_integer_value(json_array_get(v, 1));
	if (a < 1 || b < a || b > 65535) {
		jfail(r, "'%s' must be 1 <= first <= last <= 65535", k);
		return;
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
}

static void read_nft(struct jr *r, json_t *o, struct ot_op_nft *n)
{
	static const char *const keys[] = {"table", "chains", "rules", NULL};
	static const char *const ckeys[] = {"name", "type", "hook", "priority", "policy", NULL};
	static const char *const rkeys[] = {"chain", "family", "proto", "saddr", "daddr",
					    "sport", "dport", "iif",	"oif",	 "ct_state",
					    "verdict", "nat_addr", "nat_port", "counter", "comment",
					    NULL};
	json_t *chains, *rules, *v;
	const char *s;
	size_t i, j;

	if (!json_is_object(o)) {
		jfail(r, "'nft' must be an object");
		return;
	}
	if (only_keys(r, o, keys))
		return;
	s = get_str(r, o, "table", true);
	if (s && (strlen(s) >= OT_NFT_NAME_MAX || !ot_nsname_valid(s)))
		jfail(r, "bad table name '%s'", s);
	else if (s)
		memcpy(n->table, s, strlen(s) + 1);
	chains = json_object_get(o, "chains");
	rules = json_object_get(o, "rules");
	if ((chains && !json_is_array(chains)) || (rules && !json_is_array(rules))) {
		jfail(r, "'chains' and 'rules' must be arrays");
		return;
	}
	n->nchains = chains ? json_array_size(chains) : 0;
	n->nrules = rules ? json_array_size(rules) : 0;
	n->chains = ot_arena_calloc(&r->p->arena, n->nchains + 1, sizeof(*n->chains));
	n->rules = ot_arena_calloc(&r->p->arena, n->nrules + 1, sizeof(*n->rules));
	if (!n->chains || !n->rules) {
		r->rc = ot_error_set(r->err, -ENOMEM, "plan JSON: out of memory");
		return;
	}
	json_array_foreach(chains, i, v)
	{
		struct ot_nft_chain *c = &n->chains[i];
		const char *pol;

		if (!json_is_object(v) || only_keys(r, v, ckeys)) {
			jfail(r, "chain %zu must be an object with known keys", i);
			return;
		}
		s = get_str(r, v, "name", true);
		if (s && (strlen(s) >= OT_NFT_NAME_MAX || !ot_nsname_valid(s)))
			jfail(r, "bad chain name '%s'", s);
		else if (s)
			memcpy(c->name, s, strlen(s) + 1);
		c->type = get_enum(r, v, "type", ctype_names, true, 0);
		c->hook = get_enum(r, v, "hook", hook_names, true, 0);
		c->priority = (int32_t)get_int(r, v, "priority", -1000, 1000);
		pol = get_str(r, v, "policy", false);
		if (pol && strcmp(pol, "drop") != 0 && strcmp(pol, "accept") != 0)
			jfail(r, "chain policy must be accept or drop");
		c->policy_drop = pol && strcmp(pol, "drop") == 0;
	}
	json_array_foreach(rules, i, v)
	{
		struct ot_nft_rule *ru = &n->rules[i];
		json_t *ct, *e;

		if (!json_is_object(v) || only_keys(r, v, rkeys)) {
			jfail(r, "rule %zu must be an object with known keys", i);
			return;
		}
		s = get_str(r, v, "chain", true);
		for (j = 0; s && j < n->nchains; j++)
			if (strcmp(n->chains[j].name, s) == 0)
				break;
		if (s && j == n->nchains)
			jfail(r, "rule %zu: unknown chain '%s'", i, s);
		ru->chain = (uint32_t)j;
		ru->family = (uint8_t)get_enum(r, v, "family", family_names, false, 0);
		ru->l4proto = (uint8_t)get_enum(r, v, "proto", proto_names, false, 0);
		get_prefix(r, v, "saddr", &ru->saddr, &ru->has_saddr);
		get_prefix(r, v, "daddr", &ru->daddr, &ru->has_daddr);
		get_ports(r, v, "sport", &ru->sport_lo, &ru->sport_hi);
		get_ports(r, v, "dport", &ru->dport_lo, &ru->dport_hi);
		get_name(r, v, "iif", ru->iif, false);
		get_name(r, v, "oif", ru->oif, false);
		ct = json_object_get(v, "ct_state");
		if (ct && !json_is_array(ct))
			jfail(r, "'ct_state' must be an array");
		json_array_foreach(ct, j, e)
		{
			int bit;

			if (!json_is_string(e) || val_of(ct_names, json_string_value(e), &bit) < 0)
				jfail(r, "unknown ct state");
			else
				ru->ct_state |= (unsigned)bit;
		}
		ru->verdict = get_enum(r, v, "verdict", verdict_names, true, 0);
		get_addr(r, v, "nat_addr", &ru->nat_addr, false);
		ru->nat_port = (uint16_t)get_int(r, v, "nat_port", 0, 65535);
		ru->counter = get_bool(r, v, "counter");
		ru->comment = dup_str(r, v, "comment", false);
		if (r->rc)
			return;
	}
}

static void read_op(struct jr *r, json_t *o, struct ot_op *op)
{
	static const char *const common[] = {"op", "ns", "origin"};
	static const char *const k_netns[] = {"op", "ns", "origin", NULL};
	static const char *const k_link[] = {"op",    "ns",   "origin", "kind", "name", "alias",
					     "mac",   "mtu",  "master", "ipv6", "peer", "vni",
					     "port",  "local", "sock_ns", "learning", "lower", "mode",
					     NULL};
	static const char *const k_peer[] = {"ns", "name", "alias", "mac", "master", "ipv6", NULL};
	static const char *const k_dev[] = {"op", "ns", "origin", "dev", NULL};
	static const char *const k_addr[] = {"op", "ns", "origin", "dev", "addr", NULL};
	static const char *const k_route[] = {"op", "ns", "origin", "dst", "via", "dev", "metric",
					      NULL};
	static const char *const k_fdb[] = {"op", "ns", "origin", "dev", "mac", "dst", "dst_node",
					    NULL};
	static const char *const k_sysctl[] = {"op", "ns", "origin", "key", "value", NULL};
	static const char *const k_nft[] = {"op", "ns", "origin", "nft", NULL};
	static const char *const k_cgroup[] = {"op",	  "ns",	    "origin", "path",
					       "cpu_pct", "memory", "pids",   NULL};
	static const char *const *const keys[OT_OP__COUNT] = {
		[OT_OP_NETNS] = k_netns, [OT_OP_LINK] = k_link,	    [OT_OP_LINK_UP] = k_dev,
		[OT_OP_ADDR] = k_addr,	 [OT_OP_ROUTE] = k_route,   [OT_OP_FDB] = k_fdb,
		[OT_OP_SYSCTL] = k_sysctl, [OT_OP_NFT] = k_nft,	    [OT_OP_CGROUP] = k_cgroup,
	};
	(void)common;

	if (!json_is_object(o)) {
		jfail(r, "must be an object");
		return;
	}
	op->kind = get_enum(r, o, "op", op_names, true, 0);
	if (r->rc || only_keys(r, o, keys[op->kind]))
		return;
	op->ns = get_ns(r, o, "ns");
	op->origin = dup_str(r, o, "origin", false);
	switch (op->kind) {
	case OT_OP_NETNS:
		break;
	case OT_OP_LINK: {
		struct ot_op_link *l = &op->link;
		json_t *peer;

		l->kind = get_enum(r, o, "kind", link_names, true, 0);
		get_name(r, o, "name", l->name, true);
		l->alias = dup_str(r, o, "alias", false);
		get_mac(r, o, "mac", &l->mac);
		l->mtu = (uint32_t)get_int(r, o, "mtu", 0, 65535);
		get_name(r, o, "master", l->master, false);
		l->ipv6 = get_bool(r, o, "ipv6");
		peer = json_object_get(o, "peer");
		if (l->kind == OT_LINK_VETH) {
			if (!json_is_object(peer)) {
				jfail(r, "a veth needs a 'peer' object");
				return;
			}
			if (only_keys(r, peer, k_peer))
				return;
			l->peer_ns = get_ns(r, peer, "ns");
			get_name(r, peer, "name", l->peer_name, true);
			l->peer_alias = dup_str(r, peer, "alias", false);
			get_mac(r, peer, "mac", &l->peer_mac);
			get_name(r, peer, "master", l->peer_master, false);
			l->peer_ipv6 = get_bool(r, peer, "ipv6");
		} else if (peer) {
			jfail(r, "'peer' is only for veth");
		}
		if (l->kind == OT_LINK_VXLAN) {
			l->vni = (uint32_t)get_int(r, o, "vni", 1, (1 << 24) - 1);
			l->port = (uint16_t)get_int(r, o, "port", 1, 65535);
			get_addr(r, o, "local", &l->local, false);
			l->sock_ns = get_ns(r, o, "sock_ns");
			l->learning = get_bool(r, o, "learning");
		} else if (json_object_get(o, "vni") || json_object_get(o, "local")) {
			jfail(r, "'vni'/'local' are only for vxlan");
		}
		if (l->kind == OT_LINK_MACVLAN) {
			get_name(r, o, "lower", l->lower, true);
			l->mode = get_enum(r, o, "mode", mode_names, false, OT_MACVLAN_BRIDGE);
		}
		break;
	}
	case OT_OP_LINK_UP:
		get_name(r, o, "dev", op->dev, true);
		break;
	case OT_OP_ADDR: {
		bool has = false;

		get_name(r, o, "dev", op->addr.dev, true);
		get_prefix(r, o, "addr", &op->addr.addr, &has);
		if (!has)
			jfail(r, "missing 'addr'");
		break;
	}
	case OT_OP_ROUTE: {
		const char *dst = get_str(r, o, "dst", true);

		if (dst && strcmp(dst, "default") == 0)
			op->route.dst.addr.family = AF_INET;
		else if (dst && strcmp(dst, "default6") == 0)
			op->route.dst.addr.family = AF_INET6;
		else if (dst && ot_prefix_parse(dst, true, &op->route.dst) < 0)
			jfail(r, "'dst' = '%s' is not a prefix or 'default'", dst);
		get_addr(r, o, "via", &op->route.via, false);
		get_name(r, o, "dev", op->route.dev, false);
		op->route.metric = (uint32_t)get_int(r, o, "metric", 0, UINT32_MAX);
		break;
	}
	case OT_OP_FDB:
		get_name(r, o, "dev", op->fdb.dev, true);
		get_mac(r, o, "mac", &op->fdb.mac);
		get_addr(r, o, "dst", &op->fdb.dst, false);
		op->fdb.dst_node = dup_str(r, o, "dst_node", false);
		break;
	case OT_OP_SYSCTL:
		op->sysctl.key = dup_str(r, o, "key", true);
		op->sysctl.value = dup_str(r, o, "value", true);
		break;
	case OT_OP_NFT:
		read_nft(r, json_object_get(o, "nft"), &op->nft);
		break;
	case OT_OP_CGROUP:
		op->cgroup.path = dup_str(r, o, "path", true);
		op->cgroup.cpu_pct = (uint32_t)get_int(r, o, "cpu_pct", 0, 100000);
		op->cgroup.memory = (uint64_t)get_int(r, o, "memory", 0, INT64_MAX);
		op->cgroup.pids = (uint32_t)get_int(r, o, "pids", 0, UINT32_MAX);
		break;
	case OT_OP__COUNT:
		break;
	}
}

static void read_ns(struct jr *r, json_t *o)
{
	static const char *const keys[] = {"name",	"role",	  "container", "isolate",
					   "hostname", "cgroup", "ranks",     NULL};
	struct ot_plan_ns *ns;
	const char *name;
	json_t *arr, *e;
	size_t i;
	int role, idx, bit;

	if (!json_is_object(o)) {
		jfail(r, "must be an object");
		return;
	}
	if (only_keys(r, o, keys))
		return;
	name = get_str(r, o, "name", true);
	role = get_enum(r, o, "role", role_names, true, 0);
	if (r->rc)
		return;
	if (!ot_nsname_valid(name)) {
		jfail(r, "bad namespace name '%s'", name);
		return;
	}
	if (ot_plan_ns_find(r->p, name) >= 0) {
		jfail(r, "namespace '%s' twice", name);
		return;
	}
	idx = ot_plan_add_ns(r->p, role, name);
	if (idx < 0) {
		r->rc = ot_error_set(r->err, idx, "plan JSON: out of memory");
		return;
	}
	ns = &r->p->ns[idx];
	if (role != OT_NS_CONTAINER) {
		if (json_object_size(o) != 2)
			jfail(r, "only containers have container fields");
		return;
	}
	ns->container = dup_str(r, o, "container", true);
	ns->hostname = dup_str(r, o, "hostname", false);
	ns->cgroup = dup_str(r, o, "cgroup", false);
	arr = json_object_get(o, "isolate");
	if (arr && !json_is_array(arr))
		jfail(r, "'isolate' must be an array");
	json_array_foreach(arr, i, e)
	{
		if (!json_is_string(e) || val_of(iso_names, json_string_value(e), &bit) < 0)
			jfail(r, "unknown isolation kind");
		else
			ns->isolate |= (unsigned)bit;
	}
	ns->isolate |= OT_ISO_NET;
	arr = json_object_get(o, "ranks");
	if (arr && !json_is_array(arr)) {
		jfail(r, "'ranks' must be an array");
		return;
	}
	ns->nranks = arr ? json_array_size(arr) : 0;
	ns->ranks = ot_arena_calloc(&r->p->arena, ns->nranks + 1, sizeof(*ns->ranks));
	if (!ns->ranks) {
		r->rc = ot_error_set(r->err, -ENOMEM, "plan JSON: out of memory");
		return;
	}
	json_array_foreach(arr, i, e)
	{
		json_int_t a, b;

		if (!json_is_array(e) || json_array_size(e) != 2 ||
		    !json_is_integer(json_array_get(e, 0)) || !json_is_integer(json_array_get(e, 1))) {
			jfail(r, "rank range %zu must be [first, last]", i);
			return;
		}
		a = json_integer_value(json_array_get(e, 0));
		b = json_integer_value(json_array_get(e, 1));
		if (a < 0 || b < a || b > UINT32_MAX) {
			jfail(r, "rank range %zu out of order or range", i);
			return;
		}
		ns->ranks[i].first = (uint32_t)a;
		ns->ranks[i].last = (uint32_t)b;
	}
}

static void read_probe(struct jr *r, json_t *o, struct ot_probe *pr)
{
	static const char *const keys[] = {"from", "to_node", "to", "address", "expect", "why", NULL};
	const char *from;
	int i;

	if (!json_is_object(o)) {
		jfail(r, "must be an object");
		return;
	}
	if (only_keys(r, o, keys))
		return;
	from = get_str(r, o, "from", true);
	if (!from)
		return;
	i = ot_plan_container_find(r->p, from);
	if (i < 0) {
		jfail(r, "unknown container '%s'", from);
		return;
	}
	pr->from_ns = i;
	pr->to_node = dup_str(r, o, "to_node", false);
	pr->to_container = dup_str(r, o, "to", false);
	get_addr(r, o, "address", &pr->to_addr, true);
	pr->expect = get_enum(r, o, "expect", expect_names, true, 0);
	pr->why = dup_str(r, o, "why", false);
}

int ot_plan_from_json(json_t *o, struct ot_plan **ret, struct ot_error *err)
{
	static const char *const keys[] = {"schema",	"topology", "instance",	 "node",
					   "node_index", "prefix",   "state_dir", "source_digest",
					   "underlay",	"nodes",    "namespaces", "ops",
					   "probes",	"teardown", NULL};
	static const char *const ukeys[] = {"address", "mtu", NULL};
	static const char *const nkeys[] = {"name", "underlay", NULL};
	struct jr r = {0};
	json_t *arr, *e, *u;
	const char *schema;
	size_t i;
	int idx;

	r.err = err;
	if (!json_is_object(o))
		return ot_error_set(err, -EINVAL, "plan JSON: top level must be an object");
	r.p = ot_plan_new();
	if (!r.p)
		return ot_error_set(err, -ENOMEM, "plan JSON: out of memory");
	if (only_keys(&r, o, keys))
		goto fail;
	schema = get_str(&r, o, "schema", true);
	if (schema && strcmp(schema, OT_PLAN_SCHEMA) != 0) {
		jfail(&r, "schema '%s' is not '%s' (plan made by another OpenTop version?)", schema,
		      OT_PLAN_SCHEMA);
		goto fail;
	}
	r.p->topology = dup_str(&r, o, "topology", true);
	r.p->instance = dup_str(&r, o, "instance", true);
	r.p->node = dup_str(&r, o, "node", true);
	r.p->node_index = (uint32_t)get_int(&r, o, "node_index", 0, UINT32_MAX);
	r.p->prefix = dup_str(&r, o, "prefix", true);
	r.p->state_dir = dup_str(&r, o, "state_dir", true);
	r.p->source_digest = dup_str(&r, o, "source_digest", false);
	u = json_object_get(o, "underlay");
	if (u) {
		snprintf(r.path, sizeof(r.path), "underlay");
		if (!json_is_object(u) || only_keys(&r, u, ukeys)) {
			jfail(&r, "must be an object with known keys");
			goto fail;
		}
		get_addr(&r, u, "address", &r.p->underlay, false);
		r.p->underlay_mtu = (uint32_t)get_int(&r, u, "mtu", 0, 65535);
	}
	if (r.rc)
		goto fail;
	arr = json_object_get(o, "nodes");
	if (arr && !json_is_array(arr)) {
		jfail(&r, "'nodes' must be an array");
		goto fail;
	}
	json_array_foreach(arr, i, e)
	{
		struct ot_addr a = {0};
		const char *name;

		snprintf(r.path, sizeof(r.path), "nodes[%zu]", i);
		if (!json_is_object(e) || only_keys(&r, e, nkeys)) {
			jfail(&r, "must be an object with known keys");
			goto fail;
		}
		name = get_str(&r, e, "name", true);
		get_addr(&r, e, "underlay", &a, false);
		if (r.rc)
			goto fail;
		if (ot_plan_add_node(r.p, name, &a) < 0) {
			r.rc = ot_error_set(err, -ENOMEM, "plan JSON: out of memory");
			goto fail;
		}
	}
	arr = json_object_get(o, "namespaces");
	if (arr && !json_is_array(arr)) {
		jfail(&r, "'namespaces' must be an array");
		goto fail;
	}
	json_array_foreach(arr, i, e)
	{
		snprintf(r.path, sizeof(r.path), "namespaces[%zu]", i);
		read_ns(&r, e);
		if (r.rc)
			goto fail;
	}
	arr = json_object_get(o, "ops");
	if (arr && !json_is_array(arr)) {
		jfail(&r, "'ops' must be an array");
		goto fail;
	}
	json_array_foreach(arr, i, e)
	{
		snprintf(r.path, sizeof(r.path), "ops[%zu]", i);
		idx = ot_plan_add_op(r.p, OT_OP_NETNS, 0);
		if (idx < 0) {
			r.rc = ot_error_set(err, -ENOMEM, "plan JSON: out of memory");
			goto fail;
		}
		read_op(&r, e, &r.p->ops[idx]);
		if (r.rc)
			goto fail;
	}
	arr = json_object_get(o, "probes");
	if (arr && !json_is_array(arr)) {
		jfail(&r, "'probes' must be an array");
		goto fail;
	}
	json_array_foreach(arr, i, e)
	{
		snprintf(r.path, sizeof(r.path), "probes[%zu]", i);
		idx = ot_plan_add_probe(r.p);
		if (idx < 0) {
			r.rc = ot_error_set(err, -ENOMEM, "plan JSON: out of memory");
			goto fail;
		}
		read_probe(&r, e, &r.p->probes[idx]);
		if (r.rc)
			goto fail;
	}
	if (r.p->arena.oom) {
		r.rc = ot_error_set(err, -ENOMEM, "plan JSON: out of memory");
		goto fail;
	}
	r.rc = ot_plan_validate(r.p, err);
	if (r.rc)
		goto fail;
	*ret = r.p;
	return 0;
fail:
	ot_plan_free(r.p);
	return r.rc ? r.rc : -EINVAL;
}

int ot_plan_load(const char *text, size_t len, struct ot_plan **ret, struct ot_error *err)
{
	json_error_t jerr;
	json_t *o;
	int r;

	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return ot_error_set(err, -EINVAL, "plan JSON: line %d column %d: %s", jerr.line,
				    jerr.column, jerr.text);
	r = ot_plan_from_json(o, ret, err);
	json_decref(o);
	return r;
}
