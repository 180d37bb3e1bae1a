/* The QEMU command-line reader: a pure function from argv to the disks
 * QEMU will open, each with the mode it needs (DESIGN.md sections 2, 5). */
#ifndef VMLOCK_QEMU_ARGS_H
#define VMLOCK_QEMU_ARGS_H

#include "resource.h"

struct qemu_disk {
	char *path;		/* absolute: joined lexically to the cwd */
	enum vl_mode mode;
	char *format;		/* format=/driver= when given, else NULL */
	bool chain;		/* false: the command line fixes the backing */
	unsigned depth;		/* 0, or n for a backing image named on the
				 * command line n levels below its disk */
};

struct qemu_disks {
	struct qemu_disk *v;
	size_t n, cap;
	char **notes;		/* disks skipped, e.g. network URIs */
	size_t nnotes;
};

/* True when argv0's basename names a QEMU program (qemu-system-*, ...). */
bool qemu_command_is_qemu(const char *argv0);

/* Reads argv (argv[0] is the QEMU binary). Returns 0, or an exit code
 * (64: an argument it cannot understand) with e set. cwd: directory that
 * relative paths are joined to (NULL: the current one). */
int qemu_read_args(int argc, char *const argv[], const char *cwd,
		   struct qemu_disks *out, struct vl_error *e);
void qemu_disks_free(struct qemu_disks *d);

/* The guest name of a QEMU command line (-name NAME or -name guest=NAME),
 * newly allocated, or NULL. */
char *qemu_vm_name(int argc, char *const argv[]);
/* The -uuid of a QEMU command line, lower case, or NULL. */
char *qemu_vm_uuid(int argc, char *const argv[]);

/* Option lists as QEMU spells them, flattened to dotted keys. */
struct qemu_kv {
	char *key;
	char *val;		/* NULL for a JSON null */
};

struct qemu_kvlist {
	struct qemu_kv *v;
	size_t n, cap;
};

/* Parses a QemuOpts/keyval string: key=value pairs separated by ',',
 * ",," a literal comma, a first element without '=' the value of
 * implied_key (when not NULL), a later one "key" meaning key=on.
 * A duplicated key is refused. Returns 0 or 64 with e set. */
int qemu_opts_parse(const char *s, const char *implied_key,
		    struct qemu_kvlist *out, struct vl_error *e);

/* Parses a JSON object, flattened as QEMU does for -blockdev: nested
 * objects become dotted keys, array elements key.N, true/false "on"/"off",
 * null a NULL value, numbers their text. Returns 0 or 64 with e set. */
int qemu_json_parse(const char *s, struct qemu_kvlist *out,
		    struct vl_error *e);

/* The value of key, or NULL (also for a JSON null). */
const char *qemu_kv_get(const struct qemu_kvlist *l, const char *key);
void qemu_kvlist_free(struct qemu_kvlist *l);

/* True when name has a protocol prefix (a ':' before any '/') other than
 * "file:"; QEMU never opens such a name as a local path. */
bool qemu_name_is_protocol(const char *name);

/* QEMU's boolean spellings; false when s is none of them. */
bool qemu_parse_bool(const char *s, bool *value);

#endif
