/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Reading whole QEMU command lines, for the unit tests of the QEMU
 * reader's files: expect(WANT, ARGV0, ARGS...) feeds a command line to
 * qemu_read_args() and checks the outcome, the check named by the
 * command line it feeds.
 *
 * The command line is read as if from the directory /cwd: the reader is
 * given a directory under the test's scratch directory that does not
 * exist (so no file a relative name gives can exist either), and shows
 * it as /cwd. */
#ifndef VMLOCK_TEST_QEMU_CMD_H
#define VMLOCK_TEST_QEMU_CMD_H

#include "qemu/qemu.h"
#include "util/util.h"
#include "../tap.h"
#include "../testdir.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Q "qemu-system-x86_64"

static char *qc_dir;		/* the scratch directory */
static char *qc_cwd;		/* qc_dir/cwd, which does not exist */
static char qc_result[8192];
static char qc_input[8192];	/* the command line, for the description */

static inline int qemu_cmd_setup(void)
{
	if (!(qc_dir = testdir_make()))
		return -1;
	qc_cwd = vl_asprintf("%s/cwd", qc_dir);
	return 0;
}

static inline void qemu_cmd_cleanup(void)
{
	free(qc_cwd);
	testdir_remove(qc_dir);
	qc_cwd = qc_dir = NULL;
}

/* Appends arg to qc_input as a shell would need it written. */
static inline void qc_describe(size_t *n, const char *arg)
{
	const char *quote = !*arg || strpbrk(arg, " \t\n")
			    ? strchr(arg, '\'') ? "\"" : "'" : "";

	if (*n < sizeof qc_input)
		*n += (size_t)snprintf(qc_input + *n, sizeof qc_input - *n,
				       "%s%s%s%s", *n ? " " : "", quote, arg,
				       quote);
}

/* Replaces each qc_cwd in qc_result by "/cwd". */
static inline void qc_show_cwd(void)
{
	size_t len = strlen(qc_cwd);

	for (char *p; (p = strstr(qc_result, qc_cwd));) {
		memcpy(p, "/cwd", 4);
		memmove(p + 4, p + len, strlen(p + len) + 1);
	}
}

/* Reads a command line (NULL-terminated) with cwd /cwd and describes
 * the outcome, image headers not read (the files do not exist):
 * "MODE:PATH[@DEPTH] ...", then "| note" per note; or "error CODE:
 * MESSAGE". qc_input is the command line, without argv[0] when it is
 * qemu-system-x86_64. */
static inline const char *read_cmd(const char *arg0, ...)
{
	static const char *const modes[] = { "excl", "shared", "ro" };
	char *argv[64];
	int argc = 0;
	va_list ap;
	struct qemu_disks d = {0};
	struct vl_error e = {0};
	size_t n = 0, in = 0;

	va_start(ap, arg0);
	for (const char *a = arg0; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	qc_input[0] = '\0';
	for (int i = strcmp(arg0, Q) ? 0 : 1; i < argc; i++)
		qc_describe(&in, argv[i]);
	qc_result[0] = '\0';
	int rc = qemu_read_args(argc, argv, qc_cwd, false, &d, &e);
	if (rc) {
		snprintf(qc_result, sizeof qc_result, "error %d: %s", rc,
			 e.msg);
		qemu_disks_free(&d);
		qc_show_cwd();
		return qc_result;
	}
	for (size_t i = 0; i < d.n && n < sizeof qc_result; i++) {
		const struct qemu_disk *k = &d.v[i];
		n += (size_t)snprintf(qc_result + n, sizeof qc_result - n,
				      "%s%s:%s", i ? " " : "", modes[k->mode],
				      k->path);
		if (k->depth && n < sizeof qc_result)
			n += (size_t)snprintf(qc_result + n,
					      sizeof qc_result - n, "@%u",
					      k->depth);
	}
	for (size_t i = 0; i < d.nnotes && n < sizeof qc_result; i++)
		n += (size_t)snprintf(qc_result + n, sizeof qc_result - n,
				      " | %s", d.notes[i]);
	qemu_disks_free(&d);
	qc_show_cwd();
	return qc_result;
}

/* The outcome is want exactly ("": no disk and no note; " | NOTE": a
 * note only). */
#define expect(want, ...) do { \
	const char *want_ = (want); \
	const char *got_ = read_cmd(__VA_ARGS__, NULL); \
	if (!ok(!strcmp(got_, want_), "%s -> %s%s", qc_input, \
		!*want_ || *want_ == ' ' ? "no disk" : "", want_)) \
		printf("#   got: %s\n", got_); \
} while (0)

/* The outcome starts with want. */
#define expect_prefix(want, ...) do { \
	const char *want_ = (want); \
	const char *got_ = read_cmd(__VA_ARGS__, NULL); \
	if (!ok(!strncmp(got_, want_, strlen(want_)), "%s -> %s...", \
		qc_input, want_)) \
		printf("#   got: %s\n", got_); \
} while (0)

#endif
