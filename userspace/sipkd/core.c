// SPDX-License-Identifier: GPL-2.0
/*
 * core.c - what sipkd does with each message that reaches it.
 *
 * Requests, in the order of RFC 3261 16.3 (request validation) and then
 * 16.4-16.6 (routing):
 *
 *	malformed (the core's SIPK_MALFORMED)	400 (505: bad version), ACK dropped
 *	retransmission of one we answered	the same answer again
 *	ACK for one of our non-2xx answers	absorbed
 *	Request-URI not sip:			416
 *	REGISTER for one of our domains		the registrar (registrar.c)
 *	Max-Forwards: 0				483 (OPTIONS to us: 200)
 *	Proxy-Require				420 with Unsupported
 *	Route: ours is popped; a foreign one	403 (not an open relay)
 *	to the proxy itself (no user part)	OPTIONS: 200, others 405
 *	domain not ours				404
 *	AOR redirected (configuration, or a
 *	location entry with the redirect flag)	302 with every contact, q kept
 *	AOR with one target			forwarded statelessly
 *	AOR with several targets		forked, statefully (proxy.c)
 *	AOR without contacts			404 (480 for a user with credentials)
 *	CANCEL of an INVITE we answered		200; with nowhere to go: 481
 *
 * Stateless forwarding uses the same rewriter as the kernel
 * (sipk_build_request, RFC 3261 16.11), with sipkd's own key; the branch
 * it computes starts with the kernel's prefix "z9hG4bKsk", which sipkd
 * turns into "z9hG4bKsd" (same length, outside the MAC), so neither side
 * mistakes the other's Via for its own.  A response whose top Via is
 * sipkd's is verified (the MAC binds it to the Via below) and forwarded.
 *
 * A Route of ours (one, or two when our two sides differ: RFC 5658) is
 * followed with sipk_route_next(), as the kernel follows its own.
 *
 * An AOR with several targets (the kernel hands those up) is forked by
 * proxy.c, a stateful proxy; ACKs and unmatched CANCELs are not forked.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "sipkd.h"

struct event_base *evbase;
sipk_key_t fwd_key;
sipk_key_t tag_key;

static u8 outbuf[SIPK_MAX_MSG + 2048];
static u8 scratch[SIPK_MAX_MSG + 1];

#define ALLOW_HDR \
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, PRACK, UPDATE, INFO, MESSAGE, SUBSCRIBE, NOTIFY, REFER\r\n"

/* ---- building responses ---- */

/* the To tag of our responses: the same for every retransmission */
static void to_tag(const u8 *b, const struct raw_hdr *callid,
		   const struct raw_hdr *from, char *out)
{
	static const char hex[] = "0123456789abcdef";
	u8 buf[512];
	size_t n = 0;
	u64 h;
	int i;

	if (callid) {
		n = callid->val_len > 256 ? 256 : callid->val_len;
		memcpy(buf, b + callid->val_off, n);
	}
	if (from) {
		size_t f = from->val_len > 250 ? 250 : from->val_len;

		memcpy(buf + n, b + from->val_off, f);
		n += f;
	}
	h = sipk_siphash(buf, n, &tag_key);
	memcpy(out, "sd", 2);
	for (i = 0; i < 16; i++)
		out[2 + i] = hex[(h >> (60 - 4 * i)) & 15];
	out[18] = '\0';
}

static bool has_tag(const u8 *b, u16 off, u16 len)
{
	u16 i;

	for (i = 0; i + 4 <= len; i++)
		if (b[off + i] == ';' && !strncasecmp((const char *)b + off + i + 1,
						      "tag", 3)) {
			u16 j = i + 4;

			while (j < len && (b[off + j] == ' ' || b[off + j] == '\t'))
				j++;
			if (j < len && b[off + j] == '=')
				return true;
		}
	return false;
}

/*
 * The response to a request (RFC 3261 8.2.6.2): Via (received/rport on
 * the top one, RFC 3581), From, To (with our tag), Call-ID, CSeq, @extra,
 * Content-Length.  @m may be a malformed message: its header lines are
 * then found tolerantly and copied as they are.
 */
static int build(const u8 *buf, size_t blen, const struct sipk_msg *m,
		 const struct rxinfo *rx, int code, const char *reason,
		 const char *extra, char *out, size_t size, size_t *len)
{
	struct obuf o = { .b = out, .size = size };
	struct raw_hdr h, from = { 0 }, to = { 0 }, callid = { 0 }, cseq = { 0 };
	bool ok = m && m->verdict != SIPK_MALFORMED;
	bool first_via = true, have_via = false;
	struct hdr_it it;
	char tag[20];

	ob_fmt(&o, "SIP/2.0 %d %s\r\n", code, reason);
	hdr_it_init(&it, buf, blen);
	while (hdr_it_next(&it, &h)) {
		if (hdr_is(buf, &h, "Via", 'v')) {
			have_via = true;
			ob_str(&o, "Via: ");
			if (ok && first_via &&
			    m->via[0].value.off >= h.val_off &&
			    m->via[0].value.off + m->via[0].value.len <=
			    h.val_off + h.val_len) {
				const struct sipk_via *v = &m->via[0];
				u16 vend = v->value.off + v->value.len;
				u16 p = h.val_off;
				char ip[48];

				if (v->has_rport && !v->rport.len) {
					ob_value(&o, buf, p, v->rport.off - p);
					ob_fmt(&o, "=%u", rx->src_a.port);
					p = v->rport.off;
				}
				ob_value(&o, buf, p, vend - p);
				if (!v->has_received) {
					struct sipk_addr a;
					bool same = !sipk_parse_ip(buf + v->host.off,
								   v->host.len, &a) &&
						    a.family == rx->src_a.family &&
						    !memcmp(a.addr, rx->src_a.addr,
							    a.family == 4 ? 4 : 16);

					if (!same || v->has_rport) {
						int n = sipk_format_host(&rx->src_a, ip,
									 sizeof(ip));

						if (n > 0 && rx->src_a.family == 6)
							ob_fmt(&o, ";received=%.*s", n - 2, ip + 1);
						else if (n > 0)
							ob_fmt(&o, ";received=%s", ip);
					}
				}
				ob_value(&o, buf, vend, h.val_off + h.val_len - vend);
			} else {
				ob_value(&o, buf, h.val_off, h.val_len);
			}
			ob_str(&o, "\r\n");
			first_via = false;
		} else if (hdr_is(buf, &h, "From", 'f') && !from.name_len) {
			from = h;
		} else if (hdr_is(buf, &h, "To", 't') && !to.name_len) {
			to = h;
		} else if (hdr_is(buf, &h, "Call-ID", 'i') && !callid.name_len) {
			callid = h;
		} else if (hdr_is(buf, &h, "CSeq", 0) && !cseq.name_len) {
			cseq = h;
		}
	}
	if (!have_via)
		return -1;	/* nowhere to send it, RFC 3261 18.2.2 */
	if (from.name_len) {
		ob_str(&o, "From: ");
		ob_value(&o, buf, from.val_off, from.val_len);
		ob_str(&o, "\r\n");
	}
	if (to.name_len) {
		ob_str(&o, "To: ");
		ob_value(&o, buf, to.val_off, to.val_len);
		if (code > 100 && !has_tag(buf, to.val_off, to.val_len)) {
			to_tag(buf, callid.name_len ? &callid : NULL,
			       from.name_len ? &from : NULL, tag);
			ob_fmt(&o, ";tag=%s", tag);
		}
		ob_str(&o, "\r\n");
	}
	if (callid.name_len) {
		ob_str(&o, "Call-ID: ");
		ob_value(&o, buf, callid.val_off, callid.val_len);
		ob_str(&o, "\r\n");
	}
	if (cseq.name_len) {
		ob_str(&o, "CSeq: ");
		ob_value(&o, buf, cseq.val_off, cseq.val_len);
		ob_str(&o, "\r\n");
	}
	if (extra)
		ob_str(&o, extra);
	ob_str(&o, "Server: sipkd/" SIPKD_VERSION "\r\nContent-Length: 0\r\n\r\n");
	if (o.overflow)
		return -1;
	*len = o.len;
	return 0;
}

int build_response(const struct sipk_msg *m, const struct rxinfo *rx,
		   int code, const char *reason, const char *extra, char *out,
		   size_t size, size_t *len)
{
	return build(m->buf, m->len, m, rx, code, reason, extra, out, size,
		     len);
}

void response_dest(const struct sipk_msg *m, const struct rxinfo *rx,
		   struct dest *d)
{
	struct sipk_addr to = rx->src_a;
	const struct sipk_via *v = &m->via[0];

	memset(d, 0, sizeof(*d));
	d->l = rx->l;
	d->conn = rx->conn;	/* TCP: on the connection it came in on */
	/* received: the source address; rport: the source port too */
	if (m->verdict != SIPK_MALFORMED && m->via_count && !v->has_rport)
		to.port = v->port ? v->port : 5060;
	d->tolen = sipk_to_sa(&to, &d->to);
	if (rx->has_local) {
		d->from = rx->local;
		d->has_from = true;
		d->ifindex = rx->ifindex;
	}
}

void count_tx(int code)
{
	if (code < 200)
		STAT(ST_TX_1XX);
	else if (code < 300)
		STAT(ST_TX_2XX);
	else if (code < 400)
		STAT(ST_TX_3XX);
	else if (code < 500)
		STAT(ST_TX_4XX);
	else if (code < 600)
		STAT(ST_TX_5XX);
	else
		STAT(ST_TX_6XX);
}

void reply(const struct sipk_msg *m, const struct rxinfo *rx, int code,
	   const char *reason, const char *extra)
{
	struct dest d;
	size_t len;
	char a[64], fl[80];

	if (m->method == SIPK_M_ACK)
		return;		/* never answer an ACK */
	if (build_response(m, rx, code, reason, extra, (char *)outbuf,
			   sizeof(outbuf), &len)) {
		log_info("cannot build a %d for %s", code,
			 first_line(m->buf, m->len, fl, sizeof(fl)));
		return;
	}
	response_dest(m, rx, &d);
	log_debug("tx %d %s -> %s (%s)", code, reason,
		  sa_fmt((struct sockaddr *)&d.to, a, sizeof(a)),
		  first_line(m->buf, m->len, fl, sizeof(fl)));
	transport_send(&d, outbuf, len);
	count_tx(code);
	stx_add(m, &d, outbuf, len, code);
}

/* 400 (505 for a bad version) to a request the core found malformed */
static void reply_malformed(const u8 *buf, size_t len, const struct sipk_msg *m,
			    const struct rxinfo *rx)
{
	char extra[160], a[64], fl[80];
	struct dest d = { 0 };
	size_t olen;
	int code = m->reason_code == SIPK_R_VERSION ? 505 : 400;
	const char *reason = code == 505 ? "Version Not Supported" : "Bad Request";

	snprintf(extra, sizeof(extra), "Warning: 399 sipkd \"malformed: %s\"\r\n",
		 sipk_reason_name(m->reason_code));
	if (build(buf, len, NULL, rx, code, reason, extra, (char *)outbuf,
		  sizeof(outbuf), &olen)) {
		log_info("malformed request from %s (%s), no Via to answer to: dropped",
			 sa_fmt((struct sockaddr *)&rx->src, a, sizeof(a)),
			 sipk_reason_name(m->reason_code));
		return;
	}
	/* its Via may be unreadable: answer where it came from */
	d.l = rx->l;
	d.conn = rx->conn;
	d.to = rx->src;
	d.tolen = rx->srclen;
	if (rx->has_local) {
		d.from = rx->local;
		d.has_from = true;
		d.ifindex = rx->ifindex;
	}
	log_info("malformed request from %s (%s): %d (%s)",
		 sa_fmt((struct sockaddr *)&rx->src, a, sizeof(a)),
		 sipk_reason_name(m->reason_code), code,
		 first_line(buf, len, fl, sizeof(fl)));
	transport_send(&d, outbuf, olen);
	count_tx(code);
}

/* ---- forwarding ---- */

/* "z9hG4bKsk" -> "z9hG4bKsd" in the Via sipk_build_request put on top */
static void mark_branch(u8 *b, size_t len)
{
	static const char pat[] = ";branch=" SIPK_BRANCH_PREFIX;
	size_t pl = sizeof(pat) - 1, i, lines = 0;

	for (i = 0; i + pl <= len && lines < 3; i++) {
		if (b[i] == '\n')
			lines++;
		if (!memcmp(b + i, pat, pl)) {
			memcpy(b + i + 8, SIPKD_BRANCH_PREFIX,
			       sizeof(SIPKD_BRANCH_PREFIX) - 1);
			return;
		}
	}
}

/*
 * The reasons the kernel hands up a valid message that the rewriter
 * itself handles fine; sipkd forwards those.
 */
static bool rewritable(const struct sipk_msg *m, const struct rxinfo *rx)
{
	const struct sipk_via *v = &m->via[0];

	if (m->verdict == SIPK_OK)
		return true;
	/*
	 * The core looks no further once it has a reason: over TCP (the top
	 * Via says so) check what it checks after the transport.
	 */
	if (m->reason_code == SIPK_R_TRANSPORT)
		return rx->tp == TP_TCP && !v->maddr.len && !v->has_received &&
		       !v->rport.len;
	return m->reason_code == SIPK_R_FOLDED ||
	       m->reason_code == SIPK_R_TOO_MANY_VIAS ||
	       m->reason_code == SIPK_R_PROXY_REQUIRE;
}

/*
 * Forwards @m to @t (RFC 3261 16.6) over @t's transport, popping @pop
 * Routes of ours; over TCP too when it is larger than udp-max-size
 * (18.1.1, UDP again if the connection is refused).  Return: 0 sent or
 * answered, 1 waiting for a TCP connect (@done follows), -1 not sent
 * (the caller tries the next target or answers 503).
 */
int forward_to(const struct sipk_msg *m, const struct rxinfo *rx,
	       const char *uri, const struct sip_target *t, u8 pop,
	       transport_done_fn done, void *arg)
{
	const struct sipk_addr *dst = &t->addr;
	struct sipk_msg mm = *m;
	struct sipk_addr self;
	struct dest d;
	char a[64], fl[80];
	unsigned int flags = 0;
	int len, r;
	struct sipk_fwd f = {
		.m = &mm,
		.key = &fwd_key,
		.src = rx->src_a,
		.pop_route = pop,
		.record_route = conf.record_route && !pop,
	};

	if (transport_is_local(dst)) {
		log_info("loop: %s would go to ourselves (%s)",
			 first_line(m->buf, m->len, fl, sizeof(fl)),
			 sipk_addr_fmt(dst, a, sizeof(a)));
		reply(m, rx, 482, "Loop Detected", NULL);
		return 0;
	}
	if (!rewritable(m, rx)) {
		char w[160];

		snprintf(w, sizeof(w), "Warning: 399 sipkd \"cannot forward: %s\"\r\n",
			 sipk_reason_name(m->reason_code));
		reply(m, rx, 400, "Bad Request", w);
		return 0;
	}
	mm.verdict = SIPK_OK;
	if (transport_route(dst, &d, &self)) {
		log_info("no route to %s for %s", sipk_addr_fmt(dst, a, sizeof(a)),
			 first_line(m->buf, m->len, fl, sizeof(fl)));
		return -1;
	}
	f.self = self;
	if (rx->has_local) {
		/* the caller's side of us, when another (RFC 5658) */
		sa_to_sipk((const struct sockaddr *)&rx->local, &f.self_in);
		f.self_in.port = self.port;
	}
	f.dst = *dst;
	if (uri) {
		f.ruri = (const u8 *)uri;
		f.ruri_len = (u16)strlen(uri);
	}
	len = sipk_build_request(&f, outbuf, sizeof(outbuf));
	if (len == -ENOSPC) {
		reply(m, rx, 513, "Message Too Large", NULL);
		return 0;
	}
	if (len < 0) {
		log_info("cannot forward %s: the rewriter refused it",
			 first_line(m->buf, m->len, fl, sizeof(fl)));
		reply(m, rx, 500, "Server Internal Error", NULL);
		return 0;
	}
	mark_branch(outbuf, (size_t)len);
	{
		struct sip_target tt = *t;

		if (tt.tp == TP_UDP && (unsigned int)len > conf.udp_max) {
			tt.tp = TP_TCP;		/* RFC 3261 18.1.1 */
			flags |= TX_FALLBACK_UDP;
		}
		if (tt.tp == TP_TCP && via_set_transport(outbuf, (size_t)len, "TCP"))
			return -1;
		log_debug("fwd %s -> %s %s", first_line(outbuf, (size_t)len, fl, sizeof(fl)),
			  tt.tp == TP_TCP ? "tcp" : "udp", sipk_addr_fmt(dst, a, sizeof(a)));
		if (tt.tp == TP_UDP)	/* the socket is known: as before */
			r = transport_send(&d, outbuf, (size_t)len) ? -1 : 0;
		else
			r = transport_send_target(&tt, outbuf, (size_t)len,
						  flags, done, arg);
		if (r < 0)
			return -1;
		if (tt.tp == TP_TCP)
			STAT(ST_FWD_TCP);
	}
	STAT(ST_FWD_REQUEST);
	if (m->method == SIPK_M_INVITE)
		STAT(ST_FWD_INVITE);
	return r;
}

/* the Request-URI names a transport other than UDP (";transport=tcp") */
static bool ruri_not_udp(const struct sipk_msg *m)
{
	char tp[64];

	return sip_uri_param((const char *)m->buf + m->ruri.params.off,
			     m->ruri.params.len, "transport", tp, sizeof(tp)) &&
	       strcasecmp(tp, "udp");
}

static void forward(const struct sipk_msg *m, const struct rxinfo *rx,
		    const char *uri, const struct sipk_addr *dst, u8 pop)
{
	struct sip_target t = { .addr = *dst, .tp = TP_UDP };

	if (!dst->family)	/* a host name, TCP: RFC 3263 first */
		forward_locate(m, rx, uri, pop);
	else if (forward_to(m, rx, uri, &t, pop, NULL, NULL) < 0)
		reply(m, rx, 503, "Service Unavailable", NULL);
}

static void handle_response(const struct sipk_msg *m, const struct rxinfo *rx)
{
	const struct sipk_via *v = &m->via[0];
	const size_t pl = sizeof(SIPKD_BRANCH_PREFIX) - 1;
	struct sipk_msg mm;
	struct sipk_addr dst, self;
	struct dest d;
	char a[64], fl[80];
	int len, err;

	STAT(ST_RX_RESPONSE);
	if (proxy_is_ours(m)) {
		proxy_response(m, rx);
		return;
	}
	if (v->branch.len != SIPK_BRANCH_LEN ||
	    memcmp(m->buf + v->branch.off, SIPKD_BRANCH_PREFIX, pl)) {
		/*
		 * Not ours: the kernel's own (handed up because the next hop
		 * is a name, or the MAC failed), or a stray one.
		 * TODO(phase 2): resolve host names (c-ares) for the kernel.
		 */
		STAT(ST_DROPPED);
		log_debug("response not ours dropped: %s from %s",
			  first_line(m->buf, m->len, fl, sizeof(fl)),
			  sa_fmt((struct sockaddr *)&rx->src, a, sizeof(a)));
		return;
	}
	/* verify with the kernel's prefix the MAC was computed under */
	memcpy(scratch, m->buf, m->len);
	memcpy(scratch + v->branch.off, SIPK_BRANCH_PREFIX, pl);
	mm = *m;
	mm.buf = scratch;
	err = sipk_response_dest(&mm, &fwd_key, &dst);
	if (err) {
		STAT(ST_DROPPED);
		log_info("response with our branch dropped (%s): %s from %s",
			 err == -EHOSTUNREACH ? "next hop is a host name" :
			 "MAC does not verify",
			 first_line(m->buf, m->len, fl, sizeof(fl)),
			 sa_fmt((struct sockaddr *)&rx->src, a, sizeof(a)));
		return;
	}
	len = sipk_build_response(m, outbuf, sizeof(outbuf));
	if (len >= 0 && !sipk_str_caseeq(m, m->via[1].transport, "UDP")) {
		/* back on the connection the request came in on (18.2.2) */
		memset(&d, 0, sizeof(d));
		d.conn = transport_conn_find(&dst);
		if (!d.conn) {
			/* gone: a new one to the Via's address (18.2.2) */
			struct sip_target t = { .addr = dst, .tp = TP_TCP };

			if (transport_send_target(&t, outbuf, (size_t)len, 0,
						  NULL, NULL) < 0) {
				STAT(ST_DROPPED);
				log_info("no connection to %s for %s: dropped",
					 sipk_addr_fmt(&dst, a, sizeof(a)),
					 first_line(m->buf, m->len, fl, sizeof(fl)));
			} else {
				STAT(ST_FWD_RESPONSE);
			}
			return;
		}
	} else if (len < 0 || transport_route(&dst, &d, &self)) {
		STAT(ST_DROPPED);
		log_info("cannot forward %s to %s",
			 first_line(m->buf, m->len, fl, sizeof(fl)),
			 sipk_addr_fmt(&dst, a, sizeof(a)));
		return;
	}
	log_debug("fwd %s -> %s", first_line(m->buf, m->len, fl, sizeof(fl)),
		  sipk_addr_fmt(&dst, a, sizeof(a)));
	if (!transport_send(&d, outbuf, (size_t)len))
		STAT(ST_FWD_RESPONSE);
}

/* ---- requests ---- */

static void count_rx(const struct sipk_msg *m)
{
	static const enum stat_id ids[] = {
		[SIPK_M_INVITE] = ST_RX_INVITE, [SIPK_M_ACK] = ST_RX_ACK,
		[SIPK_M_BYE] = ST_RX_BYE, [SIPK_M_CANCEL] = ST_RX_CANCEL,
		[SIPK_M_REGISTER] = ST_RX_REGISTER,
		[SIPK_M_OPTIONS] = ST_RX_OPTIONS,
	};

	STAT(ST_RX_REQUEST);
	if (m->method < ARRAY_SIZE(ids) && ids[m->method])
		STAT(ids[m->method]);
	else
		STAT(ST_RX_OTHER);
}

/* Is this Route entry (the first) one of ours? */
static bool route_is_self(const struct sipk_msg *m)
{
	const struct sipk_uri *u = &m->route_uri;
	struct sipk_addr a;

	if (!u->all.len)
		return false;
	if (u->host_type == SIPK_HOST_NAME)
		return domain_find(m->buf + u->host.off, u->host.len) &&
		       (!u->port || u->port == 5060);
	if (sipk_parse_ip(m->buf + u->host.off, u->host.len, &a))
		return false;
	a.port = u->port ? u->port : 5060;
	return transport_is_local(&a);
}

/* the request is for the proxy itself: no user, one of our hosts */
static bool ruri_is_self(const struct sipk_msg *m)
{
	const struct sipk_uri *u = &m->ruri;
	struct sipk_addr a;

	if (u->user.len)
		return false;
	if (u->host_type == SIPK_HOST_NAME)
		return domain_find(m->buf + u->host.off, u->host.len) != NULL;
	if (sipk_parse_ip(m->buf + u->host.off, u->host.len, &a))
		return false;
	a.port = u->port ? u->port : 5060;
	return transport_is_local(&a) ||
	       domain_find(m->buf + u->host.off, u->host.len) != NULL;
}

/* 420 listing the option tags of @hdr (Require, Proxy-Require) */
void reply_420(const struct sipk_msg *m, const struct rxinfo *rx,
	       const char *hdr)
{
	char buf[1024];
	size_t l;

	memcpy(buf, "Unsupported: ", 13);
	l = hdr_values(m, hdr, buf + 13, sizeof(buf) - 16);
	memcpy(buf + 13 + l, "\r\n", 3);
	reply(m, rx, 420, "Bad Extension", buf);
}

/* q in thousandths as a qvalue: 1000 -> "1", 500 -> "0.5" */
const char *qstr(u16 q, char *buf)
{
	if (q >= 1000)
		return "1";
	snprintf(buf, 8, "0.%03u", q);
	for (int i = 4; i > 2 && buf[i] == '0'; i--)
		buf[i] = '\0';
	return buf;
}

#define MAX_TARGETS	(SIPK_CONTACTS_MAX * 4)

static void redirect(const struct sipk_msg *m, const struct rxinfo *rx,
		     const struct target *t, int n, time_t now)
{
	char hdrs[8192], q[8];
	size_t len = 0;
	int i;

	for (i = 0; i < n && len < sizeof(hdrs); i++) {
		int w;

		if (t[i].expires)
			w = snprintf(hdrs + len, sizeof(hdrs) - len,
				     "Contact: <%s>;q=%s;expires=%ld\r\n",
				     t[i].uri, qstr(t[i].q, q),
				     (long)(t[i].expires - now));
		else
			w = snprintf(hdrs + len, sizeof(hdrs) - len,
				     "Contact: <%s>;q=%s\r\n", t[i].uri,
				     qstr(t[i].q, q));
		if (w < 0 || (size_t)w >= sizeof(hdrs) - len)
			break;
		len += (size_t)w;
	}
	hdrs[len] = '\0';
	reply(m, rx, 302, "Moved Temporarily", hdrs);
}

static void handle_request(const struct sipk_msg *m, const struct rxinfo *rx)
{
	static struct kcontact kc[SIPK_CONTACTS_MAX * 2];
	struct target t[MAX_TARGETS];
	const struct domain *d;
	const struct aor *a;
	const struct binding *b;
	char aor[SIPK_AOR_MAX + 8], fl[80];
	bool redir, ack = m->method == SIPK_M_ACK;
	u8 pop = 0;
	time_t now = time(NULL);
	int n = 0, nk, i, best;

	count_rx(m);
	if (log_enabled(LOG_L_DEBUG)) {
		char src[64];

		log_debug("rx %s from %s", first_line(m->buf, m->len, fl, sizeof(fl)),
			  sa_fmt((struct sockaddr *)&rx->src, src, sizeof(src)));
	}
	if (stx_absorb(m) || proxy_absorb(m, rx))
		return;
	/* CANCEL of an INVITE we answered: nothing left to cancel (9.2) */
	if (m->method == SIPK_M_CANCEL && stx_invite_answered(m)) {
		reply(m, rx, 200, "OK", NULL);
		return;
	}
	if (m->verdict == SIPK_UNSUPPORTED &&
	    (m->reason_code == SIPK_R_SCHEME || m->reason_code == SIPK_R_SIPS)) {
		reply(m, rx, 416, "Unsupported URI Scheme", NULL);
		return;
	}
	if (m->method == SIPK_M_REGISTER) {
		d = domain_find(m->buf + m->ruri.host.off, m->ruri.host.len);
		if (d) {
			if (m->has_proxy_require) {
				reply_420(m, rx, "Proxy-Require");
				return;
			}
			registrar(m, rx, d);
			return;
		}
	}
	if (m->max_forwards == 0 &&
	    !(m->method == SIPK_M_OPTIONS && ruri_is_self(m))) {
		if (!ack)
			reply(m, rx, 483, "Too Many Hops", NULL);
		return;
	}
	if (m->has_proxy_require && !ack && m->method != SIPK_M_CANCEL) {
		reply_420(m, rx, "Proxy-Require");
		return;
	}
	if (m->route_hdr.present) {
		struct sipk_addr dst;
		u8 npop;

		/*
		 * A dialog we record-routed (once, or twice when our two
		 * sides differ, RFC 5658): on to the next Route, else to
		 * its remote target, as the kernel does (sipk_route_next()).
		 */
		if (!sipk_route_next(m, &fwd_key, &rx->src_a, &dst, &npop)) {
			if (ruri_not_udp(m))	/* ";transport=tcp": located */
				forward_locate_dialog(m, rx, npop);
			else
				forward(m, rx, NULL, &dst, npop);
			return;
		}
		/*
		 * ... whose remote target is a host name: locate it first
		 * (npop: our Routes, one or two, that sipk_route_next()
		 * found before the name stopped it)
		 */
		if (npop && m->route_count == npop &&
		    m->ruri.host_type == SIPK_HOST_NAME && route_is_self(m) &&
		    !domain_find(m->buf + m->ruri.host.off, m->ruri.host.len)) {
			forward_locate_dialog(m, rx, npop);
			return;
		}
		if (m->route_count != 1 || !route_is_self(m)) {
			/* TODO(phase 2): follow foreign Routes (loose routing) */
			if (!ack)
				reply(m, rx, 403, "Forbidden (Route not ours, no relaying)", NULL);
			return;
		}
		pop = 1;
	}
	if (ruri_is_self(m)) {
		if (m->method == SIPK_M_OPTIONS)
			reply(m, rx, 200, "OK",
			      ALLOW_HDR "Accept: application/sdp\r\nSupported: \r\n");
		else if (m->method == SIPK_M_REGISTER)
			reply(m, rx, 404, "Not Found (domain not served here)", NULL);
		else if (!ack)
			reply(m, rx, 405, "Method Not Allowed", ALLOW_HDR);
		return;
	}
	d = domain_find(m->buf + m->ruri.host.off, m->ruri.host.len);
	if (!d) {
		/* not an open relay: only our domains are routed */
		if (!ack)
			reply(m, rx, 404, "Not Found (domain not served here)", NULL);
		return;
	}
	if (aor_from_uri(m->buf, &m->ruri, aor, sizeof(aor))) {
		if (!ack)
			reply(m, rx, 404, "Not Found", NULL);
		return;
	}

	/* the targets: our bindings, and the operator's entries in the kernel */
	a = loc_find(aor);
	for (b = a ? a->bindings : NULL; b && n < MAX_TARGETS; b = b->next) {
		if (b->expires <= now)
			continue;
		t[n++] = (struct target){ .uri = b->uri, .dst = b->dst,
			.q = b->q, .flags = b->flags, .expires = b->expires,
			.updated = b->updated };
	}
	nk = kernel_lookup(aor, kc, (int)ARRAY_SIZE(kc));
	for (i = 0; i < nk && n < MAX_TARGETS; i++) {
		if (kc[i].owner == SIPK_OWNER_DAEMON)
			continue;	/* ours: already in the list */
		t[n++] = (struct target){ .uri = kc[i].uri, .dst = kc[i].dst,
			.q = kc[i].q, .flags = kc[i].flags,
			.expires = kc[i].expires ? now + kc[i].expires : 0,
			.updated = 0 };
	}
	redir = domain_redirects_user(d, m->buf + m->ruri.user.off,
				      m->ruri.user.len);
	for (i = 0; i < n; i++)
		if (t[i].flags & SIPK_F_REDIRECT)
			redir = true;
	if (m->method == SIPK_M_CANCEL && (!n || redir)) {
		/* no INVITE of ours, and nowhere to forward it */
		reply(m, rx, 481, "Call/Transaction Does Not Exist", NULL);
		return;
	}
	if (!n) {
		if (ack)
			return;
		if (auth_user_known((const char *)m->buf + m->ruri.user.off,
				    m->ruri.user.len, d->realm))
			reply(m, rx, 480, "Temporarily Unavailable", NULL);
		else
			reply(m, rx, 404, "Not Found", NULL);
		return;
	}
	if (redir) {
		if (!ack)
			redirect(m, rx, t, n, now);
		return;
	}
	/*
	 * Several targets: a stateful proxy forks (proxy.c).  Not an ACK
	 * (end to end, or ours to absorb), nor a CANCEL that matched no
	 * context (16.10: forwarded statelessly, to the best target).
	 */
	if (n > 1 && !ack && m->method != SIPK_M_CANCEL) {
		if (!rewritable(m, rx)) {
			forward(m, rx, t[0].uri, &t[0].dst, pop);	/* says why */
			return;
		}
		log_debug("%s has %d contacts: forking", aor, n);
		proxy_fork(m, rx, t, n, pop);
		return;
	}
	best = 0;
	for (i = 1; i < n; i++)
		if (t[i].q > t[best].q ||
		    (t[i].q == t[best].q && t[i].updated > t[best].updated))
			best = i;
	forward(m, rx, t[best].uri, &t[best].dst, pop);
}

/* a datagram of nothing but line ends and spaces: a keep-alive */
static bool keepalive(const u8 *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != '\r' && buf[i] != '\n' && buf[i] != ' ' &&
		    buf[i] != '\t' && buf[i] != 0)
			return false;
	return true;
}

void sip_received(const u8 *buf, size_t len, const struct rxinfo *rx)
{
	struct sipk_msg m;
	char a[64], fl[80];

	if (keepalive(buf, len))
		return;
	sipk_parse(buf, len, &m);
	if (m.verdict == SIPK_MALFORMED) {
		STAT(ST_MALFORMED);
		if (len >= 4 && !memcmp(buf, "SIP/", 4)) {
			STAT(ST_DROPPED);
			log_info("malformed response from %s (%s) dropped: %s",
				 sa_fmt((struct sockaddr *)&rx->src, a, sizeof(a)),
				 sipk_reason_name(m.reason_code),
				 first_line(buf, len, fl, sizeof(fl)));
			return;
		}
		if (len >= 4 && !memcmp(buf, "ACK ", 4)) {
			STAT(ST_DROPPED);
			return;
		}
		reply_malformed(buf, len, &m, rx);
		return;
	}
	if (m.is_request)
		handle_request(&m, rx);
	else
		handle_response(&m, rx);
}
