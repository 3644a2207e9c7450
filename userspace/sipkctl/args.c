// SPDX-License-Identifier: GPL-2.0
/*
 * args.c - checking what the operator typed.
 *
 * Every error names the word that is wrong.  Nothing here talks to the
 * kernel: a request is fully checked before the family is resolved.
 */
#include <ctype.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "sipkctl.h"

#define SIP_DEFAULT_PORT	5060

static void vmsg(bool prefix, const char *fmt, va_list ap)
{
	if (prefix || batch_line)
		fputs("sipkctl: ", stderr);
	if (batch_line)
		fprintf(stderr, "line %u: ", batch_line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* "sipkctl: [line N: ]..." */
void err_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(true, fmt, ap);
	va_end(ap);
}

/*
 * iproute2's unprefixed messages ("Command ... is unknown"); in batch
 * mode they get "sipkctl: line N: " like every other error.
 */
void err_plain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(false, fmt, ap);
	va_end(ap);
}

int invarg(const char *what, const char *arg)
{
	err_msg("invalid %s \"%s\"", what, arg);
	return -1;
}

int unknown_cmd(const char *object, const char *arg)
{
	err_plain("Command \"%s\" is unknown, try \"sipkctl %s%shelp\".", arg,
		  object ? object : "", object ? " " : "");
	return -1;
}

int unknown_arg(const char *object, const char *arg)
{
	err_msg("unknown argument \"%s\", try \"sipkctl %s help\".", arg, object);
	return -1;
}

int missing(const char *object, const char *what)
{
	err_msg("%s is missing, try \"sipkctl %s help\".", what, object);
	return -1;
}

/*
 * iproute2-style abbreviations: an exact match, else the one keyword the
 * argument is a prefix of.  Says so when the prefix fits several.
 */
int keyword(const char *arg, const char *const *words)
{
	size_t len = strlen(arg);
	int i, hit = KW_UNKNOWN, n = 0;
	char list[256];

	if (!len)
		return KW_UNKNOWN;
	for (i = 0; words[i]; i++) {
		if (!strcmp(arg, words[i]))
			return i;
		if (!strncmp(arg, words[i], len)) {
			hit = i;
			n++;
		}
	}
	if (n <= 1)
		return hit;
	list[0] = '\0';
	for (i = 0; words[i]; i++)
		if (!strncmp(arg, words[i], len) &&
		    strlen(list) + strlen(words[i]) + 3 < sizeof(list))
			strcat(strcat(list, list[0] ? ", " : ""), words[i]);
	err_msg("\"%s\" is ambiguous: %s", arg, list);
	return KW_AMBIGUOUS;
}

bool is_keyword(const char *arg, const char *word)
{
	return *arg && !strncmp(arg, word, strlen(arg));
}

static void lower(char *s, size_t len)
{
	for (; len; len--, s++)
		*s = (char)tolower((unsigned char)*s);
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return !strncasecmp(s, prefix, strlen(prefix));
}

/* RFC 3986 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static bool is_scheme(const char *s, const char *end)
{
	if (s == end || !isalpha((unsigned char)*s))
		return false;
	for (; s < end; s++)
		if (!isalnum((unsigned char)*s) && *s != '+' && *s != '-' &&
		    *s != '.')
			return false;
	return true;
}

/*
 * An AOR as the uapi wants it: "user@host" or "host", the host in lower
 * case, port 5060 dropped, another port kept, no parameters (RFC 3261
 * 10.3, 19.1.4: the host compares case-insensitively, a missing port is
 * 5060).  The operator may type a sip: URI or the bare form.
 */
int parse_aor(const char *arg, const char *what, char *out)
{
	char buf[SIPK_AOR_MAX + 16];
	const char *colon = strchr(arg, ':'), *at = strchr(arg, '@');
	const char *uri = arg;
	struct sipk_uri u;
	size_t len = strlen(arg), n;
	int err;

	if (!len)
		return invarg(what, arg);
	/* "tel:+1..." is another scheme; "host:5080" and "user:pw@host" are not */
	if (has_prefix_ci(arg, "sips:") ||
	    (!has_prefix_ci(arg, "sip:") && colon && !at &&
	     is_scheme(arg, colon) && !isdigit((unsigned char)colon[1]))) {
		err_msg("invalid %s \"%s\": not a sip: URI", what, arg);
		return -1;
	}
	if (!has_prefix_ci(arg, "sip:")) {
		if (len + 4 >= sizeof(buf))
			goto too_long;
		snprintf(buf, sizeof(buf), "sip:%s", arg);
		uri = buf;
		len += 4;
	}
	if (len > 1024)
		goto too_long;
	err = sipk_parse_uri((const u8 *)uri, 0, (u16)len, &u);
	if (err || u.sips || u.has_headers)
		return invarg(what, arg);
	if (memchr(uri + u.user.off, ':', u.user.len)) {
		err_msg("invalid %s \"%s\": an AOR has no password", what, arg);
		return -1;
	}

	n = u.user.len ? u.user.len + 1 : 0;
	if (n + u.host.len + sizeof(":65535") > SIPK_AOR_MAX + 1)
		goto too_long;
	memcpy(out, uri + u.user.off, u.user.len);
	if (u.user.len)
		out[u.user.len] = '@';
	memcpy(out + n, uri + u.host.off, u.host.len);
	lower(out + n, u.host.len);
	n += u.host.len;
	if (u.port && u.port != SIP_DEFAULT_PORT)
		n += sprintf(out + n, ":%u", u.port);
	out[n] = '\0';
	return 0;

too_long:
	err_msg("invalid %s \"%.40s...\": longer than %d characters", what, arg,
		SIPK_AOR_MAX - 1);
	return -1;
}

static int resolve(const char *host, struct sipk_addr *a)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res;
	int err;

	err = getaddrinfo(host, NULL, &hints, &res);
	if (err) {
		err_msg("cannot resolve \"%s\": %s", host, gai_strerror(err));
		return -1;
	}
	memset(a, 0, sizeof(*a));
	if (res->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)res->ai_addr;

		a->family = 4;
		memcpy(a->addr, &sin->sin_addr, 4);
	} else if (res->ai_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)res->ai_addr;

		a->family = 6;
		memcpy(a->addr, &sin6->sin6_addr, 16);
	} else {
		err_msg("cannot resolve \"%s\": no IPv4 or IPv6 address", host);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return 0;
}

/*
 * A contact: a sip: URI (the Request-URI it becomes) whose host is an IP
 * literal, or a name resolved here to its first address; the kernel
 * forwards to addresses only.
 */
int parse_contact(const char *arg, bool want_addr, struct contact *c)
{
	size_t len = strlen(arg);
	struct sipk_uri u;
	char host[SIPK_URI_MAX];
	int err;

	memset(c, 0, sizeof(*c));
	if (!len)
		return invarg("contact URI", arg);
	if (len >= SIPK_URI_MAX) {
		err_msg("invalid contact URI \"%.40s...\": longer than %d characters",
			arg, SIPK_URI_MAX - 1);
		return -1;
	}
	err = sipk_parse_uri((const u8 *)arg, 0, (u16)len, &u);
	if (err == -EPROTONOSUPPORT || (!err && u.sips)) {
		err_msg("invalid contact URI \"%s\": not a sip: URI", arg);
		return -1;
	}
	if (err)
		return invarg("contact URI", arg);
	if (u.has_headers) {
		err_msg("invalid contact URI \"%s\": a Request-URI has no headers (\"?...\")",
			arg);
		return -1;
	}
	memcpy(c->uri, arg, len + 1);
	if (!want_addr)
		return 0;

	if (u.host_type == SIPK_HOST_NAME) {
		memcpy(host, arg + u.host.off, u.host.len);
		host[u.host.len] = '\0';
		if (resolve(host, &c->addr))
			return -1;
	} else if (sipk_parse_ip((const u8 *)arg + u.host.off, u.host.len,
				 &c->addr)) {
		return invarg("contact URI", arg);
	}
	c->addr.port = u.port ? u.port : SIP_DEFAULT_PORT;
	return 0;
}

/*
 * A route's domain: a host or domain name of LDH labels, 1..63 octets each
 * (RFC 1123 2.1), in lower case.  An IPv4 address is such a name too.
 */
int parse_domain(const char *arg, char *out)
{
	size_t len = strlen(arg), i, label = 0;

	if (len >= SIPK_DOMAIN_MAX) {
		err_msg("invalid domain \"%.40s...\": longer than %d characters",
			arg, SIPK_DOMAIN_MAX - 1);
		return -1;
	}
	for (i = 0; i <= len; i++) {
		if (i == len || arg[i] == '.') {
			if (!label || arg[i - 1] == '-')
				return invarg("domain", arg);
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)arg[i]) &&
		    (arg[i] != '-' || !label))
			return invarg("domain", arg);
		if (++label > 63) {
			err_msg("invalid domain \"%s\": a label is longer than 63 characters",
				arg);
			return -1;
		}
	}
	memcpy(out, arg, len + 1);
	lower(out, len);
	return 0;
}

/* ADDR[:PORT]: 198.18.3.1:5060, [2001:db8::1]:5060, 2001:db8::1 */
int parse_hostport(const char *arg, struct sipk_addr *a)
{
	char buf[64];
	const char *port = NULL, *c = strchr(arg, ':');
	size_t hlen;

	if (arg[0] == '[') {
		c = strchr(arg, ']');
		if (!c || (c[1] && c[1] != ':'))
			return invarg("address", arg);
		hlen = (size_t)(c - arg) + 1;
		if (c[1])
			port = c + 2;
		if (hlen >= sizeof(buf))
			return invarg("address", arg);
		memcpy(buf, arg, hlen);
	} else if (c && strchr(c + 1, ':')) {
		/* a bare IPv6 address: no port */
		hlen = strlen(arg) + 2;
		if (hlen >= sizeof(buf))
			return invarg("address", arg);
		snprintf(buf, sizeof(buf), "[%s]", arg);
	} else {
		hlen = c ? (size_t)(c - arg) : strlen(arg);
		if (c)
			port = c + 1;
		if (hlen >= sizeof(buf))
			return invarg("address", arg);
		memcpy(buf, arg, hlen);
	}
	if (sipk_parse_ip((const u8 *)buf, hlen, a))
		return invarg("address", arg);
	a->port = SIP_DEFAULT_PORT;
	if (port && parse_port(port, &a->port))
		return -1;
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* plain decimal only: no sign, no space, no hex, no octal surprises */
int parse_u32(const char *arg, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v = 0;
	const char *s;

	if (!all_digits(arg))
		return -1;
	for (s = arg; *s; s++) {
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int parse_port(const char *arg, uint16_t *port)
{
	uint32_t v;

	if (parse_u32(arg, 1, 65535, &v))
		return invarg("port", arg);
	*port = (uint16_t)v;
	return 0;
}

/* q-value (RFC 3261 20.10): "0".."1" with up to three decimals, in thousandths */
int parse_q(const char *arg, uint16_t *q)
{
	const char *p = arg;
	unsigned int ip = 0, frac = 0, nd = 0;
	bool digits = false;

	if (*p == '0' || *p == '1') {
		ip = (unsigned int)(*p++ - '0');
		digits = true;
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p) && nd < 3; p++, nd++) {
			frac = frac * 10 + (unsigned int)(*p - '0');
			digits = true;
		}
	}
	for (; nd < 3; nd++)
		frac *= 10;
	if (*p || !digits || ip * 1000 + frac > SIPK_Q_MAX)
		return invarg("q", arg);
	*q = (uint16_t)(ip * 1000 + frac);
	return 0;
}
