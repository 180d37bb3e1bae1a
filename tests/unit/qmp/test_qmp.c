/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qmp/qmp.c: the QMP client against a scripted QMP server, a child
 * process listening on a unix socket in a scratch directory: greeting
 * and negotiation, events skipped, errors, an fd passed by SCM_RIGHTS,
 * replies cut anywhere, time-outs, a closed connection, block nodes. */
#include "config.h"
#include "qmp/qmp.h"
#include "util/util.h"
#include "../tap.h"
#include "listen.h"
#include "../testdir.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, " \
	"\"minor\": 2, \"major\": 7}}, \"capabilities\": [\"oob\"]}}\r\n"
#define EVENT "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, " \
	"\"event\": \"RESUME\"}\r\n"
#define EMPTY "{\"return\": {}}\r\n"

/* One step of the server: read a line that contains expect (none when
 * NULL), then send reply in pieces of piece bytes (all at once when 0);
 * with fd, the line brings an fd and the reply names its inode. */
struct step {
	const char *expect, *reply;
	size_t piece;
	bool fd, hang;
};

static char *dir;

/* The next line from c, with the fd that came along, if any. */
static bool server_read(int c, char *line, size_t size, int *fd)
{
	size_t n = 0;

	*fd = -1;
	while (n + 1 < size) {
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(sizeof(int))];
		} ctl;
		struct iovec iov = { line + n, 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl.space,
				    .msg_controllen = sizeof ctl.space };
		if (recvmsg(c, &m, 0) != 1)
			return false;
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		if (h && h->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(h), sizeof *fd);
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	return true;
}

static void server_send(int c, const char *text, size_t piece)
{
	size_t len = strlen(text);

	for (size_t off = 0; off < len;) {
		size_t n = piece && piece < len - off ? piece : len - off;
		if (write(c, text + off, n) != (ssize_t)n)
			_exit(3);
		off += n;
		if (piece)
			usleep(2000);
	}
}

static _Noreturn void serve(int lfd, const struct step *steps)
{
	int c = accept(lfd, NULL, NULL);
	char line[4096], reply[256];

	for (const struct step *s = steps; c >= 0 && (s->expect || s->reply ||
						       s->hang); s++) {
		int fd = -1;
		if (s->hang)
			pause();
		if (s->expect && (!server_read(c, line, sizeof line, &fd) ||
				  !strstr(line, s->expect)))
			_exit(2);
		const char *text = s->reply;
		if (s->fd) {
			struct stat st;
			snprintf(reply, sizeof reply, "{\"return\": {\"ino\": "
				 "%llu}}\r\n", fd >= 0 && !fstat(fd, &st) ?
				 (unsigned long long)st.st_ino : 0ULL);
			text = reply;
		}
		if (text)
			server_send(c, text, s->piece);
	}
	_exit(0);	/* closing the connection */
}

/* Starts the server at path with the steps; its pid. */
static pid_t server(const char *path, const struct step *steps)
{
	int lfd = listen_at(path);
	pid_t pid = fork();

	if (pid == 0)
		serve(lfd, steps);
	close(lfd);
	return pid;
}

/* The server's exit status, once it has run its steps (kill: at once). */
static int stop(pid_t pid, bool kill_it)
{
	int status = 0;

	if (kill_it)
		kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return status;
}

static const struct step negotiation[] = {
	{ NULL, GREETING, 0, false, false },
	{ "qmp_capabilities", EMPTY, 0, false, false },
	{ 0 },
};

static void test_negotiate_and_events(void)
{
	char *path = vl_asprintf("%s/q.sock", dir);
	struct step steps[] = {
		negotiation[0], negotiation[1],
		{ "query-status", EVENT EVENT "{\"return\": {\"status\": "
		  "\"running\", \"running\": true}}\r\n", 7, false, false },
		{ "\"arguments\":{\"a\": 1}", "{\"return\": [{\"file\": \"/x\"}, "
		  "{\"file\": \"/y\"}]}\r\n" EMPTY, 0, false, false },
		{ "second", NULL, 0, false, false },
		{ 0 },
	};
	pid_t pid = server(path, steps);
	struct qmp q;
	struct vl_error e;
	struct qemu_kvlist ret = {0};

	ok(qmp_connect(&q, path, 5, &e) == 0, "connect: greeting, "
	   "qmp_capabilities answered");
	ok(qmp_execute(&q, "query-status", NULL, -1, &ret, &e) == 0 &&
	   !strcmp(qemu_kv_get(&ret, "status"), "running") &&
	   !strcmp(qemu_kv_get(&ret, "running"), "on"),
	   "query-status past two events, the reply cut in 7-byte pieces: "
	   "status running");
	qemu_kvlist_free(&ret);
	ok(qmp_execute(&q, "first", "{\"a\": 1}", -1, &ret, &e) == 0 &&
	   !strcmp(qemu_kv_get(&ret, "1.file"), "/y"),
	   "a command with arguments; an array returned as 0.file, 1.file");
	qemu_kvlist_free(&ret);
	ok(qmp_execute(&q, "second", NULL, -1, NULL, &e) == 0,
	   "a second reply that came in the same write as the first");
	qmp_close(&q);
	ok(stop(pid, false) == 0, "the server saw every command it expected");
	free(path);
}

static void test_errors(void)
{
	char *path = vl_asprintf("%s/e.sock", dir);
	struct step steps[] = {
		negotiation[0], negotiation[1],
		{ "getfd", "{\"error\": {\"class\": \"GenericError\", \"desc\": "
		  "\"No file descriptor supplied via SCM_RIGHTS\"}}\r\n", 0,
		  false, false },
		{ "quit", NULL, 0, false, false },
		{ 0 },
	};
	pid_t pid = server(path, steps);
	struct qmp q;
	struct vl_error e;

	qmp_connect(&q, path, 5, &e);
	ok(qmp_execute(&q, "getfd", "{\"fdname\": \"x\"}", -1, NULL, &e) == 69 &&
	   strstr(e.msg, "QMP getfd: No file descriptor supplied"),
	   "an error reply: 69, QEMU's description (%s)", e.msg);
	ok(qmp_execute(&q, "quit", NULL, -1, NULL, &e) == 69 &&
	   strstr(e.msg, "closed the connection"),
	   "the server closes without answering: 69, closed (%s)", e.msg);
	qmp_close(&q);
	stop(pid, true);
	free(path);
}

static void test_fd_passing(void)
{
	char *path = vl_asprintf("%s/f.sock", dir);
	char *file = vl_asprintf("%s/image", dir);
	struct step steps[] = {
		negotiation[0], negotiation[1],
		{ "getfd", NULL, 0, true, false },
		{ 0 },
	};
	pid_t pid = server(path, steps);
	int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	struct qmp q;
	struct vl_error e;
	struct qemu_kvlist ret = {0};

	fstat(fd, &st);
	qmp_connect(&q, path, 5, &e);
	char *ino = vl_asprintf("%llu", (unsigned long long)st.st_ino);
	ok(qmp_execute(&q, "getfd", "{\"fdname\": \"vmlock-x\"}", fd, &ret,
		       &e) == 0 && qemu_kv_get(&ret, "ino") &&
	   !strcmp(qemu_kv_get(&ret, "ino"), ino),
	   "getfd with an fd: the server received that very file (inode %s)",
	   ino);
	free(ino);
	qemu_kvlist_free(&ret);
	qmp_close(&q);
	stop(pid, true);
	close(fd);
	free(file);
	free(path);
}

static void test_timeouts(void)
{
	char *path = vl_asprintf("%s/t.sock", dir);
	struct step silent[] = { { .hang = true }, { 0 } };
	struct step mute[] = {
		negotiation[0], negotiation[1],
		{ .hang = true }, { 0 },
	};
	struct qmp q;
	struct vl_error e;
	pid_t pid = server(path, silent);
	double t0 = tap_now();

	ok(qmp_connect(&q, path, 0.3, &e) == 69 &&
	   strstr(e.msg, "timed out") && tap_now() - t0 < 3,
	   "no greeting within 0.3 s: 69 after about 0.3 s (%.2f s: %s)",
	   tap_now() - t0, e.msg);
	stop(pid, true);
	pid = server(path, mute);
	qmp_connect(&q, path, 0.3, &e);
	t0 = tap_now();
	ok(qmp_execute(&q, "query-status", NULL, -1, NULL, &e) == 69 &&
	   tap_now() - t0 < 3, "no reply within 0.3 s: 69 (%.2f s)", tap_now() - t0);
	qmp_close(&q);
	stop(pid, true);
	unlink(path);
	ok(qmp_connect(&q, path, 1, &e) == 66, "no socket at all: 66 (%s)",
	   e.msg);
	int lfd = listen_at(path);
	close(lfd);	/* a socket file nobody listens on */
	ok(qmp_connect(&q, path, 1, &e) == 69, "nobody listens: 69 (%s)",
	   e.msg);
	free(path);
}

static void test_long_path(void)
{
	char *deep = vl_asprintf("%s/%0100d", dir, 0);
	char *path = vl_asprintf("%s/long-name.sock", deep);
	struct qmp q;
	struct vl_error e;

	mkdir(deep, 0700);
	pid_t pid = server(path, negotiation);
	ok(strlen(path) > 108 && qmp_connect(&q, path, 5, &e) == 0,
	   "a socket path of %zu bytes, longer than sun_path: connected",
	   strlen(path));
	qmp_close(&q);
	stop(pid, true);
	free(path);
	free(deep);
}

/* qmp_block_files against a server playing steps. */
static int block_files(const char *path, const struct step *steps,
		       struct qmp_files *f, struct vl_error *e)
{
	pid_t pid = server(path, steps);
	struct qmp q;
	int rc = qmp_connect(&q, path, 5, e);

	if (!rc)
		rc = qmp_block_files(&q, f, e);
	if (q.fd >= 0)
		qmp_close(&q);
	stop(pid, true);
	return rc;
}

static void test_block_files(void)
{
	char *path = vl_asprintf("%s/b.sock", dir);
	struct step steps[] = {
		negotiation[0], negotiation[1],
		{ "\"query-block-jobs\"", "{\"return\": []}\r\n", 0, false,
		  false },
		{ "\"query-named-block-nodes\",\"arguments\":{\"flat\":true}",
		  "{\"return\": [{\"file\": \"/img/a.qcow2\", \"ro\": false, "
		  "\"node-name\": \"f\", \"image\": {\"filename\": \"x\"}}, "
		  "{\"file\": \"/img/a.qcow2\", \"ro\": true}, "
		  "{\"file\": \"/img/base.qcow2\", \"ro\": true}, "
		  "{\"file\": \"rel.img\", \"ro\": true}, "
		  "{\"file\": \"json:{\\\"driver\\\": \\\"null-co\\\"}\", "
		  "\"ro\": false}, {\"file\": \"nbd://host/x\", \"ro\": false}, "
		  "{\"file\": \"/dev/fdset/3\", \"ro\": false}]}\r\n",
		  0, false, false },
		{ 0 },
	};
	struct qmp_files f = {0};
	struct vl_error e;

	ok(block_files(path, steps, &f, &e) == 0 && f.n == 3,
	   "seven nodes: three local files (%zu)", f.n);
	if (f.n != 3)
		printf("# %s\n", e.msg);
	ok(f.n == 3 && !strcmp(f.v[0].path, "/img/a.qcow2") && !f.v[0].ro &&
	   !strcmp(f.v[1].path, "/img/base.qcow2") && f.v[1].ro &&
	   !strcmp(f.v[2].path, "rel.img") && f.v[2].ro,
	   "a.qcow2 once, read-write (one of its nodes is), base read-only, "
	   "rel.img as named; json:, nbd:// and /dev/fdset/3 left out");
	qmp_files_free(&f);
	free(path);
}

/* QEMU 7.2 dies answering query-named-block-nodes once such a job has
 * concluded. */
static void test_block_files_stream_undismissed(void)
{
	char *path = vl_asprintf("%s/s.sock", dir);
	struct step steps[] = {
		negotiation[0], negotiation[1],
		{ "\"query-block-jobs\"", "{\"return\": [{\"auto-dismiss\": "
		  "false, \"device\": \"s1\", \"status\": \"running\", "
		  "\"type\": \"stream\"}]}\r\n", 0, false, false },
		{ 0 },
	};
	struct qmp_files f = {0};
	struct vl_error e;

	ok(block_files(path, steps, &f, &e) == 69 && !f.n &&
	   strstr(e.msg, "job-dismiss"),
	   "a block-stream job with auto-dismiss off: 69, the nodes never "
	   "asked (%s)",
	   e.msg);
	qmp_files_free(&f);
	free(path);
}

/* How many files qmp_block_files names now; -1 on an error. */
static long files_now(struct qmp *q)
{
	struct qmp_files f = {0};
	struct vl_error e;
	long n = qmp_block_files(q, &f, &e) ? -1 : (long)f.n;

	qmp_files_free(&f);
	return n;
}

/* Did qmp_send_text send text and get a reply that is no error? */
static bool sent(struct qmp *q, const char *text, bool may_stream)
{
	struct vl_error e;
	char *reply = NULL;
	bool failed = true;
	bool ok = qmp_send_text(q, text, may_stream, &reply, &failed, &e) == 0;

	free(reply);
	return ok && !failed;
}

/* Questions cost QEMU a turn of its loop per byte: the node answer is
 * kept until the user's command, and query-block-jobs comes again only
 * after a command that may start a stream job. The server takes the
 * steps in order, so an extra or missing question breaks it. */
static void test_kept_nodes(void)
{
	char *path = vl_asprintf("%s/k.sock", dir);
	const char *nodes = "{\"return\": [{\"file\": \"/img/a\", "
			    "\"ro\": false, \"node-name\": \"a\"}]}\r\n";
	struct step steps[] = {
		negotiation[0], negotiation[1],
		{ "\"query-block-jobs\"", "{\"return\": []}\r\n", 0, false,
		  false },
		{ "\"query-named-block-nodes\"}", nodes, 0, false, false },
		{ "\"cmd-one\"", EMPTY, 0, false, false },
		{ "\"query-named-block-nodes\",\"arguments\":{\"flat\":true}",
		  nodes, 0, false, false },
		{ "\"cmd-two\"", EMPTY, 0, false, false },
		{ "\"query-block-jobs\"", "{\"return\": []}\r\n", 0, false,
		  false },
		{ "\"query-named-block-nodes\",\"arguments\":{\"flat\":true}",
		  nodes, 0, false, false },
		{ 0 },
	};
	pid_t pid = server(path, steps);
	const struct qemu_kvlist *kv = NULL;
	struct vl_error e;
	struct qmp q;

	ok(qmp_connect(&q, path, 5, &e) == 0 &&
	   qmp_block_nodes(&q, true, &kv, &e) == 0 && kv &&
	   !strcmp(qemu_kv_get(kv, "0.file"), "/img/a"),
	   "the nodes with their chains: asked after query-block-jobs");
	ok(files_now(&q) == 1,
	   "the files of the nodes: from that answer, nothing asked");
	ok(sent(&q, "{\"execute\": \"cmd-one\"}", false),
	   "a command that starts no stream job");
	ok(files_now(&q) == 1,
	   "after it: the nodes asked again (flat), no query-block-jobs");
	ok(sent(&q, "{\"execute\": \"cmd-two\"}", true),
	   "a command that may start one");
	ok(files_now(&q) == 1,
	   "after it: query-block-jobs first, then the nodes");
	qmp_close(&q);
	ok(stop(pid, false) == 0, "the server saw those questions, in order, "
	   "and no other");
	free(path);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	dir = testdir_make();
	if (!dir)
		return 99;
	test_negotiate_and_events();
	test_errors();
	test_fd_passing();
	test_timeouts();
	test_long_path();
	test_block_files();
	test_block_files_stream_undismissed();
	test_kept_nodes();
	testdir_remove(dir);
	return done_testing();
}
