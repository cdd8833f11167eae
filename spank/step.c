/*
 * step.c - per-step decisions of the SPANK plugin (contract in step.h).
 * Pure functions: every node of a step must reach the same answers from
 * the same inputs, so nothing here reads the clock, the environment or the
 * system.
 */
#include "spank/step.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/hash.h"
#include "util/strbuf.h"

int ot_spank_instance(const char *topo, uint32_t job, uint32_t step, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s.j%" PRIu32 "s%" PRIu32, topo, job, step);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* Steps of one job that get windows of their own before they share one
 * with the next job's: sbatch scripts rarely run more steps at once. */
#define STEPS_PER_JOB 64u

void ot_spank_vni_window(const struct ot_spank_config *cfg, uint32_t job, uint32_t step,
			 uint32_t *base, uint32_t *span)
{
	uint64_t range = (uint64_t)cfg->bounds.vni_max - cfg->bounds.vni_min + 1;
	uint64_t nslots = range / cfg->vni_block; /* >= 1: checked by the parser */
	uint64_t slot = ((uint64_t)job * STEPS_PER_JOB + step % STEPS_PER_JOB) % nslots;

	*base = cfg->bounds.vni_min + (uint32_t)(slot * cfg->vni_block);
	*span = cfg->vni_block;
}

/* "n0, n1, n2" (at most 8 names, then ", ..."), truncated to size. */
static void node_list(const struct ot_model *m, char *buf, size_t size)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	size_t i;

	for (i = 0; i < m->nnodes && i < 8; i++)
		ot_sb_printf(&sb, "%s%s", i ? ", " : "", m->nodes[i]->name);
	if (m->nnodes > 8)
		ot_sb_append(&sb, ", ...");
	snprintf(buf, size, "%s", sb.oom ? "..." : ot_sb_str(&sb));
	ot_sb_free(&sb);
}

int ot_spank_check_nodes(const struct ot_model *m, uint32_t nnodes, struct ot_error *err)
{
	char names[256];

	if (m->nnodes == 0)
		return ot_error_set(err, -EINVAL, "topology '%s' places no container on any node",
				    m->name);
	if (nnodes == 0 || m->nnodes == nnodes)
		return 0;
	node_list(m, names, sizeof(names));
	return ot_error_set(err, -EINVAL,
			    "topology '%s' has %zu node%s (%s) but the step runs on %" PRIu32
			    ": run it with -N%zu (node[k] is the k-th node of the step)",
			    m->name, m->nnodes, m->nnodes == 1 ? "" : "s", names, nnodes,
			    m->nnodes);
}

int ot_spank_bind(const struct ot_model *m, const char *const *names, const struct ot_addr *addrs,
		  size_t n, const struct ot_spank_config *cfg, struct ot_spank_binding *b,
		  struct ot_error *err)
{
	struct ot_hosts *h = &b->hosts;
	size_t k;
	int r;

	memset(b, 0, sizeof(*b));
	r = ot_spank_check_nodes(m, (uint32_t)n, err);
	if (r < 0)
		return r;
	ot_arena_init(&h->arena);
	h->file = "(slurm step)";
	h->hosts = ot_arena_calloc(&h->arena, n, sizeof(*h->hosts));
	for (k = 0; h->hosts && k < n; k++) {
		struct ot_host *x = &h->hosts[k];

		if (addrs[k].family != addrs[0].family) {
			ot_spank_binding_free(b);
			return ot_error_set(err, -EINVAL,
					    "step nodes '%s' and '%s' resolve to addresses of "
					    "different families",
					    names[0], names[k]);
		}
		x->name = m->nodes[k]->name;
		x->ssh_target = ot_arena_strdup(&h->arena, names[k]);
		x->underlay = addrs[k];
		x->mtu = cfg->underlay_mtu;
		x->dev =
		    cfg->underlay_dev[0] ? ot_arena_strdup(&h->arena, cfg->underlay_dev) : NULL;
	}
	if (h->arena.oom) {
		ot_spank_binding_free(b);
		return ot_error_set(err, -ENOMEM,
				    "binding the topology to the step: out of memory");
	}
	h->nhosts = n;
	return 0;
}

void ot_spank_binding_free(struct ot_spank_binding *b)
{
	if (!b)
		return;
	ot_arena_free(&b->hosts.arena);
	memset(b, 0, sizeof(*b));
}

size_t ot_spank_policy_check(const struct ot_model *m, const struct ot_spank_config *cfg,
			     struct ot_diags *d)
{
	size_t i, j, n = 0;

	if (!cfg->explicit_vni) {
		for (i = 0; i < m->nnetworks; i++) {
			const struct ot_m_network *net = m->networks[i];
			struct ot_diag *g;

			if (!net->vni)
				continue;
			g = ot_diag_error(d, net->vni_loc,
					  "network '%s' names VNI %" PRIu32
					  ", but this cluster assigns VNIs per job step",
					  net->name, net->vni);
			ot_diag_hint(g, "remove the 'vni' line: the plugin derives one inside the "
					"job's own range (plugstack.conf: explicit_vni=no)");
			n++;
		}
	}
	if (!cfg->sysctls) {
		for (i = 0; i < m->ncontainers; i++) {
			const struct ot_m_container *c = m->containers[i];

			for (j = 0; j < c->nsysctls; j++) {
				struct ot_diag *g = ot_diag_error(
				    d, c->sysctls[j].loc,
				    "container '%s' sets sysctl '%s', which this cluster does "
				    "not allow",
				    c->name, c->sysctls[j].key);

				ot_diag_hint(g, "plugstack.conf: sysctls=no");
				n++;
			}
		}
	}
	return n;
}

bool ot_spank_explicit_ranks(const struct ot_model *m)
{
	size_t i;

	for (i = 0; i < m->ncontainers; i++)
		if (m->containers[i]->nranks)
			return true;
	return false;
}

int ot_spank_task_ns(const struct ot_plan *p, bool explicit_ranks, uint32_t local_id,
		     uint32_t global_id, struct ot_error *err)
{
	size_t i, k = 0;
	int r;

	if (explicit_ranks) {
		r = ot_plan_rank_find(p, global_id);
		if (r >= 0)
			return r;
		return ot_error_set(err, -ENOENT,
				    "task %" PRIu32 " runs on node '%s', but no container of that "
				    "node lists rank %" PRIu32
				    " in its 'ranks' (check the task layout: srun -n/-N/-m)",
				    global_id, p->node, global_id);
	}
	for (i = 0; i < p->nns; i++) {
		if (p->ns[i].role != OT_NS_CONTAINER)
			continue;
		if (k++ == local_id)
			return (int)i;
	}
	return ot_error_set(err, -ENOENT,
			    "task %" PRIu32 " is task %" PRIu32 " of node '%s', which has only %zu "
			    "container%s: start at most %zu task%s per node, or map ranks with "
			    "'ranks'",
			    global_id, local_id, p->node, k, k == 1 ? "" : "s", k,
			    k == 1 ? "" : "s");
}

int ot_spank_pmix_uri(const char *uri, struct ot_addr *addr, uint16_t *port)
{
	const char *p = strchr(uri, ';');
	char host[OT_ADDR_STRLEN];
	const char *h, *colon;
	size_t hl;
	char *end;
	unsigned long v;

	p = p ? p + 1 : uri;
	if (!strncmp(p, "tcp4://", 7)) {
		h = p + 7;
		colon = strrchr(h, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - h);
	} else if (!strncmp(p, "tcp6://[", 8)) {
		h = p + 8;
		colon = strstr(h, "]:");
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		return -EINVAL;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (ot_addr_parse(host, addr) < 0)
		return -EINVAL;
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int ot_spank_env_format(uint64_t digest, const char *abspath, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%016" PRIx64 " %s", digest, abspath);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int ot_spank_env_parse(const char *s, uint64_t *digest, const char **path)
{
	uint64_t d = 0;
	int i;

	for (i = 0; i < 16; i++) {
		char c = s[i];
		unsigned v;

		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else
			return -EINVAL;
		d = d << 4 | v;
	}
	if (s[16] != ' ' || s[17] != '/')
		return -EINVAL;
	*digest = d;
	*path = s + 17;
	return 0;
}

int ot_spank_text_encode(const char *text, size_t len, char **ret)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o = malloc(3 * len + 1), *p = o;
	size_t i;

	if (!o)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '%' || c == 0x7f || (c < 0x20 && c != '\t')) {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = (char)c;
		}
	}
	*p = '\0';
	*ret = o;
	return 0;
}

void ot_spank_carry_name(unsigned k, char *buf, size_t size)
{
	if (k == 0)
		snprintf(buf, size, "%s", OT_SPANK_ENV_TEXT);
	else
		snprintf(buf, size, "%s_%u", OT_SPANK_ENV_TEXT, k);
}

int ot_spank_carry_join(int (*get)(void *ctx, const char *name, char *buf, size_t size), void *ctx,
			char **ret)
{
	/* room for one part more than allowed, to see it and refuse it */
	size_t part = OT_SPANK_CARRY_MAX + 2, len = 0, n;
	char *o = malloc((OT_SPANK_CARRY_PARTS + 1) * part), name[32];
	bool over = false;
	unsigned k;

	if (!o)
		return -ENOMEM;
	for (k = 0; k <= OT_SPANK_CARRY_PARTS && !over; k++) {
		ot_spank_carry_name(k, name, sizeof(name));
		if (get(ctx, name, o + len, part) < 0)
			break;
		n = strlen(o + len);
		over = n > OT_SPANK_CARRY_MAX || k == OT_SPANK_CARRY_PARTS;
		len += n;
	}
	o[len] = '\0';
	if (k == 0 || over) {
		free(o);
		return k == 0 ? -ENOENT : -E2BIG;
	}
	*ret = o;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ot_spank_text_decode(char *s, size_t *len)
{
	char *i = s, *o = s;

	while (*i) {
		if (*i == '%') {
			int a = hexval(i[1]), b = a < 0 ? -1 : hexval(i[2]);

			if (b < 0 || (a == 0 && b == 0))
				return -EINVAL;
			*o++ = (char)(a << 4 | b);
			i += 3;
		} else {
			*o++ = *i++;
		}
	}
	*o = '\0';
	*len = (size_t)(o - s);
	return 0;
}
