// SPDX-License-Identifier: GPL-2.0
/*
 * test_golden.c - the rewriter's output, octet for octet.
 *
 * Each expected message is written out by hand.  The MACs (the 32 hex
 * digits after "z9hG4bKsk" in our branch and the 16 after ";sk=" in our
 * Record-Route) are masked with '#': a MAC printed once and pasted back
 * would prove nothing.  Instead the branch is checked for what RFC 3261
 * 16.11 asks of it (the same for an INVITE, its retransmission, its
 * CANCEL and the ACK of a non-2xx response; different for another
 * transaction) and for what it is for: sipk_response_dest() accepts a
 * response carrying it and routes it to the original sender, and refuses
 * one where the MAC or the Via below was altered.
 */
#include "sipk_test.h"
#include "kselftest_harness.h"

#define BR	"z9hG4bKsk################################"
#define SK	"################"

#define SELF6	"2001:db8::1"
#define SRC6	"2001:db8::10"
#define RURI6	"sip:uas@[2001:db8::2]:5060"

struct golden {
	const char *name;
	const char *in;
	const char *want;
	const char *ruri;	/* NULL keeps the Request-URI */
	const char *self_ip, *src_ip;
	u16 self_port, src_port;
	const char *self_in_ip;	/* where it arrived, when not self_ip */
	u8 pop_route, record_route;
	/* where a response to the forwarded request must go */
	const char *dst_ip;
	u16 dst_port;
};

/* The INVITE, its ACK and CANCEL share this Via (RFC 3261 9.1, 17.1.1.3). */
#define ALICE_VIA \
	"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK776asdhds;rport\r\n"
#define ALICE_VIA_FWD \
	"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK776asdhds" \
	";rport=5062;received=198.18.0.2\r\n"
#define DIALOG \
	"From: Alice <sip:alice@example.org>;tag=1928301774\r\n" \
	"Call-ID: a84b4c76e66710@pc33.example.org\r\n"

/* INVITE: rport, our Route popped (one value), Record-Route added */
static const struct golden g_invite = {
	.name = "invite",
	.in =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	ALICE_VIA
	"Max-Forwards: 70\r\n"
	"Route: <sip:198.18.0.1:5060;lr>\r\n"
	"Record-Route: <sip:p1.example.org;lr>\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	DIALOG
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@198.18.0.2:5062>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 5\r\n"
	"\r\n"
	"v=0\r\n",
	.want =
	"INVITE sip:uas@198.18.2.2:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" BR "\r\n"
	"Record-Route: <sip:198.18.0.1:5060;lr;sk=" SK ">\r\n"
	ALICE_VIA_FWD
	"Max-Forwards: 69\r\n"
	"Record-Route: <sip:p1.example.org;lr>\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	DIALOG
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@198.18.0.2:5062>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 5\r\n"
	"\r\n"
	"v=0\r\n",
	.ruri = TEST_RURI,
	.self_ip = TEST_SELF4, .self_port = 5060,
	.src_ip = TEST_SRC4, .src_port = 5062,
	.pop_route = 1, .record_route = 1,
	.dst_ip = TEST_SRC4, .dst_port = 5062,
};

/* ACK of a non-2xx final response: same Via, To with the UAS's tag */
static const struct golden g_ack = {
	.name = "ack",
	.in =
	"ACK sip:bob@example.com SIP/2.0\r\n"
	ALICE_VIA
	"Max-Forwards: 70\r\n"
	"Route: <sip:198.18.0.1:5060;lr>\r\n"
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
	DIALOG
	"CSeq: 314159 ACK\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.want =
	"ACK sip:uas@198.18.2.2:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" BR "\r\n"
	ALICE_VIA_FWD
	"Max-Forwards: 69\r\n"
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
	DIALOG
	"CSeq: 314159 ACK\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.ruri = TEST_RURI,
	.self_ip = TEST_SELF4, .self_port = 5060,
	.src_ip = TEST_SRC4, .src_port = 5062,
	.pop_route = 1,
	.dst_ip = TEST_SRC4, .dst_port = 5062,
};

/* CANCEL: two route values in one header, the first (ours) popped */
static const struct golden g_cancel = {
	.name = "cancel",
	.in =
	"CANCEL sip:bob@example.com SIP/2.0\r\n"
	ALICE_VIA
	"Max-Forwards: 70\r\n"
	"Route: <sip:198.18.0.1:5060;lr>, <sip:p2.example.net;lr>\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	DIALOG
	"CSeq: 314159 CANCEL\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.want =
	"CANCEL sip:uas@198.18.2.2:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" BR "\r\n"
	ALICE_VIA_FWD
	"Max-Forwards: 69\r\n"
	"Route: <sip:p2.example.net;lr>\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	DIALOG
	"CSeq: 314159 CANCEL\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.ruri = TEST_RURI,
	.self_ip = TEST_SELF4, .self_port = 5060,
	.src_ip = TEST_SRC4, .src_port = 5062,
	.pop_route = 1,
	.dst_ip = TEST_SRC4, .dst_port = 5062,
};

/*
 * BYE: no rport, sent-by a host name (received added, RFC 3261 18.2.1),
 * no Max-Forwards (70 added, 16.6 step 3), a Route that is not popped,
 * the Request-URI kept.
 */
static const struct golden g_bye = {
	.name = "bye",
	.in =
	"BYE sip:bob@198.18.2.2:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP client.example.org:5070;branch=z9hG4bKnashds7\r\n"
	"Route: <sip:p9.example.net;lr>\r\n"
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
	DIALOG
	"CSeq: 231 BYE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.want =
	"BYE sip:bob@198.18.2.2:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" BR "\r\n"
	"Max-Forwards: 70\r\n"
	"Via: SIP/2.0/UDP client.example.org:5070;branch=z9hG4bKnashds7"
	";received=198.18.0.2\r\n"
	"Route: <sip:p9.example.net;lr>\r\n"
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
	DIALOG
	"CSeq: 231 BYE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.ruri = NULL,
	.self_ip = TEST_SELF4, .self_port = 5060,
	.src_ip = TEST_SRC4, .src_port = 5062,
	/* received, and the port of sent-by since there is no rport */
	.dst_ip = TEST_SRC4, .dst_port = 5070,
};

/* OPTIONS: sent-by is the source and no rport: the Via is left alone */
static const struct golden g_options = {
	.name = "options",
	.in =
	"OPTIONS sip:bob@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bKopt1\r\n"
	"Max-Forwards: 1\r\n"
	"To: <sip:bob@example.com>\r\n"
	"From: <sip:alice@example.org>;tag=77\r\n"
	"Call-ID: opt1@198.18.0.2\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Accept: application/sdp\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.want =
	"OPTIONS sip:uas@198.18.2.2:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" BR "\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bKopt1\r\n"
	"Max-Forwards: 0\r\n"
	"To: <sip:bob@example.com>\r\n"
	"From: <sip:alice@example.org>;tag=77\r\n"
	"Call-ID: opt1@198.18.0.2\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Accept: application/sdp\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.ruri = TEST_RURI,
	.self_ip = TEST_SELF4, .self_port = 5060,
	.src_ip = TEST_SRC4, .src_port = 5062,
	.dst_ip = TEST_SRC4, .dst_port = 5062,
};

/* IPv6: bracketed sent-by with rport, Record-Route with an IPv6 host */
static const struct golden g_invite6 = {
	.name = "invite6",
	.in =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bKv6a;rport\r\n"
	"Max-Forwards: 10\r\n"
	"To: <sip:bob@example.com>\r\n"
	"From: <sip:alice@example.org>;tag=v6\r\n"
	"Call-ID: v6call@example.org\r\n"
	"CSeq: 1 INVITE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.want =
	"INVITE " RURI6 " SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=" BR "\r\n"
	"Record-Route: <sip:[2001:db8::1]:5060;lr;sk=" SK ">\r\n"
	"Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bKv6a"
	";rport=5060;received=2001:db8::10\r\n"
	"Max-Forwards: 9\r\n"
	"To: <sip:bob@example.com>\r\n"
	"From: <sip:alice@example.org>;tag=v6\r\n"
	"Call-ID: v6call@example.org\r\n"
	"CSeq: 1 INVITE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.ruri = RURI6,
	.self_ip = SELF6, .self_port = 5060,
	.src_ip = SRC6, .src_port = 5060,
	.record_route = 1,
	.dst_ip = SRC6, .dst_port = 5060,
};

/* IPv6 without rport, from another address than sent-by */
static const struct golden g_message6 = {
	.name = "message6",
	.in =
	"MESSAGE sip:bob@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8::20];branch=z9hG4bKv6m\r\n"
	"Max-Forwards: 70\r\n"
	"To: <sip:bob@example.com>\r\n"
	"From: <sip:alice@example.org>;tag=v6m\r\n"
	"Call-ID: v6msg@example.org\r\n"
	"CSeq: 7 MESSAGE\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 2\r\n"
	"\r\n"
	"hi",
	.want =
	"MESSAGE " RURI6 " SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8::1]:5062;branch=" BR "\r\n"
	"Via: SIP/2.0/UDP [2001:db8::20];branch=z9hG4bKv6m"
	";received=2001:db8::10\r\n"
	"Max-Forwards: 69\r\n"
	"To: <sip:bob@example.com>\r\n"
	"From: <sip:alice@example.org>;tag=v6m\r\n"
	"Call-ID: v6msg@example.org\r\n"
	"CSeq: 7 MESSAGE\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 2\r\n"
	"\r\n"
	"hi",
	.ruri = RURI6,
	.self_ip = SELF6, .self_port = 5062,
	.src_ip = SRC6, .src_port = 5070,
	/* received, and 5060 for a sent-by without a port */
	.dst_ip = SRC6, .dst_port = 5060,
};

/*
 * Double Record-Route (RFC 5658): arrived on 198.18.1.1, leaves from
 * 198.18.0.1; the outgoing side on top (the callee's first hop), the
 * incoming side below it (the caller's), one MAC.
 */
static const struct golden g_invite_rr2 = {
	.name = "invite_rr2",
	.in =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	ALICE_VIA
	"Max-Forwards: 70\r\n"
	"Record-Route: <sip:p1.example.org;lr>\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	DIALOG
	"CSeq: 314159 INVITE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.want =
	"INVITE sip:uas@198.18.2.2:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" BR "\r\n"
	"Record-Route: <sip:198.18.0.1:5060;lr;sk=" SK ">\r\n"
	"Record-Route: <sip:198.18.1.1:5060;lr;sk=" SK ">\r\n"
	ALICE_VIA_FWD
	"Max-Forwards: 69\r\n"
	"Record-Route: <sip:p1.example.org;lr>\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	DIALOG
	"CSeq: 314159 INVITE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.ruri = TEST_RURI,
	.self_ip = TEST_SELF4, .self_port = 5060,
	.self_in_ip = "198.18.1.1",
	.src_ip = TEST_SRC4, .src_port = 5062,
	.record_route = 1,
	.dst_ip = TEST_SRC4, .dst_port = 5062,
};

/* Arrived on the address it leaves from: one Record-Route */
static const struct golden g_invite_rr1 = {
	.name = "invite_rr1",
	.in =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	ALICE_VIA
	"Max-Forwards: 70\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	DIALOG
	"CSeq: 314159 INVITE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.want =
	"INVITE sip:uas@198.18.2.2:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" BR "\r\n"
	"Record-Route: <sip:198.18.0.1:5060;lr;sk=" SK ">\r\n"
	ALICE_VIA_FWD
	"Max-Forwards: 69\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	DIALOG
	"CSeq: 314159 INVITE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.ruri = TEST_RURI,
	.self_ip = TEST_SELF4, .self_port = 5060,
	.self_in_ip = TEST_SELF4,
	.src_ip = TEST_SRC4, .src_port = 5062,
	.record_route = 1,
	.dst_ip = TEST_SRC4, .dst_port = 5062,
};

/* our two Routes in one header line, a foreign one after them, popped */
static const struct golden g_bye_pop2_line = {
	.name = "bye_pop2_line",
	.in =
	"BYE sip:bob@198.18.2.2:5060 SIP/2.0\r\n"
	ALICE_VIA
	"Max-Forwards: 70\r\n"
	"Route: <sip:198.18.1.1:5060;lr;sk=0123456789abcdef>,"
	" <sip:198.18.0.1:5060;lr;sk=0123456789abcdef>,\r\n"
	"\t<sip:198.18.3.1;lr>\r\n"
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
	DIALOG
	"CSeq: 231 BYE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.want =
	"BYE sip:bob@198.18.2.2:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" BR "\r\n"
	ALICE_VIA_FWD
	"Max-Forwards: 69\r\n"
	"Route: <sip:198.18.3.1;lr>\r\n"
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
	DIALOG
	"CSeq: 231 BYE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.self_ip = TEST_SELF4, .self_port = 5060,
	.src_ip = TEST_SRC4, .src_port = 5062,
	.pop_route = 2,
	.dst_ip = TEST_SRC4, .dst_port = 5062,
};

/* the same two, the only Route entries of one line: the line goes */
static const struct golden g_bye_pop2_whole = {
	.name = "bye_pop2_whole",
	.in =
	"BYE sip:bob@198.18.2.2:5060 SIP/2.0\r\n"
	ALICE_VIA
	"Max-Forwards: 70\r\n"
	"Route: <sip:198.18.1.1:5060;lr;sk=0123456789abcdef>,"
	" <sip:198.18.0.1:5060;lr;sk=0123456789abcdef>\r\n"
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
	DIALOG
	"CSeq: 231 BYE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.want =
	"BYE sip:bob@198.18.2.2:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" BR "\r\n"
	ALICE_VIA_FWD
	"Max-Forwards: 69\r\n"
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
	DIALOG
	"CSeq: 231 BYE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.self_ip = TEST_SELF4, .self_port = 5060,
	.src_ip = TEST_SRC4, .src_port = 5062,
	.pop_route = 2,
	.dst_ip = TEST_SRC4, .dst_port = 5062,
};

/* our two Routes in two header lines, then a line with two more */
static const struct golden g_bye_pop2_hdrs = {
	.name = "bye_pop2_hdrs",
	.in =
	"BYE sip:bob@198.18.2.2:5060 SIP/2.0\r\n"
	ALICE_VIA
	"Route: <sip:198.18.1.1:5060;lr;sk=0123456789abcdef>\r\n"
	"Max-Forwards: 70\r\n"
	"Route: <sip:198.18.0.1:5060;lr;sk=0123456789abcdef>, "
	"<sip:198.18.3.1;lr>\r\n"
	"Route: <sip:p9.example.net;lr>\r\n"
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
	DIALOG
	"CSeq: 231 BYE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.want =
	"BYE sip:bob@198.18.2.2:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" BR "\r\n"
	ALICE_VIA_FWD
	"Max-Forwards: 69\r\n"
	"Route: <sip:198.18.3.1;lr>\r\n"
	"Route: <sip:p9.example.net;lr>\r\n"
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
	DIALOG
	"CSeq: 231 BYE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	.self_ip = TEST_SELF4, .self_port = 5060,
	.src_ip = TEST_SRC4, .src_port = 5062,
	.pop_route = 2,
	.dst_ip = TEST_SRC4, .dst_port = 5062,
};

static void golden_fwd(const struct golden *g, const struct sipk_msg *m,
		       struct sipk_fwd *f)
{
	memset(f, 0, sizeof(*f));
	f->m = m;
	f->key = &sipk_test_key;
	if (g->ruri) {
		f->ruri = (const u8 *)g->ruri;
		f->ruri_len = (u16)strlen(g->ruri);
	}
	f->self = sipk_addr_make(g->self_ip, g->self_port);
	f->src = sipk_addr_make(g->src_ip, g->src_port);
	f->dst = sipk_addr_make(TEST_DST4, 5060);
	if (g->self_in_ip)
		f->self_in = sipk_addr_make(g->self_in_ip, g->self_port);
	f->pop_route = g->pop_route;
	f->record_route = g->record_route;
}

/*
 * Parses @g->in from an exact-size copy and forwards it.  Returns the
 * output (exact size, caller frees); *@in gets the input copy, which @m
 * points into.
 */
static u8 *golden_build(struct __test_metadata *_metadata,
			const struct golden *g, struct sipk_msg *m, u8 **in,
			size_t *n)
{
	struct sipk_fwd f;
	u8 *out;
	int err;

	*in = sipk_dup_exact(g->in, strlen(g->in));
	if (!*in)
		abort();
	EXPECT_EQ(SIPK_OK, sipk_parse(*in, strlen(g->in), m)) {
		TH_LOG("%s: %s at %u", g->name,
		       sipk_reason_name(m->reason_code), m->err_off);
	}
	golden_fwd(g, m, &f);
	out = sipk_build_exact(&f, n, &err);
	EXPECT_NE(NULL, out) {
		TH_LOG("%s: sipk_build_request %d", g->name, err);
	}
	return out;
}

/* A 200 OK to the forwarded request: its start line replaced. */
static u8 *ok_for(const u8 *req, size_t n, size_t *rn)
{
	static const char sl[] = "SIP/2.0 200 OK";
	long e = sipk_find(req, n, "\r\n");
	u8 *r;

	if (e < 0)
		abort();
	*rn = sizeof(sl) - 1 + (n - (size_t)e);
	r = malloc(*rn);
	if (!r)
		abort();
	memcpy(r, sl, sizeof(sl) - 1);
	memcpy(r + sizeof(sl) - 1, req + e, n - (size_t)e);
	return r;
}

FIXTURE(golden) {
	u8 *in, *out;
	size_t n;
	struct sipk_msg m;
};

FIXTURE_VARIANT(golden) {
	const struct golden *g;
};

FIXTURE_VARIANT_ADD(golden, invite) { .g = &g_invite };
FIXTURE_VARIANT_ADD(golden, ack) { .g = &g_ack };
FIXTURE_VARIANT_ADD(golden, cancel) { .g = &g_cancel };
FIXTURE_VARIANT_ADD(golden, bye) { .g = &g_bye };
FIXTURE_VARIANT_ADD(golden, options) { .g = &g_options };
FIXTURE_VARIANT_ADD(golden, invite6) { .g = &g_invite6 };
FIXTURE_VARIANT_ADD(golden, message6) { .g = &g_message6 };
FIXTURE_VARIANT_ADD(golden, invite_rr2) { .g = &g_invite_rr2 };
FIXTURE_VARIANT_ADD(golden, invite_rr1) { .g = &g_invite_rr1 };
FIXTURE_VARIANT_ADD(golden, bye_pop2_line) { .g = &g_bye_pop2_line };
FIXTURE_VARIANT_ADD(golden, bye_pop2_whole) { .g = &g_bye_pop2_whole };
FIXTURE_VARIANT_ADD(golden, bye_pop2_hdrs) { .g = &g_bye_pop2_hdrs };

FIXTURE_SETUP(golden)
{
	self->out = golden_build(_metadata, variant->g, &self->m, &self->in,
				 &self->n);
	ASSERT_NE(NULL, self->out);
}

FIXTURE_TEARDOWN(golden)
{
	free(self->out);
	free(self->in);
}

TEST_F(golden, bytes)
{
	const char *want = variant->g->want;
	long at = sipk_golden_diff(want, self->out, self->n);
	struct sipk_msg o;

	if (at >= 0)
		sipk_golden_report(want, self->out, self->n, at);
	ASSERT_EQ(-1, at);
	ASSERT_EQ(strlen(want), self->n);
	/* the output is itself a valid message, with our branch on top */
	ASSERT_EQ(SIPK_OK, sipk_parse(self->out, self->n, &o));
	ASSERT_EQ(self->n, o.len);
	ASSERT_TRUE(sipk_branch_shape(o.buf + o.via[0].branch.off,
				      o.via[0].branch.len));
	ASSERT_EQ(self->m.via_count + 1, o.via_count);
}

/* A buffer one octet short: -ENOSPC and not one octet written past it. */
TEST_F(golden, short_buffer)
{
	struct sipk_fwd f;
	size_t k;
	u8 *b;

	golden_fwd(variant->g, &self->m, &f);
	for (k = 0; k <= self->n; k++) {
		/* exact heap block: ASan traps a write past the end */
		b = malloc(k ? k : 1);
		ASSERT_NE(NULL, b);
		if (k < self->n) {
			ASSERT_EQ(-ENOSPC, sipk_build_request(&f, b, k)) {
				TH_LOG("outlen %zu of %zu", k, self->n);
			}
		} else {
			ASSERT_EQ((int)self->n, sipk_build_request(&f, b, k));
			ASSERT_EQ(0, memcmp(b, self->out, k));
		}
		free(b);
	}
	/* and with guard octets after the bound */
	b = malloc(self->n + 64);
	ASSERT_NE(NULL, b);
	memset(b, 0xa5, self->n + 64);
	ASSERT_EQ(-ENOSPC, sipk_build_request(&f, b, self->n - 1));
	for (k = self->n - 1; k < self->n + 64; k++) {
		ASSERT_EQ(0xa5, b[k]);
	}
	free(b);
}

/*
 * A response to the forwarded request comes back through us: our Via
 * verifies and the response goes where the request came from.
 */
TEST_F(golden, response_dest)
{
	const struct golden *g = variant->g;
	struct sipk_addr dst, prev, want, src;
	struct sipk_msg r, o;
	size_t rn, on;
	u8 *resp, *out;
	int err;

	resp = ok_for(self->out, self->n, &rn);
	ASSERT_EQ(SIPK_OK, sipk_parse(resp, rn, &r)) {
		TH_LOG("%s at %u", sipk_reason_name(r.reason_code), r.err_off);
	}
	want = sipk_addr_make(g->dst_ip, g->dst_port);
	memset(&dst, 0x77, sizeof(dst));
	ASSERT_EQ(0, sipk_response_dest(&r, &sipk_test_key, &dst));
	ASSERT_TRUE(sipk_addr_same(&want, &dst)) {
		TH_LOG("family %u port %u", dst.family, dst.port);
	}
	src = sipk_addr_make(g->src_ip, g->src_port);
	ASSERT_EQ(0, sipk_request_prev_dest(&self->m, &src, &prev));
	ASSERT_TRUE(sipk_addr_same(&want, &prev));
	/* another key does not verify */
	ASSERT_EQ(-EPERM, sipk_response_dest(&r, &sipk_test_key2, &dst));

	/* the response forwarded: our Via gone, the rest unchanged */
	out = sipk_build_response_exact(&r, &on, &err);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(SIPK_OK, sipk_parse(out, on, &o));
	ASSERT_EQ(r.via_count - 1, o.via_count);
	ASSERT_TRUE(sipk_t_same(&r, r.via[1].value, &o, o.via[0].value));
	ASSERT_EQ(rn - r.via_hdr.line.len, on);
	free(out);
	free(resp);
}

/* ---- responses, byte for byte ---- */

/*
 * A response as the UAS sends it back to us: %s is our branch, taken
 * from the forwarded INVITE.
 */
struct golden_resp {
	const char *name;
	const char *tmpl;	/* printf format: our branch, our sk */
	const char *want;
};

#define RESP_TAIL(to, extra) \
	"To: Bob <sip:bob@example.com>" to "\r\n" \
	DIALOG \
	"CSeq: 314159 INVITE\r\n" \
	extra \
	"Content-Length: 0\r\n" \
	"\r\n"

static const struct golden_resp g_responses[] = {
	{ "100",
	  "SIP/2.0 100 Trying\r\n"
	  "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=%s\r\n"
	  ALICE_VIA_FWD
	  RESP_TAIL("", ""),
	  "SIP/2.0 100 Trying\r\n"
	  ALICE_VIA_FWD
	  RESP_TAIL("", "") },
	{ "180",
	  "SIP/2.0 180 Ringing\r\n"
	  "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=%s\r\n"
	  ALICE_VIA_FWD
	  "Record-Route: <sip:198.18.0.1:5060;lr;sk=%s>\r\n"
	  "Record-Route: <sip:p1.example.org;lr>\r\n"
	  RESP_TAIL(";tag=a6c85cf", "Contact: <sip:bob@198.18.2.2>\r\n"),
	  "SIP/2.0 180 Ringing\r\n"
	  ALICE_VIA_FWD
	  "Record-Route: <sip:198.18.0.1:5060;lr;sk=" SK ">\r\n"
	  "Record-Route: <sip:p1.example.org;lr>\r\n"
	  RESP_TAIL(";tag=a6c85cf", "Contact: <sip:bob@198.18.2.2>\r\n") },
	{ "200",
	  "SIP/2.0 200 OK\r\n"
	  "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=%s\r\n"
	  ALICE_VIA_FWD
	  "Record-Route: <sip:198.18.0.1:5060;lr;sk=%s>\r\n"
	  "Record-Route: <sip:p1.example.org;lr>\r\n"
	  RESP_TAIL(";tag=a6c85cf", "Contact: <sip:bob@198.18.2.2>\r\n"
		    "Content-Type: application/sdp\r\n"),
	  "SIP/2.0 200 OK\r\n"
	  ALICE_VIA_FWD
	  "Record-Route: <sip:198.18.0.1:5060;lr;sk=" SK ">\r\n"
	  "Record-Route: <sip:p1.example.org;lr>\r\n"
	  RESP_TAIL(";tag=a6c85cf", "Contact: <sip:bob@198.18.2.2>\r\n"
		    "Content-Type: application/sdp\r\n") },
	/* both Vias in one header line: only ours and its comma go */
	{ "200-one-line",
	  "SIP/2.0 200 OK\r\n"
	  "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=%s ,  "
	  "SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK776asdhds"
	  ";rport=5062;received=198.18.0.2\r\n"
	  "Record-Route: <sip:198.18.0.1:5060;lr;sk=%s>\r\n"
	  RESP_TAIL(";tag=a6c85cf", ""),
	  "SIP/2.0 200 OK\r\n"
	  "Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK776asdhds"
	  ";rport=5062;received=198.18.0.2\r\n"
	  "Record-Route: <sip:198.18.0.1:5060;lr;sk=" SK ">\r\n"
	  RESP_TAIL(";tag=a6c85cf", "") },
	{ "486",
	  "SIP/2.0 486 Busy Here\r\n"
	  "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=%s\r\n"
	  ALICE_VIA_FWD
	  RESP_TAIL(";tag=a6c85cf", ""),
	  "SIP/2.0 486 Busy Here\r\n"
	  ALICE_VIA_FWD
	  RESP_TAIL(";tag=a6c85cf", "") },
};

/* Our branch and Record-Route MAC from the forwarded golden INVITE. */
static void invite_macs(struct __test_metadata *_metadata,
			const struct golden *g, char *branch, char *sk)
{
	struct sipk_msg m, o;
	size_t n;
	u8 *in, *out;
	long p;

	out = golden_build(_metadata, g, &m, &in, &n);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(SIPK_OK, sipk_parse(out, n, &o));
	ASSERT_EQ(SIPK_BRANCH_LEN, o.via[0].branch.len);
	memcpy(branch, o.buf + o.via[0].branch.off, SIPK_BRANCH_LEN);
	branch[SIPK_BRANCH_LEN] = '\0';
	p = sipk_find(out, n, ";lr;sk=");
	if (sk) {
		ASSERT_LT(0, p);
		memcpy(sk, out + p + 7, 16);
		sk[16] = '\0';
	}
	free(out);
	free(in);
}

/* printf into an exact-size heap block */
static u8 *fmt_exact(size_t *len, const char *fmt, const char *a,
		     const char *b)
{
	char tmp[4096];
	int n;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = snprintf(tmp, sizeof(tmp), fmt, a, b);
#pragma GCC diagnostic pop
	if (n < 0 || (size_t)n >= sizeof(tmp))
		abort();
	*len = (size_t)n;
	return sipk_dup_exact(tmp, (size_t)n);
}

TEST(responses_golden)
{
	char branch[SIPK_BRANCH_LEN + 1], sk[17];
	struct sipk_addr dst, want;
	size_t i;

	invite_macs(_metadata, &g_invite, branch, sk);
	want = sipk_addr_make(TEST_SRC4, 5062);
	for (i = 0; i < ARRAY_SIZE(g_responses); i++) {
		const struct golden_resp *g = &g_responses[i];
		struct sipk_msg r, o;
		size_t rn, on;
		u8 *resp, *out;
		long at;
		int err;

		resp = fmt_exact(&rn, g->tmpl, branch, sk);
		ASSERT_EQ(SIPK_OK, sipk_parse(resp, rn, &r)) {
			TH_LOG("%s: %s at %u", g->name,
			       sipk_reason_name(r.reason_code), r.err_off);
		}
		ASSERT_EQ(0, sipk_response_dest(&r, &sipk_test_key, &dst)) {
			TH_LOG("%s: our Via does not verify", g->name);
		}
		ASSERT_TRUE(sipk_addr_same(&want, &dst));
		out = sipk_build_response_exact(&r, &on, &err);
		ASSERT_NE(NULL, out) {
			TH_LOG("%s: sipk_build_response %d", g->name, err);
		}
		at = sipk_golden_diff(g->want, out, on);
		if (at >= 0)
			sipk_golden_report(g->want, out, on, at);
		ASSERT_EQ(-1, at) {
			TH_LOG("response %s", g->name);
		}
		ASSERT_EQ(SIPK_OK, sipk_parse(out, on, &o));
		ASSERT_EQ(1, o.via_count);
		/* one octet short: refused, nothing past the end */
		free(out);
		out = malloc(on - 1);
		ASSERT_NE(NULL, out);
		ASSERT_EQ(-ENOSPC, sipk_build_response(&r, out, on - 1));
		free(out);
		free(resp);
	}
}

/* The IPv6 INVITE's 486 goes back to [2001:db8::10]:5060. */
TEST(response_golden_ipv6)
{
	static const char tmpl[] =
		"SIP/2.0 486 Busy Here\r\n"
		"Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=%s\r\n"
		"Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bKv6a"
		";rport=5060;received=2001:db8::10\r\n"
		"Record-Route: <sip:[2001:db8::1]:5060;lr;sk=%s>\r\n"
		"To: <sip:bob@example.com>;tag=b6\r\n"
		"From: <sip:alice@example.org>;tag=v6\r\n"
		"Call-ID: v6call@example.org\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	static const char want[] =
		"SIP/2.0 486 Busy Here\r\n"
		"Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bKv6a"
		";rport=5060;received=2001:db8::10\r\n"
		"Record-Route: <sip:[2001:db8::1]:5060;lr;sk=" SK ">\r\n"
		"To: <sip:bob@example.com>;tag=b6\r\n"
		"From: <sip:alice@example.org>;tag=v6\r\n"
		"Call-ID: v6call@example.org\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	char branch[SIPK_BRANCH_LEN + 1], sk[17];
	struct sipk_addr dst, exp;
	struct sipk_msg r;
	size_t rn, on;
	u8 *resp, *out;
	long at;
	int err;

	invite_macs(_metadata, &g_invite6, branch, sk);
	resp = fmt_exact(&rn, tmpl, branch, sk);
	ASSERT_EQ(SIPK_OK, sipk_parse(resp, rn, &r));
	ASSERT_EQ(0, sipk_response_dest(&r, &sipk_test_key, &dst));
	exp = sipk_addr_make(SRC6, 5060);
	ASSERT_TRUE(sipk_addr_same(&exp, &dst));
	out = sipk_build_response_exact(&r, &on, &err);
	ASSERT_NE(NULL, out);
	at = sipk_golden_diff(want, out, on);
	if (at >= 0)
		sipk_golden_report(want, out, on, at);
	ASSERT_EQ(-1, at);
	free(out);
	free(resp);
}

/* ---- the stateless branch (RFC 3261 16.11) ---- */

static void branch_of(struct __test_metadata *_metadata, const char *msg,
		      const char *src_ip, u16 src_port, u8 *br)
{
	struct sipk_addr src = sipk_addr_make(src_ip, src_port);
	size_t len = strlen(msg);
	u8 *b = sipk_dup_exact(msg, len);
	struct sipk_fwd f;
	struct sipk_msg m, o;
	size_t n;
	u8 *out;
	int err;

	ASSERT_NE(NULL, b);
	ASSERT_EQ(SIPK_OK, sipk_parse(b, len, &m)) {
		TH_LOG("%s at %u", sipk_reason_name(m.reason_code), m.err_off);
	}
	ASSERT_EQ(0, sipk_branch(&m, &sipk_test_key, &src, br));
	ASSERT_TRUE(sipk_branch_shape(br, SIPK_BRANCH_LEN));
	/* and it is the one the forwarded request carries */
	sipk_fwd_default(&f, &m);
	f.src = src;
	out = sipk_build_exact(&f, &n, &err);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(SIPK_OK, sipk_parse(out, n, &o));
	ASSERT_TRUE(sipk_t_eq(&o, o.via[0].branch, br, SIPK_BRANCH_LEN));
	free(out);
	free(b);
}

#define SAME_BRANCH(a, b) ASSERT_EQ(0, memcmp(a, b, SIPK_BRANCH_LEN))
#define OTHER_BRANCH(a, b) ASSERT_NE(0, memcmp(a, b, SIPK_BRANCH_LEN))

TEST(branch_rfc3261_transaction)
{
	u8 inv[SIPK_BRANCH_LEN], again[SIPK_BRANCH_LEN];
	u8 cancel[SIPK_BRANCH_LEN], ack[SIPK_BRANCH_LEN];
	u8 other[SIPK_BRANCH_LEN], k2[SIPK_BRANCH_LEN];
	struct sipk_addr src = sipk_addr_make(TEST_SRC4, 5062);
	char *msg;
	struct sipk_msg m;
	size_t len;

	branch_of(_metadata, g_invite.in, TEST_SRC4, 5062, inv);
	branch_of(_metadata, g_invite.in, TEST_SRC4, 5062, again);
	branch_of(_metadata, g_cancel.in, TEST_SRC4, 5062, cancel);
	branch_of(_metadata, g_ack.in, TEST_SRC4, 5062, ack);
	SAME_BRANCH(inv, again);	/* a retransmission */
	SAME_BRANCH(inv, cancel);	/* its CANCEL */
	SAME_BRANCH(inv, ack);		/* the ACK of a non-2xx response */

	/* another transaction: another client branch */
	msg = strdup(g_invite.in);
	ASSERT_NE(NULL, msg);
	memcpy(strstr(msg, "z9hG4bK776asdhds"), "z9hG4bK776asdhdt", 16);
	branch_of(_metadata, msg, TEST_SRC4, 5062, other);
	OTHER_BRANCH(inv, other);
	free(msg);

	/* another key */
	msg = strdup(g_invite.in);
	ASSERT_NE(NULL, msg);
	len = strlen(msg);
	ASSERT_EQ(SIPK_OK, sipk_parse((u8 *)msg, len, &m));
	ASSERT_EQ(0, sipk_branch(&m, &sipk_test_key2, &src, k2));
	OTHER_BRANCH(inv, k2);
	free(msg);
}

/* RFC 2543 clients: no magic cookie, the branch hashes the request. */
#define OLD_INVITE(callid, cseq) \
	"INVITE sip:bob@example.com SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 198.18.0.2:5062\r\n" \
	"Max-Forwards: 70\r\n" \
	"To: <sip:bob@example.com>\r\n" \
	"From: <sip:alice@example.org>;tag=2543\r\n" \
	"Call-ID: " callid "\r\n" \
	"CSeq: " cseq " INVITE\r\n" \
	"Content-Length: 0\r\n" \
	"\r\n"

TEST(branch_rfc2543_transaction)
{
	static const char cancel_msg[] =
		"CANCEL sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5062\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:bob@example.com>\r\n"
		"From: <sip:alice@example.org>;tag=2543\r\n"
		"Call-ID: old1@198.18.0.2\r\n"
		"CSeq: 1 CANCEL\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	u8 inv[SIPK_BRANCH_LEN], again[SIPK_BRANCH_LEN];
	u8 cancel[SIPK_BRANCH_LEN], cid[SIPK_BRANCH_LEN];
	u8 seq[SIPK_BRANCH_LEN];

	branch_of(_metadata, OLD_INVITE("old1@198.18.0.2", "1"), TEST_SRC4,
		  5062, inv);
	branch_of(_metadata, OLD_INVITE("old1@198.18.0.2", "1"), TEST_SRC4,
		  5062, again);
	branch_of(_metadata, cancel_msg, TEST_SRC4, 5062, cancel);
	branch_of(_metadata, OLD_INVITE("old2@198.18.0.2", "1"), TEST_SRC4,
		  5062, cid);
	branch_of(_metadata, OLD_INVITE("old1@198.18.0.2", "2"), TEST_SRC4,
		  5062, seq);
	SAME_BRANCH(inv, again);
	SAME_BRANCH(inv, cancel);
	OTHER_BRANCH(inv, cid);
	OTHER_BRANCH(inv, seq);
}

/* ---- what the MAC protects ---- */

FIXTURE(tamper) {
	char branch[SIPK_BRANCH_LEN + 1];
	char sk[17];
	u8 *resp;
	size_t rn;
};

FIXTURE_SETUP(tamper)
{
	invite_macs(_metadata, &g_invite, self->branch, self->sk);
	self->resp = fmt_exact(&self->rn, g_responses[2].tmpl, self->branch,
			       self->sk);
	ASSERT_NE(NULL, self->resp);
}

FIXTURE_TEARDOWN(tamper)
{
	free(self->resp);
}

/* sipk_response_dest() of @resp with the octet at @at set to @c. */
static int dest_with(const u8 *resp, size_t rn, size_t at, u8 c,
		     struct sipk_addr *dst)
{
	u8 *b = sipk_dup_exact(resp, rn);
	struct sipk_msg m;
	int r;

	if (!b)
		abort();
	b[at] = c;
	if (sipk_parse(b, rn, &m) == SIPK_MALFORMED)
		r = 1;		/* not even parsed: never routed */
	else
		r = sipk_response_dest(&m, &sipk_test_key, dst);
	free(b);
	return r;
}

TEST_F(tamper, untouched_verifies)
{
	struct sipk_addr dst, want = sipk_addr_make(TEST_SRC4, 5062);
	struct sipk_msg m;

	ASSERT_EQ(SIPK_OK, sipk_parse(self->resp, self->rn, &m));
	ASSERT_EQ(0, sipk_response_dest(&m, &sipk_test_key, &dst));
	ASSERT_TRUE(sipk_addr_same(&want, &dst));
}

/* Every hex digit of the branch, to every other hex digit: -EPERM. */
TEST_F(tamper, branch_mac)
{
	static const char hex[] = "0123456789abcdef";
	long b = sipk_find(self->resp, self->rn, self->branch);
	struct sipk_addr dst;
	size_t i, k;

	ASSERT_LT(0, b);
	for (i = 9; i < SIPK_BRANCH_LEN; i++) {
		u8 orig = self->resp[b + i];

		for (k = 0; k < 16; k++) {
			if ((u8)hex[k] == orig)
				continue;
			ASSERT_EQ(-EPERM, dest_with(self->resp, self->rn,
						    b + i, hex[k], &dst)) {
				TH_LOG("branch digit %zu -> %c", i, hex[k]);
			}
		}
		/* an upper-case digit: not ours, or not valid */
		if (orig >= 'a') {
			ASSERT_NE(0, dest_with(self->resp, self->rn, b + i,
					       orig - 'a' + 'A', &dst));
		}
	}
}

TEST_F(tamper, second_via)
{
	long v = sipk_find(self->resp, self->rn,
			   "\r\nVia: SIP/2.0/UDP 198.18.0.2:5062;");
	long rcv, rp, br;
	struct sipk_addr dst;

	ASSERT_LT(0, v);
	rcv = sipk_find(self->resp, self->rn, "received=198.18.0.2");
	rp = sipk_find(self->resp, self->rn, "rport=5062");
	br = sipk_find(self->resp, self->rn, "z9hG4bK776asdhds");
	ASSERT_LT(v, rcv);
	ASSERT_LT(v, rp);
	ASSERT_LT(v, br);
	/* received 198.18.0.2 -> 198.18.0.3, 198.18.0.9, 198.19.0.2 */
	ASSERT_EQ(-EPERM, dest_with(self->resp, self->rn, rcv + 18, '3',
				    &dst));
	ASSERT_EQ(-EPERM, dest_with(self->resp, self->rn, rcv + 18, '9',
				    &dst));
	ASSERT_EQ(-EPERM, dest_with(self->resp, self->rn, rcv + 14, '9',
				    &dst));
	/* rport 5062 -> 5063, 6062 */
	ASSERT_EQ(-EPERM, dest_with(self->resp, self->rn, rp + 9, '3', &dst));
	ASSERT_EQ(-EPERM, dest_with(self->resp, self->rn, rp + 6, '6', &dst));
	/* the client's branch */
	ASSERT_EQ(-EPERM, dest_with(self->resp, self->rn, br + 15, 't', &dst));
	ASSERT_EQ(-EPERM, dest_with(self->resp, self->rn, br + 7, '8', &dst));
}

/* Copies @s into @d replacing each @from by @to. */
static void replace_all(char *d, size_t cap, const char *s, const char *from,
			const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), o = 0;

	while (*s) {
		if (!strncmp(s, from, fl)) {
			if (o + tl >= cap)
				abort();
			memcpy(d + o, to, tl);
			o += tl;
			s += fl;
		} else {
			if (o + 1 >= cap)
				abort();
			d[o++] = *s++;
		}
	}
	d[o] = '\0';
}

/*
 * The Via below ours rewritten so that the response would go elsewhere:
 * refused.  (The MAC binds the destination, not the octets: an edit that
 * leaves the destination as it was is harmless and not tested here.)
 */
TEST_F(tamper, redirected_via)
{
	static const char * const swaps[][4] = {
		{ "received=198.18.0.2", "received=203.0.113.9" },
		{ "received=198.18.0.2", "received=198.18.0.22" },
		{ ";rport=5062", ";rport=9" },
		{ ";received=198.18.0.2", ";received=::ffff:198.18.0.2" },
		{ ";received=198.18.0.2", ";received=[::ffff:198.18.0.2]" },
		/* no rport any more: the port of sent-by would be used */
		{ ";rport=5062", "", "198.18.0.2:5062;", "198.18.0.2:5070;" },
		/* no received: sent-by, now someone else's */
		{ ";received=198.18.0.2", "", "198.18.0.2:5062;",
		  "203.0.113.9:5062;" },
	};
	char tmpl[2048], tmp[2048];
	struct sipk_addr dst;
	struct sipk_msg m;
	size_t i, n;
	u8 *b;

	for (i = 0; i < ARRAY_SIZE(swaps); i++) {
		replace_all(tmpl, sizeof(tmpl), g_responses[2].tmpl,
			    swaps[i][0], swaps[i][1]);
		if (swaps[i][2]) {
			replace_all(tmp, sizeof(tmp), tmpl, swaps[i][2],
				    swaps[i][3]);
			memcpy(tmpl, tmp, sizeof(tmpl));
		}
		b = fmt_exact(&n, tmpl, self->branch, self->sk);
		ASSERT_EQ(SIPK_OK, sipk_parse(b, n, &m));
		ASSERT_EQ(-EPERM, sipk_response_dest(&m, &sipk_test_key,
						     &dst)) {
			TH_LOG("'%s' -> '%s'", swaps[i][0], swaps[i][1]);
		}
		free(b);
	}
}

TEST(not_our_via)
{
	static const char * const tops[] = {
		"z9hG4bKother",
		"z9hG4bKsk0123",
		/* our prefix and length, but not hex */
		"z9hG4bKskxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		/* one hex digit too many */
		"z9hG4bKsk0123456789abcdef0123456789abcdef0",
	};
	char msg[1024];
	struct sipk_addr dst;
	struct sipk_msg m;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tops); i++) {
		int n = snprintf(msg, sizeof(msg),
			"SIP/2.0 200 OK\r\n"
			"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=%s\r\n"
			ALICE_VIA_FWD
			RESP_TAIL(";tag=a6c85cf", ""), tops[i]);
		u8 *b = sipk_dup_exact(msg, (size_t)n);

		ASSERT_EQ(SIPK_OK, sipk_parse(b, (size_t)n, &m));
		ASSERT_EQ(-ENOENT, sipk_response_dest(&m, &sipk_test_key,
						      &dst)) {
			TH_LOG("top branch %s", tops[i]);
		}
		free(b);
	}
}

/* A response whose only Via is ours has nowhere to go. */
TEST(only_our_via)
{
	char branch[SIPK_BRANCH_LEN + 1], msg[1024];
	struct sipk_addr dst;
	struct sipk_msg m;
	u8 out[1024];
	int n;

	invite_macs(_metadata, &g_invite, branch, NULL);
	n = snprintf(msg, sizeof(msg),
		     "SIP/2.0 200 OK\r\n"
		     "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=%s\r\n"
		     RESP_TAIL(";tag=a6c85cf", ""), branch);
	ASSERT_NE(SIPK_MALFORMED, sipk_parse((u8 *)msg, (size_t)n, &m));
	ASSERT_NE(0, sipk_response_dest(&m, &sipk_test_key, &dst));
	ASSERT_EQ(-EINVAL, sipk_build_response(&m, out, sizeof(out)));
}

/* ---- our Record-Route, in a later request's Route ---- */

static bool route_ours(const char *sk, const char *callid, const char *k,
		       const sipk_key_t *key, const char *from, const char *to)
{
	struct sipk_addr src = sipk_addr_make(from, 5060);
	struct sipk_addr dst = sipk_addr_make(to, 5062);
	char msg[1024];
	struct sipk_msg m;
	bool r;
	int n = snprintf(msg, sizeof(msg),
		"BYE sip:alice@198.18.0.2:5062 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.2.2:5060;branch=z9hG4bKbye1\r\n"
		"Max-Forwards: 70\r\n"
		"Route: <sip:198.18.0.1:5060;lr;%s=%s>, <sip:p1.example.org;lr>"
		"\r\n"
		"From: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
		"To: Alice <sip:alice@example.org>;tag=1928301774\r\n"
		"Call-ID: %s\r\n"
		"CSeq: 1 BYE\r\n"
		"Content-Length: 0\r\n"
		"\r\n", k, sk, callid);
	u8 *b = sipk_dup_exact(msg, (size_t)n);

	if (!b || sipk_parse(b, (size_t)n, &m) != SIPK_OK)
		abort();
	r = sipk_route_is_ours(&m, key, &src, &dst);
	free(b);
	return r;
}

TEST(record_route_mac)
{
	char branch[SIPK_BRANCH_LEN + 1], sk[17], bad[17];
	const char *cid = "a84b4c76e66710@pc33.example.org";
	size_t i;

	invite_macs(_metadata, &g_invite, branch, sk);
	/* the callee's BYE to the caller, and the caller's to the callee */
	ASSERT_TRUE(route_ours(sk, cid, "sk", &sipk_test_key, TEST_DST4,
			       TEST_SRC4));
	ASSERT_TRUE(route_ours(sk, cid, "sk", &sipk_test_key, TEST_SRC4,
			       TEST_DST4));
	/* another dialog, another key, another parameter name */
	ASSERT_FALSE(route_ours(sk, "other@pc33.example.org", "sk",
				&sipk_test_key, TEST_DST4, TEST_SRC4));
	ASSERT_FALSE(route_ours(sk, cid, "sk", &sipk_test_key2, TEST_DST4,
				TEST_SRC4));
	ASSERT_FALSE(route_ours(sk, cid, "xk", &sipk_test_key, TEST_DST4,
				TEST_SRC4));
	/* a party of the dialog cannot point the kernel at a third host */
	ASSERT_FALSE(route_ours(sk, cid, "sk", &sipk_test_key, TEST_SRC4,
				"198.18.9.9"));
	ASSERT_FALSE(route_ours(sk, cid, "sk", &sipk_test_key, "198.18.9.9",
				TEST_DST4));
	for (i = 0; i < 16; i++) {
		memcpy(bad, sk, sizeof(bad));
		bad[i] = bad[i] == '0' ? '1' : '0';
		ASSERT_FALSE(route_ours(bad, cid, "sk", &sipk_test_key,
					TEST_DST4, TEST_SRC4));
	}
}

/* ---- following Routes: ours popped, then the next Route or the R-URI ---- */

static int route_next_try(const char *ruri, const char *routes,
			  const char *from, struct sipk_addr *dst, u8 *npop)
{
	struct sipk_addr src = sipk_addr_make(from, 5060);
	char msg[1024];
	struct sipk_msg m;
	int r, n = snprintf(msg, sizeof(msg),
		"BYE %s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.2.2:5060;branch=z9hG4bKbye2\r\n"
		"Max-Forwards: 70\r\n"
		"%s"
		"From: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
		"To: Alice <sip:alice@example.org>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@pc33.example.org\r\n"
		"CSeq: 1 BYE\r\n"
		"Content-Length: 0\r\n"
		"\r\n", ruri, routes);
	u8 *b = sipk_dup_exact(msg, (size_t)n);

	if (!b || sipk_parse(b, (size_t)n, &m) != SIPK_OK)
		abort();
	memset(dst, 0, sizeof(*dst));
	r = sipk_route_next(&m, &sipk_test_key, &src, dst, npop);
	free(b);
	return r;
}

#define US_IN	"<sip:198.18.1.1:5060;lr;sk=%s>"
#define US_OUT	"<sip:198.18.0.1:5060;lr;sk=%s>"

TEST(route_next)
{
	static const struct {
		const char *ruri, *routes;	/* routes: %s is the sk */
		int err;
		u8 npop;
		const char *dst;
		u16 port;
	} c[] = {
		/* double RR, both ours in one line: to the Request-URI */
		{ "sip:bob@198.18.2.2:5062", "Route: " US_IN ", " US_OUT "\r\n",
		  0, 2, TEST_DST4, 5062 },
		/* both ours in two lines, then a next Route (no port: 5060) */
		{ "sip:bob@example.com", "Route: " US_IN "\r\nRoute: " US_OUT
		  ", <sip:198.18.2.2;lr>\r\n", 0, 2, TEST_DST4, 5060 },
		/* one of ours, then a next Route with a port and transport */
		{ "sip:bob@example.com", "Route: " US_OUT ",<sip:198.18.2.2:5070"
		  ";transport=UDP;lr>\r\n", 0, 1, TEST_DST4, 5070 },
		/* the next Route is a third address: the MAC does not bind it */
		{ "sip:bob@198.18.2.2", "Route: " US_OUT ", <sip:198.18.9.9;lr>"
		  "\r\n", -ENOENT, 1, NULL, 0 },
		{ "sip:bob@198.18.2.2", "Route: " US_IN ", " US_OUT
		  ", <sip:198.18.9.9;lr>\r\n", -ENOENT, 2, NULL, 0 },
		/* a host name, not for the kernel to resolve */
		{ "sip:bob@198.18.2.2", "Route: " US_OUT ", <sip:p2.example.net"
		  ";lr>\r\n", -EHOSTUNREACH, 1, NULL, 0 },
		{ "sip:bob@example.com", "Route: " US_OUT "\r\n", -EHOSTUNREACH,
		  1, NULL, 0 },
		/* not UDP, not where the host says, not sip: */
		{ "sip:bob@198.18.2.2", "Route: " US_OUT ", <sip:198.18.2.2"
		  ";transport=tcp;lr>\r\n", -EPROTONOSUPPORT, 1, NULL, 0 },
		{ "sip:bob@198.18.2.2", "Route: " US_OUT ", <sip:198.18.2.2"
		  ";maddr=198.18.9.9;lr>\r\n", -EPROTONOSUPPORT, 1, NULL, 0 },
		{ "sip:bob@198.18.2.2", "Route: " US_OUT ", <sips:198.18.2.2"
		  ";lr>\r\n", -EPROTONOSUPPORT, 1, NULL, 0 },
		{ "sip:bob@198.18.2.2", "Route: " US_OUT ", <tel:+15551234>\r\n",
		  -EPROTONOSUPPORT, 1, NULL, 0 },
		/* no sk on the first Route: not ours */
		{ "sip:bob@198.18.2.2", "Route: <sip:198.18.0.1;lr>, " US_OUT
		  "\r\n", -ENOENT, 0, NULL, 0 },
	};
	char branch[SIPK_BRANCH_LEN + 1], sk[17], bad[17], routes[512];
	struct sipk_addr dst, want;
	size_t i;
	u8 npop;
	int r;

	invite_macs(_metadata, &g_invite_rr2, branch, sk);
	memcpy(bad, sk, sizeof(bad));
	bad[3] = bad[3] == '0' ? '1' : '0';
	for (i = 0; i < ARRAY_SIZE(c); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(routes, sizeof(routes), c[i].routes, sk, sk);
#pragma GCC diagnostic pop
		r = route_next_try(c[i].ruri, routes, TEST_SRC4, &dst, &npop);
		ASSERT_EQ(c[i].err, r) {
			TH_LOG("case %zu: %s", i, routes);
		}
		ASSERT_EQ(c[i].npop, npop) {
			TH_LOG("case %zu", i);
		}
		if (c[i].err)
			continue;
		want = sipk_addr_make(c[i].dst, c[i].port);
		ASSERT_EQ(want.family, dst.family);
		ASSERT_EQ(0, memcmp(want.addr, dst.addr, 4));
		ASSERT_EQ(want.port, dst.port);
		/* the other party of the dialog: the MAC binds both */
		ASSERT_EQ(-ENOENT, route_next_try(c[i].ruri, routes,
						  "198.18.9.9", &dst, &npop));
	}
	/* a forged MAC; two different sk values: only the first is ours */
	snprintf(routes, sizeof(routes), "Route: " US_IN ", " US_OUT "\r\n",
		 bad, bad);
	ASSERT_EQ(-ENOENT, route_next_try("sip:bob@198.18.2.2", routes,
					  TEST_SRC4, &dst, &npop));
	snprintf(routes, sizeof(routes), "Route: " US_OUT ", " US_IN "\r\n",
		 sk, bad);
	ASSERT_EQ(-ENOENT, route_next_try("sip:bob@198.18.2.2", routes,
					  TEST_SRC4, &dst, &npop));
	ASSERT_EQ(1, npop);
}

/* ---- addresses: what goes into received and our Via ---- */

TEST(ip_literals)
{
	static const struct {
		const char *in, *out;	/* out: RFC 5952 text, NULL: invalid */
	} ips[] = {
		{ "198.18.0.1", "198.18.0.1" },
		{ "0.0.0.0", "0.0.0.0" },
		{ "255.255.255.255", "255.255.255.255" },
		{ "[2001:db8::1]", "[2001:db8::1]" },
		{ "[2001:DB8:0:0:0:0:0:1]", "[2001:db8::1]" },
		{ "[2001:0db8:0000:0000:0000:0000:0000:0010]", "[2001:db8::10]" },
		/* the longest run of zeros, the first of two as long */
		{ "[2001:db8:0:0:1:0:0:1]", "[2001:db8::1:0:0:1]" },
		{ "[2001:0:0:1:0:0:0:1]", "[2001:0:0:1::1]" },
		/* a single zero group is not compressed */
		{ "[2001:db8:0:1:1:1:1:1]", "[2001:db8:0:1:1:1:1:1]" },
		{ "[::]", "[::]" },
		{ "[::1]", "[::1]" },
		{ "[1::]", "[1::]" },
		{ "[1:2:3:4:5:6:7::]", "[1:2:3:4:5:6:7:0]" },
		{ "[2001:db8:1:2:3:4:5:6]", "[2001:db8:1:2:3:4:5:6]" },
		{ "256.0.0.1", NULL }, { "1.2.3", NULL }, { "1.2.3.4.5", NULL },
		{ "1..2.3", NULL }, { "", NULL }, { "[]", NULL },
		{ "[2001:db8::1", NULL }, { "2001:db8::1", NULL },
		{ "[1:2:3:4:5:6:7:8:9]", NULL }, { "[1::2::3]", NULL },
		{ "[12345::]", NULL }, { "[:1]", NULL }, { "[1:]", NULL },
		{ "[::1.2.3]", NULL }, { "[g::]", NULL }, { " 1.2.3.4", NULL },
		{ "1.2.3.4 ", NULL }, { "[1.2.3.4]", NULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ips); i++) {
		size_t l = strlen(ips[i].in);
		u8 *b = sipk_dup_exact(ips[i].in, l);
		struct sipk_addr a, want;
		char txt[64], bare[64];
		int r, n;

		ASSERT_NE(NULL, b);
		r = sipk_parse_ip(b, l, &a);
		if (!ips[i].out) {
			ASSERT_EQ(-EINVAL, r) {
				TH_LOG("accepted '%s'", ips[i].in);
			}
			free(b);
			continue;
		}
		ASSERT_EQ(0, r) {
			TH_LOG("rejected '%s'", ips[i].in);
		}
		/* the same octets as inet_pton() reads */
		snprintf(bare, sizeof(bare), "%.*s",
			 (int)(ips[i].in[0] == '[' ? l - 2 : l),
			 ips[i].in + (ips[i].in[0] == '['));
		want = sipk_addr_make(bare, 0);
		ASSERT_EQ(want.family, a.family);
		ASSERT_EQ(0, memcmp(want.addr, a.addr, a.family == 4 ? 4 : 16));
		n = sipk_format_host(&a, txt, sizeof(txt));
		ASSERT_EQ((int)strlen(ips[i].out), n);
		ASSERT_STREQ(ips[i].out, txt);
		/* no room for the NUL: refused */
		ASSERT_EQ(-ENOSPC, sipk_format_host(&a, txt, (size_t)n));
		free(b);
	}
}

TEST_HARNESS_MAIN
