/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sip_core.h - SIP parser and stateless rewriter shared by sipk.ko and
 * userspace.
 *
 * The parser reads one UDP datagram and describes it as offsets into the
 * caller's buffer; it never copies, never allocates and never reads past
 * buf[len - 1].  The rewriter builds a forwarded message into a
 * caller-supplied buffer with a hard bound.
 */
#ifndef _SIPK_SIP_CORE_H
#define _SIPK_SIP_CORE_H

#include "sip_compat.h"

/* A datagram is at most 65535 octets, so 16-bit offsets always suffice. */
#define SIPK_MAX_MSG		65535

struct sipk_str {
	u16 off;
	u16 len;
};

enum sipk_verdict {
	SIPK_OK = 0,
	SIPK_MALFORMED,		/* not valid SIP: never forwarded */
	SIPK_UNSUPPORTED,	/* valid SIP, but not for the fast path */
};

/*
 * Why the parser said what it said.  Each value has a stable name
 * (sipk_reason_name()) that counters and tests use.  Keep in sync with
 * the table in sip_parse.c.
 */
enum sipk_reason {
	SIPK_R_NONE = 0,
	/* malformed */
	SIPK_R_TRUNCATED,	/* no empty line ending the headers */
	SIPK_R_START_LINE,	/* request or status line */
	SIPK_R_VERSION,		/* not SIP/2.0 */
	SIPK_R_METHOD,
	SIPK_R_RURI,
	SIPK_R_STATUS,
	SIPK_R_HEADER,		/* header line without a valid name/colon */
	SIPK_R_VIA,
	SIPK_R_NO_VIA,
	SIPK_R_CSEQ,
	SIPK_R_CSEQ_METHOD,	/* CSeq method does not match the request */
	SIPK_R_MAX_FORWARDS,
	SIPK_R_CONTENT_LENGTH,
	SIPK_R_CALL_ID,
	SIPK_R_FROM,
	SIPK_R_TO,
	SIPK_R_CONTACT,
	SIPK_R_ROUTE,
	SIPK_R_DUPLICATE,	/* a single-valued header appears twice */
	SIPK_R_MISSING,		/* a mandatory header is absent */
	SIPK_R_DATE,
	SIPK_R_BINARY,		/* NUL or control octet in the headers */
	/* unsupported: valid, but handed up */
	SIPK_R_FOLDED,		/* continuation line in a header we rewrite */
	SIPK_R_SCHEME,		/* Request-URI is not sip: */
	SIPK_R_SIPS,		/* sips: needs TLS, not for UDP forwarding */
	SIPK_R_TRANSPORT,	/* top Via is not UDP */
	SIPK_R_TOO_MANY_VIAS,
	SIPK_R_TOO_BIG,
	SIPK_R_PROXY_REQUIRE,	/* a proxy must refuse unknown extensions */
	SIPK_R_VIA_RECEIVED,	/* top Via of a request already has received/rport=N */
	SIPK_R_VIA_MADDR,	/* top Via has maddr */
	SIPK_R_MAX,
};

enum sipk_method {
	SIPK_M_OTHER = 0,
	SIPK_M_INVITE,
	SIPK_M_ACK,
	SIPK_M_BYE,
	SIPK_M_CANCEL,
	SIPK_M_OPTIONS,
	SIPK_M_REGISTER,
	SIPK_M_PRACK,
	SIPK_M_SUBSCRIBE,
	SIPK_M_NOTIFY,
	SIPK_M_PUBLISH,
	SIPK_M_INFO,
	SIPK_M_REFER,
	SIPK_M_MESSAGE,
	SIPK_M_UPDATE,
};

enum sipk_host_type {
	SIPK_HOST_NAME = 0,
	SIPK_HOST_IPV4,
	SIPK_HOST_IPV6,		/* written as a reference: [2001:db8::1] */
};

/* An address and port in network byte order, as the kernel routes it. */
struct sipk_addr {
	u8 family;		/* 4 or 6, 0 when unset */
	u8 addr[16];		/* IPv4 in the first four octets */
	u16 port;		/* host byte order */
};

struct sipk_uri {
	struct sipk_str all;	/* the whole URI */
	struct sipk_str user;	/* may be empty */
	struct sipk_str host;	/* IPv6 references keep their brackets */
	struct sipk_str params;	/* ";..." up to '?' or end, may be empty */
	u16 port;		/* 0 when absent */
	u8 sips;
	u8 host_type;		/* enum sipk_host_type */
	u8 lr;			/* ";lr" present */
	u8 has_headers;		/* "?..." present */
};

struct sipk_via {
	struct sipk_str value;	/* this via-parm, without the comma */
	struct sipk_str transport;
	struct sipk_str host;	/* brackets kept for IPv6 */
	struct sipk_str branch;
	struct sipk_str received;
	struct sipk_str rport;	/* value, empty for a bare ";rport" */
	struct sipk_str maddr;
	u16 port;		/* 0 when absent */
	u8 host_type;
	u8 has_rport;
	u8 has_received;
};

/* One header line: from its first octet up to and including its CRLF. */
struct sipk_hdr {
	struct sipk_str line;
	struct sipk_str value;	/* trimmed value, folding included */
	u8 present;
	u8 folded;
};

/* name-addr / addr-spec with the tag param, for To and From */
struct sipk_naddr {
	struct sipk_hdr h;
	struct sipk_uri uri;
	struct sipk_str tag;
};

struct sipk_msg {
	const u8 *buf;
	u16 len;		/* the message: headers + body bounded by CL */
	u16 dgram_len;		/* what arrived; octets past len are not SIP */
	u8 is_request;
	u8 method;		/* enum sipk_method */
	u8 via_count;		/* number of via-parms, saturating at 255 */
	u8 has_require;
	u8 has_proxy_require;
	u8 has_record_route;
	u8 route_count;		/* route-params, saturating at 255 */
	struct sipk_str method_str;
	struct sipk_uri ruri;
	u16 status;
	struct sipk_str reason;

	u16 hdr_end;		/* offset of the empty line's CRLF */
	u16 body_off;
	u16 body_len;

	struct sipk_hdr via_hdr;	/* header line holding the top Via */
	struct sipk_via via[2];		/* top and second via-parm */

	struct sipk_hdr max_fwd_hdr;
	int max_forwards;		/* -1 when absent */

	struct sipk_hdr route_hdr;	/* first Route header line */
	struct sipk_str route_value;	/* its first route-param, no comma */
	struct sipk_uri route_uri;	/* all.len 0 when not sip: */
	struct sipk_hdr route_hdr2;	/* the line holding the second one */
	struct sipk_str route_value2;	/* the second route-param */
	struct sipk_uri route_uri2;
	struct sipk_hdr route_hdr3;	/* the line holding the third one */
	struct sipk_str route_value3;	/* the third route-param */
	struct sipk_uri route_uri3;

	struct sipk_naddr from;
	struct sipk_naddr to;
	struct sipk_hdr call_id;
	struct sipk_hdr cseq_hdr;
	u32 cseq;
	struct sipk_str cseq_method;
	struct sipk_hdr contact;
	struct sipk_uri contact_uri;	/* first contact, unless "*" */
	struct sipk_hdr content_length;
	int clen;			/* -1 when absent */
	struct sipk_hdr expires;
	int expires_val;		/* -1 when absent */

	enum sipk_verdict verdict;
	enum sipk_reason reason_code;
	u16 err_off;			/* where the parser gave up */
};

/**
 * sipk_parse() - parse one SIP message from a UDP datagram
 * @buf: the datagram
 * @len: its length
 * @m: filled in; m->verdict and m->reason_code say what was found
 *
 * Return: m->verdict.
 */
enum sipk_verdict sipk_parse(const u8 *buf, size_t len, struct sipk_msg *m);

const char *sipk_reason_name(enum sipk_reason r);

/**
 * sipk_parse_uri() - parse a SIP or SIPS URI
 * Return: 0, -EPROTONOSUPPORT for another scheme, -EINVAL when malformed.
 */
int sipk_parse_uri(const u8 *buf, u16 off, u16 len, struct sipk_uri *u);

/**
 * sipk_parse_ip() - read an IPv4 literal or a bracketed IPv6 reference
 * Return: 0 and @a->family/@a->addr set, or -EINVAL.
 */
int sipk_parse_ip(const u8 *s, size_t len, struct sipk_addr *a);

/* Writes an address as a Via host ("198.18.0.1" or "[2001:db8::1]"). */
int sipk_format_host(const struct sipk_addr *a, char *out, size_t outlen);

static inline const u8 *sipk_ptr(const struct sipk_msg *m, struct sipk_str s)
{
	return m->buf + s.off;
}

bool sipk_str_eq(const struct sipk_msg *m, struct sipk_str s, const char *lit);
bool sipk_str_caseeq(const struct sipk_msg *m, struct sipk_str s,
		     const char *lit);

/* ---- the rewriter (RFC 3261 section 16.6, 16.11; RFC 3581) ---- */

#define SIPK_BRANCH_PREFIX	"z9hG4bKsk"
#define SIPK_BRANCH_LEN		(9 + 32)

struct sipk_fwd {
	const struct sipk_msg *m;
	const sipk_key_t *key;
	const u8 *ruri;		/* new Request-URI, NULL keeps it */
	u16 ruri_len;
	struct sipk_addr self;	/* our address and port for Via/Record-Route */
	/*
	 * Where the request arrived (our incoming side); family 0, or the
	 * same as @self, for a single Record-Route.  When it differs, two
	 * are added (RFC 5658): @self on top, then @self_in.
	 */
	struct sipk_addr self_in;
	struct sipk_addr src;	/* where the request came from */
	struct sipk_addr dst;	/* where it goes (binds our Record-Route) */
	u8 pop_route;		/* how many top Routes are ours: 0, 1 or 2 */
	u8 record_route;	/* add Record-Route: <sip:self;lr> */
};

/**
 * sipk_build_request() - build the forwarded request
 * @f: what to do
 * @out: output buffer
 * @outlen: its size; nothing is written past it
 *
 * Pushes our Via (stateless branch), decrements Max-Forwards (adds
 * "Max-Forwards: 70" when absent, RFC 3261 16.6 step 3), fills received/rport on the previous
 * top Via, retargets the Request-URI, pops our Route, and optionally adds
 * Record-Route.  The message must have parsed SIPK_OK and have
 * Max-Forwards > 0.
 *
 * Return: the output length, -ENOSPC when @outlen is too small,
 * -EINVAL when the message cannot be forwarded.
 */
int sipk_build_request(const struct sipk_fwd *f, u8 *out, size_t outlen);

/**
 * sipk_build_response() - remove the top Via of a response
 * Return: the output length, -ENOSPC or -EINVAL.
 */
int sipk_build_response(const struct sipk_msg *m, u8 *out, size_t outlen);

/**
 * sipk_response_dest() - where a response goes after our Via is removed
 * @m: a response whose top Via is ours
 * @key: the per-boot key
 * @dst: the second Via's received/rport, else its sent-by IP literal
 *
 * Verifies the MAC in the top Via's branch against the second Via, so a
 * forged response cannot be reflected anywhere.
 *
 * Return: 0, -ENOENT when the top Via is not ours, -EPERM when its MAC
 * does not verify, -EHOSTUNREACH when the next hop is a host name.
 */
int sipk_response_dest(const struct sipk_msg *m, const sipk_key_t *key,
		       struct sipk_addr *dst);

/**
 * sipk_request_prev_dest() - where responses to a request will go
 * The destination a response reaches once our Via is popped: the top Via
 * of @m as we rewrite it, given the request came from @src.
 */
int sipk_request_prev_dest(const struct sipk_msg *m,
			   const struct sipk_addr *src, struct sipk_addr *dst);

/**
 * sipk_route_is_ours() - is the first Route one we record-routed?
 * @m: an in-dialog request
 * @key: the per-boot key
 * @src: where @m came from
 * @dst: where @m would go (its Request-URI)
 *
 * Our Record-Route URI carries ";sk=" and a MAC over the Call-ID and the
 * two addresses the dialog was set up between (in either order), so a
 * Route naming us cannot be forged, nor replayed by one party of a dialog
 * to make the kernel relay to a third address.
 */
bool sipk_route_is_ours(const struct sipk_msg *m, const sipk_key_t *key,
			const struct sipk_addr *src,
			const struct sipk_addr *dst);

/**
 * sipk_route_next() - where an in-dialog request carrying our Route goes
 * @m: a request with a Route header
 * @key: the per-boot key
 * @src: where @m came from
 * @dst: set to the next hop: the first Route left once ours are removed,
 *	else the Request-URI (an IP literal; its port, else 5060)
 * @npop: set to how many top Routes are ours: 1, or 2 when the second
 *	carries the same ";sk=" as the first (double Record-Route, RFC 5658)
 *
 * The first Route's MAC must verify for @src and the @dst found, so the
 * kernel goes only where the dialog was set up to go.
 *
 * Return: 0, -ENOENT when the first Route is not ours or its MAC does
 * not verify, -EHOSTUNREACH when the next hop is a host name,
 * -EPROTONOSUPPORT when it is not a sip: URI over UDP.
 */
int sipk_route_next(const struct sipk_msg *m, const sipk_key_t *key,
		    const struct sipk_addr *src, struct sipk_addr *dst,
		    u8 *npop);

/**
 * sipk_branch() - the stateless branch for a request (RFC 3261 16.11)
 * @out: at least SIPK_BRANCH_LEN octets; not NUL-terminated
 * Return: 0 or -EINVAL.
 */
int sipk_branch(const struct sipk_msg *m, const sipk_key_t *key,
		const struct sipk_addr *src, u8 *out);

#endif /* _SIPK_SIP_CORE_H */
