// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_core.c - libFuzzer harness for the SIP core.
 *
 * Every input is parsed.  A request the parser calls forwardable is
 * forwarded into a bounded buffer (and into one too small, which must be
 * refused), and the output is parsed again: the rewriter must never make
 * a message the parser calls malformed.  A 200 OK is then made of the
 * forwarded request and must come back through sipk_response_dest() to
 * where the request came from.  Responses with two Vias or more are
 * forwarded and checked the same way.  Any broken property traps.
 *
 * Build: make -C tests fuzz; run: tests/fuzz/run.sh [SECONDS].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip_core.h"

#define CHECK(c)				\
	do {					\
		if (!(c))			\
			__builtin_trap();	\
	} while (0)

#define OUT_CAP		(SIPK_MAX_MSG + 1024)

static const sipk_key_t key = {
	{ 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL }
};

static const sipk_key_t key2 = {
	{ 0x1716151413121110ULL, 0x1f1e1d1c1b1a1918ULL }
};

static const char ruri[] = "sip:uas@198.18.2.2:5060";

static u8 out[OUT_CAP];
static u8 resp[OUT_CAP + 32];
static u8 rout[OUT_CAP];

static struct sipk_addr addr4(u8 d, u16 port)
{
	struct sipk_addr a;

	memset(&a, 0, sizeof(a));
	a.family = 4;
	a.addr[0] = 198;
	a.addr[1] = 18;
	a.addr[2] = 0;
	a.addr[3] = d;
	a.port = port;
	return a;
}

static struct sipk_addr addr6(u8 last, u16 port)
{
	struct sipk_addr a;

	memset(&a, 0, sizeof(a));
	a.family = 6;
	a.addr[0] = 0x20;
	a.addr[1] = 0x01;
	a.addr[2] = 0x0d;
	a.addr[3] = 0xb8;
	a.addr[15] = last;
	a.port = port;
	return a;
}

static bool same_addr(const struct sipk_addr *a, const struct sipk_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
}

static bool same_line(const struct sipk_msg *a, const struct sipk_hdr *ha,
		      const struct sipk_msg *b, const struct sipk_hdr *hb)
{
	return ha->line.len == hb->line.len &&
	       !memcmp(a->buf + ha->line.off, b->buf + hb->line.off,
		       ha->line.len);
}

/* What any message the parser did not reject must look like. */
static void check_shape(const struct sipk_msg *m, size_t size)
{
	if (m->verdict == SIPK_MALFORMED || size > SIPK_MAX_MSG)
		return;
	CHECK(m->dgram_len == size);
	CHECK(m->len <= size);
	CHECK(m->body_off == m->hdr_end + 2);
	CHECK(m->len == m->body_off + m->body_len);
	CHECK(!memcmp(m->buf + m->hdr_end, "\r\n", 2));
	CHECK(m->clen < 0 || m->clen == m->body_len);
	CHECK(m->via_count >= 1);
	CHECK(m->via[0].value.off + m->via[0].value.len <= m->hdr_end);
	CHECK(m->call_id.present && m->cseq_hdr.present);
	CHECK(m->from.h.present && m->to.h.present);
}

/* A forwarded response: our Via gone, parsed again. */
static void check_response(const struct sipk_msg *m)
{
	struct sipk_addr dst;
	struct sipk_msg o;
	int n, r;
	u8 *small;

	n = sipk_build_response(m, rout, sizeof(rout));
	CHECK(n > 0 && n < m->len);
	/* too small by one: refused, nothing written past the end */
	small = malloc((size_t)n - 1 ? (size_t)n - 1 : 1);
	CHECK(small);
	CHECK(sipk_build_response(m, small, (size_t)n - 1) == -ENOSPC);
	free(small);

	CHECK(sipk_parse(rout, (size_t)n, &o) != SIPK_MALFORMED);
	if (m->via_count < 255)
		CHECK(o.via_count == m->via_count - 1);
	CHECK(o.body_len == m->body_len);

	r = sipk_response_dest(m, &key, &dst);
	CHECK(r == 0 || r == -ENOENT || r == -EPERM || r == -EHOSTUNREACH);
	if (!r)
		CHECK(dst.family == 4 || dst.family == 6);
}

/*
 * The UAS answers the forwarded request: the same headers under a status
 * line.  Our Via must verify and point back at the request's sender.
 */
static void round_trip(const struct sipk_msg *m, const struct sipk_addr *src,
		       size_t n)
{
	static const char sl[] = "SIP/2.0 200 OK";
	struct sipk_addr dst, prev;
	struct sipk_msg r;
	size_t i, rn;

	for (i = 0; i + 1 < n && !(out[i] == '\r' && out[i + 1] == '\n'); i++)
		;
	CHECK(i + 1 < n);
	rn = sizeof(sl) - 1 + (n - i);
	memcpy(resp, sl, sizeof(sl) - 1);
	memcpy(resp + sizeof(sl) - 1, out + i, n - i);
	CHECK(sipk_parse(resp, rn, &r) != SIPK_MALFORMED);
	if (r.verdict != SIPK_OK)
		return;		/* too big: handed up, never routed */
	CHECK(sipk_response_dest(&r, &key, &dst) == 0);
	CHECK(sipk_request_prev_dest(m, src, &prev) == 0);
	CHECK(same_addr(&dst, &prev));
	CHECK(sipk_response_dest(&r, &key2, &dst) == -EPERM);
	check_response(&r);
}

static unsigned int min_popped(unsigned int pop, unsigned int count)
{
	return pop < count ? pop : count;
}

static void check_request(const struct sipk_msg *m, unsigned int how,
			  const uint8_t *data, size_t size)
{
	struct sipk_fwd f;
	struct sipk_msg o;
	u8 br[SIPK_BRANCH_LEN];
	size_t k;
	u8 *small;
	int n;

	memset(&f, 0, sizeof(f));
	f.m = m;
	f.key = &key;
	if (how & 1) {
		f.self = addr6(1, 5060);
		f.src = addr6(0x10, 5062);
	} else {
		f.self = addr4(1, 5060);
		f.src = addr4(2, 5062);
	}
	if (!(how & 2)) {
		f.ruri = (const u8 *)ruri;
		f.ruri_len = sizeof(ruri) - 1;
	}
	/* 0, 1 or 2 of the top Routes ours (RFC 5658 double RR) */
	f.pop_route = (how & 4) ? 1 + !!(how & 16) : 0;
	f.record_route = !!(how & 8);
	/* arrived on another address: two Record-Routes */
	if (how & 16)
		f.self_in = (how & 1) ? addr6(2, 5060) : addr4(4, 5060);

	f.dst = addr4(3, 5060);
	(void)sipk_route_is_ours(m, &key, &f.src, &f.dst);
	{
		struct sipk_addr nd;
		u8 npop;

		if (!sipk_route_next(m, &key, &f.src, &nd, &npop))
			CHECK(npop >= 1 && npop <= 2 && nd.family);
	}
	CHECK(sipk_branch(m, &key, &f.src, br) == 0);

	n = sipk_build_request(&f, out, sizeof(out));
	CHECK(n > 0);
	CHECK(!memcmp(out, m->buf, m->method_str.len));

	/* a buffer too small: refused, and ASan sees any write past it */
	k = size ? (size_t)data[size - 1] % (size_t)n : 0;
	k = (size_t)n - 1 - k;
	small = malloc(k ? k : 1);
	CHECK(small);
	CHECK(sipk_build_request(&f, small, k) == -ENOSPC);
	free(small);

	/*
	 * Never forward what the parser calls malformed; more: what we
	 * forward is as forwardable as what we received, unless it grew
	 * past the largest datagram.
	 */
	CHECK(sipk_parse(out, (size_t)n, &o) != SIPK_MALFORMED);
	CHECK(o.verdict == SIPK_OK || n > SIPK_MAX_MSG);
	if (o.verdict != SIPK_OK)
		return;
	CHECK(o.len == (u16)n);
	CHECK(o.method == m->method);
	CHECK(o.via_count == (m->via_count < 255 ? m->via_count + 1 : 255));
	CHECK(o.via[0].branch.len == SIPK_BRANCH_LEN);
	CHECK(!memcmp(o.buf + o.via[0].branch.off, br, SIPK_BRANCH_LEN));
	CHECK(o.max_forwards == (m->max_forwards < 0 ? 70 :
				 m->max_forwards - 1));
	CHECK(o.body_len == m->body_len);
	CHECK(!memcmp(o.buf + o.body_off, m->buf + m->body_off, m->body_len));
	CHECK(o.call_id.value.len == m->call_id.value.len);
	CHECK(!memcmp(o.buf + o.call_id.value.off,
		      m->buf + m->call_id.value.off, m->call_id.value.len));
	CHECK(o.cseq == m->cseq);
	CHECK(same_line(&o, &o.cseq_hdr, m, &m->cseq_hdr));
	CHECK(same_line(&o, &o.from.h, m, &m->from.h));
	CHECK(same_line(&o, &o.to.h, m, &m->to.h));
	CHECK(o.clen == m->clen);
	CHECK(o.has_require == m->has_require);
	if (m->route_count < 255)
		CHECK(o.route_count == m->route_count -
		      min_popped(f.pop_route, m->route_count));
	CHECK(o.has_record_route == (m->has_record_route || f.record_route));
	CHECK(o.via[1].has_received || !o.via[1].has_rport);
	round_trip(m, &f.src, (size_t)n);
}

/* An IP literal: read, written back, read again, the same address. */
static void check_ip(const uint8_t *data, size_t size)
{
	struct sipk_addr a, b;
	char host[64];
	int n;

	if (size > 64 || sipk_parse_ip(data, size, &a))
		return;
	CHECK(a.family == 4 || a.family == 6);
	n = sipk_format_host(&a, host, sizeof(host));
	CHECK(n > 0 && (size_t)n < sizeof(host));
	CHECK(sipk_parse_ip((const u8 *)host, (size_t)n, &b) == 0);
	CHECK(a.family == b.family && !memcmp(a.addr, b.addr, 16));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipk_msg m;
	enum sipk_verdict v;
	struct sipk_fwd f;

	check_ip(data, size);
	if (size <= SIPK_MAX_MSG) {
		struct sipk_uri u;

		(void)sipk_parse_uri(data, 0, (u16)size, &u);
	}

	v = sipk_parse(data, size, &m);
	CHECK(v == m.verdict);
	CHECK((v == SIPK_OK) == (m.reason_code == SIPK_R_NONE));
	check_shape(&m, size);

	if (v == SIPK_MALFORMED) {
		memset(&f, 0, sizeof(f));
		f.m = &m;
		f.key = &key;
		f.self = addr4(1, 5060);
		f.src = addr4(2, 5062);
		CHECK(sipk_build_request(&f, out, sizeof(out)) == -EINVAL);
		CHECK(sipk_build_response(&m, out, sizeof(out)) == -EINVAL);
		return 0;
	}
	if (m.is_request && v == SIPK_OK && m.max_forwards != 0)
		check_request(&m, (unsigned int)(size & 31), data, size);
	else if (!m.is_request && m.via_count >= 2)
		check_response(&m);
	return 0;
}
