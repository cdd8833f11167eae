/*
 * schema.h - the names and versions of every JSON document OpenTop prints
 * (docs/cli.md lists who prints which). Each document carries its name in
 * a top-level "schema" key; the version after the slash goes up on any
 * change a reader could trip on (a key removed, renamed or given another
 * meaning), not when a key is added. The plan's own is OT_PLAN_SCHEMA
 * (plan/plan.h). Here, below exec, deploy and cli, because the executor
 * and the deployer build some of these documents and the front ends the
 * others.
 */
#ifndef OT_VOCAB_SCHEMA_H
#define OT_VOCAB_SCHEMA_H

#define OT_SCHEMA_CHECK	    "opentop-check/1"	  /* otc check --json */
#define OT_SCHEMA_CLUSTER   "opentop-cluster/1"	  /* otc plan --json (every node) */
#define OT_SCHEMA_REACH	    "opentop-reach/1"	  /* otc reach --json */
#define OT_SCHEMA_DIFF	    "opentop-diff/1"	  /* otc diff --json */
#define OT_SCHEMA_DEPLOY    "opentop-deploy/1"	  /* otdeploy --json */
#define OT_SCHEMA_DRY_RUN   "opentop-dry-run/1"	  /* otdeploy --dry-run --json */
#define OT_SCHEMA_STATUS    "opentop-status/1"	  /* otnode status --json */
#define OT_SCHEMA_VERIFY    "opentop-verify/1"	  /* otnode verify --json */
#define OT_SCHEMA_PREFLIGHT "opentop-preflight/1" /* otnode preflight --json */
#define OT_SCHEMA_LIST	    "opentop-list/1"	  /* otnode list --json, otdeploy --list --json */
#define OT_SCHEMA_INSPECT   "opentop-inspect/1"	  /* otdeploy --status --json: "inspect" */

#endif
