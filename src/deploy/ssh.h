/*
 * ssh.h - the SSH transport of otdeploy, on libssh: one authenticated
 * connection per host, commands run on it with a deadline each, and the few
 * SFTP file operations the upload needs.
 *
 * Security policy, enforced here and nowhere else:
 * - the server's host key must be in the known_hosts file (the user's, or
 *   one given explicitly); an unknown key is refused unless accept_new is
 *   set (then it is recorded), a changed key is always refused;
 * - authentication by a private key file (refused when readable by group or
 *   others, as OpenSSH does) or by the agent / default keys; no password
 *   prompts, nothing secret ever appears on a command line;
 * - the OpenSSH client configuration is read (~/.ssh/config and
 *   /etc/ssh/ssh_config, or one file given, or none) with libssh's parser:
 *   Host aliases, HostName, User, Port, IdentityFile, UserKnownHostsFile,
 *   ProxyCommand and ProxyJump (which libssh runs as `ssh -W` through the
 *   bastion; with an explicit file, `-F FILE` is passed on to it, as
 *   OpenSSH's own ProxyJump does). What the hosts file or the caller sets
 *   explicitly (port, user, identity, known_hosts) wins over the config.
 *
 * One struct ot_ssh is used by one thread at a time (libssh sessions are not
 * shared between threads); different connections may run in parallel. Call
 * ot_ssh_global_init() once before starting threads.
 */
#ifndef OT_DEPLOY_SSH_H
#define OT_DEPLOY_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define OT_SSH_FP_MAX 128 /* "SHA256:..." fingerprint text */

struct ot_ssh_opts {
	const char *host;	     /* address, name or Host alias of the SSH config */
	uint16_t port;		     /* 0 = the config's Port, else 22 */
	const char *user;	     /* NULL = the config's User, else the local user name */
	const char *identity;	     /* private key file; NULL = agent, then ~/.ssh default keys */
	const char *known_hosts;     /* NULL = ~/.ssh/known_hosts */
	bool accept_new;	     /* record an unknown host key (never a changed one) */
	unsigned connect_timeout_ms; /* TCP connect + handshake + auth; 0 = 10 s */
	const char *ssh_config;	     /* NULL = ~/.ssh/config + /etc/ssh/ssh_config; "none" */
};

struct ot_ssh;

/* Call once per process, before any thread uses SSH. 0 or -EIO. */
int ot_ssh_global_init(struct ot_error *err);
void ot_ssh_global_fini(void);

/*
 * Connect, verify the host key and authenticate. Returns 0 and *ret (close
 * with ot_ssh_close), or:
 *   -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH  the host cannot be reached;
 *   -EKEYREJECTED  unknown host key (not accepted) or CHANGED host key;
 *   -EACCES        authentication refused;
 *   -EPERM         the identity file is readable by others;
 *   -EIO           any other SSH failure.
 * err names user@host:port (and the alias and the proxy command when the
 * SSH config gave them) and gives the reason (with the fingerprint for
 * host key problems; for a name that does not resolve, that it is no Host
 * of the config either).
 */
int ot_ssh_connect(const struct ot_ssh_opts *o, struct ot_ssh **ret, struct ot_error *err);

/* The login user of the connection (the config's User, or the local user
 * name, when none was given). */
const char *ot_ssh_user(const struct ot_ssh *s);

/* Disconnect and free. Accepts NULL. */
void ot_ssh_close(struct ot_ssh *s);

/* "SHA256:<base64>" of the server's host key (valid while connected). */
const char *ot_ssh_fingerprint(const struct ot_ssh *s);

/* True when this connection recorded a new host key (accept_new). */
bool ot_ssh_key_was_added(const struct ot_ssh *s);

/* Is the connection still up? */
bool ot_ssh_alive(const struct ot_ssh *s);

/* The result of one remote command. Buffers are NUL-terminated, malloc'ed. */
struct ot_ssh_result {
	int status;	 /* exit status 0..255, or -1 when none arrived (signal, lost) */
	char signal[16]; /* "SEGV" when the command was killed by a signal, else "" */
	char *out;	 /* stdout */
	size_t out_len;
	char *errout; /* stderr */
	size_t err_len;
	bool truncated; /* output exceeded the capture limit (the rest was read and dropped) */
};

void ot_ssh_result_free(struct ot_ssh_result *r); /* frees the buffers, accepts NULL */

/* Bytes of stdout and of stderr kept per command; the rest is discarded. */
#define OT_SSH_CAPTURE_MAX (4u << 20)

/*
 * Run cmd (a shell command line for the remote user's shell: quote every
 * argument). `in` (in_len bytes, may be NULL) is sent on stdin, then EOF.
 * Waits at most timeout_ms (0 = no limit) for the command to exit. Returns 0
 * with *res filled (a non-zero exit status is not an error here), or
 * -ETIMEDOUT (the command is sent SIGKILL and its channel closed),
 * -ECONNRESET (connection lost), -EIO / -ENOMEM. *res is filled also on
 * failure with what arrived (free it in every case).
 */
int ot_ssh_run(struct ot_ssh *s, const char *cmd, const void *in, size_t in_len,
	       unsigned timeout_ms, struct ot_ssh_result *res, struct ot_error *err);

/* An interactive command: lines out, text in (otnode preflight). */
struct ot_ssh_cmd;

/* Start cmd. 0 and *ret, or -errno (as ot_ssh_run). */
int ot_ssh_cmd_start(struct ot_ssh *s, const char *cmd, struct ot_ssh_cmd **ret,
		     struct ot_error *err);

/* Send bytes on the command's stdin. 0 or -ECONNRESET/-EIO. */
int ot_ssh_cmd_write(struct ot_ssh_cmd *c, const void *buf, size_t n, struct ot_error *err);

/*
 * Read one line of stdout (without the newline) into buf, waiting at most
 * timeout_ms. 0 on a line, -ENODATA when stdout ended first, -ETIMEDOUT,
 * -E2BIG (line longer than size - 1), -ECONNRESET/-EIO. Lines already read
 * are not part of the final result's `out`.
 */
int ot_ssh_cmd_read_line(struct ot_ssh_cmd *c, char *buf, size_t size, unsigned timeout_ms,
			 struct ot_error *err);

/*
 * Wait until a line equal to `marker` appears on stderr; *ret (malloc'ed,
 * may be NULL when not wanted) gets the stderr text before it. That text
 * and the marker are not part of the final result's `errout`. Same
 * returns as ot_ssh_cmd_read_line.
 */
int ot_ssh_cmd_read_stderr_until(struct ot_ssh_cmd *c, const char *marker, unsigned timeout_ms,
				 char **ret, struct ot_error *err);

/*
 * Send EOF, wait (timeout_ms) for the exit, fill *res with the rest of the
 * output, free c. Same returns as ot_ssh_run. c is freed in every case.
 */
int ot_ssh_cmd_finish(struct ot_ssh_cmd *c, unsigned timeout_ms, struct ot_ssh_result *res,
		      struct ot_error *err);

/* Kill (SIGKILL request) and free. Accepts NULL. */
void ot_ssh_cmd_abort(struct ot_ssh_cmd *c);

/* ---- SFTP (opened on first use) ---- */

enum ot_ssh_ftype {
	OT_SSH_FT_NONE, /* does not exist */
	OT_SSH_FT_REG,
	OT_SSH_FT_DIR,
	OT_SSH_FT_LINK,
	OT_SSH_FT_OTHER,
};

struct ot_ssh_stat {
	enum ot_ssh_ftype type;
	uint32_t mode; /* permission bits incl. setuid/setgid/sticky (07777) */
	uint32_t uid, gid;
	uint64_t size;
};

/* lstat (never follows a symbolic link). A missing path is success with
 * type OT_SSH_FT_NONE. -EACCES / -EIO otherwise. */
int ot_ssh_lstat(struct ot_ssh *s, const char *path, struct ot_ssh_stat *st, struct ot_error *err);

/* mkdir with mode. -EEXIST when something is there already. */
int ot_ssh_mkdir(struct ot_ssh *s, const char *path, uint32_t mode, struct ot_error *err);

/*
 * Create path exclusively (fails with -EEXIST if anything is there, links
 * included) with mode, and write len bytes of data. On failure the partial
 * file is removed.
 */
int ot_ssh_put(struct ot_ssh *s, const char *path, const void *data, size_t len, uint32_t mode,
	       struct ot_error *err);

/* unlink; a missing file is success. */
int ot_ssh_unlink(struct ot_ssh *s, const char *path, struct ot_error *err);

/* rmdir; a missing directory is success, a non-empty one -ENOTEMPTY. */
int ot_ssh_rmdir(struct ot_ssh *s, const char *path, struct ot_error *err);

/* The names in directory path (not "." or ".."), each passed to fn with
 * ctx; a missing directory has none. 0 or -errno. */
int ot_ssh_list(struct ot_ssh *s, const char *path, void (*fn)(void *ctx, const char *name),
		void *ctx, struct ot_error *err);

/* rename; the target must not exist (unlink it first). */
int ot_ssh_rename(struct ot_ssh *s, const char *from, const char *to, struct ot_error *err);

/* Where the connection points, for messages: "root@192.0.2.11:22". */
const char *ot_ssh_where(const struct ot_ssh *s);

#endif
