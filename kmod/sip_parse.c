// SPDX-License-Identifier: GPL-2.0
/*
 * sip_parse.c - SIP message parser (RFC 3261 sections 7, 20 and 25).
 *
 * Shared by sipk.ko and userspace.  Every read is bounded by the end of
 * the range being parsed; offsets are 16 bit because a UDP datagram is at
 * most 65535 octets.  The parser is strict where laxness would let a
 * rewritten message mean something else downstream (Content-Length,
 * CSeq, Via, the start line) and hands anything unusual but valid up.
 */
#include "sip_core.h"

static const char * const sipk_reason_names[SIPK_R_MAX] = {
	[SIPK_R_NONE]		= "none",
	[SIPK_R_TRUNCATED]	= "truncated",
	[SIPK_R_START_LINE]	= "start-line",
	[SIPK_R_VERSION]	= "version",
	[SIPK_R_METHOD]		= "method",
	[SIPK_R_RURI]		= "request-uri",
	[SIPK_R_STATUS]		= "status-code",
	[SIPK_R_HEADER]		= "header",
	[SIPK_R_VIA]		= "via",
	[SIPK_R_NO_VIA]		= "no-via",
	[SIPK_R_CSEQ]		= "cseq",
	[SIPK_R_CSEQ_METHOD]	= "cseq-method",
	[SIPK_R_MAX_FORWARDS]	= "max-forwards",
	[SIPK_R_CONTENT_LENGTH]	= "content-length",
	[SIPK_R_CALL_ID]	= "call-id",
	[SIPK_R_FROM]		= "from",
	[SIPK_R_TO]		= "to",
	[SIPK_R_CONTACT]	= "contact",
	[SIPK_R_ROUTE]		= "route",
	[SIPK_R_DUPLICATE]	= "duplicate-header",
	[SIPK_R_MISSING]	= "missing-header",
	[SIPK_R_DATE]		= "date",
	[SIPK_R_BINARY]		= "binary",
	[SIPK_R_FOLDED]		= "folded",
	[SIPK_R_SCHEME]		= "uri-scheme",
	[SIPK_R_SIPS]		= "sips",
	[SIPK_R_TRANSPORT]	= "transport",
	[SIPK_R_TOO_MANY_VIAS]	= "too-many-vias",
	[SIPK_R_TOO_BIG]	= "too-big",
	[SIPK_R_PROXY_REQUIRE]	= "proxy-require",
	[SIPK_R_VIA_RECEIVED]	= "via-received",
	[SIPK_R_VIA_MADDR]	= "via-maddr",
};

const char *sipk_reason_name(enum sipk_reason r)
{
	if ((unsigned int)r >= SIPK_R_MAX || !sipk_reason_names[r])
		return "unknown";
	return sipk_reason_names[r];
}

/* ---- word-at-a-time scanning ---- */

/*
 * The classic tests on eight octets at once: "some octet is zero" and
 * "some octet is below N" (N <= 0x80) set the high bit of each such
 * octet.  A borrow only runs from an octet that matched into the ones
 * above it, so the lowest set bit is always a true match: with the first
 * octet in the least significant byte (sipk_load_le64()) it names the
 * first matching octet.  Octets >= 0x80 never match.
 */
#define WORD_ONES	0x0101010101010101ULL
#define WORD_HIGHS	0x8080808080808080ULL

static u64 word_zero_mask(u64 w)
{
	return (w - WORD_ONES) & ~w & WORD_HIGHS;
}

static u64 word_octet_mask(u64 w, u8 c)
{
	return word_zero_mask(w ^ (WORD_ONES * c));
}

/* control octets (below 0x20, TAB included) and DEL */
static u64 word_ctl_mask(u64 w)
{
	return ((w - WORD_ONES * 0x20) & ~w & WORD_HIGHS) |
	       word_octet_mask(w, 0x7f);
}

static bool is_ctl(u8 c)
{
	return c < 0x20 || c == 0x7f;
}

/* The first control octet or DEL in [p, end), else @end. */
static size_t find_ctl(const u8 *b, size_t p, size_t end)
{
	u64 mask;

	for (; p + 8 <= end; p += 8) {
		mask = word_ctl_mask(sipk_load_le64(b + p));
		if (mask)
			return p + sipk_ffs64(mask) / 8;
	}
	while (p < end && !is_ctl(b[p]))
		p++;
	return p;
}

/* octets that are not VCHAR: SP and below, DEL, and 0x80 and above */
static u64 word_non_vchar_mask(u64 w)
{
	return ((w - WORD_ONES * 0x21) & ~w & WORD_HIGHS) | (w & WORD_HIGHS) |
	       word_octet_mask(w, 0x7f);
}

/* The first octet in [p, end) that is not VCHAR, else @end. */
static u16 find_non_vchar(const u8 *b, u16 p, u16 end)
{
	u64 mask;

	for (; p + 8 <= end; p += 8) {
		mask = word_non_vchar_mask(sipk_load_le64(b + p));
		if (mask)
			return p + sipk_ffs64(mask) / 8;
	}
	while (p < end && b[p] > ' ' && b[p] < 0x7f)
		p++;
	return p;
}

/* The first SP, control octet or DEL in [p, end), else @end. */
static u16 find_sp_or_ctl(const u8 *b, u16 p, u16 end)
{
	u64 mask, w;

	for (; p + 8 <= end; p += 8) {
		w = sipk_load_le64(b + p);
		mask = word_ctl_mask(w) | word_octet_mask(w, ' ');
		if (mask)
			return p + sipk_ffs64(mask) / 8;
	}
	while (p < end && b[p] != ' ' && !is_ctl(b[p]))
		p++;
	return p;
}

/* The first @c in [p, end), else @end. */
static u16 find_octet(const u8 *b, u16 p, u16 end, u8 c)
{
	u64 mask;

	for (; p + 8 <= end; p += 8) {
		mask = word_octet_mask(sipk_load_le64(b + p), c);
		if (mask)
			return p + sipk_ffs64(mask) / 8;
	}
	while (p < end && b[p] != c)
		p++;
	return p;
}

/* ---- character classes (RFC 3261 section 25.1) ---- */

/*
 * One table lookup per octet instead of a chain of comparisons: the
 * parser tests a class for nearly every octet of the headers.
 */
#define C_ALPHA		0x01
#define C_DIGIT		0x02
#define C_HEX		0x04	/* HEXDIG, digits included */
#define C_TOKEN		0x08	/* token */
#define C_HOST		0x10	/* alphanum / "-" / "." */
#define C_PARAM		0x20	/* paramchar of a URI parameter */
#define C_USER		0x40	/* user / ":" password of a URI */
#define C_WS		0x80	/* SP / HTAB */

#define C_ALNUM_ALL	(C_TOKEN | C_HOST | C_PARAM | C_USER)
#define C_HEXLETTER	(C_ALPHA | C_HEX | C_ALNUM_ALL)
#define C_LETTER	(C_ALPHA | C_ALNUM_ALL)

static const u8 sipk_cclass[256] = {
	['0' ... '9']	= C_DIGIT | C_HEX | C_ALNUM_ALL,
	['a' ... 'f']	= C_HEXLETTER,
	['g' ... 'z']	= C_LETTER,
	['A' ... 'F']	= C_HEXLETTER,
	['G' ... 'Z']	= C_LETTER,
	[' ']		= C_WS,
	['\t']		= C_WS,
	/* token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
	['-']		= C_TOKEN | C_HOST | C_PARAM | C_USER,
	['.']		= C_TOKEN | C_HOST | C_PARAM | C_USER,
	['!']		= C_TOKEN | C_PARAM | C_USER,
	['%']		= C_TOKEN | C_PARAM | C_USER,	/* escaped */
	['*']		= C_TOKEN | C_PARAM | C_USER,
	['_']		= C_TOKEN | C_PARAM | C_USER,
	['+']		= C_TOKEN | C_PARAM | C_USER,
	['`']		= C_TOKEN,
	['\'']		= C_TOKEN | C_PARAM | C_USER,
	['~']		= C_TOKEN | C_PARAM | C_USER,
	/* the rest of unreserved, param-unreserved and user-unreserved */
	['(']		= C_PARAM | C_USER,
	[')']		= C_PARAM | C_USER,
	['[']		= C_PARAM,
	[']']		= C_PARAM,
	['/']		= C_PARAM | C_USER,
	[':']		= C_PARAM | C_USER,
	['&']		= C_PARAM | C_USER,
	['$']		= C_PARAM | C_USER,
	['=']		= C_PARAM | C_USER,
	[',']		= C_USER,
	[';']		= C_USER,
	['?']		= C_USER,
};

static bool is_class(u8 c, u8 class)
{
	return sipk_cclass[c] & class;
}

static bool is_alpha(u8 c)
{
	return is_class(c, C_ALPHA);
}

static bool is_digit(u8 c)
{
	return is_class(c, C_DIGIT);
}

static bool is_hex(u8 c)
{
	return is_class(c, C_HEX);
}

static bool is_alnum(u8 c)
{
	return is_class(c, C_ALPHA | C_DIGIT);
}

static bool is_token(u8 c)
{
	return is_class(c, C_TOKEN);
}

static bool is_ws(u8 c)
{
	return is_class(c, C_WS);
}

static u8 lower(u8 c)
{
	return (u8)(c - 'A') <= 'Z' - 'A' ? c + ('a' - 'A') : c;
}

static bool mem_caseeq(const u8 *a, const char *lit, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		u8 x = a[i] ^ (u8)lit[i];

		/* equal, or a letter in the other case */
		if (x && (x != 'a' - 'A' || !is_alpha(a[i])))
			return false;
	}
	return true;
}

bool sipk_str_eq(const struct sipk_msg *m, struct sipk_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && !memcmp(m->buf + s.off, lit, n);
}

bool sipk_str_caseeq(const struct sipk_msg *m, struct sipk_str s,
		     const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && mem_caseeq(m->buf + s.off, lit, n);
}

static struct sipk_str mkstr(u16 a, u16 b)
{
	struct sipk_str s = { .off = a, .len = (u16)(b - a) };

	return s;
}

/*
 * Skip linear white space, folding included: LWS = [*WSP CRLF] 1*WSP.
 * Header values handed to the helpers below end before their final CRLF,
 * so a CRLF inside a range is always a fold.
 */
static u16 skip_lws(const u8 *b, u16 p, u16 end)
{
	for (;;) {
		while (p < end && is_ws(b[p]))
			p++;
		if (p + 2 < end && b[p] == '\r' && b[p + 1] == '\n' &&
		    is_ws(b[p + 2])) {
			p += 3;
			continue;
		}
		return p;
	}
}

static u16 skip_token(const u8 *b, u16 p, u16 end)
{
	while (p < end && is_token(b[p]))
		p++;
	return p;
}

/* quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE; p at the DQUOTE */
static int skip_quoted(const u8 *b, u16 p, u16 end, u16 *out)
{
	p++;
	while (p < end) {
		if (b[p] == '"') {
			*out = p + 1;
			return 0;
		}
		if (b[p] == '\\') {
			if (p + 1 >= end || b[p + 1] == '\r' || b[p + 1] == '\n')
				return -EINVAL;
			p += 2;
			continue;
		}
		if (b[p] == '\r') {
			/* only a fold may break a quoted string */
			if (p + 2 < end && b[p + 1] == '\n' && is_ws(b[p + 2])) {
				p += 3;
				continue;
			}
			return -EINVAL;
		}
		p++;
	}
	return -EINVAL;
}

/* A decimal number with saturation at @max + 1; false when no digits. */
static bool read_uint(const u8 *b, u16 *pp, u16 end, u64 max, u64 *val)
{
	u16 p = *pp;
	u64 v = 0;

	if (p >= end || !is_digit(b[p]))
		return false;
	while (p < end && is_digit(b[p])) {
		v = v * 10 + (b[p] - '0');
		if (v > max)
			v = max + 1;
		p++;
	}
	*pp = p;
	*val = v;
	return true;
}

/* ---- addresses ---- */

static int parse_ipv4(const u8 *s, size_t len, u8 *out)
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned int v = 0, nd = 0;

		while (i < len && is_digit(s[i]) && nd < 4) {
			v = v * 10 + (s[i] - '0');
			i++;
			nd++;
		}
		if (!nd || nd > 3 || v > 255)
			return -EINVAL;
		out[part] = (u8)v;
		if (part < 3) {
			if (i >= len || s[i] != '.')
				return -EINVAL;
			i++;
		}
	}
	return i == len ? 0 : -EINVAL;
}

static int hexval(u8 c)
{
	if (is_digit(c))
		return c - '0';
	return lower(c) - 'a' + 10;
}

/* RFC 4291 section 2.2 text forms, including "::" and a dotted tail */
static int parse_ipv6(const u8 *s, size_t len, u8 *out)
{
	u16 words[8];
	int nw = 0, gap = -1, k;
	size_t i = 0;

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
		if (i == len)
			goto done;
	} else if (len && s[0] == ':') {
		return -EINVAL;
	}
	while (i < len) {
		size_t st = i;
		unsigned int v = 0;

		if (nw >= 8)
			return -EINVAL;
		while (i < len && is_hex(s[i]) && i - st < 4) {
			v = (v << 4) | hexval(s[i]);
			i++;
		}
		if (i < len && s[i] == '.') {
			u8 v4[4];

			/* embedded IPv4 in the last 32 bits */
			if (nw > 6 || parse_ipv4(s + st, len - st, v4))
				return -EINVAL;
			words[nw++] = (v4[0] << 8) | v4[1];
			words[nw++] = (v4[2] << 8) | v4[3];
			i = len;
			break;
		}
		if (i == st)
			return -EINVAL;
		words[nw++] = (u16)v;
		if (i == len)
			break;
		if (s[i] != ':')
			return -EINVAL;
		i++;
		if (i < len && s[i] == ':') {
			if (gap >= 0)
				return -EINVAL;
			gap = nw;
			i++;
			if (i == len)
				break;
		} else if (i == len) {
			return -EINVAL;
		}
	}
done:
	if (gap < 0 && nw != 8)
		return -EINVAL;
	if (gap >= 0 && nw > 7)
		return -EINVAL;
	memset(out, 0, 16);
	if (gap < 0) {
		for (k = 0; k < 8; k++) {
			out[2 * k] = words[k] >> 8;
			out[2 * k + 1] = words[k] & 0xff;
		}
	} else {
		int tail = nw - gap;

		for (k = 0; k < gap; k++) {
			out[2 * k] = words[k] >> 8;
			out[2 * k + 1] = words[k] & 0xff;
		}
		for (k = 0; k < tail; k++) {
			int w = 8 - tail + k;

			out[2 * w] = words[gap + k] >> 8;
			out[2 * w + 1] = words[gap + k] & 0xff;
		}
	}
	return 0;
}

int sipk_parse_ip(const u8 *s, size_t len, struct sipk_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (len >= 2 && s[0] == '[') {
		if (s[len - 1] != ']' || parse_ipv6(s + 1, len - 2, a->addr))
			return -EINVAL;
		a->family = 6;
		return 0;
	}
	if (len && len <= 15 && !parse_ipv4(s, len, a->addr)) {
		a->family = 4;
		return 0;
	}
	return -EINVAL;
}

static char *put_dec(char *p, unsigned int v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

int sipk_format_host(const struct sipk_addr *a, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[48], *p = tmp;
	int i, best = -1, bestlen = 0;

	if (a->family == 4) {
		for (i = 0; i < 4; i++) {
			if (i)
				*p++ = '.';
			p = put_dec(p, a->addr[i]);
		}
	} else if (a->family == 6) {
		u16 w[8];

		for (i = 0; i < 8; i++)
			w[i] = (a->addr[2 * i] << 8) | a->addr[2 * i + 1];
		/* RFC 5952: compress the longest run of two or more zeros */
		for (i = 0; i < 8; ) {
			int j = i;

			while (j < 8 && !w[j])
				j++;
			if (j - i > bestlen && j - i >= 2) {
				best = i;
				bestlen = j - i;
			}
			i = (j == i) ? i + 1 : j;
		}
		*p++ = '[';
		for (i = 0; i < 8; i++) {
			int sh, started = 0;

			if (i == best) {
				*p++ = ':';
				*p++ = ':';
				i += bestlen - 1;
				continue;
			}
			if (i && i != best + bestlen)
				*p++ = ':';
			for (sh = 12; sh >= 0; sh -= 4) {
				int d = (w[i] >> sh) & 0xf;

				if (d || started || !sh) {
					*p++ = hex[d];
					started = 1;
				}
			}
		}
		*p++ = ']';
	} else {
		return -EINVAL;
	}
	if ((size_t)(p - tmp) >= outlen)
		return -ENOSPC;
	memcpy(out, tmp, p - tmp);
	out[p - tmp] = '\0';
	return (int)(p - tmp);
}

/* ---- URIs (RFC 3261 section 19.1) ---- */

static bool is_host_char(u8 c)
{
	return is_class(c, C_HOST);
}

/*
 * hostport = host [":" port]; fills host, host type and port.
 * Returns the offset after hostport, or 0 on error (never a valid result
 * since a host is never empty and never starts at offset 0 of a message).
 */
static int parse_hostport(const u8 *b, u16 p, u16 end, struct sipk_str *host,
			  u8 *host_type, u16 *port, u16 *out)
{
	u16 h = p;
	struct sipk_addr a;
	u64 v;

	if (p < end && b[p] == '[') {
		while (p < end && b[p] != ']')
			p++;
		if (p >= end)
			return -EINVAL;
		p++;
		if (sipk_parse_ip(b + h, p - h, &a))
			return -EINVAL;
		*host_type = SIPK_HOST_IPV6;
	} else {
		while (p < end && is_host_char(b[p]))
			p++;
		if (p == h)
			return -EINVAL;
		*host_type = sipk_parse_ip(b + h, p - h, &a) ? SIPK_HOST_NAME :
							      SIPK_HOST_IPV4;
	}
	*host = mkstr(h, p);
	*port = 0;
	if (p < end && b[p] == ':') {
		p++;
		if (!read_uint(b, &p, end, 65535, &v) || v > 65535 || !v)
			return -EINVAL;
		*port = (u16)v;
	}
	*out = p;
	return 0;
}

static bool is_uri_param_char(u8 c)
{
	return is_class(c, C_PARAM);
}

static bool is_user_char(u8 c)
{
	return is_class(c, C_USER);
}

int sipk_parse_uri(const u8 *b, u16 off, u16 len, struct sipk_uri *u)
{
	u16 end = off + len, p = off, at, i;

	memset(u, 0, sizeof(*u));
	u->all = mkstr(off, end);
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if (p >= end || !is_alpha(b[p]))
		return -EINVAL;
	while (p < end && (is_alnum(b[p]) || b[p] == '+' || b[p] == '-' ||
			   b[p] == '.'))
		p++;
	if (p >= end || b[p] != ':')
		return -EINVAL;
	if (p - off == 3 && mem_caseeq(b + off, "sip", 3)) {
		u->sips = 0;
	} else if (p - off == 4 && mem_caseeq(b + off, "sips", 4)) {
		u->sips = 1;
	} else {
		/* absoluteURI: only check that it has no white space */
		for (i = p + 1; i < end; i++)
			if (b[i] <= ' ' || b[i] == 0x7f || b[i] == '<' ||
			    b[i] == '>' || b[i] == '"')
				return -EINVAL;
		return -EPROTONOSUPPORT;
	}
	p++;
	/* userinfo ends at the first '@' (an unescaped '@' is not a user char) */
	at = find_octet(b, p, end, '@');
	if (at < end) {
		for (i = p; i < at; i++)
			if (!is_user_char(b[i]))
				return -EINVAL;
		if (at == p)
			return -EINVAL;
		u->user = mkstr(p, at);
		p = at + 1;
	} else {
		u->user = mkstr(p, p);
	}
	if (parse_hostport(b, p, end, &u->host, &u->host_type, &u->port, &p))
		return -EINVAL;
	i = p;
	while (p < end && b[p] == ';') {
		u16 n;

		p++;
		n = p;
		while (p < end && is_uri_param_char(b[p]) && b[p] != '=')
			p++;
		if (p == n)
			return -EINVAL;
		if (p - n == 2 && mem_caseeq(b + n, "lr", 2))
			u->lr = 1;
		if (p < end && b[p] == '=') {
			p++;
			n = p;
			while (p < end && is_uri_param_char(b[p]))
				p++;
			if (p == n)
				return -EINVAL;
		}
	}
	u->params = mkstr(i, p);
	if (p < end && b[p] == '?') {
		u->has_headers = 1;
		for (p++; p < end; p++)
			if (b[p] <= ' ' || b[p] == 0x7f || b[p] == '<' ||
			    b[p] == '>' || b[p] == '"')
				return -EINVAL;
	}
	return p == end ? 0 : -EINVAL;
}

/* ---- header values ---- */

/*
 * generic-param = token [ EQUAL gen-value ]; gen-value = token / host /
 * quoted-string.  @p is just after the SEMI and its LWS.
 */
static int parse_gen_param(const u8 *b, u16 p, u16 end, struct sipk_str *name,
			   struct sipk_str *val, u8 *has_val, u16 *out)
{
	u16 n = p;

	p = skip_token(b, p, end);
	if (p == n)
		return -EINVAL;
	*name = mkstr(n, p);
	*has_val = 0;
	*val = mkstr(p, p);
	p = skip_lws(b, p, end);
	if (p < end && b[p] == '=') {
		p = skip_lws(b, p + 1, end);
		n = p;
		if (p < end && b[p] == '"') {
			if (skip_quoted(b, p, end, &p))
				return -EINVAL;
		} else if (p < end && b[p] == '[') {
			struct sipk_addr a;

			while (p < end && b[p] != ']')
				p++;
			if (p >= end)
				return -EINVAL;
			p++;
			/* host = IPv6reference: nothing else in brackets */
			if (sipk_parse_ip(b + n, p - n, &a))
				return -EINVAL;
		} else {
			while (p < end && (is_token(b[p]) || b[p] == ':'))
				p++;
		}
		if (p == n)
			return -EINVAL;
		*has_val = 1;
		*val = mkstr(n, p);
	}
	*out = p;
	return 0;
}

/*
 * via-parm = sent-protocol LWS sent-by *( SEMI via-params )
 * Parses one via-parm starting at @p; *out is left at the COMMA or @end.
 */
static int parse_via_parm(const u8 *b, u16 p, u16 end, struct sipk_via *v)
{
	struct sipk_str name, val;
	u8 has_val;
	u16 s, e;
	u64 port;

	memset(v, 0, sizeof(*v));
	s = p;
	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport */
	e = skip_token(b, p, end);
	if (e - p != 3 || !mem_caseeq(b + p, "SIP", 3))
		return -EINVAL;
	p = skip_lws(b, e, end);
	if (p >= end || b[p] != '/')
		return -EINVAL;
	p = skip_lws(b, p + 1, end);
	e = skip_token(b, p, end);
	if (e - p != 3 || memcmp(b + p, "2.0", 3))
		return -EINVAL;
	p = skip_lws(b, e, end);
	if (p >= end || b[p] != '/')
		return -EINVAL;
	p = skip_lws(b, p + 1, end);
	e = skip_token(b, p, end);
	if (e == p)
		return -EINVAL;
	v->transport = mkstr(p, e);
	p = skip_lws(b, e, end);
	if (p == e)		/* LWS is mandatory before sent-by */
		return -EINVAL;
	if (parse_hostport(b, p, end, &v->host, &v->host_type, &v->port, &p))
		return -EINVAL;
	for (;;) {
		e = p;
		p = skip_lws(b, p, end);
		if (p >= end || b[p] != ';')
			break;
		p = skip_lws(b, p + 1, end);
		if (parse_gen_param(b, p, end, &name, &val, &has_val, &p))
			return -EINVAL;
		if (name.len == 6 && mem_caseeq(b + name.off, "branch", 6)) {
			if (!has_val || b[val.off] == '"')
				return -EINVAL;
			v->branch = val;
		} else if (name.len == 8 &&
			   mem_caseeq(b + name.off, "received", 8)) {
			struct sipk_addr a;
			u16 o = val.off, l = val.len;

			/* received = IPv4address / IPv6address (no brackets) */
			if (!has_val)
				return -EINVAL;
			if (l && b[o] == '[') {
				if (sipk_parse_ip(b + o, l, &a))
					return -EINVAL;
			} else if (parse_ipv4(b + o, l, a.addr) &&
				   parse_ipv6(b + o, l, a.addr)) {
				return -EINVAL;
			}
			v->received = val;
			v->has_received = 1;
		} else if (name.len == 5 &&
			   mem_caseeq(b + name.off, "rport", 5)) {
			u16 q = val.off;

			v->has_rport = 1;
			if (has_val) {
				if (!read_uint(b, &q, val.off + val.len, 65535,
					       &port) || q != val.off + val.len ||
				    !port || port > 65535)
					return -EINVAL;
				v->rport = val;
			} else {
				v->rport = mkstr(val.off, val.off);
			}
		} else if (name.len == 5 &&
			   mem_caseeq(b + name.off, "maddr", 5)) {
			if (!has_val)
				return -EINVAL;
			v->maddr = val;
		}
	}
	/* the via-parm ends at the end of the value or at a COMMA */
	if (p < end && b[p] != ',')
		return -EINVAL;
	v->value = mkstr(s, e);
	return p;
}

/*
 * The value of an address header: To, From, Contact, Route, Record-Route.
 * name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
 * display-name = *(token LWS) / quoted-string
 * Parses one entry from @p up to a COMMA (when @list) or @end.
 * Fills @uri for sip/sips (-EPROTONOSUPPORT for other schemes is not an
 * error here), @tag, and returns the offset after the entry.
 */
static int parse_naddr(const u8 *b, u16 p, u16 end, bool list, bool need_angle,
		       struct sipk_uri *uri, struct sipk_str *tag,
		       struct sipk_str *entry, u16 *out)
{
	struct sipk_str name, val;
	u8 has_val;
	u16 s = p, us, ue;
	int err;

	p = skip_lws(b, p, end);
	s = p;
	if (p < end && b[p] == '"') {
		if (skip_quoted(b, p, end, &p))
			return -EINVAL;
		p = skip_lws(b, p, end);
		if (p >= end || b[p] != '<')
			return -EINVAL;
	} else {
		u16 q = p;

		/* a run of tokens and LWS, then '<', is a display name */
		while (q < end && (is_token(b[q]) || is_ws(b[q]) ||
				   b[q] == '\r' || b[q] == '\n'))
			q++;
		if (q < end && b[q] == '<')
			p = q;
	}
	if (p < end && b[p] == '<') {
		p++;
		us = p;
		p = find_octet(b, p, end, '>');
		if (p >= end)
			return -EINVAL;
		ue = p;
		p++;
		/* no LWS inside the angle brackets (RFC 4475 3.1.2.15) */
		if (ue == us || is_ws(b[us]) || is_ws(b[ue - 1]) ||
		    b[us] == '\r' || b[ue - 1] == '\n')
			return -EINVAL;
	} else {
		if (need_angle)
			return -EINVAL;
		/*
		 * addr-spec without brackets: a ';' starts header params, and
		 * a URI holding ',', '?' or ';' must be in brackets (20.10).
		 */
		us = p;
		while (p < end && b[p] != ';' && b[p] != ',' && !is_ws(b[p]) &&
		       b[p] != '\r') {
			if (b[p] == '?' || b[p] == '<' || b[p] == '>' ||
			    b[p] == '"')
				return -EINVAL;
			p++;
		}
		ue = p;
		if (ue == us)
			return -EINVAL;
	}
	err = sipk_parse_uri(b, us, ue - us, uri);
	if (err && err != -EPROTONOSUPPORT)
		return -EINVAL;
	if (tag)
		*tag = mkstr(0, 0);
	for (;;) {
		u16 e = p;

		p = skip_lws(b, p, end);
		if (p >= end || b[p] != ';') {
			if (p < end && !(list && b[p] == ','))
				return -EINVAL;
			if (entry)
				*entry = mkstr(s, e);
			*out = p;
			return err ? 1 : 0;
		}
		p = skip_lws(b, p + 1, end);
		if (parse_gen_param(b, p, end, &name, &val, &has_val, &p))
			return -EINVAL;
		if (tag && name.len == 3 && mem_caseeq(b + name.off, "tag", 3)) {
			if (!has_val)
				return -EINVAL;
			*tag = val;
		}
	}
}

/* ---- header table ---- */

enum hdr_id {
	H_OTHER, H_VIA, H_MAX_FORWARDS, H_ROUTE, H_RECORD_ROUTE, H_FROM, H_TO,
	H_CALL_ID, H_CSEQ, H_CONTACT, H_CONTENT_LENGTH, H_EXPIRES, H_REQUIRE,
	H_PROXY_REQUIRE, H_DATE,
};

/* The headers the parser reads, by name length, and their compact forms. */
static int hdr_lookup(const u8 *name, u16 len)
{
	switch (len) {
	case 1:
		switch (lower(name[0])) {
		case 'v': return H_VIA;
		case 'f': return H_FROM;
		case 't': return H_TO;
		case 'i': return H_CALL_ID;
		case 'm': return H_CONTACT;
		case 'l': return H_CONTENT_LENGTH;
		}
		break;
	case 2:
		if (mem_caseeq(name, "To", 2))
			return H_TO;
		break;
	case 3:
		if (mem_caseeq(name, "Via", 3))
			return H_VIA;
		break;
	case 4:
		if (mem_caseeq(name, "From", 4))
			return H_FROM;
		if (mem_caseeq(name, "CSeq", 4))
			return H_CSEQ;
		if (mem_caseeq(name, "Date", 4))
			return H_DATE;
		break;
	case 5:
		if (mem_caseeq(name, "Route", 5))
			return H_ROUTE;
		break;
	case 7:
		if (mem_caseeq(name, "Call-ID", 7))
			return H_CALL_ID;
		if (mem_caseeq(name, "Contact", 7))
			return H_CONTACT;
		if (mem_caseeq(name, "Expires", 7))
			return H_EXPIRES;
		if (mem_caseeq(name, "Require", 7))
			return H_REQUIRE;
		break;
	case 12:
		if (mem_caseeq(name, "Max-Forwards", 12))
			return H_MAX_FORWARDS;
		if (mem_caseeq(name, "Record-Route", 12))
			return H_RECORD_ROUTE;
		break;
	case 13:
		if (mem_caseeq(name, "Proxy-Require", 13))
			return H_PROXY_REQUIRE;
		break;
	case 14:
		if (mem_caseeq(name, "Content-Length", 14))
			return H_CONTENT_LENGTH;
		break;
	}
	return H_OTHER;
}

static const struct {
	const char *name;
	u8 id;
} sipk_methods[] = {
	{ "INVITE", SIPK_M_INVITE }, { "ACK", SIPK_M_ACK },
	{ "BYE", SIPK_M_BYE }, { "CANCEL", SIPK_M_CANCEL },
	{ "OPTIONS", SIPK_M_OPTIONS }, { "REGISTER", SIPK_M_REGISTER },
	{ "PRACK", SIPK_M_PRACK }, { "SUBSCRIBE", SIPK_M_SUBSCRIBE },
	{ "NOTIFY", SIPK_M_NOTIFY }, { "PUBLISH", SIPK_M_PUBLISH },
	{ "INFO", SIPK_M_INFO }, { "REFER", SIPK_M_REFER },
	{ "MESSAGE", SIPK_M_MESSAGE }, { "UPDATE", SIPK_M_UPDATE },
};

static u8 method_lookup(const u8 *s, u16 len)
{
	size_t i;

	/* method names are case-sensitive (RFC 3261 section 7.1) */
	for (i = 0; i < ARRAY_SIZE(sipk_methods); i++)
		if (strlen(sipk_methods[i].name) == len &&
		    !memcmp(s, sipk_methods[i].name, len))
			return sipk_methods[i].id;
	return SIPK_M_OTHER;
}

static enum sipk_verdict fail(struct sipk_msg *m, enum sipk_reason r, u16 off)
{
	m->verdict = SIPK_MALFORMED;
	m->reason_code = r;
	m->err_off = off;
	return SIPK_MALFORMED;
}

/* Record an unsupported feature; malformed findings later still win. */
static void unsupported(struct sipk_msg *m, enum sipk_reason r)
{
	if (m->verdict == SIPK_OK) {
		m->verdict = SIPK_UNSUPPORTED;
		m->reason_code = r;
	}
}

static enum sipk_verdict parse_start_line(struct sipk_msg *m, u16 end)
{
	const u8 *b = m->buf;
	u16 p = 0, e;
	u64 v;
	int err;

	if (end >= 8 && !memcmp(b, "SIP/2.0 ", 8)) {
		m->is_request = 0;
		p = 8;
		e = p;
		while (e < end && is_digit(b[e]))
			e++;
		if (e - p != 3 || !read_uint(b, &p, e, 999, &v) ||
		    v < 100 || v > 699)
			return fail(m, SIPK_R_STATUS, p);
		m->status = (u16)v;
		if (e >= end || b[e] != ' ')
			return fail(m, SIPK_R_STATUS, e);
		m->reason = mkstr(e + 1, end);
		for (p = e + 1; p < end; p++)
			if ((b[p] < ' ' && b[p] != '\t') || b[p] == 0x7f)
				return fail(m, SIPK_R_START_LINE, p);
		return SIPK_OK;
	}
	if (end >= 4 && mem_caseeq(b, "SIP/", 4))
		return fail(m, SIPK_R_VERSION, 0);

	m->is_request = 1;
	e = skip_token(b, 0, end);
	if (!e || e >= end || b[e] != ' ')
		return fail(m, SIPK_R_METHOD, e);
	m->method_str = mkstr(0, e);
	m->method = method_lookup(b, e);
	p = e + 1;
	e = find_sp_or_ctl(b, p, end);
	if (e < end && b[e] != ' ')
		return fail(m, SIPK_R_RURI, e);
	if (e == p || e >= end)
		return fail(m, SIPK_R_START_LINE, e);
	err = sipk_parse_uri(b, p, e - p, &m->ruri);
	if (err == -EPROTONOSUPPORT)
		unsupported(m, SIPK_R_SCHEME);
	else if (err || m->ruri.has_headers)
		return fail(m, SIPK_R_RURI, p);	/* 19.1.5: no headers here */
	else if (m->ruri.sips)
		unsupported(m, SIPK_R_SIPS);
	p = e + 1;
	if (end - p != 7 || !mem_caseeq(b + p, "SIP/", 4))
		return fail(m, SIPK_R_START_LINE, p);
	if (memcmp(b + p + 4, "2.0", 3))
		return fail(m, SIPK_R_VERSION, p);
	return SIPK_OK;
}

static bool dup_hdr(struct sipk_msg *m, struct sipk_hdr *h, u16 off)
{
	if (h->present) {
		fail(m, SIPK_R_DUPLICATE, off);
		return true;
	}
	return false;
}

/* Parse one header; @h describes its line and trimmed value. */
static enum sipk_verdict parse_header(struct sipk_msg *m, int id,
				      struct sipk_hdr *h)
{
	const u8 *b = m->buf;
	u16 p = h->value.off, end = h->value.off + h->value.len, e;
	struct sipk_via v;
	u64 n;
	int r;

	switch (id) {
	case H_VIA:
		if (p == end)
			return fail(m, SIPK_R_VIA, p);
		for (;;) {
			r = parse_via_parm(b, p, end, &v);
			if (r < 0)
				return fail(m, SIPK_R_VIA, p);
			if (m->via_count < 2) {
				if (!m->via_count)
					m->via_hdr = *h;
				m->via[m->via_count] = v;
			}
			if (m->via_count < 255)
				m->via_count++;
			p = (u16)r;
			if (p >= end)
				break;
			/* COMMA = LWS "," LWS, and an empty via-parm is invalid */
			p = skip_lws(b, p + 1, end);
			if (p >= end)
				return fail(m, SIPK_R_VIA, p);
		}
		break;
	case H_MAX_FORWARDS:
		if (dup_hdr(m, &m->max_fwd_hdr, p))
			return SIPK_MALFORMED;
		if (!read_uint(b, &p, end, 255, &n) || p != end || n > 255)
			return fail(m, SIPK_R_MAX_FORWARDS, p);
		m->max_fwd_hdr = *h;
		m->max_forwards = (int)n;
		break;
	case H_CSEQ:
		if (dup_hdr(m, &m->cseq_hdr, p))
			return SIPK_MALFORMED;
		/* CSeq number is 32 bit and must be below 2**31 (8.1.1.5) */
		if (!read_uint(b, &p, end, 0x7fffffff, &n) || n > 0x7fffffff)
			return fail(m, SIPK_R_CSEQ, p);
		e = skip_lws(b, p, end);
		if (e == p)
			return fail(m, SIPK_R_CSEQ, p);
		p = skip_token(b, e, end);
		if (p == e || p != end)
			return fail(m, SIPK_R_CSEQ, p);
		m->cseq = (u32)n;
		m->cseq_method = mkstr(e, p);
		m->cseq_hdr = *h;
		break;
	case H_CALL_ID:
		if (dup_hdr(m, &m->call_id, p))
			return SIPK_MALFORMED;
		/* callid = word [ "@" word ]: no white space, not empty */
		if (p == end)
			return fail(m, SIPK_R_CALL_ID, p);
		e = find_non_vchar(b, p, end);
		if (e < end)
			return fail(m, SIPK_R_CALL_ID, e);
		m->call_id = *h;
		break;
	case H_FROM:
	case H_TO: {
		struct sipk_naddr *na = id == H_FROM ? &m->from : &m->to;
		enum sipk_reason why = id == H_FROM ? SIPK_R_FROM : SIPK_R_TO;

		if (dup_hdr(m, &na->h, p))
			return SIPK_MALFORMED;
		if (parse_naddr(b, p, end, false, false, &na->uri, &na->tag,
				NULL, &e) < 0)
			return fail(m, why, p);
		na->h = *h;
		break;
	}
	case H_CONTACT:
		if (end - p == 1 && b[p] == '*') {
			if (!m->contact.present)
				m->contact = *h;
			break;
		}
		for (;;) {
			struct sipk_uri u;

			r = parse_naddr(b, p, end, true, false, &u, NULL, NULL,
					&p);
			if (r < 0)
				return fail(m, SIPK_R_CONTACT, p);
			if (!m->contact.present) {
				m->contact = *h;
				m->contact_uri = u;
			}
			if (p >= end)
				break;
			p = skip_lws(b, p + 1, end);
		}
		break;
	case H_ROUTE:
	case H_RECORD_ROUTE:
		for (;;) {
			struct sipk_uri u;
			struct sipk_str ent;

			r = parse_naddr(b, p, end, true, true, &u, NULL, &ent,
					&p);
			if (r < 0)
				return fail(m, SIPK_R_ROUTE, p);
			if (r > 0)	/* not sip: the kernel won't route it */
				u.all.len = 0;
			if (id == H_ROUTE && m->route_count == 0) {
				m->route_hdr = *h;
				m->route_value = ent;
				m->route_uri = u;
			} else if (id == H_ROUTE && m->route_count == 1) {
				m->route_hdr2 = *h;
				m->route_value2 = ent;
				m->route_uri2 = u;
			} else if (id == H_ROUTE && m->route_count == 2) {
				m->route_hdr3 = *h;
				m->route_value3 = ent;
				m->route_uri3 = u;
			}
			if (id == H_ROUTE && m->route_count < 255)
				m->route_count++;
			if (p >= end)
				break;
			p = skip_lws(b, p + 1, end);
		}
		if (id == H_RECORD_ROUTE)
			m->has_record_route = 1;
		break;
	case H_CONTENT_LENGTH:
		if (dup_hdr(m, &m->content_length, p))
			return SIPK_MALFORMED;
		if (!read_uint(b, &p, end, SIPK_MAX_MSG, &n) || p != end ||
		    n > SIPK_MAX_MSG)
			return fail(m, SIPK_R_CONTENT_LENGTH, p);
		m->content_length = *h;
		m->clen = (int)n;
		break;
	case H_EXPIRES:
		if (dup_hdr(m, &m->expires, p))
			return SIPK_MALFORMED;
		m->expires = *h;
		/* delta-seconds; a larger value means 2**32-1 (10.2.1.1) */
		if (read_uint(b, &p, end, 0x7fffffff, &n) && p == end)
			m->expires_val = (int)(n > 0x7fffffff ? 0x7fffffff : n);
		break;
	case H_REQUIRE:
		m->has_require = 1;
		break;
	case H_PROXY_REQUIRE:
		m->has_proxy_require = 1;
		break;
	case H_DATE:
		/* rfc1123-date: the zone is always "GMT" (20.17) */
		if (end - p < 3 || memcmp(b + end - 3, "GMT", 3))
			return fail(m, SIPK_R_DATE, p);
		break;
	}
	return SIPK_OK;
}

/*
 * Split the header block into logical headers (a line starting with WSP
 * continues the previous one) and parse each.
 */
static enum sipk_verdict parse_headers(struct sipk_msg *m, u16 p)
{
	const u8 *b = m->buf;
	u16 hend = m->hdr_end;

	while (p < hend) {
		struct sipk_hdr h = { .present = 1 };
		u16 ls = p, n, vs, ve;
		int id;

		if (is_ws(b[p]))
			return fail(m, SIPK_R_HEADER, p);
		n = skip_token(b, p, hend);
		if (n == p)
			return fail(m, SIPK_R_HEADER, p);
		id = hdr_lookup(b + p, n - p);
		p = n;
		while (p < hend && is_ws(b[p]))
			p++;
		if (p >= hend || b[p] != ':')
			return fail(m, SIPK_R_HEADER, p);
		p++;
		/* the logical line ends at a CRLF not followed by WSP */
		ve = p;
		for (;;) {
			ve = find_octet(b, ve, hend, '\r');
			/* hdr_end points at a CRLF, so ve + 1 is in the buffer */
			if (ve + 2 < hend && is_ws(b[ve + 2])) {
				h.folded = 1;
				ve += 3;
				continue;
			}
			break;
		}
		h.line = mkstr(ls, ve + 2);
		vs = skip_lws(b, p, ve);
		while (ve > vs && is_ws(b[ve - 1]))
			ve--;
		h.value = mkstr(vs, ve);
		if (parse_header(m, id, &h) == SIPK_MALFORMED)
			return SIPK_MALFORMED;
		p = h.line.off + h.line.len;
	}
	return SIPK_OK;
}

enum sipk_verdict sipk_parse(const u8 *buf, size_t len, struct sipk_msg *m)
{
	size_t p;
	u16 sl_end = 0;
	bool have_sl = false;
	u32 rest;

	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->max_forwards = -1;
	m->clen = -1;
	m->expires_val = -1;
	if (len > SIPK_MAX_MSG) {
		m->verdict = SIPK_UNSUPPORTED;
		m->reason_code = SIPK_R_TOO_BIG;
		return SIPK_UNSUPPORTED;
	}
	m->dgram_len = (u16)len;

	/*
	 * Find the empty line.  Every CR must be followed by LF and every LF
	 * preceded by CR; no NUL or other control octet in the headers.
	 */
	for (p = 0; p < len; p++) {
		u8 c;

		/* printable octets need no look */
		p = find_ctl(buf, p, len);
		if (p >= len)
			break;
		c = buf[p];
		if (c == '\r') {
			if (p + 1 >= len || buf[p + 1] != '\n')
				return fail(m, p + 1 >= len ? SIPK_R_TRUNCATED :
					    SIPK_R_HEADER, p);
			if (!have_sl) {
				have_sl = true;
				sl_end = p;
			}
			if (p + 3 < len && buf[p + 2] == '\r' &&
			    buf[p + 3] == '\n') {
				m->hdr_end = p + 2;
				break;
			}
			p++;
			continue;
		}
		/* a quoted-pair may escape a control octet (25.1) */
		if (c == '\n' || (((c < ' ' && c != '\t') || c == 0x7f) &&
				  (!p || buf[p - 1] != '\\')))
			return fail(m, SIPK_R_BINARY, p);
	}
	if (!m->hdr_end)
		return fail(m, SIPK_R_TRUNCATED, (u16)len);
	if (!sl_end)
		return fail(m, SIPK_R_START_LINE, 0);
	if (parse_start_line(m, sl_end) == SIPK_MALFORMED)
		return SIPK_MALFORMED;
	if (parse_headers(m, sl_end + 2) == SIPK_MALFORMED)
		return SIPK_MALFORMED;

	/* the body is bounded by Content-Length (18.3) */
	m->body_off = m->hdr_end + 2;
	rest = (u32)len - m->body_off;
	if (m->clen >= 0) {
		if ((u32)m->clen > rest)
			return fail(m, SIPK_R_CONTENT_LENGTH,
				    m->content_length.value.off);
		m->body_len = (u16)m->clen;
	} else {
		m->body_len = (u16)rest;
	}
	m->len = m->body_off + m->body_len;

	/* mandatory headers (8.1.1) */
	if (!m->via_count)
		return fail(m, SIPK_R_NO_VIA, 0);
	if (!m->from.h.present || !m->to.h.present || !m->call_id.present ||
	    !m->cseq_hdr.present)
		return fail(m, SIPK_R_MISSING, 0);
	if (m->is_request) {
		if (m->cseq_method.len != m->method_str.len ||
		    memcmp(buf + m->cseq_method.off, buf, m->method_str.len))
			return fail(m, SIPK_R_CSEQ_METHOD,
				    m->cseq_method.off);
		if (m->has_proxy_require)
			unsupported(m, SIPK_R_PROXY_REQUIRE);
	}
	if (!sipk_str_caseeq(m, m->via[0].transport, "UDP"))
		unsupported(m, SIPK_R_TRANSPORT);
	/* responses to a maddr Via go to a multicast group: not ours */
	if (m->via[0].maddr.len)
		unsupported(m, SIPK_R_VIA_MADDR);
	/* the client itself set what only a server may (RFC 3581 4) */
	if (m->is_request && (m->via[0].has_received || m->via[0].rport.len))
		unsupported(m, SIPK_R_VIA_RECEIVED);
	return m->verdict;
}
