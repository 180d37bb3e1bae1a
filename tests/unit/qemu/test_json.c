/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/qemu/json.c: QEMU-dialect JSON, flattened; on its own and as a
 * json: file name of -drive feeds it. */
#include "config.h"
#include "qemu/json.h"
#include "qemu_cmd.h"

static void test_json_parser(void)
{
	struct qemu_kvlist kv = {0};
	struct vl_error e;

	ok(qemu_json_parse(" {\"a\": {\"b\": [\"x\", {\"c\": null}]}} ", &kv,
			   &e) == 0 && kv.n == 2 &&
	   !strcmp(qemu_kv_get(&kv, "a.b.0"), "x") &&
	   qemu_kv_get(&kv, "a.b.1.c") == NULL && kv.v[1].val == NULL,
	   "{\"a\": {\"b\": [\"x\", {\"c\": null}]}} flattened: a.b.0=x "
	   "a.b.1.c=(null)");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"a\": {\"b\": 1}, \"a.b\": 2}", &kv, &e) ==
	   EX_USAGE, "{\"a\": {\"b\": 1}, \"a.b\": 2}: duplicate flattened "
	   "key a.b refused");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"s\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\ud83d\\ude00\"}",
			   &kv, &e) == 0 &&
	   !strcmp(qemu_kv_get(&kv, "s"), "\"\\/\b\f\n\r\t\xf0\x9f\x98\x80"),
	   "{\"s\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\ud83d\\ude00\"}: escapes and "
	   "a surrogate pair decoded");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"s\": \"a\nb\"}", &kv, &e) == EX_USAGE,
	   "{\"s\": \"a<raw newline>b\"}: raw control character refused");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"s\": \"\\u0000\"}", &kv, &e) == EX_USAGE,
	   "{\"s\": \"\\u0000\"}: NUL refused");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"s\": \"abc", &kv, &e) == EX_USAGE &&
	   strstr(e.msg, "unterminated string"),
	   "{\"s\": \"abc (cut short): unterminated string");
	qemu_kvlist_free(&kv);
	ok(qemu_json_parse("{\"n\": -0.5E+2}", &kv, &e) == 0 &&
	   !strcmp(qemu_kv_get(&kv, "n"), "-0.5E+2"),
	   "{\"n\": -0.5E+2}: the number kept as its text");
	qemu_kvlist_free(&kv);
}

/* The grammar as a -drive json: file name feeds it (",," is a comma). */
static void test_json_filenames(void)
{
	expect_prefix("error 64", Q, "-drive", "file=json:{\"a\":1}x");
	expect_prefix("error 64", Q, "-drive", "file=json:{\"a\":01}");
	expect_prefix("error 64", Q, "-drive", "file=json:{\"a\":\"\\x\"}");
	expect_prefix("error 64", Q, "-drive", "file=json:{\"a\":\"\\ud800\"}");
	expect_prefix("error 64", Q, "-drive", "file=json:{\"a\":tru}");
	expect_prefix("error 64", Q, "-drive",
		      "file=json:{\"a\":1,,\"a\":2}");
	expect("error 64: -drive \"file=json:{\"x\":[1,,-2.5e3,,true,,false,,"
	       "null,,{\"y\":[]}]}\": neither driver nor file", Q, "-drive",
	       "file=json:{\"x\":[1,,-2.5e3,,true,,false,,null,,{\"y\":[]}]}");
	/* a nesting bomb is refused, not recursed into */
	char deep[512] = "file=json:";
	for (int i = 0; i < 40; i++)
		strcat(deep, "{\"a\":");
	expect_prefix("error 64", Q, "-drive", deep);
}

int main(void)
{
	if (qemu_cmd_setup())
		return 99;
	test_json_parser();
	test_json_filenames();
	qemu_cmd_cleanup();
	return done_testing();
}
