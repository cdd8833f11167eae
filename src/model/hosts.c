/*
 * hosts.c - the hosts file (contract in model/load.h, model in model.h):
 *
 *	# NAME     SSH_TARGET        UNDERLAY      [key=value ...]
 *	n1         local             192.0.2.1     mtu=1500
 *	node[1]    admin@host2       192.0.2.2     port=2222 identity=~/.ssh/lab
 *
 * One host per line, fields separated by blanks, '#' starts a comment.
 * Keys: port, user, identity, dir, mtu, dev, sudo, otnode. Every problem of every line is
 * reported, with the same diagnostics as the language.
 */
#include "model/load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/names.h"
#include "lang/parse.h"
#include "util/hash.h"
#include "util/path.h"
#include "util/vec.h"

#define MAX_FIELDS 16
#define MAX_PATH   1024
#define MAX_USER   32

struct field {
	const char *s; /* NUL-terminated copy in the hosts arena */
	size_t len;
	struct ot_loc loc;
};

struct hctx {
	struct ot_hosts *h;
	struct ot_diags *d;
	const char *file;
	bool oom;
	struct ot_host *v;
	size_t n, cap;
	struct ot_strmap names;
	struct ot_strmap addrs; /* formatted underlay address -> host index + 1 */
};

static struct ot_diag *err(struct hctx *c, const struct field *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct ot_diag *err(struct hctx *c, const struct field *f, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ot_diag_error(c->d, f->loc, "%s", msg);
}

static const char *shown(const char *s, char *buf, size_t size)
{
	if (strlen(s) <= 64)
		return s;
	snprintf(buf, size, "%.60s...", s);
	return buf;
}

static bool parse_num(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			v = max + 1; /* saturate: out of range */
	}
	*ret = v;
	return true;
}

/* "n1", or "node[3]" meaning "node3". */
static const char *host_name(struct hctx *c, const struct field *f)
{
	const char *open = strchr(f->s, '['), *problem;
	char buf[80];

	if (open) {
		uint64_t v;
		size_t n = (size_t)(open - f->s);
		char num[24];
		size_t dl = f->len - n - 2;

		if (f->s[f->len - 1] != ']' || dl == 0 || dl >= sizeof(num))
			goto bad_index;
		memcpy(num, open + 1, dl);
		num[dl] = '\0';
		if (!parse_num(num, 1000000000, &v) || v > 1000000000)
			goto bad_index;
		{
			char *name = ot_arena_printf(&c->h->arena, "%.*s%llu", (int)n, f->s,
						     (unsigned long long)v);

			if (!name) {
				c->oom = true;
				return NULL;
			}
			problem = ot_name_problem(name, strlen(name), OT_MAX_NAME);
			if (problem) {
				err(c, f, "invalid host name '%s': %s",
				    shown(f->s, buf, sizeof(buf)), problem);
				return NULL;
			}
			return name;
		}
	bad_index : {
		struct ot_diag *g =
		    err(c, f, "invalid host name '%s'", shown(f->s, buf, sizeof(buf)));

		ot_diag_hint(
		    g, "a topology node name such as n1, or NAME[N] with a number N (node[3])");
		return NULL;
	}
	}
	problem = ot_name_problem(f->s, f->len, OT_MAX_NAME);
	if (problem) {
		err(c, f, "invalid host name '%s': %s", shown(f->s, buf, sizeof(buf)), problem);
		return NULL;
	}
	return f->s;
}

static bool user_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > MAX_USER || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

/* A host for ssh: a DNS name or an address; never something ssh would read
 * as an option. */
static bool ssh_host_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' || ch == ':'))
			return false;
	}
	return true;
}

/* A path given to a host: printable, at most MAX_PATH bytes; absolute:
 * starting with '/' and without a ".." component (the installed otnode;
 * dir= has the stricter rule of util/path.h). */
static bool path_ok(const char *s, bool absolute)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > MAX_PATH || (absolute && s[0] != '/'))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	if (absolute && (strstr(s, "/../") || (n >= 3 && strcmp(s + n - 3, "/..") == 0)))
		return false;
	return true;
}

enum key_id { K_PORT, K_USER, K_IDENTITY, K_DIR, K_MTU, K_DEV, K_SUDO, K_OTNODE, K__COUNT };

static const char *const key_names[K__COUNT] = {
    [K_PORT] = "port", [K_USER] = "user", [K_IDENTITY] = "identity", [K_DIR] = "dir",
    [K_MTU] = "mtu",   [K_DEV] = "dev",	  [K_SUDO] = "sudo",	     [K_OTNODE] = "otnode",
};

static bool key_value(struct hctx *c, struct ot_host *h, bool local, const struct field *f,
		      struct ot_loc seen[K__COUNT], bool user_at)
{
	const char *eq = strchr(f->s, '='), *val;
	char key[32], buf[80];
	struct ot_suggest sg;
	struct ot_diag *g;
	uint64_t v;
	size_t klen;
	int k;

	if (!eq) {
		g = err(c, f, "expected key=value, found '%s'", shown(f->s, buf, sizeof(buf)));
		ot_diag_hint(g,
			     "the keys are port, user, identity, dir, mtu, dev, sudo and otnode");
		return false;
	}
	klen = (size_t)(eq - f->s);
	if (klen >= sizeof(key))
		klen = sizeof(key) - 1;
	memcpy(key, f->s, klen);
	key[klen] = '\0';
	val = eq + 1;
	for (k = 0; k < K__COUNT; k++)
		if (strcmp(key, key_names[k]) == 0)
			break;
	if (k == K__COUNT) {
		g = err(c, f, "unknown key '%s'", shown(key, buf, sizeof(buf)));
		ot_suggest_init(&sg, key);
		for (k = 0; k < K__COUNT; k++)
			ot_suggest_add(&sg, key_names[k]);
		if (ot_suggest_best(&sg))
			ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
		else
			ot_diag_hint(
			    g, "the keys are port, user, identity, dir, mtu, dev, sudo and otnode");
		return false;
	}
	if (seen[k].line) {
		g = err(c, f, "duplicate key '%s'", key_names[k]);
		ot_diag_note(g, seen[k], "first given here");
		return false;
	}
	seen[k] = f->loc;
	if (local &&
	    (k == K_PORT || k == K_USER || k == K_IDENTITY || k == K_SUDO || k == K_OTNODE)) {
		g = err(c, f, "'%s' has no meaning for a local host", key_names[k]);
		ot_diag_hint(g, "a local host is this machine, reached without SSH");
		return false;
	}
	switch (k) {
	case K_PORT:
		if (!parse_num(val, 65535, &v) || v < 1 || v > 65535) {
			err(c, f, "invalid port '%s': expected 1..65535",
			    shown(val, buf, sizeof(buf)));
			return false;
		}
		h->ssh_port = (uint16_t)v;
		return true;
	case K_MTU:
		if (!parse_num(val, 65535, &v) || v < 68 || v > 65535) {
			err(c, f, "invalid mtu '%s': expected 68..65535",
			    shown(val, buf, sizeof(buf)));
			return false;
		}
		h->mtu = (uint32_t)v;
		return true;
	case K_USER:
		if (user_at) {
			err(c, f, "the user is already given in the SSH target");
			return false;
		}
		if (!user_ok(val, strlen(val))) {
			err(c, f, "invalid user name '%s'", shown(val, buf, sizeof(buf)));
			return false;
		}
		h->user = val;
		return true;
	case K_IDENTITY:
		if (!path_ok(val, false)) {
			err(c, f, "invalid identity file '%s'", shown(val, buf, sizeof(buf)));
			return false;
		}
		h->identity = val;
		return true;
	case K_DIR: {
		char why[96];
		const char *problem = ot_dir_problem(val, why, sizeof(why));

		if (problem) {
			/* the rule otdeploy applies before it connects (util/path.h) */
			g = err(c, f, "invalid directory '%s': %s", shown(val, buf, sizeof(buf)),
				problem);
			ot_diag_hint(g, "an absolute path of letters, digits and ._+-, such as "
					"/var/lib/opentop");
			return false;
		}
		h->dir = val;
		return true;
	}
	case K_SUDO:
		if (strcmp(val, "yes") && strcmp(val, "no")) {
			g = err(c, f, "invalid sudo '%s': expected yes or no",
				shown(val, buf, sizeof(buf)));
			ot_diag_hint(g, "sudo=yes runs the installed otnode through `sudo -n`");
			return false;
		}
		h->sudo = !strcmp(val, "yes");
		return true;
	case K_OTNODE:
		if (!path_ok(val, true)) {
			g = err(c, f, "invalid otnode path '%s'", shown(val, buf, sizeof(buf)));
			ot_diag_hint(g, "the absolute path of the installed otnode, such as "
					"/usr/bin/otnode");
			return false;
		}
		h->otnode = val;
		return true;
	case K_DEV: {
		const char *problem = ot_ifname_problem(val);

		if (problem) {
			err(c, f, "invalid interface name '%s': %s", shown(val, buf, sizeof(buf)),
			    problem);
			return false;
		}
		h->dev = val;
		return true;
	}
	default:
		return false;
	}
}

static void host_line(struct hctx *c, struct field *f, size_t nf, struct ot_loc eol)
{
	struct ot_loc seen[K__COUNT];
	struct ot_host h;
	const char *at;
	char abuf[OT_ADDR_STRLEN], buf[80];
	struct field end = {.loc = eol};
	bool ok = true, user_at = false;
	void *old = NULL;
	size_t i;

	memset(&h, 0, sizeof(h));
	memset(seen, 0, sizeof(seen));
	h.loc = f[0].loc;
	h.name = host_name(c, &f[0]);
	if (nf < 2) {
		struct ot_diag *g = err(c, &end, "expected an SSH target after the host name");

		ot_diag_hint(g, "NAME SSH_TARGET UNDERLAY_ADDRESS, such as: n1 local 192.0.2.1");
		return;
	}
	if (strcmp(f[1].s, "local") == 0) {
		h.ssh_target = "local";
	} else {
		at = strchr(f[1].s, '@');
		if (at && !user_ok(f[1].s, (size_t)(at - f[1].s))) {
			err(c, &f[1], "invalid user in SSH target '%s'",
			    shown(f[1].s, buf, sizeof(buf)));
			ok = false;
		} else if (!ssh_host_ok(at ? at + 1 : f[1].s)) {
			struct ot_diag *g = err(c, &f[1], "invalid SSH target '%s'",
						shown(f[1].s, buf, sizeof(buf)));

			ot_diag_hint(g, "'local', HOST or USER@HOST");
			ok = false;
		}
		if (at) {
			user_at = true;
			h.user = ot_arena_strndup(&c->h->arena, f[1].s, (size_t)(at - f[1].s));
		}
		h.ssh_target = f[1].s;
	}
	if (nf < 3) {
		struct ot_diag *g =
		    err(c, &end, "expected an underlay address after the SSH target");

		ot_diag_hint(g, "the address this host uses for VXLAN, such as 192.0.2.1");
		return;
	}
	if (ot_addr_parse(f[2].s, &h.underlay) < 0) {
		struct ot_diag *g =
		    err(c, &f[2], "invalid underlay address '%s'", shown(f[2].s, buf, sizeof(buf)));

		ot_diag_hint(g, "an IPv4 or IPv6 address without prefix length");
		ok = false;
	} else if (ot_addr_not_unicast(&h.underlay)) { /* a VTEP address: util/addr.h */
		err(c, &f[2], "underlay address '%s' is %s", f[2].s,
		    ot_addr_not_unicast(&h.underlay));
		ok = false;
	}
	for (i = 3; i < nf; i++)
		ok &= key_value(c, &h, h.ssh_target && strcmp(h.ssh_target, "local") == 0, &f[i],
				seen, user_at);
	if (!h.name || !ok)
		return;
	/* Look both keys up before inserting either: a line refused for one
	 * duplicate must leave no trace in the other map. */
	old = ot_strmap_get(&c->names, h.name);
	if (old) {
		struct ot_diag *g = err(c, &f[0], "duplicate host '%s'", h.name);

		ot_diag_note(g, c->v[(uintptr_t)old - 1].loc, "first defined here");
		return;
	}
	ot_addr_format(&h.underlay, abuf, sizeof(abuf));
	old = ot_strmap_get(&c->addrs, abuf);
	if (old) {
		struct ot_diag *g = err(c, &f[2], "duplicate underlay address %s", abuf);

		ot_diag_note(g, c->v[(uintptr_t)old - 1].loc, "used by host '%s'",
			     c->v[(uintptr_t)old - 1].name);
		return;
	}
	if (c->n >= OT_MAX_NODES) {
		err(c, &f[0], "too many hosts (the limit is %d)", OT_MAX_NODES);
		return;
	}
	{
		char *key = ot_arena_strdup(&c->h->arena, abuf);

		if (!key ||
		    ot_strmap_put(&c->names, h.name, (void *)(uintptr_t)(c->n + 1), NULL) < 0 ||
		    ot_strmap_put(&c->addrs, key, (void *)(uintptr_t)(c->n + 1), NULL) < 0) {
			c->oom = true;
			return;
		}
	}
	if (OT_VEC_RESERVE(c->v, c->cap, c->n + 1) < 0) {
		c->oom = true;
		return;
	}
	c->v[c->n++] = h;
}

static void parse_hosts(struct hctx *c, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	uint32_t line = 1;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		p += 3; /* a UTF-8 byte order mark: not text (as the lexer) */

	while (p < end && !c->oom) {
		const char *ls = p;
		struct field f[MAX_FIELDS];
		size_t nf = 0;
		bool bad = false, too_many = false;

		while (p < end && *p != '\n') {
			const char *s;

			if (*p == ' ' || *p == '\t' || *p == '\r') {
				p++;
				continue;
			}
			if (*p == '#') {
				while (p < end && *p != '\n')
					p++;
				break;
			}
			s = p;
			while (p < end && *p != '\n' && *p != ' ' && *p != '\t' && *p != '\r' &&
			       *p != '#')
				p++;
			{
				struct ot_loc loc = {c->file, line, (uint32_t)(s - ls) + 1,
						     (uint32_t)(p - s)};
				size_t i;

				for (i = 0; i < (size_t)(p - s); i++) {
					unsigned char ch = (unsigned char)s[i];

					if (ch < 0x20 || ch == 0x7f) {
						struct ot_loc at = loc;

						at.col += (uint32_t)i;
						at.len = 1;
						if (ch)
							ot_diag_error(
							    c->d, at,
							    "invalid control character 0x%02x", ch);
						else
							ot_diag_error(c->d, at,
								      "NUL byte in hosts file");
						bad = true;
						break;
					}
				}
				if (nf == MAX_FIELDS) {
					if (!too_many)
						ot_diag_error(c->d, loc,
							      "too many fields (the limit is %d)",
							      MAX_FIELDS);
					too_many = true;
					continue;
				}
				f[nf].s = ot_arena_strndup(&c->h->arena, s, (size_t)(p - s));
				f[nf].len = (size_t)(p - s);
				f[nf].loc = loc;
				if (!f[nf].s) {
					c->oom = true;
					return;
				}
				nf++;
			}
		}
		if (nf && !bad && !too_many)
			host_line(c, f, nf,
				  (struct ot_loc){c->file, line, (uint32_t)(p - ls) + 1, 1});
		if (p < end)
			p++;
		line++;
	}
}

int ot_hosts_load_mem(const char *name, const char *text, size_t len, struct ot_diags *d,
		      struct ot_hosts **ret)
{
	struct hctx c;
	size_t errors = d->errors;
	int r = 0;

	*ret = NULL;
	memset(&c, 0, sizeof(c));
	c.h = calloc(1, sizeof(*c.h));
	if (!c.h)
		return -ENOMEM;
	ot_arena_init(&c.h->arena);
	c.d = d;
	c.file = ot_diags_add_source(d, name, text, len);
	c.h->file = ot_arena_strdup(&c.h->arena, name);
	if (len > OT_MAX_SOURCE_BYTES)
		ot_diag_error(d, (struct ot_loc){c.file, 0, 0, 0}, "file is larger than %u bytes",
			      OT_MAX_SOURCE_BYTES);
	else
		parse_hosts(&c, text, len);
	if (c.n && !c.oom) {
		c.h->hosts = ot_arena_memdup(&c.h->arena, c.v, c.n * sizeof(*c.v));
		c.h->nhosts = c.h->hosts ? c.n : 0;
	}
	if (c.oom || c.h->arena.oom || d->oom)
		r = -ENOMEM;
	else if (d->errors > errors)
		r = -EINVAL;
	free(c.v);
	ot_strmap_free(&c.names);
	ot_strmap_free(&c.addrs);
	if (r < 0) {
		ot_hosts_free(c.h);
		return r;
	}
	*ret = c.h;
	return 0;
}

int ot_hosts_load(const char *path, struct ot_diags *d, struct ot_hosts **ret)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	*ret = NULL;
	r = ot_source_read(path, OT_MAX_SOURCE_BYTES, &text, &len, NULL, NULL);
	if (r < 0) {
		const char *f = ot_diags_add_source(d, path, "", 0);

		if (r == -EFBIG)
			ot_diag_error(d, (struct ot_loc){f, 0, 0, 0},
				      "file is larger than %u bytes", OT_MAX_SOURCE_BYTES);
		else
			ot_diag_error(d, (struct ot_loc){f, 0, 0, 0}, "cannot read: %s",
				      r == -EINVAL ? "not a regular file" : strerror(-r));
		return r;
	}
	r = ot_hosts_load_mem(path, text, len, d, ret);
	free(text);
	return r;
}
