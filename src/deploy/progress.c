/*
 * progress.c - rendering otdeploy's views and reports (contract in
 * progress.h). Pure functions of the engine's state: unit-tested without a
 * network.
 */
#include "deploy/progress.h"
#include "exec/classprobe.h"
#include "util/vec.h"
#include "util/clock.h"
#include "vocab/schema.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define C_RESET	 "\033[0m"
#define C_BOLD	 "\033[1m"
#define C_RED	 "\033[31m"
#define C_GREEN	 "\033[32m"
#define C_YELLOW "\033[33m"
#define C_CYAN	 "\033[36m"
#define C_DIM	 "\033[2m"

#define MATRIX_MAX_COLS 12 /* wider matrices are shown as a list */

static const char *state_color(enum ot_dstate s)
{
	switch (s) {
	case OT_DS_DONE:
		return C_GREEN;
	case OT_DS_FAILED:
		return C_RED;
	case OT_DS_ROLLED_BACK:
	case OT_DS_ROLLING_BACK:
		return C_YELLOW;
	case OT_DS_SKIPPED:
	case OT_DS_PENDING:
		return C_DIM;
	default:
		return C_CYAN;
	}
}

static double elapsed_s(const struct ot_deploy_node *n)
{
	long end;

	if (!n->t_begin)
		return 0;
	end = ot_dstate_final(n->state) && n->t_end ? n->t_end : ot_mono_ms();
	return (end - n->t_begin) / 1000.0;
}

static const char *target(const struct ot_deploy_node *n, char *buf, size_t size)
{
	if (n->local)
		return "local";
	snprintf(buf, size, "%s%s%s", n->user, n->user[0] ? "@" : "", n->addr);
	return buf;
}

/*
 * Append the first line of text in at most room columns. When it does not
 * fit, it is cut after the last whole word that leaves room for "..."
 * (and the separator before the cut dropped), never inside a word - but a
 * single word longer than the room, which has to be cut somewhere.
 */
static void clip(struct ot_strbuf *out, const char *text, size_t room)
{
	size_t len = strcspn(text, "\n"), cut;

	if (len <= room) {
		ot_sb_appendn(out, text, len);
		return;
	}
	if (room <= 3) {
		ot_sb_appendn(out, "...", room);
		return;
	}
	cut = room - 3;
	while (cut > 0 && text[cut] != ' ')
		cut--;
	if (cut == 0)
		cut = room - 3;
	while (cut > 1 && strchr(" ,;:(-", text[cut - 1]))
		cut--;
	ot_sb_appendn(out, text, cut);
	ot_sb_append(out, "...");
}

static void widths(const struct ot_deploy *d, int *wn, int *wt)
{
	char tb[340];
	size_t i;
	int l;

	*wn = 4;
	*wt = 6;
	for (i = 0; i < d->nnodes; i++) {
		l = (int)strlen(d->nodes[i].name);
		*wn = l > *wn ? l : *wn;
		l = (int)strlen(target(&d->nodes[i], tb, sizeof(tb)));
		*wt = l > *wt ? l : *wt;
	}
	*wn = *wn > 24 ? 24 : *wn;
	*wt = *wt > 32 ? 32 : *wt;
}

void ot_progress_view(const struct ot_deploy *d, bool color, unsigned width, struct ot_strbuf *out)
{
	struct ot_strbuf line = OT_STRBUF_INIT;
	char tb[340];
	int wn, wt;
	size_t i;

	widths(d, &wn, &wt);
	for (i = 0; i < d->nnodes; i++) {
		const struct ot_deploy_node *n = &d->nodes[i];
		const char *det = n->state == OT_DS_FAILED ? n->err.msg : n->detail;
		size_t visible;

		ot_sb_reset(&line);
		ot_sb_printf(&line, "%-*.*s %-*.*s ", wn, wn, n->name, wt, wt,
			     target(n, tb, sizeof(tb)));
		ot_sb_printf(&line, "%-12s %5.1fs  ", ot_dstate_name(n->state), elapsed_s(n));
		visible = line.len;
		if (width && visible < width)
			clip(&line, det, width - visible - 1);
		else if (!width)
			clip(&line, det, strlen(det));
		/* colour only the state word, after measuring */
		if (color) {
			size_t at = (size_t)wn + 1 + (size_t)wt + 1;

			ot_sb_appendn(out, line.buf, at);
			ot_sb_printf(out, "%s%-12s" C_RESET, state_color(n->state),
				     ot_dstate_name(n->state));
			ot_sb_append(out, line.buf + at + 12);
		} else {
			ot_sb_append(out, ot_sb_str(&line));
		}
		ot_sb_putc(out, '\n');
	}
	ot_sb_free(&line);
}

void ot_progress_event(const struct ot_deploy *d, size_t i, struct ot_strbuf *out)
{
	const struct ot_deploy_node *n = &d->nodes[i];
	const char *det = n->state == OT_DS_FAILED ? n->err.msg : n->detail;

	ot_sb_printf(out, "%s: %s%s%s%s\n", n->name, ot_dstate_name(n->state), det[0] ? " (" : "",
		     det, det[0] ? ")" : "");
}

/* Does text hold more than the one line `reason` already shows? */
static bool says_more(const char *text, const char *reason)
{
	const char *nl = strchr(text, '\n');
	size_t len;

	if (nl && nl[1])
		return true;
	if (!strncmp(text, "otnode: ", 8))
		text += 8;
	len = nl ? (size_t)(nl - text) : strlen(text);
	return len && !memmem(reason, strlen(reason), text, len);
}

void ot_progress_table(const struct ot_deploy *d, bool color, unsigned width, struct ot_strbuf *out)
{
	size_t i, counts[OT_DS__COUNT] = {0};
	char tb[340];
	int wn, wt, room;

	widths(d, &wn, &wt);
	room = (int)(width ? width : 120) - (wn + wt + 12 + 3 * 8 + 6);
	room = room < 20 ? 20 : room;
	ot_sb_printf(out, "%s%-*s %-*s %-12s %7s %7s %7s  %s%s\n", color ? C_BOLD : "", wn, "NODE",
		     wt, "TARGET", "RESULT", "CONNECT", "UPLOAD",
		     ot_deploy_action_name(d->opts.action), "DETAIL", color ? C_RESET : "");
	for (i = 0; i < d->nnodes; i++) {
		const struct ot_deploy_node *n = &d->nodes[i];
		const char *det = n->state == OT_DS_FAILED ? n->err.msg : n->detail;
		char up[16];

		counts[n->state]++;
		if (n->reused)
			snprintf(up, sizeof(up), "reused");
		else if (n->placed)
			snprintf(up, sizeof(up), "%.2fs", n->ms_upload / 1000.0);
		else
			snprintf(up, sizeof(up), "-");
		ot_sb_printf(out, "%-*.*s %-*.*s %s%-12s%s %6.2fs %7s %6.2fs  ", wn, wn, n->name,
			     wt, wt, target(n, tb, sizeof(tb)), color ? state_color(n->state) : "",
			     ot_dstate_name(n->state), color ? C_RESET : "", n->ms_connect / 1000.0,
			     up, n->ms_action / 1000.0);
		clip(out, det, (size_t)room);
		ot_sb_putc(out, '\n');
	}
	ot_sb_printf(out, "%s %zu node%s in %.2fs: %zu done", ot_deploy_action_name(d->opts.action),
		     d->nnodes, d->nnodes == 1 ? "" : "s", (d->t_end - d->t_begin) / 1000.0,
		     counts[OT_DS_DONE]);
	if (counts[OT_DS_FAILED])
		ot_sb_printf(out, ", %zu failed", counts[OT_DS_FAILED]);
	if (counts[OT_DS_ROLLED_BACK])
		ot_sb_printf(out, ", %zu rolled back", counts[OT_DS_ROLLED_BACK]);
	if (counts[OT_DS_SKIPPED])
		ot_sb_printf(out, ", %zu skipped", counts[OT_DS_SKIPPED]);
	ot_sb_putc(out, '\n');
	for (i = 0; i < d->nnodes; i++) {
		const struct ot_deploy_node *n = &d->nodes[i];

		if (n->state != OT_DS_FAILED)
			continue;
		ot_sb_printf(out, "%s: %s\n", n->name, n->err.msg);
		if (n->rollback_err.code && strcmp(n->rollback_err.msg, n->err.msg))
			ot_sb_printf(out, "%s: rollback: %s\n", n->name, n->rollback_err.msg);
		if (n->errout && says_more(n->errout, n->err.msg))
			ot_sb_printf(out, "%s: otnode said:\n%s%s", n->name, n->errout,
				     n->errout[strlen(n->errout) - 1] == '\n' ? "" : "\n");
		if (n->journal_left)
			ot_sb_printf(out,
				     "%s: state may be left on the host (its journal is kept): "
				     "run otdeploy --destroy once it is reachable\n",
				     n->name);
	}
	if (counts[OT_DS_ROLLED_BACK] && d->opts.action == OT_DEPLOY_APPLY)
		ot_sb_printf(out, "all or nothing: the other nodes went back to what they ran "
				  "(--keep-going keeps what they applied)\n");
	else if (counts[OT_DS_ROLLED_BACK])
		ot_sb_printf(out, "all or nothing: what the other nodes had created was destroyed "
				  "again (--keep-going keeps it)\n");
}

/* ---- status ---- */

#define STATUS_SHOW_MAX 10 /* objects listed per node */

void ot_progress_status(const struct ot_deploy *d, struct ot_strbuf *out)
{
	size_t i, k, shown;

	for (i = 0; i < d->nnodes; i++) {
		const struct ot_deploy_node *n = &d->nodes[i];
		json_t *j = n->output ? json_loads(n->output, 0, NULL) : NULL, *objs;

		if (!j)
			continue;
		if (!json_is_true(json_object_get(j, "created"))) {
			ot_sb_printf(out, "%s: not created\n", n->name);
			json_decref(j);
			continue;
		}
		ot_sb_printf(out, "%s: %lld ok, %lld missing, %lld drifted\n", n->name,
			     (long long)json_integer_value(json_object_get(j, "ok")),
			     (long long)json_integer_value(json_object_get(j, "missing")),
			     (long long)json_integer_value(json_object_get(j, "drift")));
		objs = json_object_get(j, "objects");
		for (k = 0, shown = 0; k < json_array_size(objs); k++) {
			json_t *o = json_array_get(objs, k);
			const char *st = json_string_value(json_object_get(o, "state"));
			const char *what = json_string_value(json_object_get(o, "object"));
			const char *det = json_string_value(json_object_get(o, "detail"));

			if (!st || !strcmp(st, "ok"))
				continue;
			if (shown++ == STATUS_SHOW_MAX) {
				ot_sb_printf(out, "  ... (all of them: --json)\n");
				break;
			}
			ot_sb_printf(out, "  %-8s %s%s%s\n", st, what ? what : "?",
				     det && *det ? ": " : "", det ? det : "");
		}
		json_decref(j);
	}
}

/* ---- the verify matrix ---- */

struct cell {
	const char *from; /* container */
	const char *to;
	bool expect_reach;
	bool pass;
	bool skipped;
	const char *outcome;
	const char *why;
};

static int find_name(const char **names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

/* Containers in node order, then namespace order: the matrix's diagonal. */
static size_t plan_rank(const struct ot_deploy *d, const char *name)
{
	size_t i, k, r = 0;

	for (i = 0; i < d->nnodes; i++)
		for (k = 0; k < d->nodes[i].plan->nns; k++, r++)
			if (d->nodes[i].plan->ns[k].container &&
			    !strcmp(d->nodes[i].plan->ns[k].container, name))
				return r;
	return (size_t)-1;
}

static void sort_by_plan_order(const struct ot_deploy *d, const char **v, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) /* insertion sort: n is small, stable */
		for (j = i; j > 0 && plan_rank(d, v[j - 1]) > plan_rank(d, v[j]); j--) {
			const char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

int ot_progress_verify_matrix(const struct ot_deploy *d, bool color, struct ot_strbuf *out)
{
	struct cell *cells = NULL;
	const char **rows = NULL, **cols = NULL;
	size_t ncells = 0, cap = 0, nrows = 0, ncols = 0, i, k, r, c;
	json_t **docs;
	int mismatches = 0, rc = 0;

	docs = calloc(d->nnodes ? d->nnodes : 1, sizeof(*docs));
	if (!docs)
		return -ENOMEM;
	for (i = 0; i < d->nnodes; i++) {
		const struct ot_deploy_node *n = &d->nodes[i];
		const struct ot_plan *p = n->plan;
		json_t *arr;

		if (n->state != OT_DS_DONE && !(n->state == OT_DS_FAILED && n->exit_status == 1))
			continue;
		docs[i] = n->output ? json_loads(n->output, 0, NULL) : NULL;
		arr = docs[i] ? json_object_get(docs[i], "probes") : NULL;
		if (!json_is_array(arr)) {
			ot_sb_printf(out, "%s: no probe results in the verify output\n", n->name);
			rc = -EINVAL;
			continue;
		}
		for (k = 0; k < json_array_size(arr); k++) {
			json_t *e = json_array_get(arr, k), *idx = json_object_get(e, "probe");
			size_t pi = json_is_integer(idx) ? (size_t)json_integer_value(idx) : k;
			const struct ot_probe *pr = pi < p->nprobes ? &p->probes[pi] : NULL;
			const char *from = json_string_value(json_object_get(e, "from"));
			const char *to = json_string_value(json_object_get(e, "to"));
			const char *ex = json_string_value(json_object_get(e, "expect"));
			const char *why = json_string_value(json_object_get(e, "why"));
			const char *oc = json_string_value(json_object_get(e, "outcome"));
			struct cell *x;

			/* otnode's own words first; the plan fills what it left out */
			if (!from && pr)
				from = p->ns[pr->from_ns].container;
			if (!to && pr)
				to = pr->to_container;
			if (!from || !to)
				continue;
			if (OT_VEC_RESERVE(cells, cap, ncells + 1) < 0) {
				rc = -ENOMEM;
				goto out;
			}
			x = &cells[ncells++];
			memset(x, 0, sizeof(*x));
			x->from = from;
			x->to = to;
			x->outcome = oc ? oc : "?";
			x->skipped = oc && !strcmp(oc, "skipped");
			x->pass = json_is_true(json_object_get(e, "pass"));
			x->expect_reach =
			    ex ? !strcmp(ex, "reach") : pr && pr->expect == OT_EXPECT_REACH;
			x->why = why ? why : pr && pr->why ? pr->why : "";
			if (!x->skipped && !x->pass)
				mismatches++;
			if (find_name(rows, nrows, x->from) < 0) {
				const char **nr = realloc(rows, (nrows + 1) * sizeof(*rows));

				if (!nr) {
					rc = -ENOMEM;
					goto out;
				}
				rows = nr;
				rows[nrows++] = x->from;
			}
			if (find_name(cols, ncols, x->to) < 0) {
				const char **nc = realloc(cols, (ncols + 1) * sizeof(*cols));

				if (!nc) {
					rc = -ENOMEM;
					goto out;
				}
				cols = nc;
				cols[ncols++] = x->to;
			}
		}
	}

	sort_by_plan_order(d, rows, nrows);
	sort_by_plan_order(d, cols, ncols);
	if (ncells == 0) {
		ot_sb_append(out,
			     "reachability: no probes (the topology expects nothing to check)\n");
		goto out;
	}
	if (ncols <= MATRIX_MAX_COLS) {
		int w = 6;

		for (r = 0; r < nrows; r++)
			w = (int)strlen(rows[r]) > w ? (int)strlen(rows[r]) : w;
		ot_sb_printf(out,
			     "reachability (rows: from, columns: to; reach/block = as the "
			     "topology says, FAIL = not):\n%*s",
			     w, "");
		for (c = 0; c < ncols; c++)
			ot_sb_printf(out, " %8.8s", cols[c]);
		ot_sb_putc(out, '\n');
		for (r = 0; r < nrows; r++) {
			ot_sb_printf(out, "%-*s", w, rows[r]);
			for (c = 0; c < ncols; c++) {
				const char *t = "-", *col = "";

				for (k = 0; k < ncells; k++) {
					if (strcmp(cells[k].from, rows[r]) ||
					    strcmp(cells[k].to, cols[c]))
						continue;
					if (cells[k].skipped)
						t = "skip";
					else if (!cells[k].pass)
						t = "FAIL", col = C_RED;
					else
						t = cells[k].expect_reach ? "reach" : "block",
						col = cells[k].expect_reach ? C_GREEN : C_YELLOW;
					break;
				}
				ot_sb_printf(out, " %s%8s%s", color ? col : "", t,
					     color && *col ? C_RESET : "");
			}
			ot_sb_putc(out, '\n');
		}
	}
	for (k = 0; k < ncells; k++)
		if (!cells[k].skipped && !cells[k].pass)
			ot_sb_printf(out, "MISMATCH %s -> %s: expected %s (%s), got %s\n",
				     cells[k].from, cells[k].to,
				     cells[k].expect_reach ? "reach" : "blocked", cells[k].why,
				     cells[k].outcome);
	ot_sb_printf(out, "reachability: %zu probes, %d mismatch%s\n", ncells, mismatches,
		     mismatches == 1 ? "" : "es");
out:
	for (i = 0; i < d->nnodes; i++)
		json_decref(docs[i]);
	free(docs);
	free(cells);
	free(rows);
	free(cols);
	if (rc < 0)
		return rc;
	return mismatches;
}

/* ---- JSON ---- */

int ot_progress_cross_classes(const struct ot_deploy *d, struct ot_strbuf *out)
{
	const struct ot_class_verify *cv = d->xclass;
	char a[OT_ADDR_STRLEN], live[160];
	size_t i;

	if (!cv) {
		if (d->xclass_note[0])
			ot_sb_printf(out, "across nodes by class: %s\n", d->xclass_note);
		return d->xclass_failed ? 1 : 0;
	}
	for (i = 0; i < cv->n; i++) {
		const struct ot_class_check *k = &cv->v[i];

		if (k->pass)
			continue;
		ot_addr_format(&k->addr, a, sizeof(a));
		ot_class_check_live_text(k, live, sizeof(live));
		ot_sb_printf(out,
			     "MISMATCH %s -> %s (%s) %s: reach says %s%s%s:%u (%s), live: %s\n",
			     k->from, k->to, a, k->cls, k->want, k->want_at ? " at " : "",
			     k->want_at ? k->want_at : "", k->want_port, k->why, live);
	}
	ot_sb_printf(out,
		     "across nodes by class (tcp/udp/icmp, pairs on different nodes): "
		     "%zu pass, %zu fail\n",
		     cv->n - cv->nfail, cv->nfail);
	return (int)cv->nfail;
}

json_t *ot_deploy_to_json(const struct ot_deploy *d)
{
	json_t *root = json_object(), *nodes = json_array();
	char tb[340];
	size_t i;
	bool ok = !d->failed;

	if (!root || !nodes) {
		json_decref(root);
		json_decref(nodes);
		return NULL;
	}
	json_object_set_new(root, "schema", json_string(OT_SCHEMA_DEPLOY));
	json_object_set_new(root, "action", json_string(ot_deploy_action_name(d->opts.action)));
	json_object_set_new(root, "ok", json_boolean(ok));
	json_object_set_new(root, "rolled_back", json_boolean(d->rolled_back));
	json_object_set_new(root, "seconds", json_real((d->t_end - d->t_begin) / 1000.0));
	for (i = 0; i < d->nnodes; i++) {
		const struct ot_deploy_node *n = &d->nodes[i];
		json_t *o = json_object(), *parsed = NULL;

		if (!o)
			break;
		json_object_set_new(o, "node", json_string(n->name));
		json_object_set_new(o, "target", json_string(target(n, tb, sizeof(tb))));
		json_object_set_new(o, "result", json_string(ot_dstate_name(n->state)));
		json_object_set_new(o, "reused", json_boolean(n->reused));
		if (n->sha256[0]) /* not when apply ran the node's otnode as it was */
			json_object_set_new(o, "sha256", json_string(n->sha256));
		json_object_set_new(o, "connect_s", json_real(n->ms_connect / 1000.0));
		json_object_set_new(o, "upload_s", json_real(n->ms_upload / 1000.0));
		json_object_set_new(o, "preflight_s", json_real(n->ms_preflight / 1000.0));
		json_object_set_new(o, "action_s", json_real(n->ms_action / 1000.0));
		if (n->exit_status >= 0)
			json_object_set_new(o, "exit_status", json_integer(n->exit_status));
		if (n->state == OT_DS_FAILED)
			json_object_set_new(o, "error", json_string(n->err.msg));
		if (n->rollback_err.code)
			json_object_set_new(o, "rollback_error", json_string(n->rollback_err.msg));
		if (n->journal_left)
			json_object_set_new(o, "journal_left", json_true());
		if (n->output && n->output[0])
			parsed = json_loads(n->output, 0, NULL);
		if (parsed)
			json_object_set_new(o, "output", parsed);
		else if (n->output && n->output[0])
			json_object_set_new(o, "output", json_string(n->output));
		if (n->errout && n->errout[0])
			json_object_set_new(o, "stderr", json_string(n->errout));
		json_array_append_new(nodes, o);
	}
	json_object_set_new(root, "nodes", nodes);
	if (d->xclass || d->xclass_note[0]) {
		json_t *x = json_object(), *arr = json_array();

		for (i = 0; d->xclass && x && arr && i < d->xclass->n; i++) {
			const struct ot_class_check *k = &d->xclass->v[i];
			char a[OT_ADDR_STRLEN], live[160];

			ot_addr_format(&k->addr, a, sizeof(a));
			ot_class_check_live_text(k, live, sizeof(live));
			json_array_append_new(
			    arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "from", k->from, "to",
					   k->to, "address", a, "class", k->cls, "reach", k->want,
					   "live", live, "pass", k->pass));
		}
		if (x && arr) {
			json_object_set_new(x, "probes", arr);
			json_object_set_new(
			    x, "fail", json_integer(d->xclass ? (json_int_t)d->xclass->nfail : 0));
			if (d->xclass_note[0])
				json_object_set_new(x, "note", json_string(d->xclass_note));
			json_object_set_new(root, "cross_classes", x);
		} else {
			json_decref(x);
			json_decref(arr);
		}
	}
	return root;
}
