/*
 * transport_ssh.c - the SSH transport of otdeploy's engine (contract in
 * transport.h): connect with libssh (ssh.c), place otnode in
 * <dir>/<prefix> over SFTP (remote.c), and run every otnode command behind
 * the checksum gate described below. Remote commands are always
 * `timeout SECS <dir>/<prefix>/otnode VERB`: the host limits the command
 * itself (SSH servers may ignore a signal request), and otdeploy gives up a
 * little later.
 */
#include "deploy/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "deploy/deploy.h"
#include "plan/plan_json.h"
#include "util/strbuf.h"
#include "util/clock.h"

static void shq(struct ot_strbuf *sb, const char *s)
{
	ot_sb_shquote(sb, s);
}

static int ssh_connect_node(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	struct ot_ssh_opts so = {0};
	struct ot_ssh_result r;
	long t0 = ot_mono_ms();
	int rc;

	so.host = n->addr;
	so.port = n->host->ssh_port;
	so.user = n->user[0] ? n->user : NULL;
	so.identity = n->host->identity;
	so.known_hosts = d->opts.known_hosts;
	so.accept_new = d->opts.accept_new_host_keys;
	so.connect_timeout_ms = d->opts.connect_timeout_ms;
	so.ssh_config = d->opts.ssh_config;
	rc = ot_ssh_connect(&so, &n->ssh, &n->err);
	if (rc < 0)
		return rc;
	/* the user the SSH config chose, for the owner checks and the report */
	pthread_mutex_lock(&d->lock);
	snprintf(n->user, sizeof(n->user), "%s", ot_ssh_user(n->ssh));
	pthread_mutex_unlock(&d->lock);
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
	n->ms_connect = ot_mono_ms() - t0;
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

/*
 * OTDEPLOY_FAULT_CORRUPT_UPLOAD: the pieces of v[0..nv) (len bytes in
 * all) into w, with the byte in the middle replaced by *flip, that byte
 * with one bit flipped (the runtime is shared, never written). Returns
 * the count of w (at most nv + 2).
 */
static size_t corrupt_iov(const struct iovec *v, size_t nv, size_t len, unsigned char *flip,
			  struct iovec *w)
{
	size_t k, nw = 0, at = len / 2, start = 0;

	for (k = 0; k < nv; start += v[k].iov_len, k++) {
		const unsigned char *b = v[k].iov_base;

		if (at < start || at >= start + v[k].iov_len) {
			w[nw++] = v[k];
			continue;
		}
		*flip = b[at - start] ^ 0x20;
		w[nw++] = (struct iovec){(void *)b, at - start};
		w[nw++] = (struct iovec){flip, 1};
		w[nw++] =
		    (struct iovec){(void *)(b + at - start + 1), v[k].iov_len - (at - start) - 1};
	}
	return nw;
}

static int upload_part(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	struct iovec v[OT_IMAGE_IOV], w[OT_IMAGE_IOV + 2];
	unsigned char rnd[8], flip;
	size_t nv = ot_image_iov(&n->image, v);
	long t0 = ot_mono_ms();
	int rc;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return ot_error_sys(&n->err, -errno, "getrandom");
	snprintf(n->part, sizeof(n->part), "%s.part-%02x%02x%02x%02x%02x%02x%02x%02x", n->rexe,
		 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	ot_deploy_set_state(d, i, OT_DS_UPLOADING, "%.1f MB", n->image.len / 1e6);
	if (d->opts.fault_corrupt_upload && !strcmp(d->opts.fault_corrupt_upload, n->name) &&
	    n->image.len)
		rc = ot_ssh_putv(n->ssh, n->part, w, corrupt_iov(v, nv, n->image.len, &flip, w),
				 0700, &n->err);
	else
		rc = ot_ssh_putv(n->ssh, n->part, v, nv, 0700, &n->err);
	if (rc < 0)
		return rc;
	n->placed = true;
	n->reused = false;
	n->need_rename = true;
	n->ms_upload += ot_mono_ms() - t0;
	return 0;
}

static int ssh_place(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	const char *dir = n->host->dir ? n->host->dir : OT_REMOTE_DEFAULT_DIR;
	struct ot_ssh_stat st;
	int rc;

	if ((rc = ot_deploy_node_image(n, &n->err)) < 0)
		return rc;
	ot_deploy_set_state(d, i, OT_DS_PREPARING, "%s", n->rdir);
	rc = ot_remote_dir_prepare(n->ssh, dir, n->plan->prefix, n->uid, &n->err);
	if (rc < 0)
		return rc;
	rc = ot_ssh_lstat(n->ssh, n->rexe, &st, &n->err);
	if (rc < 0)
		return rc;
	if (st.type == OT_SSH_FT_REG) {
		if ((st.uid != 0 && st.uid != n->uid) || (st.mode & 022))
			return ot_error_set(
			    &n->err, -EPERM,
			    "%s: '%s' is not ours alone (uid %u, mode %04o): refusing",
			    ot_ssh_where(n->ssh), n->rexe, st.uid, st.mode);
		if (st.size == n->image.len) {
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

/* "timeout SECS 'FINAL' VERB ARGS", with sudo=yes
 * "timeout SECS sudo -n 'INSTALLED' --plan-stdin VERB ARGS" */
/* Serve (otdeploy --watch) lives as long as the watch: its
 * steps are timed here (marked_output), not by timeout(1). */
#define SERVE_ARGS(sudo) ((sudo) ? " --serve " AC_MARK : " --save-plan --serve " AC_MARK)
#define AC_MARK		 "@@otdeploy-apply-check"

static void otnode_cmd_stdin(struct ot_deploy *d, struct ot_deploy_node *n, const char *verb,
			     const char *args, bool plan_stdin, struct ot_strbuf *cmd)
{
	unsigned secs = (d->opts.command_timeout_ms + 999) / 1000;

	if (!strstr(args, " --serve "))
		ot_sb_printf(cmd, "timeout %u ", secs);
	if (n->sudo)
		ot_sb_append(cmd, "sudo -n ");
	shq(cmd, n->rexe);
	ot_sb_printf(cmd, "%s %s%s", plan_stdin ? " --plan-stdin" : "", verb, args);
}

static void otnode_cmd(struct ot_deploy *d, struct ot_deploy_node *n, const char *verb,
		       const char *args, struct ot_strbuf *cmd)
{
	/* list reads journals, not a plan */
	otnode_cmd_stdin(d, n, verb, args, n->sudo && strcmp(verb, "list"), cmd);
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

	rc = ot_deploy_node_sha256(n, &n->err);
	if (rc < 0)
		return rc;
	for (attempt = 0; attempt < 2; attempt++) {
		const char *cand = n->need_rename ? n->part : n->rexe;

		ot_deploy_set_state(d, i, OT_DS_CHECKING, "sha256 on the host");
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
		rc = ot_ssh_cmd_read_line(c, line, sizeof(line), OT_DEPLOY_READY_MS, &n->err);
		if (rc == 0 && ot_sha256_parse(line, sum) < 0)
			rc = ot_error_set(&n->err, -EIO, "sha256sum said '%.80s'", line);
		if (rc < 0) {
			/* what the host said about it */
			if (ot_ssh_cmd_finish(c, 2000, &r, NULL) != -ENOMEM) {
				char why[160];

				ot_deploy_last_line(r.errout ? r.errout : "", why, sizeof(why));
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
			rc = ot_error_set(
			    &n->err, -EBADMSG,
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

/*
 * Start `tail`: behind the checksum gate, or with sudo=yes (nothing
 * uploaded, the executable is root's) at once, the plan framed on stdin
 * for the first otnode of the command.
 */
static int start_cmd(struct ot_deploy *d, size_t i, const char *tail, struct ot_ssh_cmd **ret)
{
	struct ot_deploy_node *n = &d->nodes[i];
	struct ot_ssh_cmd *c = NULL;
	int rc;

	if (!n->sudo)
		return gate_start(d, i, tail, ret);
	rc = ot_ssh_cmd_start(n->ssh, tail, &c, &n->err);
	if (rc < 0)
		return rc;
	rc = ot_ssh_cmd_write(c, n->plan_frame, n->plan_frame_len, &n->err);
	if (rc < 0) {
		ot_ssh_cmd_abort(c);
		return rc;
	}
	*ret = c; /* like gate_start: set on success only */
	return 0;
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
void ot_deploy_ssh_release(struct ot_deploy_node *n)
{
	struct ot_ssh_result r;

	if (!n->held)
		return;
	if (n->held == n->serve) { /* it waits for the next word: kept */
		n->held = NULL;
		return;
	}
	ot_ssh_cmd_finish(n->held, 5000, &r, NULL); /* EOF: `read` fails, nothing runs */
	ot_ssh_result_free(&r);
	n->held = NULL;
}

void ot_deploy_ssh_serve_end(struct ot_ssh_cmd *serve)
{
	struct ot_ssh_result r;

	if (!serve)
		return;
	ot_ssh_cmd_finish(serve, 5000, &r, NULL); /* EOF: it exits, nothing changes */
	ot_ssh_result_free(&r);
}

static int marked_output(struct ot_deploy_node *n, struct ot_ssh_cmd *c, const char *mark,
			 unsigned limit);

/*
 * One word (and its bytes) to the node's serving otnode, its answer into
 * the node as an otnode command's (output, errout, exit_status). A session
 * that fails here is ended: the next round starts a new one.
 */
static int serve_say(struct ot_deploy *d, size_t i, const char *word, const void *more,
		     size_t more_len)
{
	struct ot_deploy_node *n = &d->nodes[i];
	int rc = ot_ssh_cmd_write(n->serve, word, strlen(word), &n->err);

	if (rc == 0 && more_len)
		rc = ot_ssh_cmd_write(n->serve, more, more_len, &n->err);
	if (rc == 0)
		rc = marked_output(n, n->serve, AC_MARK,
				   d->opts.command_timeout_ms + OT_DEPLOY_MARGIN_MS);
	if (rc < 0) {
		if (n->held == n->serve)
			n->held = NULL;
		ot_ssh_cmd_abort(n->serve);
		n->serve = NULL;
		ot_error_prefix(&n->err, rc, "the watch's session with otnode");
	}
	return rc;
}

static int ssh_action(struct ot_deploy *d, size_t i, const char *verb, const char *args)
{
	struct ot_deploy_node *n = &d->nodes[i];
	unsigned limit = d->opts.command_timeout_ms + OT_DEPLOY_MARGIN_MS;
	struct ot_strbuf tail = OT_STRBUF_INIT;
	struct ot_ssh_cmd *c = n->held;
	struct ot_ssh_result r;
	int rc;

	n->held = NULL;
	if (n->serve && !strcmp(verb, "apply") &&
	    (c == n->serve || !strncmp(args, " --revert", strlen(" --revert")))) {
		/* otdeploy --watch: said to the otnode serving there */
		ot_deploy_set_state(d, i, args[0] ? OT_DS_ROLLING_BACK : OT_DS_CREATING,
				    "otnode %s%s", verb, args);
		n->started = true;
		return serve_say(d, i, args[0] ? "revert\n" : "apply\n", NULL, 0);
	}
	if (c && (!strcmp(verb, "create") || !strcmp(verb, "apply")) && !args[0]) {
		/* the preflight's (or apply check's) session, waiting for this word */
		ot_deploy_set_state(d, i, OT_DS_CREATING, "otnode %s", verb);
		n->started = true;
		rc = ot_ssh_cmd_write(c, verb, strlen(verb), &n->err);
		if (rc == 0)
			rc = ot_ssh_cmd_write(c, "\n", 1, &n->err);
		/* the plan again, for `sudo otnode create` (apply's check and
		 * apply are one process: it has the plan already) */
		if (rc == 0 && n->sudo && !strcmp(verb, "create"))
			rc = ot_ssh_cmd_write(c, n->plan_frame, n->plan_frame_len, &n->err);
		if (rc < 0) {
			ot_ssh_cmd_abort(c);
			return rc;
		}
	} else {
		if (c) {
			n->held = c;
			ot_deploy_ssh_release(n);
		}
		ot_sb_append(&tail, "exec ");
		otnode_cmd(d, n, verb, args, &tail);
		rc = tail.oom ? ot_error_set(&n->err, -ENOMEM, "out of memory")
			      : start_cmd(d, i, ot_sb_str(&tail), &c);
		ot_sb_free(&tail);
		if (rc < 0)
			return rc;
		n->started = true; /* past the gate: otnode runs */
		ot_deploy_set_state(d, i,
				    !strcmp(verb, "destroy")  ? OT_DS_DESTROYING
				    : !strcmp(verb, "create") ? OT_DS_CREATING
							      : OT_DS_QUERYING,
				    "otnode %s", verb);
	}
	rc = ot_ssh_cmd_finish(c, limit, &r, &n->err);
	keep_output(n, &r);
	ot_ssh_result_free(&r);
	return rc;
}

/* `otnode VERB` past the gate, its session the caller's; the node's
 * progress state is left as it was (the gate shows "checking"). */
static int ssh_session(struct ot_deploy *d, size_t i, const char *verb, struct ot_ssh_cmd **ret)
{
	struct ot_deploy_node *n = &d->nodes[i];
	struct ot_strbuf tail = OT_STRBUF_INIT;
	char detail[OT_DEPLOY_DETAIL_MAX];
	enum ot_dstate st;
	long t_end;
	int rc;

	pthread_mutex_lock(&d->lock);
	st = n->state;
	t_end = n->t_end;
	memcpy(detail, n->detail, sizeof(detail));
	pthread_mutex_unlock(&d->lock);
	ot_sb_append(&tail, "exec ");
	otnode_cmd(d, n, verb, "", &tail);
	rc = tail.oom ? ot_error_set(&n->err, -ENOMEM, "out of memory")
		      : start_cmd(d, i, ot_sb_str(&tail), ret);
	ot_sb_free(&tail);
	pthread_mutex_lock(&d->lock);
	n->state = st;
	n->t_end = t_end;
	memcpy(n->detail, detail, sizeof(detail));
	pthread_mutex_unlock(&d->lock);
	return rc;
}

/* Length of text's first line, at most max (0 for NULL), for "%.*s". */
static int first_line_len(const char *text, size_t max)
{
	size_t n = text ? strcspn(text, "\n") : 0;

	return (int)(n < max ? n : max);
}

/* n->plan_frame: the plan as `otnode --plan-stdin` reads it (once). */
static int plan_frame_make(struct ot_deploy_node *n)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	char *json;

	if (n->plan_frame)
		return 0;
	if (n->image.payload) { /* this plan's JSON: no second dump */
		ot_sb_printf(&sb, "plan %zu\n", n->image.payload_len);
		ot_sb_appendn(&sb, n->image.payload, n->image.payload_len);
		if (sb.oom) {
			ot_sb_free(&sb);
			return ot_error_set(&n->err, -ENOMEM, "out of memory");
		}
		n->plan_frame_len = sb.len;
		n->plan_frame = ot_sb_steal(&sb);
		return 0;
	}
	json = ot_plan_dump(n->plan, 0);
	if (json)
		ot_sb_printf(&sb, "plan %zu\n%s", strlen(json), json);
	free(json);
	if (!json || sb.oom) {
		ot_sb_free(&sb);
		return ot_error_set(&n->err, -ENOMEM, "out of memory");
	}
	n->plan_frame_len = sb.len;
	n->plan_frame = ot_sb_steal(&sb);
	return 0;
}

/*
 * sudo=yes: the plan as otnode --plan-stdin reads it, the installed otnode
 * checked (root's alone, path and all), and `sudo -n OTNODE version` run
 * once: it must not ask for a password, and the otnode must read this
 * plan's schema. Nothing on the host changes.
 */
static int sudo_prepare(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	struct ot_strbuf cmd = OT_STRBUF_INIT;
	struct ot_ssh_result r;
	char why[OT_DEPLOY_DETAIL_MAX];
	const char *schema;
	int rc;

	rc = plan_frame_make(n);
	if (rc < 0)
		return rc;
	ot_deploy_set_state(d, i, OT_DS_PREPARING, "sudo -n %s", n->rexe);
	rc = ot_remote_exe_trusted(n->ssh, n->rexe, &n->err);
	if (rc < 0)
		return rc;
	ot_sb_append(&cmd, "sudo -n ");
	shq(&cmd, n->rexe);
	ot_sb_append(&cmd, " version");
	rc = cmd.oom ? ot_error_set(&n->err, -ENOMEM, "out of memory")
		     : ot_ssh_run(n->ssh, ot_sb_str(&cmd), NULL, 0, d->opts.connect_timeout_ms, &r,
				  &n->err);
	ot_sb_free(&cmd);
	if (rc < 0) {
		ot_ssh_result_free(&r);
		return rc;
	}
	ot_deploy_last_line(r.errout ? r.errout : "", why, sizeof(why));
	/* "otnode (OpenTop) V, plan schema S" (older: "otnode V (plan schema S)") */
	schema = r.out ? strstr(r.out, "plan schema ") : NULL;
	if (schema) {
		schema += strlen("plan schema ");
		if (strncmp(schema, OT_PLAN_SCHEMA, strlen(OT_PLAN_SCHEMA)) ||
		    !strchr(")\n ,", schema[strlen(OT_PLAN_SCHEMA)]))
			schema = NULL;
	}
	if (r.status != 0 && r.errout && strstr(r.errout, "password is required"))
		rc = ot_error_set(
		    &n->err, -EACCES,
		    "%s: sudo -n asks for a password for %s: add the sudoers line "
		    "for '%s' (otdeploy(1), SUDO: %s ALL=(root) NOPASSWD: %s --plan-stdin "
		    "..., one line per command)",
		    ot_ssh_where(n->ssh), n->rexe, n->user, n->user, n->rexe);
	else if (r.status != 0)
		rc = ot_error_set(&n->err, -EACCES, "%s: 'sudo -n %s version' failed (exit %d): %s",
				  ot_ssh_where(n->ssh), n->rexe, r.status,
				  why[0] ? why : "no reason given");
	else if (!schema)
		rc = ot_error_set(&n->err, -EPROTO,
				  "%s: the installed %s does not read plan schema %s (it says "
				  "'%.*s'): install the same OpenTop version there",
				  ot_ssh_where(n->ssh), n->rexe, OT_PLAN_SCHEMA,
				  first_line_len(r.out, 80), r.out ? r.out : "");
	ot_ssh_result_free(&r);
	if (rc == 0)
		n->reused = true; /* the installed otnode: nothing to upload */
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
	ot_deploy_set_state(d, i, OT_DS_CONNECTING, "%s%s%s", n->user, n->user[0] ? "@" : "",
			    n->addr);
	rc = ssh_connect_node(d, i);
	if (rc < 0)
		return rc;
	if (n->leaving) /* nothing to place: ot_deploy_ssh_leave probes */
		return 0;
	if (n->sudo)
		return sudo_prepare(d, i);
	/* apply: our images are all of this runtime (ot_image_build), so the
	 * probe decides; the image is built only if it must be placed */
	if (d->opts.action == OT_DEPLOY_APPLY && d->rt_len && !n->apply_fast) {
		/* the apply's probe checks the directory and the otnode there
		 * (ot_deploy_ssh_apply_check); placing waits for its answer */
		n->apply_fast = true;
		n->reused = true;
		return 0;
	}
	return ssh_place(d, i);
}

/*
 * A command's output up to "MARK STATUS" on stdout and MARK on stderr (the
 * shell echoes them after it: the session goes on), into n->output,
 * n->errout and n->exit_status.
 */
static int marked_output(struct ot_deploy_node *n, struct ot_ssh_cmd *c, const char *mark,
			 unsigned limit)
{
	struct ot_strbuf out = OT_STRBUF_INIT;
	size_t ml = strlen(mark);
	char line[4096];
	int rc, st = -1;

	for (;;) {
		rc = ot_ssh_cmd_read_line(c, line, sizeof(line), limit, &n->err);
		if (rc < 0)
			break;
		if (!strncmp(line, mark, ml) && line[ml] == ' ') {
			st = atoi(line + ml + 1);
			break;
		}
		ot_sb_append(&out, line);
		ot_sb_putc(&out, '\n');
	}
	if (rc == 0) {
		free(n->output);
		free(n->errout);
		n->output = ot_sb_steal(&out);
		rc = ot_ssh_cmd_read_stderr_until(c, mark, limit, &n->errout, &n->err);
		n->exit_status = st;
		n->exit_signal[0] = '\0';
	}
	ot_sb_free(&out);
	return rc;
}

/*
 * Apply's probe: one session instead of SFTP's directory walk, an upload
 * and the gate's round trip. The host prints, for the configured directory
 * down to <dir>/<prefix> and for its otnode, `stat -c '%f %u %s'` (lstat:
 * links are not followed) and the SHA-256 of the otnode's first rt_len
 * bytes; otdeploy applies the directory rules (remote.h) to those lines
 * and compares the checksum with its own runtime's. Only then does it send
 * "run" (and, for apply, the new plan: that otnode runs it from stdin,
 * --plan-stdin, the plan it carries is not read, and once applied carries
 * it, --save-plan). What runs is verified as the gate verifies it: nothing
 * is uploaded. Otherwise nothing runs (EOF at `read`).
 */
enum probe_verdict {
	PROBE_OURS,   /* rules kept, our runtime: *ret runs tail (or closed) */
	PROBE_ABSENT, /* a directory or the otnode is not there */
	PROBE_OTHER,  /* a rule broken, or another runtime */
};

static int runtime_probe(struct ot_deploy *d, size_t i, const char *verb, const char *args,
			 bool plan_stdin, struct ot_ssh_cmd **ret, enum probe_verdict *v)
{
	struct ot_deploy_node *n = &d->nodes[i];
	const char *dir = n->host->dir ? n->host->dir : OT_REMOTE_DEFAULT_DIR;
	size_t dirlen = strlen(dir), len = strlen(n->rexe), end, k, ncomp = 0;
	size_t ends[OT_REMOTE_PATH_MAX / 2 + 2];
	struct ot_strbuf cmd = OT_STRBUF_INIT;
	char line[256], sum[OT_SHA256_HEX], path[OT_REMOTE_PATH_MAX];
	struct ot_ssh_cmd *c = NULL;
	struct ot_ssh_result r;
	struct ot_ssh_stat st;
	bool ok = true;
	int rc;

	*v = PROBE_OTHER;
	if (plan_stdin && (rc = plan_frame_make(n)) < 0)
		return rc;
	ot_deploy_set_state(d, i, OT_DS_CHECKING, "%s: directory and runtime", n->rexe);
	/* rexe = <dir>/<prefix>/otnode: every component, from the first */
	ot_sb_append(&cmd, "stat -c '%f %u %s' --");
	for (end = 1; end <= len && ncomp < sizeof(ends) / sizeof(ends[0]); end++) {
		if (end < len && n->rexe[end] != '/')
			continue;
		ends[ncomp++] = end;
		snprintf(path, sizeof(path), "%.*s", (int)end, n->rexe);
		ot_sb_putc(&cmd, ' ');
		shq(&cmd, path);
	}
	ot_sb_printf(&cmd, " && head -c %zu -- ", d->rt_len);
	shq(&cmd, n->rexe);
	ot_sb_append(&cmd, " | sha256sum && read -r go && [ \"$go\" = run ] && exec ");
	otnode_cmd_stdin(d, n, verb, args, plan_stdin, &cmd);
	rc = cmd.oom ? ot_error_set(&n->err, -ENOMEM, "out of memory")
		     : ot_ssh_cmd_start(n->ssh, ot_sb_str(&cmd), &c, &n->err);
	ot_sb_free(&cmd);
	if (rc < 0)
		return rc;
	/* ncomp stat lines (the last one the otnode's), then the checksum; a
	 * line missing: stat failed there (a path's components are checked
	 * in order, so the lines are always the first ones) */
	for (k = 0; ok && k <= ncomp; k++) {
		if (ot_ssh_cmd_read_line(c, line, sizeof(line), OT_DEPLOY_READY_MS, NULL) < 0) {
			ok = false;
			if (k < ncomp)
				*v = PROBE_ABSENT;
			break;
		}
		if (k == ncomp) {
			ok = ot_sha256_parse(line, sum) == 0 && !strcmp(sum, d->rt_sha256);
			break;
		}
		snprintf(path, sizeof(path), "%.*s", (int)ends[k], n->rexe);
		if (ot_remote_stat_parse(line, &st) < 0)
			ok = false;
		else if (k + 1 < ncomp)
			ok = !ot_remote_component_check(path, &st, n->uid, ends[k] >= dirlen, NULL);
		else /* the otnode: ours alone, and longer than the runtime */
			ok = st.type == OT_SSH_FT_REG && (st.uid == 0 || st.uid == n->uid) &&
			     !(st.mode & 022) && st.size > d->rt_len;
	}
	if (ok && ret) {
		rc = ot_ssh_cmd_write(c, "run\n", 4, &n->err);
		if (rc == 0 && plan_stdin)
			rc = ot_ssh_cmd_write(c, n->plan_frame, n->plan_frame_len, &n->err);
		if (rc < 0) {
			ot_ssh_cmd_abort(c);
			return rc;
		}
		*v = PROBE_OURS;
		*ret = c;
		return 0;
	}
	if (ok)
		*v = PROBE_OURS;
	/* No "run": EOF makes the shell stop at `read`; nothing ran. */
	ot_ssh_cmd_finish(c, 5000, &r, NULL);
	ot_ssh_result_free(&r);
	return 0;
}

/*
 * A host the new topology leaves (deploy.h: leaving). Without ARGS (the
 * check): is an otnode of this instance there, of our runtime? n->leave_found
 * says whether anything is there; another runtime, or a broken rule, fails
 * (we could not run it). With a verb: run `otnode VERB` behind the probe
 * (destroy, or create for a rollback), output in the node as ssh_action
 * leaves it.
 */
int ot_deploy_ssh_leave(struct ot_deploy *d, size_t i, const char *verb)
{
	struct ot_deploy_node *n = &d->nodes[i];
	unsigned limit = d->opts.command_timeout_ms + OT_DEPLOY_MARGIN_MS;
	enum probe_verdict v;
	struct ot_ssh_cmd *c = NULL;
	struct ot_ssh_result r = {0};
	int rc;

	if (n->sudo) {
		/* nothing placed to ask: is its state dir there? */
		struct ot_strbuf cmd = OT_STRBUF_INIT;

		ot_sb_printf(&cmd, "test -e /run/opentop/");
		shq(&cmd, n->plan->prefix);
		rc = cmd.oom ? ot_error_set(&n->err, -ENOMEM, "out of memory")
			     : ot_ssh_run(n->ssh, ot_sb_str(&cmd), NULL, 0,
					  d->opts.connect_timeout_ms, &r, &n->err);
		ot_sb_free(&cmd);
		if (rc == 0 && r.status == 0)
			rc = ot_error_set(&n->err, -EOPNOTSUPP,
					  "%s: not in the new topology, but '%s' runs there: "
					  "with sudo=yes its plan is not at hand; destroy it "
					  "with the topology it runs, then apply",
					  ot_ssh_where(n->ssh), n->plan->prefix);
		ot_ssh_result_free(&r);
		return rc;
	}
	if (!d->rt_len)
		return ot_error_set(&n->err, -EINVAL, "no runtime to compare the host's with");
	rc = runtime_probe(d, i, verb ? verb : "version", "", false, verb ? &c : NULL, &v);
	if (rc < 0)
		return rc;
	if (v == PROBE_OTHER)
		return ot_error_set(&n->err, -EPERM,
				    "%s: not in the new topology, but '%s' is not of this "
				    "otdeploy's runtime (or breaks the directory rules): refusing "
				    "to run it; destroy it with the otdeploy that created it",
				    ot_ssh_where(n->ssh), n->rexe);
	if (!verb) {
		n->leave_found = v == PROBE_OURS;
		return 0;
	}
	if (v != PROBE_OURS)
		return ot_error_set(&n->err, -ENOENT, "%s: '%s' is gone", ot_ssh_where(n->ssh),
				    n->rexe);
	n->started = true;
	rc = ot_ssh_cmd_finish(c, limit, &r, &n->err);
	keep_output(n, &r);
	ot_ssh_result_free(&r);
	return rc;
}

/*
 * `otnode apply --wait-go`: the check, and in the same session and process
 * (one gate, one sha256, the plans read once) the apply once the engine
 * says "apply" (stage 3 of apply.c: it goes through ssh_action), or nothing
 * on EOF. The session is held only when the check passed.
 *
 * otdeploy --watch (opts.watch): `otnode apply --serve` instead, the plan
 * on stdin, and the session kept as n->serve after the apply; a node that
 * has one (from the round before, ot_deploy_sessions_give) is only sent
 * the new plan: no new session, probe, gate or process.
 */
int ot_deploy_ssh_apply_check(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	const char *args = d->opts.watch ? SERVE_ARGS(n->sudo) : " --save-plan --wait-go " AC_MARK;
	bool watch_stdin = d->opts.watch && !n->sudo; /* sudo: always on stdin */
	struct ot_strbuf tail = OT_STRBUF_INIT;
	struct ot_ssh_cmd *c = NULL;
	int rc = 0;

	if (n->serve) {
		if ((rc = plan_frame_make(n)) < 0)
			return rc;
		ot_deploy_set_state(d, i, OT_DS_QUERYING, "otnode apply --check (serving)");
		rc = serve_say(d, i, "", n->plan_frame, n->plan_frame_len);
		if (rc == 0) {
			if (n->exit_status == 0)
				n->held = n->serve;
			return 0;
		}
		/* The session is gone (the connection dropped, the otnode was
		 * killed): a check changes nothing, so start again as a first
		 * round does, on a new connection. */
		ot_deploy_set_state(d, i, OT_DS_CONNECTING, "again: %s", n->err.msg);
		memset(&n->err, 0, sizeof(n->err));
		ot_ssh_close(n->ssh);
		n->ssh = NULL;
		if ((rc = ssh_open(d, i)) < 0)
			return rc;
	}
	if (n->apply_fast) {
		enum probe_verdict v;

		rc = runtime_probe(d, i, "apply", args, true, &c, &v);
		n->apply_fast = false;
		if (rc == 0 && !c) { /* not ours to run as it is: the usual way */
			n->reused = false;
			rc = ssh_place(d, i);
		}
	} else if (watch_stdin) {
		rc = plan_frame_make(n);
	}
	if (rc == 0 && !c) {
		ot_sb_append(&tail, "exec ");
		if (d->opts.watch)
			otnode_cmd_stdin(d, n, "apply", args, true, &tail);
		else
			otnode_cmd(d, n, "apply", " --wait-go " AC_MARK, &tail);
		rc = tail.oom ? ot_error_set(&n->err, -ENOMEM, "out of memory")
			      : start_cmd(d, i, ot_sb_str(&tail), &c);
		ot_sb_free(&tail);
		if (rc == 0 && watch_stdin &&
		    (rc = ot_ssh_cmd_write(c, n->plan_frame, n->plan_frame_len, &n->err)) < 0)
			ot_ssh_cmd_abort(c);
	}
	if (rc < 0)
		return rc;
	ot_deploy_set_state(d, i, OT_DS_QUERYING, "otnode apply --check");
	rc = marked_output(n, c, AC_MARK, d->opts.command_timeout_ms + OT_DEPLOY_MARGIN_MS);
	if (rc == 0 && d->opts.watch) {
		n->serve = c; /* it waits for the next word, whatever the check said */
		if (n->exit_status == 0)
			n->held = c;
		return 0;
	}
	n->held = c;
	if (rc < 0 || n->exit_status != 0)
		ot_deploy_ssh_release(n);
	return rc;
}

static int ssh_preflight(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	unsigned limit = d->opts.preflight_udp_ms + d->opts.command_timeout_ms;
	struct ot_strbuf tail = OT_STRBUF_INIT;
	struct ot_ssh_cmd *c = NULL;
	char line[4096], go[4096];
	bool arrived = false;
	int rc;

	/* preflight, its status behind a marker on both streams, then wait
	 * for "create" (stage 3) or EOF (no create) */
	otnode_cmd(d, n, "preflight", " --json --wait-go", &tail);
	ot_sb_append(&tail, "; echo \"" PF_MARK " $?\"; echo " PF_MARK " >&2; "
			    "read -r c && [ \"$c\" = create ] && exec ");
	otnode_cmd(d, n, "create", "", &tail);
	rc = tail.oom ? ot_error_set(&n->err, -ENOMEM, "out of memory")
		      : start_cmd(d, i, ot_sb_str(&tail), &c);
	ot_sb_free(&tail);
	if (rc == 0) {
		ot_deploy_set_state(d, i, OT_DS_PREFLIGHT, "kernel, underlay, UDP between nodes");
		rc = ot_ssh_cmd_read_line(c, line, sizeof(line), OT_DEPLOY_READY_MS, &n->err);
	}
	if (rc == 0 && strncmp(line, "ready ", 6))
		rc = ot_error_set(&n->err, -EPROTO, "preflight said '%.100s', not 'ready'", line);
	if (rc < 0 || !strcmp(line, "ready busy"))
		n->pf_busy = true; /* the others do not wait for us */
	/* Every node must be listening before anyone sends. */
	ot_deploy_pf_arrive(d);
	arrived = true;
	ot_deploy_pf_wait_all(d);
	if (rc == 0) {
		ot_deploy_pf_go_line(d, go, sizeof(go));
		rc = ot_ssh_cmd_write(c, go, strlen(go), &n->err);
	}
	/* the JSON report, up to the marker with the exit status */
	if (rc == 0)
		rc = marked_output(n, c, PF_MARK, limit);
	if (!arrived)
		ot_deploy_pf_arrive(d);
	if (c && rc == 0 && n->exit_status == 0) {
		n->held = c; /* stage 3 says "create" */
	} else if (c) {
		n->held = c;
		ot_deploy_ssh_release(n);
	}
	return rc;
}

/* Remove otnode and the node's directory: a destroyed node keeps no file
 * of ours (the configured directory itself is the administrator's). */
/* The directory's "otnode.part-*" names: ours, an upload's (otdeploy:
 * random suffix) or a --save-plan's (otnode: its pid) cut short. */
struct parts {
	char names[8][OT_REMOTE_PATH_MAX];
	size_t n;
};

static void collect_part(void *ctx, const char *name)
{
	struct parts *p = ctx;

	if (!strncmp(name, "otnode.part-", strlen("otnode.part-")) && !strchr(name, '/') &&
	    p->n < sizeof(p->names) / sizeof(p->names[0]))
		snprintf(p->names[p->n++], sizeof(p->names[0]), "%s", name);
}

static int ssh_unplace(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	struct parts parts = {.n = 0};
	char path[OT_REMOTE_PATH_MAX * 2 + 2];
	size_t k;
	int rc = 0;

	ot_deploy_ssh_release(n);
	if (n->sudo) /* nothing of ours on the host: the otnode is installed */
		return 0;
	if (n->part[0])
		rc = ot_ssh_unlink(n->ssh, n->part, &n->err);
	if (rc == 0)
		rc = ot_ssh_unlink(n->ssh, n->rexe, &n->err);
	if (rc == 0)
		rc = ot_ssh_rmdir(n->ssh, n->rdir, &n->err);
	if (rc != -ENOTEMPTY)
		return rc;
	/* a copy cut short (a killed upload or --save-plan): ours too */
	rc = ot_ssh_list(n->ssh, n->rdir, collect_part, &parts, &n->err);
	for (k = 0; rc == 0 && k < parts.n; k++) {
		snprintf(path, sizeof(path), "%s/%s", n->rdir, parts.names[k]);
		rc = ot_ssh_unlink(n->ssh, path, &n->err);
	}
	if (rc == 0)
		rc = ot_ssh_rmdir(n->ssh, n->rdir, &n->err);
	return rc;
}

const struct ot_deploy_transport ot_deploy_ssh_transport = {
    .open = ssh_open,
    .session = ssh_session,
    .action = ssh_action,
    .preflight = ssh_preflight,
    .unplace = ssh_unplace,
};
