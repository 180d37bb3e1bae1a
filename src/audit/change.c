/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* vmlock qmp: a QMP command under locks (see change.h). QEMU's monitor
 * serves one client at a time: every step goes over one connection. */
#include "config.h"
#include "api/api.h"
#include "audit/audit.h"
#include "audit/change.h"
#include "audit/sync.h"
#include "qmp/judge.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Seconds a device_del's files are waited for. */
#define CLOSING_WAIT 2.0

/* A file vmlock made for QEMU to create. */
struct made {
	char *path;
	dev_t dev;
	ino_t ino;
};

struct change {
	const struct audit_change_opts *o;
	struct qemu_kvlist cmd;
	const char *name;
	long pid;
	struct audit_proc a;
	struct qmp_wants w;
	struct made *made;
	size_t nmade, made_cap;
	struct qmp q;		/* QEMU's monitor: one client at a time */
	bool connected;
};

/* The socket, one connection for every step, and the QEMU behind it. */
static int find_qemu(struct change *c, struct vl_error *e)
{
	char *sock = c->o->qmp ? vl_strdup(c->o->qmp) : audit_qmp_socket(c->pid);
	int rc = sock ? qmp_connect(&c->q, sock, c->o->timeout, e)
		 : vl_fail(e, EX_UNAVAILABLE, "pid %ld: no QMP socket in its "
			   "command line (start QEMU with -qmp unix:PATH,"
			   "server=on, or give --qmp SOCKET)", c->pid);

	if (rc == EX_NOINPUT)	/* no such socket: nobody to send it to */
		rc = EX_UNAVAILABLE;
	long peer = rc ? -1 : qmp_peer_pid(&c->q);

	c->connected = !rc;
	if (!rc && peer < 0)
		rc = vl_fail(e, EX_OSERR, "QMP socket %s: cannot tell QEMU's "
			     "pid: %s", sock, strerror(errno));
	else if (!rc && c->pid && peer != c->pid)
		rc = vl_fail(e, EX_USAGE, "QMP socket %s is pid %ld's, not pid "
			     "%ld's", sock, peer, c->pid);
	c->pid = peer;
	const struct qemu_kvlist *nodes;
	struct vl_error later;	/* the judge's question fails the same way */
	if (!rc)	/* with the chains the judge reads: one question */
		qmp_block_nodes(&c->q, true, &nodes, &later);
	if (!rc)
		rc = audit_process_over(c->pid, sock, &c->q, c->o->timeout,
					&c->a, e);
	if (!rc && !c->a.cwd)
		rc = vl_fail(e, EX_NOPERM, "pid %ld: cannot read its directory",
			     c->pid);
	free(sock);
	return rc;
}

static int judge(struct change *c, struct vl_error *e)
{
	int rc = qmp_judge(&c->q, c->pid, c->a.cwd, &c->cmd, &c->w, e);

	if (rc == EX_USAGE && c->o->unchecked) {
		vl_note("%s; sent, --unchecked", e->msg);
		c->w.stream = true;	/* whatever it starts */
		rc = 0;
	}
	return rc;
}

/* An empty file at path, QEMU's when vmlock is root, unless one is
 * there: what QEMU creates there is then the file vmlock locks. */
static int make_file(struct change *c, const char *path, struct vl_error *e)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
		      O_NOCTTY | O_CLOEXEC, 0644);
	char proc[32];
	struct stat st, owner;

	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		return vl_fail(e, errno == EACCES || errno == EPERM ? EX_NOPERM
			       : errno == ENOENT ? EX_NOINPUT : EX_OSERR,
			       "%s: cannot create it for QEMU: %s", path,
			       strerror(errno));
	snprintf(proc, sizeof proc, "/proc/%ld", c->pid);
	if (geteuid() == 0 && stat(proc, &owner) == 0 &&
	    fchown(fd, owner.st_uid, owner.st_gid) < 0)
		vl_note("%s: cannot give it to QEMU's user: %s", path,
			strerror(errno));
	fstat(fd, &st);
	close(fd);
	*VL_PUSH(c->made, c->nmade, c->made_cap) = (struct made){
		vl_strdup(path), st.st_dev, st.st_ino };
	return 0;
}

/* What vmlock made and QEMU left empty goes again. */
static void unmake_files(struct change *c)
{
	for (size_t i = 0; i < c->nmade; i++) {
		struct stat st;
		if (stat(c->made[i].path, &st) == 0 && !st.st_size &&
		    st.st_dev == c->made[i].dev && st.st_ino == c->made[i].ino)
			unlink(c->made[i].path);
	}
}

/* Expects each file wanted (those of jobs alone, after the reply). */
static int expect(struct change *c, bool jobs_only, struct vl_error *e)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < c->w.n; i++)
		if (!jobs_only || c->w.v[i].job)
			rc = audit_expect(&c->a, c->w.v[i].path, c->w.v[i].mode,
					  e);
	return rc;
}

static struct audit_sync_opts sync_opts(struct change *c)
{
	return (struct audit_sync_opts){ .timeout = c->o->timeout,
					 .patience = c->o->wait,
					 .done = c->o->done, .q = &c->q };
}

/* Steps 2 and 3: the command's files locked, the others left alone. */
static int lock_wanted(struct change *c, struct vl_error *e)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < c->w.n; i++)
		if (c->w.v[i].create)
			rc = make_file(c, c->w.v[i].path, e);
	if (!rc)
		rc = expect(c, false, e);
	for (size_t i = 0; !rc && i < c->a.n; i++)
		c->a.v[i].skip = !c->a.v[i].expected;
	if (!rc) {
		struct audit_sync_opts so = sync_opts(c);
		rc = audit_sync(&c->a, &so, e);
	}
	if (rc)
		unmake_files(c);
	return rc;
}

/* Was the file of f among those the command locked? */
static bool wanted(const struct change *c, const struct audit_file *f)
{
	for (size_t i = 0; i < c->w.n; i++) {
		struct stat st;
		if (stat(c->w.v[i].path, &st) == 0 && st.st_dev == f->dev &&
		    st.st_ino == f->ino)
			return true;
	}
	return false;
}

/* Does QEMU still use one of the files its reply said it would close? */
static bool still_closing(const struct change *c)
{
	for (size_t i = 0; i < c->w.nclosing; i++) {
		struct stat st;
		if (stat(c->w.closing[i], &st) < 0)
			continue;
		for (size_t k = 0; k < c->a.n; k++) {
			const struct audit_file *f = &c->a.v[k];
			if (f->dev == st.st_dev && f->ino == st.st_ino &&
			    (f->qemu != AUDIT_CLOSED || f->open))
				return true;
		}
	}
	return false;
}

/* QEMU's view again; after a device_del, once it has let the device's
 * files go, or CLOSING_WAIT seconds later (a guest may hold an unplug
 * back for ever: its files then stay locked). */
static int audit_again(struct change *c, struct vl_error *e)
{
	struct vl_deadline d = vl_deadline_in(CLOSING_WAIT);
	char *sock = vl_strdup(c->a.qmp);
	int rc;

	do {
		qmp_forget_nodes(&c->q);	/* each look a new one */
		audit_proc_free(&c->a);
		rc = audit_process_over(c->pid, sock, &c->q, c->o->timeout,
					&c->a, e);
	} while (!rc && still_closing(c) && !vl_deadline_passed(&d) &&
		 usleep(20000) == 0);
	free(sock);
	return rc;
}

/* Step 5: the locks as QEMU now has its files. */
static int settle(struct change *c, bool failed, struct vl_error *e)
{
	int rc;

	rc = audit_again(c, e);
	if (rc == EX_NOINPUT)	/* quit: nothing is left to lock */
		return 0;
	if (!rc && !failed)
		rc = expect(c, true, e);
	for (size_t i = 0; !rc && failed && i < c->a.n; i++)
		c->a.v[i].skip = !wanted(c, &c->a.v[i]);
	if (!rc) {
		struct audit_sync_opts so = sync_opts(c);
		rc = audit_sync(&c->a, &so, e);
	}
	if (failed)
		unmake_files(c);
	return rc;
}

static void change_free(struct change *c)
{
	for (size_t i = 0; i < c->nmade; i++)
		free(c->made[i].path);
	free(c->made);
	qmp_wants_free(&c->w);
	audit_proc_free(&c->a);
	qmp_command_free(&c->cmd);
	if (c->connected)
		qmp_close(&c->q);
}

int audit_change(const struct audit_change_opts *o, char **reply,
		 struct vl_error *e)
{
	struct change c = { .o = o, .pid = o->pid };
	bool failed = false;
	int rc = qmp_command_parse(o->command, &c.cmd, &c.name, e);

	*reply = NULL;
	if (!rc)
		rc = find_qemu(&c, e);
	if (!rc)
		rc = judge(&c, e);
	if (!rc)
		rc = lock_wanted(&c, e);
	if (rc) {
		change_free(&c);
		return rc;
	}
	/* no reply: QEMU may have run it, as far as vmlock knows */
	rc = qmp_send_text(&c.q, o->command, c.w.stream, reply, &failed, e);
	struct vl_error later;
	int synced = settle(&c, failed, &later);
	if (!rc && synced)
		*e = later;
	rc = rc ? rc : synced ? synced : failed;
	change_free(&c);
	return rc;
}
