/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qmp/judge.c: what a QMP command makes a running QEMU open, against
 * a fake QEMU: a child process on a unix socket in a scratch directory
 * that answers query-named-block-nodes, query-block and qom-get with
 * replies shaped like QEMU 7.2's, over images whose headers are written
 * here, and logs every command it receives. Each check is named by its
 * command; wants are shown as MODE:PATH[+create][+job] with the scratch
 * directory as D. */
#include "config.h"
#include "qmp/judge.h"
#include "util/util.h"
#include "../image/image_build.h"
#include "../tap.h"
#include "listen.h"
#include "../testdir.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, " \
	"\"minor\": 2, \"major\": 7}}, \"capabilities\": [\"oob\"]}}\r\n"

static char *dir;
static char *nodes_reply, *block_reply;

/* ---- the scratch images -------------------------------------------------- */

static char *in_dir(const char *name)
{
	return vl_asprintf("%s/%s", dir, name);
}

static void write_raw(const char *name)
{
	unsigned char b[CLUSTER];

	memset(b, 0, sizeof b);
	testdir_write(dir, name, b, sizeof b);
}

/* ---- the fake QEMU -------------------------------------------------------- */

static bool server_read(int c, char *line, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		if (read(c, line + n, 1) != 1)
			return false;
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	return true;
}

static void server_send(int c, const char *text)
{
	size_t len = strlen(text);

	if (write(c, text, len) != (ssize_t)len)
		_exit(3);
}

/* A canned reply: to a command line containing match. */
struct rule {
	const char *match, *reply;
};

/* Answers each command by the first rule it matches (an error when
 * none does), logging each to log, until the client closes. */
static _Noreturn void serve(int lfd, const char *log, const struct rule *rules)
{
	int c = accept(lfd, NULL, NULL);
	FILE *f = fopen(log, "w");
	char line[8192];

	if (c < 0 || !f)
		_exit(2);
	server_send(c, GREETING);
	while (server_read(c, line, sizeof line)) {
		const struct rule *r = rules;
		fputs(line, f);
		fflush(f);
		if (strstr(line, "qmp_capabilities")) {
			server_send(c, "{\"return\": {}}\r\n");
			continue;
		}
		while (r->match && !strstr(line, r->match))
			r++;
		server_send(c, r->match ? r->reply : "{\"error\": {\"class\": "
			    "\"CommandNotFound\", \"desc\": \"not scripted\"}}"
			    "\r\n");
	}
	fclose(f);
	_exit(0);
}

/* The wants, "MODE:PATH[+create][+job]" joined by spaces, dir as D. */
static const char *describe(const struct qmp_wants *w)
{
	static const char *const modes[] = { "excl", "shared", "ro" };
	static char out[4096];
	size_t n = 0, dlen = strlen(dir);

	out[0] = '\0';
	for (size_t i = 0; i < w->n && n < sizeof out; i++) {
		const char *p = w->v[i].path;
		bool in = !strncmp(p, dir, dlen) && p[dlen] == '/';
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s:%s%s%s%s",
				      i ? " " : "", modes[w->v[i].mode],
				      in ? "D" : "", in ? p + dlen : p,
				      w->v[i].create ? "+create" : "",
				      w->v[i].job ? "+job" : "");
	}
	return out;
}

/* The result of a judgement: "WANTS" or "error CODE: MESSAGE"; and the
 * commands the fake QEMU got past negotiation, by name, joined by
 * spaces. */
struct verdict {
	int rc;
	char text[4096];
	char asked[1024];
	bool stream;		/* it starts a block-stream job */
};

/* Judges command (JSON, "D" in it replaced by the scratch directory)
 * against a fake QEMU with rules (NULL: the standard ones). */
static struct verdict judge_rules(const char *command, const struct rule *rules)
{
	static const char *const names[] = { "query-block-jobs",
		"query-named-block-nodes",
		"query-block", "qom-get", NULL };
	struct rule standard[] = {
		{ "\"query-block-jobs\"", "{\"return\": []}\r\n" },
		{ "\"query-named-block-nodes\"", nodes_reply },
		{ "\"query-block\"", block_reply },
		{ "\"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/"
		  "cd0\", \"property\": \"type\"}", "{\"return\": \"ide-cd\"}\r\n" },
		{ "\"qom-get\", \"arguments\": {\"path\": \"/machine/unattached/"
		  "device[15]\", \"property\": \"type\"}",
		  "{\"return\": \"floppy\"}\r\n" },
		{ 0 },
	};
	char *sock = in_dir("q.sock"), *log = in_dir("q.log");
	int lfd = listen_at(sock);
	pid_t pid = fork();
	struct verdict v = {0};
	struct qemu_kvlist cmd = {0};
	struct qmp_wants w = {0};
	struct vl_error e = {0};
	struct qmp q;
	const char *name;
	char *text = vl_strdup(command), *d;

	if (pid == 0)
		serve(lfd, log, rules ? rules : standard);
	close(lfd);
	for (size_t at = 0; (d = strstr(text + at, "D/"));) {
		size_t off = (size_t)(d - text);
		if (off && strchr("\" =", text[off - 1])) {
			char *t = vl_asprintf("%.*s%s/%s", (int)off, text, dir,
					      d + 2);
			free(text);
			text = t;
			off += strlen(dir);
		}
		at = off + 1;
	}
	v.rc = qmp_connect(&q, sock, 5, &e);
	bool connected = !v.rc;
	if (!v.rc)
		v.rc = qmp_command_parse(text, &cmd, &name, &e);
	if (!v.rc) {
		v.rc = qmp_judge(&q, pid, dir, &cmd, &w, &e);
		qmp_command_free(&cmd);
	}
	if (v.rc)
		snprintf(v.text, sizeof v.text, "error %d: %s", v.rc, e.msg);
	else
		snprintf(v.text, sizeof v.text, "%s", describe(&w));
	v.stream = w.stream;
	qmp_wants_free(&w);
	if (connected)
		qmp_close(&q);
	waitpid(pid, NULL, 0);

	FILE *f = fopen(log, "r");
	char line[8192];
	size_t n = 0;
	while (f && fgets(line, sizeof line, f))
		for (const char *const *k = names; *k; k++) {
			char *quoted = vl_asprintf("\"%s\"", *k);
			if (strstr(line, quoted) && n < sizeof v.asked)
				n += (size_t)snprintf(v.asked + n,
						      sizeof v.asked - n, "%s%s",
						      n ? " " : "", *k);
			free(quoted);
		}
	if (f)
		fclose(f);
	free(text);
	free(log);
	free(sock);
	return v;
}

static struct verdict judge(const char *command)
{
	return judge_rules(command, NULL);
}

/* command's wants are want (with D for the directory). */
static void check(const char *command, const char *want)
{
	struct verdict v = judge(command);

	ok(v.rc == 0 && !strcmp(v.text, want), "%s: %s (%s)", command,
	   *want ? want : "nothing", v.text);
}

/* command is refused with rc. */
static void check_rc(const char *command, int rc)
{
	struct verdict v = judge(command);

	ok(v.rc == rc, "%s: %d (%s)", command, rc, v.text);
}

/* ---- QEMU's state ---------------------------------------------------------- */

/* d0: top.qcow2 -> mid.qcow2 -> base.qcow2 (fmt-top, proto-top, ...);
 * floppy0: disk.raw read-write (fmt-raw on proto-raw); ide1-cd0 (device
 * cd0) empty; spare.qcow2 (backing base.qcow2), a protocol node alone;
 * free.raw and ro.qcow2 (read-only), format nodes without a drive. */
static void make_state(void)
{
	testdir_write_qcow2(dir, "base.qcow2", NULL);
	testdir_write_qcow2(dir, "mid.qcow2", "base.qcow2");
	testdir_write_qcow2(dir, "top.qcow2", "mid.qcow2");
	testdir_write_qcow2(dir, "spare.qcow2", "base.qcow2");
	testdir_write_qcow2(dir, "new.qcow2", "base.qcow2");
	testdir_write_qcow2(dir, "ro.qcow2", NULL);
	write_raw("disk.raw");
	write_raw("free.raw");
	write_raw("cd.iso");
	write_raw("medium.raw");

	const char *D = dir;
	char *base = vl_asprintf("{\"filename\": \"%s/base.qcow2\", "
				 "\"format\": \"qcow2\", \"virtual-size\": 1048576}",
				 D);
	char *mid = vl_asprintf("{\"filename\": \"%s/mid.qcow2\", \"format\": "
				"\"qcow2\", \"virtual-size\": 1048576, "
				"\"backing-filename\": \"base.qcow2\", "
				"\"backing-image\": %s}", D, base);
	char *top = vl_asprintf("{\"filename\": \"%s/top.qcow2\", \"format\": "
				"\"qcow2\", \"virtual-size\": 1048576, "
				"\"backing-filename\": \"mid.qcow2\", "
				"\"backing-image\": %s}", D, mid);
#define NODE(name, drv, file, ro, image) \
	"{\"node-name\": \"" name "\", \"drv\": \"" drv "\", \"file\": \"%s/" \
	file "\", \"ro\": " ro ", \"encrypted\": false, \"detect_zeroes\": " \
	"\"off\", \"cache\": {\"writeback\": true, \"direct\": false, " \
	"\"no-flush\": false}, \"image\": " image "}"
#define RAWIMG(file) "{\"filename\": \"%s/" file "\", \"format\": " \
	"\"file\", \"virtual-size\": 4096}"
	nodes_reply = vl_asprintf(
		"{\"return\": ["
		NODE("fmt-top", "qcow2", "top.qcow2", "false", "%s") ", "
		NODE("proto-top", "file", "top.qcow2", "false", RAWIMG("top.qcow2")) ", "
		NODE("fmt-mid", "qcow2", "mid.qcow2", "true", "%s") ", "
		NODE("proto-mid", "file", "mid.qcow2", "true", RAWIMG("mid.qcow2")) ", "
		NODE("fmt-base", "qcow2", "base.qcow2", "true", "%s") ", "
		NODE("proto-base", "file", "base.qcow2", "true", RAWIMG("base.qcow2")) ", "
		NODE("fmt-raw", "raw", "disk.raw", "false", RAWIMG("disk.raw")) ", "
		NODE("proto-raw", "file", "disk.raw", "false", RAWIMG("disk.raw")) ", "
		NODE("proto-spare", "file", "spare.qcow2", "false", RAWIMG("spare.qcow2")) ", "
		NODE("fmt-free", "raw", "free.raw", "false", RAWIMG("free.raw")) ", "
		NODE("proto-free", "file", "free.raw", "false", RAWIMG("free.raw")) ", "
		NODE("fmt-ro", "qcow2", "ro.qcow2", "true",
		     "{\"filename\": \"%s/ro.qcow2\", \"format\": \"qcow2\"}") ", "
		NODE("proto-ro", "file", "ro.qcow2", "true", RAWIMG("ro.qcow2"))
		"]}\r\n",
		D, top, D, D, D, mid, D, D, D, base, D, D, D, D, D, D, D, D, D, D,
		D, D, D, D, D, D);
	free(top);
	free(mid);
	free(base);
	block_reply = vl_asprintf(
		"{\"return\": [{\"device\": \"d0\", \"qdev\": "
		"\"/machine/peripheral/vd0/virtio-backend\", \"locked\": false, "
		"\"removable\": false, \"type\": \"unknown\", \"inserted\": "
		"{\"node-name\": \"fmt-top\", \"ro\": false, \"drv\": \"qcow2\", "
		"\"file\": \"%s/top.qcow2\", \"backing_file\": \"mid.qcow2\", "
		"\"backing_file_depth\": 2, \"encrypted\": false}}, "
		"{\"device\": \"floppy0\", \"qdev\": \"/machine/unattached/"
		"device[15]\", \"locked\": false, \"removable\": true, "
		"\"tray_open\": false, \"type\": \"unknown\", \"inserted\": "
		"{\"node-name\": \"fmt-raw\", \"ro\": false, \"drv\": \"raw\", "
		"\"file\": \"%s/disk.raw\", \"encrypted\": false}}, "
		"{\"device\": \"ide1-cd0\", \"qdev\": \"/machine/peripheral/cd0\", "
		"\"locked\": false, \"removable\": true, \"tray_open\": false, "
		"\"type\": \"unknown\"}, "
		"{\"device\": \"rw0\", \"qdev\": \"/machine/peripheral/cd1\", "
		"\"locked\": false, \"removable\": true, \"tray_open\": false, "
		"\"type\": \"unknown\"}, "
		"{\"device\": \"ro0\", \"qdev\": \"/machine/peripheral/vd1/"
		"virtio-backend\", \"locked\": false, \"removable\": false, "
		"\"type\": \"unknown\", \"inserted\": {\"node-name\": \"fmt-ro\", "
		"\"ro\": true, \"drv\": \"qcow2\", \"file\": \"%s/ro.qcow2\", "
		"\"encrypted\": false}}]}\r\n", D, D, D);
}

/* ---- the commands ------------------------------------------------------------- */

static void test_blockdev_add(void)
{
	check("{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": "
	      "\"qcow2\", \"node-name\": \"n1\", \"file\": {\"driver\": "
	      "\"file\", \"filename\": \"D/new.qcow2\"}}}",
	      "excl:D/new.qcow2 ro:D/base.qcow2");
	check("{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": "
	      "\"qcow2\", \"node-name\": \"n1\", \"read-only\": true, "
	      "\"file\": {\"driver\": \"file\", \"filename\": \"D/new.qcow2\"}}}",
	      "ro:D/new.qcow2 ro:D/base.qcow2");
	check("{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": "
	      "\"qcow2\", \"node-name\": \"n1\", \"backing\": null, "
	      "\"file\": {\"driver\": \"file\", \"filename\": \"D/new.qcow2\"}}}",
	      "excl:D/new.qcow2");
	/* references to QEMU's nodes: those are open already */
	check("{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": "
	      "\"raw\", \"node-name\": \"n2\", \"file\": \"proto-free\"}}", "");
	check("{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": "
	      "\"qcow2\", \"node-name\": \"n2\", \"backing\": null, "
	      "\"file\": \"proto-spare\"}}", "");
	check("{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": "
	      "\"qcow2\", \"node-name\": \"n2\", \"file\": \"proto-spare\"}}",
	      "ro:D/base.qcow2");
	check("{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": "
	      "\"qcow2\", \"node-name\": \"n3\", \"file\": {\"driver\": "
	      "\"file\", \"filename\": \"D/new.qcow2\"}, \"backing\": "
	      "\"fmt-base\"}}", "excl:D/new.qcow2");
	check_rc("{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": "
		 "\"raw\", \"node-name\": \"n4\", \"file\": \"no-such-node\"}}",
		 64);
	/* each question is bytes QEMU reads one by one: only those needed */
	struct verdict v = judge("{\"execute\": \"blockdev-add\", \"arguments\": "
				 "{\"driver\": \"raw\", \"node-name\": \"n2\", "
				 "\"file\": \"proto-free\"}}");
	ok(v.rc == 0 && !strcmp(v.asked, "query-block-jobs "
				"query-named-block-nodes") && !v.stream,
	   "blockdev-add: the nodes asked, not the drives; no stream job "
	   "(asked %s)", v.asked);
}

static void test_commit(void)
{
	check("{\"execute\": \"block-commit\", \"arguments\": {\"device\": "
	      "\"d0\", \"top-node\": \"fmt-mid\", \"base-node\": \"fmt-base\"}}",
	      "excl:D/top.qcow2+job excl:D/mid.qcow2+job excl:D/base.qcow2+job");
	check("{\"execute\": \"block-commit\", \"arguments\": {\"device\": "
	      "\"d0\", \"top\": \"D/mid.qcow2\", \"base\": \"D/base.qcow2\"}}",
	      "excl:D/top.qcow2+job excl:D/mid.qcow2+job excl:D/base.qcow2+job");
	check("{\"execute\": \"block-commit\", \"arguments\": {\"device\": "
	      "\"d0\", \"top-node\": \"fmt-top\", \"base-node\": \"fmt-mid\"}}",
	      "excl:D/top.qcow2+job excl:D/mid.qcow2+job");
	check_rc("{\"execute\": \"block-commit\", \"arguments\": {\"device\": "
		 "\"d0\", \"top-node\": \"fmt-base\", \"base-node\": \"fmt-mid\"}}",
		 64);
	check_rc("{\"execute\": \"block-commit\", \"arguments\": {\"device\": "
		 "\"nothere\"}}", 64);
}

/* After the command, QEMU is asked for its stream jobs (QEMU 7.2 dies on
 * the question for its nodes once one has concluded) only if it may
 * have started one. */
static void test_stream(void)
{
	static const char *const starts[] = {
		"{\"execute\": \"block-stream\", \"arguments\": {\"device\": "
		"\"d0\"}}",
		"{\"execute\": \"human-monitor-command\", \"arguments\": "
		"{\"command-line\": \"block_stream d0\"}}",
	};

	for (size_t i = 0; i < 2; i++) {
		struct verdict v = judge(starts[i]);
		ok(v.rc == 0 && !strcmp(v.text, "excl:D/top.qcow2+job") &&
		   v.stream, "%s: excl:D/top.qcow2+job, starts a stream job "
		   "(%s)", starts[i], v.text);
	}
	struct verdict v = judge("{\"execute\": \"block-commit\", "
				 "\"arguments\": {\"device\": \"d0\"}}");
	ok(v.rc == 0 && !v.stream, "block-commit starts no stream job");
}

static void test_snapshot_sync(void)
{
	struct verdict v;

	check("{\"execute\": \"blockdev-snapshot-sync\", \"arguments\": "
	      "{\"device\": \"d0\", \"snapshot-file\": \"D/ov.qcow2\", "
	      "\"format\": \"qcow2\"}}", "excl:D/ov.qcow2+create");
	check("{\"execute\": \"blockdev-snapshot-sync\", \"arguments\": "
	      "{\"device\": \"d0\", \"snapshot-file\": \"D/ov.qcow2\", "
	      "\"format\": \"qcow2\", \"mode\": \"absolute-paths\"}}",
	      "excl:D/ov.qcow2+create");
	check("{\"execute\": \"blockdev-snapshot-sync\", \"arguments\": "
	      "{\"node-name\": \"fmt-top\", \"snapshot-file\": \"D/ov.qcow2\", "
	      "\"mode\": \"existing\"}}", "excl:D/ov.qcow2");
	check("{\"execute\": \"blockdev-snapshot-sync\", \"arguments\": "
	      "{\"device\": \"d0\", \"snapshot-file\": \"rel.qcow2\"}}",
	      "excl:D/rel.qcow2+create");
	/* over a read-only top too: QEMU writes the overlay it creates */
	v = judge("{\"execute\": \"blockdev-snapshot-sync\", \"arguments\": "
		  "{\"device\": \"ro0\", \"snapshot-file\": \"D/ov-ro.qcow2\"}}");
	ok(v.rc == 0 && !strcmp(v.text, "excl:D/ov-ro.qcow2+create"),
	   "blockdev-snapshot-sync over read-only ro0, absolute-paths: "
	   "excl:D/ov-ro.qcow2+create (%s)", v.text);
	check_rc("{\"execute\": \"blockdev-snapshot-sync\", \"arguments\": "
		 "{\"device\": \"nothere\", \"snapshot-file\": \"D/x.qcow2\"}}",
		 64);
}

static void test_mirror(void)
{
	check("{\"execute\": \"drive-mirror\", \"arguments\": {\"device\": "
	      "\"d0\", \"target\": \"D/mirror.qcow2\", \"format\": \"qcow2\", "
	      "\"sync\": \"full\"}}",
	      "ro:D/top.qcow2+job excl:D/mirror.qcow2+create+job");
	check("{\"execute\": \"drive-mirror\", \"arguments\": {\"device\": "
	      "\"d0\", \"target\": \"D/mirror.qcow2\", \"sync\": \"full\", "
	      "\"mode\": \"existing\"}}",
	      "ro:D/top.qcow2+job excl:D/mirror.qcow2+job");
}

static void test_change_medium(void)
{
	struct verdict v;

	v = judge("{\"execute\": \"blockdev-change-medium\", \"arguments\": "
		  "{\"device\": \"ide1-cd0\", \"filename\": \"D/cd.iso\", "
		  "\"format\": \"raw\", \"read-only-mode\": \"retain\"}}");
	ok(v.rc == 0 && !strcmp(v.text, "ro:D/cd.iso"),
	   "blockdev-change-medium retain, empty ide1-cd0 (QEMU's command "
	   "line: -device ide-cd,id=cd0, no drive): ro:D/cd.iso (%s; asked %s)",
	   v.text, v.asked);
	check("{\"execute\": \"blockdev-change-medium\", \"arguments\": "
	      "{\"id\": \"cd0\", \"filename\": \"D/cd.iso\", \"format\": \"raw\"}}",
	      "ro:D/cd.iso");
	/* a CD whose -drive says neither media=cdrom nor readonly=on: QEMU
	 * opens its medium read-write */
	check("{\"execute\": \"blockdev-change-medium\", \"arguments\": "
	      "{\"device\": \"rw0\", \"filename\": \"D/cd.iso\", "
	      "\"format\": \"raw\"}}", "excl:D/cd.iso");
	v = judge("{\"execute\": \"blockdev-change-medium\", \"arguments\": "
		  "{\"device\": \"floppy0\", \"filename\": \"D/medium.raw\", "
		  "\"format\": \"raw\", \"read-only-mode\": \"retain\"}}");
	ok(v.rc == 0 && !strcmp(v.text, "excl:D/medium.raw"),
	   "blockdev-change-medium retain, floppy0 with a medium ro false: "
	   "excl:D/medium.raw (%s; asked %s)", v.text, v.asked);
	check("{\"execute\": \"blockdev-change-medium\", \"arguments\": "
	      "{\"device\": \"ide1-cd0\", \"filename\": \"D/cd.iso\", "
	      "\"format\": \"raw\", \"read-only-mode\": \"read-write\"}}",
	      "excl:D/cd.iso");
	check("{\"execute\": \"blockdev-change-medium\", \"arguments\": "
	      "{\"device\": \"floppy0\", \"filename\": \"D/medium.raw\", "
	      "\"format\": \"raw\", \"read-only-mode\": \"read-only\"}}",
	      "ro:D/medium.raw");
	check("{\"execute\": \"blockdev-change-medium\", \"arguments\": "
	      "{\"device\": \"ide1-cd0\", \"filename\": \"D/new.qcow2\"}}",
	      "ro:D/new.qcow2 ro:D/base.qcow2");
	check_rc("{\"execute\": \"blockdev-change-medium\", \"arguments\": "
		 "{\"device\": \"ide1-cd0\", \"filename\": \"D/missing.iso\"}}",
		 66);
}

static void test_device_add(void)
{
	check("{\"execute\": \"device_add\", \"arguments\": {\"driver\": "
	      "\"virtio-blk-pci\", \"id\": \"vd2\", \"drive\": \"fmt-free\", "
	      "\"share-rw\": true}}", "shared:D/free.raw");
	check("{\"execute\": \"device_add\", \"arguments\": {\"driver\": "
	      "\"virtio-blk-pci\", \"id\": \"vd2\", \"drive\": \"fmt-free\", "
	      "\"share-rw\": \"on\"}}", "shared:D/free.raw");
	check("{\"execute\": \"device_add\", \"arguments\": {\"driver\": "
	      "\"virtio-blk-pci\", \"id\": \"vd2\", \"drive\": \"fmt-free\"}}",
	      "excl:D/free.raw");
	check("{\"execute\": \"device_add\", \"arguments\": {\"driver\": "
	      "\"virtio-blk-pci\", \"id\": \"vd2\", \"drive\": \"fmt-ro\", "
	      "\"share-rw\": true}}", "ro:D/ro.qcow2");
	check("{\"execute\": \"device_add\", \"arguments\": {\"driver\": "
	      "\"e1000\", \"id\": \"net1\"}}", "");
	check_rc("{\"execute\": \"device_add\", \"arguments\": {\"driver\": "
		 "\"virtio-blk-pci\", \"drive\": \"nothere\"}}", 64);
}

static void test_transaction(void)
{
	struct verdict v = judge(
		"{\"execute\": \"transaction\", \"arguments\": {\"actions\": ["
		"{\"type\": \"blockdev-snapshot-sync\", \"data\": {\"device\": "
		"\"d0\", \"snapshot-file\": \"D/t1.qcow2\", \"format\": "
		"\"qcow2\"}}, "
		"{\"type\": \"blockdev-snapshot-sync\", \"data\": {\"node-name\": "
		"\"fmt-free\", \"snapshot-file\": \"D/t2.qcow2\", \"mode\": "
		"\"existing\"}}]}}");

	ok(v.rc == 0 && !strcmp(v.text, "excl:D/t1.qcow2+create excl:D/t2.qcow2"),
	   "transaction, two blockdev-snapshot-sync (absolute-paths, "
	   "existing): excl:D/t1.qcow2+create excl:D/t2.qcow2 (%s)", v.text);
	ok(!strcmp(v.asked, "query-block-jobs query-named-block-nodes query-block"),
	   "transaction: QEMU's nodes and drives asked once (%s)", v.asked);
	check_rc("{\"execute\": \"transaction\", \"arguments\": {\"actions\": ["
		 "{\"type\": \"blockdev-snapshot-sync\", \"data\": {\"device\": "
		 "\"d0\", \"snapshot-file\": \"D/t1.qcow2\"}}, "
		 "{\"type\": \"block-frobnicate\", \"data\": {}}]}}", 64);
}

static void test_hmp(void)
{
	check("{\"execute\": \"human-monitor-command\", \"arguments\": "
	      "{\"command-line\": \"drive_add 0 if=none,id=d9,file=D/new.qcow2\"}}",
	      "excl:D/new.qcow2 ro:D/base.qcow2");
	check("{\"execute\": \"human-monitor-command\", \"arguments\": "
	      "{\"command-line\": \"drive_add 0 if=none,id=d9,readonly=on,"
	      "file=D/new.qcow2\"}}", "ro:D/new.qcow2 ro:D/base.qcow2");
	check("{\"execute\": \"human-monitor-command\", \"arguments\": "
	      "{\"command-line\": \"snapshot_blkdev -n d0 D/ov.qcow2 qcow2\"}}",
	      "excl:D/ov.qcow2");
	check("{\"execute\": \"human-monitor-command\", \"arguments\": "
	      "{\"command-line\": \"snapshot_blkdev d0 D/ov.qcow2\"}}",
	      "excl:D/ov.qcow2+create");
	check("{\"execute\": \"human-monitor-command\", \"arguments\": "
	      "{\"command-line\": \"info block\"}}", "");
	check_rc("{\"execute\": \"human-monitor-command\", \"arguments\": "
		 "{\"command-line\": \"snapshot_blkdev -nf d0 D/ov.qcow2\"}}", 64);
	check_rc("{\"execute\": \"human-monitor-command\", \"arguments\": "
		 "{\"command-line\": \"qemu-io d0 \\\"write 0 4k\\\"\"}}", 64);
}

static void test_refused_and_passed(void)
{
	struct verdict v;

	check_rc("{\"execute\": \"block-frobnicate\", \"arguments\": "
		 "{\"device\": \"d0\"}}", 64);
	check_rc("{\"execute\": \"x-blockdev-frobnicate\"}", 64);
	check_rc("{\"execute\": \"drive-frobnicate\"}", 64);
	v = judge("{\"execute\": \"query-status\"}");
	ok(v.rc == 0 && !*v.text && !*v.asked, "query-status: nothing, and "
	   "no query sent to QEMU (%s; asked '%s')", v.text, v.asked);
	v = judge("{\"execute\": \"block-job-cancel\", \"arguments\": "
		  "{\"device\": \"job0\"}}");
	ok(v.rc == 0 && !*v.text && !*v.asked, "block-job-cancel: nothing, no "
	   "query (%s; asked '%s')", v.text, v.asked);
	v = judge("{\"execute\": \"blockdev-del\", \"arguments\": "
		  "{\"node-name\": \"fmt-free\"}}");
	ok(v.rc == 0 && !*v.text && !*v.asked, "blockdev-del: nothing before "
	   "(%s; asked '%s')", v.text, v.asked);
}

static void test_command_parse(void)
{
	static const char *const bad[] = {
		"{\"execute\": \"query-status\"",
		"not json",
		"[\"execute\", \"query-status\"]",
		"{\"arguments\": {\"device\": \"d0\"}}",
		"{\"execute\": \"\"}",
		"{\"execute\": \"query-status\", \"frobnicate\": 1}",
		NULL,
	};
	struct qemu_kvlist cmd = {0};
	struct vl_error e = {0};
	const char *name;

	for (const char *const *b = bad; *b; b++) {
		int rc = qmp_command_parse(*b, &cmd, &name, &e);
		ok(rc == 64 && !cmd.n, "parse %s: 64 (%d: %s)", *b, rc,
		   rc ? e.msg : name);
		if (!rc)
			qmp_command_free(&cmd);
	}
	ok(qmp_command_parse("{\"execute\": \"query-status\", \"id\": 7, "
			     "\"arguments\": {}}", &cmd, &name, &e) == 0 &&
	   name && !strcmp(name, "query-status"),
	   "parse {\"execute\": \"query-status\", \"id\": 7, \"arguments\": {}}: "
	   "query-status");
	qmp_command_free(&cmd);
	ok(qmp_command_parse("{'exec-oob': 'migrate-pause'}", &cmd, &name,
			     &e) == 0 && name && !strcmp(name, "migrate-pause"),
	   "parse {'exec-oob': 'migrate-pause'}: migrate-pause");
	qmp_command_free(&cmd);
}

/* The fake QEMU's command line, read as QEMU's: an empty CD drive. */
static char *const qemu_argv[] = { "test_judge", "-device", "ide-cd,id=cd0",
				   "-drive", "if=none,id=rw0", NULL };

int main(int argc, char **argv)
{
	if (argc < 2) {		/* again, with the command line above */
		execv("/proc/self/exe", qemu_argv);
		perror("/proc/self/exe");
		return 99;
	}
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	dir = testdir_make();
	if (!dir)
		return 99;
	make_state();
	test_blockdev_add();
	test_commit();
	test_stream();
	test_snapshot_sync();
	test_mirror();
	test_change_medium();
	test_device_add();
	test_transaction();
	test_hmp();
	test_refused_and_passed();
	test_command_parse();
	free(nodes_reply);
	free(block_reply);
	testdir_remove(dir);
	return done_testing();
}
