/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/util/escape.c: names taken from outside, escaped for people; valid
 * UTF-8 told apart from the rest. */
#include "config.h"
#include "util/escape.h"
#include "../tap.h"

#include <stdlib.h>
#include <string.h>

static void escaped_is(const char *in, const char *also, const char *want,
		       const char *what)
{
	char *got = vl_escape(in, also);

	if (!ok(!strcmp(got, want), "%s: %s", what, want))
		printf("#   got: %s\n", got);
	free(got);
}

static void test_escape(void)
{
	escaped_is("/srv/vm/web.qcow2", "", "/srv/vm/web.qcow2",
		   "plain path: as it is");
	escaped_is("a\nb\tc", "", "a\\x0ab\\x09c", "newline and tab");
	escaped_is("web\", VM \"x", "\"", "web\\x22, VM \\x22x",
		   "quotes, asked for");
	escaped_is("web\"", "", "web\"", "a quote, not asked for");
	escaped_is("\xff\xfe", "", "\\xff\\xfe", "bytes ff fe (not UTF-8)");
	escaped_is("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe", "",
		   "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe",
		   "UTF-8 of 2, 3 and 4 bytes: as it is");
	escaped_is("\xc3", "", "\\xc3", "UTF-8 cut short");
	escaped_is("\xc0\xaf", "", "\\xc0\\xaf", "overlong slash c0 af");
	escaped_is("\xed\xa0\x80", "", "\\xed\\xa0\\x80", "surrogate ed a0 80");
	escaped_is("\xf4\x90\x80\x80", "", "\\xf4\\x90\\x80\\x80",
		   "past U+10FFFF");
	escaped_is("\xc2\x85 \x7f", "", "\\xc2\\x85 \\x7f", "C1 NEL and DEL");
	escaped_is("a\\x41 \\y", "", "a\\x5cx41 \\y",
		   "backslash before x (unambiguous), before y");
}

static void test_utf8_len(void)
{
	ok(vl_utf8_len("a") == 1 && vl_utf8_len("\n") == 1,
	   "length of a, of newline: 1");
	ok(vl_utf8_len("") == 0, "length of the NUL: 0");
	ok(vl_utf8_len("\xc3\xa9") == 2 && vl_utf8_len("\xe2\x82\xac") == 3 &&
	   vl_utf8_len("\xf0\x9f\x92\xbe") == 4,
	   "length of e-acute, euro, floppy: 2, 3, 4");
	ok(vl_utf8_len("\x80") == 0 && vl_utf8_len("\xe2\x82") == 0 &&
	   vl_utf8_len("\xe0\x80\xaf") == 0,
	   "length of a stray continuation, a cut euro, an overlong: 0");
	ok(vl_utf8_printable("a", 1) && !vl_utf8_printable("\x1b", 1) &&
	   !vl_utf8_printable("\xc2\x9b", 2) && vl_utf8_printable("\xc2\xa0", 2),
	   "printable: a and no-break space; not ESC nor CSI");
}

int main(void)
{
	test_escape();
	test_utf8_len();
	return done_testing();
}
