/*
 * image.c - a node's otnode as otdeploy keeps it (contract in image.h):
 * the static runtime carried by this program, the node's plan and the
 * trailer of the embed module (src/embed/embed.h), never joined.
 */
#include "deploy/image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_json.h"

int ot_image_bare(struct ot_image *img, struct ot_error *err)
{
	size_t rlen = 0, keep;
	const void *rt = ot_embed_runtime(&rlen);
	int rc;

	memset(img, 0, sizeof(*img));
	if (!rt || !rlen)
		return ot_error_set(err, -ENOENT, "this program carries no otnode runtime");
	/* a runtime that carried a plan would lose it, as in ot_embed_build */
	if ((rc = ot_embed_runtime_len(rt, rlen, &keep, err)) < 0)
		return rc;
	img->runtime = rt;
	img->runtime_len = keep;
	img->len = keep;
	return 0;
}

int ot_image_build(const struct ot_plan *p, struct ot_image *img, struct ot_error *err)
{
	int rc = ot_image_bare(img, err);

	if (rc < 0)
		return rc;
	img->payload = ot_plan_dump(p, 0);
	if (!img->payload) {
		ot_image_free(img);
		return ot_error_set(err, -ENOMEM, "out of memory");
	}
	img->payload_len = strlen(img->payload);
	rc = ot_embed_trailer(img->payload, img->payload_len, img->trailer, err);
	if (rc < 0) {
		ot_image_free(img);
		return rc;
	}
	img->len = img->runtime_len + img->payload_len + OT_EMBED_TRAILER;
	return 0;
}

size_t ot_image_iov(const struct ot_image *img, struct iovec iov[OT_IMAGE_IOV])
{
	iov[0].iov_base = (void *)img->runtime;
	iov[0].iov_len = img->runtime_len;
	if (!img->payload)
		return 1;
	iov[1].iov_base = img->payload;
	iov[1].iov_len = img->payload_len;
	iov[2].iov_base = (void *)img->trailer;
	iov[2].iov_len = OT_EMBED_TRAILER;
	return OT_IMAGE_IOV;
}

int ot_image_sha256(const struct ot_image *img, char out[OT_SHA256_HEX])
{
	struct iovec iov[OT_IMAGE_IOV];

	return ot_sha256_hexv(iov, ot_image_iov(img, iov), out);
}

void ot_image_free(struct ot_image *img)
{
	free(img->payload);
	memset(img, 0, sizeof(*img));
}
