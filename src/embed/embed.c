/*
 * embed.c - the otnode payload format (layout in embed.h).
 */
#include "embed/embed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan/plan_json.h"
#include "util/hash.h"

static void put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

struct trailer {
	uint64_t plen, sum;
	uint32_t version, flags;
};

/* 1 when tail (OT_EMBED_TRAILER bytes) is a trailer, 0 when not ours,
 * -EINVAL when it claims to be one but is damaged. */
static int parse_trailer(const uint8_t *tail, size_t file_len, struct trailer *t,
			 struct ot_error *err)
{
	if (memcmp(tail + 24, OT_EMBED_MAGIC, 8) != 0)
		return 0;
	t->plen = get_le(tail, 8);
	t->sum = get_le(tail + 8, 8);
	t->version = (uint32_t)get_le(tail + 16, 4);
	t->flags = (uint32_t)get_le(tail + 20, 4);
	if (t->version != OT_EMBED_VERSION)
		return ot_error_set(err, -EINVAL, "embedded plan: format version %u, expected %u",
				    t->version, OT_EMBED_VERSION);
	if (t->plen == 0 || t->plen > OT_EMBED_PAYLOAD_MAX || t->plen + OT_EMBED_TRAILER > file_len)
		return ot_error_set(err, -EINVAL, "embedded plan: bad length %llu",
				    (unsigned long long)t->plen);
	return 1;
}

int ot_embed_runtime_len(const void *buf, size_t len, size_t *ret, struct ot_error *err)
{
	struct trailer t;
	int r;

	*ret = len;
	if (len < OT_EMBED_TRAILER)
		return 0;
	r = parse_trailer((const uint8_t *)buf + len - OT_EMBED_TRAILER, len, &t, err);
	if (r < 0)
		return r;
	if (r == 1)
		*ret = len - OT_EMBED_TRAILER - (size_t)t.plen;
	return 0;
}

int ot_embed_trailer(const void *payload, size_t plen, uint8_t out[OT_EMBED_TRAILER],
		     struct ot_error *err)
{
	if (plen == 0 || plen > OT_EMBED_PAYLOAD_MAX)
		return ot_error_set(err, -E2BIG, "plan of %zu bytes cannot be embedded", plen);
	put_le(out, plen, 8);
	put_le(out + 8, ot_hash64(payload, plen), 8);
	put_le(out + 16, OT_EMBED_VERSION, 4);
	put_le(out + 20, 0, 4);
	memcpy(out + 24, OT_EMBED_MAGIC, 8);
	return 0;
}

int ot_embed_build(const void *runtime, size_t rlen, const void *payload, size_t plen, void **ret,
		   size_t *ret_len, struct ot_error *err)
{
	uint8_t tail[OT_EMBED_TRAILER];
	size_t keep;
	uint8_t *out;
	int r;

	if ((r = ot_embed_trailer(payload, plen, tail, err)) < 0)
		return r;
	if ((r = ot_embed_runtime_len(runtime, rlen, &keep, err)) < 0)
		return r;
	out = malloc(keep + plen + OT_EMBED_TRAILER);
	if (!out)
		return ot_error_set(err, -ENOMEM, "out of memory");
	memcpy(out, runtime, keep);
	memcpy(out + keep, payload, plen);
	memcpy(out + keep + plen, tail, sizeof(tail));
	*ret = out;
	*ret_len = keep + plen + OT_EMBED_TRAILER;
	return 0;
}

int ot_embed_find(const void *buf, size_t len, const void **payload, size_t *plen,
		  struct ot_error *err)
{
	const uint8_t *b = buf;
	struct trailer t;
	int r;

	if (len < OT_EMBED_TRAILER)
		return ot_error_set(err, -ENOENT, "no embedded plan");
	r = parse_trailer(b + len - OT_EMBED_TRAILER, len, &t, err);
	if (r < 0)
		return r;
	if (r == 0)
		return ot_error_set(err, -ENOENT, "no embedded plan");
	*payload = b + len - OT_EMBED_TRAILER - t.plen;
	*plen = (size_t)t.plen;
	if (ot_hash64(*payload, *plen) != t.sum)
		return ot_error_set(err, -EINVAL,
				    "embedded plan: checksum mismatch (damaged file)");
	return 0;
}

static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

int ot_embed_read_fd(int fd, char **ret, size_t *ret_len, struct ot_error *err)
{
	uint8_t tail[OT_EMBED_TRAILER];
	struct trailer t;
	struct stat st;
	char *buf;
	int r;

	if (fstat(fd, &st) < 0)
		return ot_error_sys(err, -errno, "stat");
	if (st.st_size < OT_EMBED_TRAILER)
		return ot_error_set(err, -ENOENT, "no embedded plan");
	if ((r = pread_all(fd, tail, sizeof(tail), st.st_size - OT_EMBED_TRAILER)) < 0)
		return ot_error_sys(err, r, "read the trailer");
	r = parse_trailer(tail, (size_t)st.st_size, &t, err);
	if (r < 0)
		return r;
	if (r == 0)
		return ot_error_set(err, -ENOENT, "no embedded plan");
	buf = malloc((size_t)t.plen + 1);
	if (!buf)
		return ot_error_set(err, -ENOMEM, "out of memory");
	r = pread_all(fd, buf, (size_t)t.plen, st.st_size - OT_EMBED_TRAILER - (off_t)t.plen);
	if (r < 0) {
		free(buf);
		return ot_error_sys(err, r, "read the embedded plan");
	}
	if (ot_hash64(buf, (size_t)t.plen) != t.sum) {
		free(buf);
		return ot_error_set(err, -EINVAL,
				    "embedded plan: checksum mismatch (damaged file)");
	}
	buf[t.plen] = '\0';
	*ret = buf;
	*ret_len = (size_t)t.plen;
	return 0;
}

int ot_embed_self_plan(struct ot_plan **ret, struct ot_error *err)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	char *text = NULL;
	size_t len = 0;
	int r;

	if (fd < 0)
		return ot_error_sys(err, -errno, "open /proc/self/exe");
	r = ot_embed_read_fd(fd, &text, &len, err);
	close(fd);
	if (r < 0)
		return r;
	r = ot_plan_load(text, len, ret, err);
	free(text);
	if (r < 0)
		ot_error_prefix(err, r, "embedded plan");
	return r;
}
