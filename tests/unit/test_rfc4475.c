// SPDX-License-Identifier: GPL-2.0
/*
 * test_rfc4475.c - the 49 torture messages of RFC 4475 through the parser,
 * with the verdict the RFC expects of a proxy, and the valid ones through
 * the rewriter, checking the forwarded message field by field.
 *
 * The files are read byte-exact from $SIPK_TESTDATA/rfc4475 (default: the
 * path the Makefile passes, ../shared/testdata beside the repository).
 */
#include <dirent.h>

#include "sipk_test.h"
#include "kselftest_harness.h"

enum expect {
	VALID,		/* must not be SIPK_MALFORMED */
	INVALID,	/* must be SIPK_MALFORMED */
};

/* ANY: SIPK_OK or SIPK_UNSUPPORTED, whichever the fast path decides */
#define ANY	-1
#define OK	SIPK_OK
#define UNSUP	SIPK_UNSUPPORTED
#define BAD	SIPK_MALFORMED

struct rfc_case {
	const char *name;
	const char *section;	/* of RFC 4475 */
	enum expect expect;
	int verdict;		/* ANY or the exact verdict */
	const char *reasons;	/* NULL, or "a|b": acceptable reason names */
};

/*
 * One entry per file.  Reasons are pinned where the RFC names the defect
 * (or where the fast path must hand a valid message up for a reason the
 * RFC describes); several names are allowed where the message carries
 * more than one defect and either may be found first.
 */
#define RFC4475_CASES(X)                                                \
	/* 3.1.1 valid messages */                                      \
	X(wsinv,      "3.1.1", VALID,   ANY,   NULL)                    \
	X(intmeth,    "3.1.1", VALID,   ANY,   NULL)                    \
	X(esc01,      "3.1.1", VALID,   ANY,   NULL)                    \
	X(escnull,    "3.1.1", VALID,   ANY,   NULL)                    \
	X(esc02,      "3.1.1", VALID,   ANY,   NULL)                    \
	X(lwsdisp,    "3.1.1", VALID,   ANY,   NULL)                    \
	X(longreq,    "3.1.1", VALID,   ANY,   NULL)                    \
	X(dblreq,     "3.1.1", VALID,   ANY,   NULL)                    \
	X(semiuri,    "3.1.1", VALID,   ANY,   NULL)                    \
	X(transports, "3.1.1", VALID,   ANY,   NULL)                    \
	X(mpart01,    "3.1.1", VALID,   ANY,   NULL)                    \
	X(unreason,   "3.1.1", VALID,   ANY,   NULL)                    \
	X(noreason,   "3.1.1", VALID,   ANY,   NULL)                    \
	/* 3.1.2 invalid messages */                                    \
	X(badinv01,   "3.1.2", INVALID, BAD,   "via|contact")           \
	X(clerr,      "3.1.2", INVALID, BAD,   "content-length")        \
	X(scalar02,   "3.1.2", INVALID, BAD,   "cseq|max-forwards")     \
	X(scalarlg,   "3.1.2", INVALID, BAD,   "cseq")                  \
	X(quotbal,    "3.1.2", INVALID, BAD,   "to")                    \
	X(ltgtruri,   "3.1.2", INVALID, BAD,   "request-uri")           \
	X(lwsruri,    "3.1.2", INVALID, BAD,   "request-uri|start-line") \
	X(lwsstart,   "3.1.2", INVALID, BAD,   "start-line|request-uri") \
	X(trws,       "3.1.2", INVALID, BAD,   "start-line|version")    \
	X(escruri,    "3.1.2", INVALID, BAD,   "request-uri")           \
	X(baddate,    "3.1.2", INVALID, BAD,   "date")                  \
	X(regbadct,   "3.1.2", INVALID, BAD,   "contact")               \
	X(badaspec,   "3.1.2", INVALID, BAD,   "to")                    \
	X(baddn,      "3.1.2", INVALID, BAD,   "from|to")               \
	X(badvers,    "3.1.2", INVALID, BAD,   "version")               \
	X(mismatch01, "3.1.2", INVALID, BAD,   "cseq-method")           \
	X(mismatch02, "3.1.2", INVALID, BAD,   "cseq-method")           \
	X(bigcode,    "3.1.2", INVALID, BAD,   "status-code")           \
	X(ncl,        "3.1.2", INVALID, BAD,   "content-length")        \
	/* 3.2 transaction layer */                                     \
	X(badbranch,  "3.2",   VALID,   ANY,   NULL)                    \
	/* 3.3 application layer */                                     \
	X(insuf,      "3.3",   INVALID, BAD,   "missing-header")        \
	X(unkscm,     "3.3",   VALID,   UNSUP, "uri-scheme")            \
	X(novelsc,    "3.3",   VALID,   UNSUP, "uri-scheme")            \
	X(unksm2,     "3.3",   VALID,   ANY,   NULL)                    \
	X(bext01,     "3.3",   VALID,   UNSUP, "proxy-require")         \
	X(invut,      "3.3",   VALID,   ANY,   NULL)                    \
	X(regaut01,   "3.3",   VALID,   ANY,   NULL)                    \
	X(multi01,    "3.3",   INVALID, BAD,   "duplicate-header")      \
	X(mcl01,      "3.3",   INVALID, BAD,   "duplicate-header")      \
	X(bcast,      "3.3",   VALID,   ANY,   NULL)                    \
	X(zeromf,     "3.3",   VALID,   ANY,   NULL)                    \
	X(cparam01,   "3.3",   VALID,   ANY,   NULL)                    \
	X(cparam02,   "3.3",   VALID,   ANY,   NULL)                    \
	X(regescrt,   "3.3",   VALID,   ANY,   NULL)                    \
	X(sdp01,      "3.3",   VALID,   ANY,   NULL)                    \
	/* 3.4 backward compatibility */                                \
	X(inv2543,    "3.4",   VALID,   ANY,   NULL)

#define CASE_STRUCT(n, sec, exp, v, r) \
	static const struct rfc_case case_##n = { #n, sec, exp, v, r };
RFC4475_CASES(CASE_STRUCT)

#define CASE_PTR(n, sec, exp, v, r) &case_##n,
static const struct rfc_case * const all_cases[] = {
	RFC4475_CASES(CASE_PTR)
};

static const struct rfc_case *find_case(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(all_cases); i++)
		if (!strcmp(all_cases[i]->name, name))
			return all_cases[i];
	return NULL;
}

/* Is @name one of the '|'-separated names in @list? */
static bool reason_in(const char *name, const char *list)
{
	size_t n = strlen(name);
	const char *p = list;

	while (*p) {
		const char *e = strchr(p, '|');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && !memcmp(p, name, n))
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/* Every file in the directory has an entry, and every entry a file. */
TEST(all_49_files_covered)
{
	char path[4096];
	bool seen[ARRAY_SIZE(all_cases)] = { false };
	struct dirent *de;
	int files = 0;
	size_t i, j;
	DIR *d;

	ASSERT_EQ(49, ARRAY_SIZE(all_cases));
	for (i = 0; i < ARRAY_SIZE(all_cases); i++) {
		for (j = i + 1; j < ARRAY_SIZE(all_cases); j++) {
			ASSERT_NE(0, strcmp(all_cases[i]->name,
					    all_cases[j]->name));
		}
	}

	snprintf(path, sizeof(path), "%s/rfc4475", sipk_testdata_dir());
	d = opendir(path);
	ASSERT_NE(NULL, d) {
		TH_LOG("cannot open %s: set SIPK_TESTDATA", path);
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char name[256];

		if (l < 5 || strcmp(de->d_name + l - 4, ".dat"))
			continue;
		files++;
		snprintf(name, sizeof(name), "%.*s", (int)(l - 4), de->d_name);
		EXPECT_NE(NULL, find_case(name)) {
			TH_LOG("%s has no entry in the table", de->d_name);
		}
		for (i = 0; i < ARRAY_SIZE(all_cases); i++)
			if (!strcmp(all_cases[i]->name, name))
				seen[i] = true;
	}
	closedir(d);
	EXPECT_EQ(49, files);
	for (i = 0; i < ARRAY_SIZE(all_cases); i++) {
		EXPECT_TRUE(seen[i]) {
			TH_LOG("%s.dat is missing", all_cases[i]->name);
		}
	}
}

FIXTURE(rfc4475) {
	u8 *buf;
	size_t len;
	struct sipk_msg m;
	enum sipk_verdict v;
};

FIXTURE_VARIANT(rfc4475) {
	const struct rfc_case *c;
};

#define CASE_VARIANT(n, sec, exp, v, r) \
	FIXTURE_VARIANT_ADD(rfc4475, n) { .c = &case_##n };
RFC4475_CASES(CASE_VARIANT)

FIXTURE_SETUP(rfc4475)
{
	self->buf = sipk_load_rfc4475(variant->c->name, &self->len);
	ASSERT_NE(NULL, self->buf) {
		TH_LOG("cannot read %s/rfc4475/%s.dat", sipk_testdata_dir(),
		       variant->c->name);
	}
	self->v = sipk_parse(self->buf, self->len, &self->m);
}

FIXTURE_TEARDOWN(rfc4475)
{
	free(self->buf);
}

TEST_F(rfc4475, verdict)
{
	const struct rfc_case *c = variant->c;
	const char *why = sipk_reason_name(self->m.reason_code);

	TH_LOG("%s (RFC 4475 %s): verdict %d, reason %s, at %u", c->name,
	       c->section, self->v, why, self->m.err_off);
	ASSERT_EQ(self->v, self->m.verdict);
	if (c->expect == VALID) {
		ASSERT_NE(SIPK_MALFORMED, self->v);
	} else {
		ASSERT_EQ(SIPK_MALFORMED, self->v);
	}
	if (c->verdict != ANY) {
		ASSERT_EQ(c->verdict, (int)self->v);
	}
	if (self->v == SIPK_OK) {
		ASSERT_EQ(SIPK_R_NONE, self->m.reason_code);
	} else {
		ASSERT_NE(SIPK_R_NONE, self->m.reason_code);
	}
	if (c->reasons) {
		ASSERT_TRUE(reason_in(why, c->reasons)) {
			TH_LOG("reason %s, expected %s", why, c->reasons);
		}
	}
	if (self->v != SIPK_MALFORMED) {
		/* the message is bounded by the datagram */
		ASSERT_EQ(self->len, self->m.dgram_len);
		ASSERT_LE(self->m.len, self->m.dgram_len);
		ASSERT_EQ(self->m.hdr_end + 2, self->m.body_off);
		ASSERT_EQ(self->m.len, self->m.body_off + self->m.body_len);
		ASSERT_EQ(0, memcmp(self->buf + self->m.hdr_end, "\r\n", 2));
		if (self->m.clen >= 0) {
			ASSERT_EQ(self->m.clen, self->m.body_len);
		}
		ASSERT_GE(self->m.via_count, 1);
	}
}

static bool lws_char(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void put(char *out, size_t *o, size_t cap, const char *s, size_t n)
{
	if (*o + n >= cap)
		abort();
	memcpy(out + *o, s, n);
	*o += n;
}

/*
 * The top Via of @m as a proxy must rewrite it for a request from @src
 * (RFC 3261 18.2.1, RFC 3581 4): a bare rport gets the source port, and
 * received is appended when rport is there or sent-by is not the source.
 * Written without the rewriter's helpers: the via-parm is split on ';'.
 */
static size_t expected_prev_via(const struct sipk_msg *m, const char *src_ip,
				u16 src_port, char *out, size_t cap)
{
	const char *v = (const char *)m->buf + m->via[0].value.off;
	size_t vl = m->via[0].value.len, i = 0, o = 0;
	bool rport = false;
	char tmp[64];
	int n;

	/* sent-protocol and sent-by: up to the first ';' */
	while (i < vl && v[i] != ';')
		i++;
	put(out, &o, cap, v, i);
	while (i < vl) {
		size_t ps = i, e = i + 1, s, ne, k;

		while (e < vl && v[e] != ';')
			e++;
		for (s = ps + 1; s < e && lws_char(v[s]); s++)
			;
		for (ne = s; ne < e && v[ne] != '=' && !lws_char(v[ne]); ne++)
			;
		for (k = ne; k < e && lws_char(v[k]); k++)
			;
		if (ne - s == 5 && !strncasecmp(v + s, "rport", 5)) {
			rport = true;
			if (k == e) {
				/* bare rport: "=port" right after its name */
				put(out, &o, cap, v + ps, ne - ps);
				n = snprintf(tmp, sizeof(tmp), "=%u", src_port);
				put(out, &o, cap, tmp, (size_t)n);
				put(out, &o, cap, v + ne, e - ne);
				i = e;
				continue;
			}
		}
		put(out, &o, cap, v + ps, e - ps);
		i = e;
	}
	n = snprintf(tmp, sizeof(tmp), "%.*s", m->via[0].host.len,
		     (const char *)m->buf + m->via[0].host.off);
	if (rport || n <= 0 || strcmp(tmp, src_ip)) {
		n = snprintf(tmp, sizeof(tmp), ";received=%s", src_ip);
		put(out, &o, cap, tmp, (size_t)n);
	}
	return o;
}

/* Checks one forwarded request in detail; frees nothing of the caller's. */
static void check_forward(struct __test_metadata *_metadata,
			  const struct sipk_msg *m, u8 record_route)
{
	struct sipk_fwd f;
	struct sipk_msg o;
	u8 br[SIPK_BRANCH_LEN];
	char want[1024];
	size_t n, wl;
	u8 *out;
	int err;

	sipk_fwd_default(&f, m);
	f.record_route = record_route;
	out = sipk_build_exact(&f, &n, &err);
	ASSERT_NE(NULL, out) {
		TH_LOG("sipk_build_request: %d", err);
	}
	ASSERT_EQ(SIPK_OK, sipk_parse(out, n, &o)) {
		TH_LOG("forwarded message: %s at %u: %.*s",
		       sipk_reason_name(o.reason_code), o.err_off, (int)n,
		       (const char *)out);
	}
	/* the whole output is the message: nothing trails it */
	ASSERT_EQ(n, o.len);
	ASSERT_EQ(n, o.dgram_len);

	/* start line: same method, the new Request-URI */
	ASSERT_TRUE(o.is_request);
	ASSERT_EQ(m->method, o.method);
	ASSERT_TRUE(sipk_t_same(m, m->method_str, &o, o.method_str));
	ASSERT_TRUE(sipk_t_eqs(&o, o.ruri.all, TEST_RURI));

	/* our Via on top, with the stateless branch */
	ASSERT_EQ(m->via_count < 255 ? m->via_count + 1 : 255, o.via_count);
	ASSERT_TRUE(sipk_t_eqs(&o, o.via[0].transport, "UDP"));
	ASSERT_TRUE(sipk_t_eqs(&o, o.via[0].host, TEST_SELF4));
	ASSERT_EQ(5060, o.via[0].port);
	ASSERT_EQ(SIPK_BRANCH_LEN, o.via[0].branch.len);
	ASSERT_TRUE(sipk_branch_shape(o.buf + o.via[0].branch.off,
				      o.via[0].branch.len));
	ASSERT_EQ(0, sipk_branch(m, &sipk_test_key, &f.src, br));
	ASSERT_TRUE(sipk_t_eq(&o, o.via[0].branch, br, sizeof(br)));
	ASSERT_FALSE(o.via[0].has_received);
	ASSERT_FALSE(o.via[0].has_rport);

	/* the previous top Via, with received/rport (RFC 3581) */
	wl = expected_prev_via(m, TEST_SRC4, 5062, want, sizeof(want));
	ASSERT_TRUE(sipk_t_eq(&o, o.via[1].value, want, wl)) {
		char *got = sipk_t_cstr(&o, o.via[1].value);

		TH_LOG("second Via '%s', want '%.*s'", got, (int)wl, want);
		free(got);
	}
	ASSERT_TRUE(sipk_t_same(m, m->via[0].branch, &o, o.via[1].branch));
	ASSERT_TRUE(sipk_t_same(m, m->via[0].host, &o, o.via[1].host));
	ASSERT_TRUE(o.via[1].has_received);
	ASSERT_TRUE(sipk_t_eqs(&o, o.via[1].received, TEST_SRC4));
	if (m->via[0].has_rport) {
		ASSERT_TRUE(sipk_t_eqs(&o, o.via[1].rport, "5062"));
	}

	/* Max-Forwards one less, or 70 when it was absent (16.6 step 3) */
	if (m->max_forwards >= 0) {
		ASSERT_EQ(m->max_forwards - 1, o.max_forwards);
	} else {
		ASSERT_EQ(70, o.max_forwards);
	}

	/* dialog and transaction identifiers unchanged, octet for octet */
	ASSERT_TRUE(sipk_t_same(m, m->call_id.line, &o, o.call_id.line));
	ASSERT_TRUE(sipk_t_same(m, m->cseq_hdr.line, &o, o.cseq_hdr.line));
	ASSERT_TRUE(sipk_t_same(m, m->from.h.line, &o, o.from.h.line));
	ASSERT_TRUE(sipk_t_same(m, m->to.h.line, &o, o.to.h.line));
	ASSERT_EQ(m->cseq, o.cseq);

	/* the body unchanged and Content-Length still right */
	ASSERT_EQ(m->body_len, o.body_len);
	ASSERT_EQ(0, memcmp(m->buf + m->body_off, o.buf + o.body_off,
			    m->body_len));
	ASSERT_EQ(m->clen, o.clen);
	if (o.clen >= 0) {
		ASSERT_EQ(o.clen, o.body_len);
	}

	/* Record-Route when asked, never otherwise */
	if (record_route) {
		ASSERT_TRUE(o.has_record_route);
		ASSERT_LE(0, sipk_find(out, o.hdr_end,
				       "\r\nRecord-Route: <sip:" TEST_SELF4
				       ":5060;lr"));
	} else {
		ASSERT_EQ(m->has_record_route, o.has_record_route);
	}
	free(out);
}

/*
 * The rest of the message is the input with only the expected edits:
 * everything after the start line, less our inserted lines, equals the
 * input's headers with Max-Forwards decremented and the top Via
 * rewritten, then the body.
 */
static void check_forward_rest(struct __test_metadata *_metadata,
			       const struct sipk_msg *m)
{
	struct sipk_fwd f;
	size_t n, wl, e = 0, i;
	char via[1024], mf[8];
	u8 *out, *exp;
	long p;
	int err;

	sipk_fwd_default(&f, m);
	out = sipk_build_exact(&f, &n, &err);
	ASSERT_NE(NULL, out);
	exp = malloc(m->len + 1024);
	ASSERT_NE(NULL, exp);
	wl = expected_prev_via(m, TEST_SRC4, 5062, via, sizeof(via));
	snprintf(mf, sizeof(mf), "%d", m->max_forwards - 1);
	/* splice: the input from its first header to the end of message */
	for (i = (size_t)(sipk_find(m->buf, m->len, "\r\n") + 2);
	     i < m->len; ) {
		if (i == m->via[0].value.off) {
			memcpy(exp + e, via, wl);
			e += wl;
			i += m->via[0].value.len;
		} else if (m->max_forwards >= 0 &&
			   i == m->max_fwd_hdr.value.off) {
			memcpy(exp + e, mf, strlen(mf));
			e += strlen(mf);
			i += m->max_fwd_hdr.value.len;
		} else {
			exp[e++] = m->buf[i++];
		}
	}
	/* the output: skip the start line and our Via (and added MF) */
	p = sipk_find(out, n, "\r\n");
	ASSERT_LT(0, p);
	p += 2;
	ASSERT_EQ(0, memcmp(out + p, "Via: SIP/2.0/UDP ", 17));
	p += sipk_find(out + p, n - (size_t)p, "\r\n") + 2;
	if (m->max_forwards < 0) {
		ASSERT_EQ(0, memcmp(out + p, "Max-Forwards: 70\r\n", 18));
		p += 18;
	}
	ASSERT_EQ(e, n - (size_t)p);
	ASSERT_EQ(0, memcmp(exp, out + p, e)) {
		for (i = 0; i < e && exp[i] == out[p + i]; i++)
			;
		TH_LOG("forwarded message differs at %zu: '%.40s'", i,
		       (const char *)out + p + i);
	}
	free(exp);
	free(out);
}

/* A response: the top Via removed, nothing else changed. */
static void check_response(struct __test_metadata *_metadata,
			   const struct sipk_msg *m)
{
	struct sipk_addr dst;
	struct sipk_msg o;
	size_t n;
	u8 *out;
	int err;

	out = sipk_build_response_exact(m, &n, &err);
	ASSERT_NE(NULL, out) {
		TH_LOG("sipk_build_response: %d", err);
	}
	ASSERT_EQ(SIPK_OK, sipk_parse(out, n, &o)) {
		TH_LOG("%s at %u", sipk_reason_name(o.reason_code), o.err_off);
	}
	ASSERT_FALSE(o.is_request);
	ASSERT_EQ(m->status, o.status);
	ASSERT_EQ(m->via_count - 1, o.via_count);
	ASSERT_TRUE(sipk_t_same(m, m->via[1].value, &o, o.via[0].value));
	ASSERT_EQ(m->len - m->via_hdr.line.len, n);
	if (m->via[1].value.off >= m->via_hdr.line.off + m->via_hdr.line.len) {
		/* the top Via was a line of its own: exactly that line goes */
		u16 s = m->via_hdr.line.off, l = m->via_hdr.line.len;

		ASSERT_EQ(0, memcmp(out, m->buf, s));
		ASSERT_EQ(0, memcmp(out + s, m->buf + s + l, m->len - s - l));
	}
	ASSERT_TRUE(sipk_t_same(m, m->call_id.line, &o, o.call_id.line));
	ASSERT_TRUE(sipk_t_same(m, m->cseq_hdr.line, &o, o.cseq_hdr.line));
	ASSERT_EQ(m->body_len, o.body_len);
	/* not our Via: the kernel must not route it */
	ASSERT_EQ(-ENOENT, sipk_response_dest(m, &sipk_test_key, &dst));
	free(out);
}

TEST_F(rfc4475, forward)
{
	const struct sipk_msg *m = &self->m;
	u8 *big = malloc(SIPK_MAX_MSG + 4096);
	struct sipk_fwd f;

	ASSERT_NE(NULL, big);
	sipk_fwd_default(&f, m);
	if (self->v == SIPK_OK && m->is_request && m->max_forwards != 0) {
		TH_LOG("%s: forwarding", variant->c->name);
		check_forward(_metadata, m, 0);
		check_forward(_metadata, m, 1);
		check_forward_rest(_metadata, m);
	} else if (m->is_request || self->v == SIPK_MALFORMED) {
		/* malformed, unsupported or Max-Forwards 0: handed up */
		TH_LOG("%s: must not be forwarded", variant->c->name);
		ASSERT_EQ(-EINVAL, sipk_build_request(&f, big,
						      SIPK_MAX_MSG + 4096));
	}
	if (!m->is_request && self->v != SIPK_MALFORMED) {
		if (m->via_count >= 2) {
			TH_LOG("%s: response forwarding", variant->c->name);
			check_response(_metadata, m);
		} else {
			/* the only Via is ours to remove: nowhere to go */
			ASSERT_EQ(-EINVAL, sipk_build_response(m, big,
							       SIPK_MAX_MSG));
		}
	}
	if (self->v == SIPK_MALFORMED) {
		ASSERT_EQ(-EINVAL, sipk_build_response(m, big, SIPK_MAX_MSG));
	}
	free(big);
}

/* 3.1.1.8: only the first message, bounded by its Content-Length. */
TEST(dblreq_first_message_only)
{
	struct sipk_msg m, o;
	struct sipk_fwd f;
	size_t len, n;
	u8 *buf, *out;
	long first;
	int err;

	buf = sipk_load_rfc4475("dblreq", &len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(SIPK_OK, sipk_parse(buf, len, &m));
	first = sipk_find(buf, len, "\r\n\r\n");
	ASSERT_LT(0, first);
	ASSERT_EQ(0, m.clen);
	ASSERT_EQ((size_t)first + 4, m.len);
	ASSERT_EQ(len, m.dgram_len);
	ASSERT_LT(m.len, len);
	ASSERT_EQ(0, m.body_len);
	ASSERT_EQ(SIPK_M_REGISTER, m.method);
	ASSERT_TRUE(sipk_t_eqs(&m, m.cseq_method, "REGISTER"));

	sipk_fwd_default(&f, &m);
	out = sipk_build_exact(&f, &n, &err);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(-1, sipk_find(out, n, "INVITE"));
	ASSERT_EQ(-1, sipk_find(out, n, "joe@example.com"));
	ASSERT_EQ(SIPK_OK, sipk_parse(out, n, &o));
	ASSERT_EQ(n, o.len);
	ASSERT_EQ(0, memcmp(out + n - 4, "\r\n\r\n", 4));
	free(out);
	free(buf);
}

/* 3.3.11: Max-Forwards 0 is not forwarded; the daemon answers 483. */
TEST(zeromf_not_forwarded)
{
	struct sipk_msg m;
	struct sipk_fwd f;
	u8 out[2048];
	size_t len;
	u8 *buf;

	buf = sipk_load_rfc4475("zeromf", &len);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(SIPK_MALFORMED, sipk_parse(buf, len, &m));
	ASSERT_EQ(0, m.max_forwards);
	sipk_fwd_default(&f, &m);
	memset(out, 0x5a, sizeof(out));
	ASSERT_EQ(-EINVAL, sipk_build_request(&f, out, sizeof(out)));
	free(buf);
}

TEST_HARNESS_MAIN
