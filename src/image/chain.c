/* Backing chains: every file an image makes QEMU open besides itself,
 * read header after header. How a stored name becomes a path is the
 * caller's (struct image_names). */
#include "config.h"
#include "api/api.h"
#include "image/header.h"
#include "image/image.h"
#include "util/path.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	unsigned char *buf = vl_malloc(IMAGE_PROBE_SIZE);
	size_t len, span = 0;
	int rc = read_at(fd, buf, IMAGE_PROBE_SIZE, &len, path, e);

	for (size_t want = HEADER_FAST_READ; !rc; want = span) {
		if (!span)
			span = image_header_span(buf, len);
		if (want > span)
			want = span;
		if (want > len && len >= IMAGE_PROBE_SIZE) {
			buf = vl_reallocarray(buf, want, 1);
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

struct chain_walk {
	const char *top;
	struct { dev_t dev; ino_t ino; } *seen;
	size_t nseen, cap;
};

static int note_visit(struct chain_walk *w, const struct stat *st,
		      const char *path, struct vl_error *e)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return vl_fail(e, EX_DATAERR, "%s: backing chain loops "
				       "at %s", w->top, path);
	*VL_PUSH(w->seen, w->nseen, w->cap) = (__typeof__(*w->seen)){
		st->st_dev, st->st_ino };
	return 0;
}

/* Reads the header of the image at path; overlay names the image whose
 * backing file it is (NULL for the top) for messages. */
static int load_header(const char *path, const char *overlay,
		       const char *format, struct chain_walk *w,
		       struct image_header *h, struct vl_error *e)
{
	char *what = overlay ? vl_asprintf("%s (backing file of %s)", path,
					 overlay)
			     : vl_strdup(path);
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

int image_backing(const char *path, const char *format,
		  const struct image_names *names, char **backing,
		  struct vl_error *e)
{
	struct image_header h = {0};
	char *fmt = NULL;
	int rc = load_header(path, NULL, format, NULL, &h, e);

	*backing = NULL;
	if (!rc && h.backing)
		rc = names->backing(path, h.backing, backing, &fmt, e);
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
		char *data = vl_path_from_cwd(h->data_file);
		if (data)
			vl_reslist_add(out, VL_FILE, data, own, depth);
		else
			rc = vl_fail(e, EX_OSERR, "cannot get the current "
				     "directory: %s", strerror(errno));
		free(data);
	}
	for (size_t i = 0; i < h->nextents; i++) {
		char *extent = vl_path_beside(image, h->extents[i].name);
		if (strcmp(extent, image))
			vl_reslist_add(out, VL_FILE, extent,
				       h->extents[i].read_only ? VL_READONLY
							       : own, depth);
		free(extent);
	}
	return rc;
}

int image_chain(const char *path, const char *format, enum vl_mode mode,
		const struct image_names *names, struct vl_reslist *out,
		struct vl_error *e)
{
	struct chain_walk w = { .top = path };
	char *cur = vl_strdup(path), *fmt = format ? vl_strdup(format) : NULL;
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
		fmt = h.backing_format ? vl_strdup(h.backing_format) : NULL;
		if (!rc && h.backing)
			rc = names->backing(cur, h.backing, &next, &fmt, e);
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
