/*
 * otdeploy.h - what otdeploy.c shares with the files beside it
 * (otdeploy_dry.c).
 */
#ifndef OT_CLI_OTDEPLOY_H
#define OT_CLI_OTDEPLOY_H

#include "deploy/deploy.h"

struct json_t;

/*
 * The dry run of d (initialised, not run) as a JSON object without its
 * schema key (the caller adds it: OT_SCHEMA_DRY_RUN): action, topology,
 * rollback, and per node: node, local, target, port, ssh_config,
 * known_hosts, directory, otnode, otnode_bytes, sha256 (remote nodes),
 * preflight ({underlay, mtu} or null), command (the otnode command),
 * plan ({prefix, namespaces, ops, ops_by_kind, probes}). NULL when out of
 * memory.
 */
struct json_t *otdeploy_dry_run_json(const struct ot_deploy *d, const char *topology);

#endif
