// SPDX-License-Identifier: GPL-2.0
/*
 * sipmsg.c - what sipkd reads in SIP messages beyond the core parser:
 * every header line (tolerantly, also in malformed messages, to answer
 * them), Contact lists with their parameters, Digest credentials, AORs.
 *
 * Everything works on offsets into the caller's buffer and never reads
 * past its end; the core (sip_parse.c) has already validated the syntax
 * of a message whose verdict is not SIPK_MALFORMED.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sipkd.h"

static bool is_lws(u8 c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_wsp(u8 c)
{
	return c == ' ' || c == '\t';
}

/* RFC 3261 25.1 token characters */
static bool is_token(u8 c)
{
	return isalnum(c) || strchr("-.!%*_+`'~", c) != NULL;
}

/* ---- header lines ---- */

void hdr_it_init(struct hdr_it *it, const u8 *buf, size_t len)
{
	u16 p = 0;

	if (len > SIPK_MAX_MSG)
		len = SIPK_MAX_MSG;
	it->b = buf;
	it->end = (u16)len;
	while (p < it->end && buf[p] != '\n')
		p++;
	it->p = p < it->end ? p + 1 : p;
}

/* the offset after the line end at @e (CRLF, LF or a lone CR) */
static u16 skip_eol(const u8 *b, u16 e, u16 end)
{
	if (e < end && b[e] == '\r')
		e++;
	if (e < end && b[e] == '\n')
		e++;
	return e;
}

bool hdr_it_next(struct hdr_it *it, struct raw_hdr *h)
{
	const u8 *b = it->b;
	u16 p = it->p, end = it->end, e, next, v, ve;

	if (p >= end || b[p] == '\r' || b[p] == '\n')
		return false;	/* the empty line: the headers end */
	e = p;
	while (e < end && b[e] != '\r' && b[e] != '\n')
		e++;
	next = skip_eol(b, e, end);
	/* continuation lines start with white space */
	while (next < end && is_wsp(b[next])) {
		e = next;
		while (e < end && b[e] != '\r' && b[e] != '\n')
			e++;
		next = skip_eol(b, e, end);
	}
	memset(h, 0, sizeof(*h));
	h->line_off = p;
	h->line_len = e - p;
	v = p;
	while (v < e && is_token(b[v]))
		v++;
	h->name_off = p;
	h->name_len = v - p;
	while (v < e && is_wsp(b[v]))
		v++;
	if (v >= e || b[v] != ':') {
		h->name_len = 0;	/* not a header line */
	} else {
		v++;
		while (v < e && is_lws(b[v]))
			v++;
		ve = e;
		while (ve > v && is_lws(b[ve - 1]))
			ve--;
		h->val_off = v;
		h->val_len = ve - v;
	}
	it->p = next;
	return true;
}

bool hdr_is(const u8 *b, const struct raw_hdr *h, const char *name,
	    char compact)
{
	size_t n = strlen(name);

	if (compact && h->name_len == 1 &&
	    tolower(b[h->name_off]) == compact)
		return true;
	return h->name_len == n &&
	       !strncasecmp((const char *)b + h->name_off, name, n);
}

bool hdr_present(const struct sipk_msg *m, const char *name, char compact)
{
	struct hdr_it it;
	struct raw_hdr h;

	hdr_it_init(&it, m->buf, m->hdr_end + 2u);
	while (hdr_it_next(&it, &h))
		if (hdr_is(m->buf, &h, name, compact))
			return true;
	return false;
}

size_t hdr_values(const struct sipk_msg *m, const char *name, char *out,
		  size_t size)
{
	struct hdr_it it;
	struct raw_hdr h;
	size_t n = 0;

	if (!size)
		return 0;
	out[0] = '\0';
	hdr_it_init(&it, m->buf, m->hdr_end + 2u);
	while (hdr_it_next(&it, &h)) {
		u16 i;

		if (!hdr_is(m->buf, &h, name, 0) || !h.val_len)
			continue;
		if (n && n + 2 < size) {
			out[n++] = ',';
			out[n++] = ' ';
		}
		for (i = 0; i < h.val_len && n + 1 < size; i++) {
			u8 c = m->buf[h.val_off + i];

			/* folding becomes a space */
			out[n++] = (c == '\r' || c == '\n' || c == '\t') ? ' ' : (char)c;
		}
		out[n] = '\0';
	}
	return n;
}

/* ---- Contact ---- */

/* RFC 3261 qvalue: "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3("0") ] */
int parse_qvalue(const u8 *s, size_t len)
{
	int v, i, scale = 100;

	if (!len || (s[0] != '0' && s[0] != '1'))
		return -1;
	v = (s[0] - '0') * 1000;
	if (len == 1)
		return v;
	if (s[1] != '.' || len > 5)
		return -1;
	for (i = 2; i < (int)len; i++) {
		if (!isdigit(s[i]))
			return -1;
		v += (s[i] - '0') * scale;
		scale /= 10;
	}
	return v > 1000 ? -1 : v;
}

static u16 skip_lws(const u8 *b, u16 p, u16 end)
{
	while (p < end && is_lws(b[p]))
		p++;
	return p;
}

static u16 skip_quoted(const u8 *b, u16 p, u16 end)
{
	/* at the opening quote; returns after the closing one */
	for (p++; p < end && b[p] != '"'; p++)
		if (b[p] == '\\')
			p++;
	return p < end ? p + 1 : end;
}

/* delta-seconds, saturating at 2**31-1; -1 when not a number */
static int parse_delta(const u8 *s, size_t len)
{
	long long v = 0;
	size_t i;

	if (!len)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit(s[i]))
			return -1;
		if (v < 0x7fffffff)
			v = v * 10 + (s[i] - '0');
	}
	return v > 0x7fffffff ? 0x7fffffff : (int)v;
}

/* one contact-param starting at @p; returns where it ends, or 0 */
static u16 parse_contact_param(const u8 *b, u16 p, u16 end,
			       struct contact_ent *c)
{
	u16 ps, ns, ne, vs = 0, ve = 0, pend = 0;

	c->uri.off = 0;
	ps = p;
	p = skip_lws(b, p, end);
	if (p < end && b[p] == '"')
		p = skip_quoted(b, p, end);
	/* name-addr: a '<' before any ',' or ';' (outside quotes) */
	for (ns = p; ns < end && b[ns] != '<' && b[ns] != ',' && b[ns] != ';';
	     ns++)
		if (b[ns] == '"')
			ns = skip_quoted(b, ns, end) - 1;
	if (ns < end && b[ns] == '<') {
		ne = ns + 1;
		while (ne < end && b[ne] != '>')
			ne++;
		if (ne >= end)
			return 0;
		c->uri.off = ns + 1;
		c->uri.len = ne - ns - 1;
		p = ne + 1;
	} else {
		/* addr-spec: parameters after it are header parameters */
		p = skip_lws(b, ps, end);
		ns = p;
		while (p < end && b[p] != ';' && b[p] != ',' && !is_lws(b[p]))
			p++;
		c->uri.off = ns;
		c->uri.len = p - ns;
	}
	if (!c->uri.len)
		return 0;
	p = skip_lws(b, p, end);
	c->params.off = p;
	c->params.len = 0;
	c->expires = -1;
	c->q = -1;
	while (p < end && b[p] == ';') {
		p = skip_lws(b, p + 1, end);
		ns = p;
		while (p < end && is_token(b[p]))
			p++;
		ne = p;
		if (ne == ns)
			return 0;
		p = skip_lws(b, p, end);
		if (p < end && b[p] == '=') {
			p = skip_lws(b, p + 1, end);
			vs = p;
			if (p < end && b[p] == '"') {
				p = skip_quoted(b, p, end);
			} else {
				while (p < end && b[p] != ';' && b[p] != ',' &&
				       !is_lws(b[p]))
					p++;
			}
			ve = p;
			p = skip_lws(b, p, end);
		} else {
			vs = ve = ne;
		}
		if (ne - ns == 1 && tolower(b[ns]) == 'q') {
			c->q = parse_qvalue(b + vs, ve - vs);
			if (c->q < 0)
				return 0;
		} else if (ne - ns == 7 &&
			   !strncasecmp((const char *)b + ns, "expires", 7)) {
			c->expires = parse_delta(b + vs, ve - vs);
		}
		pend = ve > ne ? ve : ne;
	}
	if (pend)
		c->params.len = pend - c->params.off;
	return p;
}

int contacts_parse(const struct sipk_msg *m, struct contact_ent *out, int max,
		   bool *star)
{
	const u8 *b = m->buf;
	struct hdr_it it;
	struct raw_hdr h;
	int n = 0;

	*star = false;
	hdr_it_init(&it, b, m->hdr_end + 2u);
	while (hdr_it_next(&it, &h)) {
		u16 p, end;

		if (!hdr_is(b, &h, "Contact", 'm'))
			continue;
		p = h.val_off;
		end = h.val_off + h.val_len;
		if (h.val_len == 1 && b[p] == '*') {
			*star = true;
			continue;
		}
		for (;;) {
			struct contact_ent c;

			p = skip_lws(b, p, end);
			if (p >= end)
				return -1;
			p = parse_contact_param(b, p, end, &c);
			if (!p)
				return -1;
			if (n >= max)
				return -2;
			out[n++] = c;
			p = skip_lws(b, p, end);
			if (p >= end)
				break;
			if (b[p] != ',')
				return -1;
			p++;
		}
	}
	return n;
}

/* ---- names ---- */

int aor_from_uri(const u8 *buf, const struct sipk_uri *u, char *out,
		 size_t size)
{
	size_t n = 0, i, need;
	int w;

	if (!u->host.len)
		return -1;
	need = (size_t)u->user.len + 1 + u->host.len;
	if (need + 7 > size || need + 6 > (size_t)SIPK_AOR_MAX)
		return -1;
	if (u->user.len) {
		memcpy(out, buf + u->user.off, u->user.len);
		n = u->user.len;
		out[n++] = '@';
	}
	for (i = 0; i < u->host.len; i++)
		out[n++] = (char)tolower(buf[u->host.off + i]);
	out[n] = '\0';
	if (u->port && u->port != 5060) {
		w = snprintf(out + n, size - n, ":%u", u->port);
		if (w < 0 || (size_t)w >= size - n)
			return -1;
	}
	return 0;
}

void uri_normalize(char *uri)
{
	struct sipk_uri u;
	size_t i, len = strlen(uri);

	if (len > SIPK_MAX_MSG ||
	    sipk_parse_uri((const u8 *)uri, 0, (u16)len, &u))
		return;
	for (i = 0; i < len && uri[i] != ':'; i++)
		uri[i] = (char)tolower((unsigned char)uri[i]);
	for (i = 0; i < u.host.len; i++)
		uri[u.host.off + i] = (char)tolower((unsigned char)uri[u.host.off + i]);
}

/* ---- Digest (RFC 7616, RFC 8760) ---- */

static int copy_value(const u8 *b, u16 vs, u16 ve, char *out, size_t size)
{
	size_t n = 0;
	u16 p = vs;

	if (p < ve && b[p] == '"') {
		if (ve - vs < 2 || b[ve - 1] != '"')
			return -1;
		p++;
		ve--;
		for (; p < ve; p++) {
			if (b[p] == '\\' && p + 1 < ve)
				p++;
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)b[p];
		}
	} else {
		for (; p < ve; p++) {
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)b[p];
		}
	}
	out[n] = '\0';
	return 0;
}

int digest_parse(const u8 *b, size_t len, struct digest_cred *c)
{
	u16 p = 0, end = (u16)len, ns, ne, vs, ve;

	memset(c, 0, sizeof(*c));
	if (len < 7 || strncasecmp((const char *)b, "Digest", 6) ||
	    !is_lws(b[6]))
		return -1;
	p = skip_lws(b, 6, end);
	while (p < end) {
		char *dst = NULL;
		size_t dsize = 0;

		ns = p;
		while (p < end && is_token(b[p]))
			p++;
		ne = p;
		if (ne == ns)
			return -1;
		p = skip_lws(b, p, end);
		if (p >= end || b[p] != '=')
			return -1;
		p = skip_lws(b, p + 1, end);
		vs = p;
		if (p < end && b[p] == '"') {
			p = skip_quoted(b, p, end);
			if (b[p - 1] != '"' || p - vs < 2)
				return -1;
		} else {
			while (p < end && b[p] != ',' && !is_lws(b[p]))
				p++;
		}
		ve = p;
#define FIELD(name, f) \
		else if (ne - ns == sizeof(name) - 1 && \
			 !strncasecmp((const char *)b + ns, name, ne - ns)) { \
			dst = c->f; dsize = sizeof(c->f); }
		if (0) {
		}
		FIELD("username", username)
		FIELD("realm", realm)
		FIELD("nonce", nonce)
		FIELD("uri", uri)
		FIELD("response", response)
		FIELD("algorithm", algorithm)
		FIELD("cnonce", cnonce)
		FIELD("qop", qop)
		FIELD("nc", nc)
		FIELD("opaque", opaque)
#undef FIELD
		if (dst && copy_value(b, vs, ve, dst, dsize))
			return -1;
		if (dst == c->qop)
			c->has_qop = true;
		p = skip_lws(b, p, end);
		if (p < end) {
			if (b[p] != ',')
				return -1;
			p = skip_lws(b, p + 1, end);
		}
	}
	if (!c->username[0] || !c->realm[0] || !c->nonce[0] || !c->uri[0] ||
	    !c->response[0])
		return -1;
	return 0;
}

int find_authorization(const struct sipk_msg *m, const char *realm,
		       struct digest_cred *c)
{
	struct hdr_it it;
	struct raw_hdr h;
	int ret = -1;

	hdr_it_init(&it, m->buf, m->hdr_end + 2u);
	while (hdr_it_next(&it, &h)) {
		if (!hdr_is(m->buf, &h, "Authorization", 0))
			continue;
		if (digest_parse(m->buf + h.val_off, h.val_len, c)) {
			ret = -2;
			continue;
		}
		if (!strcmp(c->realm, realm))
			return 0;
	}
	return ret;
}

const char *first_line(const u8 *buf, size_t len, char *out, size_t size)
{
	size_t n = 0, i;

	for (i = 0; i < len && buf[i] != '\r' && buf[i] != '\n' && n + 1 < size;
	     i++)
		out[n++] = (buf[i] >= ' ' && buf[i] < 0x7f) ? (char)buf[i] : '?';
	out[n] = '\0';
	return out;
}
