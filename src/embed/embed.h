/*
 * embed.h - a node plan carried inside its otnode executable.
 *
 * Layout of an otnode file:
 *
 *	[ runtime: the static otnode ELF ][ payload: the node plan, compact JSON ][ trailer ]
 *
 * The trailer is OT_EMBED_TRAILER bytes at the very end, little-endian:
 *	u64 payload length, u64 FNV-1a 64 of the payload, u32 format version
 *	(1), u32 flags (0), 8 bytes magic "OTEMBED1".
 * ELF loaders ignore bytes after the sections they map, so the file stays an
 * ordinary executable; otnode finds its plan by reading the trailer of
 * /proc/self/exe. The checksum catches truncation and corruption (integrity
 * against tampering is otdeploy's sha256 check of the whole file).
 *
 * Appending to a file that already carries a payload replaces it: the
 * runtime is everything before the old payload.
 */
#ifndef OT_EMBED_EMBED_H
#define OT_EMBED_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"
#include "util/error.h"

#define OT_EMBED_MAGIC	     "OTEMBED1"
#define OT_EMBED_TRAILER     32
#define OT_EMBED_VERSION     1
#define OT_EMBED_PAYLOAD_MAX (64u << 20) /* 64 MiB of plan JSON */

/*
 * The runtime part of buf: its length without any payload and trailer
 * (len itself when there is none). -EINVAL for a damaged trailer.
 */
int ot_embed_runtime_len(const void *buf, size_t len, size_t *ret, struct ot_error *err);

/*
 * The trailer that follows payload (layout above) in out. 0, or -E2BIG
 * when plen is 0 or above OT_EMBED_PAYLOAD_MAX. An image is the runtime,
 * payload and this trailer, end to end (ot_embed_build joins them;
 * otdeploy sends the three pieces without joining them).
 */
int ot_embed_trailer(const void *payload, size_t plen, uint8_t out[OT_EMBED_TRAILER],
		     struct ot_error *err);

/*
 * Runtime (with or without an old payload: it is dropped) + payload +
 * trailer, into a new malloc'ed buffer (*ret, *ret_len). 0 or -errno.
 */
int ot_embed_build(const void *runtime, size_t rlen, const void *payload, size_t plen, void **ret,
		   size_t *ret_len, struct ot_error *err);

/*
 * Locate the payload of an image in memory: *payload points into buf.
 * -ENOENT when there is none, -EINVAL when damaged (bad length or checksum).
 */
int ot_embed_find(const void *buf, size_t len, const void **payload, size_t *plen,
		  struct ot_error *err);

/*
 * Read the payload of an open file (reads the trailer and the payload only).
 * *ret is malloc'ed and NUL-terminated. Same returns as ot_embed_find.
 */
int ot_embed_read_fd(int fd, char **ret, size_t *ret_len, struct ot_error *err);

/* The node plan carried by the running program (/proc/self/exe). */
int ot_embed_self_plan(struct ot_plan **ret, struct ot_error *err);

/*
 * An otnode image for plan p in memory: runtime + the plan's compact JSON.
 * The runtime is the one built into this program (ot_embed_runtime()).
 * Free *ret with free(). 0 or -errno.
 */
int ot_embed_image(const struct ot_plan *p, void **ret, size_t *ret_len, struct ot_error *err);

/*
 * The static otnode runtime built into this program (otc, otdeploy), or
 * NULL/0 when this program carries none. Defined in runtime.S (.incbin);
 * only programs that link it can call ot_embed_image().
 */
const void *ot_embed_runtime(size_t *len);

#endif
