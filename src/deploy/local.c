/*
 * local.c - the in-process transport (contract in local.h).
 */
#include "deploy/local.h"

#include <errno.h>

#include "deploy/deploy.h"

int ot_deploy_local_open(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];

	return ot_plan_validate(n->plan, &n->err);
}

int ot_deploy_local_action(struct ot_deploy *d, size_t i, const char *verb, const char *args)
{
	struct ot_deploy_node *n = &d->nodes[i];

	(void)args;
	return ot_error_set(&n->err, -ENOTSUP, "local %s: the executor library is not linked yet",
			    verb);
}

int ot_deploy_local_preflight(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];

	pthread_mutex_lock(&d->lock);
	d->pf_ready++;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return ot_error_set(&n->err, -ENOTSUP, "local preflight: not linked yet");
}
