/*
 * node.c - the plugin's adapter to the executor (contract in node.h).
 */
#include "spank/node.h"

#include <errno.h>

int ot_spank_node_create(const struct ot_plan *p, struct ot_error *err)
{
	(void)p;
	return ot_error_set(err, -ENOSYS, "the executor is not built into this plugin yet");
}

int ot_spank_node_enter(const struct ot_plan *p, int ns, struct ot_error *err)
{
	(void)p;
	(void)ns;
	return ot_error_set(err, -ENOSYS, "the executor is not built into this plugin yet");
}

int ot_spank_node_destroy(const char *state_dir, struct ot_error *err)
{
	(void)state_dir;
	return ot_error_set(err, -ENOSYS, "the executor is not built into this plugin yet");
}
