// SPDX-License-Identifier: GPL-2.0
/*
 * sip_rewrite.c - stateless forwarding of SIP messages (RFC 3261 section
 * 16.6 and 16.11, RFC 3581).
 *
 * The output is built into a caller-supplied buffer as a copy of the
 * input with a short, sorted list of splices; nothing is written past
 * the buffer's end.  Only the message proper (headers and the body
 * bounded by Content-Length) is copied: octets past it are not SIP.
 */
#include "sip_core.h"

#define SIPK_MAX_EDITS	6

struct sipk_edit {
	u16 off;	/* where in the input */
	u16 del;	/* input octets dropped there */
	const u8 *ins;	/* then these are written */
	u16 ins_len;
};

struct sipk_out {
	u8 *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

static void out_put(struct sipk_out *o, const void *s, size_t n)
{
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void out_str(struct sipk_out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static void out_uint(struct sipk_out *o, unsigned int v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[9 - n++] = '0' + v % 10;
		v /= 10;
	} while (v && n < 10);
	out_put(o, tmp + 10 - n, n);
}

static void out_hex64(struct sipk_out *o, u64 v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[16];
	int i;

	for (i = 15; i >= 0; i--) {
		tmp[i] = hex[v & 0xf];
		v >>= 4;
	}
	out_put(o, tmp, 16);
}

static int out_host(struct sipk_out *o, const struct sipk_addr *a)
{
	char host[48];
	int n = sipk_format_host(a, host, sizeof(host));

	if (n < 0)
		return n;
	out_put(o, host, n);
	return 0;
}

/* Copy [from, to) of the input applying the sorted edits inside it. */
static void out_copy_edited(struct sipk_out *o, const struct sipk_msg *m,
			    u16 from, u16 to, const struct sipk_edit *ed,
			    int ned)
{
	u16 p = from;
	int i;

	for (i = 0; i < ned; i++) {
		if (ed[i].off < p || ed[i].off > to)
			continue;
		out_put(o, m->buf + p, ed[i].off - p);
		if (ed[i].ins_len)
			out_put(o, ed[i].ins, ed[i].ins_len);
		p = ed[i].off + ed[i].del;
	}
	if (p < to)
		out_put(o, m->buf + p, to - p);
}

static void sort_edits(struct sipk_edit *ed, int n)
{
	int i, j;

	for (i = 1; i < n; i++) {
		struct sipk_edit t = ed[i];

		for (j = i; j > 0 && ed[j - 1].off > t.off; j--)
			ed[j] = ed[j - 1];
		ed[j] = t;
	}
}

/*
 * The extent to delete to remove the first entry of a comma-separated
 * header: the whole line when it is the only one, else the entry, its
 * comma and the LWS after it.
 */
static void first_entry_cut(const struct sipk_msg *m, const struct sipk_hdr *h,
			    struct sipk_str entry, struct sipk_edit *e)
{
	const u8 *b = m->buf;
	u16 vend = h->value.off + h->value.len;
	u16 p = entry.off + entry.len;

	while (p < vend && b[p] != ',')
		p++;
	if (p >= vend) {
		e->off = h->line.off;
		e->del = h->line.len;
		return;
	}
	p++;
	for (;;) {
		while (p < vend && (b[p] == ' ' || b[p] == '\t'))
			p++;
		if (p + 2 < vend && b[p] == '\r' && b[p + 1] == '\n') {
			p += 2;
			continue;
		}
		break;
	}
	e->off = entry.off;
	e->del = p - entry.off;
}

/* ---- the stateless branch ---- */

static u64 hash_str(const struct sipk_msg *m, struct sipk_str s,
		    const sipk_key_t *key)
{
	return sipk_siphash(m->buf + s.off, s.len, key);
}

/*
 * RFC 3261 16.11: hash the received branch when it carries the magic
 * cookie, else the fields that vary between transactions.  CSeq's method
 * is left out so that CANCEL and the ACK of a non-2xx final response get
 * the branch of their INVITE.
 */
static u64 branch_unique(const struct sipk_msg *m, const sipk_key_t *key)
{
	const struct sipk_via *v = &m->via[0];
	u64 w[7];

	if (v->branch.len > 7 && !memcmp(m->buf + v->branch.off, "z9hG4bK", 7)) {
		/*
		 * A server matches a transaction on branch and sent-by
		 * (17.2.3): two clients may pick the same branch, and ours
		 * always has the same sent-by, so the sent-by goes in too.
		 */
		w[0] = 1;
		w[1] = hash_str(m, v->branch, key);
		w[2] = hash_str(m, v->host, key);
		w[3] = v->port;
		return sipk_siphash(w, 4 * sizeof(u64), key);
	}
	w[0] = 2;
	w[1] = hash_str(m, v->value, key);
	w[2] = hash_str(m, m->to.tag, key);
	w[3] = hash_str(m, m->from.tag, key);
	w[4] = hash_str(m, m->call_id.value, key);
	w[5] = m->cseq;
	w[6] = hash_str(m, m->ruri.all, key);
	return sipk_siphash(w, sizeof(w), key);
}

/*
 * The MAC binds our branch to the Via below it: its branch and the
 * address a response will be sent to once our Via is removed.
 */
static u64 branch_mac(const struct sipk_msg *m, const struct sipk_via *below,
		      u64 unique, const struct sipk_addr *dst,
		      const sipk_key_t *key)
{
	u64 w[6];

	w[0] = 3;
	w[1] = unique;
	w[2] = hash_str(m, below->branch, key);
	w[3] = (u64)dst->family | ((u64)dst->port << 8);
	memcpy(&w[4], dst->addr, 16);
	return sipk_siphash(w, sizeof(w), key);
}

/*
 * The MAC our Record-Route carries: bound to the dialog's Call-ID and to
 * the pair of addresses it was set up between, sorted so that requests
 * in both directions verify.  Ports are left out: a UA may send from
 * another port than its Contact names.
 */
static u64 route_mac(const struct sipk_msg *m, const sipk_key_t *key,
		     const struct sipk_addr *a, const struct sipk_addr *b)
{
	u64 w[8];

	if (a->family > b->family ||
	    (a->family == b->family && memcmp(a->addr, b->addr, 16) > 0)) {
		const struct sipk_addr *t = a;

		a = b;
		b = t;
	}
	w[0] = 4;
	w[1] = hash_str(m, m->call_id.value, key);
	w[2] = a->family;
	memcpy(&w[3], a->addr, 16);
	w[5] = b->family;
	memcpy(&w[6], b->addr, 16);
	return sipk_siphash(w, sizeof(w), key);
}

static bool read_hex64(const u8 *s, u64 *v);

/* The ";sk=" parameter of a Route URI: its offset, or 0 when absent. */
static u16 route_sk(const struct sipk_msg *m, const struct sipk_uri *u)
{
	const u8 *b = m->buf;
	u16 p = u->params.off, end = u->params.off + u->params.len;
	u64 mac;

	if (!u->all.len)
		return 0;
	/* find ";sk=" followed by exactly 16 hex digits */
	while (p + 4 + 16 <= end) {
		if (b[p] == ';' && (b[p + 1] == 's' || b[p + 1] == 'S') &&
		    (b[p + 2] == 'k' || b[p + 2] == 'K') && b[p + 3] == '=' &&
		    (p + 20 == end || b[p + 20] == ';') &&
		    read_hex64(b + p + 4, &mac))
			return p + 4;
		p++;
	}
	return 0;
}

bool sipk_route_is_ours(const struct sipk_msg *m, const sipk_key_t *key,
			const struct sipk_addr *src,
			const struct sipk_addr *dst)
{
	u16 sk;
	u64 mac;

	if (!m->route_hdr.present)
		return false;
	sk = route_sk(m, &m->route_uri);
	if (!sk || !read_hex64(m->buf + sk, &mac))
		return false;
	return mac == route_mac(m, key, src, dst);
}

/* The value of URI parameter @name (case-insensitive), or false. */
static bool uri_param(const struct sipk_msg *m, const struct sipk_uri *u,
		      const char *name, struct sipk_str *val)
{
	const u8 *b = m->buf;
	u16 p = u->params.off, end = u->params.off + u->params.len;

	while (p < end) {
		struct sipk_str pn;
		u16 e;

		pn.off = ++p;	/* past the ';' */
		while (p < end && b[p] != ';')
			p++;
		e = pn.off;
		while (e < p && b[e] != '=')
			e++;
		pn.len = e - pn.off;
		if (sipk_str_caseeq(m, pn, name)) {
			val->off = e < p ? e + 1 : p;
			val->len = p - val->off;
			return true;
		}
	}
	return false;
}

/* An IP literal next hop from a URI: its port, else 5060. */
static int uri_dest(const struct sipk_msg *m, const struct sipk_uri *u,
		    bool route, struct sipk_addr *dst)
{
	struct sipk_str v;

	if (!u->all.len || u->sips)
		return -EPROTONOSUPPORT;
	if (route) {
		/* we send UDP, to the host named: nothing else */
		if (uri_param(m, u, "maddr", &v))
			return -EPROTONOSUPPORT;
		if (uri_param(m, u, "transport", &v) &&
		    !sipk_str_caseeq(m, v, "udp"))
			return -EPROTONOSUPPORT;
	}
	if (u->host_type == SIPK_HOST_NAME ||
	    sipk_parse_ip(m->buf + u->host.off, u->host.len, dst))
		return -EHOSTUNREACH;
	dst->port = u->port ? u->port : 5060;
	return 0;
}

int sipk_route_next(const struct sipk_msg *m, const sipk_key_t *key,
		    const struct sipk_addr *src, struct sipk_addr *dst,
		    u8 *npop)
{
	const struct sipk_uri *next = NULL;
	u16 sk, sk2;
	u64 mac;
	int err;

	*npop = 0;
	if (!m->route_hdr.present || !m->route_count)
		return -ENOENT;
	sk = route_sk(m, &m->route_uri);
	if (!sk || !read_hex64(m->buf + sk, &mac))
		return -ENOENT;
	*npop = 1;
	if (m->route_count >= 2) {
		sk2 = route_sk(m, &m->route_uri2);
		if (sk2 && !memcmp(m->buf + sk, m->buf + sk2, 16))
			*npop = 2;
	}
	if (m->route_count > *npop)
		next = *npop == 1 ? &m->route_uri2 : &m->route_uri3;
	err = next ? uri_dest(m, next, true, dst) :
		     uri_dest(m, &m->ruri, false, dst);
	if (err)
		return err;
	if (mac != route_mac(m, key, src, dst))
		return -ENOENT;
	return 0;
}

/* RFC 3581 4: received when sent-by is not the source or rport asks */
static bool needs_received(const struct sipk_msg *m,
			   const struct sipk_addr *src)
{
	const struct sipk_via *v = &m->via[0];
	struct sipk_addr a;

	if (v->has_rport)
		return true;
	if (sipk_parse_ip(m->buf + v->host.off, v->host.len, &a))
		return true;
	return a.family != src->family ||
	       memcmp(a.addr, src->addr, a.family == 4 ? 4 : 16);
}

int sipk_request_prev_dest(const struct sipk_msg *m,
			   const struct sipk_addr *src, struct sipk_addr *dst)
{
	const struct sipk_via *v = &m->via[0];

	if (!m->via_count)
		return -EINVAL;
	if (needs_received(m, src))
		*dst = *src;
	else if (sipk_parse_ip(m->buf + v->host.off, v->host.len, dst))
		return -EHOSTUNREACH;
	dst->port = v->has_rport ? src->port : (v->port ? v->port : 5060);
	return 0;
}

int sipk_branch(const struct sipk_msg *m, const sipk_key_t *key,
		const struct sipk_addr *src, u8 *out)
{
	struct sipk_out o = { .buf = out, .cap = SIPK_BRANCH_LEN };
	struct sipk_addr dst;
	u64 u;

	if (sipk_request_prev_dest(m, src, &dst))
		return -EINVAL;
	u = branch_unique(m, key);
	out_str(&o, SIPK_BRANCH_PREFIX);
	out_hex64(&o, u);
	out_hex64(&o, branch_mac(m, &m->via[0], u, &dst, key));
	return o.overflow ? -EINVAL : 0;
}

static bool read_hex64(const u8 *s, u64 *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 16; i++) {
		u8 c = s[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return false;
		*v = (*v << 4) | d;
	}
	return true;
}

int sipk_response_dest(const struct sipk_msg *m, const sipk_key_t *key,
		       struct sipk_addr *dst)
{
	const struct sipk_via *top = &m->via[0], *below = &m->via[1];
	const size_t plen = sizeof(SIPK_BRANCH_PREFIX) - 1;
	const u8 *br = m->buf + top->branch.off;
	u64 u, mac, want;
	u16 port = 0;

	if (top->branch.len != SIPK_BRANCH_LEN || memcmp(br, SIPK_BRANCH_PREFIX, plen) ||
	    !read_hex64(br + plen, &u) || !read_hex64(br + plen + 16, &mac))
		return -ENOENT;
	if (m->via_count < 2)
		return -EPERM;
	if (below->has_received) {
		const u8 *r = m->buf + below->received.off;
		u16 rl = below->received.len;
		u8 tmp[48];

		if (rl && r[0] != '[' && rl + 2u <= sizeof(tmp)) {
			/* received carries IPv6 without brackets */
			tmp[0] = '[';
			memcpy(tmp + 1, r, rl);
			tmp[rl + 1] = ']';
			if (sipk_parse_ip(r, rl, dst) &&
			    sipk_parse_ip(tmp, rl + 2, dst))
				return -EPERM;
		} else if (sipk_parse_ip(r, rl, dst)) {
			return -EPERM;
		}
	} else if (sipk_parse_ip(m->buf + below->host.off, below->host.len,
				 dst)) {
		return -EHOSTUNREACH;
	}
	if (below->has_rport && below->rport.len) {
		const u8 *r = m->buf + below->rport.off;
		int i;

		for (i = 0; i < below->rport.len; i++)
			port = port * 10 + (r[i] - '0');
	} else {
		port = below->port ? below->port : 5060;
	}
	dst->port = port;
	want = branch_mac(m, below, u, dst, key);
	/* fold the difference so the comparison takes the same time */
	return (want ^ mac) ? -EPERM : 0;
}

/* ---- forwarding ---- */

static bool addr_same(const struct sipk_addr *a, const struct sipk_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
}

static int out_record_route(struct sipk_out *o, const struct sipk_addr *a,
			    u64 mac)
{
	out_str(o, "Record-Route: <sip:");
	if (out_host(o, a))
		return -EINVAL;
	out_str(o, ":");
	out_uint(o, a->port);
	out_str(o, ";lr;sk=");
	out_hex64(o, mac);
	out_str(o, ">\r\n");
	return 0;
}

int sipk_build_request(const struct sipk_fwd *f, u8 *out, size_t outlen)
{
	const struct sipk_msg *m = f->m;
	const struct sipk_via *v = &m->via[0];
	struct sipk_out o = { .buf = out, .cap = outlen };
	struct sipk_edit ed[SIPK_MAX_EDITS];
	u8 branch[SIPK_BRANCH_LEN];
	u8 recv[80], mf[4], rport[8];
	struct sipk_out ro = { .buf = recv, .cap = sizeof(recv) };
	struct sipk_out mo = { .buf = mf, .cap = sizeof(mf) };
	struct sipk_out po = { .buf = rport, .cap = sizeof(rport) };
	int ned = 0;

	if (!m->is_request || m->verdict != SIPK_OK || !m->via_count ||
	    m->max_forwards == 0)
		return -EINVAL;
	if (sipk_branch(m, f->key, &f->src, branch))
		return -EINVAL;

	/* received/rport on the previous top Via (RFC 3581 4) */
	if (v->has_rport) {
		out_str(&po, "=");
		out_uint(&po, f->src.port);
		ed[ned++] = (struct sipk_edit){ .off = v->rport.off,
			.ins = rport, .ins_len = (u16)po.len };
	}
	if (needs_received(m, &f->src)) {
		char host[48];
		int n = sipk_format_host(&f->src, host, sizeof(host));

		if (n < 0)
			return -EINVAL;
		out_str(&ro, ";received=");
		/* received carries an IPv6 address without brackets */
		if (f->src.family == 6)
			out_put(&ro, host + 1, n - 2);
		else
			out_put(&ro, host, n);
		if (ro.overflow)
			return -EINVAL;
		ed[ned++] = (struct sipk_edit){ .off = v->value.off + v->value.len,
			.ins = recv, .ins_len = (u16)ro.len };
	}
	/* Max-Forwards decremented (16.6 step 3) */
	if (m->max_forwards > 0) {
		out_uint(&mo, m->max_forwards - 1);
		ed[ned++] = (struct sipk_edit){ .off = m->max_fwd_hdr.value.off,
			.del = m->max_fwd_hdr.value.len, .ins = mf,
			.ins_len = (u16)mo.len };
	}
	/* our own Route(s) removed (16.4, loose routing; RFC 5658) */
	if (f->pop_route && m->route_hdr.present) {
		first_entry_cut(m, &m->route_hdr, m->route_value, &ed[ned]);
		ed[ned].ins = NULL;
		ed[ned].ins_len = 0;
		ned++;
	}
	if (f->pop_route > 1 && m->route_hdr2.present) {
		struct sipk_edit *e = &ed[ned - 1];

		if (m->route_hdr2.line.off == m->route_hdr.line.off) {
			/* both in one line: up to what follows the second */
			first_entry_cut(m, &m->route_hdr2, m->route_value2, e);
			if (e->off != m->route_hdr.line.off) {
				e->del = e->off + e->del - m->route_value.off;
				e->off = m->route_value.off;
			}
		} else {
			first_entry_cut(m, &m->route_hdr2, m->route_value2,
					&ed[ned]);
			ed[ned].ins = NULL;
			ed[ned].ins_len = 0;
			ned++;
		}
	}
	sort_edits(ed, ned);

	/* start line, retargeted (16.6 step 6 / 16.5) */
	out_put(&o, m->buf, m->method_str.len + 1);
	if (f->ruri)
		out_put(&o, f->ruri, f->ruri_len);
	else
		out_put(&o, m->buf + m->ruri.all.off, m->ruri.all.len);
	out_str(&o, " SIP/2.0\r\n");

	/* our Via on top (16.6 step 8) */
	out_str(&o, "Via: SIP/2.0/UDP ");
	if (out_host(&o, &f->self))
		return -EINVAL;
	out_str(&o, ":");
	out_uint(&o, f->self.port);
	out_str(&o, ";branch=");
	out_put(&o, branch, sizeof(branch));
	out_str(&o, "\r\n");
	if (f->record_route) {
		u64 mac = route_mac(m, f->key, &f->src, &f->dst);

		/* the side the callee reaches us on, on top (RFC 5658) */
		if (out_record_route(&o, &f->self, mac))
			return -EINVAL;
		if (f->self_in.family && !addr_same(&f->self_in, &f->self) &&
		    out_record_route(&o, &f->self_in, mac))
			return -EINVAL;
	}
	if (m->max_forwards < 0)
		out_str(&o, "Max-Forwards: 70\r\n");

	/* the header block and the body bounded by Content-Length */
	out_copy_edited(&o, m, m->ruri.all.off + m->ruri.all.len + 10, m->len,
			ed, ned);
	if (o.overflow)
		return -ENOSPC;
	return (int)o.len;
}

int sipk_build_response(const struct sipk_msg *m, u8 *out, size_t outlen)
{
	struct sipk_out o = { .buf = out, .cap = outlen };
	struct sipk_edit ed;

	if (m->is_request || m->verdict == SIPK_MALFORMED || m->via_count < 2)
		return -EINVAL;
	first_entry_cut(m, &m->via_hdr, m->via[0].value, &ed);
	ed.ins = NULL;
	ed.ins_len = 0;
	out_copy_edited(&o, m, 0, m->len, &ed, 1);
	if (o.overflow)
		return -ENOSPC;
	return (int)o.len;
}
