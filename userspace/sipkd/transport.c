// SPDX-License-Identifier: GPL-2.0
/*
 * transport.c - sipkd's sockets.
 *
 * UDP: one socket per configured address (IPv6 sockets are IPV6_V6ONLY,
 * so 0.0.0.0:5060 and [::]:5060 live side by side).  What arrives on a
 * wildcard socket carries its destination address (IP_PKTINFO), and the
 * answer leaves from that same address.  The kernel module hands up what
 * it does not forward to these sockets unchanged.
 *
 * TCP ("tcp = yes"): a listening socket on the same addresses; messages
 * are framed by Content-Length (RFC 3261 18.3), a CRLF CRLF keep-alive
 * gets a CRLF (RFC 5626 4.4.1), and responses go back on the connection
 * the request came in on (18.2.2).  sipkd forwards requests over UDP
 * only; TCP towards contacts (and the 18.1.1 rule for requests above
 * 1300 octets) is a later phase.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/tcp.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "sipkd.h"

struct listener {
	enum tp_kind tp;
	int fd;
	int family;		/* AF_INET, AF_INET6 */
	bool wildcard;
	struct sipk_addr addr;	/* bound address and port */
	struct event *ev;	/* UDP */
	struct evconnlistener *lev;	/* TCP */
	char text[112];
};

static struct listener listeners[2 * MAX_LISTEN];
static unsigned int n_listeners;

/* TCP connections, accepted */
#define CONN_MAX	1024
#define CONN_IDLE	600	/* seconds without a message: closed */
#define CONN_OUTBUF_MAX	(1u << 20)	/* octets queued for a peer */

struct conn {
	struct conn *next;
	u64 id;
	struct bufferevent *bev;
	struct listener *l;
	struct sockaddr_storage peer, local;
	socklen_t peerlen;
	struct sipk_addr peer_a;
};

static struct conn *conns;
static unsigned int n_conns;
static u64 next_conn_id = 1;

/* local interface addresses, for loop detection */
static struct sipk_addr *local_addrs;
static unsigned int n_local;

#define RX_BURST	64
static u8 rxbuf[SIPK_MAX_MSG + 1];

/* ---- addresses ---- */

void sa_to_sipk(const struct sockaddr *sa, struct sipk_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		a->family = 4;
		memcpy(a->addr, &in->sin_addr, 4);
		a->port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			a->family = 4;
			memcpy(a->addr, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			a->family = 6;
			memcpy(a->addr, &in6->sin6_addr, 16);
		}
		a->port = ntohs(in6->sin6_port);
	}
}

socklen_t sipk_to_sa(const struct sipk_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in *in = (void *)ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a->addr, 4);
		in->sin_port = htons(a->port);
		return sizeof(*in);
	}
	if (a->family == 6) {
		struct sockaddr_in6 *in6 = (void *)ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, a->addr, 16);
		in6->sin6_port = htons(a->port);
		return sizeof(*in6);
	}
	return 0;
}

const char *sipk_addr_fmt(const struct sipk_addr *a, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->family == 4)
		inet_ntop(AF_INET, a->addr, ip, sizeof(ip));
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->addr, ip, sizeof(ip));
	if (a->family == 6)
		snprintf(buf, size, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, size, "%s:%u", ip, a->port);
	return buf;
}

const char *sa_fmt(const struct sockaddr *sa, char *buf, size_t size)
{
	struct sipk_addr a;

	sa_to_sipk(sa, &a);
	return sipk_addr_fmt(&a, buf, size);
}

bool sipk_addr_eq(const struct sipk_addr *a, const struct sipk_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
}

int sipk_addr_parse(const char *s, struct sipk_addr *a)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *hs = s;
	size_t hl;
	unsigned long port = 0;
	char *end;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb)
			return -1;
		hs = s + 1;
		hl = (size_t)(rb - hs);
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (rb[1] && !colon)
			return -1;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			return -1;	/* IPv6 needs brackets */
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (!hl || hl >= sizeof(host))
		return -1;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (colon) {
		if (!colon[1])
			return -1;
		port = strtoul(colon + 1, &end, 10);
		if (*end || port > 65535 || colon[1] == '-' || colon[1] == '+')
			return -1;
	}
	if (s[0] == '[') {
		if (inet_pton(AF_INET6, host, a->addr) != 1)
			return -1;
		a->family = 6;
	} else {
		if (inet_pton(AF_INET, host, a->addr) != 1)
			return -1;
		a->family = 4;
	}
	a->port = (u16)port;
	return 0;
}

/* ---- receiving ---- */

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	int i;

	(void)what;
	for (i = 0; i < RX_BURST; i++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				 CMSG_SPACE(sizeof(struct in_pktinfo))];
			struct cmsghdr align;
		} cbuf;
		struct rxinfo rx = { .tp = TP_UDP, .l = l };
		struct iovec iov = { .iov_base = rxbuf, .iov_len = sizeof(rxbuf) };
		struct msghdr mh = {
			.msg_name = &rx.src, .msg_namelen = sizeof(rx.src),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
		};
		struct cmsghdr *cm;
		ssize_t n = recvmsg(fd, &mh, MSG_TRUNC);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("receive on %s: %s", l->text,
					 strerror(errno));
			return;
		}
		rx.srclen = mh.msg_namelen;
		STAT(ST_RX);
		if ((size_t)n > SIPK_MAX_MSG || (mh.msg_flags & MSG_TRUNC)) {
			STAT(ST_DROPPED);
			log_info("dropped a datagram of %zd octets from %s: larger than a SIP message can be",
				 n, sa_fmt((struct sockaddr *)&rx.src,
					   (char[64]){ 0 }, 64));
			continue;
		}
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP &&
			    cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				struct sockaddr_in *in = (void *)&rx.local;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				in->sin_family = AF_INET;
				in->sin_addr = pi.ipi_addr;
				in->sin_port = htons(l->addr.port);
				rx.ifindex = pi.ipi_ifindex;
				rx.has_local = true;
			} else if (cm->cmsg_level == IPPROTO_IPV6 &&
				   cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				struct sockaddr_in6 *in6 = (void *)&rx.local;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				in6->sin6_family = AF_INET6;
				in6->sin6_addr = pi.ipi6_addr;
				in6->sin6_port = htons(l->addr.port);
				rx.ifindex = (int)pi.ipi6_ifindex;
				rx.has_local = true;
			}
		}
		sa_to_sipk((struct sockaddr *)&rx.src, &rx.src_a);
		sip_received(rxbuf, (size_t)n, &rx);
	}
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg);
static void conn_free(struct conn *c);

static int open_one(const struct listen_addr *la, struct listener *l,
		    enum tp_kind tp)
{
	int fd, one = 1, fam = la->ss.ss_family, rcv = (int)conf.udp_rcvbuf;
	int type = tp == TP_TCP ? SOCK_STREAM : SOCK_DGRAM;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->tp = tp;
	sa_to_sipk((const struct sockaddr *)&la->ss, &l->addr);
	snprintf(l->text, sizeof(l->text), "%s:%s", tp == TP_TCP ? "tcp" : "udp",
		 la->text);
	l->family = fam;
	l->wildcard = fam == AF_INET ?
		((const struct sockaddr_in *)&la->ss)->sin_addr.s_addr == INADDR_ANY :
		IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&la->ss)->sin6_addr);
	fd = socket(fam, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		if (errno == EAFNOSUPPORT) {
			log_warn("not listening on %s: this host has no %s",
				 l->text, fam == AF_INET6 ? "IPv6" : "IPv4");
			return 1;
		}
		log_err("cannot open a socket for %s: %s", l->text,
			strerror(errno));
		return -1;
	}
	if (tp == TP_TCP) {
		/* a listening TCP socket may take over from TIME_WAIT */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	} else {
		/*
		 * No SO_REUSEADDR on UDP: a second daemon must not share
		 * (and steal) the port.
		 */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	}
	if (fam == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (tp == TP_UDP)
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				   sizeof(one));
	} else if (tp == TP_UDP) {
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)&la->ss, la->len) ||
	    (tp == TP_TCP && listen(fd, 128))) {
		if (errno == EADDRNOTAVAIL && fam == AF_INET6 && l->wildcard) {
			log_warn("not listening on %s: IPv6 is disabled here",
				 l->text);
			close(fd);
			return 1;
		}
		log_err("cannot listen on %s: %s", l->text, strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	if (tp == TP_TCP) {
		l->lev = evconnlistener_new(evbase, on_accept, l,
					    LEV_OPT_CLOSE_ON_FREE, -1, fd);
		if (!l->lev) {
			log_err("cannot watch the socket of %s", l->text);
			close(fd);
			return -1;
		}
	} else {
		l->ev = event_new(evbase, fd, EV_READ | EV_PERSIST, on_read, l);
		if (!l->ev || event_add(l->ev, NULL)) {
			log_err("cannot watch the socket of %s", l->text);
			close(fd);
			return -1;
		}
	}
	log_info("listening on %s", l->text);
	return 0;
}

int transport_open(void)
{
	unsigned int i;
	int r;

	for (i = 0; i < conf.n_listen; i++) {
		r = open_one(&conf.listen[i], &listeners[n_listeners], TP_UDP);
		if (r < 0)
			return -1;
		if (r == 0)
			n_listeners++;
		if (!conf.tcp)
			continue;
		r = open_one(&conf.listen[i], &listeners[n_listeners], TP_TCP);
		if (r < 0)
			return -1;
		if (r == 0)
			n_listeners++;
	}
	if (!n_listeners) {
		log_err("no address to listen on");
		return -1;
	}
	transport_refresh_local();
	return 0;
}

void transport_close(void)
{
	unsigned int i;

	while (conns)
		conn_free(conns);
	for (i = 0; i < n_listeners; i++) {
		if (listeners[i].ev)
			event_free(listeners[i].ev);
		if (listeners[i].lev)
			evconnlistener_free(listeners[i].lev);	/* closes it */
		else
			close(listeners[i].fd);
	}
	n_listeners = 0;
	free(local_addrs);
	local_addrs = NULL;
	n_local = 0;
}

/* ---- TCP connections ---- */

static struct conn *conn_get(u64 id)
{
	struct conn *c;

	for (c = conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void conn_free(struct conn *c)
{
	struct conn **pp;
	char a[64];

	for (pp = &conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	n_conns--;
	log_debug("tcp: connection %llu from %s closed",
		  (unsigned long long)c->id,
		  sa_fmt((struct sockaddr *)&c->peer, a, sizeof(a)));
	bufferevent_free(c->bev);	/* closes the socket */
	free(c);
}

u64 transport_conn_find(const struct sipk_addr *a)
{
	struct conn *c, *same_ip = NULL;

	for (c = conns; c; c = c->next) {
		if (c->peer_a.family != a->family ||
		    memcmp(c->peer_a.addr, a->addr, a->family == 4 ? 4 : 16))
			continue;
		if (c->peer_a.port == a->port)
			return c->id;
		if (!same_ip)
			same_ip = c;
	}
	/* a Via names the client's listening port, not its source port */
	return same_ip ? same_ip->id : 0;
}

unsigned int transport_conn_count(void)
{
	return n_conns;
}

/* Content-Length of the header block @b (the empty line included) */
static long stream_clen(const u8 *b, size_t hlen)
{
	struct hdr_it it;
	struct raw_hdr h;
	long v = 0;
	u16 i;

	hdr_it_init(&it, b, hlen);
	while (hdr_it_next(&it, &h)) {
		if (!hdr_is(b, &h, "Content-Length", 'l'))
			continue;
		if (!h.val_len)
			return -1;
		for (i = 0; i < h.val_len; i++) {
			if (b[h.val_off + i] < '0' || b[h.val_off + i] > '9' ||
			    v > SIPK_MAX_MSG)
				return -1;
			v = v * 10 + (b[h.val_off + i] - '0');
		}
		return v;
	}
	return 0;	/* RFC 3261 18.3: it MUST be there; take it as 0 */
}

static void on_conn_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char a[64];

	for (;;) {
		struct evbuffer_ptr p;
		size_t len, hlen, crlf = 0;
		unsigned char ch;
		long clen;

		/* line ends between messages: keep-alives */
		while (evbuffer_copyout(in, &ch, 1) == 1 &&
		       (ch == '\r' || ch == '\n')) {
			evbuffer_drain(in, 1);
			crlf++;
		}
		if (crlf >= 4)
			bufferevent_write(bev, "\r\n", 2);	/* pong */
		len = evbuffer_get_length(in);
		if (!len)
			return;
		p = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (p.pos < 0) {
			if (len <= SIPK_MAX_MSG)
				return;		/* more to come */
			goto too_big;
		}
		hlen = (size_t)p.pos + 4;
		if (hlen > SIPK_MAX_MSG)
			goto too_big;
		evbuffer_copyout(in, rxbuf, hlen);
		clen = stream_clen(rxbuf, hlen);
		if (clen < 0 || hlen + (size_t)clen > SIPK_MAX_MSG) {
			log_info("tcp: %s sent a message with a bad Content-Length: connection closed",
				 sa_fmt((struct sockaddr *)&c->peer, a, sizeof(a)));
			STAT(ST_MALFORMED);
			conn_free(c);
			return;
		}
		if (len < hlen + (size_t)clen)
			return;			/* the body is not all there */
		evbuffer_remove(in, rxbuf, hlen + (size_t)clen);
		{
			struct rxinfo rx = {
				.tp = TP_TCP, .l = c->l, .srclen = c->peerlen,
				.has_local = true, .src_a = c->peer_a,
				.conn = c->id,
			};

			memcpy(&rx.src, &c->peer, sizeof(rx.src));
			memcpy(&rx.local, &c->local, sizeof(rx.local));
			STAT(ST_RX);
			sip_received(rxbuf, hlen + (size_t)clen, &rx);
		}
	}
too_big:
	log_info("tcp: %s sent more than %u octets without a message end: connection closed",
		 sa_fmt((struct sockaddr *)&c->peer, a, sizeof(a)), SIPK_MAX_MSG);
	STAT(ST_DROPPED);
	conn_free(c);
}

static void on_conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(arg);
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct timeval idle = { .tv_sec = CONN_IDLE };
	struct listener *l = arg;
	socklen_t llen = sizeof(struct sockaddr_storage);
	struct conn *c;
	int one = 1;
	char a[64];

	(void)lev;
	if (n_conns >= CONN_MAX || !(c = calloc(1, sizeof(*c)))) {
		log_warn("tcp: refusing a connection from %s: %u open already",
			 sa_fmt(sa, a, sizeof(a)), n_conns);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->bev = bufferevent_socket_new(evbase, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		free(c);
		return;
	}
	c->id = next_conn_id++;
	c->l = l;
	memcpy(&c->peer, sa, (size_t)salen < sizeof(c->peer) ? (size_t)salen :
	       sizeof(c->peer));
	c->peerlen = (socklen_t)salen;
	getsockname(fd, (struct sockaddr *)&c->local, &llen);
	sa_to_sipk(sa, &c->peer_a);
	bufferevent_setcb(c->bev, on_conn_read, NULL, on_conn_event, c);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_enable(c->bev, EV_READ);
	c->next = conns;
	conns = c;
	n_conns++;
	log_debug("tcp: connection %llu from %s on %s", (unsigned long long)c->id,
		  sa_fmt(sa, a, sizeof(a)), l->text);
}

/* ---- sending ---- */

int transport_send(const struct dest *d, const void *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)&d->to, .msg_namelen = d->tolen,
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	struct listener *l = d->l;
	char a[64];

	if (d->conn) {
		struct conn *c = conn_get(d->conn);

		/* a peer that does not read is not worth our memory */
		if (c && evbuffer_get_length(bufferevent_get_output(c->bev)) >
		    CONN_OUTBUF_MAX) {
			log_info("tcp: connection %llu does not read: closed",
				 (unsigned long long)c->id);
			conn_free(c);
			c = NULL;
		}
		if (!c || bufferevent_write(c->bev, buf, len)) {
			log_info("cannot send %zu octets on TCP connection %llu: closed",
				 len, (unsigned long long)d->conn);
			return -1;
		}
		return 0;
	}
	if (!l)
		return -1;
	memset(&cbuf, 0, sizeof(cbuf));
	if (d->has_from && l->wildcard &&
	    d->from.ss_family == (sa_family_t)l->family) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf.buf;
		if (l->family == AF_INET) {
			struct in_pktinfo pi = { 0 };

			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = IPPROTO_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(pi));
			pi.ipi_spec_dst = ((const struct sockaddr_in *)&d->from)->sin_addr;
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		} else {
			struct in6_pktinfo pi = { 0 };

			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = IPPROTO_IPV6;
			cm->cmsg_type = IPV6_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(pi));
			pi.ipi6_addr = ((const struct sockaddr_in6 *)&d->from)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
				pi.ipi6_ifindex = (unsigned int)d->ifindex;
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		}
	}
	if (sendmsg(l->fd, &mh, 0) < 0) {
		log_info("cannot send %zu octets to %s: %s", len,
			 sa_fmt((const struct sockaddr *)&d->to, a, sizeof(a)),
			 strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The source address the routing table picks for @a: a UDP socket
 * connected to it says, without sending anything.
 */
static int route_source(const struct sipk_addr *a, struct sipk_addr *src)
{
	struct sockaddr_storage ss, me;
	socklen_t len = sipk_to_sa(a, &ss), mlen = sizeof(me);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = -1;

	if (fd < 0)
		return -1;
	if (!connect(fd, (struct sockaddr *)&ss, len) &&
	    !getsockname(fd, (struct sockaddr *)&me, &mlen)) {
		sa_to_sipk((struct sockaddr *)&me, src);
		ret = 0;
	}
	close(fd);
	return ret;
}

int transport_route(const struct sipk_addr *a, struct dest *d,
		    struct sipk_addr *self)
{
	int fam = a->family == 4 ? AF_INET : AF_INET6;
	struct listener *pick = NULL, *wild = NULL;
	struct sipk_addr src;
	bool have_src;
	unsigned int i;

	memset(d, 0, sizeof(*d));
	have_src = !route_source(a, &src);
	for (i = 0; i < n_listeners; i++) {
		struct listener *l = &listeners[i];

		if (l->family != fam || l->tp != TP_UDP)
			continue;
		if (l->wildcard) {
			if (!wild)
				wild = l;
			continue;
		}
		if (have_src && !memcmp(l->addr.addr, src.addr,
					fam == AF_INET ? 4 : 16)) {
			pick = l;
			break;
		}
		if (!pick)
			pick = l;
	}
	if (wild && (!pick || (have_src && memcmp(pick->addr.addr, src.addr,
						   fam == AF_INET ? 4 : 16))))
		pick = wild;
	if (!pick)
		return -1;
	d->l = pick;
	d->tolen = sipk_to_sa(a, &d->to);
	if (pick->wildcard) {
		if (!have_src)
			return -1;
		*self = src;
	} else {
		*self = pick->addr;
	}
	self->port = pick->addr.port;
	return 0;
}

/* ---- local addresses ---- */

void transport_refresh_local(void)
{
	struct ifaddrs *ifa, *i;
	struct sipk_addr *v;
	unsigned int n = 0;

	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next)
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v) {
		freeifaddrs(ifa);
		return;
	}
	n = 0;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET &&
				     i->ifa_addr->sa_family != AF_INET6))
			continue;
		sa_to_sipk(i->ifa_addr, &v[n]);
		v[n++].port = 0;
	}
	freeifaddrs(ifa);
	free(local_addrs);
	local_addrs = v;
	n_local = n;
}

/* Is @a (address and port) one of our own SIP sockets? */
bool transport_is_local(const struct sipk_addr *a)
{
	unsigned int i;
	bool port = false;

	for (i = 0; i < n_listeners; i++) {
		const struct listener *l = &listeners[i];

		if (l->addr.port != a->port || l->tp != TP_UDP ||
		    l->family != (a->family == 4 ? AF_INET : AF_INET6))
			continue;
		if (!l->wildcard) {
			if (!memcmp(l->addr.addr, a->addr, a->family == 4 ? 4 : 16))
				return true;
			continue;
		}
		port = true;
	}
	if (!port)
		return false;
	if (a->family == 4 && a->addr[0] == 127)
		return true;
	for (i = 0; i < n_local; i++)
		if (local_addrs[i].family == a->family &&
		    !memcmp(local_addrs[i].addr, a->addr, a->family == 4 ? 4 : 16))
			return true;
	return false;
}
