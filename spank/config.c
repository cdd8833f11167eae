/*
 * config.c - strict parsing of the plugin's plugstack.conf arguments (the
 * contract is in config.h). One table row per key: its parser, its
 * documentation line and its formatter, so the parser, the error hints and
 * the audit line can never disagree about which keys exist.
 */
#include "spank/config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile/bounds.h"
#include "util/strbuf.h"
#include "util/suggest.h"

/* The defaults, documented in docs/slurm.md ("Bounds"). */
#define DEF_VNI_MIN    0x100000u
#define DEF_VNI_MAX    0xffffffu
#define DEF_VNI_BLOCK  64u
#define DEF_MAX_CTRS   64u
#define DEF_MAX_IFACES 256u
#define DEF_MTU	       1500u
#define DEF_MAX_FILE   (64u << 10)
#define DEF_TIMEOUT_MS 10000u
#define DEF_STATE_ROOT "/run/opentop"
#define DEF_ISOLATE    (OT_ISO_NET | OT_ISO_UTS | OT_ISO_IPC)
static const char *const default_addrs[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
					    "fc00::/7"};

/* A row with no parse and format is a bound: compile/bounds.c reads and
 * writes it, for the plugin and `otc --bounds` alike. */
struct key {
	const char *name;
	int (*parse)(struct ot_spank_config *cfg, const char *v, struct ot_error *err);
	void (*format)(const struct ot_spank_config *cfg, struct ot_strbuf *sb);
};

/* ---- value parsers: return 0 or -EINVAL with a message about the value ---- */

/* Numbers and yes/no are read as in the bounds (compile/bounds.h). */

static int key_vni_block(struct ot_spank_config *cfg, const char *v, struct ot_error *err)
{
	return ot_bounds_parse_u32(v, 1, 65536, &cfg->vni_block, err);
}

static int key_explicit_vni(struct ot_spank_config *cfg, const char *v, struct ot_error *err)
{
	return ot_bounds_parse_yesno(v, &cfg->explicit_vni, err);
}

static int key_sysctls(struct ot_spank_config *cfg, const char *v, struct ot_error *err)
{
	return ot_bounds_parse_yesno(v, &cfg->sysctls, err);
}

static int key_underlay_dev(struct ot_spank_config *cfg, const char *v, struct ot_error *err)
{
	if (!ot_ifname_valid(v))
		return ot_error_set(err, -EINVAL, "not a valid interface name");
	snprintf(cfg->underlay_dev, sizeof(cfg->underlay_dev), "%s", v);
	return 0;
}

static int key_underlay_mtu(struct ot_spank_config *cfg, const char *v, struct ot_error *err)
{
	return ot_bounds_parse_u32(v, 576, 65535, &cfg->underlay_mtu, err);
}

static int key_underlay_family(struct ot_spank_config *cfg, const char *v, struct ot_error *err)
{
	if (!strcmp(v, "inet"))
		cfg->underlay_family = AF_INET;
	else if (!strcmp(v, "inet6"))
		cfg->underlay_family = AF_INET6;
	else
		return ot_error_set(err, -EINVAL, "expected 'inet' or 'inet6'");
	return 0;
}

static int key_max_file(struct ot_spank_config *cfg, const char *v, struct ot_error *err)
{
	char num[24];
	size_t len = strlen(v);
	uint64_t mult = 1, x;

	if (len == 0 || len >= sizeof(num))
		return ot_error_set(err, -EINVAL, "expected BYTES, e.g. 64K");
	memcpy(num, v, len + 1);
	if (num[len - 1] == 'K' || num[len - 1] == 'M') {
		mult = num[len - 1] == 'K' ? 1024 : 1024 * 1024;
		num[len - 1] = '\0';
	}
	if (ot_bounds_parse_u64(num, 1, OT_SPANK_MAX_FILE, &x, err) || x * mult > OT_SPANK_MAX_FILE)
		return ot_error_set(err, -EINVAL,
				    "must be 1..%u bytes (suffix K or M allowed; the job's "
				    "environment carries the bytes)",
				    OT_SPANK_MAX_FILE);
	cfg->max_file = x * mult;
	return 0;
}

static int key_read_timeout(struct ot_spank_config *cfg, const char *v, struct ot_error *err)
{
	uint32_t s;
	int r = ot_bounds_parse_u32(v, 1, 600, &s, err);

	if (r == 0)
		cfg->read_timeout_ms = s * 1000;
	return r;
}

static int key_pmix_relay(struct ot_spank_config *cfg, const char *v, struct ot_error *err)
{
	return ot_bounds_parse_yesno(v, &cfg->pmix_relay, err);
}

static int key_state_root(struct ot_spank_config *cfg, const char *v, struct ot_error *err)
{
	if (v[0] != '/' || strlen(v) >= sizeof(cfg->state_root) || strstr(v, "/../") ||
	    strstr(v, "//") || strchr(v, ' '))
		return ot_error_set(err, -EINVAL, "expected an absolute path shorter than %d bytes",
				    OT_SPANK_STATE_MAX);
	snprintf(cfg->state_root, sizeof(cfg->state_root), "%s", v);
	return 0;
}

/* ---- formatters (the audit line) ---- */

static void fmt_bool(struct ot_strbuf *sb, bool b)
{
	ot_sb_append(sb, b ? "yes" : "no");
}

static void fmt_vni_block(const struct ot_spank_config *c, struct ot_strbuf *sb)
{
	ot_sb_printf(sb, "%u", c->vni_block);
}

static void fmt_explicit_vni(const struct ot_spank_config *c, struct ot_strbuf *sb)
{
	fmt_bool(sb, c->explicit_vni);
}

static void fmt_sysctls(const struct ot_spank_config *c, struct ot_strbuf *sb)
{
	fmt_bool(sb, c->sysctls);
}

static void fmt_underlay_dev(const struct ot_spank_config *c, struct ot_strbuf *sb)
{
	ot_sb_append(sb, c->underlay_dev[0] ? c->underlay_dev : "auto");
}

static void fmt_underlay_mtu(const struct ot_spank_config *c, struct ot_strbuf *sb)
{
	ot_sb_printf(sb, "%u", c->underlay_mtu);
}

static void fmt_underlay_family(const struct ot_spank_config *c, struct ot_strbuf *sb)
{
	ot_sb_append(sb, c->underlay_family == AF_INET6 ? "inet6" : "inet");
}

static void fmt_max_file(const struct ot_spank_config *c, struct ot_strbuf *sb)
{
	ot_sb_printf(sb, "%" PRIu64, c->max_file);
}

static void fmt_read_timeout(const struct ot_spank_config *c, struct ot_strbuf *sb)
{
	ot_sb_printf(sb, "%u", c->read_timeout_ms / 1000);
}

static void fmt_pmix_relay(const struct ot_spank_config *c, struct ot_strbuf *sb)
{
	fmt_bool(sb, c->pmix_relay);
}

static void fmt_state_root(const struct ot_spank_config *c, struct ot_strbuf *sb)
{
	ot_sb_append(sb, c->state_root);
}

static const struct key keys[] = {
    {"vni", NULL, NULL},
    {"vni_block", key_vni_block, fmt_vni_block},
    {"explicit_vni", key_explicit_vni, fmt_explicit_vni},
    {"addrs", NULL, NULL},
    {"max_containers", NULL, NULL},
    {"max_ifaces", NULL, NULL},
    {"host_objects", NULL, NULL},
    {"isolate", NULL, NULL},
    {"limits", NULL, NULL},
    {"binds", NULL, NULL},
    {"root", NULL, NULL},
    {"sysctls", key_sysctls, fmt_sysctls},
    {"underlay_dev", key_underlay_dev, fmt_underlay_dev},
    {"underlay_mtu", key_underlay_mtu, fmt_underlay_mtu},
    {"underlay_family", key_underlay_family, fmt_underlay_family},
    {"max_file", key_max_file, fmt_max_file},
    {"read_timeout", key_read_timeout, fmt_read_timeout},
    {"pmix_relay", key_pmix_relay, fmt_pmix_relay},
    {"state_root", key_state_root, fmt_state_root},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

void ot_spank_config_defaults(struct ot_spank_config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->bounds.vni_min = DEF_VNI_MIN;
	cfg->bounds.vni_max = DEF_VNI_MAX;
	for (i = 0; i < sizeof(default_addrs) / sizeof(default_addrs[0]); i++)
		(void)ot_prefix_parse(default_addrs[i], true, &cfg->addrs[i]);
	cfg->bounds.allowed_addrs = cfg->addrs;
	cfg->bounds.nallowed_addrs = sizeof(default_addrs) / sizeof(default_addrs[0]);
	cfg->bounds.max_containers_per_node = DEF_MAX_CTRS;
	cfg->bounds.max_ifaces_per_node = DEF_MAX_IFACES;
	cfg->bounds.forbid_host_objects = true;
	cfg->bounds.allowed_isolate = DEF_ISOLATE;
	cfg->bounds.forbid_limits = true;
	cfg->bounds.binds_bound = true; /* storage: no bind mounts, no root directory */
	cfg->bounds.forbid_root = true;
	cfg->vni_block = DEF_VNI_BLOCK;
	cfg->explicit_vni = true;
	cfg->sysctls = true;
	cfg->underlay_mtu = DEF_MTU;
	cfg->underlay_family = AF_INET;
	cfg->max_file = DEF_MAX_FILE;
	cfg->read_timeout_ms = DEF_TIMEOUT_MS;
	cfg->pmix_relay = true;
	snprintf(cfg->state_root, sizeof(cfg->state_root), "%s", DEF_STATE_ROOT);
}

static int unknown_key(const char *arg, size_t klen, int idx, struct ot_error *err)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_suggest sg;
	const char *best;
	char word[64];
	size_t i;
	int r;

	snprintf(word, sizeof(word), "%.*s", (int)(klen < sizeof(word) ? klen : 0), arg);
	ot_suggest_init(&sg, word);
	for (i = 0; i < NKEYS; i++)
		ot_suggest_add(&sg, keys[i].name);
	best = ot_suggest_best(&sg);
	for (i = 0; i < NKEYS; i++)
		ot_sb_printf(&sb, "%s%s", i ? ", " : "", keys[i].name);
	r = ot_error_set(err, -EINVAL,
			 "plugstack.conf argument %d '%.200s': unknown option '%.*s'%s%s%s (known: "
			 "%s)",
			 idx, arg, (int)(klen > 64 ? 64 : klen), arg,
			 best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "",
			 sb.oom ? "?" : ot_sb_str(&sb));
	ot_sb_free(&sb);
	return r;
}

int ot_spank_config_parse(int ac, char *const *av, struct ot_spank_config *cfg,
			  struct ot_error *err)
{
	struct ot_spank_config c;
	bool seen[NKEYS] = {false};
	int i;

	ot_spank_config_defaults(&c);
	if (ac < 0 || ac > OT_SPANK_MAX_ARGS)
		return ot_error_set(err, -EINVAL, "plugstack.conf: more than %d arguments",
				    OT_SPANK_MAX_ARGS);
	for (i = 0; i < ac; i++) {
		const char *arg = av[i], *eq = arg ? strchr(arg, '=') : NULL;
		size_t klen, k;
		int r;

		if (!eq)
			return ot_error_set(
			    err, -EINVAL, "plugstack.conf argument %d '%.200s': expected key=value",
			    i + 1, arg ? arg : "");
		klen = (size_t)(eq - arg);
		for (k = 0; k < NKEYS; k++)
			if (strlen(keys[k].name) == klen && !strncmp(keys[k].name, arg, klen))
				break;
		if (k == NKEYS)
			return unknown_key(arg, klen, i + 1, err);
		if (seen[k])
			return ot_error_set(err, -EINVAL,
					    "plugstack.conf argument %d '%.200s': '%s' given twice",
					    i + 1, arg, keys[k].name);
		seen[k] = true;
		r = keys[k].parse ? keys[k].parse(&c, eq + 1, err)
				  : ot_bounds_set(&c.bounds, c.addrs, keys[k].name, eq + 1, err);
		if (r < 0)
			return ot_error_prefix(err, r, "plugstack.conf argument %d '%.200s'", i + 1,
					       arg);
	}
	/* The per-step VNI window must fit the range at least once. */
	if (c.vni_block > c.bounds.vni_max - c.bounds.vni_min + 1)
		return ot_error_set(err, -EINVAL,
				    "plugstack.conf: vni_block=%u is larger than the VNI range "
				    "%u-%u",
				    c.vni_block, c.bounds.vni_min, c.bounds.vni_max);
	*cfg = c;
	/* allowed_addrs pointed into the local copy. */
	if (cfg->bounds.nallowed_addrs)
		cfg->bounds.allowed_addrs = cfg->addrs;
	return 0;
}

void ot_spank_config_format(const struct ot_spank_config *cfg, char *buf, size_t size)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		ot_sb_printf(&sb, "%s%s=", i ? " " : "", keys[i].name);
		if (keys[i].format)
			keys[i].format(cfg, &sb);
		else
			ot_bounds_format(&cfg->bounds, keys[i].name, &sb);
	}
	if (size)
		snprintf(buf, size, "%s", sb.oom ? "(out of memory)" : ot_sb_str(&sb));
	ot_sb_free(&sb);
}
