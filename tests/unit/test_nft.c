/*
 * test_nft.c - the nftables batch builder (src/exec/nft.c), without root:
 * build the batch of a plan table, walk it message by message, parse each
 * back with libnftnl and compare: the table (family inet, our tag as its
 * comment), the chains (type, hook, priority, policy), and every rule's
 * expressions as libnftnl prints them (the `nft --debug=netlink` form).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "exec/nft.h"

#define NRULES 9

static struct ot_nft_chain chains[2];
static struct ot_nft_rule rules[NRULES];

static struct ot_op_nft table(void)
{
	struct ot_op_nft t;

	memset(&t, 0, sizeof(t));
	memset(chains, 0, sizeof(chains));
	memset(rules, 0, sizeof(rules));
	strcpy(t.table, "opentop");
	strcpy(chains[0].name, "input");
	chains[0].type = OT_NFT_FILTER;
	chains[0].hook = OT_NFT_INPUT;
	chains[0].policy_drop = true;
	strcpy(chains[1].name, "post");
	chains[1].type = OT_NFT_NAT;
	chains[1].hook = OT_NFT_POSTROUTING;
	chains[1].priority = 100;
	t.chains = chains;
	t.nchains = 2;
	/* 0: ct state established,related accept */
	rules[0].ct_state = OT_CT_ESTABLISHED | OT_CT_RELATED;
	/* 1: tcp dport 80 from 10.10.0.0/24, counter, comment */
	rules[1].l4proto = IPPROTO_TCP;
	rules[1].dport = (struct ot_ports){1, {{80, 80}}};
	rules[1].has_saddr = true;
	ot_prefix_parse("10.10.0.0/24", true, &rules[1].saddr);
	rules[1].counter = true;
	rules[1].comment = "demo.otp:14";
	/* 2: udp sport 1000-2000 iif eth0 drop */
	rules[2].l4proto = IPPROTO_UDP;
	rules[2].sport = (struct ot_ports){1, {{1000, 2000}}};
	strcpy(rules[2].iif, "eth0");
	rules[2].verdict = OT_NFT_DROP;
	/* 3: ip6 daddr 2001:db8::/32 reject */
	rules[3].has_daddr = true;
	ot_prefix_parse("2001:db8::/32", true, &rules[3].daddr);
	rules[3].verdict = OT_NFT_REJECT;
	/* 4: icmp accept (family implied) */
	rules[4].l4proto = IPPROTO_ICMP;
	/* 5: postrouting masquerade out of eth1 */
	rules[5].chain = 1;
	strcpy(rules[5].oif, "eth1");
	rules[5].verdict = OT_NFT_MASQUERADE;
	/* 6: dnat tcp dport 8080 to 10.0.0.5:80 */
	rules[6].chain = 1;
	rules[6].l4proto = IPPROTO_TCP;
	rules[6].dport = (struct ot_ports){1, {{8080, 8080}}};
	rules[6].verdict = OT_NFT_DNAT;
	ot_addr_parse("10.0.0.5", &rules[6].nat_addr);
	rules[6].nat_port = 80;
	/* 7: snat ip6 to 2001:db8::1 */
	rules[7].chain = 1;
	rules[7].verdict = OT_NFT_SNAT;
	ot_addr_parse("2001:db8::1", &rules[7].nat_addr);
	/* 8: icmpv6 type 135-136 accept (neighbour discovery, family implied) */
	rules[8].l4proto = IPPROTO_ICMPV6;
	rules[8].has_icmp_type = true;
	rules[8].icmp_type_first = 135;
	rules[8].icmp_type_last = 136;
	t.rules = rules;
	t.nrules = NRULES;
	return t;
}

/* The expressions of a rule as libnftnl prints them, one line. */
static void rule_text(const struct nlmsghdr *nlh, char *out, size_t size, char *comment,
		      size_t csize)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	const void *ud;
	uint32_t len = 0;
	char *s;

	cr_assert_eq(nftnl_rule_nlmsg_parse(nlh, r), 0);
	nftnl_rule_snprintf(out, size, r, NFTNL_OUTPUT_DEFAULT, 0);
	/* keep only the expressions: "[ ... ]", not the userdata dump */
	s = strchr(out, '[');
	if (s)
		memmove(out, s, strlen(s) + 1);
	s = strstr(out, "userdata");
	if (s)
		*s = '\0';
	{ /* one space between expressions, none at the end */
		char *w = out;
		bool blank = false;

		for (s = out; *s; s++) {
			if (*s == '\n' || *s == ' ') {
				blank = true;
				continue;
			}
			if (blank && w != out)
				*w++ = ' ';
			blank = false;
			*w++ = *s;
		}
		*w = '\0';
	}
	comment[0] = '\0';
	if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
		ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
		/* one TLV: type, length, value */
		cr_assert_geq(len, 2);
		cr_assert_eq(((const uint8_t *)ud)[0], NFTNL_UDATA_RULE_COMMENT);
		snprintf(comment, csize, "%s", (const char *)ud + 2);
	}
	nftnl_rule_free(r);
}

static const char *expect[NRULES] = {
    "[ ct load state => reg 1 ] [ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ] "
    "[ cmp neq reg 1 0x00000000 ] [ immediate reg 0 accept ]",
    "[ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x00000002 ] "
    "[ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x00000006 ] "
    "[ payload load 4b @ network header + 12 => reg 1 ] "
    "[ bitwise reg 1 = ( reg 1 & 0x00ffffff ) ^ 0x00000000 ] [ cmp eq reg 1 0x00000a0a ] "
    "[ payload load 2b @ transport header + 2 => reg 1 ] [ cmp eq reg 1 0x00005000 ] "
    "[ counter pkts 0 bytes 0 ] [ immediate reg 0 accept ]",
    "[ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x00000011 ] "
    "[ meta load iifname => reg 1 ] [ cmp eq reg 1 0x30687465 0x00000000 0x00000000 0x00000000 ] "
    "[ payload load 2b @ transport header + 0 => reg 1 ] "
    "[ range eq reg 1 0x0000e803 0x0000d007 ] [ immediate reg 0 drop ]",
    "[ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x0000000a ] "
    "[ payload load 16b @ network header + 24 => reg 1 ] "
    "[ bitwise reg 1 = ( reg 1 & 0xffffffff 0x00000000 0x00000000 0x00000000 ) ^ 0x00000000 "
    "0x00000000 0x00000000 0x00000000 ] "
    "[ cmp eq reg 1 0xb80d0120 0x00000000 0x00000000 0x00000000 ] "
    "[ reject type 2 code 1 ]",
    "[ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x00000002 ] "
    "[ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x00000001 ] [ immediate reg 0 accept ]",
    "[ meta load oifname => reg 1 ] [ cmp eq reg 1 0x31687465 0x00000000 0x00000000 0x00000000 ] "
    "[ masq ]",
    "[ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x00000002 ] "
    "[ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x00000006 ] "
    "[ payload load 2b @ transport header + 2 => reg 1 ] [ cmp eq reg 1 0x0000901f ] "
    "[ immediate reg 1 0x0500000a ] [ immediate reg 2 0x00005000 ] "
    "[ nat dnat ip addr_min reg 1 proto_min reg 2 ]",
    "[ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x0000000a ] "
    "[ immediate reg 1 0xb80d0120 0x00000000 0x00000000 0x01000000 ] "
    "[ nat snat ip6 addr_min reg 1 ]",
    /* what nft 1.0.6 itself builds for "icmpv6 type 135-136 accept" */
    "[ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x0000000a ] "
    "[ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x0000003a ] "
    "[ payload load 1b @ transport header + 0 => reg 1 ] "
    "[ cmp gte reg 1 0x00000087 ] [ cmp lte reg 1 0x00000088 ] [ immediate reg 0 accept ]",
};

Test(nft, table_batch_parses_back)
{
	struct ot_op_nft t = table();
	struct ot_nft_batch b;
	struct ot_error err = {0};
	const struct nlmsghdr *nlh;
	int left, nrule = 0, nchain = 0, ntable = 0, nbatch = 0;
	uint32_t seq = 100;

	ot_nft_batch_init(&b, seq);
	cr_assert_eq(ot_nft_batch_begin(&b), 0);
	cr_assert_eq(ot_nft_add_table(&b, &t, "opentop demo.n1", &err), 0, "%s", err.msg);
	cr_assert_eq(ot_nft_batch_end(&b), 0);
	cr_assert_eq(b.nmsgs, 1 + 1 + 2 + NRULES + 1);

	left = (int)b.len;
	for (nlh = (const struct nlmsghdr *)b.buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		cr_assert_eq(nlh->nlmsg_seq, seq++, "sequence numbers run on");
		switch (nlh->nlmsg_type) {
		case NFNL_MSG_BATCH_BEGIN:
		case NFNL_MSG_BATCH_END:
			nbatch++;
			break;
		case (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE: {
			struct nftnl_table *tab = nftnl_table_alloc();
			const char *ud;
			uint32_t len = 0;

			cr_assert(nlh->nlmsg_flags & NLM_F_EXCL,
				  "never merge into an existing table");
			cr_assert_eq(nftnl_table_nlmsg_parse(nlh, tab), 0);
			cr_assert_str_eq(nftnl_table_get_str(tab, NFTNL_TABLE_NAME), "opentop");
			cr_assert_eq(nftnl_table_get_u32(tab, NFTNL_TABLE_FAMILY), NFPROTO_INET);
			ud = nftnl_table_get_data(tab, NFTNL_TABLE_USERDATA, &len);
			cr_assert_not_null(ud);
			cr_assert_eq(ud[0], NFTNL_UDATA_TABLE_COMMENT);
			cr_assert_str_eq(ud + 2, "opentop demo.n1");
			nftnl_table_free(tab);
			ntable++;
			break;
		}
		case (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN: {
			struct nftnl_chain *c = nftnl_chain_alloc();

			cr_assert_eq(nftnl_chain_nlmsg_parse(nlh, c), 0);
			cr_assert_str_eq(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
					 chains[nchain].name);
			cr_assert_str_eq(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE),
					 nchain == 0 ? "filter" : "nat");
			cr_assert_eq(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM),
				     nchain == 0 ? NF_INET_LOCAL_IN : NF_INET_POST_ROUTING);
			cr_assert_eq(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO),
				     nchain == 0 ? 0 : 100);
			cr_assert_eq(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY),
				     nchain == 0 ? NF_DROP : NF_ACCEPT);
			nftnl_chain_free(c);
			nchain++;
			break;
		}
		case (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE: {
			char text[2048], comment[160];

			cr_assert_lt(nrule, NRULES);
			rule_text(nlh, text, sizeof(text), comment, sizeof(comment));
			cr_assert_str_eq(text, expect[nrule], "rule %d:\n  got  %s\n  want %s",
					 nrule, text, expect[nrule]);
			if (nrule == 1)
				cr_assert_str_eq(comment, "demo.otp:14");
			nrule++;
			break;
		}
		default:
			cr_assert_fail("unexpected message type %#x", nlh->nlmsg_type);
		}
	}
	cr_assert_eq(left, 0);
	cr_assert_eq(nbatch, 2);
	cr_assert_eq(ntable, 1);
	cr_assert_eq(nchain, 2);
	cr_assert_eq(nrule, NRULES);
	ot_nft_batch_free(&b);
}

static void refused(struct ot_op_nft *t, const char *needle)
{
	struct ot_nft_batch b;
	struct ot_error err = {0};

	ot_nft_batch_init(&b, 1);
	cr_assert_lt(ot_nft_add_table(&b, t, "tag", &err), 0);
	cr_assert(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
	ot_nft_batch_free(&b);
}

Test(nft, refuses_what_nft_would_refuse)
{
	struct ot_op_nft t = table();

	rules[2].l4proto = IPPROTO_ICMP; /* a port on ICMP */
	refused(&t, "port match needs");
	t = table();
	rules[1].has_daddr = true; /* IPv4 source, IPv6 destination */
	ot_prefix_parse("2001:db8::/32", true, &rules[1].daddr);
	refused(&t, "different families");
	t = table();
	rules[7].nat_addr.family = 0; /* snat to nothing */
	refused(&t, "NAT without an address");
	t = table();
	rules[8].l4proto = IPPROTO_TCP; /* an ICMP type on TCP */
	refused(&t, "ICMP type match needs");
	t = table();
	t.nrules = OT_NFT_RULES_MAX + 1;
	refused(&t, "more than");
}

Test(nft, delete_table)
{
	struct ot_nft_batch b;
	const struct nlmsghdr *nlh;
	struct nftnl_table *tab = nftnl_table_alloc();

	ot_nft_batch_init(&b, 7);
	cr_assert_eq(ot_nft_batch_begin(&b), 0);
	cr_assert_eq(ot_nft_del_table(&b, "otx1"), 0);
	cr_assert_eq(ot_nft_batch_end(&b), 0);
	nlh = (const struct nlmsghdr *)(b.buf + MNL_ALIGN(((struct nlmsghdr *)b.buf)->nlmsg_len));
	cr_assert_eq(nlh->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE);
	cr_assert_eq(nftnl_table_nlmsg_parse(nlh, tab), 0);
	cr_assert_str_eq(nftnl_table_get_str(tab, NFTNL_TABLE_NAME), "otx1");
	cr_assert_eq(nftnl_table_get_u32(tab, NFTNL_TABLE_FAMILY), NFPROTO_INET);
	nftnl_table_free(tab);
	ot_nft_batch_free(&b);
}

/* A port list is one rule plus one anonymous constant set: NEWSET (interval
 * when a range is in it), one NEWSETELEM, and a
 * lookup in the rule naming the set by its batch-local id. */
Test(nft, port_list_is_one_anonymous_set)
{
	struct ot_op_nft t = table();
	struct ot_nft_batch b;
	struct ot_error err = {0};
	const struct nlmsghdr *nlh;
	uint32_t set_id = 0, nelems = 0;
	int left, nsets = 0, nrules = 0;
	char text[2048], comment[128];

	memset(rules, 0, sizeof(rules));
	rules[0].chain = 0;
	rules[0].l4proto = IPPROTO_TCP;
	rules[0].dport = (struct ot_ports){2, {{22, 22}, {8000, 8002}}};
	rules[0].verdict = OT_NFT_ACCEPT;
	t.nrules = 1;
	ot_nft_batch_init(&b, 1);
	cr_assert_eq(ot_nft_add_table(&b, &t, NULL, &err), 0, "%s", err.msg);
	left = (int)b.len;
	for (nlh = (const struct nlmsghdr *)b.buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		switch (nlh->nlmsg_type) {
		case (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSET: {
			struct nftnl_set *s = nftnl_set_alloc();

			cr_assert_eq(nftnl_set_nlmsg_parse(nlh, s), 0);
			cr_assert_eq(nftnl_set_get_u32(s, NFTNL_SET_FLAGS),
				     NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_INTERVAL);
			cr_assert_eq(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), 2);
			set_id = nftnl_set_get_u32(s, NFTNL_SET_ID);
			nftnl_set_free(s);
			nsets++;
			break;
		}
		case (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM:
			/* the elements themselves: tests/kernel/run-ports lists them */
			nelems++;
			break;
		case (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE:
			rule_text(nlh, text, sizeof(text), comment, sizeof(comment));
			nrules++;
			break;
		}
	}
	cr_assert_eq(nsets, 1);
	cr_assert_eq(nrules, 1);
	cr_assert_neq(set_id, 0);
	cr_assert_eq(nelems, 1, "one NEWSETELEM message");
	cr_assert(
	    strstr(
		text,
		"[ payload load 2b @ transport header + 2 => reg 1 ] [ lookup reg 1 set __set%d ]"),
	    "%s", text);
	ot_nft_batch_free(&b);
}
