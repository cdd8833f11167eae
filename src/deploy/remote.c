/*
 * remote.c - the remote directory policy and checksums (contract in
 * remote.h).
 */
#include "deploy/remote.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/path.h"

int ot_remote_dir_valid(const char *dir, struct ot_error *err)
{
	char buf[96];
	const char *problem = ot_dir_problem(dir, buf, sizeof(buf));

	if (problem)
		return ot_error_set(err, -EINVAL, "remote directory '%s' %s",
				    strlen(dir) > OT_DIR_TEXT_MAX ? "(too long)" : dir, problem);
	return 0;
}

int ot_remote_component_check(const char *path, const struct ot_ssh_stat *st, uint32_t uid,
			      bool inside, struct ot_error *err)
{
	if (st->type == OT_SSH_FT_LINK)
		return ot_error_set(err, -EPERM,
				    "'%s' is a symbolic link: refusing to follow it (give the real "
				    "directory in the hosts file)",
				    path);
	if (st->type != OT_SSH_FT_DIR)
		return ot_error_set(err, -EPERM, "'%s' exists and is not a directory", path);
	if (st->uid != 0 && st->uid != uid)
		return ot_error_set(
		    err, -EPERM, "'%s' belongs to uid %u, neither root nor the login user (uid %u)",
		    path, st->uid, uid);
	if (st->mode & 022) {
		if (inside)
			return ot_error_set(err, -EPERM,
					    "'%s' is writable by group or others (mode %04o): "
					    "refusing it (chmod go-w)",
					    path, st->mode);
		if (!(st->mode & 01000))
			return ot_error_set(
			    err, -EPERM,
			    "'%s' is writable by group or others without the sticky "
			    "bit (mode %04o): anyone could replace what is below it",
			    path, st->mode);
	}
	return 0;
}

int ot_remote_dir_prepare(struct ot_ssh *s, const char *dir, const char *sub, uint32_t uid,
			  struct ot_error *err)
{
	char path[OT_REMOTE_PATH_MAX];
	size_t dirlen = strlen(dir), end, n;
	struct ot_ssh_stat st;
	int rc;

	rc = ot_remote_dir_valid(dir, err);
	if (rc < 0)
		return rc;
	if (sub && (!*sub || strchr(sub, '/') || !strcmp(sub, ".") || !strcmp(sub, "..")))
		return ot_error_set(err, -EINVAL, "bad remote subdirectory '%s'", sub);
	n = (size_t)snprintf(path, sizeof(path), "%s%s%s", dir, sub ? "/" : "", sub ? sub : "");
	if (n >= sizeof(path))
		return ot_error_set(err, -ENAMETOOLONG, "remote path too long");
	/* "/" itself is root's; start at the first component. */
	for (end = 1; end <= n; end++) {
		char saved;

		if (end < n && path[end] != '/')
			continue;
		saved = path[end];
		path[end] = '\0';
		rc = ot_ssh_lstat(s, path, &st, err);
		if (rc < 0)
			return rc;
		if (st.type == OT_SSH_FT_NONE) {
			rc = ot_ssh_mkdir(s, path, 0700, err);
			if (rc < 0 && rc != -EEXIST)
				return rc;
			rc = ot_ssh_lstat(s, path, &st, err);
			if (rc < 0)
				return rc;
		}
		rc = ot_remote_component_check(path, &st, uid, end >= dirlen, err);
		if (rc < 0)
			return ot_error_prefix(err, rc, "%s", ot_ssh_where(s));
		path[end] = saved;
	}
	return 0;
}

int ot_remote_stat_parse(const char *line, struct ot_ssh_stat *st)
{
	unsigned long raw, uid;
	unsigned long long size;
	static const struct {
		unsigned long fmt;
		enum ot_ssh_ftype type;
	} types[] = {{S_IFDIR, OT_SSH_FT_DIR}, {S_IFREG, OT_SSH_FT_REG}, {S_IFLNK, OT_SSH_FT_LINK}};
	int used = 0;
	size_t i;

	if (sscanf(line, "%lx %lu %llu%n", &raw, &uid, &size, &used) != 3 || line[used] ||
	    uid > UINT32_MAX)
		return -EINVAL;
	st->type = OT_SSH_FT_OTHER;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((raw & S_IFMT) == types[i].fmt)
			st->type = types[i].type;
	st->mode = (uint32_t)(raw & 07777);
	st->uid = (uint32_t)uid;
	st->gid = 0;
	st->size = size;
	return 0;
}

int ot_remote_exe_trusted(struct ot_ssh *s, const char *path, struct ot_error *err)
{
	char buf[OT_REMOTE_PATH_MAX];
	struct ot_ssh_stat st;
	size_t n, end;
	int rc;

	rc = ot_remote_dir_valid(path, err);
	if (rc < 0)
		return ot_error_prefix(err, rc, "otnode path");
	n = (size_t)snprintf(buf, sizeof(buf), "%s", path);
	for (end = 1; end <= n; end++) {
		bool last = end == n;

		if (!last && buf[end] != '/')
			continue;
		buf[end] = '\0';
		rc = ot_ssh_lstat(s, buf, &st, err);
		if (rc < 0)
			return rc;
		if (st.type == OT_SSH_FT_NONE)
			return ot_error_set(
			    err, -ENOENT,
			    "%s: '%s' does not exist: install OpenTop there (make "
			    "install, or the opentop package) or name it with otnode=",
			    ot_ssh_where(s), buf);
		if (st.type == OT_SSH_FT_LINK)
			return ot_error_set(err, -EPERM,
					    "%s: '%s' is a symbolic link: name the real path with "
					    "otnode= (sudo runs it as root)",
					    ot_ssh_where(s), buf);
		if (st.type != (last ? OT_SSH_FT_REG : OT_SSH_FT_DIR))
			return ot_error_set(err, -EPERM, "%s: '%s' is not a %s", ot_ssh_where(s),
					    buf, last ? "regular file" : "directory");
		if (st.uid != 0 || (st.mode & 022))
			return ot_error_set(
			    err, -EPERM,
			    "%s: '%s' (uid %u, mode %04o) must belong to root and be "
			    "writable by root alone: whoever can write it could "
			    "replace what sudo runs as root",
			    ot_ssh_where(s), buf, st.uid, st.mode);
		if (last && !(st.mode & 0111))
			return ot_error_set(err, -EPERM, "%s: '%s' is not executable",
					    ot_ssh_where(s), buf);
		buf[end] = last ? '\0' : '/';
	}
	return 0;
}

int ot_sha256_hexv(const struct iovec *iov, size_t niov, char out[OT_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	size_t k;

	for (k = 0; ok && k < niov; k++)
		ok = EVP_DigestUpdate(ctx, iov[k].iov_base, iov[k].iov_len) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int ot_sha256_hex(const void *data, size_t len, char out[OT_SHA256_HEX])
{
	struct iovec v = {.iov_base = (void *)data, .iov_len = len};

	return ot_sha256_hexv(&v, 1, out);
}

int ot_sha256_parse(const char *text, char out[OT_SHA256_HEX])
{
	int i;

	for (i = 0; i < 64; i++) {
		char c = text[i];

		if (!isxdigit((unsigned char)c))
			return -EINVAL;
		out[i] = (char)tolower((unsigned char)c);
	}
	if (text[64] && !isspace((unsigned char)text[64]))
		return -EINVAL;
	out[64] = '\0';
	return 0;
}
