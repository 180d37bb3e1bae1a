/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The QMP client (see qmp.h). */
#include "config.h"
#include "api/api.h"
#include "qemu/filename.h"
#include "qemu/json.h"
#include "qmp/qmp.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A reply longer than this is no QMP reply vmlock waits for. */
#define QMP_LINE_MAX (64 << 20)

static int qmp_fail_errno(const struct qmp *q, int err, const char *what,
			  struct vl_error *e)
{
	int code = err == ENOENT ? EX_NOINPUT :
		   err == EACCES || err == EPERM ? EX_NOPERM :
		   err == ECONNREFUSED || err == EAGAIN || err == EPIPE ||
		   err == ECONNRESET || err == ETIMEDOUT ? EX_UNAVAILABLE :
		   EX_OSERR;

	return vl_fail(e, code, "QMP socket %s: %s: %s", q->path, what,
		       strerror(err));
}

/* A name longer than sun_path is reached through its directory's fd. */
static int connect_unix(struct qmp *q, const char *path, struct vl_error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *dir = NULL;
	int dirfd = -1, rc = 0;

	if (strlen(path) >= sizeof sa.sun_path) {
		const char *slash = strrchr(path, '/');
		dir = vl_strndup(path, slash ? (size_t)(slash - path) : 0);
		dirfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s",
			 dirfd, slash ? slash + 1 : path);
	} else {
		memcpy(sa.sun_path, path, strlen(path) + 1);
	}
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (q->fd < 0 || connect(q->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		rc = qmp_fail_errno(q, errno, "cannot connect", e);
	if (dirfd >= 0)
		close(dirfd);
	free(dir);
	return rc;
}

/* Waits for events on q->fd until the deadline: 0 or an exit code. */
static int wait_for(struct qmp *q, short events, const struct vl_deadline *d,
		    struct vl_error *e)
{
	struct pollfd p = { .fd = q->fd, .events = events };
	int rc;

	do {
		double ms = vl_deadline_left(d) * 1000 + 1;
		rc = poll(&p, 1, ms > INT_MAX ? INT_MAX : (int)ms);
	} while (rc < 0 && errno == EINTR && !vl_deadline_passed(d));
	if (rc > 0)
		return 0;
	return qmp_fail_errno(q, rc < 0 ? errno : ETIMEDOUT, "waiting for QEMU",
			      e);
}

/* The next whole line QEMU sends, newly allocated. */
static int read_line(struct qmp *q, char **line, struct vl_error *e)
{
	struct vl_deadline d = vl_deadline_in(q->timeout);
	char *nl;

	while (!(nl = q->len ? memchr(q->buf, '\n', q->len) : NULL)) {
		if (q->len + 4096 > q->cap)
			q->buf = vl_reallocarray(q->buf, q->cap = 2 * q->cap + 4096,
						 1);
		if (q->len > QMP_LINE_MAX)
			return qmp_fail_errno(q, EMSGSIZE, "reading a reply", e);
		int rc = wait_for(q, POLLIN, &d, e);
		if (rc)
			return rc;
		ssize_t got = recv(q->fd, q->buf + q->len, q->cap - q->len, 0);
		if (got == 0)
			return vl_fail(e, EX_UNAVAILABLE, "QMP socket %s: QEMU "
				       "closed the connection", q->path);
		if (got < 0 && errno != EAGAIN && errno != EINTR)
			return qmp_fail_errno(q, errno, "reading a reply", e);
		q->len += got > 0 ? (size_t)got : 0;
	}
	size_t n = (size_t)(nl - q->buf) + 1;
	*line = vl_strndup(q->buf, n);
	memmove(q->buf, q->buf + n, q->len - n);
	q->len -= n;
	return 0;
}

/* The next message that is no event; its text in *raw unless NULL. */
static int read_message(struct qmp *q, struct qemu_kvlist *msg, char **raw,
			struct vl_error *e)
{
	for (;;) {
		char *line = NULL;
		int rc = read_line(q, &line, e);

		if (rc)
			return rc;
		rc = qemu_json_parse(line, msg, e);
		if (rc) {
			free(line);
			return vl_fail(e, EX_UNAVAILABLE, "QMP socket %s: a "
				       "reply vmlock cannot read: %s", q->path,
				       e->msg);
		}
		if (!qemu_kv_find(msg, "event")) {
			if (raw) {
				line[strcspn(line, "\r\n")] = '\0';
				*raw = line;
			} else {
				free(line);
			}
			return 0;
		}
		free(line);
		qemu_kvlist_free(msg);	/* events reach only those connected */
	}
}

static int send_all(struct qmp *q, const char *text, int fd,
		    struct vl_error *e)
{
	struct vl_deadline d = vl_deadline_in(q->timeout);
	size_t len = strlen(text), sent = 0;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;

	while (sent < len) {
		struct iovec iov = { (char *)text + sent, len - sent };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (fd >= 0 && !sent) {	/* the fd goes with the first byte */
			m.msg_control = ctl.space;
			m.msg_controllen = sizeof ctl.space;
			struct cmsghdr *c = CMSG_FIRSTHDR(&m);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof fd);
		}
		ssize_t n = sendmsg(q->fd, &m, MSG_NOSIGNAL);
		int rc = n >= 0 ? 0 : errno == EAGAIN ? wait_for(q, POLLOUT, &d, e)
			 : errno == EINTR ? 0
			 : qmp_fail_errno(q, errno, "sending a command", e);
		if (rc)
			return rc;
		sent += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

/* Moves what msg returns into ret, without the prefix. */
static void take_return(struct qemu_kvlist *msg, struct qemu_kvlist *ret)
{
	for (size_t i = 0; i < msg->n; i++) {
		struct qemu_kv *kv = &msg->v[i];
		if (!vl_starts_with(kv->key, "return.") &&
		    strcmp(kv->key, "return"))
			continue;	/* a string, a number: key "" */
		qemu_kv_append(ret, vl_strdup(kv->key + (kv->key[6] ? 7 : 6)),
			       kv->val);
		kv->val = NULL;
	}
}

int qmp_execute(struct qmp *q, const char *command, const char *args, int fd,
		struct qemu_kvlist *ret, struct vl_error *e)
{
	char *text = vl_asprintf("{\"execute\":\"%s\"%s%s}\n", command,
				 args ? ",\"arguments\":" : "",
				 args ? args : "");
	struct qemu_kvlist msg = {0};
	int rc = send_all(q, text, fd, e);

	free(text);
	if (!rc)
		rc = read_message(q, &msg, NULL, e);
	const char *desc = rc ? NULL : qemu_kv_get(&msg, "error.desc");
	if (!rc && qemu_kv_find(&msg, "error.class"))
		rc = vl_fail(e, EX_UNAVAILABLE, "QMP %s: %s", command,
			     desc ? desc : "an error");
	else if (!rc && ret)
		take_return(&msg, ret);
	qemu_kvlist_free(&msg);
	return rc;
}

void qmp_forget_nodes(struct qmp *q)
{
	qemu_kvlist_free(&q->nodes);
	q->nodes_kept = q->chains = false;
}

int qmp_send_text(struct qmp *q, const char *text, bool may_stream,
		  char **reply, bool *failed, struct vl_error *e)
{
	struct qemu_kvlist msg = {0};
	char *line = vl_asprintf("%s\n", text);
	int rc = send_all(q, line, -1, e);

	q->no_stream &= !may_stream;
	qmp_forget_nodes(q);
	free(line);
	*reply = NULL;
	if (!rc)
		rc = read_message(q, &msg, reply, e);
	const char *said = rc ? NULL : qemu_kv_get(&msg, "return");
	/* HMP's errors are strings that human-monitor-command returns */
	*failed = !rc && (qemu_kv_find(&msg, "error.class") ||
			  (said && vl_starts_with(said, "Error: ")));
	qemu_kvlist_free(&msg);
	return rc;
}

long qmp_peer_pid(const struct qmp *q)
{
	struct ucred cred;
	socklen_t len = sizeof cred;

	if (getsockopt(q->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	return cred.pid > 0 ? (long)cred.pid : -1;
}

int qmp_connect(struct qmp *q, const char *path, double timeout,
		struct vl_error *e)
{
	struct qemu_kvlist greeting = {0};
	int rc;

	*q = (struct qmp){ .fd = -1, .timeout = timeout,
			   .path = vl_strdup(path) };
	rc = connect_unix(q, path, e);
	if (!rc)
		rc = read_message(q, &greeting, NULL, e);
	if (!rc && !qemu_kv_has_prefix(&greeting, "QMP."))
		rc = vl_fail(e, EX_UNAVAILABLE, "QMP socket %s: no QMP "
			     "greeting", path);
	qemu_kvlist_free(&greeting);
	if (!rc)
		rc = qmp_execute(q, "qmp_capabilities", NULL, -1, NULL, e);
	if (rc)
		qmp_close(q);
	return rc;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	qmp_forget_nodes(q);
	free(q->path);
	free(q->buf);
	*q = (struct qmp){ .fd = -1 };
}

/* Is name a file of this host, as QEMU's file driver opens it? */
static bool local_file(const char *name)
{
	return *name && !qemu_name_is_protocol(name) &&
	       !vl_starts_with(name, "json:") &&
	       !vl_starts_with(name, "/dev/fdset/");
}

static void add_file(struct qmp_files *out, const char *path, bool ro)
{
	for (size_t i = 0; i < out->n; i++)
		if (!strcmp(out->v[i].path, path)) {
			out->v[i].ro &= ro;
			return;
		}
	*VL_PUSH(out->v, out->n, out->cap) = (struct qmp_file){
		.path = vl_strdup(path), .ro = ro };
}

/* Is a block-stream job with auto-dismiss off there (see qmp.h)? */
static int stream_waits(struct qmp *q, bool *waits, struct vl_error *e)
{
	struct qemu_kvlist jobs = {0};
	int rc;

	*waits = false;
	if (q->no_stream)
		return 0;
	rc = qmp_execute(q, "query-block-jobs", NULL, -1, &jobs, e);
	for (size_t i = 0; !rc; i++) {
		char *type = vl_asprintf("%zu.type", i);
		char *dismiss = vl_asprintf("%zu.auto-dismiss", i);
		const char *t = qemu_kv_get(&jobs, type);
		const char *d = qemu_kv_get(&jobs, dismiss);
		bool on = true;
		free(type);
		free(dismiss);
		if (!t)
			break;
		if (d)
			vl_parse_bool(d, &on);
		*waits |= !strcmp(t, "stream") && !on;
	}
	qemu_kvlist_free(&jobs);
	q->no_stream = !rc && !*waits;
	return rc;
}

int qmp_block_nodes(struct qmp *q, bool chains,
		    const struct qemu_kvlist **nodes, struct vl_error *e)
{
	bool waits;
	int rc;

	*nodes = q->nodes_kept && (q->chains || !chains) ? &q->nodes : NULL;
	if (*nodes)
		return 0;
	rc = stream_waits(q, &waits, e);
	if (rc || waits)
		return rc;
	qmp_forget_nodes(q);
	rc = qmp_execute(q, "query-named-block-nodes",
			 chains ? NULL : "{\"flat\":true}", -1, &q->nodes, e);
	q->nodes_kept = !rc;
	q->chains = chains;
	*nodes = rc ? NULL : &q->nodes;
	return rc;
}

int qmp_block_files(struct qmp *q, struct qmp_files *out, struct vl_error *e)
{
	const struct qemu_kvlist *nodes;
	int rc = qmp_block_nodes(q, false, &nodes, e);

	if (!rc && !nodes)
		rc = vl_fail(e, EX_UNAVAILABLE, "QMP socket %s: a block-stream "
			     "job with auto-dismiss off is there, and QEMU 7.2 "
			     "crashes on the question for its block nodes once "
			     "it has concluded; dismiss it first (job-dismiss)",
			     q->path);
	for (size_t i = 0; !rc && i < nodes->n; i++) {
		const struct qemu_kv *kv = &nodes->v[i];
		size_t digits = strspn(kv->key, "0123456789");
		if (!digits || strcmp(kv->key + digits, ".file") || !kv->val ||
		    !local_file(kv->val))
			continue;
		char *ro_key = vl_asprintf("%.*s.ro", (int)digits, kv->key);
		const char *ro = qemu_kv_get(nodes, ro_key);
		bool read_only = true;
		vl_parse_bool(ro ? ro : "on", &read_only);
		add_file(out, kv->val, read_only);
		free(ro_key);
	}
	return rc;
}

void qmp_files_free(struct qmp_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].path);
	free(f->v);
	*f = (struct qmp_files){0};
}
