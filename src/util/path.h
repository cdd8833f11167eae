/*
 * path.h - the text rules for a directory OpenTop creates on a host (the
 * hosts file's dir=, otdeploy's remote directory). One predicate, read by
 * the hosts file check (otc check) and by otdeploy before it connects, so a
 * directory is refused at check time exactly when otdeploy would refuse it.
 */
#ifndef OT_UTIL_PATH_H
#define OT_UTIL_PATH_H

#include <stddef.h>

#define OT_DIR_TEXT_MAX 256

/*
 * Check the text of a host directory: absolute, at most OT_DIR_TEXT_MAX
 * bytes, components of [A-Za-z0-9._+-] only, no "." or ".." component, no
 * empty component (so no "//" and no trailing '/': one spelling per
 * directory), not "/" itself. Returns NULL when dir is acceptable, else the
 * reason ("has a '.' or '..' component"), written into buf (size bytes)
 * when it names a character, otherwise a static string. Never fails.
 */
const char *ot_dir_problem(const char *dir, char *buf, size_t size);

#endif
