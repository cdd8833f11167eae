/*
 * plan_sh.c - a node plan as an iproute2/nft shell script (contract in
 * plan_sh.h). One writer per operation kind (a table). Every interpolated
 * string is shell-quoted, although plan names are already restricted to
 * safe characters. Text from the user or the file system (origins carry the
 * topology's file name) also goes into comments, with control characters
 * escaped so that it never starts a line of its own, and into nft comments,
 * where what nft's strings cannot hold is replaced (ot_nft_rule_text).
 *
 * Equivalences with what the executor does over netlink:
 *   - named namespaces: `ip netns add` (the same /run/netns bind mounts);
 *   - a veth is created in its namespace with the peer placed by
 *     `netns NAME` (or `netns $$`, the script's own namespace, for the
 *     host); the peer's master, aliases and `addrgenmode none` (IPv6 off)
 *     are separate `ip link set` commands, as iproute2 cannot set them on a
 *     peer at creation;
 *   - a VXLAN device is requested from its socket namespace with `netns`
 *     pointing at its target, so the UDP socket stays with the underlay;
 *   - host sysctls are saved under <state_dir>/sh before being changed, and
 *     restored from there by the destroy script;
 *   - extra namespaces (uts, ipc, pid, mount, cgroup) need a process to
 *     hold them: the script says so in a comment and leaves them out, and
 *     the storage mounts made in a mount namespace with them.
 */
#include "plan/plan_sh.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "plan/plan_text.h"

static void q(struct ot_strbuf *out, const char *s)
{
	ot_sb_putc(out, ' ');
	ot_sb_shquote(out, s);
}

/* Free a scratch buffer whose text went into out; out remembers an
 * allocation failure in it. */
static void drop(struct ot_strbuf *out, struct ot_strbuf *t)
{
	if (t->oom)
		out->oom = true;
	ot_sb_free(t);
}

/* s inside a `#` comment: control characters (a newline would end the
 * comment and make the rest of s a command) and backslashes as C escapes. */
static void comment_text(struct ot_strbuf *out, const char *s)
{
	const unsigned char *c;

	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '\\')
			ot_sb_append(out, "\\\\");
		else if (*c == '\n')
			ot_sb_append(out, "\\n");
		else if (*c < 0x20 || *c == 0x7f)
			ot_sb_printf(out, "\\x%02x", *c);
		else
			ot_sb_putc(out, (char)*c);
	}
}

/* A comment line: "# " and the formatted text through comment_text(). */
static void comment(struct ot_strbuf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void comment(struct ot_strbuf *out, const char *fmt, ...)
{
	struct ot_strbuf t = OT_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ot_sb_vprintf(&t, fmt, ap);
	va_end(ap);
	ot_sb_append(out, "# ");
	comment_text(out, ot_sb_str(&t));
	ot_sb_putc(out, '\n');
	drop(out, &t);
}

/* "ip" or "ip -n NAME" (tool = "ip" or "bridge") */
static void tool(struct ot_strbuf *out, const struct ot_plan *p, const char *t, int ns)
{
	ot_sb_append(out, t);
	if (ns != OT_NS_HOST_INDEX) {
		ot_sb_append(out, " -n");
		q(out, p->ns[ns].name);
	}
}

/* "ip netns exec NAME " or "" for the host */
static void in_ns(struct ot_strbuf *out, const struct ot_plan *p, int ns)
{
	if (ns == OT_NS_HOST_INDEX)
		return;
	ot_sb_append(out, "ip netns exec");
	q(out, p->ns[ns].name);
	ot_sb_putc(out, ' ');
}

static void put_addr(struct ot_strbuf *out, const struct ot_addr *a)
{
	char buf[OT_ADDR_STRLEN];

	ot_addr_format(a, buf, sizeof(buf));
	ot_sb_printf(out, " %s", buf);
}

static void put_mac(struct ot_strbuf *out, const char *kw, const struct ot_mac *m)
{
	char buf[OT_MAC_STRLEN];

	if (ot_mac_is_zero(m))
		return;
	ot_mac_format(m, buf, sizeof(buf));
	ot_sb_printf(out, " %s %s", kw, buf);
}

static void set_link(struct ot_strbuf *out, const struct ot_plan *p, int ns, const char *dev,
		     const char *what, const char *arg)
{
	tool(out, p, "ip", ns);
	ot_sb_append(out, " link set dev");
	q(out, dev);
	ot_sb_printf(out, " %s", what);
	if (arg)
		q(out, arg);
	ot_sb_putc(out, '\n');
}

/* alias, IPv6 mode: what `ip link add` cannot set on every end */
static void link_extras(struct ot_strbuf *out, const struct ot_plan *p, int ns, const char *dev,
			const char *alias, bool ipv6)
{
	if (alias)
		set_link(out, p, ns, dev, "alias", alias);
	if (!ipv6)
		set_link(out, p, ns, dev, "addrgenmode none", NULL);
}

/* "netns NAME" for a peer or target namespace seen from namespace `from` */
static void netns_arg(struct ot_strbuf *out, const struct ot_plan *p, int from, int to)
{
	if (from == to)
		return;
	if (to == OT_NS_HOST_INDEX) {
		ot_sb_append(out, " netns $$");
		return;
	}
	ot_sb_append(out, " netns");
	q(out, p->ns[to].name);
}

typedef void emit_fn(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out);

static void e_netns(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const struct ot_plan_ns *ns = &p->ns[op->ns];
	unsigned bit;

	ot_sb_append(out, "ip netns add");
	q(out, ns->name);
	ot_sb_putc(out, '\n');
	set_link(out, p, op->ns, "lo", "up", NULL);
	if ((ns->isolate & ~OT_ISO_NET) || ns->hostname) {
		struct ot_strbuf t = OT_STRBUF_INIT;

		for (bit = OT_ISO_UTS; bit <= OT_ISO_CGROUP; bit <<= 1)
			if (ns->isolate & bit)
				ot_sb_printf(&t, " isolate %s",
					     ot_isolate_name((enum ot_isolate)bit));
		if (ns->hostname)
			ot_sb_printf(&t, ", hostname %s", ns->hostname);
		comment(out, "not done by this script (a namespace needs a process to hold it):%s",
			ot_sb_str(&t));
		drop(out, &t);
	}
	if (ns->caps_set || ns->no_new_privs) {
		struct ot_strbuf t = OT_STRBUF_INIT;

		ot_plan_caps_text(ns, " ", &t);
		comment(out, "for processes entering it (otnode exec, Slurm tasks), not here:%s",
			ot_sb_str(&t));
		drop(out, &t);
	}
}

static void e_link(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const struct ot_op_link *k = &op->link;

	switch (k->kind) {
	case OT_LINK_BRIDGE:
	case OT_LINK_VETH:
		tool(out, p, "ip", op->ns);
		ot_sb_append(out, " link add");
		q(out, k->name);
		put_mac(out, "address", &k->mac);
		if (k->mtu)
			ot_sb_printf(out, " mtu %u", k->mtu);
		if (k->master[0]) {
			ot_sb_append(out, " master");
			q(out, k->master);
		}
		if (k->kind == OT_LINK_BRIDGE) {
			ot_sb_append(out, " type bridge\n");
			link_extras(out, p, op->ns, k->name, k->alias, k->ipv6);
			break;
		}
		ot_sb_append(out, " type veth peer name");
		q(out, k->peer_name);
		put_mac(out, "address", &k->peer_mac);
		if (k->mtu)
			ot_sb_printf(out, " mtu %u", k->mtu);
		netns_arg(out, p, op->ns, k->peer_ns);
		ot_sb_putc(out, '\n');
		link_extras(out, p, op->ns, k->name, k->alias, k->ipv6);
		if (k->peer_master[0])
			set_link(out, p, k->peer_ns, k->peer_name, "master", k->peer_master);
		link_extras(out, p, k->peer_ns, k->peer_name, k->peer_alias, k->peer_ipv6);
		break;
	case OT_LINK_VXLAN:
		tool(out, p, "ip", k->sock_ns);
		ot_sb_append(out, " link add");
		q(out, k->name);
		netns_arg(out, p, k->sock_ns, op->ns);
		put_mac(out, "address", &k->mac);
		if (k->mtu)
			ot_sb_printf(out, " mtu %u", k->mtu);
		ot_sb_printf(out, " type vxlan id %u dstport %u", k->vni, k->port);
		if (k->local.family) {
			ot_sb_append(out, " local");
			put_addr(out, &k->local);
		}
		ot_sb_append(out, k->learning ? " learning\n" : " nolearning\n");
		if (k->master[0])
			set_link(out, p, op->ns, k->name, "master", k->master);
		link_extras(out, p, op->ns, k->name, k->alias, k->ipv6);
		break;
	case OT_LINK_MACVLAN:
		ot_sb_append(out, "ip link add");
		q(out, k->name);
		ot_sb_append(out, " link");
		q(out, k->lower);
		netns_arg(out, p, OT_NS_HOST_INDEX, op->ns);
		put_mac(out, "address", &k->mac);
		if (k->mtu)
			ot_sb_printf(out, " mtu %u", k->mtu);
		ot_sb_printf(out, " type macvlan mode %s\n", ot_macvlan_mode_name(k->mode));
		link_extras(out, p, op->ns, k->name, k->alias, k->ipv6);
		break;
	case OT_LINK__COUNT:
		break;
	}
}

static void e_up(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	set_link(out, p, op->ns, op->dev, "up", NULL);
}

static void e_addr(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	char buf[OT_PREFIX_STRLEN];

	ot_prefix_format(&op->addr.addr, buf, sizeof(buf));
	tool(out, p, "ip", op->ns);
	ot_sb_printf(out, " addr add %s dev", buf);
	q(out, op->addr.dev);
	ot_sb_append(out, op->addr.addr.addr.family == AF_INET6 ? " nodad\n" : "\n");
}

static void e_route(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const struct ot_op_route *r = &op->route;
	char buf[OT_PREFIX_STRLEN];

	tool(out, p, "ip", op->ns);
	if (r->dst.addr.family == AF_INET6)
		ot_sb_append(out, " -6");
	if (r->dst.len == 0) {
		ot_sb_append(out, " route add default");
	} else {
		ot_prefix_format(&r->dst, buf, sizeof(buf));
		ot_sb_printf(out, " route add %s", buf);
	}
	if (r->via.family) {
		ot_sb_append(out, " via");
		put_addr(out, &r->via);
	}
	if (r->dev[0]) {
		ot_sb_append(out, " dev");
		q(out, r->dev);
	}
	if (r->metric)
		ot_sb_printf(out, " metric %u", r->metric);
	ot_sb_putc(out, '\n');
}

static void e_fdb(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	char buf[OT_MAC_STRLEN];
	bool flood = ot_mac_is_zero(&op->fdb.mac);

	ot_mac_format(&op->fdb.mac, buf, sizeof(buf));
	tool(out, p, "bridge", op->ns);
	/* several all-zero entries (one per remote node) need `append` */
	ot_sb_printf(out, " fdb %s %s dev", flood ? "append" : "add", buf);
	q(out, op->fdb.dev);
	ot_sb_append(out, " dst");
	put_addr(out, &op->fdb.dst);
	ot_sb_append(out, " self permanent\n");
}

/* The file a host sysctl's old value is kept in: "$ot_saved"/sysctl.KEY
 * with the key's slashes as dots, quoted. */
static void saved_sysctl(struct ot_strbuf *out, const char *key)
{
	struct ot_strbuf f = OT_STRBUF_INIT;
	const char *c;

	ot_sb_append(&f, "sysctl.");
	for (c = key; *c; c++)
		ot_sb_putc(&f, *c == '/' ? '.' : *c);
	ot_sb_append(out, "\"$ot_saved\"/");
	ot_sb_shquote(out, ot_sb_str(&f));
	drop(out, &f);
}

static void e_sysctl(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	struct ot_strbuf kv = OT_STRBUF_INIT;

	ot_sb_printf(&kv, "%s=%s", op->sysctl.key, op->sysctl.value);
	if (op->ns == OT_NS_HOST_INDEX) {
		ot_sb_append(out, "[ -e ");
		saved_sysctl(out, op->sysctl.key);
		ot_sb_append(out, " ] || sysctl -n");
		q(out, op->sysctl.key);
		ot_sb_append(out, " > ");
		saved_sysctl(out, op->sysctl.key);
		ot_sb_putc(out, '\n');
	}
	in_ns(out, p, op->ns);
	ot_sb_append(out, "sysctl -qw");
	q(out, ot_sb_str(&kv));
	ot_sb_putc(out, '\n');
	drop(out, &kv);
}

static void e_nft(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	in_ns(out, p, op->ns);
	ot_sb_append(out, "nft -f - <<'OT_NFT'\n");
	ot_nft_table_text(&op->nft, "", out);
	ot_sb_append(out, "OT_NFT\n");
}

/* io limits: one ot_cgroup_io line per device, "max" for none. */
static void e_cgroup_io(const struct ot_op_cgroup *c, struct ot_strbuf *out)
{
	size_t i, k;

	for (i = 0; i < c->nio; i++) {
		const uint64_t v[4] = {c->io[i].rbps, c->io[i].wbps, c->io[i].riops,
				       c->io[i].wiops};

		ot_sb_append(out, "ot_cgroup_io");
		q(out, c->path);
		q(out, c->io[i].dev);
		for (k = 0; k < 4; k++) {
			if (v[k])
				ot_sb_printf(out, " %llu", (unsigned long long)v[k]);
			else
				ot_sb_append(out, " max");
		}
		ot_sb_putc(out, '\n');
	}
}

static void e_cgroup(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	ot_sb_append(out, "ot_cgroup");
	q(out, op->cgroup.path);
	ot_sb_printf(out, " %u %llu %u\n", op->cgroup.cpu_pct,
		     (unsigned long long)op->cgroup.memory, op->cgroup.pids);
	e_cgroup_io(&op->cgroup, out);
}

/* tc(8) for a qdisc op: netem as root (handle 1:) with tbf below it
 * (parent 1:1) when both are asked for, as tc-netem(8) shows. */
static void e_qdisc(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const struct ot_op_qdisc *d = &op->qdisc;
	bool netem = d->delay_us || d->loss_ppm;

	if (netem) {
		in_ns(out, p, op->ns);
		ot_sb_append(out, "tc qdisc add dev");
		q(out, d->dev);
		ot_sb_append(out, " root handle 1: netem limit 1000");
		if (d->delay_us)
			ot_sb_printf(out, " delay %uus", d->delay_us);
		if (d->jitter_us)
			ot_sb_printf(out, " %uus", d->jitter_us);
		if (d->loss_ppm)
			ot_sb_printf(out, " loss %u.%04u%%", d->loss_ppm / 10000,
				     d->loss_ppm % 10000);
		if (d->reorder_ppm)
			ot_sb_printf(out, " reorder %u.%04u%%", d->reorder_ppm / 10000,
				     d->reorder_ppm % 10000);
		ot_sb_putc(out, '\n');
	}
	if (d->rate) {
		in_ns(out, p, op->ns);
		ot_sb_append(out, "tc qdisc add dev");
		q(out, d->dev);
		ot_sb_append(out, netem ? " parent 1:1 handle 10:" : " root handle 1:");
		ot_sb_printf(out, " tbf rate %llubit burst %u limit %u\n",
			     (unsigned long long)d->rate * 8, d->burst, d->limit);
	}
}

/* storage: made inside the container's mount namespace, which this script
 * does not make (see e_netns) */
static void e_mount(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	struct ot_strbuf t = OT_STRBUF_INIT;

	ot_plan_op_text(p, op, &t);
	comment(out, "not done by this script (in the mount namespace of %s): mount %s",
		p->ns[op->ns].container ? p->ns[op->ns].container : "?", ot_sb_str(&t));
	drop(out, &t);
}

static emit_fn *const creators[OT_OP__COUNT] = {
    [OT_OP_MOUNT] = e_mount,   [OT_OP_NETNS] = e_netns,	  [OT_OP_LINK] = e_link,
    [OT_OP_LINK_UP] = e_up,    [OT_OP_ADDR] = e_addr,	  [OT_OP_ROUTE] = e_route,
    [OT_OP_FDB] = e_fdb,       [OT_OP_SYSCTL] = e_sysctl, [OT_OP_NFT] = e_nft,
    [OT_OP_CGROUP] = e_cgroup, [OT_OP_QDISC] = e_qdisc,
};

/* ------------------------------------------------------------------ */
/* destroy                                                             */

static void u_netns(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	ot_sb_append(out, "ip netns del");
	q(out, p->ns[op->ns].name);
	ot_sb_append(out, " || ot_st=1\n");
}

static void u_link(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const char *name = op->ns == OT_NS_HOST_INDEX ? op->link.name : op->link.peer_name;

	/* a veth whose other end lived in a deleted namespace may be gone already */
	ot_sb_append(out, "! ip link show dev");
	q(out, name);
	ot_sb_append(out, " >/dev/null 2>&1 || ip link del dev");
	q(out, name);
	ot_sb_append(out, " 2>/dev/null || ! ip link show dev");
	q(out, name);
	ot_sb_append(out, " >/dev/null 2>&1 || ot_st=1\n");
}

static void u_sysctl(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	ot_sb_append(out, "if [ -e ");
	saved_sysctl(out, op->sysctl.key);
	ot_sb_append(out, " ]; then sysctl -qw");
	q(out, op->sysctl.key);
	ot_sb_append(out, "=\"$(cat ");
	saved_sysctl(out, op->sysctl.key);
	ot_sb_append(out, ")\" && rm -f ");
	saved_sysctl(out, op->sysctl.key);
	ot_sb_append(out, " || ot_st=1; fi\n");
}

static void u_nft(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	in_ns(out, p, op->ns);
	ot_sb_append(out, "nft delete table inet");
	q(out, op->nft.table);
	ot_sb_append(out, " || ot_st=1\n");
}

static void u_cgroup(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	ot_sb_append(out, "ot_cgroup_rm");
	q(out, op->cgroup.path);
	ot_sb_append(out, " || ot_st=1\n");
}

static emit_fn *const undoers[OT_OP__COUNT] = {
    [OT_OP_NETNS] = u_netns, [OT_OP_LINK] = u_link,	[OT_OP_SYSCTL] = u_sysctl,
    [OT_OP_NFT] = u_nft,     [OT_OP_CGROUP] = u_cgroup,
};

/* ------------------------------------------------------------------ */

/* The controllers a v2 parent's cgroup.subtree_control gets, with the
 * executor's mark (src/exec/cgroup.c: <state root>/.cg.<dir, '/' as
 * '%'>.+<controller>), so that either destroy, the script's or otnode's,
 * takes back what the shell form enabled and nothing it found enabled. */
static const char cgroup_on_fn[] =
    "# ot_cg_on DIR CTRL...: enable each CTRL not yet in DIR's cgroup.subtree_control\n"
    "# (cgroup v2), marked as OpenTop's so that destroy disables it again.\n"
    "ot_cg_on() {\n"
    "\tot_g=$1; shift\n"
    "\tot_gm=${ot_saved%/sh}; ot_gm=\"${ot_gm%/*}/.cg.$(echo \"$ot_g\" | tr / %).+\"\n"
    "\tot_have=\" $(cat \"$ot_g/cgroup.subtree_control\" 2>/dev/null || :) \"\n"
    "\tfor ot_k; do\n"
    "\t\tcase $ot_have in *\" $ot_k \"*) continue ;; esac\n"
    "\t\tmkdir -p \"${ot_gm%/*}\" && : > \"$ot_gm$ot_k\"\n"
    "\t\techo \"+$ot_k\" > \"$ot_g/cgroup.subtree_control\" 2>/dev/null || rm -f \"$ot_gm$ot_k\"\n"
    "\tdone\n"
    "}\n";

static const char cgroup_create_fn[] =
    "# ot_cgroup PATH CPU_PCT MEMORY PIDS: create a cgroup with limits (0 = none),\n"
    "# on the unified hierarchy (cgroup v2) or on the v1 cpu/memory/pids controllers.\n"
    "ot_cgroup() {\n"
    "\tif [ -e /sys/fs/cgroup/cgroup.controllers ]; then\n"
    "\t\tot_d=/sys/fs/cgroup\n"
    "\t\tfor ot_c in $(echo \"$1\" | tr / ' '); do\n"
    "\t\t\tot_cg_on \"$ot_d\" cpu memory pids\n"
    "\t\t\tot_d=$ot_d/$ot_c; mkdir -p \"$ot_d\"\n"
    "\t\tdone\n"
    "\t\t[ \"$2\" = 0 ] || echo \"$(($2 * 1000)) 100000\" > \"$ot_d/cpu.max\"\n"
    "\t\t[ \"$3\" = 0 ] || echo \"$3\" > \"$ot_d/memory.max\"\n"
    "\t\t[ \"$4\" = 0 ] || echo \"$4\" > \"$ot_d/pids.max\"\n"
    "\telse\n"
    "\t\tmkdir -p \"/sys/fs/cgroup/cpu/$1\" \"/sys/fs/cgroup/memory/$1\" "
    "\"/sys/fs/cgroup/pids/$1\"\n"
    "\t\t[ \"$2\" = 0 ] || echo \"$(($2 * 1000))\" > \"/sys/fs/cgroup/cpu/$1/cpu.cfs_quota_us\"\n"
    "\t\t[ \"$3\" = 0 ] || echo \"$3\" > \"/sys/fs/cgroup/memory/$1/memory.limit_in_bytes\"\n"
    "\t\t[ \"$4\" = 0 ] || echo \"$4\" > \"/sys/fs/cgroup/pids/$1/pids.max\"\n"
    "\tfi\n"
    "}\n";

static const char cgroup_io_fn[] =
    "# ot_cgroup_io PATH DEV RBPS WBPS RIOPS WIOPS: block I/O limits (max = none) on DEV,\n"
    "# a /dev path or MAJ:MIN, in io.max (cgroup v2) or the v1 blkio throttle files.\n"
    "ot_cgroup_io() {\n"
    "\tcase \"$2\" in /dev/*) ot_m=$(stat -Lc '%t %T' \"$2\") &&\n"
    "\t\tot_v=\"$(printf '%d:%d' 0x${ot_m% *} 0x${ot_m#* })\" ;; *) ot_v=$2 ;; esac\n"
    "\tif [ -e /sys/fs/cgroup/cgroup.controllers ]; then\n"
    "\t\tot_d=/sys/fs/cgroup\n"
    "\t\tfor ot_c in $(echo \"$1\" | tr / ' '); do\n"
    "\t\t\tot_cg_on \"$ot_d\" io\n"
    "\t\t\tot_d=$ot_d/$ot_c\n"
    "\t\tdone\n"
    "\t\techo \"$ot_v rbps=$3 wbps=$4 riops=$5 wiops=$6\" > \"$ot_d/io.max\"\n"
    "\telse\n"
    "\t\tot_d=/sys/fs/cgroup/blkio/$1; mkdir -p \"$ot_d\"\n"
    "\t\t[ \"$3\" = max ] || echo \"$ot_v $3\" > \"$ot_d/blkio.throttle.read_bps_device\"\n"
    "\t\t[ \"$4\" = max ] || echo \"$ot_v $4\" > \"$ot_d/blkio.throttle.write_bps_device\"\n"
    "\t\t[ \"$5\" = max ] || echo \"$ot_v $5\" > \"$ot_d/blkio.throttle.read_iops_device\"\n"
    "\t\t[ \"$6\" = max ] || echo \"$ot_v $6\" > \"$ot_d/blkio.throttle.write_iops_device\"\n"
    "\tfi\n"
    "}\n";

static bool has_cg_io(const struct ot_plan *p)
{
	size_t i;

	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_CGROUP && p->ops[i].cgroup.nio)
			return true;
	return false;
}

static const char cgroup_remove_fn[] =
    "# ot_cgroup_rm PATH: remove a cgroup, then its parents if they are empty; then\n"
    "# (cgroup v2) disable what ot_cg_on enabled below each parent left without a\n"
    "# child cgroup, as otnode destroy does.\n"
    "ot_cgroup_rm() {\n"
    "\tfor ot_r in /sys/fs/cgroup /sys/fs/cgroup/cpu /sys/fs/cgroup/memory "
    "/sys/fs/cgroup/pids /sys/fs/cgroup/blkio; do\n"
    "\t\t[ -d \"$ot_r/$1\" ] || continue\n"
    "\t\trmdir \"$ot_r/$1\" || return 1\n"
    "\t\tot_p=${1%/*}\n"
    "\t\twhile [ \"$ot_p\" != \"$1\" ] && [ -n \"$ot_p\" ] && rmdir \"$ot_r/$ot_p\" 2>/dev/null; "
    "do\n"
    "\t\t\tot_n=${ot_p%/*}; [ \"$ot_n\" = \"$ot_p\" ] && break; ot_p=$ot_n\n"
    "\t\tdone\n"
    "\tdone\n"
    "\t[ -e /sys/fs/cgroup/cgroup.controllers ] || return 0\n"
    "\tot_p=$1; ot_gm=${ot_saved%/sh}; ot_gm=${ot_gm%/*}\n"
    "\twhile [ -n \"$ot_p\" ]; do\n"
    "\t\tcase $ot_p in */*) ot_p=${ot_p%/*} ;; *) ot_p= ;; esac\n"
    "\t\tot_g=/sys/fs/cgroup${ot_p:+/$ot_p}\n"
    "\t\t! ls -d \"$ot_g\"/*/ >/dev/null 2>&1 || continue\n"
    "\t\tfor ot_m in \"$ot_gm/.cg.$(echo \"$ot_g\" | tr / %).+\"*; do\n"
    "\t\t\t[ -e \"$ot_m\" ] || continue\n"
    "\t\t\t[ ! -d \"$ot_g\" ] || echo \"-${ot_m##*.+}\" > \"$ot_g/cgroup.subtree_control\" ||\n"
    "\t\t\t\treturn 1\n"
    "\t\t\trm -f \"$ot_m\"\n"
    "\t\tdone\n"
    "\tdone\n"
    "}\n";

static bool has_op(const struct ot_plan *p, enum ot_op_kind kind, bool host_only)
{
	size_t i;

	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == kind && (!host_only || p->ops[i].ns == OT_NS_HOST_INDEX))
			return true;
	return false;
}

static void header(const struct ot_plan *p, enum ot_sh_mode mode, struct ot_strbuf *out)
{
	ot_sb_append(out, "#!/bin/sh\n");
	comment(out, "OpenTop: %s node '%s' of topology '%s' (instance '%s').",
		mode == OT_SH_CREATE ? "create" : "destroy", p->node, p->topology, p->instance);
	ot_sb_append(out, "# Generated by `otc emit-sh`: the same steps as `otnode ");
	ot_sb_append(out, mode == OT_SH_CREATE ? "create" : "destroy");
	ot_sb_append(out, "`, with iproute2 and nft. Run as root.\n");
	if (p->source_digest)
		comment(out, "Topology source digest: %s", p->source_digest);
	if (mode == OT_SH_CREATE)
		ot_sb_append(out, "# Stops at the first failure; the destroy script (--destroy) "
				  "cleans up.\nset -e\n");
	else
		ot_sb_append(out, "# Keeps going past objects that are already gone; exits 1 "
				  "if anything could not be removed.\not_st=0\n");
	ot_sb_append(out, "ot_saved=");
	ot_sb_shquote(out, p->state_dir ? p->state_dir : "/run/opentop");
	ot_sb_append(out, "/sh\n");
}

int ot_plan_sh(const struct ot_plan *p, enum ot_sh_mode mode, struct ot_strbuf *out,
	       struct ot_error *err)
{
	size_t i, *td = NULL, ntd = 0;

	if (!ot_plan_bound(p))
		return ot_error_set(err, -EINVAL,
				    "plan of node '%s' is unbound: its VXLAN devices need underlay "
				    "addresses (give a hosts file)",
				    p->node);
	header(p, mode, out);
	if (mode == OT_SH_CREATE) {
		if (has_op(p, OT_OP_CGROUP, false)) {
			ot_sb_append(out, cgroup_on_fn);
			ot_sb_append(out, cgroup_create_fn);
		}
		if (has_cg_io(p))
			ot_sb_append(out, cgroup_io_fn);
		if (has_op(p, OT_OP_SYSCTL, true))
			ot_sb_append(out, "mkdir -p \"$ot_saved\"\n");
		for (i = 0; i < p->nops; i++) {
			const struct ot_op *op = &p->ops[i];

			ot_sb_putc(out, '\n');
			comment(out, "%zu: %s in %s%s%s%s", i + 1, ot_op_kind_name(op->kind),
				op->ns == OT_NS_HOST_INDEX ? "host" : p->ns[op->ns].name,
				op->origin ? " (" : "", op->origin ? op->origin : "",
				op->origin ? ")" : "");
			if (creators[op->kind])
				creators[op->kind](p, op, out);
		}
		return 0;
	}
	if (has_op(p, OT_OP_CGROUP, false))
		ot_sb_append(out, cgroup_remove_fn);
	if (ot_plan_teardown(p, &td, &ntd) < 0) {
		out->oom = true;
		return 0;
	}
	for (i = 0; i < ntd; i++) {
		const struct ot_op *op = &p->ops[td[i]];

		ot_sb_putc(out, '\n');
		comment(out, "undo %zu: %s in %s%s%s%s", td[i] + 1, ot_op_kind_name(op->kind),
			op->ns == OT_NS_HOST_INDEX ? "host" : p->ns[op->ns].name,
			op->origin ? " (" : "", op->origin ? op->origin : "",
			op->origin ? ")" : "");
		if (undoers[op->kind])
			undoers[op->kind](p, op, out);
	}
	free(td);
	ot_sb_append(out, "\nrmdir \"$ot_saved\" 2>/dev/null || :\n");
	ot_sb_append(out, "rmdir \"${ot_saved%/sh}\" 2>/dev/null || :\n");
	/* the state root too when empty, as otnode destroy does: ot_cg_on's
	 * marks may have made it (another instance's files keep it) */
	ot_sb_append(out, "ot_sr=${ot_saved%/sh}; rmdir \"${ot_sr%/*}\" 2>/dev/null || :\n");
	ot_sb_append(out, "exit $ot_st\n");
	return 0;
}
