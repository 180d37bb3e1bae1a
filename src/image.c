/* Image headers and backing chains (DESIGN.md section 5): which files an
 * image makes QEMU open besides itself. */
#include "config.h"
#include "image.h"
#include "qemu_args.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QCOW2_MAGIC 0x514649fbu		/* "QFI\xfb" */
#define QCOW2_V2_HEADER_LENGTH 72
#define QCOW2_V3_HEADER_LENGTH 104
#define QCOW2_EXTERNAL_DATA (1u << 2)	/* incompatible feature bit 2 */
#define QCOW2_EXT_END 0
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_DATA_FILE 0x44415441u
#define QED_MAGIC 0x00444551u		/* "QED\0" little-endian */
#define QED_F_BACKING_FILE 0x01
#define QED_F_BACKING_FORMAT_NO_PROBE 0x04
#define QED_HEADER_SIZE 64
#define VMDK4_MAGIC 0x564d444bu		/* "KDMV" little-endian */
#define VMDK_SECTOR 512
#define VMDK_EXTENTS_MAX 4096
#define VMDK_LINE_MAX 2048
#define BACKING_NAME_MAX 1023		/* QEMU refuses longer names */
#define BACKING_FORMAT_MAX 15		/* QEMU's backing_format[16] */
#define DATA_FILE_NAME_MAX 4095

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p + 4) << 32 | le32(p);
}

static bool is_qcow2(const unsigned char *buf, size_t len)
{
	return len >= 4 && be32(buf) == QCOW2_MAGIC;
}

static bool is_qed(const unsigned char *buf, size_t len)
{
	return len >= 4 && le32(buf) == QED_MAGIC;
}

static bool is_vmdk_sparse(const unsigned char *buf, size_t len)
{
	return len >= 4 && le32(buf) == VMDK4_MAGIC;
}

/* A VMDK text descriptor: after blank and comment lines, "version=". */
static bool is_vmdk_descriptor(const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len;) {
		const unsigned char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;

		while (i < end && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r'))
			i++;
		if (i < end && buf[i] != '#')
			return end - i >= 8 && !memcmp(buf + i, "version=", 8);
		i = end + 1;
	}
	return false;
}

static bool is_vmdk(const unsigned char *buf, size_t len)
{
	return is_vmdk_sparse(buf, len) || is_vmdk_descriptor(buf, len);
}

/* A name stored in a header; QEMU stops at a NUL byte too. */
static char *header_string(const unsigned char *p, size_t n)
{
	size_t len = strnlen((const char *)p, n);
	char *s = xmalloc(len + 1);

	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

size_t image_header_span(const unsigned char *buf, size_t len)
{
	uint64_t span = IMAGE_PROBE_SIZE;

	if (is_qcow2(buf, len) && len >= 24 && be32(buf + 20) < 32)
		/* the backing name may start at the end of the cluster */
		span = ((uint64_t)1 << be32(buf + 20)) + BACKING_NAME_MAX;
	else if (is_qed(buf, len) && len >= 16)
		span = (uint64_t)le32(buf + 4) * le32(buf + 12);
	else if (is_vmdk_sparse(buf, len) && len >= 44 &&
		 le64(buf + 28) < IMAGE_HEADER_MAX && le64(buf + 36) < IMAGE_HEADER_MAX)
		span = (le64(buf + 28) + le64(buf + 36)) * VMDK_SECTOR;
	else if (is_vmdk_descriptor(buf, len))
		span = IMAGE_HEADER_MAX;
	if (span < IMAGE_PROBE_SIZE)
		span = IMAGE_PROBE_SIZE;
	return span > IMAGE_HEADER_MAX ? IMAGE_HEADER_MAX : (size_t)span;
}

/* qcow2 header extensions between start and end: backing format and
 * external data file name. */
static int qcow2_read_extensions(const unsigned char *buf, size_t start,
				 size_t end, const char *name,
				 struct image_header *h, struct vl_error *e)
{
	size_t off = start;

	while (off < end) {
		uint32_t type, len;

		if (end - off < 8)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header "
				       "extension at %zu overflows", name, off);
		type = be32(buf + off);
		len = be32(buf + off + 4);
		off += 8;
		if (type == QCOW2_EXT_END)
			return 0;
		if (len > end - off)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header "
				       "extension 0x%08x at %zu overflows",
				       name, type, off - 8);
		if (type == QCOW2_EXT_BACKING_FORMAT) {
			if (len > BACKING_FORMAT_MAX)
				return vl_fail(e, EX_DATAERR, "%s: qcow2 "
					       "backing format too long", name);
			free(h->backing_format);
			h->backing_format = header_string(buf + off, len);
		} else if (type == QCOW2_EXT_DATA_FILE) {
			if (len > DATA_FILE_NAME_MAX)
				return vl_fail(e, EX_DATAERR, "%s: qcow2 data "
					       "file name too long", name);
			free(h->data_file);
			h->data_file = header_string(buf + off, len);
		}
		off += (len + 7u) & ~(size_t)7;
	}
	/* an extension area filled to the end with no end marker */
	return 0;
}

static int qcow2_parse(const unsigned char *buf, size_t len, const char *name,
		       struct image_header *h, struct vl_error *e)
{
	uint32_t version, cluster_bits, backing_size, header_length;
	uint64_t backing_offset, cluster_size, ext_end;

	if (len < QCOW2_V2_HEADER_LENGTH)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 header truncated",
			       name);
	version = be32(buf + 4);
	backing_offset = be64(buf + 8);
	backing_size = be32(buf + 16);
	cluster_bits = be32(buf + 20);
	if (version != 2 && version != 3)
		return vl_fail(e, EX_DATAERR, "%s: unsupported qcow2 version "
			       "%u", name, version);
	if (cluster_bits < 9 || cluster_bits > 21)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 cluster_bits %u out "
			       "of range", name, cluster_bits);
	cluster_size = (uint64_t)1 << cluster_bits;
	header_length = QCOW2_V2_HEADER_LENGTH;
	if (version == 3) {
		if (len < QCOW2_V3_HEADER_LENGTH)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header "
				       "truncated", name);
		header_length = be32(buf + 100);
		if (header_length < QCOW2_V3_HEADER_LENGTH ||
		    header_length > cluster_size || header_length > len)
			return vl_fail(e, EX_DATAERR, "%s: qcow2 header length "
				       "%u bad", name, header_length);
		h->external_data = be64(buf + 72) & QCOW2_EXTERNAL_DATA;
	}
	if (backing_size > BACKING_NAME_MAX)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 backing file name "
			       "length %u > %u", name, backing_size,
			       BACKING_NAME_MAX);
	if (backing_offset > cluster_size ||
	    backing_offset + backing_size > len)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 backing file name "
			       "offset %llu out of range", name,
			       (unsigned long long)backing_offset);
	if (backing_offset && backing_size)
		h->backing = header_string(buf + backing_offset, backing_size);
	ext_end = backing_offset ? backing_offset : cluster_size;
	if (ext_end > len)
		ext_end = len;
	if (ext_end < header_length)
		return vl_fail(e, EX_DATAERR, "%s: qcow2 backing file name "
			       "overlaps the header", name);
	return qcow2_read_extensions(buf, header_length, (size_t)ext_end, name,
				     h, e);
}

static int qed_parse(const unsigned char *buf, size_t len, const char *name,
		     struct image_header *h, struct vl_error *e)
{
	uint64_t features, offset, size, header_bytes;

	if (len < QED_HEADER_SIZE)
		return vl_fail(e, EX_DATAERR, "%s: QED header truncated", name);
	features = le64(buf + 16);
	offset = le32(buf + 56);
	size = le32(buf + 60);
	header_bytes = (uint64_t)le32(buf + 4) * le32(buf + 12);
	if (!(features & QED_F_BACKING_FILE))
		return 0;
	if (size > BACKING_NAME_MAX)
		return vl_fail(e, EX_DATAERR, "%s: QED backing file name length "
			       "%llu > %u", name, (unsigned long long)size,
			       BACKING_NAME_MAX);
	if (offset < QED_HEADER_SIZE || offset + size > header_bytes ||
	    offset + size > len)
		return vl_fail(e, EX_DATAERR, "%s: QED backing file name offset "
			       "%llu out of range", name,
			       (unsigned long long)offset);
	h->backing = header_string(buf + offset, (size_t)size);
	if (features & QED_F_BACKING_FORMAT_NO_PROBE)
		h->backing_format = xstrdup("raw");
	return 0;
}

/* parentFileNameHint="NAME" */
static int vmdk_parent_hint(const char *line, const char *name,
			    struct image_header *h, struct vl_error *e)
{
	const char *start = line + strlen("parentFileNameHint=\""), *end;

	end = strchr(start, '"');
	if (!end || end - start > BACKING_NAME_MAX)
		return vl_fail(e, EX_DATAERR, "%s: VMDK parentFileNameHint bad",
			       name);
	free(h->backing);
	h->backing = end > start ? header_string((const unsigned char *)start,
						 (size_t)(end - start))
				 : NULL;
	return 0;
}

/* An extent line: ACCESS SECTORS TYPE "FILE" [OFFSET]. */
static int vmdk_extent(const char *line, const char *name,
		       struct image_header *h, struct vl_error *e)
{
	char access[11], type[11], file[512];
	unsigned long long sectors;
	int end = 0;

	if (sscanf(line, "%10s %llu %10s \"%511[^\n\r\"]\"%n", access, &sectors,
		   type, file, &end) != 4 || !end || !strcmp(type, "ZERO") ||
	    (strcmp(access, "RW") && strcmp(access, "RDONLY")))
		return 0;
	if (h->nextents == VMDK_EXTENTS_MAX)
		return vl_fail(e, EX_DATAERR, "%s: more than %d VMDK extents",
			       name, VMDK_EXTENTS_MAX);
	h->extents = xreallocarray(h->extents, h->nextents + 1,
				   sizeof *h->extents);
	h->extents[h->nextents++] = (struct image_extent){
		.name = xstrdup(file), .read_only = !strcmp(access, "RDONLY"),
	};
	return 0;
}

/* A VMDK descriptor (text, up to a NUL byte): its extents and parent. */
static int vmdk_parse_descriptor(const unsigned char *text, size_t len,
				 const char *name, struct image_header *h,
				 struct vl_error *e)
{
	char line[VMDK_LINE_MAX];
	size_t i = 0;
	int rc = 0;

	len = strnlen((const char *)text, len);
	while (!rc && i < len) {
		const unsigned char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = end - i < sizeof line ? end - i : sizeof line - 1;
		const char *p = line;

		memcpy(line, text + i, n);
		line[n] = '\0';
		i = end + 1;
		p += strspn(p, " \t");
		if (!strncmp(p, "parentFileNameHint=\"", 20))
			rc = vmdk_parent_hint(p, name, h, e);
		else
			rc = vmdk_extent(p, name, h, e);
	}
	return rc;
}

/* monolithicSparse and kin: the descriptor is embedded, at a sector
 * offset and size given at 28 and 36. */
static int vmdk_parse(const unsigned char *buf, size_t len, const char *name,
		      struct image_header *h, struct vl_error *e)
{
	uint64_t offset, size;

	if (!is_vmdk_sparse(buf, len))
		return vmdk_parse_descriptor(buf, len, name, h, e);
	if (len < 44)
		return vl_fail(e, EX_DATAERR, "%s: VMDK header truncated", name);
	offset = le64(buf + 28);
	size = le64(buf + 36);
	if (!offset)
		return 0;	/* no embedded descriptor */
	if (offset >= len / VMDK_SECTOR || size > (len / VMDK_SECTOR) - offset)
		return vl_fail(e, EX_DATAERR, "%s: VMDK descriptor out of range",
			       name);
	return vmdk_parse_descriptor(buf + offset * VMDK_SECTOR,
				     size * VMDK_SECTOR, name, h, e);
}

int image_parse_header(const unsigned char *buf, size_t len,
		       const char *format, const char *name,
		       struct image_header *h, struct vl_error *e)
{
	int rc = 0;

	*h = (struct image_header){0};
	h->qcow2 = format ? !strcmp(format, "qcow2") : is_qcow2(buf, len);
	h->qed = format ? !strcmp(format, "qed") : is_qed(buf, len);
	h->vmdk = format ? !strcmp(format, "vmdk") : is_vmdk(buf, len);
	if (h->qcow2 && !is_qcow2(buf, len))
		rc = vl_fail(e, EX_DATAERR, "%s: not a qcow2 image", name);
	else if (h->qed && !is_qed(buf, len))
		rc = vl_fail(e, EX_DATAERR, "%s: not a QED image", name);
	else if (h->vmdk && !is_vmdk(buf, len))
		rc = vl_fail(e, EX_DATAERR, "%s: not a VMDK image", name);
	else if (h->qcow2)
		rc = qcow2_parse(buf, len, name, h, e);
	else if (h->qed)
		rc = qed_parse(buf, len, name, h, e);
	else if (h->vmdk)
		rc = vmdk_parse(buf, len, name, h, e);
	if (rc)
		image_header_free(h);
	return rc;
}

void image_header_free(struct image_header *h)
{
	free(h->backing);
	free(h->backing_format);
	free(h->data_file);
	for (size_t i = 0; i < h->nextents; i++)
		free(h->extents[i].name);
	free(h->extents);
	*h = (struct image_header){0};
}

/* ---- files ---------------------------------------------------------- */

/* Opens an image the way the lock driver does, and checks its type.
 * what names it in messages ("X" or "X (backing file of Y)"). */
static int open_image(const char *path, const char *what, struct stat *st,
		      struct vl_error *e)
{
	/* look before opening: opening a device can have effects (a
	 * watchdog armed, a tape rewound); fstat below checks again */
	int fd = stat(path, st) == 0 && !S_ISREG(st->st_mode) &&
		 !S_ISBLK(st->st_mode) ? (errno = EINVAL, -2)
		 : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd == -2)
		return -vl_fail(e, EX_NOINPUT, "%s: not a regular file or "
				"block device", what);
	if (fd < 0)
		return -vl_fail(e, vl_errno_code(errno), "%s: %s", what,
				strerror(errno));
	if (fstat(fd, st) < 0) {
		int err = errno;
		close(fd);
		return -vl_fail(e, vl_errno_code(err), "%s: %s", what,
				strerror(err));
	}
	if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode)) {
		close(fd);
		return -vl_fail(e, EX_NOINPUT, "%s: not a regular file or "
				"block device", what);
	}
	return fd;
}

static int read_at(int fd, unsigned char *buf, size_t want, size_t *got,
		   const char *what, struct vl_error *e)
{
	*got = 0;
	while (*got < want) {
		ssize_t n = pread(fd, buf + *got, want - *got, (off_t)*got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vl_fail(e, vl_errno_code(errno), "%s: %s", what,
				       strerror(errno));
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

/* Reads the header of an open image: its probe bytes, then as much of
 * its first cluster as the header may use. */
/* Most headers, extensions and backing names included, fit in the first
 * few KiB: read those, and the whole first cluster only when the parser
 * finds something beyond them. */
#define HEADER_FAST_READ 8192

static int read_header(int fd, const char *path, const char *format,
		       struct image_header *h, struct vl_error *e)
{
	unsigned char *buf = xmalloc(IMAGE_PROBE_SIZE);
	size_t len, span = 0;
	int rc = read_at(fd, buf, IMAGE_PROBE_SIZE, &len, path, e);

	for (size_t want = HEADER_FAST_READ; !rc; want = span) {
		if (!span)
			span = image_header_span(buf, len);
		if (want > span)
			want = span;
		if (want > len && len >= IMAGE_PROBE_SIZE) {
			buf = xreallocarray(buf, want, 1);
			rc = read_at(fd, buf, want, &len, path, e);
		}
		if (!rc)
			rc = image_parse_header(buf, len, format, path, h, e);
		if (rc != EX_DATAERR || len < want || want == span)
			break;
		rc = 0;		/* again, on the whole span */
	}
	free(buf);
	return rc;
}

static char *current_dir_join(const char *name, struct vl_error *e, int *rc)
{
	char cwd[PATH_MAX];

	*rc = 0;
	if (name[0] == '/')
		return xstrdup(name);
	if (!getcwd(cwd, sizeof cwd)) {
		*rc = vl_fail(e, EX_OSERR, "cannot get the current directory: "
			      "%s", strerror(errno));
		return NULL;
	}
	return xasprintf("%s/%s", cwd, name);
}

/* A json:{...} backing name: its file.filename (or filename), taken
 * against the current directory as QEMU does; NULL when it names no
 * local file. */
static int json_backing(const char *overlay, const char *json,
			char **path, char **format, struct vl_error *e)
{
	struct qemu_kvlist kv = {0};
	const char *file, *driver;
	int rc = qemu_json_parse(json, &kv, e);

	*path = NULL;
	if (rc) {
		rc = vl_fail(e, EX_DATAERR, "%s: backing file name json:%s: %s",
			     overlay, json, e->msg);
		goto out;
	}
	file = qemu_kv_get(&kv, "file.filename");
	if (!file)
		file = qemu_kv_get(&kv, "filename");
	driver = qemu_kv_get(&kv, "driver");
	if (!file || qemu_name_is_protocol(file))
		goto out;
	if (!strncmp(file, "file:", 5))
		file += 5;
	*path = current_dir_join(file, e, &rc);
	if (driver && strcmp(driver, "file") && strcmp(driver, "host_device")) {
		free(*format);	/* the json: driver wins over the header's */
		*format = xstrdup(driver);
	}
out:
	qemu_kvlist_free(&kv);
	return rc;
}

char *image_path_beside(const char *image, const char *name)
{
	const char *slash = strrchr(image, '/');

	if (name[0] == '/' || !slash || qemu_name_is_protocol(name) ||
	    !strncmp(name, "json:", 5))
		return xstrdup(name);
	return xasprintf("%.*s/%s", (int)(slash - image), image, name);
}

/* The backing name of overlay as QEMU resolves it; *format may be
 * replaced (json: names give a driver). */
static int resolve_backing(const char *overlay, const char *name,
			   char **path, char **format, struct vl_error *e)
{
	*path = NULL;
	if (!strncmp(name, "json:", 5))
		return json_backing(overlay, name + 5, path, format, e);
	if (qemu_name_is_protocol(name))
		return 0;	/* a network backing file: nothing to lock */
	if (!strncmp(name, "file:", 5))
		name += 5;
	*path = image_path_beside(overlay, name);
	return 0;
}

struct chain_walk {
	const char *top;
	struct { dev_t dev; ino_t ino; } *seen;
	size_t nseen;
};

static int note_visit(struct chain_walk *w, const struct stat *st,
		      const char *path, struct vl_error *e)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return vl_fail(e, EX_DATAERR, "%s: backing chain loops "
				       "at %s", w->top, path);
	w->seen = xreallocarray(w->seen, w->nseen + 1, sizeof *w->seen);
	w->seen[w->nseen].dev = st->st_dev;
	w->seen[w->nseen].ino = st->st_ino;
	w->nseen++;
	return 0;
}

/* Reads the header of the image at path; overlay names the image whose
 * backing file it is (NULL for the top) for messages. */
static int load_header(const char *path, const char *overlay,
		       const char *format, struct chain_walk *w,
		       struct image_header *h, struct vl_error *e)
{
	char *what = overlay ? xasprintf("%s (backing file of %s)", path,
					 overlay)
			     : xstrdup(path);
	struct stat st;
	int fd = open_image(path, what, &st, e);
	int rc = fd < 0 ? -fd : 0;

	free(what);
	if (!rc && w)
		rc = note_visit(w, &st, path, e);
	if (!rc)
		rc = read_header(fd, path, format, h, e);
	if (fd >= 0)
		close(fd);
	return rc;
}

int image_backing(const char *path, const char *format, char **backing,
		  struct vl_error *e)
{
	struct image_header h = {0};
	char *fmt = NULL;
	int rc = load_header(path, NULL, format, NULL, &h, e);

	*backing = NULL;
	if (!rc && h.backing)
		rc = resolve_backing(path, h.backing, backing, &fmt, e);
	free(fmt);
	image_header_free(&h);
	return rc;
}

/* The files an image opens besides its backing file: a qcow2 external
 * data file (relative to the current directory, as QEMU 7.2 takes it) and
 * VMDK extents (beside the descriptor), with the image's mode. */
static int add_image_files(const char *image, const struct image_header *h,
			   unsigned depth, enum vl_mode mode,
			   struct vl_reslist *out, struct vl_error *e)
{
	enum vl_mode own = depth ? VL_READONLY : mode;
	int rc = 0;

	if (h->external_data && h->data_file) {
		char *data = current_dir_join(h->data_file, e, &rc);
		if (data)
			vl_reslist_add(out, VL_FILE, data, own, depth);
		free(data);
	}
	for (size_t i = 0; i < h->nextents; i++) {
		char *extent = image_path_beside(image, h->extents[i].name);
		if (strcmp(extent, image))
			vl_reslist_add(out, VL_FILE, extent,
				       h->extents[i].read_only ? VL_READONLY
							       : own, depth);
		free(extent);
	}
	return rc;
}

int image_chain(const char *path, const char *format, enum vl_mode mode,
		struct vl_reslist *out, struct vl_error *e)
{
	struct chain_walk w = { .top = path };
	char *cur = xstrdup(path), *fmt = format ? xstrdup(format) : NULL;
	char *overlay = NULL;
	int rc = 0;

	for (unsigned depth = 0; cur; depth++) {
		struct image_header h;
		char *next = NULL;

		rc = load_header(cur, overlay, fmt, &w, &h, e);
		if (rc)
			break;
		rc = add_image_files(cur, &h, depth, mode, out, e);
		free(fmt);
		fmt = h.backing_format ? xstrdup(h.backing_format) : NULL;
		if (!rc && h.backing)
			rc = resolve_backing(cur, h.backing, &next, &fmt, e);
		image_header_free(&h);
		if (!rc && next && depth + 1 > IMAGE_CHAIN_MAX)
			rc = vl_fail(e, EX_DATAERR, "%s: backing chain deeper "
				     "than %d", path, IMAGE_CHAIN_MAX);
		if (rc) {
			free(next);
			break;
		}
		if (next)
			vl_reslist_add(out, VL_FILE, next, VL_READONLY,
				       depth + 1);
		free(overlay);
		overlay = cur;
		cur = next;
	}
	free(cur);
	free(overlay);
	free(fmt);
	free(w.seen);
	return rc;
}
