/*
 * nft.h - nftables through libnftnl: one plan table (family inet) becomes one
 * atomic batch (NFNL_MSG_BATCH_BEGIN ... END) of NEWTABLE, NEWCHAIN and
 * NEWRULE messages; a port list ("dport 22,8000-8100") adds an anonymous,
 * constant set (NEWSET, NEWSETELEM) that its rule looks up. The table carries a userdata comment -
 * the tag - that marks it as ours: destroy deletes a table only when the tag matches.
 *
 * Building never touches the kernel (tests/unit/test_nft.c parses the batch
 * back with libnftnl); ot_nft_table_get() and the batch send do.
 */
#ifndef OT_EXEC_NFT_H
#define OT_EXEC_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "exec/nl.h"
#include "plan/plan.h"
#include "util/error.h"

#define OT_NFT_TAG_MAX	  128  /* NFTNL_UDATA_COMMENT_MAXLEN */
#define OT_NFT_RULES_MAX  4096 /* rules per table */
#define OT_NFT_CHAINS_MAX 64   /* chains per table */

/* A growing buffer of nfnetlink messages. */
struct ot_nft_batch {
	char *buf;
	size_t len, cap;
	uint32_t seq; /* next sequence number */
	unsigned nmsgs;
	uint32_t set_ids; /* anonymous sets made so far (their batch-local ids) */
	bool oom;
};

/* An empty batch whose first message gets sequence number seq. */
void ot_nft_batch_init(struct ot_nft_batch *b, uint32_t seq);
void ot_nft_batch_free(struct ot_nft_batch *b);

/* Append NFNL_MSG_BATCH_BEGIN / _END. 0 or -ENOMEM. */
int ot_nft_batch_begin(struct ot_nft_batch *b);
int ot_nft_batch_end(struct ot_nft_batch *b);

/*
 * Append the table (NLM_F_EXCL: an existing table of that name is an error,
 * never merged), its chains and its rules. tag is written as the table's
 * comment. Returns 0, -EINVAL with err naming the rule when a rule cannot be
 * expressed (ports without a TCP/UDP protocol, NAT without an address...),
 * -E2BIG past the limits above, -ENOMEM.
 */
int ot_nft_add_table(struct ot_nft_batch *b, const struct ot_op_nft *t, const char *tag,
		     struct ot_error *err);

/* Append a DELTABLE of inet table `name`. */
int ot_nft_del_table(struct ot_nft_batch *b, const char *name);

/* What the kernel has for one inet table. */
struct ot_nft_table_info {
	char tag[OT_NFT_TAG_MAX + 1]; /* the comment userdata, "" when none */
	unsigned nchains;
	unsigned nrules;
};

/*
 * Look table `name` up through nl (a NETLINK_NETFILTER socket in the
 * namespace to look at). 0 and *ret filled, -ENOENT when there is no such
 * table, or another -errno. Counts chains and rules when count is set.
 */
int ot_nft_table_get(struct ot_nl *nl, const char *name, bool count, struct ot_nft_table_info *ret,
		     struct ot_error *err);

#endif
