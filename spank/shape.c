/*
 * shape.c - the step's shape and the plugin's overrides (contract in
 * shape.h). Pure: every node computes the same layout from the same
 * inputs.
 */
#include "spank/shape.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int ot_spank_tasks_per_node(const char *s, uint32_t nnodes, uint32_t ntasks, uint32_t *counts,
			    struct ot_error *err)
{
	const char *p = s;
	uint64_t total = 0;
	uint32_t k = 0;

	while (*p) {
		unsigned long long c, rep = 1;
		char *end;

		if (*p < '0' || *p > '9')
			goto bad;
		c = strtoull(p, &end, 10);
		p = end;
		if (p[0] == '(' && p[1] == 'x') {
			if (p[2] < '0' || p[2] > '9')
				goto bad;
			rep = strtoull(p + 2, &end, 10);
			if (*end != ')')
				goto bad;
			p = end + 1;
		}
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
		if (c == 0 || c > OT_MAX_TASKS || rep == 0 || rep > nnodes - k)
			goto bad;
		while (rep--) {
			counts[k++] = (uint32_t)c;
			total += c;
		}
	}
	if (k != nnodes || total != ntasks)
		return ot_error_set(err, -EINVAL,
				    "the step's tasks per node '%.200s' describe %" PRIu32
				    " nodes and %" PRIu64 " tasks, not %" PRIu32 " and %" PRIu32,
				    s, k, total, nnodes, ntasks);
	return 0;
bad:
	return ot_error_set(err, -EINVAL,
			    "cannot read the step's tasks per node '%.200s' for %" PRIu32 " nodes",
			    s, nnodes);
}

int ot_spank_layout(const uint32_t *counts, uint32_t nnodes, uint32_t ntasks, const char *dist,
		    uint32_t plane, uint32_t *node_of, struct ot_error *err)
{
	size_t n = strcspn(dist, ":,");
	uint32_t *given, k, r = 0, step;

	if (n == 0 || (n == 5 && !strncmp(dist, "block", 5)) || (n == 1 && dist[0] == '*'))
		step = UINT32_MAX; /* block: fill each node in turn */
	else if (n == 6 && !strncmp(dist, "cyclic", 6))
		step = 1;
	else if (n == 5 && !strncmp(dist, "plane", 5) && plane > 0)
		step = plane;
	else
		return ot_error_set(err, -ENOTSUP,
				    "task distribution '%.*s' is not supported with --opentop "
				    "(block, cyclic and plane are)",
				    (int)(n > 64 ? 64 : n), dist);
	given = calloc(nnodes, sizeof(*given));
	if (!given)
		return ot_error_set(err, -ENOMEM, "out of memory");
	while (r < ntasks) {
		uint32_t before = r;

		for (k = 0; k < nnodes && r < ntasks; k++) {
			uint32_t take = counts[k] - given[k];

			if (take > step)
				take = step;
			given[k] += take;
			while (take--)
				node_of[r++] = k;
		}
		if (r == before) /* counts add up to less than ntasks */
			break;
	}
	free(given);
	if (r != ntasks)
		return ot_error_set(err, -EINVAL,
				    "the step's tasks per node add up to %" PRIu32 ", not %" PRIu32,
				    r, ntasks);
	return 0;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int ot_spank_layout_check(const struct ot_shape *s, uint32_t nodeid, const uint32_t *gtids,
			  uint32_t ngtids, struct ot_error *err)
{
	uint32_t *mine, r, j = 0, expect = 0;
	int rc = 0;

	for (r = 0; r < s->tasks; r++)
		expect += s->node_of[r] == nodeid;
	if (expect != ngtids)
		return ot_error_set(err, -EINVAL,
				    "this node runs %" PRIu32
				    " tasks, but the step's layout puts %" PRIu32 " on it",
				    ngtids, expect);
	mine = malloc((ngtids ? ngtids : 1) * sizeof(*mine));
	if (!mine)
		return ot_error_set(err, -ENOMEM, "out of memory");
	memcpy(mine, gtids, ngtids * sizeof(*mine));
	qsort(mine, ngtids, sizeof(*mine), u32_cmp);
	for (r = 0; r < s->tasks && !rc; r++) {
		if (s->node_of[r] != nodeid)
			continue;
		if (mine[j++] != r)
			rc = ot_error_set(err, -EINVAL,
					  "this node runs rank %" PRIu32 " where the step's layout "
					  "puts rank %" PRIu32,
					  mine[j - 1], r);
	}
	free(mine);
	return rc;
}

int ot_spank_defines_add(struct ot_spank_defines *d, const char *s, struct ot_error *err)
{
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, ",");
		char **nv, *item;

		if (n) {
			if (d->n >= OT_SPANK_MAX_DEFINES)
				return ot_error_set(err, -E2BIG, "more than %d parameter overrides",
						    OT_SPANK_MAX_DEFINES);
			item = strndup(p, n);
			nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
			if (!item || !nv) {
				free(item);
				if (nv)
					d->v = nv;
				return ot_error_set(err, -ENOMEM, "out of memory");
			}
			d->v = nv;
			d->v[d->n++] = item;
		}
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

int ot_spank_defines_join(struct ot_spank_defines *d)
{
	size_t len = 1, i;
	char *o;

	for (i = 0; i < d->n; i++)
		len += strlen(d->v[i]) + 1;
	free(d->joined);
	d->joined = o = malloc(len);
	if (!o)
		return -ENOMEM;
	*o = '\0';
	for (i = 0; i < d->n; i++) {
		size_t n = strlen(d->v[i]);

		if (i)
			*o++ = ',';
		memcpy(o, d->v[i], n + 1);
		o += n;
	}
	return 0;
}

void ot_spank_defines_free(struct ot_spank_defines *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	free(d->joined);
	memset(d, 0, sizeof(*d));
}
