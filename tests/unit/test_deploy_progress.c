/*
 * test_deploy_progress.c - otdeploy's rendering (live view, events, table,
 * verify matrix, JSON) and SSH target parsing, on hand-made engine states:
 * no network, no threads.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "deploy/deploy.h"
#include "deploy/progress.h"

static struct ot_host hosts[2] = {
    {.name = "n1", .ssh_target = "root@192.0.2.11"},
    {.name = "n2", .ssh_target = "admin@[2001:db8::2]", .ssh_port = 2222},
};

/* Two nodes, their plans with one probe each (web -> db, db -> web). */
static struct ot_plan *mkplan(const char *node, const char *cont, const char *to, enum ot_expect ex)
{
	struct ot_plan *p = ot_plan_new();
	int ns, pr;

	cr_assert(p);
	p->node = ot_plan_strdup(p, node);
	p->prefix = ot_plan_strdup(p, node[1] == '1' ? "demo.n1" : "demo.n2");
	ns = ot_plan_add_ns(p, OT_NS_CONTAINER, node[1] == '1' ? "demo.n1.web" : "demo.n2.db");
	p->ns[ns].container = ot_plan_strdup(p, cont);
	pr = ot_plan_add_probe(p);
	p->probes[pr].from_ns = ns;
	p->probes[pr].to_container = ot_plan_strdup(p, to);
	p->probes[pr].to_node = ot_plan_strdup(p, node[1] == '1' ? "n2" : "n1");
	p->probes[pr].expect = ex;
	p->probes[pr].why = ot_plan_strdup(p, "dropped by db's firewall (t.otp:9)");
	return p;
}

static void mkdeploy(struct ot_deploy *d, struct ot_deploy_node *nodes, struct ot_plan **plans)
{
	struct ot_deploy_opts o = {.action = OT_DEPLOY_VERIFY};
	struct ot_error err = {0};

	plans[0] = mkplan("n1", "web", "db", OT_EXPECT_BLOCKED);
	plans[1] = mkplan("n2", "db", "web", OT_EXPECT_REACH);
	memset(nodes, 0, 2 * sizeof(*nodes));
	nodes[0].name = "n1";
	nodes[0].host = &hosts[0];
	nodes[0].plan = plans[0];
	nodes[1].name = "n2";
	nodes[1].host = &hosts[1];
	nodes[1].plan = plans[1];
	cr_assert_eq(ot_deploy_init(d, nodes, 2, &o, &err), 0, "%s", err.msg);
}

Test(deploy, init_derives_targets_and_paths)
{
	struct ot_deploy_node nodes[2];
	struct ot_plan *plans[2];
	struct ot_deploy d;

	mkdeploy(&d, nodes, plans);
	cr_assert_str_eq(nodes[0].user, "root");
	cr_assert_str_eq(nodes[0].addr, "192.0.2.11");
	cr_assert_str_eq(nodes[0].rexe, "/var/lib/opentop/demo.n1/otnode");
	cr_assert_str_eq(nodes[1].user, "admin");
	cr_assert_str_eq(nodes[1].addr, "2001:db8::2");
	ot_deploy_fini(&d);
	ot_plan_free(plans[0]);
	ot_plan_free(plans[1]);
}

Test(deploy, targets_are_checked)
{
	char u[64], h[256];
	struct ot_error err = {0};

	cr_assert_eq(ot_deploy_parse_target("root@h1", NULL, u, sizeof(u), h, sizeof(h), &err), 0);
	cr_assert_str_eq(u, "root");
	cr_assert_str_eq(h, "h1");
	cr_assert_eq(ot_deploy_parse_target("root@h1", "ops", u, sizeof(u), h, sizeof(h), &err), 0);
	cr_assert_str_eq(u, "ops");
	/* no user: the SSH config's User (or the local user) decides at connect */
	cr_assert_eq(ot_deploy_parse_target("alias-n1", NULL, u, sizeof(u), h, sizeof(h), &err), 0);
	cr_assert_str_eq(u, "");
	cr_assert_str_eq(h, "alias-n1");
	cr_assert_eq(ot_deploy_parse_target("@h1", NULL, u, sizeof(u), h, sizeof(h), &err),
		     -EINVAL);
	cr_assert_eq(ot_deploy_parse_target("root@", NULL, u, sizeof(u), h, sizeof(h), &err),
		     -EINVAL);
	cr_assert_eq(
	    ot_deploy_parse_target("-oProxyCommand=x", NULL, u, sizeof(u), h, sizeof(h), &err),
	    -EINVAL);
	cr_assert_eq(
	    ot_deploy_parse_target("root@h1;reboot", NULL, u, sizeof(u), h, sizeof(h), &err),
	    -EINVAL);
}

Test(deploy, local_targets_need_the_flag)
{
	struct ot_host lh = {.name = "n1", .ssh_target = "local"};
	struct ot_deploy_node n = {0};
	struct ot_deploy_opts o = {0};
	struct ot_plan *p = mkplan("n1", "web", "db", OT_EXPECT_REACH);
	struct ot_error err = {0};
	struct ot_deploy d;

	n.name = "n1";
	n.host = &lh;
	n.plan = p;
	cr_assert_eq(ot_deploy_init(&d, &n, 1, &o, &err), -EINVAL);
	cr_assert(strstr(err.msg, "--local"), "%s", err.msg);
	ot_deploy_fini(&d);
	o.local_ok = true;
	cr_assert_eq(ot_deploy_init(&d, &n, 1, &o, &err), 0, "%s", err.msg);
	cr_assert(n.local);
	ot_deploy_fini(&d);
	ot_plan_free(p);
}

Test(deploy, bad_remote_dir_is_refused_before_connecting)
{
	struct ot_host bh = {.name = "n1", .ssh_target = "root@h", .dir = "/var/../etc"};
	struct ot_deploy_node n = {0};
	struct ot_deploy_opts o = {0};
	struct ot_plan *p = mkplan("n1", "web", "db", OT_EXPECT_REACH);
	struct ot_error err = {0};
	struct ot_deploy d;

	n.name = "n1";
	n.host = &bh;
	n.plan = p;
	cr_assert_eq(ot_deploy_init(&d, &n, 1, &o, &err), -EINVAL);
	cr_assert(strstr(err.msg, "n1") && strstr(err.msg, ".."), "%s", err.msg);
	ot_deploy_fini(&d);
	ot_plan_free(p);
}

Test(progress, view_event_and_table)
{
	struct ot_deploy_node nodes[2];
	struct ot_plan *plans[2];
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_deploy d;
	const char *s;

	mkdeploy(&d, nodes, plans);
	nodes[0].state = OT_DS_UPLOADING;
	snprintf(nodes[0].detail, sizeof(nodes[0].detail), "1.4 MB");
	nodes[1].state = OT_DS_FAILED;
	ot_error_set(&nodes[1].err, -ECONNREFUSED, "cannot connect: Connection refused");
	d.failed = true;

	ot_progress_view(&d, false, 100, &sb);
	s = ot_sb_str(&sb);
	cr_assert(strstr(s, "n1") && strstr(s, "uploading") && strstr(s, "1.4 MB"), "%s", s);
	cr_assert(strstr(s, "failed") && strstr(s, "Connection refused"), "%s", s);
	/* exactly one line per node, none wider than asked */
	cr_assert_eq(strchr(strchr(s, '\n') + 1, '\n')[1], '\0');
	for (const char *l = s; *l; l = strchr(l, '\n') + 1)
		cr_assert_leq(strchr(l, '\n') - l, 100, "line too wide: %s", l);

	ot_sb_reset(&sb);
	ot_progress_event(&d, 0, &sb);
	cr_assert_str_eq(ot_sb_str(&sb), "n1: uploading (1.4 MB)\n");

	ot_sb_reset(&sb);
	ot_progress_table(&d, false, 0, &sb);
	s = ot_sb_str(&sb);
	cr_assert(strstr(s, "NODE") && strstr(s, "1 failed"), "%s", s);
	cr_assert(strstr(s, "n2: cannot connect: Connection refused"), "%s", s);
	ot_sb_free(&sb);
	ot_deploy_fini(&d);
	ot_plan_free(plans[0]);
	ot_plan_free(plans[1]);
}

/* The detail shown for a failed node ("..." at the end when cut) is a whole
 * number of words of its first line. */
static void assert_whole_words(const char *shown, const char *msg, const char *where)
{
	size_t len = strcspn(shown, "\n"), first = strcspn(msg, "\n");

	if (len == first && !strncmp(shown, msg, len))
		return;
	cr_assert(len > 3 && !strncmp(shown + len - 3, "...", 3), "%s: cut without '...': '%.*s'",
		  where, (int)len, shown);
	len -= 3;
	cr_assert(!strncmp(shown, msg, len), "%s: '%.*s' is not the message's start", where,
		  (int)len, shown);
	cr_assert(len == 0 || strchr(" ,;:(-", msg[len]), "%s: cut inside a word: '%.*s|%s'", where,
		  (int)len, shown, msg + len);
}

Test(progress, errors_are_cut_between_words)
{
	static const char msg[] =
	    "create vxlan 'vx-lan' (VNI 5109222) in otd1.n3.c (three.otp:16): "
	    "Address already in use (rolled back)\nsecond line";
	struct ot_deploy_node nodes[2];
	struct ot_plan *plans[2];
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_deploy d;
	unsigned w;

	mkdeploy(&d, nodes, plans);
	nodes[1].state = OT_DS_FAILED;
	ot_error_set(&nodes[1].err, -EADDRINUSE, "%s", msg);
	for (w = 60; w <= 160; w++) {
		const char *row, *at;
		char where[32];

		ot_sb_reset(&sb);
		ot_progress_view(&d, false, w, &sb);
		row = strstr(ot_sb_str(&sb), "\nn2 ");
		cr_assert(row, "%s", ot_sb_str(&sb));
		cr_assert_leq(strcspn(row + 1, "\n"), w, "view line wider than %u", w);
		at = strstr(row, "create vxlan");
		cr_assert(at && at < row + 1 + strcspn(row + 1, "\n"), "view at %u: %s", w, row);
		snprintf(where, sizeof(where), "view at %u", w);
		assert_whole_words(at, msg, where);

		ot_sb_reset(&sb);
		ot_progress_table(&d, false, w, &sb);
		row = strstr(ot_sb_str(&sb), "\nn2 ");
		cr_assert(row, "%s", ot_sb_str(&sb));
		at = strstr(row, "create vxlan");
		cr_assert(at && at < row + 1 + strcspn(row + 1, "\n"), "table at %u: %s", w, row);
		snprintf(where, sizeof(where), "table at %u", w);
		assert_whole_words(at, msg, where);
	}
	ot_sb_free(&sb);
	ot_deploy_fini(&d);
	ot_plan_free(plans[0]);
	ot_plan_free(plans[1]);
}

Test(progress, verify_matrix_counts_mismatches)
{
	struct ot_deploy_node nodes[2];
	struct ot_plan *plans[2];
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_deploy d;

	mkdeploy(&d, nodes, plans);
	nodes[0].state = OT_DS_DONE;
	nodes[0].output =
	    strdup("{\"probes\":[{\"probe\":0,\"outcome\":\"silent\",\"pass\":true}]}");
	nodes[1].state = OT_DS_FAILED;
	nodes[1].exit_status = 1;
	nodes[1].output =
	    strdup("{\"probes\":[{\"probe\":0,\"outcome\":\"silent\",\"pass\":false}]}");
	cr_assert_eq(ot_progress_verify_matrix(&d, false, &sb), 1);
	cr_assert(strstr(ot_sb_str(&sb), "MISMATCH db -> web: expected reach"), "%s",
		  ot_sb_str(&sb));
	cr_assert(strstr(ot_sb_str(&sb), "block"), "%s", ot_sb_str(&sb));

	/* unreadable output is an error, not a pass */
	free(nodes[0].output);
	nodes[0].output = strdup("not json");
	ot_sb_reset(&sb);
	cr_assert_eq(ot_progress_verify_matrix(&d, false, &sb), -EINVAL);
	ot_sb_free(&sb);
	ot_deploy_fini(&d);
	ot_plan_free(plans[0]);
	ot_plan_free(plans[1]);
}

Test(progress, json_report)
{
	struct ot_deploy_node nodes[2];
	struct ot_plan *plans[2];
	struct ot_deploy d;
	json_t *j, *n;

	mkdeploy(&d, nodes, plans);
	nodes[0].state = OT_DS_DONE;
	nodes[0].output = strdup("{\"ok\":3}");
	nodes[1].state = OT_DS_FAILED;
	ot_error_set(&nodes[1].err, -EBADMSG, "checksum mismatch after upload");
	d.failed = true;
	j = ot_deploy_to_json(&d);
	cr_assert(j);
	cr_assert(json_is_false(json_object_get(j, "ok")));
	n = json_array_get(json_object_get(j, "nodes"), 1);
	cr_assert_str_eq(json_string_value(json_object_get(n, "result")), "failed");
	cr_assert_str_eq(json_string_value(json_object_get(n, "error")),
			 "checksum mismatch after upload");
	n = json_array_get(json_object_get(j, "nodes"), 0);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(n, "output"), "ok")), 3);
	json_decref(j);
	ot_deploy_fini(&d);
	ot_plan_free(plans[0]);
	ot_plan_free(plans[1]);
}
