/*
 * image.h - the executable otdeploy ships to a node: the static otnode
 * runtime with that node's plan embedded (built in memory through the
 * embed module of the executor; nothing is written to disk).
 */
#ifndef OT_DEPLOY_IMAGE_H
#define OT_DEPLOY_IMAGE_H

#include <stddef.h>

#include "plan/plan.h"
#include "util/error.h"

struct ot_image {
	void *data; /* malloc'ed executable bytes */
	size_t len;
};

/* Build node plan p's otnode. 0 and *img, or -errno (err filled). */
int ot_image_build(const struct ot_plan *p, struct ot_image *img, struct ot_error *err);

/* Free the bytes; accepts a zeroed image. */
void ot_image_free(struct ot_image *img);

#endif
