/* A driver module built out of tree, against the installed headers
 * alone: the fcntl driver's engine with an opener of its own, which
 * counts the files it opens. The abi suite builds and loads it. */
#include <vmlock/fdlock.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static unsigned opened;

static int count_open(struct vl_resource *r, struct vl_error *e)
{
	int rc = fdlock_open_image(r, e);

	if (!rc)
		opened++;
	return rc;
}

static const struct fdlock_ops ops = { count_open, NULL };

static int ofdcopy_acquire(struct vl_reslist *l,
			   const struct vl_acquire_opts *o, struct vl_error *e)
{
	int rc = fdlock_acquire(l, o, &ops, e);

	if (!rc)
		vl_note("ofdcopy: %u file(s) locked", opened);
	return rc;
}

static int ofdcopy_inquire(const struct vl_resource *r, struct vl_holders *out,
			   struct vl_error *e)
{
	struct stat st;
	int fd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return vl_fail(e, vl_errno_code(err), "%s: %s", r->path,
			       strerror(err));
	}
	fdlock_holders(fd, &st, out);
	close(fd);
	return 0;
}

VL_DRIVER_DEFINE(ofdcopy) = {
	.abi = VL_DRIVER_ABI,
	.name = "ofdcopy",
	.init = fdlock_init,
	.acquire = ofdcopy_acquire,
	.release = fdlock_release,
	.prepare_exec = fdlock_prepare_exec,
	.inquire = ofdcopy_inquire,
	.inquire_all = fdlock_inquire_all,
	.handover = fdlock_handover,
};
