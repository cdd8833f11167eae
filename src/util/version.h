/*
 * version.h - OpenTop's one version string: otc, otnode and otdeploy print
 * it, and `make deb` reads it from `otc --version`. The build may override
 * it with -DOT_VERSION='"..."'.
 */
#ifndef OT_UTIL_VERSION_H
#define OT_UTIL_VERSION_H

#ifndef OT_VERSION
#define OT_VERSION "0.1.0"
#endif

#endif
