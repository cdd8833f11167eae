/*
 * addr.c - address parsing and arithmetic (contract in addr.h).
 */
#include "util/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

unsigned ot_addr_len(const struct ot_addr *a)
{
	return a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
}

unsigned ot_addr_bits(const struct ot_addr *a)
{
	return ot_addr_len(a) * 8;
}

int ot_addr_parse(const char *s, struct ot_addr *ret)
{
	struct ot_addr a;

	memset(&a, 0, sizeof(a));
	if (!s || !*s || strlen(s) >= OT_ADDR_STRLEN)
		return -EINVAL;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.bytes) != 1)
			return -EINVAL;
		a.family = AF_INET6;
	} else {
		/* inet_pton(AF_INET) already rejects octal, short forms and junk. */
		if (inet_pton(AF_INET, s, a.bytes) != 1)
			return -EINVAL;
		a.family = AF_INET;
	}
	*ret = a;
	return 0;
}

/*
 * The common case of ot_prefix_parse, "a.b.c.d" or "a.b.c.d/len", parsed by
 * hand: it runs for every address of a 100,000-container topology, where
 * inet_pton and strtol were a tenth of the front end's time. It accepts
 * only what the general path accepts (decimal octets 0..255 without leading
 * zeros, lengths 0..32 without leading zeros) and gives the same result;
 * anything else returns false and takes the general path.
 */
static bool prefix4_fast(const char *s, bool need_len, struct ot_prefix *ret)
{
	struct ot_prefix p;
	unsigned v, i, d;

	memset(&p, 0, sizeof(p));
	for (i = 0; i < 4; i++) {
		if (i && *s++ != '.')
			return false;
		if (*s < '0' || *s > '9')
			return false;
		v = (unsigned)(*s++ - '0');
		for (d = 1; *s >= '0' && *s <= '9'; d++) {
			if (d == 3 || v == 0)
				return false;
			v = v * 10 + (unsigned)(*s++ - '0');
		}
		if (v > 255)
			return false;
		p.addr.bytes[i] = (uint8_t)v;
	}
	p.addr.family = AF_INET;
	if (*s == '\0') {
		if (need_len)
			return false;
		p.len = 32;
	} else {
		if (*s++ != '/' || *s < '0' || *s > '9')
			return false;
		v = (unsigned)(*s++ - '0');
		if (*s >= '0' && *s <= '9') {
			if (v == 0)
				return false;
			v = v * 10 + (unsigned)(*s++ - '0');
		}
		if (*s != '\0' || v > 32)
			return false;
		p.len = (uint8_t)v;
	}
	*ret = p;
	return true;
}

int ot_prefix_parse(const char *s, bool need_len, struct ot_prefix *ret)
{
	char buf[OT_PREFIX_STRLEN];
	const char *slash;
	struct ot_prefix p;
	char *end;
	long len;
	size_t n;

	if (!s)
		return -EINVAL;
	if (prefix4_fast(s, need_len, ret))
		return 0;
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(&p, 0, sizeof(p));
	if (ot_addr_parse(buf, &p.addr) < 0)
		return -EINVAL;
	if (!slash) {
		if (need_len)
			return -EINVAL;
		p.len = (uint8_t)ot_addr_bits(&p.addr);
	} else {
		if (slash[1] < '0' || slash[1] > '9' || (slash[1] == '0' && slash[2]))
			return -EINVAL;
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || *end || len < 0 || len > (long)ot_addr_bits(&p.addr))
			return -EINVAL;
		p.len = (uint8_t)len;
	}
	*ret = p;
	return 0;
}

void ot_addr_format(const struct ot_addr *a, char *buf, unsigned size)
{
	char tmp[OT_ADDR_STRLEN];

	if (!a->family || !inet_ntop(a->family, a->bytes, tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "none");
	snprintf(buf, size, "%s", tmp);
}

void ot_prefix_format(const struct ot_prefix *p, char *buf, unsigned size)
{
	char tmp[OT_ADDR_STRLEN];

	ot_addr_format(&p->addr, tmp, sizeof(tmp));
	snprintf(buf, size, "%s/%u", tmp, p->len);
}

bool ot_addr_equal(const struct ot_addr *a, const struct ot_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, ot_addr_len(a)) == 0;
}

int ot_addr_cmp(const struct ot_addr *a, const struct ot_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, ot_addr_len(a));
}

static void mask_bytes(uint8_t *bytes, unsigned nbytes, unsigned len)
{
	unsigned i;

	for (i = 0; i < nbytes; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		bytes[i] &= (uint8_t)(0xff << (8 - len));
		len = 0;
	}
}

struct ot_prefix ot_prefix_network(const struct ot_prefix *p)
{
	struct ot_prefix n = *p;

	mask_bytes(n.addr.bytes, ot_addr_len(&n.addr), n.len);
	return n;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest && ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))))
		return false;
	return true;
}

bool ot_prefix_contains(const struct ot_prefix *p, const struct ot_addr *a)
{
	return p->addr.family == a->family && prefix_match(p->addr.bytes, a->bytes, p->len);
}

bool ot_prefix_overlap(const struct ot_prefix *a, const struct ot_prefix *b)
{
	if (a->addr.family != b->addr.family)
		return false;
	return prefix_match(a->addr.bytes, b->addr.bytes, a->len < b->len ? a->len : b->len);
}

static bool host_bits_all(const struct ot_prefix *p, int ones)
{
	unsigned bits = ot_addr_bits(&p->addr), i;

	if (p->addr.family != AF_INET || p->len >= 31)
		return false;
	for (i = p->len; i < bits; i++) {
		int bit = (p->addr.bytes[i / 8] >> (7 - i % 8)) & 1;

		if (bit != ones)
			return false;
	}
	return true;
}

bool ot_prefix_is_network_addr(const struct ot_prefix *p)
{
	return host_bits_all(p, 0);
}

bool ot_prefix_is_broadcast_addr(const struct ot_prefix *p)
{
	return host_bits_all(p, 1);
}

int ot_prefix_host(const struct ot_prefix *p, uint64_t offset, struct ot_addr *ret)
{
	struct ot_prefix n = ot_prefix_network(p);
	unsigned bits = ot_addr_bits(&n.addr), hostbits = bits - n.len, i;
	unsigned carry = 0;

	if (!bits)
		return -EINVAL;
	if (hostbits < 64 && offset >> hostbits)
		return -ERANGE;
	for (i = ot_addr_len(&n.addr); i-- > 0;) {
		unsigned v = n.addr.bytes[i] + (unsigned)(offset & 0xff) + carry;

		n.addr.bytes[i] = (uint8_t)v;
		carry = v >> 8;
		offset >>= 8;
	}
	*ret = n.addr;
	return 0;
}

int ot_mac_parse(const char *s, struct ot_mac *ret)
{
	struct ot_mac m;
	unsigned i;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		const char *g = s + i * 3;
		char hex[3] = {g[0], g[1], 0};
		char *end;

		if (!strchr("0123456789abcdefABCDEF", g[0]) || !g[0] ||
		    !strchr("0123456789abcdefABCDEF", g[1]) || !g[1])
			return -EINVAL;
		if (i < 5 && g[2] != ':')
			return -EINVAL;
		m.b[i] = (uint8_t)strtoul(hex, &end, 16);
	}
	*ret = m;
	return 0;
}

void ot_mac_format(const struct ot_mac *m, char *buf, unsigned size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0], m->b[1], m->b[2], m->b[3],
		 m->b[4], m->b[5]);
}

bool ot_mac_is_zero(const struct ot_mac *m)
{
	static const struct ot_mac zero;

	return memcmp(m, &zero, sizeof(zero)) == 0;
}

bool ot_mac_is_unicast(const struct ot_mac *m)
{
	return !(m->b[0] & 1) && !ot_mac_is_zero(m);
}

const char *ot_addr_not_unicast(const struct ot_addr *a)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const uint8_t *b = a->bytes;
	size_t i;
	bool zero = true;

	if (a->family == AF_INET) {
		if (b[0] == 0)
			return "an unspecified address (0.0.0.0/8)";
		if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
			return "the broadcast address";
		if ((b[0] & 0xf0) == 224)
			return "a multicast address";
		if (b[0] == 127)
			return "a loopback address";
		return NULL;
	}
	if (a->family != AF_INET6)
		return "not an IP address";
	for (i = 0; i < 16; i++)
		zero = zero && !b[i];
	if (zero)
		return "the unspecified address (::)";
	if (b[0] == 0xff)
		return "a multicast address";
	if (memcmp(b, v4mapped, sizeof(v4mapped)) == 0)
		return "an IPv4-mapped address (write the IPv4 address)";
	for (i = 0, zero = true; i < 15; i++)
		zero = zero && !b[i];
	if (zero && b[15] == 1)
		return "the loopback address";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "a link-local address (it needs an interface scope)";
	return NULL;
}

unsigned ot_addr_sockaddr(const struct ot_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->bytes, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, a->bytes, 4);
	return sizeof(*s4);
}
