#include "config.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *vl_progname = "vmlock";
int vl_verbosity;

static _Noreturn void out_of_memory(void)
{
	fprintf(stderr, "%s: out of memory\n", vl_progname);
	exit(71);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		out_of_memory();
	return p;
}

char *xasprintf(const char *fmt, ...)
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

struct vl_deadline vl_deadline_in(double seconds)
{
	struct vl_deadline d = { .forever = seconds < 0 };

	if (d.forever)
		return d;
	clock_gettime(CLOCK_MONOTONIC, &d.at);
	double whole = floor(seconds);
	d.at.tv_sec += (time_t)whole;
	d.at.tv_nsec += (long)((seconds - whole) * 1e9);
	if (d.at.tv_nsec >= 1000000000L) {
		d.at.tv_sec++;
		d.at.tv_nsec -= 1000000000L;
	}
	return d;
}

double vl_deadline_left(const struct vl_deadline *d)
{
	struct timespec now;

	if (d->forever)
		return 1e9;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double left = (double)(d->at.tv_sec - now.tv_sec) +
		      (double)(d->at.tv_nsec - now.tv_nsec) / 1e9;
	return left > 0 ? left : 0;
}

bool vl_deadline_passed(const struct vl_deadline *d)
{
	return !d->forever && vl_deadline_left(d) <= 0;
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
