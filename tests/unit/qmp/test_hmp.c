/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qmp/hmp.c: HMP command lines split as QEMU's monitor does: bare
 * and quoted words (escapes undone), -X flags after the command, the
 * lines it refuses (a flag it cannot tell, an unended quote, nothing). */
#include "config.h"
#include "qmp/hmp.h"
#include "util/util.h"
#include "../tap.h"

#include <stdio.h>
#include <string.h>

/* line split, described as "[flags] word|word|...", or "error CODE". */
static const char *split(const char *line)
{
	static char out[1024];
	struct hmp_line l;
	struct vl_error e = {0};
	int rc = hmp_split(line, &l, &e);
	size_t n;

	if (rc) {
		snprintf(out, sizeof out, "error %d", rc);
		hmp_line_free(&l);
		return out;
	}
	n = (size_t)snprintf(out, sizeof out, "[%s]", l.flags);
	for (size_t i = 0; i < l.n && n < sizeof out; i++)
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s",
				      i ? "|" : " ", l.words[i]);
	hmp_line_free(&l);
	return out;
}

/* text with its control characters shown as C escapes, for names. */
static const char *shown(const char *text, char *buf, size_t size)
{
	size_t n = 0;

	for (; *text && n + 3 < size; text++) {
		const char *esc = *text == '\n' ? "\\n" : *text == '\r' ?
				  "\\r" : *text == '\t' ? "\\t" : NULL;
		if (esc) {
			memcpy(buf + n, esc, 2);
			n += 2;
		} else {
			buf[n++] = *text;
		}
	}
	buf[n] = '\0';
	return buf;
}

static void check(const char *line, const char *want)
{
	char a[512], b[1024], c[1024];
	const char *got = split(line);

	ok(!strcmp(got, want), "'%s': %s (%s)", shown(line, a, sizeof a),
	   shown(want, b, sizeof b), shown(got, c, sizeof c));
}

static void test_words(void)
{
	check("drive_del d0", "[] drive_del|d0");
	check("  change   ide1-cd0  /img/cd.iso  raw  ",
	      "[] change|ide1-cd0|/img/cd.iso|raw");
	check("drive_add 0 if=none,file=/img/a.qcow2,id=d1",
	      "[] drive_add|0|if=none,file=/img/a.qcow2,id=d1");
	check("\tinfo\tblock\n", "[] info|block");
	check("eject", "[] eject");
}

static void test_quoted(void)
{
	check("change d0 \"/img/with space.img\"",
	      "[] change|d0|/img/with space.img");
	check("change d0 \"a\\\"b\"", "[] change|d0|a\"b");
	check("change d0 \"a\\\\b\"", "[] change|d0|a\\b");
	check("change d0 \"it\\'s\"", "[] change|d0|it's");
	check("change d0 \"x\\ny\\rz\"", "[] change|d0|x\ny\rz");
	check("change d0 \"\"", "[] change|d0|");
	check("\"drive_del\" d0", "[] drive_del|d0");
}

static void test_flags(void)
{
	check("snapshot_blkdev -n d0 /img/o.qcow2 qcow2",
	      "[n] snapshot_blkdev|d0|/img/o.qcow2|qcow2");
	check("drive_mirror -n -f d0 /img/t.qcow2",
	      "[nf] drive_mirror|d0|/img/t.qcow2");
	check("drive_add -n 0 node-name=n1,driver=null-co",
	      "[n] drive_add|0|node-name=n1,driver=null-co");
	check("change d0 -n", "[] change|d0|-n");
	check("drive_del -", "[] drive_del|-");
	check("drive_mirror -nf d0 /img/t.qcow2", "error 64");
	check("drive_mirror -1 d0 /img/t.qcow2", "error 64");
	check("drive_mirror -a -b -c -d -e -f -g -h d0 t", "error 64");

	struct hmp_line l;
	struct vl_error e = {0};
	ok(hmp_split("drive_mirror -n -f d0 t", &l, &e) == 0 &&
	   hmp_flag(&l, 'n') && hmp_flag(&l, 'f') && !hmp_flag(&l, 'b') &&
	   !hmp_flag(&l, '\0'),
	   "'drive_mirror -n -f d0 t': flags n and f, not b, not NUL");
	hmp_line_free(&l);
}

static void test_refused(void)
{
	struct hmp_line l;
	struct vl_error e = {0};

	check("change d0 \"/img/cd.iso", "error 64");
	check("change d0 \"/img/cd.iso\\\"", "error 64");
	check("", "error 64");
	check("   \t ", "error 64");
	ok(hmp_split("drive_mirror -nf d0 t", &l, &e) == 64 &&
	   strstr(e.msg, "-nf"), "'drive_mirror -nf d0 t': 64, the message "
	   "names -nf (%s)", e.msg);
	hmp_line_free(&l);
	ok(hmp_split("change d0 \"x", &l, &e) == 64 &&
	   strstr(e.msg, "quote"), "'change d0 \"x': 64, a quote not "
	   "closed (%s)", e.msg);
	hmp_line_free(&l);
}

static void test_arg(void)
{
	struct hmp_line l;
	struct vl_error e = {0};

	hmp_split("snapshot_blkdev -n d0 /img/o.qcow2", &l, &e);
	ok(hmp_arg(&l, 0) && !strcmp(hmp_arg(&l, 0), "d0") &&
	   hmp_arg(&l, 1) && !strcmp(hmp_arg(&l, 1), "/img/o.qcow2") &&
	   !hmp_arg(&l, 2) && !hmp_arg(&l, 100),
	   "'snapshot_blkdev -n d0 /img/o.qcow2': arg 0 d0, arg 1 the "
	   "overlay, arg 2 and 100 NULL");
	hmp_line_free(&l);
	hmp_split("eject", &l, &e);
	ok(!hmp_arg(&l, 0), "'eject': arg 0 NULL");
	hmp_line_free(&l);
}

int main(void)
{
	test_words();
	test_quoted();
	test_flags();
	test_refused();
	test_arg();
	return done_testing();
}
