// SPDX-License-Identifier: GPL-2.0
/*
 * dns.c - locating SIP servers (RFC 3263, section 4) with c-ares.
 *
 * sip_resolve() turns a SIP URI into an ordered list of (address, port,
 * transport) targets, asynchronously, inside sipkd's libevent loop:
 *
 *	host an IP literal		no DNS: the literal, the port (5060),
 *					the transport parameter (else UDP)
 *	a port, or maddr's host		A and AAAA of the host
 *	no port				NAPTR of the host (SIP+D2U, SIP+D2T,
 *					flag "s", by order then preference);
 *					without NAPTR, SRV _sip._udp and
 *					_sip._tcp (only the one of a transport
 *					parameter); SRV targets by priority,
 *					weighted at random within one (RFC 2782);
 *					without SRV, A and AAAA of the host, 5060
 *
 * Every host gives its IPv4 addresses first, then its IPv6 ones.
 * c-ares's sockets are watched by libevent events (ARES_OPT_SOCK_STATE_CB)
 * and its retransmission timer by one libevent timer.
 *
 * Answers are cached as they came from the server (the raw DNS message,
 * whatever the type), for the smallest TTL of their answer records;
 * "no such name" and "no such record" for NEG_TTL seconds.  The cache
 * holds at most CACHE_MAX answers; the oldest goes first when it is full.
 *
 * The resolver: "dns-server" in sipkd.conf (addresses with an optional
 * port, comma-separated), else /etc/resolv.conf as c-ares reads it.
 */
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <event2/event.h>

#include "sipkd.h"

#define CACHE_MAX	1024
#define NEG_TTL		30	/* seconds a negative answer is kept */
#define MAX_TTL		86400
#define MAX_HOSTS	8	/* SRV targets (or the host) looked up */
#define MAX_ADDRS	8	/* addresses kept per host and family */
#define MAX_SRVQ	4	/* SRV names asked for */
#define NAME_MAX_LEN	256

static ares_channel chan;
static bool chan_ok;
static struct event *timer;

struct watch {
	struct watch *next;
	int fd;
	struct event *ev;
};
static struct watch *watches;

/* ---- the cache of raw answers ---- */

struct centry {
	struct centry *next;
	char name[NAME_MAX_LEN];
	int type;
	int status;		/* ARES_SUCCESS, ARES_ENOTFOUND, ARES_ENODATA */
	time_t expires;
	unsigned char *abuf;
	int alen;
};
static struct centry *cache;	/* newest first */
static unsigned int n_cache;

/* the smallest TTL of the answer section of @a, or -1 if unreadable */
static long answer_ttl(const unsigned char *a, int len)
{
	int p = 12, i, qd, an;
	long min = -1;

	if (len < 12)
		return -1;
	qd = a[4] << 8 | a[5];
	an = a[6] << 8 | a[7];
	for (i = 0; i < qd + an; i++) {
		/* a name: labels, or a compression pointer */
		while (p < len && a[p] && (a[p] & 0xc0) != 0xc0)
			p += a[p] + 1;
		if (p >= len)
			return -1;
		p += (a[p] & 0xc0) == 0xc0 ? 2 : 1;
		if (i < qd) {
			p += 4;
			continue;
		}
		if (p + 10 > len)
			return -1;
		{
			long ttl = (long)((unsigned long)a[p + 4] << 24 |
					  a[p + 5] << 16 | a[p + 6] << 8 | a[p + 7]);
			int rdlen = a[p + 8] << 8 | a[p + 9];

			if (ttl < 0)
				ttl = 0;
			if (min < 0 || ttl < min)
				min = ttl;
			p += 10 + rdlen;
		}
	}
	return min;
}

static void centry_free(struct centry *e)
{
	free(e->abuf);
	free(e);
}

static struct centry *cache_find(const char *name, int type, time_t now)
{
	struct centry **pp = &cache, *e;

	while ((e = *pp)) {
		if (e->expires <= now) {
			*pp = e->next;
			centry_free(e);
			n_cache--;
			continue;
		}
		if (e->type == type && !strcasecmp(e->name, name))
			return e;
		pp = &e->next;
	}
	return NULL;
}

static void cache_put(const char *name, int type, int status,
		      const unsigned char *abuf, int alen, time_t now)
{
	struct centry *e, **pp;
	long ttl;

	if (status == ARES_SUCCESS)
		ttl = answer_ttl(abuf, alen);
	else
		ttl = NEG_TTL;
	if (ttl <= 0 || strlen(name) >= NAME_MAX_LEN)
		return;
	if (ttl > MAX_TTL)
		ttl = MAX_TTL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	if (alen > 0) {
		e->abuf = malloc((size_t)alen);
		if (!e->abuf) {
			free(e);
			return;
		}
		memcpy(e->abuf, abuf, (size_t)alen);
		e->alen = alen;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->type = type;
	e->status = status;
	e->expires = now + ttl;
	e->next = cache;
	cache = e;
	if (++n_cache > CACHE_MAX) {
		/* the oldest goes */
		for (pp = &cache; (*pp)->next; pp = &(*pp)->next)
			;
		centry_free(*pp);
		*pp = NULL;
		n_cache--;
	}
}

unsigned int dns_cache_count(void)
{
	return n_cache;
}

/* ---- c-ares in the libevent loop ---- */

static void arm_timer(void)
{
	struct timeval tv, *t;

	if (!chan_ok)
		return;
	t = ares_timeout(chan, NULL, &tv);
	if (t)
		evtimer_add(timer, t);
	else
		evtimer_del(timer);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ares_process_fd(chan, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_timer();
}

static void on_sock(evutil_socket_t fd, short what, void *arg)
{
	(void)arg;
	ares_process_fd(chan, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
			(what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	arm_timer();
}

static void sock_state(void *data, ares_socket_t fd, int readable,
		       int writable)
{
	struct watch **pp, *w;

	(void)data;
	for (pp = &watches; (w = *pp); pp = &w->next)
		if (w->fd == fd)
			break;
	if (w) {
		event_free(w->ev);
		w->ev = NULL;
	}
	if (!readable && !writable) {
		if (w) {
			*pp = w->next;
			free(w);
		}
		return;
	}
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w) {
			log_err("dns: out of memory watching a resolver socket");
			return;
		}
		w->fd = fd;
		w->next = watches;
		watches = w;
	}
	w->ev = event_new(evbase, fd, EV_PERSIST | (readable ? EV_READ : 0) |
			  (writable ? EV_WRITE : 0), on_sock, NULL);
	if (!w->ev || event_add(w->ev, NULL))
		log_err("dns: cannot watch a resolver socket");
}

int dns_open(void)
{
	struct ares_options o = { 0 };
	int r;

	r = ares_library_init(ARES_LIB_INIT_ALL);
	if (r != ARES_SUCCESS) {
		log_err("dns: c-ares: %s", ares_strerror(r));
		return -1;
	}
	o.sock_state_cb = sock_state;
	o.timeout = 1000;	/* ms, first try; c-ares backs off */
	o.tries = 3;
	r = ares_init_options(&chan, &o, ARES_OPT_SOCK_STATE_CB |
			      ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (r != ARES_SUCCESS) {
		log_err("dns: cannot set up the resolver: %s", ares_strerror(r));
		return -1;
	}
	chan_ok = true;
	if (conf.dns_servers) {
		r = ares_set_servers_ports_csv(chan, conf.dns_servers);
		if (r != ARES_SUCCESS) {
			log_err("dns-server \"%s\": %s", conf.dns_servers,
				ares_strerror(r));
			dns_close();
			return -1;
		}
	}
	timer = evtimer_new(evbase, on_timer, NULL);
	if (!timer) {
		dns_close();
		return -1;
	}
	log_info("dns: resolver %s", conf.dns_servers ? conf.dns_servers :
		 "from /etc/resolv.conf");
	return 0;
}

void dns_close(void)
{
	if (chan_ok) {
		chan_ok = false;
		ares_destroy(chan);	/* fails what is still asked */
	}
	if (timer)
		event_free(timer);
	timer = NULL;
	while (watches) {
		struct watch *w = watches;

		watches = w->next;
		if (w->ev)
			event_free(w->ev);
		free(w);
	}
	while (cache) {
		struct centry *e = cache;

		cache = e->next;
		centry_free(e);
	}
	n_cache = 0;
	ares_library_cleanup();
}

/* ---- a resolution: the stages of RFC 3263 4.1 and 4.2 ---- */

struct rhost {
	char name[NAME_MAX_LEN];
	u16 port;
	enum tp_kind tp;
	struct sipk_addr a[MAX_ADDRS];	/* IPv4 */
	struct sipk_addr a6[MAX_ADDRS];	/* IPv6 */
	int n4, n6;
};

struct srvq {
	char name[NAME_MAX_LEN];
	enum tp_kind tp;
	struct ares_srv_reply *reply;
};

struct job {
	sip_resolve_cb cb;
	void *arg;
	char host[NAME_MAX_LEN];
	u16 port;		/* 0: none in the URI */
	int tp;			/* -1: no transport parameter */
	int pending;		/* queries asked, not answered */
	bool failed;		/* a server failure, a timeout */
	int err;		/* set before the first query: the answer */
	int stage;
	struct srvq srv[MAX_SRVQ];
	int nsrv;
	struct rhost hosts[MAX_HOSTS];
	int nhosts;
};

enum { ST_NAPTR, ST_SRV, ST_ADDR };

struct query {
	struct job *j;
	int idx;		/* srv[] or hosts[] */
	int type;
	char name[NAME_MAX_LEN];
	/* from the cache: answered on the next loop turn */
	int status;
	unsigned char *abuf;
	int alen;
};

static void stage_done(struct job *j);

static void answer(struct query *q, int status, const unsigned char *abuf,
		   int alen);

static void on_ares(void *arg, int status, int timeouts, unsigned char *abuf,
		    int alen)
{
	struct query *q = arg;

	(void)timeouts;
	if (status == ARES_SUCCESS || status == ARES_ENOTFOUND ||
	    status == ARES_ENODATA)
		cache_put(q->name, q->type, status, abuf, alen, time(NULL));
	answer(q, status, abuf, alen);
}

static void on_cached(evutil_socket_t fd, short what, void *arg)
{
	struct query *q = arg;
	unsigned char *b = q->abuf;

	(void)fd;
	(void)what;
	answer(q, q->status, b, q->alen);
	free(b);
}

static void ask(struct job *j, const char *name, int type, int idx)
{
	struct timeval zero = { 0, 0 };
	struct query *q = calloc(1, sizeof(*q));
	struct centry *e;

	if (!q || strlen(name) >= NAME_MAX_LEN) {
		free(q);
		j->failed = true;
		return;
	}
	q->j = j;
	q->idx = idx;
	q->type = type;
	snprintf(q->name, sizeof(q->name), "%s", name);
	j->pending++;
	e = cache_find(name, type, time(NULL));
	if (e) {
		q->status = e->status;
		q->alen = e->alen;
		if (e->alen) {
			q->abuf = malloc((size_t)e->alen);
			if (q->abuf)
				memcpy(q->abuf, e->abuf, (size_t)e->alen);
			else
				q->status = ARES_ENOMEM;
		}
		if (!event_base_once(evbase, -1, EV_TIMEOUT, on_cached, q, &zero))
			return;
		free(q->abuf);
		q->abuf = NULL;
	}
	log_debug("dns: asking %s %s", type == 35 ? "NAPTR" : type == 33 ? "SRV" :
		  type == 28 ? "AAAA" : "A", name);
	ares_query(chan, name, 1 /* C_IN */, type, on_ares, q);
	arm_timer();
}

static int naptr_cmp(const void *a, const void *b)
{
	const struct ares_naptr_reply *x = *(const struct ares_naptr_reply *const *)a;
	const struct ares_naptr_reply *y = *(const struct ares_naptr_reply *const *)b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return 0;
}

static void got_naptr(struct job *j, const unsigned char *abuf, int alen)
{
	struct ares_naptr_reply *r = NULL, *n, *v[16];
	int nv = 0, i;

	if (ares_parse_naptr_reply(abuf, alen, &r) != ARES_SUCCESS)
		return;
	for (n = r; n && nv < (int)ARRAY_SIZE(v); n = n->next) {
		const char *svc = (const char *)n->service;

		if (strcasecmp((const char *)n->flags, "s") || !n->replacement ||
		    !*n->replacement)
			continue;
		if (strcasecmp(svc, "SIP+D2U") && strcasecmp(svc, "SIP+D2T"))
			continue;	/* SIPS, SCTP, others: not ours */
		if (j->tp >= 0 && j->tp != (strcasecmp(svc, "SIP+D2T") ? TP_UDP : TP_TCP))
			continue;
		v[nv++] = n;
	}
	qsort(v, (size_t)nv, sizeof(v[0]), naptr_cmp);
	for (i = 0; i < nv && j->nsrv < MAX_SRVQ; i++) {
		struct srvq *s = &j->srv[j->nsrv++];

		snprintf(s->name, sizeof(s->name), "%s", v[i]->replacement);
		s->tp = strcasecmp((const char *)v[i]->service, "SIP+D2T") ?
			TP_UDP : TP_TCP;
	}
	ares_free_data(r);
}

static void got_addr(struct job *j, struct query *q, const unsigned char *abuf,
		     int alen)
{
	struct rhost *h = &j->hosts[q->idx];
	int n = MAX_ADDRS, i;

	if (q->type == 1) {
		struct ares_addrttl at[MAX_ADDRS];

		if (ares_parse_a_reply(abuf, alen, NULL, at, &n) != ARES_SUCCESS)
			return;
		for (i = 0; i < n && h->n4 < MAX_ADDRS; i++) {
			struct sipk_addr *a = &h->a[h->n4++];

			memset(a, 0, sizeof(*a));
			a->family = 4;
			memcpy(a->addr, &at[i].ipaddr, 4);
			a->port = h->port;
		}
	} else {
		struct ares_addr6ttl at[MAX_ADDRS];

		if (ares_parse_aaaa_reply(abuf, alen, NULL, at, &n) != ARES_SUCCESS)
			return;
		for (i = 0; i < n && h->n6 < MAX_ADDRS; i++) {
			struct sipk_addr *a = &h->a6[h->n6++];

			memset(a, 0, sizeof(*a));
			a->family = 6;
			memcpy(a->addr, &at[i].ip6addr, 16);
			a->port = h->port;
		}
	}
}

static void answer(struct query *q, int status, const unsigned char *abuf,
		   int alen)
{
	struct job *j = q->j;

	if (status == ARES_EDESTRUCTION) {
		/* sipkd stops: the job goes with the channel */
		if (--j->pending == 0) {
			j->cb(j->arg, -ECANCELED, NULL, 0);
			free(j);
		}
		free(q);
		return;
	}
	if (status == ARES_SUCCESS) {
		if (q->type == 35)
			got_naptr(j, abuf, alen);
		else if (q->type == 33)
			ares_parse_srv_reply(abuf, alen, &j->srv[q->idx].reply);
		else
			got_addr(j, q, abuf, alen);
	} else if (status != ARES_ENOTFOUND && status != ARES_ENODATA) {
		log_info("dns: %s: %s", q->name, ares_strerror(status));
		j->failed = true;
	}
	free(q);
	if (--j->pending == 0)
		stage_done(j);
}

static void add_host(struct job *j, const char *name, u16 port,
		     enum tp_kind tp)
{
	struct rhost *h;

	if (j->nhosts >= MAX_HOSTS)
		return;
	h = &j->hosts[j->nhosts++];
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->port = port;
	h->tp = tp;
}

/* the SRV records of one name, by priority, weighted within one */
static void srv_order(struct job *j, struct srvq *s)
{
	struct ares_srv_reply *v[32], *r;
	int n = 0, i, k;

	for (r = s->reply; r && n < (int)ARRAY_SIZE(v); r = r->next)
		if (strcmp(r->host, ".") && *r->host)	/* "." : not offered */
			v[n++] = r;
	while (n) {
		unsigned int prio = 65536, sum = 0, pick;
		int first = -1;

		for (i = 0; i < n; i++)
			if (v[i]->priority < prio)
				prio = v[i]->priority;
		for (i = 0; i < n; i++)
			if (v[i]->priority == prio)
				sum += v[i]->weight;
		pick = sum ? (unsigned int)random() % (sum + 1) : 0;
		for (i = 0, k = 0; i < n; i++) {
			if (v[i]->priority != prio)
				continue;
			if (first < 0)
				first = i;
			k += v[i]->weight;
			if ((unsigned int)k >= pick)
				break;
		}
		if (i == n)
			i = first;
		add_host(j, v[i]->host, v[i]->port, s->tp);
		v[i] = v[--n];
	}
}

static void finish(struct job *j)
{
	struct sip_target t[SIP_MAX_TARGETS];
	int n = 0, i, k, err = 0;

	for (i = 0; i < j->nhosts; i++) {
		struct rhost *h = &j->hosts[i];

		for (k = 0; k < h->n4 && n < SIP_MAX_TARGETS; k++)
			t[n++] = (struct sip_target){ .addr = h->a[k], .tp = h->tp };
		for (k = 0; k < h->n6 && n < SIP_MAX_TARGETS; k++)
			t[n++] = (struct sip_target){ .addr = h->a6[k], .tp = h->tp };
	}
	if (j->err)
		n = 0, err = j->err;
	else if (!n)
		err = j->failed ? -EAGAIN : -ENOENT;
	if (log_enabled(LOG_L_DEBUG)) {
		for (i = 0; i < n; i++) {
			char a[64];

			log_debug("dns: %s -> %s %s", j->host,
				  t[i].tp == TP_TCP ? "tcp" : "udp",
				  sipk_addr_fmt(&t[i].addr, a, sizeof(a)));
		}
		if (!n)
			log_debug("dns: %s: %s", j->host, err == -ENOENT ?
				  "no such name or no record" : "resolver failure");
	}
	j->cb(j->arg, err, t, n);
	free(j);
}

static void stage_done(struct job *j)
{
	int i;

	switch (j->stage) {
	case ST_NAPTR:
		if (j->failed && !j->nsrv)
			break;	/* the server fails: no use asking on */
		if (!j->nsrv) {
			/* no NAPTR: SRV for the transports we have */
			static const enum tp_kind tps[] = { TP_UDP, TP_TCP };

			for (i = 0; i < 2; i++) {
				struct srvq *s;

				if ((j->tp >= 0 && (int)tps[i] != j->tp) ||
				    strlen(j->host) + 10 > sizeof(s->name))
					continue;
				s = &j->srv[j->nsrv++];
				memcpy(s->name, tps[i] == TP_TCP ? "_sip._tcp." :
				       "_sip._udp.", 10);
				strcpy(s->name + 10, j->host);
				s->tp = tps[i];
			}
		}
		j->stage = ST_SRV;
		for (i = 0; i < j->nsrv; i++)
			ask(j, j->srv[i].name, 33, i);
		if (j->pending)
			return;
		/* nothing asked */
		__attribute__((fallthrough));
	case ST_SRV:
		for (i = 0; i < j->nsrv; i++) {
			srv_order(j, &j->srv[i]);
			if (j->srv[i].reply)
				ares_free_data(j->srv[i].reply);
			j->srv[i].reply = NULL;
		}
		if (!j->nhosts && j->failed)
			break;
		if (!j->nhosts)		/* no SRV: the host itself */
			add_host(j, j->host, 5060, j->tp >= 0 ? (enum tp_kind)j->tp :
				 TP_UDP);
		j->stage = ST_ADDR;
		for (i = 0; i < j->nhosts; i++) {
			ask(j, j->hosts[i].name, 1, i);
			ask(j, j->hosts[i].name, 28, i);
		}
		if (j->pending)
			return;
		break;
	default:
		break;
	}
	finish(j);
}

bool sip_uri_param(const char *p, size_t len, const char *name, char *out,
		   size_t size)
{
	size_t nl = strlen(name), i = 0;

	while (i < len) {
		size_t s, e;

		if (p[i] != ';') {
			i++;
			continue;
		}
		s = ++i;
		while (i < len && p[i] != ';')
			i++;
		e = i;
		if (e - s > nl && !strncasecmp(p + s, name, nl) && p[s + nl] == '=') {
			size_t vl = e - s - nl - 1;

			if (vl >= size)
				return false;
			memcpy(out, p + s + nl + 1, vl);
			out[vl] = '\0';
			return true;
		}
	}
	return false;
}

static void deliver_now(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg);
}

static void fail_later(struct job *j, int err)
{
	struct timeval zero = { 0, 0 };

	j->err = err;
	if (event_base_once(evbase, -1, EV_TIMEOUT, deliver_now, j, &zero))
		finish(j);
}

void sip_resolve(const char *uri, sip_resolve_cb cb, void *arg)
{
	struct timeval zero = { 0, 0 };
	struct sipk_uri u;
	struct sipk_addr a;
	struct job *j;
	char tp[16], maddr[NAME_MAX_LEN];
	size_t ul = strlen(uri);
	const char *h;
	size_t hl;

	j = calloc(1, sizeof(*j));
	if (!j) {
		cb(arg, -ENOMEM, NULL, 0);
		return;
	}
	j->cb = cb;
	j->arg = arg;
	j->tp = -1;
	if (ul > 0xffff || sipk_parse_uri((const u8 *)uri, 0, (u16)ul, &u) ||
	    u.sips) {
		fail_later(j, -EINVAL);
		return;
	}
	if (sip_uri_param(uri + u.params.off, u.params.len, "transport", tp, sizeof(tp))) {
		if (!strcasecmp(tp, "udp"))
			j->tp = TP_UDP;
		else if (!strcasecmp(tp, "tcp"))
			j->tp = TP_TCP;
		else {
			fail_later(j, -EPROTONOSUPPORT);
			return;
		}
	}
	h = uri + u.host.off;
	hl = u.host.len;
	if (sip_uri_param(uri + u.params.off, u.params.len, "maddr", maddr, sizeof(maddr))) {
		h = maddr;	/* RFC 3263 4.1: maddr is the target */
		hl = strlen(maddr);
	}
	j->port = u.port;
	if (!sipk_parse_ip((const u8 *)h, hl, &a)) {
		/* an IP literal: no DNS */
		add_host(j, "", u.port ? u.port : 5060,
			 j->tp >= 0 ? (enum tp_kind)j->tp : TP_UDP);
		a.port = j->hosts[0].port;
		if (a.family == 4)
			j->hosts[0].a[j->hosts[0].n4++] = a;
		else
			j->hosts[0].a6[j->hosts[0].n6++] = a;
		snprintf(j->host, sizeof(j->host), "%.*s", (int)hl, h);
		if (event_base_once(evbase, -1, EV_TIMEOUT, deliver_now, j, &zero))
			finish(j);
		return;
	}
	if (hl >= sizeof(j->host) || !hl || !chan_ok) {
		fail_later(j, chan_ok ? -EINVAL : -EAGAIN);
		return;
	}
	memcpy(j->host, h, hl);
	j->host[hl] = '\0';
	if (j->host[hl - 1] == '.')
		j->host[hl - 1] = '\0';		/* a fully qualified name */
	if (!u.port && j->tp >= 0) {
		/* a transport, no port: SRV of that transport (4.1) */
		j->stage = ST_NAPTR;
		stage_done(j);
		return;
	}
	if (u.port) {
		/* a port: A and AAAA only (4.2) */
		add_host(j, j->host, u.port, j->tp >= 0 ? (enum tp_kind)j->tp :
			 TP_UDP);
		j->stage = ST_ADDR;
		ask(j, j->host, 1, 0);
		ask(j, j->host, 28, 0);
	} else {
		j->stage = ST_NAPTR;
		ask(j, j->host, 35, 0);
	}
	if (!j->pending)
		fail_later(j, -EAGAIN);
}
