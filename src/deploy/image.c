/*
 * image.c - building a node's otnode in memory (contract in image.h).
 */
#include "deploy/image.h"

#include <errno.h>
#include <stdlib.h>

int ot_image_build(const struct ot_plan *p, struct ot_image *img, struct ot_error *err)
{
	(void)p;
	img->data = NULL;
	img->len = 0;
	return ot_error_set(err, -ENOSYS, "the embed module is not built yet");
}

void ot_image_free(struct ot_image *img)
{
	free(img->data);
	img->data = NULL;
	img->len = 0;
}
