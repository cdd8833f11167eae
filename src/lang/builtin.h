/*
 * builtin.h - the language's built-in names: the allocation's shape (how
 * many nodes and tasks a job step has, and which tasks run where) as
 * reserved names and small functions usable in every expression. The
 * parser binds them (lang/parse_word.c), the expansion gives them their
 * values (model/shape.c). A param or loop variable may not take one of
 * these names.
 */
#ifndef OT_LANG_BUILTIN_H
#define OT_LANG_BUILTIN_H

#include <stddef.h>

enum ot_builtin {
	OT_B_NODES,    /* NODES: the number of nodes */
	OT_B_TASKS,    /* TASKS: the number of tasks (global ranks) */
	OT_B_TASKS_ON, /* tasks_on(k): the number of tasks on node k */
	OT_B_RANK_OF,  /* rank_of(k, l): the global rank of the l-th task on node k */
	OT_B_NODE_OF,  /* node_of(r): the node of global rank r */
	OT_B__COUNT
};

struct ot_builtin_def {
	const char *name;
	unsigned nargs;	     /* 0: a name, no parentheses */
	const char *usage;   /* "tasks_on(NODE)" */
	const char *meaning; /* for hints: "the allocation's node count" */
};

extern const struct ot_builtin_def ot_builtins[OT_B__COUNT];

/* The built-in called name[0..len), or -1. */
int ot_builtin_find(const char *name, size_t len);

#endif
