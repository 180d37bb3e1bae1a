/* Escaping names taken from outside, and telling valid UTF-8. */
#include "config.h"
#include "util/escape.h"
#include "../tap.h"

#include <stdlib.h>
#include <string.h>

static void expect(const char *in, const char *also, const char *want)
{
	char *got = vl_escape(in, also);

	ok(!strcmp(got, want), "escaped: \"%s\" (got \"%s\")", want, got);
	free(got);
}

static void test_escape(void)
{
	expect("/srv/vm/web.qcow2", "", "/srv/vm/web.qcow2");
	expect("a\nb\tc", "", "a\\x0ab\\x09c");
	expect("web\", VM \"x", "\"", "web\\x22, VM \\x22x");
	expect("web\"", "", "web\"");
	expect("\xff\xfe", "", "\\xff\\xfe");
	expect("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe", "",
	       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe");
	expect("\xc3", "", "\\xc3");			/* cut short */
	expect("\xc0\xaf", "", "\\xc0\\xaf");		/* overlong / */
	expect("\xed\xa0\x80", "", "\\xed\\xa0\\x80");	/* surrogate */
	expect("\xf4\x90\x80\x80", "", "\\xf4\\x90\\x80\\x80");
	expect("\xc2\x85 \x7f", "", "\\xc2\\x85 \\x7f");	/* C1 NEL, DEL */
	expect("a\\x41 \\y", "", "a\\x5cx41 \\y");	/* unambiguous */
}

static void test_utf8_len(void)
{
	ok(vl_utf8_len("a") == 1 && vl_utf8_len("\n") == 1, "ASCII: 1");
	ok(vl_utf8_len("") == 0, "NUL: 0");
	ok(vl_utf8_len("\xc3\xa9") == 2 && vl_utf8_len("\xe2\x82\xac") == 3 &&
	   vl_utf8_len("\xf0\x9f\x92\xbe") == 4, "multibyte: 2, 3, 4");
	ok(vl_utf8_len("\x80") == 0 && vl_utf8_len("\xe2\x82") == 0 &&
	   vl_utf8_len("\xe0\x80\xaf") == 0, "invalid: 0");
}

int main(void)
{
	test_escape();
	test_utf8_len();
	return done_testing();
}
