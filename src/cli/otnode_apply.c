/*
 * otnode_apply.c - `otnode apply`: change what runs on this node into its
 * plan, only the difference (exec/apply.c), with the two protocols
 * otdeploy drives on stdin: --wait-go (check, then apply on "apply": one
 * process for otdeploy --apply) and --serve (the same for plan after plan:
 * otdeploy --watch); and --save-plan, which keeps this executable carrying
 * the plan the node runs. Manual: docs/otnode.1.md, apply.
 */
#include "cli/otnode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embed/embed.h"
#include "util/clock.h"

/* The check's line on stdout (otdeploy reads "would create": its
 * rollback destroys), then "MARK STATUS" on stdout and MARK on stderr. */
static void check_report(struct otnode_cli *c, int r, const struct ot_exec_result *res,
			 const struct ot_error *err, const char *mark)
{
	if (r < 0)
		otnode_die("%s", err->msg);
	else if (res->created)
		printf("%s: ok: nothing runs here: would create it\n", c->plan->node);
	else
		printf("%s: ok: would add %u, remove %u, update %u%s\n", c->plan->node, res->added,
		       res->removed, res->updated,
		       res->recovered ? " (after undoing an interrupted apply)" : "");
	if (mark) {
		printf("%s %d\n", mark,
		       r < 0 ? (r == -ENOMEM ? OTNODE_EXIT_SYSTEM : OTNODE_EXIT_FAIL) : 0);
		fprintf(stderr, "%s\n", mark);
	}
	fflush(stdout);
	fflush(stderr);
}

/*
 * apply --wait-go MARK: the check, its output closed by "MARK STATUS" on
 * stdout and MARK on stderr; then, when the check passed, one line from
 * stdin: "apply" applies, anything else (or EOF) changes nothing. otdeploy
 * runs check and apply so, in one session and one process.
 */
static int check_then_wait(struct otnode_cli *c, const struct ot_exec_opts *o, const char *mark)
{
	struct ot_exec_result res;
	struct ot_error err = {0};
	char line[64];
	int r = ot_exec_apply(c->plan, o, OT_APPLY_CHECK, &res, &err);

	check_report(c, r, &res, &err, mark);
	if (r < 0)
		return r == -ENOMEM ? OTNODE_EXIT_SYSTEM : OTNODE_EXIT_FAIL;
	if (otnode_read_line(line, sizeof(line)) < 0 || strcmp(line, "apply") != 0) {
		fprintf(stderr, "otnode: %s: not applied (no go)\n", c->plan->node);
		return 0;
	}
	return -1; /* go on: apply */
}

/*
 * apply --save-plan (with --plan-stdin; otdeploy's apply over a placed
 * otnode): once applied, this executable carries the plan it applied, so
 * it keeps matching what the node runs. Its runtime plus the new plan go
 * to a fresh "<exe>.part-<pid>" beside it, renamed over it. The executable
 * is this process's own (/proc/self/exe), in the directory otdeploy
 * checked. text: the plan applied (or, after a revert, the one gone back
 * to). 0, or a message (the apply stands either way).
 */
static int save_plan(struct otnode_cli *c, const char *text, size_t text_len)
{
	char part[PATH_MAX + 32];
	struct ot_error err = {0};
	void *img = NULL;
	size_t len = 0, off = 0;
	ssize_t k = 0;
	int fd = -1, r = 0;

	/* Once per process (serve saves again and again): the name, before
	 * the first rename makes /proc/self/exe read "... (deleted)", and the
	 * bytes, which /proc/self/exe keeps giving (the runtime is taken from
	 * them). */
	if (!c->exe[0]) {
		k = readlink("/proc/self/exe", c->exe, sizeof(c->exe) - 1);
		if (k <= 0 || (size_t)k >= sizeof(c->exe) - 1) {
			c->exe[0] = '\0';
			otnode_die("--save-plan: cannot read /proc/self/exe");
			return -EIO;
		}
		c->exe[k] = '\0';
	}
	if (!c->self.len) {
		fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		while (fd >= 0 && !c->self.oom) {
			char buf[65536];

			k = read(fd, buf, sizeof(buf));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			ot_sb_appendn(&c->self, buf, (size_t)k);
		}
		if (fd < 0 || k < 0 || c->self.oom) {
			ot_sb_free(&c->self);
			r = ot_error_set(&err, -EIO, "cannot read '%s'", c->exe);
		}
		if (fd >= 0)
			close(fd);
	}
	if (r == 0)
		r = ot_embed_build(c->self.buf, c->self.len, text, text_len, &img, &len, &err);
	snprintf(part, sizeof(part), "%s.part-%ld", c->exe, (long)getpid());
	fd = r < 0 ? -1 : open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0700);
	if (r == 0 && fd < 0)
		r = ot_error_sys(&err, -errno, "create '%s'", part);
	while (fd >= 0 && off < len) {
		k = write(fd, (char *)img + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = ot_error_sys(&err, -errno, "write '%s'", part);
			break;
		}
		off += (size_t)k;
	}
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = ot_error_sys(&err, -errno, "close '%s'", part);
	if (fd >= 0 && r == 0 && rename(part, c->exe) < 0)
		r = ot_error_sys(&err, -errno, "rename '%s'", part);
	if (fd >= 0 && r < 0)
		unlink(part);
	free(img);
	if (r < 0)
		otnode_die("%s: done, but the executable still carries the plan before: %s",
			   c->plan->node, err.msg);
	return r;
}

/*
 * Apply (flags: OT_APPLY_REVERT or 0) and report on stderr; with save,
 * this executable then carries the plan the node runs (save_running). The
 * exit status: 0, OTNODE_EXIT_FAIL or OTNODE_EXIT_SYSTEM; the executor's result in *ret
 * (may be NULL).
 */
/* After apply_once: the executable carries the plan the node now runs
 * (the one applied, or after a revert the one gone back to). */
static void save_running(struct otnode_cli *c, unsigned flags, const struct ot_exec_result *res)
{
	struct ot_error err = {0};
	char *text = NULL;

	if (!(flags & OT_APPLY_REVERT))
		save_plan(c, c->stdin_text, c->stdin_len);
	else if (res->reverted && ot_exec_running_plan_text(c->plan->state_dir, &text, &err) == 0)
		save_plan(c, text, strlen(text));
	else if (res->reverted)
		otnode_die("%s: reverted, but the executable still carries the plan reverted: %s",
			   c->plan->node, err.msg);
	free(text);
}

static int apply_once(struct otnode_cli *c, const struct ot_exec_opts *o, unsigned flags, bool save,
		      struct ot_exec_result *ret)
{
	double t0 = ot_clock_s(CLOCK_MONOTONIC);
	struct ot_exec_result res;
	struct ot_error err = {0};
	int r = ot_exec_apply(c->plan, o, flags, &res, &err);

	if (ret)
		*ret = res;
	if (r < 0) {
		otnode_die("%s%s", err.msg, res.rolled_back ? " (rolled back)" : "");
		return r == -ENOMEM ? OTNODE_EXIT_SYSTEM : OTNODE_EXIT_FAIL;
	}
	if (res.created)
		fprintf(stderr, "otnode: %s: nothing ran here: created in %.3f s\n", c->plan->node,
			ot_clock_s(CLOCK_MONOTONIC) - t0);
	else
		fprintf(stderr, "otnode: %s: %s in %.3f s: %u added, %u removed, %u updated%s\n",
			c->plan->node,
			(flags & OT_APPLY_REVERT)
			    ? (res.reverted ? "reverted" : "nothing to revert")
			    : "applied",
			ot_clock_s(CLOCK_MONOTONIC) - t0, res.added, res.removed, res.updated,
			res.recovered ? " (an interrupted apply undone first)" : "");
	if (save)
		save_running(c, flags, &res);
	return 0;
}

/*
 * apply --serve MARK (otdeploy --watch): check_then_wait, kept running for
 * the session, so that every change a watch applies costs no new SSH
 * session, gate or process. After each step its report, then "MARK
 * STATUS" on stdout and MARK on stderr; then one line from stdin:
 *   apply        apply the plan last checked (only after a check passed)
 *   revert       back to the plan before (only after an apply)
 *   plan BYTES   a new plan follows, as for --plan-stdin: check it
 * EOF ends it, changing nothing; any other line is refused (exit 2).
 * Every plan is held to what a first one is (parse_stdin_plan; and
 * ot_exec_apply: the instance and node that run here).
 */
static int serve(struct otnode_cli *c, const struct ot_exec_opts *opts, const char *mark, bool save)
{
	enum { CHECK_FAILED, CHECKED, APPLIED } st;
	/* the running plan, not read again while it is the node's: the last
	 * plan applied, kept (kept) while the memo refers to it */
	struct ot_apply_memo memo = {0};
	struct ot_exec_opts o = *opts;
	struct ot_plan *kept = NULL;
	struct ot_exec_result res;
	struct ot_error err = {0};
	unsigned saving = 0; /* the last step's flags + 1: save after reporting */
	char line[64];
	int r;

	o.memo = &memo;
	for (;;) {
		r = ot_exec_apply(c->plan, &o, OT_APPLY_CHECK, &res, &err);
		check_report(c, r, &res, &err, mark);
		st = r < 0 ? CHECK_FAILED : CHECKED;
		for (;;) {
			if (otnode_read_line(line, sizeof(line)) < 0) {
				r = 0;
				goto out;
			}
			if (!strcmp(line, "apply") && st == CHECKED) {
				r = apply_once(c, &o, 0, false, &res);
				saving = save && r == 0 ? 1 : 0;
				st = APPLIED;
			} else if (!strcmp(line, "revert") && st == APPLIED) {
				r = apply_once(c, &o, OT_APPLY_REVERT, false, &res);
				saving = save && r == 0 ? 1 + OT_APPLY_REVERT : 0;
				st = CHECK_FAILED; /* nothing to apply until a plan */
			} else if (!strncmp(line, "plan ", 5)) {
				struct ot_plan *next = NULL;

				if ((r = otnode_read_plan_body(c, line)))
					goto out; /* the stream is out of step */
				if (otnode_parse_stdin_plan(c, &next, &err) == 0) {
					if (ot_apply_memo_holds(&memo, c->plan)) {
						ot_plan_free(kept);
						kept = c->plan;
					} else {
						ot_plan_free(c->plan);
					}
					c->plan = next;
					if (kept && !ot_apply_memo_holds(&memo, kept)) {
						ot_plan_free(kept);
						kept = NULL;
					}
					break; /* check it */
				}
				otnode_die("%s", err.msg);
				r = OTNODE_EXIT_FAIL;
				st = CHECK_FAILED;
			} else {
				otnode_die("apply --serve: '%.40s' is not a word here", line);
				r = OTNODE_EXIT_USAGE;
				goto out;
			}
			printf("%s %d\n", mark, r);
			fprintf(stderr, "%s\n", mark);
			fflush(stdout);
			fflush(stderr);
			/* off the watch's critical path: it has the answer, and
			 * the next word is read only once this is done */
			if (saving)
				save_running(c, saving - 1, &res);
			saving = 0;
		}
	}
out:
	ot_apply_memo_clear(&memo);
	ot_plan_free(kept);
	return r;
}

int otnode_cmd_apply(struct otnode_cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"check", no_argument, NULL, OPT_CHECK},
					     {"revert", no_argument, NULL, OPT_REVERT},
					     {"wait-go", required_argument, NULL, OPT_WAIT_GO},
					     {"save-plan", no_argument, NULL, OPT_SAVE_PLAN},
					     {"serve", required_argument, NULL, OPT_SERVE},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int set[6] = {0};
	const char *val[6] = {NULL};
	struct ot_apply_memo memo = {0};
	struct ot_exec_opts o;
	struct ot_exec_result res;
	struct ot_error err = {0};
	int r;

	r = otnode_sub_options(argc, argv, opts, set, val);
	if (r || optind != argc || set[0] + set[1] + set[2] + set[4] > 1)
		return otnode_usage(r == 'h' ? stdout : stderr, r == 'h' ? 0 : OTNODE_EXIT_USAGE);
	if (set[3] && (set[0] || (!c->plan_stdin && !set[1]))) {
		otnode_die(
		    "apply --save-plan: with --plan-stdin (the plan applied) or --revert (the "
		    "plan gone back to), and not with --check");
		return OTNODE_EXIT_USAGE;
	}
	if (set[4] && !c->plan_stdin) {
		otnode_die("apply --serve: only with --plan-stdin (the plans come on stdin)");
		return OTNODE_EXIT_USAGE;
	}
	if ((r = otnode_load_plan(c)))
		return r;
	otnode_init_opts(c, &o);
	if (set[4])
		return serve(c, &o, val[4], set[3]);
	/* --wait-go: the apply reads the running plan the check read */
	o.memo = set[2] ? &memo : NULL;
	if (set[2] && (r = check_then_wait(c, &o, val[2])) >= 0)
		goto out;
	if (set[0]) {
		r = ot_exec_apply(c->plan, &o, OT_APPLY_CHECK, &res, &err);
		check_report(c, r, &res, &err, NULL);
		return r < 0 ? (r == -ENOMEM ? OTNODE_EXIT_SYSTEM : OTNODE_EXIT_FAIL) : 0;
	}
	r = apply_once(c, &o, set[1] ? OT_APPLY_REVERT : 0, set[3], NULL);
out:
	ot_apply_memo_clear(&memo);
	return r;
}
