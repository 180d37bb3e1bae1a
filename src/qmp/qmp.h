/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* A QMP client: QEMU's machine protocol over a unix socket. It connects,
 * reads the greeting, negotiates (qmp_capabilities), runs commands, one
 * with an fd passed along by SCM_RIGHTS (getfd), and reads each reply
 * past the events QEMU sends in between; every wait is bounded. Replies
 * are read with the QEMU reader's JSON parser, flattened into dotted
 * keys ({"return": [{"file": "/x"}]} is 0.file=/x below "return").
 *
 * QEMU keeps an fd given by getfd under its name, with the locks of its
 * open file description, after the client leaves, until closefd on the
 * same monitor, a getfd of the same name (which closes the old fd), or
 * its exit.
 *
 * QEMU 7.2 reads a monitor's input one byte per turn of its loop (each
 * a few microseconds), so vmlock's own commands go without blanks. */
#ifndef VMLOCK_QMP_QMP_H
#define VMLOCK_QMP_QMP_H

#include "qemu/kv.h"

#include <vmlock/resource.h>

struct qmp {
	int fd;
	double timeout;		/* seconds, for each reply */
	char *path;		/* the socket, for messages */
	char *buf;		/* what was read past the last whole line */
	size_t len, cap;
	/* no block-stream job with auto-dismiss off, as of the last
	 * question: on this connection only the user's command starts one
	 * (another monitor's client might, within a vmlock qmp's moment) */
	bool no_stream;
	/* query-named-block-nodes' last answer, until the user's command
	 * or qmp_forget_nodes; chains: asked non-flat (with the images'
	 * backing chains) */
	struct qemu_kvlist nodes;
	bool nodes_kept, chains;
};

/* Connects to the QMP socket at path and negotiates, waiting up to
 * timeout seconds for each reply. 0, or an exit code with e set: 66 no
 * such socket, 77 not allowed, 69 nobody answers there (no listener, no
 * greeting in time, connection closed), 71 another system error. */
int qmp_connect(struct qmp *q, const char *path, double timeout,
		struct vl_error *e);
/* Runs command with arguments (the text of a JSON object, or NULL),
 * passing fd along when fd >= 0; *ret, when ret is not NULL, gets what
 * the reply returns, flattened. 0; 69 when QEMU closes the connection,
 * does not answer in time, or answers with an error (its description in
 * e). */
int qmp_execute(struct qmp *q, const char *command, const char *args, int fd,
		struct qemu_kvlist *ret, struct vl_error *e);
/* Sends text, one command as the user wrote it, and reads QEMU's reply
 * (past events): its text, newly allocated, in *reply; *failed when it
 * is an error (for HMP through human-monitor-command: a returned string
 * "Error: ..."). may_stream: the command may start a block-stream job
 * (see qmp_block_nodes). 0, or 69 as qmp_execute. */
int qmp_send_text(struct qmp *q, const char *text, bool may_stream,
		  char **reply, bool *failed, struct vl_error *e);
/* The pid of the process at the other end, or -1. */
long qmp_peer_pid(const struct qmp *q);
void qmp_close(struct qmp *q);

/* A file that a block node of QEMU has open. */
struct qmp_file {
	char *path;		/* as QEMU names it: relative to its cwd, maybe */
	bool ro;		/* every node on it is read-only */
};

struct qmp_files {
	struct qmp_file *v;
	size_t n, cap;
};

/* Every block node of QEMU (query-named-block-nodes), flattened as
 * qmp_execute's return: N.node-name, N.file, N.ro, ..., with chains
 * also N.image.backing-image... down each backing chain. Asked once
 * until the user's command or qmp_forget_nodes (an answer with chains
 * serves a question without). 0 with *nodes NULL, not asked, while a
 * block-stream job with auto-dismiss off is there: QEMU 7.2 dies
 * (SIGSEGV) on the question once such a job has concluded, which it may
 * do between any two questions (query-block-jobs tells, asked again
 * after a command that may start one); or qmp_execute's codes. */
int qmp_block_nodes(struct qmp *q, bool chains,
		    const struct qemu_kvlist **nodes, struct vl_error *e);
/* What QEMU said of its block nodes is old: asked again when next
 * needed. */
void qmp_forget_nodes(struct qmp *q);
/* The files of every block node, each once; names that are no local
 * path (json:, protocols, fd sets) left out. 0 or qmp_execute's codes;
 * 69 while qmp_block_nodes may not ask. */
int qmp_block_files(struct qmp *q, struct qmp_files *out, struct vl_error *e);
void qmp_files_free(struct qmp_files *f);

#endif
