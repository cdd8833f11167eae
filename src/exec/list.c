/*
 * list.c - the instances created on this machine, from their journals
 * (`otnode list`, otdeploy --list through it, and otdeploy's local
 * transport). Contract in exec.h.
 */
#include "exec/exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "exec/journal.h"
#include "vocab/schema.h"

static void utc_text(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "?");
}

static json_t *list_entry(const struct ot_journal_image *im, bool here)
{
	json_t *e = json_object();
	char when[32];

	if (!e)
		return NULL;
	utc_text(im->meta.created, when, sizeof(when));
	json_object_set_new(e, "prefix", json_string(im->prefix));
	json_object_set_new(e, "instance", json_string(im->instance));
	json_object_set_new(e, "node", json_string(im->node));
	json_object_set_new(e, "topology", json_string(im->meta.topology ? im->meta.topology : ""));
	json_object_set_new(e, "created", json_integer(im->meta.created));
	json_object_set_new(e, "created_utc", json_string(when));
	json_object_set_new(e, "by", json_string(im->meta.by ? im->meta.by : ""));
	if (im->version >= 2)
		json_object_set_new(e, "uid", json_integer(im->meta.uid));
	json_object_set_new(e, "complete", json_boolean(im->complete));
	json_object_set_new(e, "records", json_integer((json_int_t)im->nrecs));
	json_object_set_new(e, "journal_version", json_integer(im->version));
	json_object_set_new(e, "here", json_boolean(here));
	return e;
}

json_t *ot_exec_list_json(const char *state_root, bool all, struct ot_error *err)
{
	struct ot_journal_image **v = NULL;
	unsigned long long self = 0;
	json_t *o, *arr;
	struct stat st;
	size_t n = 0, i;

	if (stat("/proc/self/ns/net", &st) == 0)
		self = (unsigned long long)st.st_ino;
	if (ot_journal_list(state_root ? state_root : OT_EXEC_STATE_ROOT, &v, &n, err) < 0)
		return NULL;
	o = json_object();
	arr = json_array();
	for (i = 0; i < n; i++) {
		bool here = !v[i]->meta.netns || !self || v[i]->meta.netns == self;

		if ((here || all) && arr)
			json_array_append_new(arr, list_entry(v[i], here));
		ot_journal_image_free(v[i]);
	}
	free(v);
	if (!o || !arr) {
		json_decref(o);
		json_decref(arr);
		ot_error_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	json_object_set_new(o, "schema", json_string(OT_SCHEMA_LIST));
	json_object_set_new(o, "netns", json_integer((json_int_t)self));
	json_object_set_new(o, "instances", arr);
	return o;
}
