/*
 * plan_json.c - plan <-> canonical JSON (contract in plan_json.h).
 *
 * The writer omits every field at its zero value; the reader treats a missing
 * field as zero. So a round trip is exact, and the JSON a person reads holds
 * only what matters. Namespaces are referred to by name ("host" for the
 * node's own), never by index, so a plan is readable on its own.
 */
#include "plan/plan_json.h"
#include "plan/plan_schema.h"
#include "vocab/caps.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* ------------------------------------------------------------------ */
/* writer: plan_jsonw.c                                                */

char *ot_plan_dump(const struct ot_plan *p, int pretty)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;

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
	r->rc =
	    ot_error_set(r->err, -EINVAL, "plan JSON: %s: %s", r->path[0] ? r->path : "(top)", msg);
	return r->rc;
}

/* Every key of o must be one of fields (plan_schema.c). */
static int only_fields(struct jr *r, json_t *o, const struct ot_plan_field *fields)
{
	const struct ot_plan_field *f;
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		for (f = fields; f->key; f++)
			if (strcmp(f->key, k) == 0)
				break;
		if (!f->key)
			return jfail(r, "unknown key '%s'", k);
	}
	return 0;
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

static int get_enum(struct jr *r, json_t *o, const char *k, const struct ot_enum_name *t,
		    bool required, int dflt)
{
	const char *s = get_str(r, o, k, required);
	int v;

	if (!s)
		return dflt;
	if (ot_enum_value(t, s, &v) < 0) {
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

/* An underlay address (a VTEP): optional, and unicast when present. */
static void get_underlay(struct jr *r, json_t *o, const char *k, struct ot_addr *a)
{
	const char *why;

	get_addr(r, o, k, a, false);
	if (r->rc || !a->family || !(why = ot_addr_not_unicast(a)))
		return;
	jfail(r, "'%s' = '%s' is not a unicast underlay address: it is %s", k,
	      json_string_value(json_object_get(o, k)), why);
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

/* One [first, last] pair, 1 <= first <= last <= 65535. */
static bool get_range(json_t *v, struct ot_port_range *ret)
{
	json_int_t a, b;

	if (!json_is_array(v) || json_array_size(v) != 2 ||
	    !json_is_integer(json_array_get(v, 0)) || !json_is_integer(json_array_get(v, 1)))
		return false;
	a = json_integer_value(json_array_get(v, 0));
	b = json_integer_value(json_array_get(v, 1));
	if (a < 1 || b < a || b > 65535)
		return false;
	ret->lo = (uint16_t)a;
	ret->hi = (uint16_t)b;
	return true;
}

/* A port set: [first, last], or [[first, last], ...] with 2..OT_PORTS_MAX
 * pairs (plan_jsonw.c writes one range in the first form). */
static void get_ports(struct jr *r, json_t *o, const char *k, struct ot_ports *ret)
{
	json_t *v = json_object_get(o, k), *e;
	size_t i;

	ret->n = 0;
	if (!v)
		return;
	if (json_is_array(v) && json_array_size(v) > 0 && json_is_array(json_array_get(v, 0))) {
		if (json_array_size(v) < 2 || json_array_size(v) > OT_PORTS_MAX) {
			jfail(r, "'%s' must list 2 to %d port ranges", k, OT_PORTS_MAX);
			return;
		}
		json_array_foreach(v, i, e)
		{
			if (!get_range(e, &ret->r[i])) {
				jfail(r,
				      "'%s' item %zu must be [first, last] with "
				      "1 <= first <= last <= 65535",
				      k, i);
				ret->n = 0;
				return;
			}
			ret->n++;
		}
		return;
	}
	if (!get_range(v, &ret->r[0])) {
		jfail(r, "'%s' must be [first, last] with 1 <= first <= last <= 65535", k);
		return;
	}
	ret->n = 1;
}

/* "icmp_type": [first, last], 0..255, on an icmp or icmpv6 rule only (read
 * after "proto"). */
static void get_icmp_type(struct jr *r, json_t *o, struct ot_nft_rule *ru)
{
	json_t *v = json_object_get(o, "icmp_type");
	json_int_t a, b;

	if (!v)
		return;
	if (!json_is_array(v) || json_array_size(v) != 2 ||
	    !json_is_integer(json_array_get(v, 0)) || !json_is_integer(json_array_get(v, 1))) {
		jfail(r, "'icmp_type' must be [first, last]");
		return;
	}
	a = json_integer_value(json_array_get(v, 0));
	b = json_integer_value(json_array_get(v, 1));
	if (a < 0 || b < a || b > 255) {
		jfail(r, "'icmp_type' must be [first, last] with 0 <= first <= last <= 255");
		return;
	}
	if (ru->l4proto != IPPROTO_ICMP && ru->l4proto != IPPROTO_ICMPV6) {
		jfail(r, "'icmp_type' needs proto icmp or icmpv6");
		return;
	}
	ru->has_icmp_type = true;
	ru->icmp_type_first = (uint8_t)a;
	ru->icmp_type_last = (uint8_t)b;
}

static void read_nft(struct jr *r, json_t *o, struct ot_op_nft *n)
{
	static const char *const keys[] = {"table", "chains", "rules", NULL};
	static const char *const ckeys[] = {"name", "type", "hook", "priority", "policy", NULL};
	static const char *const rkeys[] = {
	    "chain",	"family",   "proto",   "saddr",	   "daddr",	"sport",
	    "dport",	"iif",	    "oif",     "ct_state", "icmp_type", "verdict",
	    "nat_addr", "nat_port", "counter", "comment",  NULL};
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
		c->type = get_enum(r, v, "type", ot_nft_chain_type_names, true, 0);
		c->hook = get_enum(r, v, "hook", ot_nft_hook_names, true, 0);
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
		ru->family = (uint8_t)get_enum(r, v, "family", ot_nft_family_names, false, 0);
		ru->l4proto = (uint8_t)get_enum(r, v, "proto", ot_l4proto_names, false, 0);
		get_prefix(r, v, "saddr", &ru->saddr, &ru->has_saddr);
		get_prefix(r, v, "daddr", &ru->daddr, &ru->has_daddr);
		get_ports(r, v, "sport", &ru->sport);
		get_ports(r, v, "dport", &ru->dport);
		get_name(r, v, "iif", ru->iif, false);
		get_name(r, v, "oif", ru->oif, false);
		ct = json_object_get(v, "ct_state");
		if (ct && !json_is_array(ct))
			jfail(r, "'ct_state' must be an array");
		json_array_foreach(ct, j, e)
		{
			int bit;

			if (!json_is_string(e) ||
			    ot_enum_value(ot_ct_state_names, json_string_value(e), &bit) < 0)
				jfail(r, "unknown ct state");
			else
				ru->ct_state |= (unsigned)bit;
		}
		get_icmp_type(r, v, ru);
		ru->verdict = get_enum(r, v, "verdict", ot_nft_verdict_names, true, 0);
		get_addr(r, v, "nat_addr", &ru->nat_addr, false);
		ru->nat_port = (uint16_t)get_int(r, v, "nat_port", 0, 65535);
		ru->counter = get_bool(r, v, "counter");
		ru->comment = dup_str(r, v, "comment", false);
		if (r->rc)
			return;
	}
}

/* A cgroup's "io" array: one object per device (ot_plan_cg_io_fields). */
static void read_cg_io(struct jr *r, json_t *a, struct ot_op_cgroup *c)
{
	json_t *e;
	size_t i;

	if (!a)
		return;
	if (!json_is_array(a) || !json_array_size(a) || json_array_size(a) > 64) {
		jfail(r, "'io' must be an array of 1..64 objects");
		return;
	}
	c->io = ot_arena_calloc(&r->p->arena, json_array_size(a), sizeof(*c->io));
	if (!c->io) {
		r->rc = ot_error_set(r->err, -ENOMEM, "plan JSON: out of memory");
		return;
	}
	json_array_foreach(a, i, e)
	{
		struct ot_cg_io *io = &c->io[i];

		if (!json_is_object(e)) {
			jfail(r, "an 'io' element must be an object");
			return;
		}
		if (only_fields(r, e, ot_plan_cg_io_fields))
			return;
		io->dev = dup_str(r, e, "dev", true);
		io->rbps = (uint64_t)get_int(r, e, "rbps", 0, INT64_MAX);
		io->wbps = (uint64_t)get_int(r, e, "wbps", 0, INT64_MAX);
		io->riops = (uint64_t)get_int(r, e, "riops", 0, INT64_MAX);
		io->wiops = (uint64_t)get_int(r, e, "wiops", 0, INT64_MAX);
		if (r->rc)
			return;
	}
	c->nio = json_array_size(a);
}

static void read_op(struct jr *r, json_t *o, struct ot_op *op)
{
	if (!json_is_object(o)) {
		jfail(r, "must be an object");
		return;
	}
	op->kind = get_enum(r, o, "op", ot_op_kind_names, true, 0);
	if (r->rc || only_fields(r, o, ot_plan_op_fields[op->kind]))
		return;
	op->ns = get_ns(r, o, "ns");
	op->origin = dup_str(r, o, "origin", false);
	switch (op->kind) {
	case OT_OP_NETNS:
		break;
	case OT_OP_LINK: {
		struct ot_op_link *l = &op->link;
		json_t *peer;

		l->kind = get_enum(r, o, "kind", ot_link_kind_names, true, 0);
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
			if (only_fields(r, peer, ot_plan_peer_fields))
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
			get_underlay(r, o, "local", &l->local);
			l->sock_ns = get_ns(r, o, "sock_ns");
			l->learning = get_bool(r, o, "learning");
		} else if (json_object_get(o, "vni") || json_object_get(o, "local")) {
			jfail(r, "'vni'/'local' are only for vxlan");
		}
		if (l->kind == OT_LINK_MACVLAN) {
			get_name(r, o, "lower", l->lower, true);
			l->mode =
			    get_enum(r, o, "mode", ot_macvlan_mode_names, false, OT_MACVLAN_BRIDGE);
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
		get_underlay(r, o, "dst", &op->fdb.dst);
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
		read_cg_io(r, json_object_get(o, "io"), &op->cgroup);
		break;
	case OT_OP_QDISC: {
		struct ot_op_qdisc *q = &op->qdisc;

		get_name(r, o, "dev", q->dev, true);
		q->rate = (uint64_t)get_int(r, o, "rate", 0, INT64_MAX);
		q->burst = (uint32_t)get_int(r, o, "burst", 0, UINT32_MAX);
		q->limit = (uint32_t)get_int(r, o, "limit", 0, UINT32_MAX);
		q->delay_us = (uint32_t)get_int(r, o, "delay_us", 0, UINT32_MAX);
		q->jitter_us = (uint32_t)get_int(r, o, "jitter_us", 0, UINT32_MAX);
		q->loss_ppm = (uint32_t)get_int(r, o, "loss_ppm", 0, 1000000);
		q->reorder_ppm = (uint32_t)get_int(r, o, "reorder_ppm", 0, 1000000);
		break;
	}
	case OT_OP_MOUNT:
		op->mount.kind = get_enum(r, o, "kind", ot_mount_kind_names, true, 0);
		op->mount.src = dup_str(r, o, "src", false);
		op->mount.dst = dup_str(r, o, "dst", false);
		op->mount.ro = get_bool(r, o, "ro");
		op->mount.nofollow = get_bool(r, o, "nofollow");
		op->mount.size = (uint64_t)get_int(r, o, "size", 0, INT64_MAX);
		op->mount.mode = (uint32_t)get_int(r, o, "mode", 0, 07777);
		break;
	case OT_OP__COUNT:
		break;
	}
}

/* "caps_drop" or "caps_keep" (not both): capability names; "no_new_privs": true. */
static void read_caps(struct jr *r, json_t *o, struct ot_plan_ns *ns)
{
	json_t *drop = json_object_get(o, OT_PLAN_KEY_CAPS_DROP);
	json_t *keep = json_object_get(o, OT_PLAN_KEY_CAPS_KEEP);
	json_t *nnp = json_object_get(o, OT_PLAN_KEY_NO_NEW_PRIVS);
	json_t *arr = drop ? drop : keep, *e;
	size_t i;

	if (nnp && !json_is_true(nnp))
		jfail(r, "'%s' must be true when given", OT_PLAN_KEY_NO_NEW_PRIVS);
	ns->no_new_privs = nnp != NULL;
	if (drop && keep) {
		jfail(r, "'%s' and '%s' together", OT_PLAN_KEY_CAPS_DROP, OT_PLAN_KEY_CAPS_KEEP);
		return;
	}
	if (!arr)
		return;
	if (!json_is_array(arr)) {
		jfail(r, "'%s' must be an array",
		      drop ? OT_PLAN_KEY_CAPS_DROP : OT_PLAN_KEY_CAPS_KEEP);
		return;
	}
	ns->caps_set = true;
	ns->caps_keep = keep != NULL;
	json_array_foreach(arr, i, e)
	{
		int n = json_is_string(e)
			    ? ot_cap_by_name(json_string_value(e), json_string_length(e))
			    : -1;

		if (n < 0) {
			jfail(r, "unknown capability at index %zu", i);
			return;
		}
		ns->caps |= 1ull << n;
	}
}

static void read_ns(struct jr *r, json_t *o)
{
	static const char *const keys[] = {"name",
					   "role",
					   "container",
					   "isolate",
					   "hostname",
					   "cgroup",
					   "ranks",
					   OT_PLAN_KEY_CAPS_DROP,
					   OT_PLAN_KEY_CAPS_KEEP,
					   OT_PLAN_KEY_NO_NEW_PRIVS,
					   NULL};
	struct ot_plan_ns *ns;
	const char *name;
	json_t *arr, *e;
	size_t i;
	int role, idx;

	if (!json_is_object(o)) {
		jfail(r, "must be an object");
		return;
	}
	if (only_keys(r, o, keys))
		return;
	name = get_str(r, o, "name", true);
	role = get_enum(r, o, "role", ot_ns_role_names, true, 0);
	if (!r->rc && role == OT_NS_HOST)
		jfail(r, "'role': unknown value 'host'"); /* the host is not listed */
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
	read_caps(r, o, ns);
	arr = json_object_get(o, "isolate");
	if (arr && !json_is_array(arr))
		jfail(r, "'isolate' must be an array");
	json_array_foreach(arr, i, e)
	{
		const struct ot_isolate_kind *k =
		    json_is_string(e)
			? ot_isolate_kind_by_name(json_string_value(e), json_string_length(e))
			: NULL;

		if (!k)
			jfail(r, "unknown isolation kind");
		else
			ns->isolate |= (unsigned)k->bit;
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
		    !json_is_integer(json_array_get(e, 0)) ||
		    !json_is_integer(json_array_get(e, 1))) {
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
	static const char *const keys[] = {"from",   "to_node", "to", "address",
					   "expect", "why",	NULL};
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
	pr->expect = get_enum(r, o, "expect", ot_expect_names, true, 0);
	pr->why = dup_str(r, o, "why", false);
}

int ot_plan_from_json(json_t *o, struct ot_plan **ret, struct ot_error *err)
{
	static const char *const keys[] = {"schema",	 "topology", "instance",   "node",
					   "node_index", "prefix",   "state_dir",  "source_digest",
					   "underlay",	 "nodes",    "namespaces", "ops",
					   "probes",	 "teardown", NULL};
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
		get_underlay(&r, u, "address", &r.p->underlay);
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
		get_underlay(&r, e, "underlay", &a);
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
