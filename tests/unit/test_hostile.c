// SPDX-License-Identifier: GPL-2.0
/*
 * test_hostile.c - the SIP core against hostile input.
 *
 *  - Content-Length: negative, too large, wrapping at 2**32 and 2**64,
 *    duplicated, past the datagram, shorter than the body;
 *  - every prefix of every corpus message, in a heap block of exactly its
 *    size (AddressSanitizer reports any read past it);
 *  - every octet of every corpus message replaced in turn by each of the
 *    octets a parser trips on, and whatever parses as forwardable is
 *    forwarded into an exact-size buffer and parsed again: the rewriter
 *    must never turn a message into one the parser calls malformed, and
 *    it must refuse whatever the parser called malformed;
 *  - output buffers too small by one octet: -ENOSPC, nothing written
 *    past the end.
 *
 * The corpus is the 49 messages of RFC 4475 plus a few of our own that
 * reach the rewriter's less common paths (IPv6, rport, two Route values,
 * compact headers, a response with two Vias in one header).
 */
#include "sipk_test.h"
#include "kselftest_harness.h"

/* ---- the corpus ---- */

#define RFC4475_FILES(X)						\
	X(wsinv) X(intmeth) X(esc01) X(escnull) X(esc02) X(lwsdisp)	\
	X(longreq) X(dblreq) X(semiuri) X(transports) X(mpart01)	\
	X(unreason) X(noreason) X(badinv01) X(clerr) X(scalar02)	\
	X(scalarlg) X(quotbal) X(ltgtruri) X(lwsruri) X(lwsstart)	\
	X(trws) X(escruri) X(baddate) X(regbadct) X(badaspec) X(baddn)	\
	X(badvers) X(mismatch01) X(mismatch02) X(bigcode) X(ncl)	\
	X(badbranch) X(insuf) X(unkscm) X(novelsc) X(unksm2) X(bext01)	\
	X(invut) X(regaut01) X(multi01) X(mcl01) X(bcast) X(zeromf)	\
	X(cparam01) X(cparam02) X(regescrt) X(sdp01) X(inv2543)

static const char syn_invite[] =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bK776asdhds;rport"
	" , SIP/2.0/UDP 198.18.0.9;branch=z9hG4bKx\r\n"
	"Max-Forwards: 70\r\n"
	"Route: <sip:198.18.0.1:5060;lr>, <sip:p2.example.net;lr>\r\n"
	"Record-Route: <sip:p1.example.org;lr>\r\n"
	"To: \"Bob\" <sip:bob@example.com>\r\n"
	"From: Alice <sip:alice@example.org>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@pc33.example.org\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@[2001:db8::10]:5060>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 5\r\n"
	"\r\n"
	"v=0\r\n";

static const char syn_compact[] =
	"MESSAGE sip:bob@198.18.2.2 SIP/2.0\r\n"
	"v: SIP/2.0/UDP\r\n client.example.org:5070;rport;branch=z9hG4bKc1\r\n"
	"t: sip:bob@example.com\r\n"
	"f: <sip:alice@example.org>;tag=9\r\n"
	"i: compact@198.18.0.2\r\n"
	"CSeq: 2 MESSAGE\r\n"
	"Max-Forwards:\r\n 5\r\n"
	"Route: <sip:198.18.0.1;lr>\r\n"
	"c: text/plain\r\n"
	"l: 4\r\n"
	"\r\n"
	"ping";

static const char syn_response[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 198.18.0.1:5060"
	";branch=z9hG4bKsk0123456789abcdef0123456789abcdef , "
	"SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bKa;rport=5062"
	";received=198.18.0.2\r\n"
	"Via: SIP/2.0/UDP [2001:db8::10];branch=z9hG4bKb\r\n"
	"To: <sip:bob@example.com>;tag=a6c85cf\r\n"
	"From: <sip:alice@example.org>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@pc33.example.org\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

FIXTURE(corpus) {
	u8 *buf;
	size_t len;
};

FIXTURE_VARIANT(corpus) {
	const char *file;	/* an RFC 4475 file, or NULL */
	const char *text;	/* else this message */
};

#define FILE_VARIANT(n) \
	FIXTURE_VARIANT_ADD(corpus, n) { .file = #n };
RFC4475_FILES(FILE_VARIANT)
FIXTURE_VARIANT_ADD(corpus, syn_invite) { .text = syn_invite };
FIXTURE_VARIANT_ADD(corpus, syn_compact) { .text = syn_compact };
FIXTURE_VARIANT_ADD(corpus, syn_response) { .text = syn_response };

FIXTURE_SETUP(corpus)
{
	if (variant->file) {
		self->buf = sipk_load_rfc4475(variant->file, &self->len);
		ASSERT_NE(NULL, self->buf) {
			TH_LOG("cannot read %s.dat", variant->file);
		}
	} else {
		self->len = strlen(variant->text);
		self->buf = sipk_dup_exact(variant->text, self->len);
		ASSERT_NE(NULL, self->buf);
	}
}

FIXTURE_TEARDOWN(corpus)
{
	free(self->buf);
}

/* ---- helpers ---- */

struct stats {
	unsigned long parsed, malformed, forwarded, responses;
};

/*
 * The UAS answers the forwarded request @out: the same headers under a
 * status line.  Our Via verifies and the response goes back to where the
 * request came from.
 */
static void round_trip(struct __test_metadata *_metadata,
		       const struct sipk_msg *m, const struct sipk_addr *src,
		       const u8 *out, size_t n)
{
	static const char sl[] = "SIP/2.0 200 OK";
	long e = sipk_find(out, n, "\r\n");
	struct sipk_addr dst, prev;
	struct sipk_msg r;
	size_t rn;
	u8 *resp;

	ASSERT_LT(0, e);
	rn = sizeof(sl) - 1 + n - (size_t)e;
	resp = malloc(rn);
	ASSERT_NE(NULL, resp);
	memcpy(resp, sl, sizeof(sl) - 1);
	memcpy(resp + sizeof(sl) - 1, out + e, n - (size_t)e);
	ASSERT_EQ(SIPK_OK, sipk_parse(resp, rn, &r)) {
		TH_LOG("%s at %u", sipk_reason_name(r.reason_code), r.err_off);
	}
	ASSERT_EQ(0, sipk_response_dest(&r, &sipk_test_key, &dst));
	ASSERT_EQ(0, sipk_request_prev_dest(m, src, &prev));
	ASSERT_TRUE(sipk_addr_same(&prev, &dst));
	ASSERT_EQ(-EPERM, sipk_response_dest(&r, &sipk_test_key2, &dst));
	free(resp);
}

/*
 * Forwards @m (a request that parsed SIPK_OK with Max-Forwards > 0) into
 * an exact-size buffer, checks a buffer one octet short is refused
 * without a write past it, and parses the output again.
 */
static void forward_and_reparse(struct __test_metadata *_metadata,
				const struct sipk_msg *m, unsigned int how,
				struct stats *st)
{
	struct sipk_fwd f;
	struct sipk_msg o;
	size_t n;
	u8 *out, *shrt;
	int err;

	sipk_fwd_default(&f, m);
	/* 0, 1 or 2 of the top Routes ours (RFC 5658 double RR) */
	f.pop_route = (how & 1) + ((how & 3) == 3);
	f.record_route = (how >> 1) & 1;
	if (how & 4) {
		f.src = sipk_addr_make("2001:db8::10", 5060);
		f.self = sipk_addr_make("2001:db8::1", 5060);
		f.self_in = sipk_addr_make("2001:db8::2", 5060);
	} else {
		f.self_in = sipk_addr_make("198.18.1.1", 5060);
	}
	if (how & 8)
		f.ruri = NULL;
	out = sipk_build_exact(&f, &n, &err);
	ASSERT_NE(NULL, out) {
		TH_LOG("sipk_build_request: %d", err);
	}
	st->forwarded++;
	/* one octet short: refused, and ASan sees any write past it */
	shrt = malloc(n - 1);
	ASSERT_NE(NULL, shrt);
	ASSERT_EQ(-ENOSPC, sipk_build_request(&f, shrt, n - 1));
	free(shrt);

	/* never forward what the parser calls malformed */
	ASSERT_NE(SIPK_MALFORMED, sipk_parse(out, n, &o)) {
		TH_LOG("forwarded message malformed (%s at %u):\n%.*s",
		       sipk_reason_name(o.reason_code), o.err_off, (int)n,
		       (const char *)out);
	}
	/* and it is as forwardable as what came in (it is not too big) */
	ASSERT_EQ(SIPK_OK, o.verdict) {
		TH_LOG("forwarded message unsupported (%s)",
		       sipk_reason_name(o.reason_code));
	}
	if (o.verdict == SIPK_OK) {
		ASSERT_EQ(n, o.len);
		ASSERT_EQ(m->via_count < 255 ? m->via_count + 1 : 255,
			  o.via_count);
		ASSERT_EQ(m->max_forwards < 0 ? 70 : m->max_forwards - 1,
			  o.max_forwards);
		ASSERT_EQ(m->body_len, o.body_len);
		ASSERT_EQ(0, memcmp(m->buf + m->body_off, o.buf + o.body_off,
				    m->body_len));
		ASSERT_TRUE(sipk_t_same(m, m->call_id.value, &o,
					o.call_id.value));
		ASSERT_EQ(m->cseq, o.cseq);
		ASSERT_TRUE(sipk_t_same(m, m->from.h.line, &o, o.from.h.line));
		ASSERT_TRUE(sipk_t_same(m, m->to.h.line, &o, o.to.h.line));
		ASSERT_TRUE(sipk_t_same(m, m->cseq_hdr.line, &o,
					o.cseq_hdr.line));
		ASSERT_EQ(m->clen, o.clen);
		if (m->route_count < 255) {
			ASSERT_EQ(m->route_count -
				  (f.pop_route < m->route_count ?
				   f.pop_route : m->route_count),
				  o.route_count);
		}
		ASSERT_EQ(m->has_record_route || f.record_route,
			  o.has_record_route);
		ASSERT_TRUE(sipk_branch_shape(o.buf + o.via[0].branch.off,
					      o.via[0].branch.len));
		round_trip(_metadata, m, &f.src, out, n);
	}
	free(out);
}

static void response_and_reparse(struct __test_metadata *_metadata,
				 const struct sipk_msg *m, struct stats *st)
{
	struct sipk_addr dst;
	struct sipk_msg o;
	size_t n;
	u8 *out, *shrt;
	int err, r;

	out = sipk_build_response_exact(m, &n, &err);
	ASSERT_NE(NULL, out) {
		TH_LOG("sipk_build_response: %d", err);
	}
	st->responses++;
	shrt = malloc(n ? n - 1 : 1);
	ASSERT_NE(NULL, shrt);
	if (n) {
		ASSERT_EQ(-ENOSPC, sipk_build_response(m, shrt, n - 1));
	}
	free(shrt);
	ASSERT_NE(SIPK_MALFORMED, sipk_parse(out, n, &o)) {
		TH_LOG("forwarded response malformed (%s at %u):\n%.*s",
		       sipk_reason_name(o.reason_code), o.err_off, (int)n,
		       (const char *)out);
	}
	ASSERT_EQ(m->via_count - 1, o.via_count);
	r = sipk_response_dest(m, &sipk_test_key, &dst);
	ASSERT_TRUE(r == 0 || r == -ENOENT || r == -EPERM ||
		    r == -EHOSTUNREACH);
	free(out);
}

/* Everything the core offers, on one parsed message. */
static void exercise(struct __test_metadata *_metadata,
		     const struct sipk_msg *m, unsigned int how,
		     struct stats *st)
{
	u8 big[512];
	struct sipk_fwd f;

	st->parsed++;
	if (m->verdict == SIPK_MALFORMED) {
		st->malformed++;
		sipk_fwd_default(&f, m);
		ASSERT_EQ(-EINVAL, sipk_build_request(&f, big, sizeof(big)));
		ASSERT_EQ(-EINVAL, sipk_build_response(m, big, sizeof(big)));
		return;
	}
	if (m->is_request) {
		struct sipk_addr src = sipk_addr_make(TEST_SRC4, 5062), dst;
		u8 br[SIPK_BRANCH_LEN];
		u8 npop;

		(void)sipk_route_is_ours(m, &sipk_test_key, &src, &src);
		if (!sipk_route_next(m, &sipk_test_key, &src, &dst, &npop)) {
			ASSERT_NE(0, dst.family);
		}
		if (!sipk_request_prev_dest(m, &src, &dst)) {
			ASSERT_NE(0, dst.family);
		}
		if (m->via_count)
			(void)sipk_branch(m, &sipk_test_key, &src, br);
		if (m->verdict == SIPK_OK && m->max_forwards != 0) {
			forward_and_reparse(_metadata, m, how, st);
		} else {
			sipk_fwd_default(&f, m);
			ASSERT_EQ(-EINVAL, sipk_build_request(&f, big,
							      sizeof(big)));
		}
	} else if (m->via_count >= 2) {
		response_and_reparse(_metadata, m, st);
	}
}

/* ---- Content-Length ---- */

struct cl_case {
	const char *name;
	const char *hdrs;	/* Content-Length line(s), or "" */
	const char *body;
	int verdict;
	int body_len;		/* when not malformed */
};

static const struct cl_case cl_cases[] = {
	{ "negative", "Content-Length: -1\r\n", "hello", SIPK_MALFORMED, 0 },
	{ "zero_with_body", "Content-Length: 0\r\n", "extra", SIPK_OK, 0 },
	{ "one_less", "Content-Length: 4\r\n", "hello", SIPK_OK, 4 },
	{ "exact", "Content-Length: 5\r\n", "hello", SIPK_OK, 5 },
	{ "one_more", "Content-Length: 6\r\n", "hello", SIPK_MALFORMED, 0 },
	/* 2**32 + 32 wraps to 32 in 32 bits */
	{ "wrap_2_32", "Content-Length: 4294967328\r\n",
	  "0123456789abcdef0123456789abcdef", SIPK_MALFORMED, 0 },
	/* 20 digits: 2**64 + 5 wraps to 5 in 64 bits */
	{ "wrap_2_64", "Content-Length: 18446744073709551621\r\n", "hello",
	  SIPK_MALFORMED, 0 },
	{ "twenty_nines", "Content-Length: 99999999999999999999\r\n", "hello",
	  SIPK_MALFORMED, 0 },
	/* 2**16 + 5 wraps to 5 in 16 bits */
	{ "wrap_2_16", "Content-Length: 65541\r\n", "hello", SIPK_MALFORMED, 0 },
	{ "leading_zeros", "Content-Length: 0009\r\n", "123456789", SIPK_OK,
	  9 },
	{ "conflicting", "Content-Length: 5\r\nContent-Length: 4\r\n", "hello",
	  SIPK_MALFORMED, 0 },
	{ "conflicting_compact", "l: 4\r\nContent-Length: 5\r\n", "hello",
	  SIPK_MALFORMED, 0 },
	{ "two_values", "Content-Length: 5, 4\r\n", "hello",
	  SIPK_MALFORMED, 0 },
	{ "past_datagram", "Content-Length: 100\r\n", "hello",
	  SIPK_MALFORMED, 0 },
	{ "past_max", "Content-Length: 70000\r\n", "hello", SIPK_MALFORMED, 0 },
	{ "plus_sign", "Content-Length: +5\r\n", "hello", SIPK_MALFORMED, 0 },
	{ "hex", "Content-Length: 0x5\r\n", "hello", SIPK_MALFORMED, 0 },
	{ "empty", "Content-Length:\r\n", "hello", SIPK_MALFORMED, 0 },
	{ "inner_space", "Content-Length: 5 0\r\n", "hello", SIPK_MALFORMED, 0 },
	{ "spaces_around", "Content-Length:    5   \r\n", "hello", SIPK_OK, 5 },
	{ "folded", "Content-Length:\r\n 5\r\n", "hello", SIPK_OK, 5 },
	/* UDP: no Content-Length, the body is the rest of the datagram */
	{ "absent", "", "hello", SIPK_OK, 5 },
};

#define CL_BASE \
	"OPTIONS sip:bob@example.com SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 198.18.0.9:5062;branch=z9hG4bKcl\r\n" \
	"Max-Forwards: 70\r\n" \
	"To: <sip:bob@example.com>\r\n" \
	"From: <sip:alice@example.org>;tag=1\r\n" \
	"Call-ID: cl@198.18.0.9\r\n" \
	"CSeq: 1 OPTIONS\r\n"

TEST(content_length)
{
	struct stats st = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cl_cases); i++) {
		const struct cl_case *c = &cl_cases[i];
		char msg[1024];
		size_t hl, len;
		struct sipk_msg m;
		u8 *b;
		int n;

		n = snprintf(msg, sizeof(msg), CL_BASE "%s\r\n%s", c->hdrs,
			     c->body);
		len = (size_t)n;
		hl = len - strlen(c->body);
		b = sipk_dup_exact(msg, len);
		ASSERT_NE(NULL, b);
		ASSERT_EQ(c->verdict, (int)sipk_parse(b, len, &m)) {
			TH_LOG("%s: %s at %u", c->name,
			       sipk_reason_name(m.reason_code), m.err_off);
		}
		if (c->verdict == SIPK_MALFORMED) {
			/* two Content-Length headers: either name will do */
			ASSERT_TRUE(m.reason_code == SIPK_R_CONTENT_LENGTH ||
				    (strstr(c->hdrs, "\r\nContent-Length") &&
				     m.reason_code == SIPK_R_DUPLICATE)) {
				TH_LOG("%s: reason %s", c->name,
				       sipk_reason_name(m.reason_code));
			}
		} else {
			ASSERT_EQ(c->body_len, m.body_len);
			ASSERT_EQ(hl, m.body_off);
			/* octets past Content-Length are not the message */
			ASSERT_EQ(hl + (size_t)c->body_len, m.len);
			ASSERT_EQ(len, m.dgram_len);
		}
		exercise(_metadata, &m, 0, &st);
		if (c->verdict == SIPK_OK) {
			struct sipk_fwd f;
			struct sipk_msg o;
			size_t on;
			u8 *out;
			int err;

			/* forwarded: the excess is dropped, CL still right */
			sipk_fwd_default(&f, &m);
			out = sipk_build_exact(&f, &on, &err);
			ASSERT_NE(NULL, out);
			ASSERT_EQ(SIPK_OK, sipk_parse(out, on, &o));
			ASSERT_EQ(on, o.len);
			ASSERT_EQ(c->body_len, o.body_len);
			ASSERT_EQ(0, memcmp(out + o.body_off, c->body,
					    (size_t)c->body_len));
			free(out);
		}
		free(b);
	}
}

/* ---- Via separators ---- */

/*
 * Via values that must be malformed: via-parms are separated by a COMMA
 * and nothing else (RFC 3261 20.42, 25.1).  A parser that takes any octet
 * for the comma forwards what downstream parses differently, and
 * sipk_build_response() would cut the whole line (no comma) and drop the
 * Via below ours.
 */
static const char * const bad_vias[] = {
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa XSIP/2.0/UDP 192.0.2.2",
	"SIP/2.0/UDP 192.0.2.1 /SIP/2.0/UDP 192.0.2.2",
	"SIP/2.0/UDP 192.0.2.1:5060:SIP/2.0/UDP 192.0.2.2",
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;SIP/2.0/UDP 192.0.2.2",
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa junk",
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa,",
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa,,SIP/2.0/UDP 192.0.2.2",
	"SIP/2.0/UDP",
	"SIP/2.0/UDP192.0.2.1",
	"SIP/2.0 UDP 192.0.2.1",
	"SIP/3.0/UDP 192.0.2.1",
	"SIP/2.0/UDP 192.0.2.1:0",
	"SIP/2.0/UDP 192.0.2.1:65536",
	"SIP/2.0/UDP 192.0.2.1;rport=0",
	"SIP/2.0/UDP 192.0.2.1;received",
	"SIP/2.0/UDP 192.0.2.1;received=example.com",
	"SIP/2.0/UDP 192.0.2.1;branch",
	"SIP/2.0/UDP [2001:db8::1;branch=z9hG4bKa",
	"SIP/2.0/UDP [2001:db8::1::2];branch=z9hG4bKa",
	/*
	 * gen-value = token / host / quoted-string: brackets hold an IPv6
	 * address, not a comma and a via-parm that other parsers see
	 */
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;x=[, SIP/2.0/UDP 192.0.2.2]",
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;x=[junk]",
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;x=[]",
};

static const char * const good_vias[] = {
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa , SIP/2.0/UDP 192.0.2.2",
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa,SIP/2.0/UDP 192.0.2.2",
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa\r\n ,SIP/2.0/UDP 192.0.2.2",
	"SIP / 2.0 / UDP 192.0.2.1 ; branch = z9hG4bKa",
	"sip/2.0/udp 192.0.2.1;BRANCH=z9hG4bKa;rport",
	"SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKa",
	"SIP/2.0/UDP [::ffff:192.0.2.1];branch=z9hG4bKa",
	"SIP/2.0/UDP host.example.com:5060;branch=z9hG4bKa;x=\"y;z\"",
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;x=[2001:db8::1]",
	"SIP/2.0/UDP 192.0.2.1;received=[2001:db8::1];branch=z9hG4bKa",
};

static int via_verdict(const char *via, struct sipk_msg *m, u8 **keep)
{
	char msg[1024];
	int n = snprintf(msg, sizeof(msg),
			 "OPTIONS sip:bob@example.com SIP/2.0\r\n"
			 "Via: %s\r\n"
			 "Max-Forwards: 70\r\n"
			 "To: <sip:bob@example.com>\r\n"
			 "From: <sip:alice@example.org>;tag=1\r\n"
			 "Call-ID: via@198.18.0.9\r\n"
			 "CSeq: 1 OPTIONS\r\n"
			 "Content-Length: 0\r\n"
			 "\r\n", via);

	*keep = sipk_dup_exact(msg, (size_t)n);
	if (!*keep)
		abort();
	return (int)sipk_parse(*keep, (size_t)n, m);
}

TEST(via_syntax)
{
	struct stats st = { 0 };
	struct sipk_msg m;
	size_t i;
	u8 *b;

	for (i = 0; i < ARRAY_SIZE(bad_vias); i++) {
		EXPECT_EQ(SIPK_MALFORMED, via_verdict(bad_vias[i], &m, &b)) {
			TH_LOG("accepted Via: %s (%d vias)", bad_vias[i],
			       m.via_count);
		}
		free(b);
	}
	for (i = 0; i < ARRAY_SIZE(good_vias); i++) {
		EXPECT_NE(SIPK_MALFORMED, via_verdict(good_vias[i], &m, &b)) {
			TH_LOG("rejected Via: %s (%s at %u)", good_vias[i],
			       sipk_reason_name(m.reason_code), m.err_off);
		}
		if (m.verdict != SIPK_MALFORMED)
			exercise(_metadata, &m, 1, &st);
		free(b);
	}
}

/*
 * A response whose two via-parms are run together without a comma: if
 * the parser accepted it, removing "the first via-parm" would cut the
 * whole header and forward a response with no Via for the client.
 */
TEST(response_via_without_comma)
{
	static const char msg[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKsk01 "
		"XSIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bKa\r\n"
		"To: <sip:bob@example.com>;tag=a6c85cf\r\n"
		"From: <sip:alice@example.org>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@pc33.example.org\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	u8 *b = sipk_dup_exact(msg, sizeof(msg) - 1);
	struct sipk_msg m, o;
	u8 out[1024];
	int n;

	ASSERT_NE(NULL, b);
	sipk_parse(b, sizeof(msg) - 1, &m);
	n = sipk_build_response(&m, out, sizeof(out));
	if (m.verdict != SIPK_MALFORMED) {
		/* at the very least the output must keep a Via */
		ASSERT_LT(0, n);
		ASSERT_NE(SIPK_MALFORMED, sipk_parse(out, (size_t)n, &o));
	}
	ASSERT_EQ(SIPK_MALFORMED, m.verdict);
	ASSERT_EQ(-EINVAL, n);
	free(b);
}

/* ---- refusing what must not be forwarded ---- */

TEST(refuses_unforwardable)
{
	static const char msg[] =
		CL_BASE
		"Content-Length: 0\r\n"
		"\r\n";
	u8 *b = sipk_dup_exact(msg, sizeof(msg) - 1);
	struct sipk_msg m;
	struct sipk_fwd f;
	u8 out[2048];

	ASSERT_NE(NULL, b);
	ASSERT_EQ(SIPK_OK, sipk_parse(b, sizeof(msg) - 1, &m));
	sipk_fwd_default(&f, &m);
	ASSERT_LT(0, sipk_build_request(&f, out, sizeof(out)));
	/* the same message, had the parser said otherwise */
	m.verdict = SIPK_MALFORMED;
	ASSERT_EQ(-EINVAL, sipk_build_request(&f, out, sizeof(out)));
	ASSERT_EQ(-EINVAL, sipk_build_response(&m, out, sizeof(out)));
	m.verdict = SIPK_UNSUPPORTED;
	ASSERT_EQ(-EINVAL, sipk_build_request(&f, out, sizeof(out)));
	m.verdict = SIPK_OK;
	m.max_forwards = 0;
	ASSERT_EQ(-EINVAL, sipk_build_request(&f, out, sizeof(out)));
	free(b);
}

/* Max-Forwards at its limits. */
TEST(max_forwards)
{
	static const struct {
		const char *v;
		int verdict, mf;
	} mfs[] = {
		{ "255", SIPK_OK, 255 }, { "1", SIPK_OK, 1 },
		{ "0", SIPK_OK, 0 }, { "00070", SIPK_OK, 70 },
		{ "256", SIPK_MALFORMED, 0 }, { "-1", SIPK_MALFORMED, 0 },
		{ "4294967366", SIPK_MALFORMED, 0 }, { "7 0", SIPK_MALFORMED, 0 },
		{ "", SIPK_MALFORMED, 0 }, { "70;x", SIPK_MALFORMED, 0 },
	};
	struct stats st = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mfs); i++) {
		char msg[1024];
		struct sipk_msg m;
		int n = snprintf(msg, sizeof(msg),
				 "OPTIONS sip:bob@example.com SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 198.18.0.9;branch=z9hG4bKm\r\n"
				 "Max-Forwards: %s\r\n"
				 "To: <sip:bob@example.com>\r\n"
				 "From: <sip:alice@example.org>;tag=1\r\n"
				 "Call-ID: mf@198.18.0.9\r\n"
				 "CSeq: 1 OPTIONS\r\n"
				 "Content-Length: 0\r\n"
				 "\r\n", mfs[i].v);
		u8 *b = sipk_dup_exact(msg, (size_t)n);

		ASSERT_NE(NULL, b);
		ASSERT_EQ(mfs[i].verdict, (int)sipk_parse(b, (size_t)n, &m)) {
			TH_LOG("Max-Forwards: %s", mfs[i].v);
		}
		if (mfs[i].verdict == SIPK_OK) {
			ASSERT_EQ(mfs[i].mf, m.max_forwards);
		}
		exercise(_metadata, &m, 2, &st);
		free(b);
	}
}

/* 300 via-parms: the count saturates, nothing overflows. */
TEST(many_vias)
{
	size_t cap = 65535, len = 0, i;
	char *msg = malloc(cap);
	struct stats st = { 0 };
	struct sipk_msg m;
	u8 *b;

	ASSERT_NE(NULL, msg);
	len += (size_t)snprintf(msg + len, cap - len,
				"OPTIONS sip:bob@example.com SIP/2.0\r\n");
	for (i = 0; i < 300; i++)
		len += (size_t)snprintf(msg + len, cap - len,
					"Via: SIP/2.0/UDP 198.18.%zu.%zu"
					";branch=z9hG4bK%zu\r\n",
					i / 256, i % 256, i);
	len += (size_t)snprintf(msg + len, cap - len,
				"Max-Forwards: 70\r\n"
				"To: <sip:bob@example.com>\r\n"
				"From: <sip:alice@example.org>;tag=1\r\n"
				"Call-ID: many@198.18.0.9\r\n"
				"CSeq: 1 OPTIONS\r\n"
				"Content-Length: 0\r\n"
				"\r\n");
	b = sipk_dup_exact(msg, len);
	ASSERT_NE(NULL, b);
	ASSERT_NE(SIPK_MALFORMED, sipk_parse(b, len, &m));
	ASSERT_EQ(255, m.via_count);
	exercise(_metadata, &m, 3, &st);
	free(b);
	free(msg);
}

/* A datagram of more than 65535 octets is handed up, never parsed. */
TEST(too_big)
{
	size_t len = (size_t)SIPK_MAX_MSG + 1;
	u8 *b = malloc(len);
	struct sipk_msg m;
	u8 out[64];

	ASSERT_NE(NULL, b);
	memset(b, 'A', len);
	ASSERT_EQ(SIPK_UNSUPPORTED, sipk_parse(b, len, &m));
	ASSERT_EQ(SIPK_R_TOO_BIG, m.reason_code);
	ASSERT_EQ(-EINVAL, sipk_build_response(&m, out, sizeof(out)));
	free(b);
}

/* ---- every prefix ---- */

TEST_F(corpus, prefixes)
{
	struct sipk_msg full, m;
	size_t hdr_block = 0, k;

	sipk_parse(self->buf, self->len, &full);
	/* the header block, by our own search for the empty line */
	{
		long e = sipk_find(self->buf, self->len, "\r\n\r\n");

		if (e >= 0)
			hdr_block = (size_t)e + 4;
	}
	for (k = 0; k <= self->len; k++) {
		u8 *b = sipk_dup_exact(self->buf, k);
		enum sipk_verdict v;

		ASSERT_NE(NULL, b);
		v = sipk_parse(b, k, &m);
		ASSERT_EQ(v, m.verdict);
		ASSERT_LE(m.len, k);
		if (k < hdr_block) {
			/* the headers are cut short: never forwardable */
			ASSERT_NE(SIPK_OK, v) {
				TH_LOG("prefix of %zu (headers end at %zu)", k,
				       hdr_block);
			}
		}
		if (full.verdict != SIPK_MALFORMED && full.clen >= 0) {
			if (k < full.len) {
				/* the body is cut short of Content-Length */
				ASSERT_EQ(SIPK_MALFORMED, v) {
					TH_LOG("prefix of %zu < %u", k,
					       full.len);
				}
			} else {
				ASSERT_EQ(full.verdict, v);
				ASSERT_EQ(full.len, m.len);
			}
		}
		free(b);
	}
}

/* ---- every octet replaced ---- */

static const u8 nasty[] = {
	0x00, '\r', '\n', ' ', ':', ';', ',', '<', '"', 0xff,
};

TEST_F_TIMEOUT(corpus, substitutions, 600)
{
	struct stats st = { 0 };
	struct sipk_msg m;
	size_t i, k;
	u8 *b;

	b = sipk_dup_exact(self->buf, self->len);
	ASSERT_NE(NULL, b);
	sipk_parse(b, self->len, &m);
	exercise(_metadata, &m, 0, &st);
	for (i = 0; i < self->len; i++) {
		for (k = 0; k < sizeof(nasty); k++) {
			if (self->buf[i] == nasty[k])
				continue;
			b[i] = nasty[k];
			sipk_parse(b, self->len, &m);
			exercise(_metadata, &m, (unsigned int)(i + k), &st);
		}
		b[i] = self->buf[i];
	}
	free(b);
	printf("# %lu parsed, %lu malformed, %lu requests forwarded, "
	       "%lu responses forwarded\n",
	       st.parsed, st.malformed, st.forwarded, st.responses);
	fflush(stdout);
}

/* A buffer too small by one octet, and by every other amount. */
TEST_F(corpus, short_buffers)
{
	struct sipk_msg m;
	struct sipk_fwd f;
	size_t n, k;
	u8 *out, *b;
	int err;

	sipk_parse(self->buf, self->len, &m);
	if (m.verdict == SIPK_OK && m.is_request && m.max_forwards != 0) {
		sipk_fwd_default(&f, &m);
		f.record_route = 1;
		out = sipk_build_exact(&f, &n, &err);
		ASSERT_NE(NULL, out);
		for (k = 0; k < n; k++) {
			b = malloc(k ? k : 1);
			ASSERT_NE(NULL, b);
			ASSERT_EQ(-ENOSPC, sipk_build_request(&f, b, k));
			free(b);
		}
		/* guard octets: nothing written at or past the bound */
		b = malloc(n + 16);
		ASSERT_NE(NULL, b);
		memset(b, 0xa5, n + 16);
		ASSERT_EQ(-ENOSPC, sipk_build_request(&f, b, n - 1));
		for (k = n - 1; k < n + 16; k++) {
			ASSERT_EQ(0xa5, b[k]);
		}
		ASSERT_EQ((int)n, sipk_build_request(&f, b, n));
		ASSERT_EQ(0, memcmp(b, out, n));
		for (k = n; k < n + 16; k++) {
			ASSERT_EQ(0xa5, b[k]);
		}
		free(b);
		free(out);
	}
	if (m.verdict != SIPK_MALFORMED && !m.is_request && m.via_count >= 2) {
		out = sipk_build_response_exact(&m, &n, &err);
		ASSERT_NE(NULL, out);
		for (k = 0; k < n; k++) {
			b = malloc(k ? k : 1);
			ASSERT_NE(NULL, b);
			ASSERT_EQ(-ENOSPC, sipk_build_response(&m, b, k));
			free(b);
		}
		free(out);
	}
}

TEST_HARNESS_MAIN
