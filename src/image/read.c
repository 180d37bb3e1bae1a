/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Reading an image's header from its file, with no side effect: a
 * device is never opened (it may be a tape or a watchdog), a file only
 * read. */
#include "config.h"
#include "image/image.h"
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

#define READ_ROUNDS 8

/* The header of an open image: the probe bytes, then as many more as
 * the parser asks for (it asks again only when the file is longer). */
static int read_header(int fd, const char *path, const char *format,
		       struct image_header *h, struct vl_error *e)
{
	size_t want = IMAGE_PROBE_SIZE, len = 0;
	unsigned char *buf = NULL;
	int rc = 0;

	/* each round reads all the parser asked for; it asks for more only
	 * as far as what it has read shows it (a header length, then the
	 * extensions beyond it) */
	for (int round = 0;; round++) {
		buf = vl_reallocarray(buf, want, 1);
		rc = read_at(fd, buf, want, &len, path, e);
		bool eof = len < want || want == IMAGE_HEADER_MAX ||
			   round == READ_ROUNDS;
		if (!rc)
			rc = image_parse_header(buf, len, eof, format, path, h, e);
		if (rc || eof || h->needed <= len)
			break;
		want = h->needed;
		image_header_free(h);
	}
	free(buf);
	return rc;
}

int image_read(const char *path, const char *what, const char *format,
	       struct stat *st, struct image_header *h, struct vl_error *e)
{
	int fd = open_image(path, what, st, e);
	int rc = fd < 0 ? -fd : read_header(fd, path, format, h, e);

	if (fd >= 0)
		close(fd);
	return rc;
}
