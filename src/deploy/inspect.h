/*
 * inspect.h - two views of a deployment for people and scripts, built
 * from what otdeploy's engine brought back (deploy.h):
 *
 *   --status  one row per container interface: node, container, network
 *             namespace, interface, addresses and whether they exist (the
 *             `containerlab inspect` view), from each node's plan and its
 *             `otnode status --json`;
 *   --list    per host, the instances created there (`otnode list --json`:
 *             topology, node, when, by whom).
 *
 * JSON documents carry a schema name with a version ("opentop-inspect/1",
 * "opentop-list/1"); fields are only ever added within a version. Nothing
 * here prints.
 */
#ifndef OT_DEPLOY_INSPECT_H
#define OT_DEPLOY_INSPECT_H

#include "deploy/deploy.h"
#include "util/strbuf.h"
#include "vocab/schema.h" /* OT_SCHEMA_INSPECT, OT_SCHEMA_LIST */

struct json_t;

/*
 * --status rows: {"schema": "opentop-inspect/1", "containers": [{"node",
 * "target", "container", "netns", "state", "interfaces": [{"name",
 * "addresses": [...], "state"}]}]}, state "ok", "missing", "drift" or
 * "not created" ("unknown" where the node gave no answer). New reference,
 * NULL when out of memory.
 */
struct json_t *ot_inspect_status_json(const struct ot_deploy *d);
/* The same as a table, one line per interface. */
void ot_inspect_status_text(const struct ot_deploy *d, struct ot_strbuf *out);

/*
 * --list: {"schema": "opentop-list/1", "hosts": [{"node", "target",
 * "result", "error"?, "instances": [... as otnode list ...]}]}. New
 * reference, NULL when out of memory.
 */
struct json_t *ot_inspect_list_json(const struct ot_deploy *d);
/* The same as a table, one line per instance and host. */
void ot_inspect_list_text(const struct ot_deploy *d, struct ot_strbuf *out);

#endif
