/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* Text taken from outside (paths, VM names, command names) as vmlock shows
 * it: valid UTF-8 stays as it is, the rest is escaped as lslocks
 * (libsmartcols) escapes it, so that no such name can forge a line or a
 * column of what vmlock prints (vmlock(1), OUTPUT). */
#ifndef VMLOCK_UTIL_ESCAPE_H
#define VMLOCK_UTIL_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* The length of the valid UTF-8 sequence at s: 1 for an ASCII byte, 2 to
 * 4 for a multibyte character, 0 for the NUL and for a byte that starts
 * no valid sequence (a stray continuation byte, an overlong form, a
 * surrogate, past U+10FFFF). */
size_t vl_utf8_len(const char *s);
/* Is the n-byte character at s (n from vl_utf8_len) printable, neither a
 * C0 nor a C1 control nor DEL? */
bool vl_utf8_printable(const char *s, size_t n);
/* s with each byte of a character that is not printable UTF-8, a
 * backslash followed by x, and each byte of also (quotes, say) written as
 * \xHH. Newly allocated. */
char *vl_escape(const char *s, const char *also);

#endif
