/*
 * nl_build.h - the rtnetlink message builder the executor's builders share
 * (nl_msg.c: links, addresses, routes, FDB; qdisc.c: traffic control): a
 * caller-owned buffer, bounds-checked appends through libmnl, and a sticky
 * overflow flag, so a builder appends without checking each step and
 * finish() returns NULL when anything did not fit. Internal to src/exec.
 */
#ifndef OT_EXEC_NL_BUILD_H
#define OT_EXEC_NL_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libmnl/libmnl.h>

/* A builder in progress: the buffer, its size, and a sticky overflow flag. */
struct mb {
	struct nlmsghdr *nlh;
	size_t size;
	bool full;
};

static inline void put(struct mb *m, uint16_t type, size_t len, const void *data)
{
	if (!m->full && !mnl_attr_put_check(m->nlh, m->size, type, len, data))
		m->full = true;
}

static inline void put_u8(struct mb *m, uint16_t type, uint8_t v)
{
	put(m, type, sizeof(v), &v);
}

static inline void put_u16(struct mb *m, uint16_t type, uint16_t v)
{
	put(m, type, sizeof(v), &v);
}

static inline void put_u32(struct mb *m, uint16_t type, uint32_t v)
{
	put(m, type, sizeof(v), &v);
}

static inline void put_strz(struct mb *m, uint16_t type, const char *s)
{
	put(m, type, strlen(s) + 1, s);
}

static inline struct nlattr *nest(struct mb *m, uint16_t type)
{
	struct nlattr *a;

	if (m->full)
		return NULL;
	a = mnl_attr_nest_start_check(m->nlh, m->size, type);
	if (!a)
		m->full = true;
	return a;
}

static inline void nest_end(struct mb *m, struct nlattr *a)
{
	if (!m->full && a)
		mnl_attr_nest_end(m->nlh, a);
}

static inline void *extra(struct mb *m, size_t len)
{
	if (m->full || m->nlh->nlmsg_len + MNL_ALIGN(len) > m->size) {
		m->full = true;
		return NULL;
	}
	return mnl_nlmsg_put_extra_header(m->nlh, len);
}

static inline bool start(struct mb *m, void *buf, size_t size, uint16_t type, uint16_t flags)
{
	m->size = size;
	m->full = size < MNL_NLMSG_HDRLEN;
	if (m->full)
		return false;
	/* no stale bytes in alignment padding (libmnl 1.0.4 leaves it as is) */
	memset(buf, 0, size);
	m->nlh = mnl_nlmsg_put_header(buf);
	m->nlh->nlmsg_type = type;
	m->nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return true;
}

static inline struct nlmsghdr *finish(struct mb *m)
{
	return m->full ? NULL : m->nlh;
}

#endif
