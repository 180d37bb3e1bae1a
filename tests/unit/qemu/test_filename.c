/* src/qemu/filename.c: protocol prefixes, names beside their image, and
 * how image chains resolve the backing names headers store. */
#include "config.h"
#include "qemu/filename.h"
#include "util/util.h"
#include "../tap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_protocol(void)
{
	ok(qemu_name_is_protocol("nbd:x") && !qemu_name_is_protocol("/a:b") &&
	   !qemu_name_is_protocol("file:/a") && !qemu_name_is_protocol("a"),
	   "nbd:x is a protocol; /a:b, file:/a and a are not");
}

static void beside_is(const char *image, const char *name, const char *want)
{
	char *got = qemu_name_beside(image, name);

	if (!ok(!strcmp(got, want), "%s beside %s: %s", name, image, want))
		printf("#   got: %s\n", got);
	free(got);
}

static void test_beside(void)
{
	beside_is("/d/top.qcow2", "base.qcow2", "/d/base.qcow2");
	beside_is("/d/sub/top.qcow2", "../base.qcow2", "/d/sub/../base.qcow2");
	beside_is("top.qcow2", "base.qcow2", "base.qcow2");
	beside_is("/d/top.qcow2", "/abs/base", "/abs/base");
	beside_is("/d/top.qcow2", "nbd://h/x", "nbd://h/x");
	beside_is("/d/top.qcow2", "json:{\"filename\": \"b\"}",
		  "json:{\"filename\": \"b\"}");
}

/* qemu_image_names.backing(overlay, name): "PATH (FORMAT)", "none" for
 * no local file, or "error CODE: MESSAGE". */
static const char *backing(const char *overlay, const char *name)
{
	static char out[2048];
	char *path = NULL, *format = vl_strdup("qcow2");
	struct vl_error e = {0};
	int rc = qemu_image_names.backing(overlay, name, &path, &format, &e);

	if (rc)
		snprintf(out, sizeof out, "error %d: %s", rc, e.msg);
	else
		snprintf(out, sizeof out, "%s (%s)", path ? path : "none",
			 format ? format : "no format");
	free(path);
	free(format);
	return out;
}

#define backing_is(want, overlay, name) do { \
	const char *got_ = backing(overlay, name); \
	if (!ok(!strncmp(got_, want, strlen(want)), \
		"backing name %s of %s, format qcow2: %s", name, overlay, \
		want)) \
		printf("#   got: %s\n", got_); \
} while (0)

static void test_backing(void)
{
	char *cwd = getcwd(NULL, 0);
	char *want = vl_asprintf("%s/rel.raw (raw)", cwd);

	backing_is("/d/base (qcow2)", "/d/top", "base");
	backing_is("/d/base (qcow2)", "/d/top", "file:base");
	backing_is("none (qcow2)", "/d/top", "nbd://h/e");
	backing_is("/x/b (raw)", "/d/top",
		   "json:{\"driver\": \"raw\", \"file\": {\"driver\": "
		   "\"file\", \"filename\": \"/x/b\"}}");
	backing_is("/x/b (qcow2)", "/d/top",
		   "json:{\"driver\": \"file\", \"filename\": \"file:/x/b\"}");
	backing_is(want, "/d/top", "json:{\"driver\": \"raw\", "
		   "\"file.filename\": \"rel.raw\"}");
	backing_is("none (qcow2)", "/d/top",
		   "json:{\"file\": {\"driver\": \"nbd\", \"filename\": "
		   "\"nbd://h/e\"}}");
	backing_is("error 65: /d/top: backing file name json:{bad: invalid "
		   "JSON at offset ", "/d/top", "json:{bad");
	free(want);
	free(cwd);
}

int main(void)
{
	test_protocol();
	test_beside();
	test_backing();
	return done_testing();
}
