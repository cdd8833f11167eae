/*
 * image.h - the executable otdeploy ships to a node: the static otnode
 * runtime with that node's plan embedded (layout in src/embed/embed.h),
 * kept as its three pieces: the runtime built into this program (one copy
 * in memory, shared by every node), the node's plan as compact JSON, and
 * the trailer. Nothing joins them: the checksum is computed and the upload
 * sent piece after piece (ot_image_iov), so a node costs otdeploy its
 * plan's bytes, not a copy of the 1.2-1.5 MB runtime. Nothing is written
 * to disk (`otc build` writes joined images: ot_embed_image).
 */
#ifndef OT_DEPLOY_IMAGE_H
#define OT_DEPLOY_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "deploy/remote.h"
#include "embed/embed.h"
#include "plan/plan.h"
#include "util/error.h"

#define OT_IMAGE_IOV 3 /* runtime, payload, trailer */

struct ot_image {
	const void *runtime; /* ot_embed_runtime()'s bytes, not ours */
	size_t runtime_len;
	char *payload; /* the plan's JSON, malloc'ed; NULL: the runtime alone */
	size_t payload_len;
	uint8_t trailer[OT_EMBED_TRAILER];
	size_t len; /* all pieces; 0: not built */
};

/* Build node plan p's otnode. 0 and *img, or -errno (err filled). */
int ot_image_build(const struct ot_plan *p, struct ot_image *img, struct ot_error *err);

/* The runtime alone, no plan (`otnode list` reads journals). 0 or -ENOENT
 * when this program carries no runtime. */
int ot_image_bare(struct ot_image *img, struct ot_error *err);

/* The pieces of a built image, in file order, into iov; returns how many
 * (1 for the runtime alone, else OT_IMAGE_IOV). */
size_t ot_image_iov(const struct ot_image *img, struct iovec iov[OT_IMAGE_IOV]);

/* SHA-256 of the image's bytes (the same as of the joined file). 0 or -EIO. */
int ot_image_sha256(const struct ot_image *img, char out[OT_SHA256_HEX]);

/* Free the payload and zero img; accepts a zeroed image. */
void ot_image_free(struct ot_image *img);

#endif
