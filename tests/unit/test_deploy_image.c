/*
 * test_deploy_image.c - otdeploy's image kept as pieces (deploy/image.h):
 * joined, the pieces are byte for byte the image `otc build` writes
 * (ot_embed_image), their SHA-256 is that of those bytes, and the bare
 * image is the runtime alone. The runtime is the one this program carries.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/image.h"
#include "plan/plan.h"
#include "util/arena.h"

static struct ot_plan *small_plan(void)
{
	struct ot_plan *p = ot_plan_new();

	cr_assert_not_null(p);
	p->node = ot_arena_strdup(&p->arena, "n1");
	p->prefix = ot_arena_strdup(&p->arena, "otm-image");
	cr_assert(p->node && p->prefix);
	return p;
}

static unsigned char *join(const struct ot_image *img, size_t *len)
{
	struct iovec v[OT_IMAGE_IOV];
	size_t n = ot_image_iov(img, v), k, at = 0;
	unsigned char *out = malloc(img->len);

	cr_assert_not_null(out);
	for (k = 0; k < n; k++) {
		cr_assert_leq(at + v[k].iov_len, img->len);
		memcpy(out + at, v[k].iov_base, v[k].iov_len);
		at += v[k].iov_len;
	}
	*len = at;
	return out;
}

Test(deploy_image, pieces_are_otc_build_image)
{
	struct ot_plan *p = small_plan();
	struct ot_image img = {0};
	struct ot_error err = {0};
	char mine[OT_SHA256_HEX], joined[OT_SHA256_HEX];
	void *ref = NULL;
	size_t rlen = 0, len = 0, jlen = 0;
	unsigned char *bytes;

	cr_assert_eq(ot_embed_image(p, &ref, &rlen, &err), 0, "%s", err.msg);
	cr_assert_eq(ot_image_build(p, &img, &err), 0, "%s", err.msg);
	cr_assert_eq(img.len, rlen);
	cr_assert_eq(img.runtime, ot_embed_runtime(&len), "the runtime is shared, not copied");
	bytes = join(&img, &jlen);
	cr_assert_eq(jlen, rlen);
	cr_assert_eq(memcmp(bytes, ref, rlen), 0, "the pieces joined are otc build's image");
	cr_assert_eq(ot_image_sha256(&img, mine), 0);
	cr_assert_eq(ot_sha256_hex(ref, rlen, joined), 0);
	cr_assert_str_eq(mine, joined);
	free(bytes);
	free(ref);
	ot_image_free(&img);
	cr_assert_eq(img.len, 0);
	cr_assert_null(img.payload);
	ot_plan_free(p);
}

Test(deploy_image, bare_is_the_runtime)
{
	struct ot_image img = {0};
	struct ot_error err = {0};
	struct iovec v[OT_IMAGE_IOV];
	char mine[OT_SHA256_HEX], rt[OT_SHA256_HEX];
	size_t len = 0;
	const void *r = ot_embed_runtime(&len);

	cr_assert_eq(ot_image_bare(&img, &err), 0, "%s", err.msg);
	cr_assert_eq(ot_image_iov(&img, v), 1);
	cr_assert_eq(v[0].iov_base, r);
	cr_assert_eq(img.len, len);
	cr_assert_eq(ot_image_sha256(&img, mine), 0);
	cr_assert_eq(ot_sha256_hex(r, len, rt), 0);
	cr_assert_str_eq(mine, rt);
	ot_image_free(&img);
}
