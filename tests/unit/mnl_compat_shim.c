/*
 * mnl_compat_shim.c - the libmnl-compatible module's functions (renamed
 * otmnl_* by src/mnl/mnl_rename.h, which the build includes first) as a
 * struct mnl_api for tests/unit/test_mnl_compat.c.
 */
#include "mnl_api.h"

const struct mnl_api ot_mnl_compat_api = MNL_API_INIT;
