/*
 * test_embed.c - the otnode payload format: build an image, find the plan
 * again (in memory and through a file), replace a payload, and refuse
 * damaged images (bad magic, length, version, checksum).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embed/embed.h"

static const char runtime[] = "\177ELF pretend this is a static executable";
static const char plan1[] = "{\"schema\":\"opentop-plan/1\",\"node\":\"n1\"}";
static const char plan2[] = "{\"node\":\"n2\"}";

Test(embed, build_find_replace)
{
	void *img = NULL, *img2 = NULL;
	size_t len = 0, len2 = 0, plen = 0, rlen = 0;
	const void *payload;
	struct ot_error err = {0};

	cr_assert_eq(
	    ot_embed_build(runtime, sizeof(runtime), plan1, strlen(plan1), &img, &len, &err), 0);
	cr_assert_eq(len, sizeof(runtime) + strlen(plan1) + OT_EMBED_TRAILER);
	cr_assert_eq(memcmp(img, runtime, sizeof(runtime)), 0, "the runtime is unchanged");
	cr_assert_eq(memcmp((char *)img + len - 8, OT_EMBED_MAGIC, 8), 0);
	cr_assert_eq(ot_embed_find(img, len, &payload, &plen, &err), 0, "%s", err.msg);
	cr_assert_eq(plen, strlen(plan1));
	cr_assert_eq(memcmp(payload, plan1, plen), 0);
	cr_assert_eq(ot_embed_runtime_len(img, len, &rlen, &err), 0);
	cr_assert_eq(rlen, sizeof(runtime));

	/* building from an image replaces its payload */
	cr_assert_eq(ot_embed_build(img, len, plan2, strlen(plan2), &img2, &len2, &err), 0);
	cr_assert_eq(len2, sizeof(runtime) + strlen(plan2) + OT_EMBED_TRAILER);
	cr_assert_eq(ot_embed_find(img2, len2, &payload, &plen, &err), 0);
	cr_assert_eq(memcmp(payload, plan2, plen), 0);
	free(img);
	free(img2);
}

Test(embed, no_payload)
{
	const void *payload;
	size_t plen, rlen;
	struct ot_error err = {0};

	cr_assert_eq(ot_embed_find(runtime, sizeof(runtime), &payload, &plen, &err), -ENOENT);
	cr_assert_eq(ot_embed_runtime_len(runtime, sizeof(runtime), &rlen, &err), 0);
	cr_assert_eq(rlen, sizeof(runtime));
	cr_assert_eq(ot_embed_find("x", 1, &payload, &plen, &err), -ENOENT);
}

Test(embed, damage_detected)
{
	void *img = NULL;
	size_t len = 0, plen;
	const void *payload;
	struct ot_error err = {0};
	char *b;

	cr_assert_eq(
	    ot_embed_build(runtime, sizeof(runtime), plan1, strlen(plan1), &img, &len, &err), 0);
	b = img;
	/* one flipped byte in the plan */
	b[sizeof(runtime) + 3] ^= 1;
	cr_assert_eq(ot_embed_find(img, len, &payload, &plen, &err), -EINVAL);
	cr_assert(strstr(err.msg, "checksum"));
	b[sizeof(runtime) + 3] ^= 1;
	/* a length past the start of the file */
	b[len - OT_EMBED_TRAILER + 3] = 0x7f;
	cr_assert_eq(ot_embed_find(img, len, &payload, &plen, &err), -EINVAL);
	cr_assert(strstr(err.msg, "length"));
	b[len - OT_EMBED_TRAILER + 3] = 0;
	/* a future format */
	b[len - OT_EMBED_TRAILER + 16] = 2;
	cr_assert_eq(ot_embed_find(img, len, &payload, &plen, &err), -EINVAL);
	cr_assert(strstr(err.msg, "version"));
	/* and a truncated file is simply not an image */
	cr_assert_eq(ot_embed_find(img, len - 1, &payload, &plen, &err), -ENOENT);
	free(img);
}

Test(embed, read_from_file)
{
	char path[64];
	void *img = NULL;
	size_t len = 0, got = 0;
	char *text = NULL;
	struct ot_error err = {0};
	int fd;

	snprintf(path, sizeof(path), "/tmp/otx-embed-%d", (int)getpid());
	cr_assert_eq(
	    ot_embed_build(runtime, sizeof(runtime), plan1, strlen(plan1), &img, &len, &err), 0);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, img, len), (ssize_t)len);
	cr_assert_eq(ot_embed_read_fd(fd, &text, &got, &err), 0, "%s", err.msg);
	cr_assert_str_eq(text, plan1);
	cr_assert_eq(got, strlen(plan1));
	free(text);
	/* refuse a payload too large to be plausible */
	cr_assert_lt(ot_embed_build(runtime, sizeof(runtime), plan1, OT_EMBED_PAYLOAD_MAX + 1, &img,
				    &len, &err),
		     0);
	close(fd);
	unlink(path);
	free(img);
}

/* The trailer otdeploy sends after a payload is the one ot_embed_build
 * writes: the same function makes both. */
Test(embed, trailer_is_builds)
{
	uint8_t tail[OT_EMBED_TRAILER];
	struct ot_error err = {0};
	void *img = NULL;
	size_t len = 0;

	cr_assert_eq(
	    ot_embed_build(runtime, sizeof(runtime), plan1, strlen(plan1), &img, &len, &err), 0);
	cr_assert_eq(ot_embed_trailer(plan1, strlen(plan1), tail, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp((char *)img + len - OT_EMBED_TRAILER, tail, sizeof(tail)), 0);
	/* and it describes its payload: a different one, a different trailer */
	cr_assert_eq(ot_embed_trailer(plan2, strlen(plan2), tail, &err), 0);
	cr_assert_neq(memcmp((char *)img + len - OT_EMBED_TRAILER, tail, sizeof(tail)), 0);
	free(img);
	cr_assert_eq(ot_embed_trailer(plan1, 0, tail, &err), -E2BIG);
	cr_assert_eq(ot_embed_trailer(plan1, OT_EMBED_PAYLOAD_MAX + 1u, tail, &err), -E2BIG);
}
