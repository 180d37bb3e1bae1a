/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
#include "config.h"
#include "setup/privileges.h"
#include "util/util.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* libcap-ng is loaded only for --user: linked, it would be loaded and
 * its constructor run (a /proc read, prctls) at every start. */
#define CAPNG_FUNCS(X) X(capng_clear) X(capng_update) X(capng_apply) \
	X(capng_change_id) X(capng_name_to_capability)
VL_LIB_PTRS(CAPNG_FUNCS)

static int load_capng(struct vl_error *e)
{
	static struct vl_lib lib = { CAPNG_SONAME, NULL };
	const char *err = VL_LIB_LOAD(&lib, CAPNG_FUNCS);

	return err ? vl_fail(e, EX_OSERR, "--user: %s", err) : 0;
}

int vl_refuse_setid(struct vl_error *e)
{
	if (getuid() != geteuid() || getgid() != getegid())
		return vl_fail(e, EX_NOPERM, "refusing to run setuid or setgid "
			       "(uid %u, euid %u, gid %u, egid %u): install "
			       "vmlock without the s bits and start it as root "
			       "to use --user", (unsigned)getuid(),
			       (unsigned)geteuid(), (unsigned)getgid(),
			       (unsigned)getegid());
	return 0;
}

static int look_up(const struct vl_identity *id, uid_t *uid, gid_t *gid,
		   struct vl_error *e)
{
	struct passwd *pw = NULL;
	struct group *gr = NULL;
	char *end;

	*uid = getuid();
	*gid = getgid();
	if (id->user) {
		if (!(pw = getpwnam(id->user))) {
			unsigned long n = strtoul(id->user, &end, 10);
			if (*end || !*id->user || !(pw = getpwuid((uid_t)n)))
				return vl_fail(e, EX_USAGE, "--user \"%s\": no "
					       "such user", id->user);
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (id->group) {
		if (!(gr = getgrnam(id->group))) {
			unsigned long n = strtoul(id->group, &end, 10);
			if (*end || !*id->group || !(gr = getgrgid((gid_t)n)))
				return vl_fail(e, EX_USAGE, "--group \"%s\": no "
					       "such group", id->group);
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int vl_identity_check(const struct vl_identity *id, struct vl_error *e)
{
	uid_t uid;
	gid_t gid;
	int rc = look_up(id, &uid, &gid, e);

	if (!rc && (id->user || id->group) && geteuid() != 0)
		rc = vl_fail(e, EX_NOPERM, "--user and --group need vmlock to "
			     "be started as root");
	if (!rc && id->keep_caps && *id->keep_caps)
		rc = load_capng(e);
	for (const char **c = id->keep_caps; !rc && c && *c; c++)
		if (dl_capng_name_to_capability(strncasecmp(*c, "cap_", 4) ? *c
							  : *c + 4) < 0)
			rc = vl_fail(e, EX_USAGE, "--keep-cap \"%s\": unknown "
				     "capability", *c);
	/* without a user, uid 0 would stay, its capabilities gone: a
	 * root that is neither root nor the user meant */
	if (!rc && !id->user && (id->group || id->no_groups ||
				 (id->keep_caps && *id->keep_caps)))
		rc = vl_fail(e, EX_USAGE, "%s goes with --user (for root in "
			     "another group: --user root --group GROUP)",
			     id->group ? "--group" : id->no_groups
			     ? "--clear-groups" : "--keep-cap");
	return rc;
}

/* Only the kept capabilities, in every set, ambient included, so they
 * survive exec as a non-root user; the bounding set holds them alone. */
static int set_kept_caps(const char **keep, struct vl_error *e)
{
	dl_capng_clear(CAPNG_SELECT_ALL);
	for (const char **c = keep; c && *c; c++) {
		int cap = dl_capng_name_to_capability(
			strncasecmp(*c, "cap_", 4) ? *c : *c + 4);
		dl_capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
			     CAPNG_INHERITABLE | CAPNG_BOUNDING_SET |
			     CAPNG_AMBIENT, (unsigned)cap);
	}
	if (dl_capng_apply(CAPNG_SELECT_BOUNDS) < 0)
		return vl_fail(e, EX_OSERR, "clearing the capability bounding "
			       "set failed");
	return 0;
}

int vl_identity_assume(const struct vl_identity *id, struct vl_error *e)
{
	uid_t uid;
	gid_t gid;
	int rc = 0;

	if (id->user) {	/* a group alone is refused by the check */
		rc = look_up(id, &uid, &gid, e);
		if (!rc)
			rc = load_capng(e);
		if (!rc)
			rc = set_kept_caps(id->keep_caps, e);
		capng_flags_t groups = id->no_groups ? CAPNG_DROP_SUPP_GRP
						     : CAPNG_INIT_SUPP_GRP;
		if (!rc && dl_capng_change_id((int)uid, (int)gid, groups) < 0)
			rc = vl_fail(e, EX_OSERR, "changing to uid %u gid %u "
				     "failed", (unsigned)uid, (unsigned)gid);
		if (!rc && id->keep_caps && *id->keep_caps &&
		    dl_capng_apply(CAPNG_SELECT_AMBIENT) < 0)
			rc = vl_fail(e, EX_OSERR, "keeping ambient capabilities "
				     "failed");
	}
	if (!rc && id->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		rc = vl_fail(e, EX_OSERR, "PR_SET_NO_NEW_PRIVS: %s",
			     strerror(errno));
	return rc;
}
