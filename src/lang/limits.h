/*
 * limits.h - the bounds of the language: every user-controlled quantity has
 * one (the compiler also runs as root inside Slurm on untrusted input). The
 * parser enforces the syntactic ones, the expansion (src/model) the rest;
 * each is reported as an error at the offending construct.
 */
#ifndef OT_LANG_LIMITS_H
#define OT_LANG_LIMITS_H

#define OT_MAX_NAME	63 /* identifier bytes (topology, node, container, network) */
#define OT_MAX_NODES	4096
#define OT_MAX_NETWORKS 65536
#ifndef OT_MAX_CONTAINERS /* lowered only by the fuzz build (tests/mk/lang.mk) */
#define OT_MAX_CONTAINERS 1000000
#endif
#define OT_MAX_IFACES	   64	/* per container */
#define OT_MAX_ADDRS	   16	/* per interface */
#define OT_MAX_ROUTES	   1024 /* per container */
#define OT_MAX_RULES	   1024 /* firewall + nat rules per container */
#define OT_MAX_SYSCTLS	   256	/* per container */
#define OT_MAX_RANK_RANGES 256	/* per container */
#ifndef OT_MAX_LOOP_ITERATIONS
#define OT_MAX_LOOP_ITERATIONS 10000000 /* all loops of a file, together */
#endif
/*
 * Totals of the whole expanded topology, all containers together: with the
 * container limit they keep `otc check` of any accepted input under 1 GB
 * (measured in docs/language.md section 9; bench/compile_bench checks it).
 */
#define OT_MAX_TOTAL_IFACES	 400000
#define OT_MAX_TOTAL_ADDRS	 800000
#define OT_MAX_TOTAL_ROUTES	 400000
#define OT_MAX_TOTAL_RULES	 200000 /* firewall + nat */
#define OT_MAX_TOTAL_SYSCTLS	 200000
#define OT_MAX_TOTAL_RANK_RANGES 1000000
#define OT_MAX_LOOP_DEPTH	 8
#define OT_MAX_TEMPLATE_ARGS	 64 /* arguments of one container template */
#define OT_MAX_TEMPLATE_DEPTH	 8  /* container template uses, nested */
#define OT_MAX_INCLUDE_DEPTH	 8
#define OT_MAX_SOURCE_BYTES	 (16u << 20)

#endif
