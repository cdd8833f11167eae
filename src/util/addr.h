/*
 * addr.h - IPv4/IPv6 addresses, prefixes and MAC addresses: parsing,
 * formatting and the few set operations the compiler and executor need.
 *
 * All parsers are strict (no leading/trailing junk, no octal, no "1.2.3")
 * and return 0 or -EINVAL; they never print.
 */
#ifndef OT_UTIL_ADDR_H
#define OT_UTIL_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#define OT_ADDR_STRLEN	 46 /* INET6_ADDRSTRLEN */
#define OT_PREFIX_STRLEN 50 /* address + "/128" */
#define OT_MAC_STRLEN	 18

struct ot_addr {
	uint8_t family;	   /* AF_INET, AF_INET6, or 0 for "none" */
	uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
};

struct ot_prefix {
	struct ot_addr
	    addr;    /* as written (host bits kept: "10.0.0.5/24" is an interface address) */
	uint8_t len; /* prefix length: 0..32 or 0..128 */
};

/* A set of transport ports: single ports and ranges, as "dport 22,8000-8100"
 * writes them. n == 0 means any port; lo == hi is one port. The bound keeps
 * a rule (and its nft anonymous set) of fixed, small size. */
#define OT_PORTS_MAX 32

struct ot_port_range {
	uint16_t lo, hi;
};

struct ot_ports {
	uint16_t n;
	struct ot_port_range r[OT_PORTS_MAX];
};

struct ot_mac {
	uint8_t b[6];
};

/* "10.0.0.1" or "2001:db8::1". */
int ot_addr_parse(const char *s, struct ot_addr *ret);

/*
 * "10.0.0.1/24". When the "/len" part is missing: with need_len, -EINVAL;
 * otherwise the length is the full width (32 or 128).
 */
int ot_prefix_parse(const char *s, bool need_len, struct ot_prefix *ret);

/* Canonical text into buf (sizes above). Always NUL-terminates. */
void ot_addr_format(const struct ot_addr *a, char *buf, unsigned size);
void ot_prefix_format(const struct ot_prefix *p, char *buf, unsigned size);

/* Address length in bytes: 4, 16, or 0 for family 0. */
unsigned ot_addr_len(const struct ot_addr *a);
/* Width in bits: 32, 128, or 0. */
unsigned ot_addr_bits(const struct ot_addr *a);
/* Fill *ss (a struct sockaddr_storage, zeroed first) with a and port (host
 * order); returns its length. Family 0 is taken as IPv4 (the wildcard). */
struct sockaddr_storage;
unsigned ot_addr_sockaddr(const struct ot_addr *a, uint16_t port, struct sockaddr_storage *ss);

bool ot_addr_equal(const struct ot_addr *a, const struct ot_addr *b);
/* Total order: family first, then bytes. */
int ot_addr_cmp(const struct ot_addr *a, const struct ot_addr *b);

/* The prefix with host bits cleared. */
struct ot_prefix ot_prefix_network(const struct ot_prefix *p);

/* a is inside p (same family, same first p->len bits). */
bool ot_prefix_contains(const struct ot_prefix *p, const struct ot_addr *a);

/* The two prefixes share at least one address. */
bool ot_prefix_overlap(const struct ot_prefix *a, const struct ot_prefix *b);

/* Host part is all zeros / all ones (IPv4 only; false for /31, /32 and IPv6). */
bool ot_prefix_is_network_addr(const struct ot_prefix *p);
bool ot_prefix_is_broadcast_addr(const struct ot_prefix *p);

/*
 * Add a host offset to the network address of p: "10.0.0.0/24" + 5 =
 * 10.0.0.5. Returns -ERANGE when the offset does not fit in the host part.
 */
int ot_prefix_host(const struct ot_prefix *p, uint64_t offset, struct ot_addr *ret);

/*
 * Is a usable as a unicast underlay address (a VTEP: VXLAN packets are sent
 * to it and from it)? NULL when it is; otherwise why not, as a noun phrase
 * ("a multicast address"): unspecified (0.0.0.0/8, ::), the IPv4 broadcast
 * address, multicast, loopback (127.0.0.0/8, ::1), IPv6 link-local (it would
 * need an interface scope, which an address here cannot carry),
 * IPv4-mapped IPv6, or family 0.
 */
const char *ot_addr_not_unicast(const struct ot_addr *a);

/* "00:80:41:00:00:01" (case-insensitive, exactly 6 two-digit groups). */
int ot_mac_parse(const char *s, struct ot_mac *ret);
void ot_mac_format(const struct ot_mac *m, char *buf, unsigned size);
bool ot_mac_is_zero(const struct ot_mac *m);
/* Unicast (I/G bit clear) and not all zeros. */
bool ot_mac_is_unicast(const struct ot_mac *m);

#endif
