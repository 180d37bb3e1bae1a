/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
#include "config.h"
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *vl_progname = "vmlock";
int vl_verbosity;

static _Noreturn void out_of_memory(void)
{
	fprintf(stderr, "%s: out of memory\n", vl_progname);
	exit(71);
}

void *vl_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *vl_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *vl_reallocarray(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *vl_strdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		out_of_memory();
	return p;
}

char *vl_strndup(const char *s, size_t n)
{
	char *p = vl_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *vl_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		out_of_memory();
	va_end(ap);
	return p;
}

__attribute__((format(printf, 1, 0)))
static void say(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", vl_progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void vl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void vl_note(const char *fmt, ...)
{
	va_list ap;

	if (vl_verbosity < 0)
		return;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void vl_debug(const char *fmt, ...)
{
	va_list ap;

	if (vl_verbosity < 1)
		return;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void vl_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	exit(code);
}

bool vl_parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || isnan(v) || isinf(v))
		return false;
	if ((v < 0 && v != -1) || v > 1e9)	/* 1e9 s: 31 years */
		return false;
	*out = v;
	return true;
}

bool vl_parse_pid(const char *s, long *pid)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;	/* strtol would take " 5" and "+5" */
	errno = 0;
	*pid = strtol(s, &end, 10);
	return !errno && !*end && *pid > 0;
}

bool vl_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool vl_in_list(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

bool vl_parse_bool(const char *s, bool *value)
{
	static const char *const yes[] = { "on", "yes", "true", "y", NULL };
	static const char *const no[] = { "off", "no", "false", "n", NULL };

	*value = vl_in_list(s, yes);
	return *value || vl_in_list(s, no);
}

void *vl_grow(void *v, size_t *cap, size_t size)
{
	*cap = *cap ? 2 * *cap : 8;
	return vl_reallocarray(v, *cap, size);
}

unsigned long vl_random(void)
{
	static __thread uint64_t state;

	if (!state)	/* splitmix64 of a seed that differs per process */
		state = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^
			(uint64_t)(uintptr_t)&state;
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (unsigned long)((z ^ (z >> 31)) >> 32);
}

#define FAN_MAX 32

struct fan {
	size_t n, next;
	vl_fan_fn *fn;
	void *arg;
};

struct fan_thread {
	struct fan *f;
	unsigned id;
};

static void *fan_work(void *arg)
{
	struct fan_thread *t = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&t->f->next, 1, __ATOMIC_RELAXED)) <
	       t->f->n)
		t->f->fn(i, t->id, t->f->arg);
	return NULL;
}

void vl_fan_out(size_t n, unsigned threads, vl_fan_fn *fn, void *arg)
{
	struct fan f = { .n = n, .fn = fn, .arg = arg };
	struct fan_thread t[FAN_MAX];
	pthread_t tid[FAN_MAX];
	unsigned started = 0;

	threads = threads < 1 ? 1 : threads > FAN_MAX ? FAN_MAX : threads;
	for (unsigned i = 0; i < threads; i++)
		t[i] = (struct fan_thread){ &f, i };
	while (started + 1 < threads && started + 1 < n &&
	       pthread_create(&tid[started], NULL, fan_work,
			      &t[started + 1]) == 0)
		started++;
	fan_work(&t[0]);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}

int vl_cmp_ident(dev_t dev_a, ino_t ino_a, dev_t dev_b, ino_t ino_b)
{
	if (dev_a != dev_b)
		return dev_a < dev_b ? -1 : 1;
	return ino_a < ino_b ? -1 : ino_a > ino_b;
}

bool vl_others_may_write(const struct stat *st)
{
	return (st->st_mode & S_IWOTH) ||
	       ((st->st_mode & S_IWGRP) && st->st_gid != 0);
}

int vl_open_regular(int dirfd, const char *name, int flags, struct stat *st)
{
	int pin = openat(dirfd, name, O_PATH | O_CLOEXEC | (flags & O_NOFOLLOW));
	int fd = -1, err = errno;
	char proc[64];

	memset(st, 0, sizeof *st);
	if (pin < 0)
		return -1;
	if (fstat(pin, st) < 0)
		err = errno;
	else if (!S_ISREG(st->st_mode))
		err = ENXIO;
	else {
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", pin);
		fd = open(proc, flags & ~O_NOFOLLOW);
		err = errno;
	}
	close(pin);
	errno = err;
	return fd;
}

int vl_fd_above_stdio(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int err = errno;
	close(fd);
	errno = err;
	return high;
}

const char *vl_lib_load(struct vl_lib *lib, const char *const *names,
			void **const *slots, size_t n)
{
	if (!lib->handle && !(lib->handle = dlopen(lib->soname, RTLD_NOW)))
		return dlerror();
	for (size_t i = 0; i < n; i++)
		if (!(*slots[i] = dlsym(lib->handle, names[i])))
			return dlerror();
	return NULL;
}
