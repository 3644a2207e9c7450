// SPDX-License-Identifier: GPL-2.0
/*
 * netlink.c - the one generic netlink socket sipkctl uses, and the
 * pipeline that keeps it busy.
 *
 * Requests are sent in batches (many messages in one sendmsg()) and
 * answered as they come, with at most a window of requests in flight:
 * 100 000 "loc add" lines cost a few hundred system calls, not 200 000
 * round trips.  Only the last request of a batch asks for an ack
 * (NLM_F_ACK); netlink answers a failed request with an error whether it
 * asked or not, and answers a socket's requests in order, so an answer to
 * request N also settles every request before N that has no error: they
 * succeeded.  The sequence number says which request (and batch line) an
 * answer is for.  A request whose replies are printed ("show") is sent
 * alone, after everything before it has been answered, so output keeps
 * its order.
 *
 * NETLINK_EXT_ACK is on: an error is printed with the kernel's own
 * message (NLMSGERR_ATTR_MSG) and, when the kernel points at an attribute,
 * that attribute's name.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "sipkctl.h"
#include "sipk_nl.h"

#define RCVBUF_WANT	(4 << 20)
#define SNDBUF_WANT	(1 << 20)
#define WINDOW_MAX	1024u
#define SEND_MAX	(128u << 10)	/* octets per sendmsg() */
#define ACK_COST	2048		/* rcvbuf budget per reply in flight */
#define MSG_SIZE	1024		/* the largest request is ~600 octets */
#define RECV_BUF	(64u << 10)	/* > a dump's largest skb (32 KiB) */

struct pending {
	uint32_t seq;
	unsigned int line;
	const struct reply_ops *ops;
	bool busy;
	bool begun;
	bool failed;
};

static struct nl_sock *sk;
static struct nl_cb *cb;
static int family;
static uint32_t seq_next, seq_oldest;	/* next to send; oldest unsettled */

static struct pending ring[WINDOW_MAX];
static unsigned int window, batch, inflight, queued;
static char *sbuf;
static size_t slen, smax, slast;	/* slast: offset of the last message */

unsigned int nl_failures;

/* ---- building requests (before the family id is known) ---- */

static void __attribute__((noreturn)) build_failed(void)
{
	fprintf(stderr, "sipkctl: cannot build a netlink request (out of memory)\n");
	exit(EXIT_NETLINK);
}

/* the family id goes in at send time, see nl_submit() */
struct nl_msg *genl_request(uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(MSG_SIZE);

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0, 0, flags,
				 cmd, SIPK_GENL_VERSION))
		build_failed();
	return msg;
}

/* with NLA_F_NESTED, which the kernel's strict validation needs */
struct nlattr *nest_start(struct nl_msg *msg, int type)
{
	struct nlattr *nest = sipk_nl_nest_start(msg, type);

	if (!nest)
		build_failed();
	return nest;
}

void nest_end(struct nl_msg *msg, struct nlattr *nest)
{
	if (nla_nest_end(msg, nest) < 0)
		build_failed();
}

void put_str(struct nl_msg *msg, int type, const char *s)
{
	if (nla_put_string(msg, type, s) < 0)	/* with its NUL */
		build_failed();
}

void put_u8(struct nl_msg *msg, int type, uint8_t v)
{
	if (nla_put_u8(msg, type, v) < 0)
		build_failed();
}

void put_u16(struct nl_msg *msg, int type, uint16_t v)
{
	if (nla_put_u16(msg, type, v) < 0)
		build_failed();
}

void put_u32(struct nl_msg *msg, int type, uint32_t v)
{
	if (nla_put_u32(msg, type, v) < 0)
		build_failed();
}

/* SIPK_CONTACT_A_IPV4|IPV6 + PORT, inside a CONTACT or NEXTHOP nest */
void put_addr(struct nl_msg *msg, const struct sipk_addr *a)
{
	if (sipk_nl_put_addr(msg, a) < 0)
		build_failed();
}

/* ---- reading replies ---- */

bool attr_str(const struct nlattr *a, char *buf, size_t size)
{
	size_t len;

	if (!a)
		return false;
	len = (size_t)nla_len(a);
	if (len && ((const char *)nla_data(a))[len - 1] == '\0')
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(buf, nla_data(a), len);
	buf[len] = '\0';
	return true;
}

bool attr_u16(const struct nlattr *a, uint16_t *v)
{
	if (!a || nla_len(a) < 2)
		return false;
	*v = nla_get_u16((struct nlattr *)a);
	return true;
}

bool attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || nla_len(a) < 4)
		return false;
	*v = nla_get_u32((struct nlattr *)a);
	return true;
}

const char *format_addr(const struct nlattr *v4, const struct nlattr *v6,
			char *buf, size_t size)
{
	if (v4 && nla_len(v4) == 4)
		return inet_ntop(AF_INET, nla_data(v4), buf, (socklen_t)size);
	if (v6 && nla_len(v6) == 16)
		return inet_ntop(AF_INET6, nla_data(v6), buf, (socklen_t)size);
	return NULL;
}

/* ---- naming the attribute an error points at ---- */

enum attr_table { T_TOP, T_CONTACT, T_CONFIG, T_PORTS, T_NONE };

static const char *const top_names[] = {
	[SIPK_A_AOR] = "aor", [SIPK_A_CONTACT] = "contact",
	[SIPK_A_TARGET] = "target", [SIPK_A_DOMAIN] = "domain",
	[SIPK_A_NEXTHOP] = "nexthop", [SIPK_A_CONFIG] = "config",
	[SIPK_A_STATS] = "stats", [SIPK_A_OWNER] = "owner",
	[SIPK_A_PAD] = "pad",
};

static const char *const contact_names[] = {
	[SIPK_CONTACT_A_URI] = "uri", [SIPK_CONTACT_A_IPV4] = "ipv4",
	[SIPK_CONTACT_A_IPV6] = "ipv6", [SIPK_CONTACT_A_PORT] = "port",
	[SIPK_CONTACT_A_Q] = "q", [SIPK_CONTACT_A_EXPIRES] = "expires",
	[SIPK_CONTACT_A_FLAGS] = "flags", [SIPK_CONTACT_A_OWNER] = "owner",
};

static const char *const config_names[] = {
	[SIPK_CONFIG_A_PORTS] = "ports",
	[SIPK_CONFIG_A_RECORD_ROUTE] = "record-route",
	[SIPK_CONFIG_A_FORK_POLICY] = "fork-policy",
	[SIPK_CONFIG_A_MAX_ENTRIES] = "max-entries",
	[SIPK_CONFIG_A_ENTRIES] = "entries",
};

/*
 * Appends the name of attribute @type of @table to @path ("contact" +
 * "port" -> "contact.port"); returns the table of its children.
 */
static enum attr_table name_attr(enum attr_table table, int type, char *path,
				 size_t size)
{
	const char *name = NULL;
	size_t n = strlen(path);
	enum attr_table child = T_NONE;

	switch (table) {
	case T_TOP:
		if (type < (int)ARRAY_SIZE(top_names))
			name = top_names[type];
		if (type == SIPK_A_CONTACT || type == SIPK_A_NEXTHOP)
			child = T_CONTACT;
		else if (type == SIPK_A_CONFIG)
			child = T_CONFIG;
		break;
	case T_CONTACT:
		if (type < (int)ARRAY_SIZE(contact_names))
			name = contact_names[type];
		break;
	case T_CONFIG:
		if (type < (int)ARRAY_SIZE(config_names))
			name = config_names[type];
		if (type == SIPK_CONFIG_A_PORTS)
			child = T_PORTS;
		break;
	default:
		break;
	}
	if (name)
		snprintf(path + n, size - n, "%s%s", n ? "." : "", name);
	else
		snprintf(path + n, size - n, "%s%d", n ? "." : "", type);
	return child;
}

/*
 * Finds the attribute that starts at offset @off of the request @req (as
 * echoed back in the error) and writes its dotted name ("contact.port").
 */
static bool find_attr(const struct nlmsghdr *req, size_t reqlen, uint32_t off,
		      char *path, size_t size)
{
	const struct nlattr *a = (const void *)((const char *)req +
						NLMSG_HDRLEN + GENL_HDRLEN);
	int rem = (int)reqlen - NLMSG_HDRLEN - GENL_HDRLEN;
	enum attr_table table = T_TOP;

	path[0] = '\0';
	while (rem > 0 && nla_ok(a, rem)) {
		size_t start = (size_t)((const char *)a - (const char *)req);
		size_t end = start + (size_t)a->nla_len;
		enum attr_table child;

		if (off < start || off >= end) {
			a = nla_next(a, &rem);
			continue;
		}
		child = name_attr(table, nla_type(a), path, size);
		if (off == start)
			return true;
		if (child == T_NONE || off < start + NLA_HDRLEN)
			return false;
		table = child;
		rem = nla_len(a);
		a = nla_data(a);
	}
	return false;
}

/* the table of the nest at @off, for NLMSGERR_ATTR_MISS_NEST */
static enum attr_table nest_table(const char *path)
{
	if (!strcmp(path, "contact") || !strcmp(path, "nexthop"))
		return T_CONTACT;
	if (!strcmp(path, "config"))
		return T_CONFIG;
	if (!strcmp(path, "config.ports"))
		return T_PORTS;
	return T_NONE;
}

/*
 * Prints one failed request: the errno text, the kernel's message and
 * the attribute it blames.  @req is the request as echoed (NULL when the
 * ack was capped); @tlv/@tlvlen the extended ack attributes.
 */
static void report(const struct pending *p, int error,
		   const struct nlmsghdr *req, size_t reqlen,
		   const void *tlv, int tlvlen)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { NULL };
	char msg[512] = "", path[128] = "", miss[128] = "";
	uint32_t off;

	if (tlv && tlvlen > 0)
		nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)tlv, tlvlen,
			  NULL);
	attr_str(tb[NLMSGERR_ATTR_MSG], msg, sizeof(msg));
	if (req && attr_u32(tb[NLMSGERR_ATTR_OFFS], &off))
		if (!find_attr(req, reqlen, off, path, sizeof(path)))
			path[0] = '\0';
	if (tb[NLMSGERR_ATTR_MISS_TYPE]) {
		uint32_t type = 0;
		enum attr_table t = T_TOP;

		attr_u32(tb[NLMSGERR_ATTR_MISS_TYPE], &type);
		if (attr_u32(tb[NLMSGERR_ATTR_MISS_NEST], &off)) {
			if (req && find_attr(req, reqlen, off, miss, sizeof(miss)))
				t = nest_table(miss);
			else
				t = T_NONE;
		}
		if (t == T_NONE)
			snprintf(miss, sizeof(miss), "%u", type);
		else
			name_attr(t, (int)type, miss, sizeof(miss));
	}

	fputs("sipkctl: ", stderr);
	if (p && p->line)
		fprintf(stderr, "line %u: ", p->line);
	fputs(strerror(error > 0 ? error : -error), stderr);
	if (msg[0])
		fprintf(stderr, ": %s", msg);
	if (path[0])
		fprintf(stderr, " (attribute %s)", path);
	if (miss[0])
		fprintf(stderr, " (missing attribute %s)", miss);
	fputc('\n', stderr);
}

/* ---- the pipeline ---- */

static struct pending *lookup(uint32_t seq)
{
	struct pending *p;

	if (!window)
		return NULL;
	p = &ring[seq % window];
	return p->busy && p->seq == seq ? p : NULL;
}

static void complete(struct pending *p, int error)
{
	if (error || p->failed)
		nl_failures++;
	if (p->ops) {
		if (!error && !p->begun && p->ops->begin) {
			p->ops->begin();
			p->begun = true;
		}
		if (p->begun && p->ops->end)
			p->ops->end();
	}
	p->busy = false;
	inflight--;
}

static bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/*
 * An answer to @p arrived: every request sent before it that is still
 * waiting asked for no ack and got no error, so it succeeded.
 */
static void settle_before(const struct pending *p)
{
	while (seq_before(seq_oldest, p->seq)) {
		struct pending *q = lookup(seq_oldest);

		if (q)
			complete(q, 0);
		seq_oldest++;
	}
}

/* the final answer to @p: an ack, an error or NLMSG_DONE */
static void settle(struct pending *p, int error)
{
	uint32_t seq = p->seq;

	settle_before(p);
	complete(p, error);
	seq_oldest = seq + 1;
}

static int seq_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;	/* lookup() matches sequence numbers */
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct pending *p = lookup(nlh->nlmsg_seq);

	(void)arg;
	if (!p)
		return NL_SKIP;
	settle_before(p);
	if (!p->ops || !genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) && !p->failed) {
		fputs("sipkctl: ", stderr);
		if (p->line)
			fprintf(stderr, "line %u: ", p->line);
		fputs("the table changed during the dump, the listing may be inconsistent\n",
		      stderr);
		p->failed = true;
	}
	if (!p->begun && p->ops->begin)
		p->ops->begin();
	p->begun = true;
	if (p->ops->reply)
		p->ops->reply(nlh);
	return NL_OK;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct pending *p = lookup(nlmsg_hdr(msg)->nlmsg_seq);

	(void)arg;
	if (p)
		settle(p, 0);
	return NL_OK;
}

/* NLMSG_DONE ends a dump; a dump that failed half way carries the errno */
static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct pending *p = lookup(nlh->nlmsg_seq);
	int error = 0, len = nlmsg_datalen(nlh);

	(void)arg;
	if (!p)
		return NL_OK;
	settle_before(p);
	if (len >= (int)sizeof(int))
		memcpy(&error, nlmsg_data(nlh), sizeof(int));
	if (error < 0) {
		int off = NLMSG_ALIGN(sizeof(int));

		report(p, error, NULL, 0,
		       (nlh->nlmsg_flags & NLM_F_ACK_TLVS) && len > off ?
		       (const char *)nlmsg_data(nlh) + off : NULL, len - off);
	}
	settle(p, error < 0 ? error : 0);
	return NL_OK;
}

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	const struct nlmsghdr *req = NULL;
	size_t hlen = sizeof(*e), reqlen = 0;
	struct pending *p = lookup(nlh->nlmsg_seq);
	const void *tlv = NULL;
	int tlvlen = 0;

	(void)nla;
	(void)arg;
	/* not capped: the whole request follows, its header being e->msg */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len >= NLMSG_HDRLEN &&
		    sizeof(*e) + e->msg.nlmsg_len - NLMSG_HDRLEN <=
		    nlh->nlmsg_len - NLMSG_HDRLEN) {
			req = &e->msg;
			reqlen = e->msg.nlmsg_len;
			hlen += e->msg.nlmsg_len - NLMSG_HDRLEN;
		} else {
			hlen = nlh->nlmsg_len;	/* malformed: no TLVs */
		}
	}
	hlen = NLMSG_ALIGN(hlen);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    NLMSG_HDRLEN + hlen < nlh->nlmsg_len) {
		tlv = (const char *)e + hlen;
		tlvlen = (int)(nlh->nlmsg_len - NLMSG_HDRLEN - hlen);
	}
	if (p)
		settle_before(p);
	report(p, e->error, req, reqlen, tlv, tlvlen);
	if (p)
		settle(p, e->error);
	else
		nl_failures++;
	return NL_SKIP;
}

static void socket_buffers(void)
{
	int fd = nl_socket_get_fd(sk), v;
	socklen_t len = sizeof(v);

	v = RCVBUF_WANT;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	v = SNDBUF_WANT;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));

	v = 0;
	len = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len);
	window = (unsigned int)v / ACK_COST;
	if (window > WINDOW_MAX)
		window = WINDOW_MAX;
	if (window < 8)
		window = 8;
	batch = window / 4;

	v = 0;
	len = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len);
	smax = (size_t)v / 2;
	if (smax > SEND_MAX)
		smax = SEND_MAX;
	if (smax < 8192)
		smax = 8192;
}

static int connect_family(void)
{
	int err = 0;

	switch (sipk_nl_connect(SIPKCTL_FAMILY, &sk, &family, &err)) {
	case SIPK_NL_OK:
		return EXIT_OK;
	case SIPK_NL_NO_FAMILY:
		fprintf(stderr, "sipkctl: the sipk module is not loaded (modprobe sipk)\n");
		return EXIT_NO_MODULE;
	}
	if (!sk || err == -NLE_NOMEM)
		fprintf(stderr, "sipkctl: out of memory\n");
	else
		fprintf(stderr, "sipkctl: cannot reach the %s generic netlink family: %s\n",
			SIPKCTL_FAMILY, nl_geterror(err));
	return EXIT_NETLINK;
}

/* connects and resolves the family: EXIT_OK, EXIT_NETLINK or EXIT_NO_MODULE */
int nl_open(void)
{
	int err = connect_family();

	if (err)
		return err;
	socket_buffers();
	sbuf = malloc(smax);
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!sbuf || !cb) {
		fprintf(stderr, "sipkctl: out of memory\n");
		return EXIT_NETLINK;
	}
	/* one recvmsg() per answer, not a peek and a read */
	if (nl_socket_set_msg_buf_size(sk, RECV_BUF) < 0) {
		fprintf(stderr, "sipkctl: out of memory\n");
		return EXIT_NETLINK;
	}
	nl_socket_disable_msg_peek(sk);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_cb, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, NULL);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, NULL);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, NULL);
	nl_cb_err(cb, NL_CB_CUSTOM, err_cb, NULL);
	seq_next = nl_socket_use_seq(sk) + 1;
	seq_oldest = seq_next;
	return EXIT_OK;
}

/* every request still unanswered failed: the replies are lost */
static void abandon(const char *why, int err)
{
	unsigned int i;

	fprintf(stderr, "sipkctl: %s: %s; %u request%s without an answer\n",
		why, nl_geterror(err), inflight + queued,
		inflight + queued == 1 ? "" : "s");
	for (i = 0; i < window; i++) {
		struct pending *p = &ring[i];

		if (!p->busy)
			continue;
		if (p->begun && p->ops->end)
			p->ops->end();
		p->busy = false;
		nl_failures++;
	}
	inflight = queued = 0;
	slen = 0;
	seq_oldest = seq_next;
}

static void send_queued(void)
{
	struct nlmsghdr *last;
	int err;

	if (!queued)
		return;
	/* the last request of the batch answers for those before it */
	last = (struct nlmsghdr *)(sbuf + slast);
	if ((last->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		last->nlmsg_flags |= NLM_F_ACK;
	err = nl_sendto(sk, sbuf, slen);
	if (err < 0) {
		abandon("cannot send to the kernel", err);
		return;
	}
	inflight += queued;
	queued = 0;
	slen = 0;
}

static void receive(void)
{
	int err = nl_recvmsgs(sk, cb);

	/* ENOBUFS: the receive buffer overflowed and replies were dropped */
	if (err < 0)
		abandon("lost replies from the kernel", err);
}

/* sends what is queued, then waits until at most @limit are unanswered */
static void flush(unsigned int limit)
{
	send_queued();
	while (inflight > limit)
		receive();
}

/*
 * Queues @msg (and frees it).  Sends when a batch is full; waits for
 * replies only when the window is.  A request with replies to print is
 * sent alone and answered before this returns.
 */
void nl_submit(struct nl_msg *msg, const struct reply_ops *ops)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);
	struct pending *p;

	if (ops || slen + len > smax)
		flush(ops ? 0 : window - batch);

	if (!seq_next)
		seq_next++;
	nlh->nlmsg_type = (uint16_t)family;
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	/*
	 * A dump ends with NLMSG_DONE; a request with replies asks for an
	 * ack, the others only when they end a batch (send_queued()).
	 */
	if (ops && (nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_pid = nl_socket_get_local_port(sk);
	nlh->nlmsg_seq = seq_next++;

	p = &ring[nlh->nlmsg_seq % window];
	while (p->busy)		/* never with in-order answers; be sure */
		flush(0);
	*p = (struct pending){
		.seq = nlh->nlmsg_seq, .line = batch_line, .ops = ops,
		.busy = true,
	};
	slast = slen;
	memcpy(sbuf + slen, nlh, nlh->nlmsg_len);
	memset(sbuf + slen + nlh->nlmsg_len, 0, len - nlh->nlmsg_len);
	slen += len;
	queued++;
	nlmsg_free(msg);

	if (ops || queued >= batch)
		flush(ops ? 0 : window - batch);
}

/* sends what is queued and waits for every answer */
void nl_finish(void)
{
	if (sk)
		flush(0);
}

/* ---- events ---- */

static void (*event_fn)(const struct nlmsghdr *nlh);

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	(void)arg;
	if (genlmsg_valid_hdr(nlh, 0) && event_fn)
		event_fn(nlh);
	return NL_OK;
}

/* joins the "events" group; @fd to poll */
int nl_open_events(int *fd)
{
	int err = connect_family(), grp;

	if (err)
		return err;
	grp = genl_ctrl_resolve_grp(sk, SIPKCTL_FAMILY, SIPKCTL_MCGRP);
	if (grp < 0) {
		fprintf(stderr, "sipkctl: the %s family has no \"%s\" group: %s\n",
			SIPKCTL_FAMILY, SIPKCTL_MCGRP, nl_geterror(grp));
		return EXIT_NETLINK;
	}
	err = nl_socket_add_membership(sk, grp);
	if (err < 0) {
		fprintf(stderr, "sipkctl: cannot join the \"%s\" group: %s\n",
			SIPKCTL_MCGRP, nl_geterror(err));
		return EXIT_NETLINK;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_enable_msg_peek(sk);
	nl_socket_set_nonblocking(sk);
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		fprintf(stderr, "sipkctl: out of memory\n");
		return EXIT_NETLINK;
	}
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_cb, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, event_cb, NULL);
	*fd = nl_socket_get_fd(sk);
	return EXIT_OK;
}

/* reads what is there; 0, or -1 after a fatal error */
int nl_read_events(void (*fn)(const struct nlmsghdr *nlh))
{
	int err;

	event_fn = fn;
	err = nl_recvmsgs(sk, cb);
	if (err == -NLE_NOMEM) {
		/* ENOBUFS: too many events at once; keep listening */
		fprintf(stderr, "sipkctl: events lost (receive buffer overrun)\n");
		return 0;
	}
	if (err < 0 && err != -NLE_AGAIN) {
		fprintf(stderr, "sipkctl: cannot read events: %s\n",
			nl_geterror(err));
		return -1;
	}
	return 0;
}
