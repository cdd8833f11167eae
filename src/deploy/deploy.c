/*
 * deploy.c - otdeploy's engine: the stages of an action over all nodes,
 * run by a small pool of threads, one node per thread at a time (contract
 * and stage list in deploy.h).
 *
 * Per-node work goes through a transport table (transport.h: SSH in
 * transport_ssh.c, the in-process executor in transport_local.c) so the
 * stage logic is written once.
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

#include "deploy/transport.h"
#include "embed/embed.h"
#include "exec/classprobe.h"
#include "util/strbuf.h"
#include "util/clock.h"

#define DEFAULT_CONNECT_MS 10000u
#define DEFAULT_COMMAND_MS 120000u
/* The UDP window: each node counts it from its own "go", and on a loaded
 * host the "go" reaches the nodes' otnode processes seconds apart; an
 * exchange that succeeds ends at once (plus a short linger), so only a
 * failing one waits for all of it. */
#define DEFAULT_UDP_MS 5000u

static const char *const dstate_names[OT_DS__COUNT] = {
    [OT_DS_PENDING] = "pending",
    [OT_DS_CONNECTING] = "connecting",
    [OT_DS_PREPARING] = "preparing",
    [OT_DS_UPLOADING] = "uploading",
    [OT_DS_CHECKING] = "checking",
    [OT_DS_READY] = "ready",
    [OT_DS_PREFLIGHT] = "preflight",
    [OT_DS_CREATING] = "creating",
    [OT_DS_DESTROYING] = "destroying",
    [OT_DS_QUERYING] = "querying",
    [OT_DS_ROLLING_BACK] = "rolling back",
    [OT_DS_DONE] = "done",
    [OT_DS_FAILED] = "failed",
    [OT_DS_ROLLED_BACK] = "rolled back",
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
    [OT_DEPLOY_APPLY] = {"apply", "apply", "", OT_DS_CREATING},
    [OT_DEPLOY_LIST] = {"list", "list", " --json", OT_DS_QUERYING},
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

/* Publish a state change (detail may be NULL: keep it). */
void ot_deploy_set_state(struct ot_deploy *d, size_t i, enum ot_dstate s, const char *fmt, ...)
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
		n->t_end = ot_mono_ms();
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
	ot_deploy_set_state(d, i, OT_DS_FAILED, "%s", n->err.msg);
}

/* The last non-empty line of a command's stderr, for a one-line reason. */
void ot_deploy_last_line(const char *text, char *buf, size_t size)
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
		user[0] = '\0'; /* the SSH config's User, else the local user */
	}
	return 0;
}

/*
 * apply: the runtime part of x's image (every image carries the same) and
 * its SHA-256, for the probe that lets a node's otnode of this runtime run
 * the new plan from stdin (transport_ssh.c). A damaged image: no probe.
 */
static int apply_runtime(struct ot_deploy *d)
{
	/* the runtime built into this program, which every image carries;
	 * hashed once per process (otdeploy --watch inits an engine a round) */
	static char sum[OT_SHA256_HEX];
	static const void *base;
	static size_t len;

	if (!base) {
		const void *rt = ot_embed_runtime(&len);

		if (!rt || !len || ot_sha256_hex(rt, len, sum) < 0)
			return -EIO;
		base = rt;
	}
	memcpy(d->rt_sha256, sum, sizeof(sum));
	d->rt_base = base;
	d->rt_len = len;
	return 0;
}

int ot_deploy_node_image(struct ot_deploy_node *n, struct ot_error *err)
{
	int rc;

	if (n->image.len || n->leaving)
		return 0;
	rc = n->bare ? ot_image_bare(&n->image, err) : ot_image_build(n->plan, &n->image, err);
	if (rc < 0)
		return ot_error_prefix(err, rc, "%s: cannot build otnode", n->name);
	return 0;
}

int ot_deploy_node_sha256(struct ot_deploy_node *n, struct ot_error *err)
{
	int rc;

	if (n->sha256[0])
		return 0;
	if ((rc = ot_deploy_node_image(n, err)) < 0)
		return rc;
	if (!n->image.len)
		return 0;
	if (ot_image_sha256(&n->image, n->sha256) < 0)
		return ot_error_set(err, -EIO, "%s: cannot hash the executable", n->name);
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
			return ot_error_set(
			    err, -EINVAL,
			    "%s: the hosts file binds it to this machine ('local'): "
			    "pass --local to build it here",
			    x->name);
		if (!x->local) {
			rc = ot_deploy_parse_target(x->host->ssh_target, x->host->user, x->user,
						    sizeof(x->user), x->addr, sizeof(x->addr), err);
			if (rc < 0)
				return ot_error_prefix(err, rc, "%s", x->name);
		}
		rc = ot_remote_dir_valid(dir, err);
		if (rc < 0)
			return ot_error_prefix(err, rc, "%s", x->name);
		if (!ot_nsname_valid(x->plan->prefix))
			return ot_error_set(err, -EINVAL, "%s: unsafe plan prefix '%s'", x->name,
					    x->plan->prefix);
		snprintf(x->rdir, sizeof(x->rdir), "%s/%s", dir, x->plan->prefix);
		if ((size_t)snprintf(x->rexe, sizeof(x->rexe), "%s/otnode", x->rdir) >=
		    sizeof(x->rexe))
			return ot_error_set(err, -ENAMETOOLONG, "%s: remote path too long",
					    x->name);
		x->sha256[0] = '\0'; /* ot_deploy_node_sha256, in the node's worker */
		if (x->host->sudo) {
			/* sudo=yes: nothing is placed; the installed otnode runs */
			x->sudo = true;
			x->rdir[0] = '\0';
			snprintf(x->rexe, sizeof(x->rexe), "%s",
				 x->host->otnode ? x->host->otnode : OT_DEPLOY_SUDO_OTNODE);
			rc = ot_remote_dir_valid(x->rexe, err);
			if (rc < 0)
				return ot_error_prefix(err, rc, "%s: otnode=", x->name);
		}
		if (o->action == OT_DEPLOY_APPLY && !d->rt_len && !x->sudo && !x->local &&
		    apply_runtime(d) < 0)
			return ot_error_set(err, -EIO, "%s: cannot hash the runtime", x->name);
	}
	return 0;
}

void ot_deploy_fini(struct ot_deploy *d)
{
	size_t i;

	for (i = 0; i < d->nnodes; i++) {
		ot_deploy_ssh_release(&d->nodes[i]); /* forgets a held serve */
		ot_deploy_ssh_serve_end(d->nodes[i].serve);
		d->nodes[i].serve = NULL;
		free(d->nodes[i].plan_frame);
		d->nodes[i].plan_frame = NULL;
		ot_image_free(&d->nodes[i].image);
		ot_ssh_close(d->nodes[i].ssh);
		d->nodes[i].ssh = NULL;
		free(d->nodes[i].output);
		free(d->nodes[i].errout);
		d->nodes[i].output = d->nodes[i].errout = NULL;
	}
	ot_class_verify_free(d->xclass);
	d->xclass = NULL;
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
}

/* ------------------------------------------------------------------ */
/* otdeploy --watch: sessions kept from one apply to the next           */

size_t ot_deploy_sessions_take(struct ot_deploy *d, struct ot_deploy_session *s)
{
	size_t i, k = 0;

	for (i = 0; i < d->nnodes; i++) {
		struct ot_deploy_node *n = &d->nodes[i];

		if (!n->serve || !n->ssh || n->leaving)
			continue;
		ot_deploy_ssh_release(n); /* a held serve is only dropped */
		memset(&s[k], 0, sizeof(s[k]));
		snprintf(s[k].node, sizeof(s[k].node), "%s", n->name);
		snprintf(s[k].prefix, sizeof(s[k].prefix), "%s", n->plan->prefix);
		snprintf(s[k].user, sizeof(s[k].user), "%s", n->user);
		s[k].ssh = n->ssh;
		s[k].serve = n->serve;
		s[k].uid = n->uid;
		n->ssh = NULL;
		n->serve = NULL;
		k++;
	}
	return k;
}

static void session_close(struct ot_deploy_session *s)
{
	ot_deploy_ssh_serve_end(s->serve);
	ot_ssh_close(s->ssh);
	s->ssh = NULL;
	s->serve = NULL;
}

void ot_deploy_sessions_give(struct ot_deploy *d, struct ot_deploy_session *s, size_t n)
{
	size_t i, k;

	for (k = 0; k < n; k++) {
		for (i = 0; i < d->nnodes && s[k].ssh; i++) {
			struct ot_deploy_node *x = &d->nodes[i];

			if (x->local || x->leaving || x->ssh || strcmp(x->name, s[k].node) ||
			    strcmp(x->plan->prefix, s[k].prefix))
				continue;
			x->ssh = s[k].ssh;
			x->serve = s[k].serve;
			x->uid = s[k].uid;
			snprintf(x->user, sizeof(x->user), "%s", s[k].user);
			s[k].ssh = NULL;
			s[k].serve = NULL;
		}
		if (s[k].ssh)
			session_close(&s[k]);
	}
}

void ot_deploy_sessions_close(struct ot_deploy_session *s, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		session_close(&s[k]);
}

/* ------------------------------------------------------------------ */
/* the preflight rendezvous, shared by the transports                   */

/* Wait until every node of the preflight has arrived (bounded: a node
 * that never arrives must not hold the others forever). */
void ot_deploy_pf_wait_all(struct ot_deploy *d)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += OT_DEPLOY_READY_MS / 1000 + 10;
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

/* The "go" line: nonce, window, and the nodes that take no part in the
 * UDP exchange (port busy, failed or skipped before it): their peers do
 * not wait for them, so one unreachable node is reported once, not once
 * more by every peer as "never arrived". */
void ot_deploy_pf_go_line(struct ot_deploy *d, char *buf, size_t size)
{
	struct ot_strbuf skip = OT_STRBUF_INIT;
	size_t i;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->nnodes; i++)
		if (d->nodes[i].pf_busy || d->nodes[i].state == OT_DS_FAILED ||
		    d->nodes[i].state == OT_DS_SKIPPED)
			ot_sb_printf(&skip, "%s%s", skip.len ? "," : "", d->nodes[i].name);
	pthread_mutex_unlock(&d->lock);
	snprintf(buf, size, "go %s %u %s\n", d->pf_nonce, d->opts.preflight_udp_ms,
		 skip.len ? ot_sb_str(&skip) : "-");
	ot_sb_free(&skip);
}

static const struct ot_deploy_transport *tp(const struct ot_deploy_node *n)
{
	return n->local ? &ot_deploy_local_transport : &ot_deploy_ssh_transport;
}

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
		ot_deploy_set_state(d, i, OT_DS_SKIPPED, "interrupted");
	return true;
}

static void stage_open(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	int rc;

	if (cancelled(d, i))
		return;
	n->t_begin = ot_mono_ms();
	rc = tp(n)->open(d, i);
	if (rc < 0) {
		fail(d, i, rc, &n->err);
		return;
	}
	ot_deploy_set_state(d, i, OT_DS_READY, "%s",
			    n->serve	? "otnode serving since the last round"
			    : n->reused ? "otnode already there"
					: "otnode placed");
}

static void stage_preflight(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	char why[OT_DEPLOY_DETAIL_MAX];
	int rc;

	long t0 = ot_mono_ms();

	if (n->local) /* the SSH transport shows its own steps */
		ot_deploy_set_state(d, i, OT_DS_PREFLIGHT, "kernel, underlay, UDP between nodes");
	rc = tp(n)->preflight(d, i);
	n->ms_preflight = ot_mono_ms() - t0;
	if (rc == 0 && n->exit_status != 0) {
		ot_deploy_last_line(n->errout ? n->errout : "", why, sizeof(why));
		rc = ot_error_set(&n->err, -EAGAIN, "preflight: %s",
				  why[0] ? why : "failed (no reason given)");
	}
	if (rc < 0) {
		fail(d, i, rc, &n->err);
		return;
	}
	ot_deploy_set_state(d, i, OT_DS_READY, "preflight passed");
}

/* The reason an otnode command failed, into n->err. */
static int otnode_failed(struct ot_deploy_node *n, const char *verb)
{
	char why[OT_DEPLOY_DETAIL_MAX];

	ot_deploy_last_line(n->errout ? n->errout : "", why, sizeof(why));
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
		ot_sb_printf(&sb, "%s%lld probes differ from the topology", sb.len ? ", " : "",
			     fail);
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
	long t0 = ot_mono_ms();
	int rc;

	if (cancelled(d, i))
		return;
	if (n->local || n->held) /* else the SSH transport shows its steps */
		ot_deploy_set_state(d, i, actions[a].busy, "otnode %s", actions[a].verb);
	n->started = false;
	rc = tp(n)->action(d, i, actions[a].verb, actions[a].args);
	n->ms_action = ot_mono_ms() - t0;
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
	/* destroy: nothing stays; list: its otnode was placed for one look */
	if ((a == OT_DEPLOY_DESTROY || a == OT_DEPLOY_LIST) && tp(n)->unplace) {
		rc = tp(n)->unplace(d, i);
		if (rc < 0) {
			ot_error_prefix(&n->err, rc, "destroyed, but cannot remove otnode");
			fail(d, i, rc, &n->err);
			return;
		}
	}
	ot_deploy_set_state(d, i, OT_DS_DONE, "%s", n->reused ? "otnode reused" : "");
}

int ot_deploy_undo_cmd(struct ot_deploy *d, size_t i, const char *verb, const char *args)
{
	struct ot_deploy_node *n = &d->nodes[i];
	char why[OT_DEPLOY_DETAIL_MAX];
	int rc;

	/* What the action said stays the node's report; the undoing
	 * command's words matter only when it fails (then they go to
	 * rollback_err). */
	char *act_out = n->output, *act_err = n->errout;
	int act_status = n->exit_status;
	struct ot_error act_e = n->err;

	n->output = n->errout = NULL;
	rc = tp(n)->open(d, i);
	if (rc == 0)
		rc = tp(n)->action(d, i, verb, args);
	if (rc == 0 && n->exit_status != 0) {
		ot_deploy_last_line(n->errout ? n->errout : "", why, sizeof(why));
		rc = ot_error_set(&n->rollback_err, -EAGAIN, "otnode %s%s failed: %s", verb, args,
				  why);
	} else if (rc < 0) {
		n->rollback_err = n->err;
	}
	free(n->output);
	free(n->errout);
	n->output = act_out;
	n->errout = act_err;
	n->exit_status = act_status;
	n->err = act_e;
	return rc;
}

static void stage_rollback(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	bool was_done = n->state == OT_DS_DONE;
	int rc;

	ot_deploy_set_state(d, i, OT_DS_ROLLING_BACK, "otnode destroy");
	rc = ot_deploy_undo_cmd(d, i, "destroy", "");
	if (rc < 0) {
		n->journal_left = true;
		if (was_done) {
			n->err = n->rollback_err;
			ot_error_prefix(&n->err, n->err.code, "rollback");
		}
		ot_deploy_set_state(d, i, OT_DS_FAILED, "rollback failed: state left on the host");
		return;
	}
	n->journal_left = false;
	if (tp(n)->unplace) {
		struct ot_error keep = n->err;

		tp(n)->unplace(d, i); /* best effort: the objects are gone already */
		n->err = keep;
	}
	if (was_done)
		ot_deploy_set_state(d, i, OT_DS_ROLLED_BACK,
				    "created, then destroyed: another node failed");
	else
		ot_deploy_set_state(d, i, OT_DS_FAILED, "%s (cleaned up)", n->err.msg);
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
			ot_deploy_set_state(d, i, OT_DS_SKIPPED, "%s", why);
	for (i = 0; i < d->nnodes; i++)
		ot_deploy_ssh_release(&d->nodes[i]); /* preflight sessions: no create */
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

	if (a == OT_DEPLOY_APPLY)
		return ot_deploy_apply_run(d, err); /* stages of its own: apply.c */

	pick = calloc(d->nnodes ? d->nnodes : 1, sizeof(*pick));
	if (!pick)
		return ot_error_set(err, -ENOMEM, "out of memory");
	d->t_begin = ot_mono_ms();

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
		skip_rest(d, pick,
			  d->cancelled ? "interrupted" : "not started: another node failed first");
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
			skip_rest(d, pick,
				  d->cancelled ? "interrupted"
					       : "not created: preflight failed elsewhere");
			goto out;
		}
	}

	/* Stage 3: the action itself. */
	rc = run_stage(d, stage_action, pick, d->opts.parallel, err);
	if (rc < 0)
		goto out;
	/* verify: then the class probes across nodes (xclass.c) */
	if (a == OT_DEPLOY_VERIFY && !(d->opts.cancel && *d->opts.cancel))
		ot_deploy_cross_classes(d);

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
	return ot_deploy_end(d, pick, rc);
}

int ot_deploy_end(struct ot_deploy *d, bool *pick, int rc)
{
	free(pick);
	d->t_end = ot_mono_ms();
	if (rc < 0)
		return rc;
	if (d->cancelled)
		return -EINTR;
	return d->failed ? -EAGAIN : 0;
}

/* The engine's pieces apply.c runs its stages with (transport.h). */
int ot_deploy_stage(struct ot_deploy *d, void (*fn)(struct ot_deploy *d, size_t i),
		    const bool *pick, struct ot_error *err)
{
	return run_stage(d, fn, pick, d->opts.parallel, err);
}

void ot_deploy_stage_open(struct ot_deploy *d, size_t i)
{
	stage_open(d, i);
}

void ot_deploy_fail(struct ot_deploy *d, size_t i, int rc, const struct ot_error *e)
{
	fail(d, i, rc, e);
}

int ot_deploy_otnode_failed(struct ot_deploy_node *n, const char *verb)
{
	return otnode_failed(n, verb);
}

bool ot_deploy_cancelled(struct ot_deploy *d, size_t i)
{
	return cancelled(d, i);
}

size_t ot_deploy_pick_alive(struct ot_deploy *d, bool *pick)
{
	return pick_alive(d, pick);
}
