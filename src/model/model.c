/*
 * model.c - freeing and looking up the resolved topology (contract in
 * model.h). Lookups use a private hash index when the loader built one
 * (ot_model_index), so a back end may look names up per element of a
 * 100,000-container topology; hand-built models fall back to a scan.
 */
#include "model/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/expand.h"
#include "util/hash.h"

struct model_index {
	struct ot_strmap nodes, networks, containers;
	size_t nnodes, nnetworks, ncontainers; /* counts when built */
};

static void index_free(struct model_index *ix)
{
	if (!ix)
		return;
	ot_strmap_free(&ix->nodes);
	ot_strmap_free(&ix->networks);
	ot_strmap_free(&ix->containers);
	free(ix);
}

void ot_model_free(struct ot_model *m)
{
	if (!m)
		return;
	index_free(m->index);
	ot_arena_free(&m->arena);
	free(m);
}

int ot_model_index(struct ot_model *m)
{
	struct model_index *ix = calloc(1, sizeof(*ix));
	size_t i;
	int r = 0;

	if (!ix)
		return -ENOMEM;
	for (i = 0; i < m->nnodes && r != -ENOMEM; i++)
		r = ot_strmap_put(&ix->nodes, m->nodes[i]->name, m->nodes[i], NULL);
	for (i = 0; i < m->nnetworks && r != -ENOMEM; i++)
		r = ot_strmap_put(&ix->networks, m->networks[i]->name, m->networks[i], NULL);
	for (i = 0; i < m->ncontainers && r != -ENOMEM; i++)
		r = ot_strmap_put(&ix->containers, m->containers[i]->name, m->containers[i], NULL);
	if (r == -ENOMEM) {
		index_free(ix);
		return -ENOMEM;
	}
	ix->nnodes = m->nnodes;
	ix->nnetworks = m->nnetworks;
	ix->ncontainers = m->ncontainers;
	index_free(m->index);
	m->index = ix;
	return 0;
}

int ot_model_adopt_index(struct ot_model *m, struct ot_strmap *nodes, struct ot_strmap *networks,
			 struct ot_strmap *containers)
{
	struct model_index *ix = calloc(1, sizeof(*ix));

	if (!ix)
		return -ENOMEM;
	ix->nodes = *nodes;
	ix->networks = *networks;
	ix->containers = *containers;
	*nodes = *networks = *containers = (struct ot_strmap)OT_STRMAP_INIT;
	ix->nnodes = m->nnodes;
	ix->nnetworks = m->nnetworks;
	ix->ncontainers = m->ncontainers;
	index_free(m->index);
	m->index = ix;
	return 0;
}

/* The index is trusted only while the arrays have the size it was built for. */
static const struct model_index *index_of(const struct ot_model *m)
{
	const struct model_index *ix = m->index;

	if (ix && ix->nnodes == m->nnodes && ix->nnetworks == m->nnetworks &&
	    ix->ncontainers == m->ncontainers)
		return ix;
	return NULL;
}

struct ot_m_node *ot_model_node(const struct ot_model *m, const char *name)
{
	const struct model_index *ix = index_of(m);
	size_t i;

	if (ix)
		return ot_strmap_get(&ix->nodes, name);
	for (i = 0; i < m->nnodes; i++)
		if (strcmp(m->nodes[i]->name, name) == 0)
			return m->nodes[i];
	return NULL;
}

struct ot_m_network *ot_model_network(const struct ot_model *m, const char *name)
{
	const struct model_index *ix = index_of(m);
	size_t i;

	if (ix)
		return ot_strmap_get(&ix->networks, name);
	for (i = 0; i < m->nnetworks; i++)
		if (strcmp(m->networks[i]->name, name) == 0)
			return m->networks[i];
	return NULL;
}

struct ot_m_container *ot_model_container(const struct ot_model *m, const char *name)
{
	const struct model_index *ix = index_of(m);
	size_t i;

	if (ix)
		return ot_strmap_get(&ix->containers, name);
	for (i = 0; i < m->ncontainers; i++)
		if (strcmp(m->containers[i]->name, name) == 0)
			return m->containers[i];
	return NULL;
}

void ot_hosts_free(struct ot_hosts *h)
{
	if (!h)
		return;
	ot_arena_free(&h->arena);
	free(h);
}

const struct ot_host *ot_hosts_find(const struct ot_hosts *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nhosts; i++)
		if (strcmp(h->hosts[i].name, name) == 0)
			return &h->hosts[i];
	return NULL;
}
