/*
 * deploy.c - otdeploy's engine: the stages of an action over all nodes,
 * run by a small pool of threads, one node per thread at a time (contract
 * and stage list in deploy.h).
 *
 * Per-node work goes through a transport table (SSH, or the local
 * executor) so the stage logic is written once. Remote commands are always
 * `timeout SECS <dir>/<prefix>/otnode VERB`: the host limits the command
 * itself (SSH servers may ignore a signal request), and otdeploy gives up a
 * little later.
 */
#include "deploy/deploy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "deploy/local.h"
#include "util/strbuf.h"

#define DEFAULT_CONNECT_MS 10000u
#define DEFAULT_COMMAND_MS 120000u
#define DEFAULT_UDP_MS	   2000u
#define MARGIN_MS	   5000u /* local deadline past the remote timeout(1) */
#define READY_MS	   30000u

static const char *const dstate_names[OT_DS__COUNT] = {
	[OT_DS_PENDING] = "pending",	     [OT_DS_CONNECTING] = "connecting",
	[OT_DS_PREPARING] = "preparing",     [OT_DS_UPLOADING] = "uploading",
	[OT_DS_CHECKING] = "checking",	     [OT_DS_READY] = "ready",
	[OT_DS_PREFLIGHT] = "preflight",     [OT_DS_CREATING] = "creating",
	[OT_DS_DESTROYING] = "destroying",   [OT_DS_QUERYING] = "querying",
	[OT_DS_ROLLING_BACK] = "rolling back", [OT_DS_DONE] = "done",
	[OT_DS_FAILED] = "failed",	     [OT_DS_ROLLED_BACK] = "rolled back",
	[OT_DS_SKIPPED] = "skipped",
};

/* Per action: the otnode verb, the state shown while it runs, extra args. */
static const struct {
	const char *name;
	const char *verb;
	const char *args;
	enum ot_dstate busy;
} actions[OT_DEPLOY__COUNT] = {
	[OT_DEPLOY_CREATE] = {"create", "create", "", OT_DS_CREATING},
	[OT_DEPLOY_DESTROY] = {"destroy", "destroy", "", OT_DS_DESTROYING},
	[OT_DEPLOY_STATUS] = {"status", "status", " --json", OT_DS_QUERYING},
	[OT_DEPLOY_VERIFY] = {"verify", "verify", " --remote --json", OT_DS_QUERYING},
};

const char *ot_dstate_name(enum ot_dstate s)
{
	return (unsigned)s < OT_DS__COUNT ? dstate_names[s] : "?";
}

bool ot_dstate_final(enum ot_dstate s)
{
	return s == OT_DS_DONE || s == OT_DS_FAILED || s == OT_DS_ROLLED_BACK || s == OT_DS_SKIPPED;
}

const char *ot_deploy_action_name(enum ot_deploy_action a)
{
	return (unsigned)a < OT_DEPLOY__COUNT ? actions[a].name : "?";
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Publish a state change (detail may be NULL: keep it). */
static void set_state(struct ot_deploy *d, size_t i, enum ot_dstate s, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void set_state(struct ot_deploy *d, size_t i, enum ot_dstate s, const char *fmt, ...)
{
	struct ot_deploy_node *n = &d->nodes[i];
	va_list ap;

	char detail[OT_DEPLOY_DETAIL_MAX];
	bool same;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_lock(&d->lock);
	same = n->state == s && (!fmt || !strcmp(n->detail, detail));
	n->state = s;
	if (fmt)
		memcpy(n->detail, detail, sizeof(detail));
	if (same) {
		/* nothing new to show */
		pthread_mutex_unlock(&d->lock);
		return;
	}
	if (ot_dstate_final(s))
		n->t_end = now_ms();
	if (s == OT_DS_FAILED)
		d->failed = true;
	if (d->opts.notify)
		d->opts.notify(d->opts.notify_ctx, d, i);
	pthread_mutex_unlock(&d->lock);
}

static void fail(struct ot_deploy *d, size_t i, int rc, const struct ot_error *e)
{
	struct ot_deploy_node *n = &d->nodes[i];

	if (e != &n->err) {
		n->err = *e;
	}
	if (!n->err.code)
		n->err.code = rc;
	set_state(d, i, OT_DS_FAILED, "%s", n->err.msg);
}

int ot_deploy_parse_target(const char *target, const char *user_opt, char *user, size_t usize,
			   char *host, size_t hsize, struct ot_error *err)
{
	const char *at = strrchr(target, '@');
	const char *h = at ? at + 1 : target;
	size_t ulen = at ? (size_t)(at - target) : 0, hlen = strlen(h);

	if (at && ulen == 0)
		return ot_error_set(err, -EINVAL, "SSH target '%s' has an empty user", target);
	if (hlen == 0)
		return ot_error_set(err, -EINVAL, "SSH target '%s' has no host", target);
	if (h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen >= hsize || ulen >= usize)
		return ot_error_set(err, -EINVAL, "SSH target '%s' is too long", target);
	/* An option-looking or odd host would be unsafe in messages and logs. */
	if (h[0] == '-' || strpbrk(target, " \t\n'\"\\;$`"))
		return ot_error_set(err, -EINVAL, "SSH target '%s' has unsafe characters", target);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (user_opt)
		snprintf(user, usize, "%s", user_opt);
	else if (at) {
		memcpy(user, target, ulen);
		user[ulen] = '\0';
	} else {
		const char *u = getenv("USER");

		snprintf(user, usize, "%s", u && *u ? u : "root");
	}
	return 0;
}

int ot_deploy_init(struct ot_deploy *d, struct ot_deploy_node *nodes, size_t n,
		   const struct ot_deploy_opts *o, struct ot_error *err)
{
	size_t i;
	int rc;

	memset(d, 0, sizeof(*d));
	d->nodes = nodes;
	d->nnodes = n;
	d->opts = *o;
	if (!d->opts.connect_timeout_ms)
		d->opts.connect_timeout_ms = DEFAULT_CONNECT_MS;
	if (!d->opts.command_timeout_ms)
		d->opts.command_timeout_ms = DEFAULT_COMMAND_MS;
	if (!d->opts.preflight_udp_ms)
		d->opts.preflight_udp_ms = DEFAULT_UDP_MS;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	for (i = 0; i < n; i++) {
		struct ot_deploy_node *x = &nodes[i];
		const char *dir = x->host->dir ? x->host->dir : OT_REMOTE_DEFAULT_DIR;

		x->state = OT_DS_PENDING;
		x->exit_status = -1;
		x->local = !strcmp(x->host->ssh_target, "local");
		if (x->local && !o->local_ok)
			return ot_error_set(err, -EINVAL,
					    "%s: the hosts file binds it to this machine ('local'): "
					    "pass --local to build it here",
					    x->name);
		if (!x->local) {
			rc = ot_deploy_parse_target(x->host->ssh_target, x->host->user, x->user,
						    sizeof(x->user), x->addr, sizeof(x->addr), err);
			if (rc < 0)
				return ot_error_prefix(err, "%s", x->name);
		}
		rc = ot_remote_dir_valid(dir, err);
		if (rc < 0)
			return ot_error_prefix(err, "%s", x->name);
		if (!ot_nsname_valid(x->plan->prefix))
			return ot_error_set(err, -EINVAL, "%s: unsafe plan prefix '%s'", x->name,
					    x->plan->prefix);
		snprintf(x->rdir, sizeof(x->rdir), "%s/%s", dir, x->plan->prefix);
		if ((size_t)snprintf(x->rexe, sizeof(x->rexe), "%s/otnode", x->rdir) >=
		    sizeof(x->rexe))
			return ot_error_set(err, -ENAMETOOLONG, "%s: remote path too long", x->name);
		if (x->image && ot_sha256_hex(x->image, x->image_len, x->sha256) < 0)
			return ot_error_set(err, -EIO, "%s: cannot hash the executable", x->name);
	}
	return 0;
}

static void release_held(struct ot_deploy_node *n);

void ot_deploy_fini(struct ot_deploy *d)
{
	size_t i;

	for (i = 0; i < d->nnodes; i++) {
		release_held(&d->nodes[i]);
		ot_ssh_close(d->nodes[i].ssh);
		d->nodes[i].ssh = NULL;
		free(d->nodes[i].output);
		free(d->nodes[i].errout);
		d->nodes[i].output = d->nodes[i].errout = NULL;
	}
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
}

/* ------------------------------------------------------------------ */
/* SSH transport                                                        */

static void shq(struct ot_strbuf *sb, const char *s)
{
	ot_sb_shquote(sb, s);
}

/* The last non-empty line of a command's stderr, for a one-line reason. */
static void last_line(const char *text, char *buf, size_t size)
{
	const char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	/* otnode prefixes its messages with its name: the context says it */
	if (end - start > 8 && !strncmp(start, "otnode: ", 8))
		start += 8;
	snprintf(buf, size, "%.*s", (int)(end - start), start);
}

static int ssh_connect_node(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	struct ot_ssh_opts so = {0};
	struct ot_ssh_result r;
	long t0 = now_ms();
	int rc;

	so.host = n->addr;
	so.port = n->host->ssh_port;
	so.user = n->user;
	so.identity = n->host->identity;
	so.known_hosts = d->opts.known_hosts;
	so.accept_new = d->opts.accept_new_host_keys;
	so.connect_timeout_ms = d->opts.connect_timeout_ms;
	rc = ot_ssh_connect(&so, &n->ssh, &n->err);
	if (rc < 0)
		return rc;
	/* The uid the directory rules compare owners with; root is 0 on
	 * every Unix, which saves a round trip in the common case. */
	if (strcmp(n->user, "root")) {
		rc = ot_ssh_run(n->ssh, "id -u", NULL, 0, d->opts.connect_timeout_ms, &r, &n->err);
		if (rc == 0 && (r.status != 0 || sscanf(r.out, "%u", &n->uid) != 1))
			rc = ot_error_set(&n->err, -EIO, "%s: 'id -u' failed on the host",
					  ot_ssh_where(n->ssh));
		ot_ssh_result_free(&r);
	} else {
		n->uid = 0;
	}
	n->ms_connect = now_ms() - t0;
	return rc;
}

/*
 * Placing and running otnode over SSH.
 *
 * Stage 1 uses SFTP only: walk and prepare the directory, and either find
 * an otnode of ours at <dir>/<prefix>/otnode (a candidate for reuse) or
 * upload a new one to otnode.part-RANDOM. Nothing is executed then.
 *
 * Every later command goes through one "gated" shell session:
 *
 *   sha256sum -- CANDIDATE && read -r go && [ "$go" = run ] &&
 *     [mv -f -- PART FINAL &&] exec timeout SECS FINAL VERB...
 *
 * otdeploy reads the checksum the host computed, compares it here with the
 * one of the bytes it built, and only then sends "run"; on a mismatch it
 * closes stdin and the shell stops at `read`. So the check and the run cost
 * one session, and nothing unverified ever runs. A reuse candidate that
 * turns out different (an older otnode) is replaced by an upload and gated
 * again. Create with preflight keeps its session open between the stages:
 * the preflight, then "create" on stdin (or EOF: nothing is created).
 */
#define PF_MARK "@@otdeploy-preflight"

static int upload_part(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	unsigned char rnd[8], *copy = NULL;
	const void *data = n->image;
	long t0 = now_ms();
	int rc;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return ot_error_sys(&n->err, -errno, "getrandom");
	snprintf(n->part, sizeof(n->part), "%s.part-%02x%02x%02x%02x%02x%02x%02x%02x", n->rexe,
		 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (d->opts.fault_corrupt_upload && !strcmp(d->opts.fault_corrupt_upload, n->name) &&
	    n->image_len) {
		copy = malloc(n->image_len);
		if (!copy)
			return ot_error_set(&n->err, -ENOMEM, "out of memory");
		memcpy(copy, n->image, n->image_len);
		copy[n->image_len / 2] ^= 0x20;
		data = copy;
	}
	set_state(d, i, OT_DS_UPLOADING, "%.1f MB", n->image_len / 1e6);
	rc = ot_ssh_put(n->ssh, n->part, data, n->image_len, 0700, &n->err);
	free(copy);
	if (rc < 0)
		return rc;
	n->placed = true;
	n->reused = false;
	n->need_rename = true;
	n->ms_upload += now_ms() - t0;
	return 0;
}

static int ssh_place(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	const char *dir = n->host->dir ? n->host->dir : OT_REMOTE_DEFAULT_DIR;
	struct ot_ssh_stat st;
	int rc;

	set_state(d, i, OT_DS_PREPARING, "%s", n->rdir);
	rc = ot_remote_dir_prepare(n->ssh, dir, n->plan->prefix, n->uid, &n->err);
	if (rc < 0)
		return rc;
	rc = ot_ssh_lstat(n->ssh, n->rexe, &st, &n->err);
	if (rc < 0)
		return rc;
	if (st.type == OT_SSH_FT_REG) {
		if ((st.uid != 0 && st.uid != n->uid) || (st.mode & 022))
			return ot_error_set(&n->err, -EPERM,
					    "%s: '%s' is not ours alone (uid %u, mode %04o): refusing",
					    ot_ssh_where(n->ssh), n->rexe, st.uid, st.mode);
		if (st.size == n->image_len) {
			/* same size: probably the same bytes; the gate decides */
			n->reused = true;
			n->need_rename = false;
			return 0;
		}
	} else if (st.type != OT_SSH_FT_NONE) {
		return ot_error_set(&n->err, -EPERM, "%s: '%s' is not a regular file: refusing",
				    ot_ssh_where(n->ssh), n->rexe);
	}
	return upload_part(d, i);
}

/* "timeout SECS 'FINAL' VERB ARGS" */
static void otnode_cmd(struct ot_deploy *d, struct ot_deploy_node *n, const char *verb,
		       const char *args, struct ot_strbuf *cmd)
{
	unsigned secs = (d->opts.command_timeout_ms + 999) / 1000;

	ot_sb_printf(cmd, "timeout %u ", secs);
	shq(cmd, n->rexe);
	ot_sb_printf(cmd, " %s%s", verb, args);
}

/*
 * Start `tail` behind the checksum gate (see above). On success *ret is the
 * running session, past the gate. On a mismatch of a reuse candidate, the
 * new otnode is uploaded and the gate tried once more.
 */
static int gate_start(struct ot_deploy *d, size_t i, const char *tail, struct ot_ssh_cmd **ret)
{
	struct ot_deploy_node *n = &d->nodes[i];
	char line[256], sum[OT_SHA256_HEX];
	struct ot_strbuf cmd = OT_STRBUF_INIT;
	struct ot_ssh_cmd *c = NULL;
	struct ot_ssh_result r;
	int rc, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		const char *cand = n->need_rename ? n->part : n->rexe;

		set_state(d, i, OT_DS_CHECKING, "sha256 on the host");
		ot_sb_reset(&cmd);
		ot_sb_append(&cmd, "sha256sum -- ");
		shq(&cmd, cand);
		ot_sb_append(&cmd, " && read -r go && [ \"$go\" = run ] && ");
		if (n->need_rename) {
			ot_sb_append(&cmd, "mv -f -- ");
			shq(&cmd, n->part);
			ot_sb_putc(&cmd, ' ');
			shq(&cmd, n->rexe);
			ot_sb_append(&cmd, " && ");
		}
		ot_sb_append(&cmd, tail);
		if (cmd.oom) {
			rc = ot_error_set(&n->err, -ENOMEM, "out of memory");
			break;
		}
		rc = ot_ssh_cmd_start(n->ssh, ot_sb_str(&cmd), &c, &n->err);
		if (rc < 0)
			break;
		rc = ot_ssh_cmd_read_line(c, line, sizeof(line), READY_MS, &n->err);
		if (rc == 0 && ot_sha256_parse(line, sum) < 0)
			rc = ot_error_set(&n->err, -EIO, "sha256sum said '%.80s'", line);
		if (rc < 0) {
			/* what the host said about it */
			if (ot_ssh_cmd_finish(c, 2000, &r, NULL) != -ENOMEM) {
				char why[160];

				last_line(r.errout ? r.errout : "", why, sizeof(why));
				if (why[0])
					ot_error_set(&n->err, rc, "%s: sha256sum '%s' failed: %s",
						     ot_ssh_where(n->ssh), cand, why);
				ot_ssh_result_free(&r);
			}
			break;
		}
		if (!strcmp(sum, n->sha256)) {
			rc = ot_ssh_cmd_write(c, "run\n", 4, &n->err);
			if (rc < 0) {
				ot_ssh_cmd_abort(c);
				break;
			}
			n->need_rename = false;
			*ret = c;
			ot_sb_free(&cmd);
			return 0;
		}
		/* No "run": EOF makes the shell stop at `read`. */
		ot_ssh_cmd_finish(c, 5000, &r, NULL);
		ot_ssh_result_free(&r);
		c = NULL;
		if (n->need_rename) {
			ot_ssh_unlink(n->ssh, n->part, NULL);
			n->need_rename = false;
			rc = ot_error_set(&n->err, -EBADMSG,
					  "%s: checksum mismatch after upload: sent sha256 %.16s..., "
					  "the host has %.16s...: refusing to run it",
					  ot_ssh_where(n->ssh), n->sha256, sum);
			break;
		}
		/* an older otnode of ours: replace it */
		rc = upload_part(d, i);
		if (rc < 0)
			break;
	}
	ot_sb_free(&cmd);
	return rc;
}

static void keep_output(struct ot_deploy_node *n, struct ot_ssh_result *r)
{
	free(n->output);
	free(n->errout);
	n->output = r->out;
	n->errout = r->errout;
	r->out = r->errout = NULL;
	n->exit_status = r->status;
	snprintf(n->exit_signal, sizeof(n->exit_signal), "%s", r->signal);
}

/* Close a session held open after the preflight, without creating. */
static void release_held(struct ot_deploy_node *n)
{
	struct ot_ssh_result r;

	if (!n->held)
		return;
	ot_ssh_cmd_finish(n->held, 5000, &r, NULL); /* EOF: `read` fails, nothing runs */
	ot_ssh_result_free(&r);
	n->held = NULL;
}

static int ssh_action(struct ot_deploy *d, size_t i, const char *verb, const char *args)
{
	struct ot_deploy_node *n = &d->nodes[i];
	unsigned limit = d->opts.command_timeout_ms + MARGIN_MS;
	struct ot_strbuf tail = OT_STRBUF_INIT;
	struct ot_ssh_cmd *c = n->held;
	struct ot_ssh_result r;
	int rc;

	n->held = NULL;
	if (c && !strcmp(verb, "create")) {
		/* the preflight's session, waiting for this word */
		set_state(d, i, OT_DS_CREATING, "otnode create");
		n->started = true;
		rc = ot_ssh_cmd_write(c, "create\n", 7, &n->err);
		if (rc < 0) {
			ot_ssh_cmd_abort(c);
			return rc;
		}
	} else {
		if (c) {
			n->held = c;
			release_held(n);
		}
		ot_sb_append(&tail, "exec ");
		otnode_cmd(d, n, verb, args, &tail);
		rc = gate_start(d, i, ot_sb_str(&tail), &c);
		ot_sb_free(&tail);
		if (rc < 0)
			return rc;
		n->started = true; /* past the gate: otnode runs */
		set_state(d, i, !strcmp(verb, "destroy") ? OT_DS_DESTROYING
			  : !strcmp(verb, "create")	 ? OT_DS_CREATING
							 : OT_DS_QUERYING,
			  "otnode %s", verb);
	}
	rc = ot_ssh_cmd_finish(c, limit, &r, &n->err);
	keep_output(n, &r);
	ot_ssh_result_free(&r);
	return rc;
}

static int ssh_open(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	int rc;

	if (n->ssh && ot_ssh_alive(n->ssh))
		return 0;
	ot_ssh_close(n->ssh);
	n->ssh = NULL;
	n->held = NULL;
	set_state(d, i, OT_DS_CONNECTING, "%s@%s", n->user, n->addr);
	rc = ssh_connect_node(d, i);
	if (rc < 0)
		return rc;
	return ssh_place(d, i);
}

/* Wait until every node of the preflight has arrived (bounded: a node
 * that never arrives must not hold the others forever). */
void ot_deploy_pf_wait_all(struct ot_deploy *d)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += READY_MS / 1000 + 10;
	pthread_mutex_lock(&d->lock);
	while (d->pf_ready < d->pf_expected)
		if (pthread_cond_timedwait(&d->cond, &d->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&d->lock);
}

void ot_deploy_pf_arrive(struct ot_deploy *d)
{
	pthread_mutex_lock(&d->lock);
	d->pf_ready++;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* The "go" line: nonce, window, and the nodes whose port was busy. */
void ot_deploy_pf_go_line(struct ot_deploy *d, char *buf, size_t size)
{
	struct ot_strbuf skip = OT_STRBUF_INIT;
	size_t i;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->nnodes; i++)
		if (d->nodes[i].pf_busy)
			ot_sb_printf(&skip, "%s%s", skip.len ? "," : "", d->nodes[i].name);
	pthread_mutex_unlock(&d->lock);
	snprintf(buf, size, "go %s %u %s\n", d->pf_nonce, d->opts.preflight_udp_ms,
		 skip.len ? ot_sb_str(&skip) : "-");
	ot_sb_free(&skip);
}

static int ssh_preflight(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	unsigned limit = d->opts.preflight_udp_ms + d->opts.command_timeout_ms;
	struct ot_strbuf tail = OT_STRBUF_INIT, json = OT_STRBUF_INIT;
	struct ot_ssh_cmd *c = NULL;
	char line[4096], go[4096];
	bool arrived = false;
	int rc, st;

	/* preflight, its status behind a marker on both streams, then wait
	 * for "create" (stage 3) or EOF (no create) */
	otnode_cmd(d, n, "preflight", " --json --wait-go", &tail);
	ot_sb_append(&tail, "; echo \"" PF_MARK " $?\"; echo " PF_MARK " >&2; "
			    "read -r c && [ \"$c\" = create ] && exec ");
	otnode_cmd(d, n, "create", "", &tail);
	rc = tail.oom ? ot_error_set(&n->err, -ENOMEM, "out of memory")
		      : gate_start(d, i, ot_sb_str(&tail), &c);
	ot_sb_free(&tail);
	if (rc == 0) {
		set_state(d, i, OT_DS_PREFLIGHT, "kernel, underlay, UDP between nodes");
		rc = ot_ssh_cmd_read_line(c, line, sizeof(line), READY_MS, &n->err);
	}
	if (rc == 0 && strncmp(line, "ready ", 6))
		rc = ot_error_set(&n->err, -EPROTO, "preflight said '%.100s', not 'ready'", line);
	if (rc == 0 && !strcmp(line, "ready busy"))
		n->pf_busy = true;
	/* Every node must be listening before anyone sends. */
	ot_deploy_pf_arrive(d);
	arrived = true;
	ot_deploy_pf_wait_all(d);
	if (rc == 0) {
		ot_deploy_pf_go_line(d, go, sizeof(go));
		rc = ot_ssh_cmd_write(c, go, strlen(go), &n->err);
	}
	/* the JSON report, up to the marker with the exit status */
	while (rc == 0) {
		rc = ot_ssh_cmd_read_line(c, line, sizeof(line), limit, &n->err);
		if (rc == 0 && !strncmp(line, PF_MARK " ", sizeof(PF_MARK))) {
			st = atoi(line + sizeof(PF_MARK));
			break;
		}
		if (rc == 0) {
			ot_sb_append(&json, line);
			ot_sb_putc(&json, '\n');
		}
	}
	if (rc == 0) {
		free(n->output);
		free(n->errout);
		n->output = ot_sb_steal(&json);
		rc = ot_ssh_cmd_read_stderr_until(c, PF_MARK, limit, &n->errout, &n->err);
		n->exit_status = st;
		n->exit_signal[0] = '\0';
	}
	ot_sb_free(&json);
	if (!arrived)
		ot_deploy_pf_arrive(d);
	if (c && rc == 0 && n->exit_status == 0) {
		n->held = c; /* stage 3 says "create" */
	} else if (c) {
		n->held = c;
		release_held(n);
	}
	return rc;
}

/* Remove otnode and the node's directory: a destroyed node keeps no file
 * of ours (the configured directory itself is the administrator's). */
static int ssh_unplace(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	int rc = 0;

	release_held(n);
	if (n->part[0])
		rc = ot_ssh_unlink(n->ssh, n->part, &n->err);
	if (rc == 0)
		rc = ot_ssh_unlink(n->ssh, n->rexe, &n->err);
	if (rc == 0)
		rc = ot_ssh_rmdir(n->ssh, n->rdir, &n->err);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the per-transport table                                              */

struct transport {
	/* stage 1: reach the node and make its otnode available */
	int (*open)(struct ot_deploy *d, size_t i);
	/* run `otnode VERB ARGS`: output, errout and exit_status filled */
	int (*action)(struct ot_deploy *d, size_t i, const char *verb, const char *args);
	/* preflight with the UDP rendezvous (see stage_preflight) */
	int (*preflight)(struct ot_deploy *d, size_t i);
	/* take back what open placed (or NULL) */
	int (*unplace)(struct ot_deploy *d, size_t i);
};

static const struct transport ssh_transport = {
	.open = ssh_open,
	.action = ssh_action,
	.preflight = ssh_preflight,
	.unplace = ssh_unplace,
};

static const struct transport local_transport = {
	.open = ot_deploy_local_open,
	.action = ot_deploy_local_action,
	.preflight = ot_deploy_local_preflight,
	.unplace = NULL,
};

static const struct transport *tp(const struct ot_deploy_node *n)
{
	return n->local ? &local_transport : &ssh_transport;
}

/* ------------------------------------------------------------------ */
/* the pool                                                             */

typedef void (*stage_fn)(struct ot_deploy *d, size_t i);

struct pool {
	struct ot_deploy *d;
	stage_fn fn;
	const bool *pick;
	size_t next;
	pthread_mutex_t lock;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->next < p->d->nnodes && !p->pick[p->next])
			p->next++;
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->d->nnodes)
			return NULL;
		p->fn(p->d, i);
	}
}

/* Run fn on every picked node with at most `parallel` at once (0 = all). */
static int run_stage(struct ot_deploy *d, stage_fn fn, const bool *pick, unsigned parallel,
		     struct ot_error *err)
{
	struct pool p = {.d = d, .fn = fn, .pick = pick};
	size_t i, count = 0, nthreads, started = 0;
	pthread_t *th;
	int rc = 0;

	for (i = 0; i < d->nnodes; i++)
		count += pick[i];
	if (!count)
		return 0;
	nthreads = parallel && parallel < count ? parallel : count;
	th = calloc(nthreads, sizeof(*th));
	if (!th)
		return ot_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&p.lock, NULL);
	for (i = 0; i < nthreads; i++) {
		rc = -pthread_create(&th[i], NULL, pool_worker, &p);
		if (rc < 0) {
			ot_error_sys(err, rc, "cannot start a worker thread");
			break;
		}
		started++;
	}
	if (!started) {
		/* Not even one thread: do it here. */
		pool_worker(&p);
		rc = 0;
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.lock);
	free(th);
	return rc < 0 && started ? 0 : rc;
}

/* ------------------------------------------------------------------ */
/* stages                                                               */

static bool cancelled(struct ot_deploy *d, size_t i)
{
	if (!d->opts.cancel || !*d->opts.cancel)
		return false;
	d->cancelled = true;
	if (!ot_dstate_final(d->nodes[i].state))
		set_state(d, i, OT_DS_SKIPPED, "interrupted");
	return true;
}

static void stage_open(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	int rc;

	if (cancelled(d, i))
		return;
	n->t_begin = now_ms();
	rc = tp(n)->open(d, i);
	if (rc < 0) {
		fail(d, i, rc, &n->err);
		return;
	}
	set_state(d, i, OT_DS_READY, "%s", n->reused ? "otnode already there" : "otnode placed");
}

static void stage_preflight(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	char why[OT_DEPLOY_DETAIL_MAX];
	int rc;

	long t0 = now_ms();

	if (n->local) /* the SSH transport shows its own steps */
		set_state(d, i, OT_DS_PREFLIGHT, "kernel, underlay, UDP between nodes");
	rc = tp(n)->preflight(d, i);
	n->ms_preflight = now_ms() - t0;
	if (rc == 0 && n->exit_status != 0) {
		last_line(n->errout ? n->errout : "", why, sizeof(why));
		rc = ot_error_set(&n->err, -EAGAIN, "preflight: %s",
				  why[0] ? why : "failed (no reason given)");
	}
	if (rc < 0) {
		fail(d, i, rc, &n->err);
		return;
	}
	set_state(d, i, OT_DS_READY, "preflight passed");
}

/* The reason an otnode command failed, into n->err. */
static int otnode_failed(struct ot_deploy_node *n, const char *verb)
{
	char why[OT_DEPLOY_DETAIL_MAX];

	last_line(n->errout ? n->errout : "", why, sizeof(why));
	if (n->exit_signal[0])
		return ot_error_set(&n->err, -EAGAIN, "otnode %s was killed by signal %s%s%s", verb,
				    n->exit_signal, why[0] ? ": " : "", why);
	if (n->exit_status < 0)
		return ot_error_set(&n->err, -EAGAIN, "otnode %s ended without an exit status%s%s",
				    verb, why[0] ? ": " : "", why);
	return ot_error_set(&n->err, -EAGAIN, "otnode %s failed (exit %d): %s", verb,
			    n->exit_status, why[0] ? why : "no reason given");
}

/* Why `otnode status|verify` said 1, from its JSON: missing or drifted
 * objects, probes that disagree with the topology. */
static void mismatch_reason(struct ot_deploy_node *n)
{
	json_t *j = n->output ? json_loads(n->output, 0, NULL) : NULL;
	long long miss, drift, fail;
	struct ot_strbuf sb = OT_STRBUF_INIT;

	if (!j) {
		ot_error_set(&n->err, -EAGAIN, "otnode reports a difference from the plan");
		return;
	}
	miss = json_integer_value(json_object_get(j, "missing"));
	drift = json_integer_value(json_object_get(j, "drift"));
	fail = json_integer_value(json_object_get(j, "probes_fail"));
	if (!json_is_true(json_object_get(j, "created")))
		ot_sb_append(&sb, "not created");
	if (miss)
		ot_sb_printf(&sb, "%s%lld objects missing", sb.len ? ", " : "", miss);
	if (drift)
		ot_sb_printf(&sb, "%s%lld drifted", sb.len ? ", " : "", drift);
	if (fail)
		ot_sb_printf(&sb, "%s%lld probes differ from the topology", sb.len ? ", " : "", fail);
	ot_error_set(&n->err, -EAGAIN, "%s", sb.len ? ot_sb_str(&sb) : "differs from the plan");
	ot_sb_free(&sb);
	json_decref(j);
}

/* Stages 1 and 2 back to back for one node; a node that cannot get to its
 * preflight still checks in at the rendezvous, so nobody waits for it. */
static void stage_open_preflight(struct ot_deploy *d, size_t i)
{
	stage_open(d, i);
	if (d->nodes[i].state == OT_DS_FAILED || d->nodes[i].state == OT_DS_SKIPPED) {
		ot_deploy_pf_arrive(d);
		return;
	}
	stage_preflight(d, i);
}

/*
 * May this run's create have left objects on the node, i.e. must a
 * rollback destroy there? Yes when it succeeded, and when it started but
 * ended without a clean answer (killed, timed out, connection lost): its
 * journal is ours. No when it never started (the gate refused) or when
 * otnode failed cleanly: it rolls its own work back, and "already created"
 * means somebody else's objects, which a rollback must never touch.
 */
static bool created_here(const struct ot_deploy_node *n, int rc)
{
	if (!n->started)
		return false;
	if (rc < 0 || n->exit_signal[0] || n->exit_status < 0)
		return true;
	/* timeout(1): 124 killed it; 137 = KILL */
	return n->exit_status == 0 || n->exit_status == 124 || n->exit_status == 137;
}

/* create / destroy / status / verify */
static void stage_action(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	enum ot_deploy_action a = d->opts.action;
	long t0 = now_ms();
	int rc;

	if (cancelled(d, i))
		return;
	if (n->local || n->held) /* else the SSH transport shows its steps */
		set_state(d, i, actions[a].busy, "otnode %s", actions[a].verb);
	n->started = false;
	rc = tp(n)->action(d, i, actions[a].verb, actions[a].args);
	n->ms_action = now_ms() - t0;
	if (a == OT_DEPLOY_CREATE)
		n->created = created_here(n, rc);
	if (rc == 0 && n->exit_status != 0 &&
	    !(n->exit_status == 1 && (a == OT_DEPLOY_STATUS || a == OT_DEPLOY_VERIFY)))
		rc = otnode_failed(n, actions[a].verb);
	if (rc < 0) {
		if (a == OT_DEPLOY_CREATE && n->created)
			n->journal_left = true;
		fail(d, i, rc, &n->err);
		return;
	}
	if (n->exit_status == 1) {
		/* status: drift; verify: drift or a reachability mismatch. */
		mismatch_reason(n);
		fail(d, i, -EAGAIN, &n->err);
		return;
	}
	if (a == OT_DEPLOY_DESTROY && tp(n)->unplace) {
		rc = tp(n)->unplace(d, i);
		if (rc < 0) {
			ot_error_prefix(&n->err, "destroyed, but cannot remove otnode");
			fail(d, i, rc, &n->err);
			return;
		}
	}
	set_state(d, i, OT_DS_DONE, "%s", n->reused ? "otnode reused" : "");
}

static void stage_rollback(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	bool was_done = n->state == OT_DS_DONE;
	char why[OT_DEPLOY_DETAIL_MAX];
	int rc;

	/* What create said stays the node's report; destroy's words matter
	 * only when it fails (then they go to rollback_err). */
	char *create_out = n->output, *create_err = n->errout;
	int create_status = n->exit_status;
	struct ot_error create_e = n->err;

	n->output = n->errout = NULL;
	set_state(d, i, OT_DS_ROLLING_BACK, "otnode destroy");
	rc = tp(n)->open(d, i);
	if (rc == 0)
		rc = tp(n)->action(d, i, "destroy", "");
	if (rc == 0 && n->exit_status != 0) {
		last_line(n->errout ? n->errout : "", why, sizeof(why));
		rc = ot_error_set(&n->rollback_err, -EAGAIN, "otnode destroy failed: %s", why);
	} else if (rc < 0) {
		n->rollback_err = n->err;
	}
	free(n->output);
	free(n->errout);
	n->output = create_out;
	n->errout = create_err;
	n->exit_status = create_status;
	n->err = create_e;
	if (rc < 0) {
		n->journal_left = true;
		if (was_done) {
			n->err = n->rollback_err;
			ot_error_prefix(&n->err, "rollback");
		}
		set_state(d, i, OT_DS_FAILED, "rollback failed: state left on the host");
		return;
	}
	n->journal_left = false;
	if (tp(n)->unplace) {
		struct ot_error keep = n->err;

		tp(n)->unplace(d, i); /* best effort: the objects are gone already */
		n->err = keep;
	}
	if (was_done)
		set_state(d, i, OT_DS_ROLLED_BACK, "created, then destroyed: another node failed");
	else
		set_state(d, i, OT_DS_FAILED, "%s (cleaned up)", n->err.msg);
}

/* Create stopped before anything was created: take back the executables
 * this run placed, so an aborted deploy leaves no file behind. */
static void stage_unplace(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	struct ot_error keep = n->err;

	if (n->placed && tp(n)->unplace && n->ssh && ot_ssh_alive(n->ssh))
		tp(n)->unplace(d, i);
	n->err = keep;
}

static void skip_rest(struct ot_deploy *d, const bool *pick, const char *why)
{
	size_t i;
	bool *all;

	for (i = 0; i < d->nnodes; i++)
		if (pick[i] && !ot_dstate_final(d->nodes[i].state))
			set_state(d, i, OT_DS_SKIPPED, "%s", why);
	for (i = 0; i < d->nnodes; i++)
		release_held(&d->nodes[i]); /* preflight sessions: no create */
	all = calloc(d->nnodes ? d->nnodes : 1, sizeof(*all));
	if (!all)
		return;
	for (i = 0; i < d->nnodes; i++)
		all[i] = d->nodes[i].placed;
	run_stage(d, stage_unplace, all, d->opts.parallel, NULL);
	free(all);
}

/* pick[i] = node i is still in the race */
static size_t pick_alive(struct ot_deploy *d, bool *pick)
{
	size_t i, count = 0;

	for (i = 0; i < d->nnodes; i++) {
		pick[i] = d->nodes[i].state != OT_DS_FAILED && d->nodes[i].state != OT_DS_SKIPPED;
		count += pick[i];
	}
	return count;
}

int ot_deploy_run(struct ot_deploy *d, struct ot_error *err)
{
	enum ot_deploy_action a = d->opts.action;
	unsigned char rnd[16];
	bool *pick, preflight, pipelined;
	size_t i, alive;
	int rc;

	pick = calloc(d->nnodes ? d->nnodes : 1, sizeof(*pick));
	if (!pick)
		return ot_error_set(err, -ENOMEM, "out of memory");
	d->t_begin = now_ms();

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		rc = ot_error_sys(err, -errno, "getrandom");
		goto out;
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(d->pf_nonce + 2 * i, 3, "%02x", rnd[i]);
	for (i = 0; i < d->nnodes; i++)
		pick[i] = true;
	preflight = a == OT_DEPLOY_CREATE && d->opts.preflight;
	/* With every node at once, stages 1 and 2 run as one pipeline per
	 * node: nobody waits for the slowest upload before its preflight
	 * starts (the preflight's rendezvous waits for everybody anyway). */
	pipelined = preflight && (!d->opts.parallel || d->opts.parallel >= d->nnodes);

	/* Stage 1: reach every node, place otnode (and, pipelined, stage 2). */
	d->pf_ready = 0;
	d->pf_expected = d->nnodes;
	rc = run_stage(d, pipelined ? stage_open_preflight : stage_open, pick,
		       pipelined ? 0 : d->opts.parallel, err);
	if (rc < 0)
		goto out;
	alive = pick_alive(d, pick);
	if ((d->failed || d->cancelled) && !d->opts.keep_going && a == OT_DEPLOY_CREATE) {
		skip_rest(d, pick, d->cancelled ? "interrupted" : "not started: another node failed first");
		goto out;
	}

	/* Stage 2: preflight, all nodes at once (UDP needs both ends up). */
	if (preflight && !pipelined && alive) {
		d->pf_ready = 0;
		d->pf_expected = alive;
		rc = run_stage(d, stage_preflight, pick, 0, err);
		if (rc < 0)
			goto out;
		alive = pick_alive(d, pick);
		if (d->opts.cancel && *d->opts.cancel)
			d->cancelled = true;
		if ((d->failed && !d->opts.keep_going) || d->cancelled) {
			skip_rest(d, pick, d->cancelled ? "interrupted" : "not created: preflight failed elsewhere");
			goto out;
		}
	}

	/* Stage 3: the action itself. */
	rc = run_stage(d, stage_action, pick, d->opts.parallel, err);
	if (rc < 0)
		goto out;

	/* Stage 4: all or nothing (an interrupt counts as a failure). */
	if (d->opts.cancel && *d->opts.cancel)
		d->cancelled = true;
	if (a == OT_DEPLOY_CREATE && (d->failed || d->cancelled) && !d->opts.keep_going) {
		for (i = 0; i < d->nnodes; i++)
			pick[i] = d->nodes[i].created;
		d->rolled_back = true;
		rc = run_stage(d, stage_rollback, pick, d->opts.parallel, err);
		/* where nothing stays, the executable this run placed goes too */
		for (i = 0; i < d->nnodes; i++)
			pick[i] = !d->nodes[i].created && d->nodes[i].placed;
		if (rc == 0)
			rc = run_stage(d, stage_unplace, pick, d->opts.parallel, err);
	}
out:
	free(pick);
	d->t_end = now_ms();
	if (rc < 0)
		return rc;
	if (d->cancelled)
		return -EINTR;
	return d->failed ? -EAGAIN : 0;
}
