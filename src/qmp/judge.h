/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* What a QMP command will make a running QEMU open or write, and in
 * which mode (vmlock(1), qmp): read from the command and from what QEMU
 * has (its block nodes and drives, asked over QMP), with the QEMU
 * reader for new nodes. It locks nothing and changes nothing in QEMU. */
#ifndef VMLOCK_QMP_JUDGE_H
#define VMLOCK_QMP_JUDGE_H

#include "qmp/qmp.h"

/* A file the command opens or writes. */
struct qmp_want {
	char *path;		/* absolute */
	enum vl_mode mode;
	bool create;		/* QEMU is to create it (it may not exist) */
	bool job;		/* a block job writes it after the reply */
};

struct qmp_wants {
	struct qmp_want *v;
	size_t n, cap;
	/* files QEMU closes a moment after its reply (device_del) */
	char **closing;
	size_t nclosing, closing_cap;
	bool stream;		/* it starts a block-stream job */
};

/* Reads text, one QMP command in QEMU's JSON dialect, into cmd; *name
 * is its command's (pointing into cmd). 0, or 64 with e set. */
int qmp_command_parse(const char *text, struct qemu_kvlist *cmd,
		      const char **name, struct vl_error *e);
void qmp_command_free(struct qemu_kvlist *cmd);

/* Reads cmd (a QMP command, flattened: execute, arguments.*) for QEMU
 * at q, process pid, whose directory is cwd. 0 with out filled (nothing for a command
 * that opens no image); 64 with e set when the command may open or
 * write images and vmlock cannot tell which; the reader's 65 and 66; or
 * qmp_execute's codes. */
int qmp_judge(struct qmp *q, long pid, const char *cwd,
	      const struct qemu_kvlist *cmd, struct qmp_wants *out,
	      struct vl_error *e);
void qmp_wants_free(struct qmp_wants *w);

#endif
