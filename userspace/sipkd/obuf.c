// SPDX-License-Identifier: GPL-2.0
/*
 * obuf.c - a bounded output buffer for the messages sipkd builds: every
 * append checks the room left and, when it does not fit, marks the
 * buffer as overflowed instead of writing past it; the caller checks
 * that flag once at the end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sipkd.h"

void ob_put(struct obuf *o, const void *s, size_t n)
{
	if (o->overflow || n > o->size - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->b + o->len, s, n);
	o->len += n;
}

void ob_str(struct obuf *o, const char *s)
{
	ob_put(o, s, strlen(s));
}

/* a header value with folding turned into spaces and controls dropped */
void ob_value(struct obuf *o, const u8 *b, u16 off, u16 len)
{
	u16 i;

	for (i = 0; i < len; i++) {
		u8 c = b[off + i];

		if (c == '\r' || c == '\n' || c == '\t')
			c = ' ';
		else if (c < ' ' || c == 0x7f)
			continue;
		ob_put(o, &c, 1);
	}
}

void ob_fmt(struct obuf *o, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->overflow = true;
		return;
	}
	ob_put(o, tmp, (size_t)n);
}
