/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* HMP command lines (QMP human-monitor-command), as QEMU's monitor
 * splits them into arguments. */
#ifndef VMLOCK_QMP_HMP_H
#define VMLOCK_QMP_HMP_H

#include <vmlock/resource.h>

#include <stddef.h>

struct hmp_line {
	char **words;		/* the command, then its arguments */
	size_t n, cap;
	char flags[8];		/* the -X flags given, in order, NUL ended */
};

/* Splits line. 0, or 64 with e set (an unended quote, a flag vmlock
 * cannot tell, such as -nf). */
int hmp_split(const char *line, struct hmp_line *out, struct vl_error *e);
/* Was flag -c given? */
bool hmp_flag(const struct hmp_line *l, char c);
/* The i-th argument after the command, or NULL. */
const char *hmp_arg(const struct hmp_line *l, size_t i);
void hmp_line_free(struct hmp_line *l);

#endif
