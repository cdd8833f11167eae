/*
 * caps.h - Linux capability names, shared by the language (`capabilities
 * drop|keep NAME...`), the plan (names in JSON) and the executor (which
 * drops them). One table, in number order, from <linux/capability.h>;
 * hand-written rather than taken from libcap so that the static otnode and
 * the plugin need no extra library.
 */
#ifndef OT_VOCAB_CAPS_H
#define OT_VOCAB_CAPS_H

#include <stddef.h>
#include <stdint.h>

#define OT_CAP_COUNT 41 /* CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40) */

/* The name of capability n in the language and plans, lowercase without
 * "cap_" ("net_admin"), or NULL when n is not in the table. */
const char *ot_cap_name(unsigned n);

/*
 * The number of the capability named by s[0..len): "net_admin",
 * "NET_ADMIN", "cap_net_admin" and "CAP_NET_ADMIN" all name 12. -1 when
 * there is no such capability.
 */
int ot_cap_by_name(const char *s, size_t len);

#endif
