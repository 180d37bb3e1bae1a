/* Small helpers shared by every command: allocation that cannot fail,
 * messages prefixed with the program name, and monotonic deadlines. */
#ifndef VMLOCK_UTIL_H
#define VMLOCK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "resource.h"

extern const char *vl_progname;
extern int vl_verbosity;	/* -1 quiet, 0 normal, 1 verbose */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void vl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vl_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vl_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void vl_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* seconds < 0: forever */
struct vl_deadline vl_deadline_in(double seconds);
bool vl_deadline_passed(const struct vl_deadline *d);
/* Seconds left, 0 when passed; a large number when forever. */
double vl_deadline_left(const struct vl_deadline *d);

/* Parses a number of seconds: a decimal >= 0, or -1 for forever. */
bool vl_parse_seconds(const char *s, double *out);

#endif
