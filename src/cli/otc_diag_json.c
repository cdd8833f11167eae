/*
 * otc_diag_json.c - the compiler's diagnostics (lang/diag.h) as JSON, for
 * `otc check --json` (schema opentop-check/1, docs/otc.1.md): the same
 * records ot_diags_render() prints as text, one object each, in the same
 * order. Here rather than in src/lang because the front end is also built
 * without jansson (the parser fuzzers); only otc needs this form.
 */
#include <jansson.h>

#include "cli/otc.h"

/* A location's file, line and column; null where the location has none
 * (line 0: "cannot read" has no position in the file). */
static void loc_set(json_t *o, const struct ot_loc *l)
{
	json_object_set_new(o, "file", l->file ? json_string(l->file) : json_null());
	json_object_set_new(o, "line", l->line ? json_integer(l->line) : json_null());
	json_object_set_new(o, "column", l->line ? json_integer(l->col) : json_null());
}

/* Append {file, line, column, message} to rel when msg is given. */
static void related(json_t *rel, const struct ot_loc *l, const char *msg)
{
	json_t *r;

	if (!msg || !(r = json_object()))
		return;
	loc_set(r, l);
	json_object_set_new(r, "message", json_string(msg));
	json_array_append_new(rel, r);
}

/*
 * One diagnostic: file, line, column, end_column (the last column the
 * caret span covers, inclusive; = column for a single caret), severity
 * ("error" or "warning"), message, hint (null if none), related (the
 * other locations it names, each {file, line, column, message}).
 */
static json_t *diag_json(const struct ot_diag *g)
{
	json_t *o = json_object(), *rel = json_array();

	if (!o || !rel) {
		json_decref(o);
		json_decref(rel);
		return NULL;
	}
	loc_set(o, &g->loc);
	json_object_set_new(o, "end_column",
			    g->loc.line
				? json_integer(g->loc.col + (g->loc.len > 1 ? g->loc.len - 1 : 0))
				: json_null());
	json_object_set_new(o, "severity",
			    json_string(g->level == OT_DIAG_ERROR ? "error" : "warning"));
	json_object_set_new(o, "message", json_string(g->msg ? g->msg : ""));
	json_object_set_new(o, "hint", g->hint ? json_string(g->hint) : json_null());
	related(rel, &g->note_loc, g->note);
	related(rel, &g->via_loc, g->via); /* the template use it came through */
	json_object_set_new(o, "related", rel);
	return o;
}

int otc_diags_json(struct ot_diags *d, json_t *doc)
{
	json_t *arr = json_array();
	size_t i;

	if (!arr)
		return -1;
	ot_diags_sort(d);
	for (i = 0; i < d->n; i++)
		if (json_array_append_new(arr, diag_json(&d->v[i])) < 0) {
			json_decref(arr);
			return -1;
		}
	if (json_object_set_new(doc, "diagnostics", arr) < 0 ||
	    json_object_set_new(doc, "errors", json_integer((json_int_t)(d->errors))) < 0 ||
	    json_object_set_new(doc, "warnings", json_integer((json_int_t)d->warnings)) < 0 ||
	    json_object_set_new(doc, "dropped", json_integer((json_int_t)d->dropped)) < 0)
		return -1;
	return 0;
}
