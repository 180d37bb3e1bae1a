/* Modes, their matrix, and the small parsers every command uses. */
#include "config.h"
#include "api/api.h"
#include "util/util.h"
#include "tap.h"

#include <errno.h>
#include <string.h>

static void test_modes(void)
{
	enum vl_mode m;
	static const bool matrix[3][3] = {
		{ false, false, false },
		{ false, true, false },
		{ false, false, true },
	};

	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			ok(vl_modes_compatible(a, b) == matrix[a][b],
			   "%s with %s: %s", vl_mode_name(a), vl_mode_name(b),
			   matrix[a][b] ? "ok" : "conflict");
	ok(vl_mode_parse("shared", &m) && m == VL_SHARED, "parse shared");
	ok(vl_mode_parse("readonly", &m) && m == VL_READONLY, "parse readonly");
	ok(!vl_mode_parse("ro", &m) && !vl_mode_parse("", &m) &&
	   !vl_mode_parse("Exclusive", &m), "only the three names parse");
	ok(vl_mode_stronger(VL_READONLY, VL_EXCLUSIVE) == VL_EXCLUSIVE &&
	   vl_mode_stronger(VL_SHARED, VL_READONLY) == VL_SHARED,
	   "stronger mode wins when one process wants a file twice");
}

static void test_seconds(void)
{
	double s;

	ok(vl_parse_seconds("0", &s) && s == 0, "0");
	ok(vl_parse_seconds("2.5", &s) && s == 2.5, "2.5");
	ok(vl_parse_seconds("-1", &s) && s == -1, "-1 forever");
	ok(!vl_parse_seconds("-2", &s) && !vl_parse_seconds("5s", &s) &&
	   !vl_parse_seconds("", &s) && !vl_parse_seconds("nan", &s),
	   "bad seconds refused");
}

static void test_errno_codes(void)
{
	ok(vl_errno_code(ENOENT) == EX_NOINPUT, "ENOENT is 66");
	ok(vl_errno_code(EACCES) == EX_NOPERM, "EACCES is 77");
	ok(vl_errno_code(ENOLCK) == EX_OSERR, "ENOLCK is 71");
}

static void test_deadline(void)
{
	struct vl_deadline d = vl_deadline_in(0);
	struct vl_deadline never = vl_deadline_in(-1);

	ok(vl_deadline_passed(&d), "a zero wait has passed at once");
	ok(!vl_deadline_passed(&never) && never.forever, "-1 never passes");
	d = vl_deadline_in(10);
	ok(vl_deadline_left(&d) > 9 && vl_deadline_left(&d) <= 10,
	   "10 s left");
}

int main(void)
{
	test_modes();
	test_seconds();
	test_errno_codes();
	test_deadline();
	return done_testing();
}
