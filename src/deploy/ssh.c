/*
 * ssh.c - otdeploy's SSH transport on libssh (the contract is in ssh.h).
 *
 * Commands: one channel per command, read through an ssh_event so stdout,
 * stderr, EOF and the deadline are all watched at once (no fixed sleeps,
 * no polling interval). Files: SFTP, because it lets the caller lstat every
 * path component and create files exclusively without a remote shell
 * parsing a path.
 */
#include "deploy/ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util/strbuf.h"
#include "util/clock.h"

struct ot_ssh {
	ssh_session session;
	sftp_session sftp;
	char user[64];
	char where[600];
	bool proxied; /* the SSH config gave a ProxyCommand / ProxyJump */
	char fp[OT_SSH_FP_MAX];
	bool key_added;
};

struct ot_ssh_cmd {
	struct ot_ssh *s;
	ssh_channel ch;
	ssh_event ev;
	struct ot_strbuf out, errout;
	size_t out_pos; /* bytes of `out` already handed out as lines */
	size_t err_pos; /* bytes of `errout` already handed out */
	bool truncated;
	bool eof;
	char what[64];	 /* the command, shortened, for messages */
	char signal[16]; /* exit-signal name, if one came */
	struct ssh_channel_callbacks_struct cb;
};

/* exit-signal: libssh 0.10 has no getter, only this callback. */
static void on_exit_signal(ssh_session session, ssh_channel channel, const char *signal, int core,
			   const char *errmsg, const char *lang, void *userdata)
{
	struct ot_ssh_cmd *c = userdata;

	(void)session, (void)channel, (void)core, (void)errmsg, (void)lang;
	snprintf(c->signal, sizeof(c->signal), "%s", signal ? signal : "?");
}

/* known_hosts files are appended to by several connection threads. */
static pthread_mutex_t known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

int ot_ssh_global_init(struct ot_error *err)
{
	if (ssh_init() != SSH_OK)
		return ot_error_set(err, -EIO, "libssh initialisation failed");
	return 0;
}

void ot_ssh_global_fini(void)
{
	ssh_finalize();
}

/*
 * libssh reports connection failures only as text; map the common ones to
 * errno values so callers can tell "unreachable" from "refused".
 */
static int connect_errno(const char *msg)
{
	if (strstr(msg, "refused"))
		return -ECONNREFUSED;
	if (strstr(msg, "imeout") || strstr(msg, "timed out"))
		return -ETIMEDOUT;
	return -EHOSTUNREACH;
}

static void fingerprint(struct ot_ssh *s, char *type, size_t tsize)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp;

	snprintf(s->fp, sizeof(s->fp), "(no host key)");
	snprintf(type, tsize, "unknown");
	if (ssh_get_server_publickey(s->session, &key) != SSH_OK)
		return;
	snprintf(type, tsize, "%s", ssh_key_type_to_char(ssh_key_type(key)));
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0) {
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
		if (fp)
			snprintf(s->fp, sizeof(s->fp), "%s", fp);
		ssh_string_free_char(fp);
		ssh_clean_pubkey_hash(&hash);
	}
	ssh_key_free(key);
}

static int check_host_key(struct ot_ssh *s, const struct ot_ssh_opts *o, const char *kh,
			  struct ot_error *err)
{
	enum ssh_known_hosts_e known;
	char type[32];
	int rc;

	fingerprint(s, type, sizeof(type));
	known = ssh_session_is_known_server(s->session);
	switch (known) {
	case SSH_KNOWN_HOSTS_OK:
		return 0;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		return ot_error_set(
		    err, -EKEYREJECTED,
		    "host key CHANGED (%s %s does not match %s): refusing to "
		    "connect; this may be a man-in-the-middle attack - if the host was "
		    "reinstalled, remove its old entry from %s",
		    type, s->fp, kh, kh);
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		if (!o->accept_new)
			return ot_error_set(
			    err, -EKEYREJECTED,
			    "unknown host key (%s %s, not in %s): refusing to connect; "
			    "check the fingerprint and add the key, or pass "
			    "--accept-new-host-keys",
			    type, s->fp, kh);
		pthread_mutex_lock(&known_hosts_lock);
		rc = ssh_session_update_known_hosts(s->session);
		pthread_mutex_unlock(&known_hosts_lock);
		if (rc != SSH_OK)
			return ot_error_set(err, -EIO, "cannot record the new host key in %s: %s",
					    kh, ssh_get_error(s->session));
		s->key_added = true;
		return 0;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		return ot_error_set(err, -EKEYREJECTED, "cannot check the host key against %s: %s",
				    kh, ssh_get_error(s->session));
	}
}

static int authenticate(struct ot_ssh *s, const struct ot_ssh_opts *o, struct ot_error *err)
{
	ssh_key key = NULL;
	struct stat st;
	int rc;

	rc = ssh_userauth_none(s->session, NULL);
	if (rc == SSH_AUTH_SUCCESS)
		return 0;
	if (rc == SSH_AUTH_ERROR)
		return ot_error_set(err, -EIO, "authentication: %s", ssh_get_error(s->session));
	if (o->identity) {
		if (stat(o->identity, &st) < 0)
			return ot_error_sys(err, -errno, "identity '%s'", o->identity);
		if (st.st_mode & 077)
			return ot_error_set(err, -EPERM,
					    "identity '%s' is accessible by others (mode %04o): "
					    "refusing it, as OpenSSH does (chmod 600 it)",
					    o->identity, (unsigned)(st.st_mode & 07777));
		rc = ssh_pki_import_privkey_file(o->identity, NULL, NULL, NULL, &key);
		if (rc != SSH_OK)
			return ot_error_set(err, -EACCES,
					    "cannot load identity '%s' (a passphrase-protected key "
					    "must be loaded into ssh-agent instead)",
					    o->identity);
		rc = ssh_userauth_publickey(s->session, NULL, key);
		ssh_key_free(key);
		if (rc != SSH_AUTH_SUCCESS)
			return ot_error_set(err, -EACCES, "authentication refused for key '%s'",
					    o->identity);
		return 0;
	}
	rc = ssh_userauth_publickey_auto(s->session, NULL, NULL);
	if (rc != SSH_AUTH_SUCCESS)
		return ot_error_set(err, -EACCES,
				    "authentication refused (tried ssh-agent, the default keys "
				    "in ~/.ssh and the SSH config's IdentityFile; set identity= in "
				    "the hosts file or IdentityFile in the SSH config)");
	return 0;
}

/*
 * Read the SSH config for o->host as OpenSSH does. libssh 0.10 matches
 * each Host line against the current host name, which a HostName line
 * replaces, so a block after it (the usual "Host alias-*" defaults) would
 * not match the alias any more. A second pass with the alias restored
 * applies those blocks (an option keeps its first value, so nothing
 * already set changes), and the HostName is put back.
 */
static int parse_config(struct ot_ssh *s, const struct ot_ssh_opts *o)
{
	char *host = NULL;
	int rc;

	if (ssh_options_parse_config(s->session, o->ssh_config) < 0)
		return -EINVAL;
	if (ssh_options_get(s->session, SSH_OPTIONS_HOST, &host) != SSH_OK || !host)
		return 0;
	rc = 0;
	if (strcmp(host, o->host) && (ssh_options_set(s->session, SSH_OPTIONS_HOST, o->host) < 0 ||
				      ssh_options_parse_config(s->session, o->ssh_config) < 0 ||
				      ssh_options_set(s->session, SSH_OPTIONS_HOST, host) < 0))
		rc = -EINVAL;
	ssh_string_free_char(host);
	return rc;
}

/*
 * libssh turns ProxyJump into the ProxyCommand "ssh ... -W [%h]:%p HOST"
 * (libssh 0.10, config.c: "ssh [-l U] [-p P] [-J NEXT] -W '[%h]:%p' HOST"). With an explicit config
 * file the jump must read it too (OpenSSH's ProxyJump passes -F on the same way), or the bastion's
 * own Host entry would not be found.
 */
static int jump_config(struct ot_ssh *s, const char *file)
{
	char *pc = NULL, *cmd = NULL;
	int rc = 0;

	if (ssh_options_get(s->session, SSH_OPTIONS_PROXYCOMMAND, &pc) != SSH_OK || !pc)
		return 0;
	if (!strncmp(pc, "ssh ", 4) && strstr(pc, " -W ") && !strstr(pc, " -F ")) {
		struct ot_strbuf sb = OT_STRBUF_INIT;

		ot_sb_append(&sb, "ssh -F ");
		ot_sb_shquote(&sb, file);
		ot_sb_append(&sb, pc + 3);
		cmd = sb.oom ? NULL : ot_sb_steal(&sb);
		ot_sb_free(&sb);
		rc = cmd && ssh_options_set(s->session, SSH_OPTIONS_PROXYCOMMAND, cmd) == 0
			 ? 0
			 : -ENOMEM;
		free(cmd);
	}
	ssh_string_free_char(pc);
	return rc;
}

/* "user@host:port", with the alias and the proxy command when the config
 * gave them: what every message about this connection starts with. */
static void describe(struct ot_ssh *s, const struct ot_ssh_opts *o)
{
	char *host = NULL, *user = NULL, *pc = NULL;
	unsigned port = 22;
	size_t off;

	ssh_options_get(s->session, SSH_OPTIONS_HOST, &host);
	ssh_options_get(s->session, SSH_OPTIONS_USER, &user);
	ssh_options_get(s->session, SSH_OPTIONS_PROXYCOMMAND, &pc);
	ssh_options_get_port(s->session, &port);
	snprintf(s->user, sizeof(s->user), "%s", user ? user : o->user ? o->user : "");
	off = (size_t)snprintf(s->where, sizeof(s->where), "%s%s%s:%u", s->user,
			       s->user[0] ? "@" : "", host ? host : o->host, port);
	if (host && strcmp(host, o->host) && off < sizeof(s->where))
		off += (size_t)snprintf(s->where + off, sizeof(s->where) - off,
					" (SSH config Host '%s')", o->host);
	s->proxied = pc != NULL;
	if (pc && off < sizeof(s->where))
		snprintf(s->where + off, sizeof(s->where) - off, " via '%s'", pc);
	ssh_string_free_char(host);
	ssh_string_free_char(user);
	ssh_string_free_char(pc);
}

int ot_ssh_connect(const struct ot_ssh_opts *o, struct ot_ssh **ret, struct ot_error *err)
{
	unsigned ms = o->connect_timeout_ms ? o->connect_timeout_ms : 10000;
	long tsec = ms / 1000, tusec = (long)(ms % 1000) * 1000;
	int port = o->port;
	int verbosity = SSH_LOG_NOLOG;
	bool no = false, config = !o->ssh_config || strcmp(o->ssh_config, "none");
	const char *cfgname = o->ssh_config ? o->ssh_config : "~/.ssh/config";
	char khbuf[512], *khv = NULL;
	const char *kh;
	struct ot_ssh *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return ot_error_set(err, -ENOMEM, "out of memory");
	snprintf(s->where, sizeof(s->where), "%s%s%s:%d", o->user ? o->user : "",
		 o->user ? "@" : "", o->host, port ? port : 22);
	s->session = ssh_new();
	if (!s->session) {
		free(s);
		return ot_error_set(err, -ENOMEM, "ssh_new failed");
	}
	/* The host (alias) first: the config's Host blocks match on it. */
	if (ssh_options_set(s->session, SSH_OPTIONS_HOST, o->host) < 0 ||
	    ssh_options_set(s->session, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) < 0) {
		rc = ot_error_set(err, -EINVAL, "%s: bad SSH option: %s", s->where,
				  ssh_get_error(s->session));
		goto fail;
	}
	if (config && parse_config(s, o) < 0) {
		rc = ot_error_set(err, -EINVAL, "%s: SSH config %s: %s", s->where, cfgname,
				  ssh_get_error(s->session));
		goto fail;
	}
	if (config && o->ssh_config && jump_config(s, o->ssh_config) < 0) {
		rc = ot_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	/* What the caller sets explicitly wins over the config. */
	if ((port && ssh_options_set(s->session, SSH_OPTIONS_PORT, &port) < 0) ||
	    (o->user && ssh_options_set(s->session, SSH_OPTIONS_USER, o->user) < 0) ||
	    ssh_options_set(s->session, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_options_set(s->session, SSH_OPTIONS_TIMEOUT, &tsec) < 0 ||
	    ssh_options_set(s->session, SSH_OPTIONS_TIMEOUT_USEC, &tusec) < 0 ||
	    /* An explicit file is the only source of trust. */
	    (o->known_hosts &&
	     (ssh_options_set(s->session, SSH_OPTIONS_KNOWNHOSTS, o->known_hosts) < 0 ||
	      ssh_options_set(s->session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, o->known_hosts) < 0))) {
		rc = ot_error_set(err, -EINVAL, "%s: bad SSH option: %s", s->where,
				  ssh_get_error(s->session));
		goto fail;
	}
	describe(s, o);
	if (ssh_connect(s->session) != SSH_OK) {
		const char *m = ssh_get_error(s->session);

		bool unresolved = strstr(m, "resolve") != NULL;
		char *h = NULL;

		/* through a bastion, an alias without HostName is resolved there */
		if (s->proxied && ssh_options_get(s->session, SSH_OPTIONS_HOST, &h) == SSH_OK &&
		    h && !strcmp(h, o->host) && strlen(s->where) + 80 < sizeof(s->where))
			snprintf(s->where + strlen(s->where), sizeof(s->where) - strlen(s->where),
				 " ('%s' has no HostName in %s)", o->host, config ? cfgname : "");
		ssh_string_free_char(h);

		rc =
		    ot_error_set(err, connect_errno(m), "%s: cannot connect: %s%s%s%s", s->where, m,
				 unresolved   ? " (not a Host of "
				 : s->proxied ? " (the proxy command failed: does the bastion "
						"accept this login? run the command by hand)"
					      : "",
				 unresolved ? (config ? cfgname : "any SSH config") : "",
				 unresolved ? " either)" : "");
		goto fail;
	}
	describe(s, o); /* the user libssh settled on */
	if (o->known_hosts) {
		kh = o->known_hosts;
	} else if (ssh_options_get(s->session, SSH_OPTIONS_KNOWNHOSTS, &khv) == SSH_OK && khv) {
		snprintf(khbuf, sizeof(khbuf), "%s", khv);
		ssh_string_free_char(khv);
		kh = khbuf;
	} else {
		kh = "~/.ssh/known_hosts";
	}
	rc = check_host_key(s, o, kh, err);
	if (rc < 0)
		goto fail_prefix;
	rc = authenticate(s, o, err);
	if (rc < 0)
		goto fail_prefix;
	*ret = s;
	return 0;

fail_prefix:
	ot_error_prefix(err, rc, "%s", s->where);
fail:
	ot_ssh_close(s);
	return rc;
}

void ot_ssh_close(struct ot_ssh *s)
{
	if (!s)
		return;
	if (s->sftp)
		sftp_free(s->sftp);
	if (s->session) {
		if (ssh_is_connected(s->session))
			ssh_disconnect(s->session);
		ssh_free(s->session);
	}
	free(s);
}

const char *ot_ssh_user(const struct ot_ssh *s)
{
	return s->user;
}

const char *ot_ssh_fingerprint(const struct ot_ssh *s)
{
	return s->fp;
}

bool ot_ssh_key_was_added(const struct ot_ssh *s)
{
	return s->key_added;
}

bool ot_ssh_alive(const struct ot_ssh *s)
{
	return s && s->session && ssh_is_connected(s->session);
}

const char *ot_ssh_where(const struct ot_ssh *s)
{
	return s->where;
}

void ot_ssh_result_free(struct ot_ssh_result *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->errout);
	r->out = r->errout = NULL;
	r->out_len = r->err_len = 0;
}

/* ---- commands ---- */

static void cmd_free(struct ot_ssh_cmd *c)
{
	if (!c)
		return;
	if (c->ev) {
		ssh_event_remove_session(c->ev, c->s->session);
		ssh_event_free(c->ev);
	}
	if (c->ch) {
		ssh_channel_close(c->ch);
		ssh_channel_free(c->ch);
	}
	ot_sb_free(&c->out);
	ot_sb_free(&c->errout);
	free(c);
}

int ot_ssh_cmd_start(struct ot_ssh *s, const char *cmd, struct ot_ssh_cmd **ret,
		     struct ot_error *err)
{
	struct ot_ssh_cmd *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (!c)
		return ot_error_set(err, -ENOMEM, "out of memory");
	c->s = s;
	snprintf(c->what, sizeof(c->what), "%.60s", cmd);
	c->ch = ssh_channel_new(s->session);
	if (!c->ch) {
		rc = ot_error_set(err, -ENOMEM, "%s: cannot make a channel", s->where);
		goto fail;
	}
	c->cb.userdata = c;
	c->cb.channel_exit_signal_function = on_exit_signal;
	ssh_callbacks_init(&c->cb);
	ssh_set_channel_callbacks(c->ch, &c->cb);
	if (ssh_channel_open_session(c->ch) != SSH_OK) {
		rc = ot_error_set(err, ot_ssh_alive(s) ? -EIO : -ECONNRESET,
				  "%s: cannot open a session channel: %s", s->where,
				  ssh_get_error(s->session));
		ssh_channel_free(c->ch);
		c->ch = NULL;
		goto fail;
	}
	if (ssh_channel_request_exec(c->ch, cmd) != SSH_OK) {
		rc = ot_error_set(err, ot_ssh_alive(s) ? -EIO : -ECONNRESET,
				  "%s: cannot run '%s': %s", s->where, c->what,
				  ssh_get_error(s->session));
		goto fail;
	}
	c->ev = ssh_event_new();
	if (!c->ev || ssh_event_add_session(c->ev, s->session) != SSH_OK) {
		if (c->ev)
			ssh_event_free(c->ev);
		c->ev = NULL;
		rc = ot_error_set(err, -ENOMEM, "%s: cannot make an event loop", s->where);
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	cmd_free(c);
	return rc;
}

int ot_ssh_cmd_write(struct ot_ssh_cmd *c, const void *buf, size_t n, struct ot_error *err)
{
	const char *p = buf;

	while (n > 0) {
		uint32_t chunk = n > 65536 ? 65536 : (uint32_t)n;
		int w = ssh_channel_write(c->ch, p, chunk);

		if (w <= 0)
			return ot_error_set(err, ot_ssh_alive(c->s) ? -EIO : -ECONNRESET,
					    "%s: '%s': cannot write stdin: %s", c->s->where,
					    c->what, ssh_get_error(c->s->session));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void keep(struct ot_ssh_cmd *c, struct ot_strbuf *sb, const char *buf, int n)
{
	if (sb->len + (size_t)n > OT_SSH_CAPTURE_MAX) {
		c->truncated = true;
		return;
	}
	ot_sb_appendn(sb, buf, (size_t)n);
}

/*
 * Move whatever arrived into the buffers, then wait for more until the
 * deadline (deadline < 0: do not wait). Returns 1 at EOF, 0 after progress
 * or a wait, -ETIMEDOUT at the deadline, -ECONNRESET when the connection
 * dropped.
 */
static int pump(struct ot_ssh_cmd *c, long deadline, bool wait)
{
	char buf[16384];
	bool got = false;
	int stream, n, rc;
	long left;

	for (;;) {
		for (stream = 0; stream < 2; stream++) {
			while ((n = ssh_channel_read_nonblocking(c->ch, buf, sizeof(buf), stream)) >
			       0) {
				keep(c, stream ? &c->errout : &c->out, buf, n);
				got = true;
			}
			if (n == SSH_ERROR)
				return -ECONNRESET;
		}
		if (ssh_channel_is_eof(c->ch) || ssh_channel_is_closed(c->ch)) {
			c->eof = true;
			return 1;
		}
		if (got || !wait)
			return 0;
		left = deadline ? deadline - ot_mono_ms() : 1000;
		if (left <= 0)
			return -ETIMEDOUT;
		rc = ssh_event_dopoll(c->ev, (int)(left > 1000 ? 1000 : left));
		if (rc == SSH_ERROR && !ot_ssh_alive(c->s))
			return -ECONNRESET;
	}
}

int ot_ssh_cmd_read_line(struct ot_ssh_cmd *c, char *buf, size_t size, unsigned timeout_ms,
			 struct ot_error *err)
{
	long deadline = timeout_ms ? ot_mono_ms() + timeout_ms : 0;
	const char *start, *nl;
	size_t n;
	int rc;

	for (;;) {
		start = ot_sb_str(&c->out) + c->out_pos;
		nl = memchr(start, '\n', c->out.len - c->out_pos);
		if (nl) {
			n = (size_t)(nl - start);
			if (n >= size)
				return ot_error_set(err, -E2BIG, "%s: '%s': output line too long",
						    c->s->where, c->what);
			memcpy(buf, start, n);
			buf[n] = '\0';
			c->out_pos += n + 1;
			return 0;
		}
		if (c->eof)
			return ot_error_set(err, -ENODATA,
					    "%s: '%s' ended without the expected output",
					    c->s->where, c->what);
		rc = pump(c, deadline, true);
		if (rc == -ETIMEDOUT)
			return ot_error_set(err, rc, "%s: '%s': no answer within %u ms",
					    c->s->where, c->what, timeout_ms);
		if (rc == -ECONNRESET)
			return ot_error_set(err, rc, "%s: connection lost during '%s'", c->s->where,
					    c->what);
	}
}

int ot_ssh_cmd_read_stderr_until(struct ot_ssh_cmd *c, const char *marker, unsigned timeout_ms,
				 char **ret, struct ot_error *err)
{
	long deadline = timeout_ms ? ot_mono_ms() + timeout_ms : 0;
	size_t mlen = strlen(marker);
	const char *base, *p;
	int rc;

	if (ret)
		*ret = NULL;
	for (;;) {
		base = ot_sb_str(&c->errout) + c->err_pos;
		/* the marker as a whole line */
		for (p = base; (p = memmem(p, c->errout.len - (size_t)(p - ot_sb_str(&c->errout)),
					   marker, mlen));
		     p++) {
			if ((p == base || p[-1] == '\n') && p[mlen] == '\n')
				break;
		}
		if (p) {
			if (ret) {
				*ret = strndup(base, (size_t)(p - base));
				if (!*ret)
					return ot_error_set(err, -ENOMEM, "out of memory");
			}
			c->err_pos = (size_t)(p - ot_sb_str(&c->errout)) + mlen + 1;
			return 0;
		}
		if (c->eof)
			return ot_error_set(err, -ENODATA, "%s: '%s' ended before '%s' on stderr",
					    c->s->where, c->what, marker);
		rc = pump(c, deadline, true);
		if (rc == -ETIMEDOUT)
			return ot_error_set(err, rc, "%s: '%s': no answer within %u ms",
					    c->s->where, c->what, timeout_ms);
		if (rc == -ECONNRESET)
			return ot_error_set(err, rc, "%s: connection lost during '%s'", c->s->where,
					    c->what);
	}
}

static char *take(struct ot_strbuf *sb, size_t from, size_t *len)
{
	size_t n = sb->len > from ? sb->len - from : 0;
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	if (n)
		memcpy(p, sb->buf + from, n);
	p[n] = '\0';
	*len = n;
	return p;
}

int ot_ssh_cmd_finish(struct ot_ssh_cmd *c, unsigned timeout_ms, struct ot_ssh_result *res,
		      struct ot_error *err)
{
	long deadline = timeout_ms ? ot_mono_ms() + timeout_ms : 0;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->status = -1;
	if (!c->eof && ssh_channel_is_open(c->ch))
		ssh_channel_send_eof(c->ch);
	while (rc == 0)
		rc = pump(c, deadline, true);
	if (rc == 1) {
		rc = 0;
		res->status = ssh_channel_get_exit_status(c->ch);
		if (res->status < 0)
			res->status = -1;
	} else if (rc == -ETIMEDOUT) {
		/* Ask the server to kill it; closing the channel (cmd_free)
		 * also closes its pipes. */
		ssh_channel_request_send_signal(c->ch, "KILL");
		ot_error_set(err, rc, "%s: '%s' did not finish within %u ms (killed)", c->s->where,
			     c->what, timeout_ms);
	} else {
		ot_error_set(err, rc, "%s: connection lost during '%s'", c->s->where, c->what);
	}
	res->out = take(&c->out, c->out_pos, &res->out_len);
	res->errout = take(&c->errout, c->err_pos, &res->err_len);
	res->truncated = c->truncated;
	snprintf(res->signal, sizeof(res->signal), "%s", c->signal);
	if (!res->out || !res->errout) {
		ot_ssh_result_free(res);
		if (rc == 0)
			rc = ot_error_set(err, -ENOMEM, "out of memory");
	}
	cmd_free(c);
	return rc;
}

void ot_ssh_cmd_abort(struct ot_ssh_cmd *c)
{
	if (!c)
		return;
	if (c->ch && ssh_channel_is_open(c->ch))
		ssh_channel_request_send_signal(c->ch, "KILL");
	cmd_free(c);
}

int ot_ssh_run(struct ot_ssh *s, const char *cmd, const void *in, size_t in_len,
	       unsigned timeout_ms, struct ot_ssh_result *res, struct ot_error *err)
{
	struct ot_ssh_cmd *c;
	int rc;

	memset(res, 0, sizeof(*res));
	res->status = -1;
	rc = ot_ssh_cmd_start(s, cmd, &c, err);
	if (rc < 0)
		return rc;
	if (in_len) {
		rc = ot_ssh_cmd_write(c, in, in_len, err);
		if (rc < 0) {
			ot_ssh_cmd_abort(c);
			return rc;
		}
	}
	return ot_ssh_cmd_finish(c, timeout_ms, res, err);
}

/* ---- SFTP ---- */

static int sftp_errno(struct ot_ssh *s)
{
	switch (sftp_get_error(s->sftp)) {
	case SSH_FX_NO_SUCH_FILE:
	case SSH_FX_NO_SUCH_PATH:
		return -ENOENT;
	case SSH_FX_PERMISSION_DENIED:
		return -EACCES;
	case SSH_FX_FILE_ALREADY_EXISTS:
		return -EEXIST;
	case SSH_FX_CONNECTION_LOST:
	case SSH_FX_NO_CONNECTION:
		return -ECONNRESET;
	default:
		return ot_ssh_alive(s) ? -EIO : -ECONNRESET;
	}
}

static int sftp_ready(struct ot_ssh *s, struct ot_error *err)
{
	if (s->sftp)
		return 0;
	s->sftp = sftp_new(s->session);
	if (!s->sftp)
		return ot_error_set(err, ot_ssh_alive(s) ? -EIO : -ECONNRESET,
				    "%s: cannot start SFTP: %s", s->where,
				    ssh_get_error(s->session));
	if (sftp_init(s->sftp) != SSH_OK) {
		sftp_free(s->sftp);
		s->sftp = NULL;
		return ot_error_set(err, -EIO,
				    "%s: the SFTP subsystem is not available (install the SFTP "
				    "server on the host)",
				    s->where);
	}
	return 0;
}

int ot_ssh_lstat(struct ot_ssh *s, const char *path, struct ot_ssh_stat *st, struct ot_error *err)
{
	sftp_attributes a;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = sftp_ready(s, err);
	if (rc < 0)
		return rc;
	a = sftp_lstat(s->sftp, path);
	if (!a) {
		rc = sftp_errno(s);
		if (rc == -ENOENT) {
			st->type = OT_SSH_FT_NONE;
			return 0;
		}
		return ot_error_sys(err, rc, "%s: lstat '%s'", s->where, path);
	}
	switch (a->type) {
	case SSH_FILEXFER_TYPE_REGULAR:
		st->type = OT_SSH_FT_REG;
		break;
	case SSH_FILEXFER_TYPE_DIRECTORY:
		st->type = OT_SSH_FT_DIR;
		break;
	case SSH_FILEXFER_TYPE_SYMLINK:
		st->type = OT_SSH_FT_LINK;
		break;
	default:
		st->type = OT_SSH_FT_OTHER;
		break;
	}
	st->mode = a->permissions & 07777;
	st->uid = a->uid;
	st->gid = a->gid;
	st->size = a->size;
	sftp_attributes_free(a);
	return 0;
}

int ot_ssh_mkdir(struct ot_ssh *s, const char *path, uint32_t mode, struct ot_error *err)
{
	struct ot_ssh_stat st;
	int rc;

	rc = sftp_ready(s, err);
	if (rc < 0)
		return rc;
	if (sftp_mkdir(s->sftp, path, (mode_t)mode) == 0)
		return 0;
	rc = sftp_errno(s);
	/* SFTP v3 servers say only "failure" for EEXIST: look. */
	if (ot_ssh_lstat(s, path, &st, NULL) == 0 && st.type != OT_SSH_FT_NONE)
		rc = -EEXIST;
	return ot_error_sys(err, rc, "%s: mkdir '%s'", s->where, path);
}

int ot_ssh_put(struct ot_ssh *s, const char *path, const void *data, size_t len, uint32_t mode,
	       struct ot_error *err)
{
	const char *p = data;
	struct ot_ssh_stat st;
	sftp_file f;
	int rc;

	rc = sftp_ready(s, err);
	if (rc < 0)
		return rc;
	/* O_EXCL: never open through a link or into a file someone else made. */
	f = sftp_open(s->sftp, path, O_WRONLY | O_CREAT | O_EXCL, (mode_t)mode);
	if (!f) {
		rc = sftp_errno(s);
		if (ot_ssh_lstat(s, path, &st, NULL) == 0 && st.type != OT_SSH_FT_NONE)
			rc = -EEXIST;
		return ot_error_sys(err, rc, "%s: create '%s'", s->where, path);
	}
	while (len > 0) {
		size_t chunk = len > 65536 ? 65536 : len;
		ssize_t w = sftp_write(f, p, chunk);

		if (w <= 0) {
			rc = ot_error_sys(err, sftp_errno(s), "%s: write '%s'", s->where, path);
			sftp_close(f);
			sftp_unlink(s->sftp, path);
			return rc;
		}
		p += w;
		len -= (size_t)w;
	}
	if (sftp_close(f) != SSH_NO_ERROR) {
		rc = ot_error_sys(err, sftp_errno(s), "%s: close '%s'", s->where, path);
		sftp_unlink(s->sftp, path);
		return rc;
	}
	return 0;
}

int ot_ssh_unlink(struct ot_ssh *s, const char *path, struct ot_error *err)
{
	int rc;

	rc = sftp_ready(s, err);
	if (rc < 0)
		return rc;
	if (sftp_unlink(s->sftp, path) == 0)
		return 0;
	rc = sftp_errno(s);
	if (rc == -ENOENT)
		return 0;
	return ot_error_sys(err, rc, "%s: unlink '%s'", s->where, path);
}

int ot_ssh_rmdir(struct ot_ssh *s, const char *path, struct ot_error *err)
{
	struct ot_ssh_stat st;
	int rc;

	rc = sftp_ready(s, err);
	if (rc < 0)
		return rc;
	if (sftp_rmdir(s->sftp, path) == 0)
		return 0;
	rc = sftp_errno(s);
	if (rc == -ENOENT)
		return 0;
	/* SFTP v3 says only "failure" for a non-empty directory: look. */
	if (ot_ssh_lstat(s, path, &st, NULL) == 0 && st.type == OT_SSH_FT_DIR)
		rc = -ENOTEMPTY;
	return ot_error_sys(err, rc, "%s: rmdir '%s'", s->where, path);
}

int ot_ssh_list(struct ot_ssh *s, const char *path, void (*fn)(void *ctx, const char *name),
		void *ctx, struct ot_error *err)
{
	sftp_attributes a;
	sftp_dir dir;
	int rc;

	rc = sftp_ready(s, err);
	if (rc < 0)
		return rc;
	dir = sftp_opendir(s->sftp, path);
	if (!dir) {
		rc = sftp_errno(s);
		return rc == -ENOENT ? 0 : ot_error_sys(err, rc, "%s: list '%s'", s->where, path);
	}
	while ((a = sftp_readdir(s->sftp, dir)) != NULL) {
		if (a->name && strcmp(a->name, ".") && strcmp(a->name, ".."))
			fn(ctx, a->name);
		sftp_attributes_free(a);
	}
	rc = sftp_dir_eof(dir) ? 0 : sftp_errno(s);
	sftp_closedir(dir);
	return rc < 0 ? ot_error_sys(err, rc, "%s: list '%s'", s->where, path) : 0;
}

int ot_ssh_rename(struct ot_ssh *s, const char *from, const char *to, struct ot_error *err)
{
	int rc;

	rc = sftp_ready(s, err);
	if (rc < 0)
		return rc;
	if (sftp_rename(s->sftp, from, to) == 0)
		return 0;
	return ot_error_sys(err, sftp_errno(s), "%s: rename '%s' to '%s'", s->where, from, to);
}
