/*
 * image.c - building a node's otnode in memory (contract in image.h): the
 * static runtime carried by this program plus the node's plan, through the
 * embed module (src/embed/embed.h).
 */
#include "deploy/image.h"

#include <errno.h>
#include <stdlib.h>

#include "embed/embed.h"

int ot_image_build(const struct ot_plan *p, struct ot_image *img, struct ot_error *err)
{
	img->data = NULL;
	img->len = 0;
	return ot_embed_image(p, &img->data, &img->len, err);
}

void ot_image_free(struct ot_image *img)
{
	free(img->data);
	img->data = NULL;
	img->len = 0;
}
