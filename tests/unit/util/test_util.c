/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* src/util/util.c: strings, booleans and seconds as vmlock.conf and QEMU
 * spell them, growable arrays, file identities, fds off stdio, calls
 * fanned out over threads, random numbers. */
#include "config.h"
#include "util/util.h"
#include "../tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_seconds(void)
{
	double s;

	ok(vl_parse_seconds("0", &s) && s == 0, "seconds \"0\": 0");
	ok(vl_parse_seconds("2.5", &s) && s == 2.5, "seconds \"2.5\": 2.5");
	ok(vl_parse_seconds("-1", &s) && s == -1, "seconds \"-1\": forever");
	ok(!vl_parse_seconds("-2", &s) && !vl_parse_seconds("5s", &s) &&
	   !vl_parse_seconds("", &s) && !vl_parse_seconds("nan", &s),
	   "seconds \"-2\", \"5s\", \"\", \"nan\": refused");
	ok(vl_parse_seconds("1e9", &s) && s == 1e9,
	   "seconds \"1e9\": the most");
	ok(!vl_parse_seconds("1000000001", &s) &&
	   !vl_parse_seconds("inf", &s) && !vl_parse_seconds("-0.5", &s),
	   "seconds \"1000000001\", \"inf\", \"-0.5\": refused");
	s = 7;
	ok(!vl_parse_seconds("x", &s) && s == 7,
	   "seconds \"x\": refused, the value left alone");
}

static void test_bool(void)
{
	static const char *const yes[] = { "on", "yes", "true", "y" };
	static const char *const no[] = { "off", "no", "false", "n" };
	static const char *const bad[] = { "maybe", "", "ON", "1", "0", "Y" };
	bool v;

	for (size_t i = 0; i < 4; i++) {
		v = false;
		ok(vl_parse_bool(yes[i], &v) && v, "boolean \"%s\": true",
		   yes[i]);
	}
	for (size_t i = 0; i < 4; i++) {
		v = true;
		ok(vl_parse_bool(no[i], &v) && !v, "boolean \"%s\": false",
		   no[i]);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		v = true;
		ok(!vl_parse_bool(bad[i], &v) && !v,
		   "boolean \"%s\": refused (value false)", bad[i]);
	}
}

static void test_strings(void)
{
	static const char *const list[] = { "file", "host_device", NULL };
	char *s;

	s = vl_strndup("abcdef", 3);
	ok(!strcmp(s, "abc"), "vl_strndup(\"abcdef\", 3): \"abc\"");
	free(s);
	s = vl_strndup("abc", 0);
	ok(!strcmp(s, ""), "vl_strndup(\"abc\", 0): \"\"");
	free(s);
	s = vl_strndup("a\0b", 3);
	ok(s[0] == 'a' && s[1] == '\0' && s[2] == 'b' && s[3] == '\0',
	   "vl_strndup(\"a\\0b\", 3): all 3 bytes, then a NUL");
	free(s);
	s = vl_asprintf("%s-%d", "x", 42);
	ok(!strcmp(s, "x-42"), "vl_asprintf(\"%%s-%%d\", \"x\", 42): \"x-42\"");
	free(s);
	ok(vl_starts_with("json:{}", "json:") && vl_starts_with("a", "") &&
	   !vl_starts_with("jso", "json:"),
	   "starts_with: \"json:{}\" with \"json:\", \"a\" with \"\"; not "
	   "\"jso\" with \"json:\"");
	ok(vl_in_list("host_device", list) && !vl_in_list("nbd", list) &&
	   !vl_in_list(NULL, list),
	   "in_list {file, host_device}: host_device is; nbd and NULL are not");
}

static void test_push(void)
{
	int *v = NULL;
	size_t n = 0, cap = 0, caps[16], ncaps = 0;
	bool intact = true;

	for (int i = 0; i < 1000; i++) {
		*VL_PUSH(v, n, cap) = i;
		if (!ncaps || caps[ncaps - 1] != cap)
			caps[ncaps++] = cap;
	}
	for (int i = 0; i < 1000; i++)
		intact = intact && v[i] == i;
	ok(n == 1000 && intact, "VL_PUSH 0..999 into an empty array: 1000 "
	   "elements, in order, through each growth");
	ok(ncaps == 8 && caps[0] == 8 && caps[1] == 16 && caps[7] == 1024 &&
	   cap == 1024, "VL_PUSH 1000 elements: capacity 8, 16, ..., 1024 "
	   "(%zu steps, capacity %zu)", ncaps, cap);
	free(v);

	char **s = NULL;
	n = cap = 0;
	for (int i = 0; i < 20; i++)
		*VL_PUSH(s, n, cap) = vl_asprintf("s%d", i);
	ok(n == 20 && cap == 32 && !strcmp(s[0], "s0") &&
	   !strcmp(s[8], "s8") && !strcmp(s[19], "s19"),
	   "VL_PUSH 20 strings: past capacities 8 and 16, pointers kept");
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

static void test_cmp_ident(void)
{
	ok(vl_cmp_ident(1, 5, 2, 1) == -1, "identity (1, 5) before (2, 1): "
	   "device first");
	ok(vl_cmp_ident(2, 1, 1, 5) == 1, "identity (2, 1) after (1, 5)");
	ok(vl_cmp_ident(3, 4, 3, 9) == -1, "identity (3, 4) before (3, 9)");
	ok(vl_cmp_ident(3, 9, 3, 4) == 1, "identity (3, 9) after (3, 4)");
	ok(vl_cmp_ident(3, 4, 3, 4) == 0, "identity (3, 4) equal to itself");
}

static void test_fd_above_stdio(void)
{
	int p[2], saved = dup(0);

	if (saved < 0 || pipe(p) != 0) {
		ok(0, "a pipe and a copy of stdin");
		return;
	}
	ok(vl_fd_above_stdio(p[1]) == p[1], "vl_fd_above_stdio(%d), above "
	   "stdio already: the same fd", p[1]);
	dup2(p[0], 0);
	close(p[0]);
	int fd = vl_fd_above_stdio(0);
	ok(fd > 2 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) &&
	   fcntl(0, F_GETFD) < 0 && write(p[1], "x", 1) == 1,
	   "vl_fd_above_stdio(0), a pipe on fd 0: moved to fd %d, "
	   "close-on-exec, 0 closed", fd);
	char c = 0;
	ok(read(fd, &c, 1) == 1 && c == 'x', "the moved fd %d reads the pipe",
	   fd);
	ok(vl_fd_above_stdio(-1) == -1, "vl_fd_above_stdio(-1): -1");
	close(fd);
	close(p[1]);
	dup2(saved, 0);
	close(saved);
}

static void test_pid(void)
{
	long pid = 0;

	ok(vl_parse_pid("4242", &pid) && pid == 4242, "pid \"4242\": 4242");
	ok(!vl_parse_pid("0", &pid) && !vl_parse_pid("-5", &pid) &&
	   !vl_parse_pid("1x", &pid) && !vl_parse_pid("", &pid) &&
	   !vl_parse_pid(" 5", &pid) && !vl_parse_pid("+5", &pid) &&
	   !vl_parse_pid("99999999999999999999", &pid),
	   "pids \"0\", \"-5\", \"1x\", \"\", \" 5\", \"+5\" and one past "
	   "LONG_MAX: refused");
}

#define LIBC_FUNCS(X) X(getpid)
VL_LIB_PTRS(LIBC_FUNCS)

static void test_lib_load(void)
{
	struct vl_lib libc = { "libc.so.6", NULL };
	struct vl_lib none = { "libvmlock-no-such-library.so.0", NULL };

	ok(!VL_LIB_LOAD(&libc, LIBC_FUNCS) && dl_getpid &&
	   dl_getpid() == getpid(), "a library loaded on demand: its "
	   "function is the one linked");
	ok(VL_LIB_LOAD(&none, LIBC_FUNCS) != NULL && !none.handle,
	   "a library that is not there: its error, no handle");
}

struct fan_count {
	unsigned char calls[1000];
	unsigned threads_seen;	/* bit per thread index */
	unsigned max_thread;
};

static void fan_call(size_t i, unsigned thread, void *arg)
{
	struct fan_count *c = arg;

	__atomic_fetch_add(&c->calls[i], 1, __ATOMIC_RELAXED);
	__atomic_fetch_or(&c->threads_seen, 1u << thread, __ATOMIC_RELAXED);
	if (thread > __atomic_load_n(&c->max_thread, __ATOMIC_RELAXED))
		__atomic_store_n(&c->max_thread, thread, __ATOMIC_RELAXED);
	usleep(100);		/* long enough that every thread gets some */
}

static void test_random(void)
{
	unsigned long seen[64];
	size_t distinct = 0;
	bool small = true;

	for (size_t i = 0; i < 64; i++) {
		unsigned long r = vl_random();
		bool again = false;
		for (size_t j = 0; j < distinct; j++)
			again |= seen[j] == r;
		if (!again)
			seen[distinct++] = r;
		small &= r <= 0xffffffffUL;
	}
	ok(distinct == 64 && small,
	   "random: 64 draws, all different, all below 2^32");
}

static void test_fan_out(void)
{
	unsigned sizes[] = { 0, 1, 4, 40 };

	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		struct fan_count c = {0};
		size_t once = 0;
		vl_fan_out(1000, sizes[k], fan_call, &c);
		for (size_t i = 0; i < 1000; i++)
			once += c.calls[i] == 1;
		unsigned most = sizes[k] > 32 ? 32 : sizes[k] ? sizes[k] : 1;
		ok(once == 1000 && c.max_thread < most,
		   "fan_out, %u threads: each of 1000 calls once, thread "
		   "indices below %u", sizes[k], most);
	}
	struct fan_count c = {0};
	vl_fan_out(1000, 4, fan_call, &c);
	ok(c.threads_seen == 0xf, "fan_out, 4 threads: all 4 made calls");
	vl_fan_out(0, 4, fan_call, &c);
	ok(c.calls[0] == 1, "fan_out of 0 calls makes none");
}

int main(void)
{
	test_pid();
	test_seconds();
	test_bool();
	test_strings();
	test_push();
	test_cmp_ident();
	test_fd_above_stdio();
	test_lib_load();
	test_fan_out();
	test_random();
	return done_testing();
}
