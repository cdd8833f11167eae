/*
 * local.h - otdeploy's in-process transport: nodes whose hosts-file target
 * is "local" are built on this machine through the executor library, with
 * no SSH and no executable to ship (the engine's transport table calls
 * these; see deploy.c). The same three steps as over SSH: open, preflight,
 * action; results land in the node's output/errout/exit_status exactly as
 * otnode would print them.
 */
#ifndef OT_DEPLOY_LOCAL_H
#define OT_DEPLOY_LOCAL_H

#include <stddef.h>

struct ot_deploy;

/* Nothing to connect or upload: validates the plan. 0 or -errno (node err). */
int ot_deploy_local_open(struct ot_deploy *d, size_t i);

/* Run verb ("create", "destroy", "status", "verify") with the executor. */
int ot_deploy_local_action(struct ot_deploy *d, size_t i, const char *verb, const char *args);

/* Preflight checks of this machine (joins the engine's rendezvous). */
int ot_deploy_local_preflight(struct ot_deploy *d, size_t i);

#endif
