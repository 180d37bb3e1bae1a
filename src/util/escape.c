/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
#include "config.h"
#include "util/escape.h"
#include "util/util.h"

#include <stdio.h>
#include <string.h>

static bool continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t vl_utf8_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	/* the second byte's range excludes overlong forms, surrogates and
	 * code points past U+10FFFF */
	unsigned char lo = 0x80, hi = 0xbf;

	if (u[0] < 0x80)
		return u[0] ? 1 : 0;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, lo = u[0] == 0xe0 ? 0xa0 : 0x80,
		hi = u[0] == 0xed ? 0x9f : 0xbf;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, lo = u[0] == 0xf0 ? 0x90 : 0x80,
		hi = u[0] == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (u[1] < lo || u[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!continuation(u[i]))
			return 0;
	return n;
}

bool vl_utf8_printable(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (n == 1)
		return u[0] >= 0x20 && u[0] != 0x7f;
	return !(n == 2 && u[0] == 0xc2 && u[1] < 0xa0);	/* C1 */
}

char *vl_escape(const char *s, const char *also)
{
	char *out = vl_malloc(4 * strlen(s) + 1), *o = out;

	while (*s) {
		size_t n = vl_utf8_len(s);
		bool plain = n && vl_utf8_printable(s, n) &&
			     !(*s == '\\' && s[1] == 'x') &&
			     !(n == 1 && strchr(also, *s));
		if (!plain)
			n = n ? n : 1;
		for (size_t i = 0; i < n; i++, s++)
			if (plain)
				*o++ = *s;
			else
				o += sprintf(o, "\\x%02x", (unsigned char)*s);
	}
	*o = 0;
	return out;
}
