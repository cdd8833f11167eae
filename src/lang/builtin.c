/*
 * builtin.c - the table of built-in names (contract in builtin.h).
 */
#include "lang/builtin.h"

#include <string.h>

const struct ot_builtin_def ot_builtins[OT_B__COUNT] = {
    [OT_B_NODES] = {"NODES", 0, "NODES", "the allocation's node count"},
    [OT_B_TASKS] = {"TASKS", 0, "TASKS", "the allocation's task count"},
    [OT_B_TASKS_ON] = {"tasks_on", 1, "tasks_on(NODE)", "the number of tasks on a node"},
    [OT_B_RANK_OF] = {"rank_of", 2, "rank_of(NODE, LOCAL)",
		      "the global rank of a node's LOCAL-th task"},
    [OT_B_NODE_OF] = {"node_of", 1, "node_of(RANK)", "the node a global rank runs on"},
};

int ot_builtin_find(const char *name, size_t len)
{
	int i;

	for (i = 0; i < OT_B__COUNT; i++)
		if (strlen(ot_builtins[i].name) == len &&
		    memcmp(ot_builtins[i].name, name, len) == 0)
			return i;
	return -1;
}
