/*
 * test_parse.c - the .otp parser: the tree of every statement kind, every
 * syntax error of a file in one run (with positions and hints), limits on
 * nesting, name binding in expressions, and includes from real files.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lang/parse.h"
#include "model/model.h"
#include "plan/plan.h"
#include "util/strbuf.h"

static struct ot_diags d;
static struct ot_ast *ast;
static struct ot_strbuf errs = OT_STRBUF_INIT;

/* Parse text; errs gets one "LINE:COL: message" line per error, sorted. */
static int parse(const char *text)
{
	size_t i;
	int r;

	ot_diags_init(&d);
	ot_sb_reset(&errs);
	r = ot_ast_parse_mem("t.otp", text, strlen(text), NULL, &d, &ast);
	ot_diags_sort(&d);
	for (i = 0; i < d.n; i++)
		ot_sb_printf(&errs, "%u:%u: %s\n", d.v[i].loc.line, d.v[i].loc.col, d.v[i].msg);
	return r;
}

static void done(void)
{
	ot_ast_free(ast);
	ast = NULL;
	ot_diags_free(&d);
	ot_sb_free(&errs);
}

static const char *hint_of(const char *msg_part)
{
	size_t i;

	for (i = 0; i < d.n; i++)
		if (strstr(d.v[i].msg, msg_part))
			return d.v[i].hint ? d.v[i].hint : "";
	return NULL;
}

Test(parse, statements_and_tree)
{
	const struct ot_ast_stmt *st, *b;

	cr_assert_eq(
	    parse("topology demo\n"
		  "param N = 2 * (3 + 1)\n"
		  "vxlan port 4790\n"
		  "node n1\n"
		  "network lan {\n"
		  "    subnet 10.0.0.0/24 fd00::/64\n"
		  "    vni 100; mtu 1400\n"
		  "    bridge always\n"
		  "    uplink on n1 address 10.0.0.1/24 masquerade out eth0\n"
		  "}\n"
		  "link a.e1 -- b.e1 mtu 9000\n"
		  "container web on node[N - 1] {\n"
		  "    isolate net uts pid\n"
		  "    iface eth0 on lan address 10.0.0.5/24 fd00::5/64 mac 02:00:00:00:00:05 mtu "
		  "1400\n"
		  "    iface m0 macvlan eth1 mode vepa\n"
		  "    route default via 10.0.0.1 metric 5\n"
		  "    sysctl net.ipv4.tcp_rmem = 4096 87380 6291456\n"
		  "    forward\n"
		  "    firewall { allow in tcp dport 80 from 10.0.0.0/24; policy in drop }\n"
		  "    nat { masquerade out eth0; dnat in eth0 tcp dport 8080 to 10.0.0.9:80 }\n"
		  "    limit cpu 50% memory 256M\n"
		  "    ranks 0..3, 8\n"
		  "}\n"),
	    0, "%s", ot_sb_str(&errs));
	cr_assert_eq(d.errors, 0);
	cr_assert_str_eq(ast->topology->lit, "demo");
	cr_assert_eq(ast->nparams, 1);
	cr_assert_str_eq(ast->params[0].name, "N");
	cr_assert_eq(ast->params[0].value->kind, OT_E_MUL);
	st = ast->stmts->next; /* param */
	cr_assert_eq(st->kind, OT_A_PARAM);
	st = st->next;
	cr_assert_eq(st->kind, OT_A_VXLAN_PORT);
	cr_assert_str_eq(st->u.w->lit, "4790");
	st = st->next;
	cr_assert_eq(st->kind, OT_A_NODE);
	st = st->next;
	cr_assert_eq(st->kind, OT_A_NETWORK);
	b = st->body;
	cr_assert_eq(b->kind, OT_A_SUBNET);
	cr_assert_eq(b->u.list.n, 2);
	cr_assert_eq(b->next->kind, OT_A_VNI);
	cr_assert_eq(b->next->next->kind, OT_A_MTU, "';' separates statements");
	b = b->next->next->next->next;
	cr_assert_eq(b->kind, OT_A_UPLINK);
	cr_assert(b->u.uplink.masquerade);
	cr_assert_str_eq(b->u.uplink.out->lit, "eth0");
	st = st->next;
	cr_assert_eq(st->kind, OT_A_LINK);
	cr_assert_str_eq(st->u.link.a->lit, "a.e1");
	cr_assert_str_eq(st->u.link.mtu->lit, "9000");
	st = st->next;
	cr_assert_eq(st->kind, OT_A_CONTAINER);
	cr_assert_eq(st->u.named.node->nsegs, 1);
	cr_assert(st->u.named.node->segs[0].index);
	cr_assert_eq(st->u.named.node->segs[0].e->kind, OT_E_SUB);
	cr_assert_eq(st->u.named.node->segs[0].e->l->kind, OT_E_PARAM);
	b = st->body;
	cr_assert_eq(b->kind, OT_A_ISOLATE);
	cr_assert_eq(b->u.isolate.mask, OT_ISO_NET | OT_ISO_UTS | OT_ISO_PID);
	b = b->next;
	cr_assert_eq(b->kind, OT_A_IFACE);
	cr_assert_eq(b->u.iface.kind, OT_AI_NET);
	cr_assert_eq(b->u.iface.naddrs, 2);
	cr_assert_str_eq(b->u.iface.mac->lit, "02:00:00:00:00:05");
	b = b->next;
	cr_assert_eq(b->u.iface.kind, OT_AI_MACVLAN);
	cr_assert_eq(b->u.iface.mode, OT_MACVLAN_VEPA);
	b = b->next;
	cr_assert_eq(b->kind, OT_A_ROUTE);
	cr_assert_null(b->u.route.dst, "default");
	b = b->next;
	cr_assert_eq(b->kind, OT_A_SYSCTL);
	cr_assert_eq(b->u.sysctl.nvals, 3);
	b = b->next->next;
	cr_assert_eq(b->kind, OT_A_FIREWALL);
	cr_assert_eq(b->body->kind, OT_A_RULE);
	cr_assert_eq(b->body->u.rule.proto, 6);
	cr_assert_eq(b->body->next->kind, OT_A_POLICY);
	cr_assert(b->body->next->u.policy.drop);
	b = b->next;
	cr_assert_eq(b->body->kind, OT_A_MASQUERADE);
	cr_assert_eq(b->body->next->kind, OT_A_DNAT);
	cr_assert_str_eq(b->body->next->u.nat.to->lit, "10.0.0.9:80");
	b = b->next;
	cr_assert_eq(b->kind, OT_A_LIMIT);
	cr_assert_str_eq(b->u.limit.cpu->lit, "50%");
	cr_assert_null(b->u.limit.pids);
	b = b->next;
	cr_assert_eq(b->kind, OT_A_RANKS);
	cr_assert_eq(b->u.list.n, 2);
	done();
}

Test(parse, templates_split_into_segments)
{
	const struct ot_ast_word *w;

	cr_assert_eq(parse("topology t\nfor i in 0..3 {\n container r{i}x{i * 2:02x} on n1 {\n"
			   "  iface e on n mac 02:00:00:00:00:{i:X}\n }\n}\n"),
		     0, "%s", ot_sb_str(&errs));
	w = ast->stmts->next->body->u.named.name;
	cr_assert_null(w->lit);
	cr_assert_eq(w->nsegs, 2);
	cr_assert_eq(w->segs[0].len, 1);
	cr_assert(memcmp(w->segs[0].text, "r", 1) == 0);
	cr_assert_eq(w->segs[0].e->kind, OT_E_VAR);
	cr_assert_eq(w->segs[0].conv, 'd');
	cr_assert_eq(w->segs[1].width, 2);
	cr_assert_eq(w->segs[1].conv, 'x');
	cr_assert_eq(w->segs[1].e->kind, OT_E_MUL);
	/* the template's expression has the column of its text */
	cr_assert_eq(w->segs[1].e->loc.col, 18);
	cr_assert_eq(w->segs[1].e->loc.len, 5);
	w = ast->stmts->next->body->body->u.iface.mac;
	cr_assert_eq(w->segs[0].conv, 'X');
	done();
}

Test(parse, every_syntax_error_in_one_run)
{
	cr_assert_eq(parse("topology t\n"
			   "netwrok lan\n" /* 2: unknown statement */
			   "network lan {\n"
			   "    subnet\n"	     /* 4: missing value */
			   "    iface eth0 on lan\n" /* 5: wrong block */
			   "}\n"
			   "container a on n1 {\n"
			   "    iface eth0 on lan maac 02:00:00:00:00:01\n" /* 8: unknown option */
			   "    isolate net utss\n"			    /* 9: bad kind */
			   "    route default\n"			    /* 10: no via/dev */
			   "}\n"
			   "container b n1\n"				      /* 12: missing on */
			   "}\n"					      /* 13: stray brace */
			   "for i in 0..3 { container c{i} on n1 } extra\n"), /* 14 */
		     -EINVAL);
	cr_assert_str_eq(
	    ot_sb_str(&errs),
	    "2:1: unknown statement 'netwrok' at top level\n"
	    "4:11: expected a subnet such as 10.0.0.0/24, found end of line\n"
	    "5:5: 'iface' is not allowed in a network block\n"
	    "8:23: unexpected 'maac' in 'iface' statement\n"
	    "9:17: expected a namespace kind (net uts ipc pid mount cgroup), found 'utss'\n"
	    "10:5: a route needs 'via ADDRESS' or 'dev INTERFACE'\n"
	    "12:13: expected 'on' and a node after the container name, found 'n1'\n"
	    "13:1: unexpected '}': no block is open here\n"
	    "14:40: unexpected 'extra' after the 'for' statement\n");
	cr_assert_str_eq(hint_of("netwrok"), "did you mean 'network'?");
	cr_assert_str_eq(hint_of("'iface' is not"), "'iface' belongs in a container block");
	cr_assert_str_eq(hint_of("maac"), "did you mean 'mac'?");
	cr_assert_str_eq(hint_of("utss"), "did you mean 'uts'?");
	cr_assert_not_null(ast, "the tree of what parsed is returned with the errors");
	done();
}

Test(parse, first_statement_is_topology)
{
	cr_assert_eq(parse("network lan\ntopology t\n"), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "1:1: a topology file must start with 'topology NAME'\n");
	done();
	cr_assert_eq(parse("# only a comment\n\n"), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs), "1:1: empty topology: expected 'topology NAME'\n");
	done();
	cr_assert_eq(parse("topology a\ntopology b\n"), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs), "2:1: duplicate 'topology' statement\n");
	cr_assert_eq(d.v[0].note_loc.line, 1);
	done();
}

Test(parse, unterminated_block_reported_once)
{
	cr_assert_eq(parse("topology t\ncontainer a on n1 {\n  firewall {\n    allow in icmp\n"),
		     -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs), "3:12: unterminated block: missing '}'\n");
	done();
}

Test(parse, block_and_statement_recovery_skip_nested_blocks)
{
	/* the broken header's whole block is skipped, the next statement parses */
	cr_assert_eq(parse("topology t\ncontainer a n1 {\n  bogus { { } }\n  more\n}\n"
			   "network lan {\n  vni 1 2\n}\n"),
		     -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "2:13: expected 'on' and a node after the container name, found 'n1'\n"
			 "7:9: unexpected '2' after the 'vni' statement\n");
	done();
}

Test(parse, expressions_bind_names)
{
	cr_assert_eq(parse("topology t\nparam A = B + 1\nparam B = 2\nparam A = 3\n"
			   "for i in 0..A { for i in 0..1 { node n{i} } }\n"
			   "for B in 0..1 { node m{B} }\n"
			   "for k in 0..1 { node q{kk} node r{j} }\n"),
		     -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "2:11: param 'B' is used before it is defined\n"
			 "4:7: duplicate param 'A'\n"
			 "5:21: loop variable 'i' is already used by an enclosing loop\n"
			 "6:5: loop variable 'B' has the name of a param\n"
			 "7:24: unknown name 'kk'\n"
			 "7:28: unexpected 'node' after the 'node' statement\n");
	done();
}

Test(parse, expression_errors)
{
	cr_assert_eq(parse("topology t\nparam A = (1 + 2\nparam B = 1 +\nparam C = 3 4\n"
			   "node n{}\nnode m{1:q}\nnode o{1 2}\nfor i in 0 to 3 {\n}\n"),
		     -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "2:17: expected ')', found end of line\n"
			 "3:14: expected a number, a name or '(', found end of line\n"
			 "4:13: unexpected '4' after the 'param' statement\n"
			 "5:7: empty template\n"
			 "6:9: invalid template format ':q'\n"
			 "7:10: unexpected '2' in template\n"
			 "8:12: expected '..' in the loop range, found 'to'\n");
	done();
}

Test(parse, nesting_limits)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	int i;

	ot_sb_append(&sb, "topology t\n");
	for (i = 0; i < 9; i++)
		ot_sb_printf(&sb, "for v%d in 0..1 {\n", i);
	ot_sb_append(&sb, "node n\n");
	for (i = 0; i < 9; i++)
		ot_sb_append(&sb, "}\n");
	cr_assert_eq(parse(ot_sb_str(&sb)), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs), "10:1: loops nested too deeply (the limit is 8)\n");
	done();

	ot_sb_reset(&sb);
	ot_sb_append(&sb, "topology t\nparam P = ");
	for (i = 0; i < 100000; i++)
		ot_sb_putc(&sb, '(');
	ot_sb_append(&sb, "1\n");
	cr_assert_eq(parse(ot_sb_str(&sb)), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "2:76: expression nested too deeply (the limit is 64)\n");
	done();

	ot_sb_reset(&sb);
	ot_sb_append(&sb, "topology t\n");
	for (i = 0; i < 100000; i++)
		ot_sb_putc(&sb, '{');
	ot_sb_append(&sb, "\n");
	cr_assert_eq(parse(ot_sb_str(&sb)), -EINVAL, "a brace storm is skipped, not recursed");
	cr_assert_eq(d.errors, 1, "%s", ot_sb_str(&errs));
	done();
	ot_sb_free(&sb);
}

Test(parse, node_index_only_in_node_names)
{
	cr_assert_eq(parse("topology t\ncontainer c[1] on n[2]x\n"), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "2:19: '[...]' is only allowed once, at the end of a node "
			 "name: NAME[EXPR]\n");
	done();
	/* elsewhere '[' is an ordinary character: "[fd00::5]:80" */
	cr_assert_eq(
	    parse("topology t\ncontainer c on n1 { nat { dnat tcp dport 80 to [fd00::5]:80 } }\n"),
	    0, "%s", ot_sb_str(&errs));
	done();
}

/* ------------------------------------------------------------------ */
/* includes, from real files in a private temporary directory           */

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/otf-parse-%d-XXXXXX", (int)getpid());
	cr_assert_not_null(mkdtemp(dir));
	mkdir(strcat(strcpy((char[128]){0}, dir), "/sub"), 0700);
}

static void rm_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static int parse_file(const char *name, bool no_includes)
{
	struct ot_parse_opts o = {.no_includes = no_includes};
	char path[128];
	size_t i;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ot_diags_init(&d);
	ot_sb_reset(&errs);
	r = ot_ast_parse_file(path, &o, &d, &ast);
	ot_diags_sort(&d);
	for (i = 0; i < d.n; i++)
		ot_sb_printf(&errs, "%s:%u:%u: %s\n", strrchr(d.v[i].loc.file, '/') + 1,
			     d.v[i].loc.line, d.v[i].loc.col, d.v[i].msg);
	return r;
}

Test(parse, includes, .init = mkdir_tmp, .fini = rm_tmp)
{
	put("main.otp", "topology t\ninclude \"sub/nets.otp\"\nparam N = M + 1\n");
	put("sub/nets.otp", "param M = 2\ninclude \"more.otp\"\n");
	put("sub/more.otp", "network lan\n");
	cr_assert_eq(parse_file("main.otp", false), 0, "%s", ot_sb_str(&errs));
	cr_assert_eq(ast->nfiles, 3);
	cr_assert_eq(ast->stmts->next->kind, OT_A_INCLUDE);
	cr_assert_eq(ast->stmts->next->body->next->body->kind, OT_A_NETWORK,
		     "relative to the including file");
	cr_assert_eq(ast->nparams, 2, "params of included files count");
	{
		uint64_t digest = ast->digest;

		done();
		put("sub/more.otp", "network lan2\n");
		cr_assert_eq(parse_file("main.otp", false), 0);
		cr_assert_neq(ast->digest, digest, "the digest covers included bytes");
	}
	done();
	cr_assert_eq(parse_file("main.otp", true), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs), "main.otp:2:1: 'include' is disabled for this input\n"
					   "main.otp:3:11: unknown name 'M'\n");
	done();
}

Test(parse, include_errors, .init = mkdir_tmp, .fini = rm_tmp)
{
	put("main.otp", "topology t\ninclude \"self.otp\"\ninclude \"missing.otp\"\n"
			"include \"sub\"\nfor i in 0..1 { include \"x.otp\" }\n");
	put("self.otp", "include \"self.otp\"\ntopology again\n");
	cr_assert_eq(parse_file("main.otp", false), -EINVAL);
	cr_assert_eq(d.errors, 5, "%s", ot_sb_str(&errs));
	cr_assert(strstr(ot_sb_str(&errs), "main.otp:3:9: cannot include '/tmp/otf-parse-"));
	cr_assert(strstr(ot_sb_str(&errs), "/missing.otp': No such file or directory\n"));
	cr_assert(strstr(ot_sb_str(&errs),
			 "/sub': Is a directory\nmain.otp:5:17: 'include' is not "
			 "allowed inside a loop\nself.otp:1:9: include cycle: '"));
	cr_assert(strstr(ot_sb_str(&errs), "/self.otp' is already being read\nself.otp:2:1: "
					   "'topology' is only allowed in the main file, not in an "
					   "included file\n"));
	done();
}

Test(parse, include_depth, .init = mkdir_tmp, .fini = rm_tmp)
{
	char name[16], text[64];
	int i;

	put("main.otp", "topology t\ninclude \"i0.otp\"\n");
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "i%d.otp", i);
		snprintf(text, sizeof(text), "include \"i%d.otp\"\n", i + 1);
		put(name, text);
	}
	put("i10.otp", "node n\n");
	cr_assert_eq(parse_file("main.otp", false), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "i7.otp:1:1: includes nested too deeply (the limit is 8)\n");
	done();
}

Test(parse, source_size_limit)
{
	size_t n = OT_MAX_SOURCE_BYTES + 1;
	char *big = malloc(n);

	cr_assert_not_null(big);
	memset(big, '#', n);
	ot_diags_init(&d);
	cr_assert_eq(ot_ast_parse_mem("big.otp", big, n, NULL, &d, &ast), -EFBIG);
	cr_assert_null(ast);
	cr_assert_eq(d.errors, 1);
	cr_assert_str_eq(d.v[0].msg, "source is larger than 16777216 bytes");
	ot_diags_free(&d);
	free(big);
}

Test(parse, damaged_word_is_no_keyword)
{
	/* "for\0\0x": one damaged word, reported once, never the keyword (the
	 * fuzzer found a read past the keyword's end here) */
	static const char text[] = "topology t\nfor\0\0x i in 0..1 { }\n";
	size_t i;

	ot_diags_init(&d);
	cr_assert_eq(ot_ast_parse_mem("t.otp", text, sizeof(text) - 1, NULL, &d, &ast), -EINVAL);
	for (i = 0; i < d.n; i++)
		cr_assert(strcmp(d.v[i].msg, "NUL byte in source") == 0 || d.v[i].loc.col == 1,
			  "%s", d.v[i].msg);
	cr_assert_str_eq(d.v[0].msg, "NUL byte in source");
	ot_ast_free(ast);
	ast = NULL;
	ot_diags_free(&d);
}
