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
 * the request came in on (18.2.2).
 *
 * Sending (transport_send_target): UDP from the listener that routes to
 * the target; TCP on a connection to the target's address and port,
 * reused when one is open (accepted or opened by us), else opened without
 * blocking (a bufferevent connect; messages wait in order until it is
 * up).  A connection that cannot be made within tcp-connect-timeout
 * seconds, or is refused, fails what waits on it: the sender's callback
 * says so (the transaction layer picks the next target or answers 503);
 * a message sent over TCP only because of its size (RFC 3261 18.1.1)
 * goes over UDP instead, its top Via back to UDP.  Every connection
 * closes after tcp-idle-timeout seconds without a message from the peer;
 * a peer that reads nothing while 1 MiB waits for it is cut off.
 *
 * Multicast ("multicast = IFNAME"): sip.mcast.net (224.0.1.75) joined on
 * that interface, on the wildcard IPv4 UDP socket of the port if there
 * is one, else on a socket of its own bound to 224.0.1.75; a REGISTER
 * that arrives there goes to the registrar (RFC 3261 10.2.6) and is
 * answered by unicast from an address of ours; anything else sent to
 * the group is dropped.
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
#define CONN_OUTBUF_MAX	(1u << 20)	/* octets queued for a peer */
#define CONN_PENDING_MAX 64	/* messages waiting for a connect */

/* a message waiting for its connection to come up */
struct pending {
	struct pending *next;
	unsigned int flags;	/* TX_* */
	transport_done_fn done;
	void *arg;
	size_t len;
	u8 buf[];
};

struct conn {
	struct conn *next;
	u64 id;
	struct bufferevent *bev;
	struct listener *l;
	struct sockaddr_storage peer, local;
	socklen_t peerlen;
	struct sipk_addr peer_a;
	bool outgoing;		/* we opened it */
	bool connecting;	/* not up yet: messages in @pend */
	struct pending *pend, **pend_tail;
	unsigned int n_pend;
	int err;		/* why the connect failed, -errno */
};

#define MCAST_GROUP	"224.0.1.75"	/* sip.mcast.net, RFC 3261 10.2.6 */
static struct listener mcast_l;		/* its own socket, when needed */

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

/*
 * While a burst of datagrams is handled, what sipkd sends over UDP waits
 * here: a 200 to a REGISTER may leave only once the burst's registrations
 * are on disk (db_batch_end(), one fsync for all of them).  Should that
 * commit fail, nothing of the burst is sent: the clients retransmit.
 */
struct held {
	struct held *next;
	struct dest d;
	size_t len;
	u8 buf[];
};

static struct held *held_head, **held_tail = &held_head;
static bool holding;

static int hold(const struct dest *d, const void *buf, size_t len)
{
	struct held *h = malloc(sizeof(*h) + len);

	if (!h)
		return -1;
	h->next = NULL;
	h->d = *d;
	h->len = len;
	memcpy(h->buf, buf, len);
	*held_tail = h;
	held_tail = &h->next;
	return 0;
}

static void burst_end(void)
{
	struct held *h;
	unsigned int n = 0;
	bool ok = !db_batch_end();

	holding = false;
	while ((h = held_head)) {
		held_head = h->next;
		if (ok)
			transport_send(&h->d, h->buf, h->len);
		n++;
		free(h);
	}
	held_tail = &held_head;
	if (!ok && n)
		log_err("database: the registrations of a burst were not stored: %u messages not sent (the clients retransmit)",
			n);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	int i;

	(void)what;
	db_batch_begin();
	holding = true;
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
			break;
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
		if (l == &mcast_l || (rx.has_local && rx.local.ss_family == AF_INET &&
		    IN_MULTICAST(ntohl(((struct sockaddr_in *)&rx.local)->sin_addr.s_addr)))) {
			/* to the group: answered by unicast, from our address */
			struct sipk_addr self;
			struct dest d;

			rx.has_local = false;
			/* REGISTER only (10.2.6): the group routes nothing */
			if (n < 9 || memcmp(rxbuf, "REGISTER ", 9)) {
				STAT(ST_DROPPED);
				log_debug("multicast: dropped a datagram other than REGISTER from %s",
					  sa_fmt((struct sockaddr *)&rx.src,
						 (char[64]){ 0 }, 64));
				continue;
			}
			if (l == &mcast_l) {
				if (transport_route(&rx.src_a, &d, &self))
					continue;
				rx.l = d.l;
			}
		}
		sip_received(rxbuf, (size_t)n, &rx);
	}
	burst_end();
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

static int mcast_open(void);

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
	if (conf.multicast_if && mcast_open())
		return -1;
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
	if (mcast_l.ev) {
		event_free(mcast_l.ev);
		close(mcast_l.fd);
		memset(&mcast_l, 0, sizeof(mcast_l));
	}
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

static int udp_send_to(const struct sipk_addr *to, const void *buf,
		       size_t len);

/* what waited for @c's connect: over UDP if it may, else failed */
static void pending_fail(struct conn *c, int err)
{
	char a[64];

	while (c->pend) {
		struct pending *p = c->pend;
		int r = err;

		c->pend = p->next;
		if ((p->flags & TX_FALLBACK_UDP) &&
		    !via_set_transport(p->buf, p->len, "UDP")) {
			log_info("tcp: no connection to %s (%s): %zu octets sent over UDP instead (RFC 3261 18.1.1)",
				 sipk_addr_fmt(&c->peer_a, a, sizeof(a)),
				 strerror(-err), p->len);
			r = udp_send_to(&c->peer_a, p->buf, p->len) ? err : 0;
			STAT(ST_TCP_FALLBACK);
		}
		if (p->done)
			p->done(p->arg, r);
		free(p);
	}
	c->pend_tail = &c->pend;
	c->n_pend = 0;
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
	log_debug("tcp: connection %llu %s %s closed",
		  (unsigned long long)c->id, c->outgoing ? "to" : "from",
		  sa_fmt((struct sockaddr *)&c->peer, a, sizeof(a)));
	bufferevent_free(c->bev);	/* closes the socket */
	pending_fail(c, c->err ? c->err : -ECONNABORTED);
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
	struct conn *c = arg;
	char a[64];

	if (what & BEV_EVENT_CONNECTED) {
		struct timeval idle = { .tv_sec = conf.tcp_idle };
		socklen_t llen = sizeof(c->local);
		int one = 1;

		c->connecting = false;
		getsockname(bufferevent_getfd(bev), (struct sockaddr *)&c->local,
			    &llen);
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
			   &one, sizeof(one));
		bufferevent_set_timeouts(bev, &idle, NULL);
		log_debug("tcp: connection %llu to %s up",
			  (unsigned long long)c->id,
			  sipk_addr_fmt(&c->peer_a, a, sizeof(a)));
		while (c->pend) {
			struct pending *p = c->pend;
			int r = bufferevent_write(bev, p->buf, p->len) ? -ENOMEM : 0;

			c->pend = p->next;
			if (p->done)
				p->done(p->arg, r);
			free(p);
		}
		c->pend_tail = &c->pend;
		c->n_pend = 0;
		return;
	}
	if (c->connecting && (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))) {
		int err = what & BEV_EVENT_TIMEOUT ? ETIMEDOUT :
			  EVUTIL_SOCKET_ERROR();

		log_info("tcp: cannot connect to %s: %s",
			 sipk_addr_fmt(&c->peer_a, a, sizeof(a)),
			 err ? strerror(err) : "failed");
		/* failed once it is out of the pool (a retry opens anew) */
		c->err = -(err ? err : ECONNREFUSED);
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(c);
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct timeval idle = { .tv_sec = conf.tcp_idle };
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
	c->pend_tail = &c->pend;
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
	if (holding)
		return hold(d, buf, len);
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

static int udp_send_to(const struct sipk_addr *to, const void *buf,
		       size_t len)
{
	struct sipk_addr self;
	struct dest d;
	char a[64];

	if (transport_route(to, &d, &self)) {
		log_info("no UDP socket of ours routes to %s",
			 sipk_addr_fmt(to, a, sizeof(a)));
		return -1;
	}
	return transport_send(&d, buf, len);
}

/* a connection to @to: an open one (either way), else a new one */
static struct conn *conn_to(const struct sipk_addr *to)
{
	struct timeval ct = { .tv_sec = conf.tcp_connect_timeout };
	struct sockaddr_storage ss;
	socklen_t sl;
	struct listener *bind_l = NULL;
	struct conn *c;
	unsigned int i;
	char a[64];
	int fd;

	for (c = conns; c; c = c->next)
		if (sipk_addr_eq(&c->peer_a, to))
			return c;
	if (n_conns >= CONN_MAX) {
		log_warn("tcp: no connection to %s: %u open already",
			 sipk_addr_fmt(to, a, sizeof(a)), n_conns);
		return NULL;
	}
	/* from the address of a TCP listener bound to one, if there is one */
	for (i = 0; i < n_listeners; i++) {
		struct listener *l = &listeners[i];

		if (l->tp != TP_TCP ||
		    l->family != (to->family == 4 ? AF_INET : AF_INET6))
			continue;
		if (!bind_l || (bind_l->wildcard && !l->wildcard))
			bind_l = l;
	}
	sl = sipk_to_sa(to, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_info("tcp: no socket for %s: %s",
			 sipk_addr_fmt(to, a, sizeof(a)), strerror(errno));
		return NULL;
	}
	if (bind_l && !bind_l->wildcard) {
		struct sipk_addr src = bind_l->addr;
		struct sockaddr_storage bs;
		socklen_t bl;

		src.port = 0;
		bl = sipk_to_sa(&src, &bs);
		if (bind(fd, (struct sockaddr *)&bs, bl))
			log_debug("tcp: cannot bind to %s: %s", bind_l->text,
				  strerror(errno));
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->bev = bufferevent_socket_new(evbase, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c || !c->bev) {
		free(c);
		close(fd);
		return NULL;
	}
	c->id = next_conn_id++;
	c->l = bind_l;
	c->outgoing = true;
	c->connecting = true;
	c->pend_tail = &c->pend;
	memcpy(&c->peer, &ss, sizeof(ss));
	c->peerlen = sl;
	c->peer_a = *to;
	bufferevent_setcb(c->bev, on_conn_read, NULL, on_conn_event, c);
	/* libevent times a connect with the write timeout */
	bufferevent_set_timeouts(c->bev, NULL, &ct);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = conns;
	conns = c;
	n_conns++;
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss, (int)sl)) {
		/* failed at once (no route, ...): nothing waits on it yet */
		log_info("tcp: cannot connect to %s: %s",
			 sipk_addr_fmt(to, a, sizeof(a)), strerror(errno));
		conn_free(c);
		return NULL;
	}
	log_debug("tcp: connection %llu to %s opening",
		  (unsigned long long)c->id, sipk_addr_fmt(to, a, sizeof(a)));
	return c;
}

int transport_send_target(const struct sip_target *t, const void *buf,
			  size_t len, unsigned int flags,
			  transport_done_fn done, void *arg)
{
	struct pending *p;
	struct conn *c;
	struct dest d = { 0 };
	char a[64];

	if (t->tp == TP_UDP)
		return udp_send_to(&t->addr, buf, len) ? -1 : 0;
	c = conn_to(&t->addr);
	if (!c) {
		if ((flags & TX_FALLBACK_UDP) &&
		    !via_set_transport((u8 *)buf, len, "UDP")) {
			STAT(ST_TCP_FALLBACK);
			return udp_send_to(&t->addr, buf, len) ? -1 : 0;
		}
		return -1;
	}
	if (!c->connecting) {
		d.conn = c->id;
		return transport_send(&d, buf, len) ? -1 : 0;
	}
	p = c->n_pend < CONN_PENDING_MAX ? malloc(sizeof(*p) + len) : NULL;
	if (!p) {
		log_info("tcp: too much waiting for the connection to %s: %zu octets dropped",
			 sipk_addr_fmt(&t->addr, a, sizeof(a)), len);
		return -1;
	}
	p->next = NULL;
	p->flags = flags;
	p->done = done;
	p->arg = arg;
	p->len = len;
	memcpy(p->buf, buf, len);
	*c->pend_tail = p;
	c->pend_tail = &p->next;
	c->n_pend++;
	return 1;
}

/* the first Via after the start line: "SIP/2.0/UDP" <-> "SIP/2.0/TCP" */
int via_set_transport(u8 *buf, size_t len, const char *tp)
{
	static const char pat[] = "SIP/2.0/";
	const size_t pl = sizeof(pat) - 1;
	size_t i = 0;

	while (i < len && buf[i] != '\n')
		i++;
	for (; i + pl + 3 <= len; i++) {
		if (memcmp(buf + i, pat, pl))
			continue;
		/* the same length: nothing after it moves */
		if (strlen(tp) != 3 || (buf[i + pl + 3] != ' ' &&
					buf[i + pl + 3] != '\t'))
			return -1;
		memcpy(buf + i + pl, tp, 3);
		return 0;
	}
	return -1;
}

/* ---- multicast (RFC 3261 10.2.6) ---- */

static int mcast_join(int fd, unsigned int ifindex)
{
	struct ip_mreqn mr = { .imr_ifindex = (int)ifindex };
	int zero = 0;

	inet_pton(AF_INET, MCAST_GROUP, &mr.imr_multiaddr);
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero));
	return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
}

static int mcast_open(void)
{
	unsigned int ifindex = if_nametoindex(conf.multicast_if), i;
	struct listener *wild = NULL;
	struct listen_addr la = { 0 };
	struct sockaddr_in *in = (void *)&la.ss;
	u16 port = 5060;

	if (!ifindex) {
		log_err("multicast: no interface \"%s\"", conf.multicast_if);
		return -1;
	}
	for (i = 0; i < n_listeners; i++) {
		if (listeners[i].tp != TP_UDP || listeners[i].family != AF_INET)
			continue;
		if (listeners[i].wildcard && !wild)
			wild = &listeners[i];
		port = listeners[i].addr.port;
	}
	if (wild) {
		if (mcast_join(wild->fd, ifindex)) {
			log_err("multicast: cannot join %s on %s: %s", MCAST_GROUP,
				conf.multicast_if, strerror(errno));
			return -1;
		}
		log_info("multicast: joined %s on %s (on %s)", MCAST_GROUP,
			 conf.multicast_if, wild->text);
		return 0;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	inet_pton(AF_INET, MCAST_GROUP, &in->sin_addr);
	la.len = sizeof(*in);
	snprintf(la.text, sizeof(la.text), "%s:%u", MCAST_GROUP, port);
	if (open_one(&la, &mcast_l, TP_UDP))
		return -1;
	if (mcast_join(mcast_l.fd, ifindex)) {
		log_err("multicast: cannot join %s on %s: %s", MCAST_GROUP,
			conf.multicast_if, strerror(errno));
		return -1;
	}
	log_info("multicast: joined %s on %s", MCAST_GROUP, conf.multicast_if);
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
