// SPDX-License-Identifier: GPL-2.0
/*
 * proxy.c - sipkd as a stateful, forking proxy (RFC 3261 sections 16
 * and 17) for the requests it forwards to several targets.
 *
 * A request for an AOR with one target goes on statelessly (core.c), as
 * the kernel does it.  With several targets (the kernel hands those up,
 * fork-policy hand-up), sipkd keeps a response context ("ptx" below):
 *
 *	the server transaction towards the caller (17.2.1, 17.2.2): 100
 *	Trying at once for an INVITE, the latest response again for a
 *	retransmitted request, a final non-2xx retransmitted by timer G
 *	until the ACK (absorbed; timer H, then I), timer J otherwise;
 *
 *	one client transaction per branch (17.1.1, 17.1.2), each with its
 *	own branch parameter, sent as core.c's forward_to() would (UDP, TCP
 *	by the URI or the size, a host name or TCP contact located first by
 *	sip_resolve(), its CANCEL and ACK the same way): the request
 *	retransmitted by timer A (E for non-INVITE) over UDP, timer B (F)
 *	turning silence into a 408, timer C (180 s, reset by every
 *	provisional response) for an INVITE; the
 *	ACK of a non-2xx final response is ours to send (17.1.1.3), again
 *	for each retransmission of it during timer D;
 *
 *	response processing (16.7): 100 stays here; other provisional
 *	responses go up; every 2xx goes up at once and the other branches
 *	are cancelled; a 6xx ends the search and cancels the others;
 *	otherwise the final response goes up once no branch is pending and
 *	no target is left: the best one, a 6xx if there is one, else the
 *	lowest class (3xx before 4xx before 5xx), a 503 as 500;
 *
 *	CANCEL (16.10): a CANCEL matching a context is answered 200 at
 *	once, and every branch still pending is cancelled (9.1: a branch
 *	that has not answered yet is cancelled as soon as it does); the
 *	487s come back and the best of them goes up.
 *
 * Forking (16.6, configuration fork-mode): "parallel" starts every
 * target at once; "sequential" tries the targets by q, highest first,
 * the targets of equal q together (parallel within the group, RFC 3261
 * 16.6 leaves the grouping to the proxy), the next group once every
 * branch of the current one has failed, or when the group has not
 * answered within fork-timeout seconds (the ringing branches are then
 * cancelled and count as 408).
 *
 * Our branch parameter is "z9hG4bKsf", the context's id and the
 * branch's index (16 hex digits each): a response is matched to its
 * client transaction by it (17.1.3) and the CSeq method.  The id is a
 * keyed hash of a counter, so it cannot be guessed from another one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <event2/event.h>

#include "sipkd.h"

#define PX_PREFIX	"z9hG4bKsf"
#define PX_BUCKETS	4096
#define PX_MAX		20000		/* contexts at once; then 503 */
#define PX_BRANCHES	32
#define TIMER_C_MS	(180 * 1000)

enum br_state { B_IDLE, B_TRYING, B_PROCEEDING, B_COMPLETED, B_TERMINATED };
enum sv_state { SV_PROCEEDING, SV_COMPLETED, SV_CONFIRMED, SV_TERMINATED };

struct ptx;
struct branch;

/* a branch's DNS query or TCP connect in flight; @b NULL once it is gone */
struct brjob {
	struct branch *b;
	bool sync;		/* inside sip_resolve() still */
};

struct branch {
	struct ptx *p;
	unsigned int idx;
	char id[SIPK_BRANCH_LEN + 1];
	char *uri;
	struct sipk_addr dst;
	struct sip_target t;	/* where it went: address and transport */
	bool tcp;		/* over TCP: no timer A or E (17.1.1.2) */
	bool fallback;		/* TCP for its size only: UDP if refused */
	struct brjob *job;
	u16 q;
	enum br_state state;
	int code;		/* its final response; 0 none yet */
	bool cancel_wanted;	/* cancel once it has answered (9.1) */
	bool cancel_sent;
	bool timed_out;		/* cancelled by us: counts as 408 */
	struct dest d;
	u8 *req;		/* the request as sent */
	size_t len;
	u8 *ack;		/* the ACK of its non-2xx final response */
	size_t ack_len;
	struct event *tm;	/* A/B, E/F, then D/K */
	unsigned int interval, elapsed;
	struct event *tc;	/* C, then the wait for the 487 */
	u8 *cancel;
	size_t cancel_len;
	struct event *ctm;	/* the CANCEL's E/F */
	unsigned int civ, celapsed;
};

struct ptx {
	struct ptx *hnext, *inext;
	char *key;		/* the server transaction key */
	u64 id;
	bool invite;
	u8 *req;		/* the caller's request, and @m over it */
	struct sipk_msg m;
	struct rxinfo rx;
	struct dest up;		/* where responses go */
	u8 npop;
	enum sv_state sv;
	u8 *last;		/* the latest response sent up */
	size_t last_len;
	int last_code;
	struct event *stm;	/* G/H, I, J, or the linger after a 2xx */
	unsigned int interval, elapsed;
	/* best final response so far (16.7 step 6) */
	int best;
	u8 *best_resp;		/* Via removed, ready to go; NULL: our own */
	size_t best_len;
	bool got_2xx, got_6xx, cancelled;
	struct branch br[PX_BRANCHES];
	unsigned int nbr;	/* targets, sorted by q */
	unsigned int next;	/* the first target not started */
	struct event *seq;	/* sequential: the group's fork-timeout */
};

static struct ptx *by_key[PX_BUCKETS], *by_id[PX_BUCKETS];
static unsigned int count;
static u64 id_counter;
static u8 pbuf[SIPK_MAX_MSG + 2048];

/* ---- small helpers ---- */

static unsigned int hash_str(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % PX_BUCKETS;
}

static void arm(struct event *ev, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

static void hex16(char *out, u64 v)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++)
		out[i] = hex[(v >> (60 - 4 * i)) & 15];
}

static bool read_hex16(const u8 *s, u64 *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 16; i++) {
		int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else
			return false;
		*v = (*v << 4) | (u64)d;
	}
	return true;
}

static u8 *dup_bytes(const void *b, size_t len)
{
	u8 *d = malloc(len ? len : 1);

	if (d)
		memcpy(d, b, len);
	return d;
}

static void ob_hdr(struct obuf *w, const char *name, const u8 *b,
		   const struct raw_hdr *h)
{
	ob_fmt(w, "%s: ", name);
	ob_put(w, b + h->val_off, h->val_len);
	ob_put(w, "\r\n", 2);
}

/* ---- the table ---- */

static struct ptx *find_key(const char *key)
{
	struct ptx *p;

	for (p = by_key[hash_str(key)]; p; p = p->hnext)
		if (!strcmp(p->key, key))
			return p;
	return NULL;
}

static struct ptx *find_id(u64 id)
{
	struct ptx *p;

	for (p = by_id[id % PX_BUCKETS]; p; p = p->inext)
		if (p->id == id)
			return p;
	return NULL;
}

static void branch_free(struct branch *b)
{
	if (b->job)
		b->job->b = NULL;
	if (b->tm)
		event_free(b->tm);
	if (b->tc)
		event_free(b->tc);
	if (b->ctm)
		event_free(b->ctm);
	free(b->uri);
	free(b->req);
	free(b->ack);
	free(b->cancel);
}

static void ptx_free(struct ptx *p)
{
	struct ptx **pp;
	unsigned int i;

	for (pp = &by_key[hash_str(p->key)]; *pp; pp = &(*pp)->hnext)
		if (*pp == p) {
			*pp = p->hnext;
			break;
		}
	for (pp = &by_id[p->id % PX_BUCKETS]; *pp; pp = &(*pp)->inext)
		if (*pp == p) {
			*pp = p->inext;
			break;
		}
	count--;
	for (i = 0; i < p->nbr; i++)
		branch_free(&p->br[i]);
	if (p->stm)
		event_free(p->stm);
	if (p->seq)
		event_free(p->seq);
	free(p->key);
	free(p->req);
	free(p->last);
	free(p->best_resp);
	free(p);
}

/* the context is done once the caller's side and every branch are */
static void ptx_maybe_free(struct ptx *p)
{
	unsigned int i;

	if (p->sv != SV_TERMINATED)
		return;
	for (i = 0; i < p->nbr; i++)
		if (p->br[i].state != B_IDLE && p->br[i].state != B_TERMINATED)
			return;
	ptx_free(p);
}

/* ---- the caller's side (server transaction) ---- */

static void sv_terminate(struct ptx *p)
{
	p->sv = SV_TERMINATED;
	evtimer_del(p->stm);
	if (p->seq)
		evtimer_del(p->seq);
}

static void on_server_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ptx *p = arg;

	(void)fd;
	(void)what;
	if (p->sv == SV_COMPLETED && p->invite && p->last_code >= 300) {
		/* timer G, until timer H */
		p->elapsed += p->interval;
		if (p->up.conn && p->elapsed < 64 * T1_MS)
			p->elapsed = 64 * T1_MS;
		if (p->elapsed >= 64 * T1_MS) {
			log_info("no ACK for the %d to a forked INVITE in %u s",
				 p->last_code, 64 * T1_MS / 1000);
			sv_terminate(p);
			ptx_maybe_free(p);
			return;
		}
		transport_send(&p->up, p->last, p->last_len);
		STAT(ST_TX_RETRANSMIT);
		p->interval = p->interval * 2 > T2_MS ? T2_MS : p->interval * 2;
		if (p->elapsed + p->interval > 64 * T1_MS)
			p->interval = 64 * T1_MS - p->elapsed;
		arm(p->stm, p->interval);
		return;
	}
	/* timer I, J, or the end of the linger after a 2xx */
	sv_terminate(p);
	ptx_maybe_free(p);
}

/* @buf: a response for the caller, ready to go */
static void send_up(struct ptx *p, const u8 *buf, size_t len, int code,
		    bool forwarded)
{
	u8 *copy;

	if (p->sv != SV_PROCEEDING && !(code >= 200 && code < 300 && p->invite))
		return;		/* a final response went up already */
	if (transport_send(&p->up, buf, len) == 0) {
		if (forwarded)
			STAT(ST_FWD_RESPONSE);
		count_tx(code);
	}
	copy = dup_bytes(buf, len);
	if (copy) {
		free(p->last);
		p->last = copy;
		p->last_len = len;
		p->last_code = code;
	}
	if (code < 200 || p->sv != SV_PROCEEDING)
		return;
	evtimer_del(p->stm);
	if (code < 300 && p->invite) {
		/*
		 * RFC 3261 17.2.1: a 2xx ends the INVITE server transaction;
		 * the context lingers for the other branches' 2xx and the
		 * caller's retransmissions (RFC 6026's Accepted state).
		 */
		p->sv = SV_COMPLETED;
		arm(p->stm, 64 * T1_MS);
		return;
	}
	p->sv = SV_COMPLETED;
	if (p->invite) {
		p->interval = p->up.conn ? 64 * T1_MS : T1_MS;
		p->elapsed = 0;
		arm(p->stm, p->interval);
	} else {
		arm(p->stm, p->up.conn ? 0 : 64 * T1_MS);
	}
}

/* a response of our own for the caller (100, 408, 480, 500, ...) */
static void reply_up(struct ptx *p, int code, const char *reason)
{
	size_t len;
	char fl[80];

	if (build_response(&p->m, &p->rx, code, reason, NULL, (char *)pbuf,
			   sizeof(pbuf), &len)) {
		log_info("cannot build a %d for %s", code,
			 first_line(p->m.buf, p->m.len, fl, sizeof(fl)));
		return;
	}
	send_up(p, pbuf, len, code, false);
}

static const char *reason_of(int code)
{
	switch (code) {
	case 408: return "Request Timeout";
	case 480: return "Temporarily Unavailable";
	case 482: return "Loop Detected";
	case 487: return "Request Terminated";
	case 500: return "Server Internal Error";
	case 503: return "Service Unavailable";
	case 513: return "Message Too Large";
	default: return "Error";
	}
}

/* ---- choosing the response (16.7 step 6) ---- */

/* lower is better: 6xx, then 3xx, 4xx, 5xx */
static int rank(int code)
{
	return code >= 600 ? 0 : code / 100;
}

/* a final non-2xx of a branch: @resp (Via removed) or one of ours */
static void offer(struct ptx *p, int code, const u8 *resp, size_t len)
{
	if (p->best && rank(code) >= rank(p->best))
		return;
	free(p->best_resp);
	p->best_resp = NULL;
	p->best_len = 0;
	p->best = code;
	if (resp && code != 503) {
		p->best_resp = dup_bytes(resp, len);
		p->best_len = len;
		if (!p->best_resp)
			p->best = code;	/* ours, then */
	}
}

static bool pending(const struct ptx *p)
{
	unsigned int i;

	for (i = 0; i < p->nbr; i++)
		if (p->br[i].state == B_TRYING || p->br[i].state == B_PROCEEDING)
			return true;
	return false;
}

static void start_next(struct ptx *p);

/* a branch ended, or a target could not be tried: what now? */
static void progress(struct ptx *p)
{
	if (p->sv != SV_PROCEEDING || pending(p))
		return;
	if (!p->got_2xx && !p->got_6xx && !p->cancelled &&
	    p->next < p->nbr) {
		start_next(p);
		if (pending(p) || p->sv != SV_PROCEEDING)
			return;
	}
	if (p->got_2xx)
		return;
	if (p->cancelled && p->best != 487) {
		/* the caller cancelled: it hears 487 (9.2), whatever came */
		free(p->best_resp);
		p->best_resp = NULL;
		p->best = 487;
	}
	if (!p->best)
		p->best = 480;
	if (p->best_resp) {
		send_up(p, p->best_resp, p->best_len, p->best, true);
	} else {
		int code = p->best == 503 ? 500 : p->best;

		reply_up(p, code, reason_of(code));
	}
}

/* ---- the branches (client transactions) ---- */

/*
 * ACK (of @resp) or CANCEL for branch @b (RFC 3261 17.1.1.3, 9.1): its
 * Request-URI, our Via alone with the branch's parameter, Call-ID, From,
 * the CSeq number, the Routes it carried; To from @resp, else its own.
 */
static int hop_request(const struct branch *b, const char *method,
		       const struct sipk_msg *resp, u8 *out, size_t size)
{
	struct obuf w = { .b = (char *)out, .size = size };
	struct sipk_msg r;
	struct raw_hdr h;
	struct hdr_it it;
	bool to_done = false;

	sipk_parse(b->req, b->len, &r);
	if (r.verdict == SIPK_MALFORMED || !r.via_count)
		return -1;
	ob_fmt(&w, "%s ", method);
	ob_put(&w, r.buf + r.ruri.all.off, r.ruri.all.len);
	ob_fmt(&w, " SIP/2.0\r\nVia: ");
	ob_put(&w, r.buf + r.via[0].value.off, r.via[0].value.len);
	ob_fmt(&w, "\r\nMax-Forwards: 70\r\n");
	if (resp) {
		hdr_it_init(&it, resp->buf, resp->len);
		while (hdr_it_next(&it, &h))
			if (hdr_is(resp->buf, &h, "To", 't')) {
				ob_hdr(&w, "To", resp->buf, &h);
				to_done = true;
				break;
			}
	}
	hdr_it_init(&it, b->req, b->len);
	while (hdr_it_next(&it, &h)) {
		if (hdr_is(b->req, &h, "From", 'f'))
			ob_hdr(&w, "From", b->req, &h);
		else if (hdr_is(b->req, &h, "To", 't') && !to_done)
			ob_hdr(&w, "To", b->req, &h);
		else if (hdr_is(b->req, &h, "Call-ID", 'i'))
			ob_hdr(&w, "Call-ID", b->req, &h);
		else if (hdr_is(b->req, &h, "Route", 0))
			ob_hdr(&w, "Route", b->req, &h);
	}
	ob_fmt(&w, "CSeq: %u %s\r\nContent-Length: 0\r\n\r\n", r.cseq, method);
	return w.overflow ? -1 : (int)w.len;
}

/* CANCEL, ACK, a retransmission: the way the branch's request went */
static void br_send(struct branch *b, const u8 *buf, size_t len)
{
	if (b->tcp)
		transport_send_target(&b->t, buf, len, 0, NULL, NULL);
	else
		transport_send(&b->d, buf, len);
}

static void br_terminate(struct branch *b)
{
	b->state = B_TERMINATED;
	evtimer_del(b->tm);
	evtimer_del(b->tc);
}

static void on_cancel_timer(evutil_socket_t fd, short what, void *arg)
{
	struct branch *b = arg;

	(void)fd;
	(void)what;
	/* timer E of the CANCEL (17.1.2.2), until timer F */
	b->celapsed += b->civ;
	if (b->celapsed >= 64 * T1_MS || b->tcp)
		return;
	br_send(b, b->cancel, b->cancel_len);
	STAT(ST_TX_RETRANSMIT);
	b->civ = b->civ * 2 > T2_MS ? T2_MS : b->civ * 2;
	arm(b->ctm, b->civ);
}

static void send_cancel(struct branch *b)
{
	int len;

	if (b->cancel_sent || b->state != B_PROCEEDING)
		return;
	len = hop_request(b, "CANCEL", NULL, pbuf, sizeof(pbuf));
	if (len < 0)
		return;
	b->cancel = dup_bytes(pbuf, (size_t)len);
	if (!b->cancel)
		return;
	b->cancel_len = (size_t)len;
	b->cancel_sent = true;
	log_debug("fork: CANCEL branch %u (%s)", b->idx, b->uri);
	br_send(b, b->cancel, b->cancel_len);
	STAT(ST_FORK_CANCEL);
	b->civ = T1_MS;
	b->celapsed = 0;
	arm(b->ctm, T1_MS);
	/* should the 487 never come: timer C's end, 64*T1 (16.8) */
	arm(b->tc, 64 * T1_MS);
}

/* 16.7 step 10, 16.10: cancel every pending branch but @except */
static void cancel_others(struct ptx *p, const struct branch *except)
{
	unsigned int i;

	for (i = 0; i < p->nbr; i++) {
		struct branch *b = &p->br[i];

		if (b == except || !p->invite)
			continue;
		if (b->state == B_PROCEEDING)
			send_cancel(b);
		else if (b->state == B_TRYING)
			b->cancel_wanted = true;
	}
}

/* a branch's final response of our own (timeouts, no route, a loop) */
static void br_fail(struct branch *b, int code)
{
	struct ptx *p = b->p;

	br_terminate(b);
	b->code = code;
	offer(p, code, NULL, 0);
	progress(p);
	ptx_maybe_free(p);
}

static void on_branch_timer(evutil_socket_t fd, short what, void *arg)
{
	struct branch *b = arg;
	struct ptx *p = b->p;

	(void)fd;
	(void)what;
	if (b->state == B_COMPLETED) {
		/* timer D or K: the branch is done */
		br_terminate(b);
		ptx_maybe_free(p);
		return;
	}
	b->elapsed += b->interval;
	if (b->elapsed >= 64 * T1_MS) {
		if (b->state == B_PROCEEDING && p->invite)
			return;	/* an INVITE that rings: timer C's business */
		/* timer B or F (16.7 step 2: as if a 408 came) */
		log_info("fork: no answer from %s in %u s: 408", b->uri,
			 64 * T1_MS / 1000);
		STAT(ST_FORK_TIMEOUT);
		br_fail(b, 408);
		return;
	}
	if (b->tcp) {
		arm(b->tm, 64 * T1_MS - b->elapsed);
		b->interval = 64 * T1_MS - b->elapsed;
		return;
	}
	/* timer A (INVITE, until a response) or E (non-INVITE) */
	if (b->state == B_TRYING || !p->invite) {
		br_send(b, b->req, b->len);
		STAT(ST_TX_RETRANSMIT);
	}
	if (p->invite)
		b->interval *= 2;
	else
		b->interval = b->state == B_PROCEEDING ? T2_MS :
			(b->interval * 2 > T2_MS ? T2_MS : b->interval * 2);
	if (b->elapsed + b->interval > 64 * T1_MS)
		b->interval = 64 * T1_MS - b->elapsed;
	arm(b->tm, b->interval);
}

static void on_timer_c(evutil_socket_t fd, short what, void *arg)
{
	struct branch *b = arg;

	(void)fd;
	(void)what;
	if (b->state != B_TRYING && b->state != B_PROCEEDING)
		return;
	if (b->cancel_sent || b->state == B_TRYING) {
		/* no 487 after our CANCEL, or never an answer */
		STAT(ST_FORK_TIMEOUT);
		br_fail(b, 408);
		return;
	}
	/* 16.8: a provisional response came: CANCEL it, then wait */
	log_info("fork: timer C for %s: cancelled", b->uri);
	STAT(ST_FORK_TIMEOUT);
	b->timed_out = true;
	send_cancel(b);
}

/* timer A/B (E/F) from now, and C for an INVITE */
static void br_arm(struct branch *b)
{
	b->interval = b->tcp ? 64 * T1_MS : T1_MS;
	b->elapsed = 0;
	arm(b->tm, b->interval);
	if (b->p->invite)
		arm(b->tc, TIMER_C_MS);
}

/* the request over UDP after all (a refused connect, 18.1.1); 0 or -1 */
static int br_to_udp(struct branch *b)
{
	if (!b->fallback || via_set_transport(b->req, b->len, "UDP"))
		return -1;
	log_info("fork: no TCP connection for %s: %zu octets over UDP instead",
		 b->uri, b->len);
	STAT(ST_TCP_FALLBACK);
	b->tcp = false;
	b->t.tp = TP_UDP;
	return transport_send(&b->d, b->req, b->len) ? -1 : 0;
}

static struct brjob *br_job(struct branch *b)
{
	struct brjob *j = calloc(1, sizeof(*j));

	if (j) {
		j->b = b;
		b->job = j;
	}
	return j;
}

/* the job's branch, if still there; the job is done */
static struct branch *br_job_end(struct brjob *j)
{
	struct branch *b = j->b;

	if (b)
		b->job = NULL;
	free(j);
	return b;
}

static void on_br_sent(void *arg, int err)
{
	struct branch *b = br_job_end(arg);

	if (!b || !err || b->state != B_TRYING)
		return;
	STAT(ST_TCP_FAILED);
	if (!br_to_udp(b)) {
		br_arm(b);
		return;
	}
	log_info("fork: no TCP connection for %s (%s): 503", b->uri,
		 strerror(-err));
	br_fail(b, 503);
}

/*
 * Branch @b's request built and sent to b->t (UDP, or TCP as its URI or
 * its size says, 18.1.1), timers armed.  Return: 0, else the branch's
 * final response of our own.
 */
static int send_branch(struct ptx *p, struct branch *b)
{
	struct sipk_msg mm = p->m;
	struct sipk_addr self;
	struct brjob *j = NULL;
	char a[64];
	size_t pl = sizeof(PX_PREFIX) - 1, i, lines = 0;
	int len, r;
	struct sipk_fwd f = {
		.m = &mm,
		.key = &fwd_key,
		.src = p->rx.src_a,
		.pop_route = p->npop,
		.record_route = conf.record_route && !p->npop,
		.dst = b->dst,
		.ruri = (const u8 *)b->uri,
		.ruri_len = (u16)strlen(b->uri),
	};

	mm.verdict = SIPK_OK;
	if (transport_is_local(&b->dst)) {
		log_info("fork: %s would go to ourselves: 482", b->uri);
		return 482;
	}
	if (transport_route(&b->dst, &b->d, &self)) {
		log_info("fork: no route to %s for %s",
			 sipk_addr_fmt(&b->dst, a, sizeof(a)), b->uri);
		return 503;
	}
	f.self = self;
	if (p->rx.has_local) {
		/* the caller's side of us, when another (RFC 5658) */
		sa_to_sipk((const struct sockaddr *)&p->rx.local, &f.self_in);
		f.self_in.port = self.port;
	}
	len = sipk_build_request(&f, pbuf, sizeof(pbuf));
	if (len < 0)
		return len == -ENOSPC ? 513 : 500;
	/* our stateful branch instead of the stateless one */
	for (i = 0; i + 8 + SIPK_BRANCH_LEN <= (size_t)len && lines < 3; i++) {
		if (pbuf[i] == '\n')
			lines++;
		if (!memcmp(pbuf + i, ";branch=" SIPK_BRANCH_PREFIX, 8 + pl)) {
			memcpy(pbuf + i + 8, b->id, SIPK_BRANCH_LEN);
			break;
		}
	}
	if (b->t.tp == TP_UDP && (unsigned int)len > conf.udp_max) {
		b->t.tp = TP_TCP;	/* RFC 3261 18.1.1 */
		b->fallback = true;
	}
	b->tcp = b->t.tp == TP_TCP;
	if (b->tcp && via_set_transport(pbuf, (size_t)len, "TCP"))
		return 503;
	b->req = dup_bytes(pbuf, (size_t)len);
	if (b->tcp && b->req)
		j = br_job(b);
	if (!b->req || (b->tcp && !j))
		return 500;
	b->len = (size_t)len;
	log_debug("fork: branch %u -> %s (%s %s, q=%u)", b->idx, b->uri,
		  b->tcp ? "tcp" : "udp", sipk_addr_fmt(&b->dst, a, sizeof(a)),
		  b->q);
	if (!b->tcp) {
		r = transport_send(&b->d, b->req, b->len) ? -1 : 0;
	} else {
		r = transport_send_target(&b->t, b->req, b->len, 0,
					  on_br_sent, j);
		if (r != 1)
			br_job_end(j);
		if (r < 0) {
			STAT(ST_TCP_FAILED);
			r = br_to_udp(b);
		}
		if (r < 0) {
			log_info("fork: no TCP connection for %s: 503", b->uri);
			return 503;
		}
		if (b->tcp)
			STAT(ST_FWD_TCP);
	}
	STAT(ST_FORK_BRANCH);
	STAT(ST_FWD_REQUEST);
	if (p->invite)
		STAT(ST_FWD_INVITE);
	br_arm(b);
	return 0;
}

static void on_br_located(void *arg, int err, const struct sip_target *t,
			  int n)
{
	bool sync = ((struct brjob *)arg)->sync;
	struct branch *b = br_job_end(arg);
	int i, code;

	if (!b)
		return;		/* its context is gone (-ECANCELED too) */
	if (err) {
		STAT(ST_DNS_FAILED);
		log_info("fork: cannot locate %s: %s", b->uri,
			 err == -ENOENT ? "no such name or no SIP record" :
			 err == -EAGAIN ? "resolver failure" :
			 err == -EPROTONOSUPPORT ? "transport not supported" :
			 strerror(-err));
		code = err == -ENOENT ? 404 : 503;
	} else if (n < 1) {
		code = 404;
	} else if (b->cancel_wanted) {
		code = b->timed_out ? 408 : 487;	/* nothing sent yet */
	} else {
		STAT(ST_DNS_RESOLVED);
		/* the first target that is not ourselves */
		for (i = 0; i < n - 1 && transport_is_local(&t[i].addr); i++)
			;
		b->t = t[i];
		b->dst = t[i].addr;
		code = send_branch(b->p, b);
	}
	if (!code)
		return;
	if (!sync) {
		br_fail(b, code);
		return;
	}
	b->state = B_TERMINATED;
	b->code = code;
	offer(b->p, code, NULL, 0);
}

/*
 * Starts branch @b: at once to an address, or once a host name or a
 * TCP contact is located (RFC 3263, dns.c).  False: it failed at once.
 */
static bool start_branch(struct ptx *p, struct branch *b)
{
	struct brjob *j;
	int code = 500;

	b->state = B_TRYING;
	b->tm = evtimer_new(evbase, on_branch_timer, b);
	b->tc = evtimer_new(evbase, on_timer_c, b);
	b->ctm = evtimer_new(evbase, on_cancel_timer, b);
	if (b->tm && b->tc && b->ctm && !b->dst.family) {
		j = br_job(b);
		if (j) {
			log_debug("fork: branch %u: locating %s", b->idx,
				  b->uri);
			j->sync = true;
			sip_resolve(b->uri, on_br_located, j);
			if (b->job)
				b->job->sync = false;
			return b->state != B_TERMINATED;
		}
	} else if (b->tm && b->tc && b->ctm) {
		b->t.addr = b->dst;
		b->t.tp = TP_UDP;
		code = send_branch(p, b);
		if (!code)
			return true;
	}
	b->state = B_TERMINATED;
	b->code = code;
	offer(p, code, NULL, 0);
	return false;
}

static void on_seq_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ptx *p = arg;
	unsigned int i;

	(void)fd;
	(void)what;
	if (p->sv != SV_PROCEEDING || p->got_2xx || p->cancelled ||
	    p->next >= p->nbr)
		return;
	log_info("fork: no answer in %u s: the next q group",
		 conf.fork_timeout);
	STAT(ST_FORK_TIMEOUT);
	for (i = 0; i < p->next; i++) {
		struct branch *b = &p->br[i];

		if (b->state != B_TRYING && b->state != B_PROCEEDING)
			continue;
		b->timed_out = true;
		offer(p, 408, NULL, 0);
		if (b->state == B_PROCEEDING)
			send_cancel(b);
		else
			b->cancel_wanted = true;
	}
	start_next(p);
	progress(p);
}

/* the next group of targets: all (parallel), or those of the next q */
static void start_next(struct ptx *p)
{
	unsigned int i, end = p->nbr;
	bool any = false;

	if (conf.fork_mode == FORK_SEQUENTIAL && p->next < p->nbr)
		for (end = p->next + 1; end < p->nbr &&
		     p->br[end].q == p->br[p->next].q; end++)
			;
	while (!any && p->next < p->nbr) {
		for (i = p->next; i < end; i++)
			any |= start_branch(p, &p->br[i]);
		p->next = end;
		if (!any && conf.fork_mode == FORK_SEQUENTIAL && end < p->nbr)
			for (end = p->next + 1; end < p->nbr &&
			     p->br[end].q == p->br[p->next].q; end++)
				;
	}
	if (any && conf.fork_mode == FORK_SEQUENTIAL && p->invite &&
	    p->next < p->nbr && p->seq)
		arm(p->seq, conf.fork_timeout * 1000);
}

/* ---- entry points ---- */

bool proxy_is_ours(const struct sipk_msg *m)
{
	const struct sipk_via *v = &m->via[0];

	return m->via_count && v->branch.len == SIPK_BRANCH_LEN &&
	       !memcmp(m->buf + v->branch.off, PX_PREFIX,
		       sizeof(PX_PREFIX) - 1);
}

static int cmp_target(const void *a, const void *b)
{
	const struct target *x = a, *y = b;

	if (x->q != y->q)
		return x->q > y->q ? -1 : 1;
	if (x->updated != y->updated)
		return x->updated > y->updated ? -1 : 1;
	return 0;
}

void proxy_fork(const struct sipk_msg *m, const struct rxinfo *rx,
		const struct target *tg, int n, u8 npop)
{
	struct target t[PX_BRANCHES];
	char key[1024];
	struct ptx *p;
	unsigned int h, i;
	u64 ctr;

	if (n > PX_BRANCHES)
		n = PX_BRANCHES;
	memcpy(t, tg, sizeof(*t) * (size_t)n);
	/* by q, highest first; the most recent first among equals */
	qsort(t, (size_t)n, sizeof(*t), cmp_target);
	stx_key(m, false, key, sizeof(key));
	if (count >= PX_MAX) {
		reply(m, rx, 503, "Service Unavailable", "Retry-After: 5\r\n");
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		goto nomem;
	p->key = strdup(key);
	p->req = dup_bytes(m->buf, m->len);
	p->stm = evtimer_new(evbase, on_server_timer, p);
	p->seq = evtimer_new(evbase, on_seq_timer, p);
	if (!p->key || !p->req || !p->stm || !p->seq)
		goto nomem_p;
	sipk_parse(p->req, m->len, &p->m);
	p->rx = *rx;
	response_dest(m, rx, &p->up);
	p->invite = m->method == SIPK_M_INVITE;
	p->npop = npop;
	p->sv = SV_PROCEEDING;
	ctr = ++id_counter;
	p->id = sipk_siphash(&ctr, sizeof(ctr), &fwd_key);
	for (i = 0; i < (unsigned int)n; i++) {
		struct branch *b = &p->br[i];

		b->p = p;
		b->idx = i;
		b->uri = strdup(t[i].uri);
		if (!b->uri) {
			p->nbr = i;
			goto nomem_p;
		}
		b->dst = t[i].dst;
		b->q = t[i].q;
		memcpy(b->id, PX_PREFIX, sizeof(PX_PREFIX) - 1);
		hex16(b->id + 9, p->id);
		hex16(b->id + 25, i);
		b->id[SIPK_BRANCH_LEN] = '\0';
	}
	p->nbr = (unsigned int)n;
	h = hash_str(p->key);
	p->hnext = by_key[h];
	by_key[h] = p;
	p->inext = by_id[p->id % PX_BUCKETS];
	by_id[p->id % PX_BUCKETS] = p;
	count++;
	STAT(ST_FORK);
	log_debug("fork: %u targets, %s", p->nbr,
		  conf.fork_mode == FORK_SEQUENTIAL ? "sequential" : "parallel");
	if (p->invite)
		reply_up(p, 100, "Trying");
	start_next(p);
	progress(p);
	ptx_maybe_free(p);
	return;
nomem_p:
	for (i = 0; i < p->nbr; i++)
		free(p->br[i].uri);
	if (p->stm)
		event_free(p->stm);
	if (p->seq)
		event_free(p->seq);
	free(p->key);
	free(p->req);
	free(p);
nomem:
	log_err("out of memory: cannot fork a request");
	reply(m, rx, 500, "Server Internal Error", NULL);
}

bool proxy_absorb(const struct sipk_msg *m, const struct rxinfo *rx)
{
	char key[1024];
	struct ptx *p;

	if (!count)
		return false;
	if (m->method == SIPK_M_CANCEL) {
		stx_key(m, true, key, sizeof(key));
		p = find_key(key);
		if (!p || !p->invite)
			return false;
		/* 16.10: 200 at once, then every pending branch cancelled */
		reply(m, rx, 200, "OK", NULL);
		if (p->sv == SV_PROCEEDING && !p->got_2xx && !p->cancelled) {
			log_debug("fork: CANCEL from the caller: %u branches",
				  p->nbr);
			p->cancelled = true;
			evtimer_del(p->seq);
			cancel_others(p, NULL);
			/* targets never tried: nothing to wait for */
			p->next = p->nbr;
			if (!pending(p))
				offer(p, 487, NULL, 0);
			progress(p);
		}
		return true;
	}
	stx_key(m, false, key, sizeof(key));
	p = find_key(key);
	if (!p)
		return false;
	if (m->method == SIPK_M_ACK) {
		if (p->last_code < 300)
			return false;	/* an ACK for a 2xx: end to end */
		if (p->sv == SV_COMPLETED) {
			p->sv = SV_CONFIRMED;
			evtimer_del(p->stm);
			arm(p->stm, p->up.conn ? 0 : T4_MS);
		}
		return true;
	}
	/* a retransmission: the latest response again (17.2.1, 17.2.2) */
	STAT(ST_RETRANSMISSION);
	if (p->last && p->sv != SV_CONFIRMED &&
	    !(p->last_code >= 200 && p->last_code < 300 && p->invite)) {
		transport_send(&p->up, p->last, p->last_len);
		STAT(ST_TX_RETRANSMIT);
	}
	return true;
}

void proxy_response(const struct sipk_msg *m, const struct rxinfo *rx)
{
	const struct sipk_via *v = &m->via[0];
	const u8 *br = m->buf + v->branch.off;
	struct branch *b;
	struct ptx *p;
	u64 id, idx;
	char fl[80], a[64];
	int len, code = m->status;
	bool is_cancel;

	p = NULL;
	if (read_hex16(br + 9, &id) && read_hex16(br + 25, &idx))
		p = find_id(id);
	if (!p || idx >= p->nbr || p->br[idx].state == B_IDLE) {
		STAT(ST_DROPPED);
		log_debug("response to no branch of ours dropped: %s from %s",
			  first_line(m->buf, m->len, fl, sizeof(fl)),
			  sa_fmt((const struct sockaddr *)&rx->src, a, sizeof(a)));
		return;
	}
	b = &p->br[idx];
	is_cancel = sipk_str_eq(m, m->cseq_method, "CANCEL");
	if (is_cancel) {
		/* the CANCEL's client transaction: any final ends it */
		if (code >= 200)
			evtimer_del(b->ctm);
		return;
	}
	if (p->invite && !sipk_str_eq(m, m->cseq_method, "INVITE")) {
		STAT(ST_DROPPED);
		return;
	}
	if (code < 200) {
		if (b->state != B_TRYING && b->state != B_PROCEEDING)
			return;
		if (b->state == B_TRYING) {
			b->state = B_PROCEEDING;
			if (p->invite)
				evtimer_del(b->tm);	/* no more timer A, B */
			else
				b->interval = T2_MS;	/* E at T2 (17.1.2.2) */
		}
		if (p->invite && code > 100 && !b->cancel_sent)
			arm(b->tc, TIMER_C_MS);	/* 16.7 step 2 */
		if (b->cancel_wanted) {
			send_cancel(b);
			return;
		}
		if (code == 100 || b->cancel_sent || p->cancelled)
			return;
		len = sipk_build_response(m, pbuf, sizeof(pbuf));
		if (len > 0)
			send_up(p, pbuf, (size_t)len, code, true);
		return;
	}
	if (code < 300) {
		/* every 2xx goes up at once (16.7 step 5) */
		bool first = !p->got_2xx;

		if (b->state == B_TRYING || b->state == B_PROCEEDING)
			br_terminate(b);
		b->code = code;
		len = sipk_build_response(m, pbuf, sizeof(pbuf));
		if (len > 0 && (p->invite || first)) {
			p->got_2xx = true;
			log_debug("fork: %d from branch %u (%s): forwarded", code,
				  b->idx, b->uri);
			send_up(p, pbuf, (size_t)len, code, true);
		}
		if (first) {
			evtimer_del(p->seq);
			p->next = p->nbr;
			cancel_others(p, b);
		}
		ptx_maybe_free(p);
		return;
	}
	/* a final non-2xx: ACK it ourselves (17.1.1.3) */
	if (p->invite) {
		if (!b->ack) {
			int alen = hop_request(b, "ACK", m, pbuf, sizeof(pbuf));

			if (alen > 0) {
				b->ack = dup_bytes(pbuf, (size_t)alen);
				b->ack_len = (size_t)alen;
			}
		}
		if (b->ack) {
			br_send(b, b->ack, b->ack_len);
			STAT(ST_FORK_ACK);
		}
	}
	if (b->state != B_TRYING && b->state != B_PROCEEDING)
		return;		/* a retransmission: ACKed again */
	b->state = B_COMPLETED;
	b->code = code;
	evtimer_del(b->tm);
	evtimer_del(b->tc);
	evtimer_del(b->ctm);
	/* timer D (32 s over UDP) or K (T4) */
	if (b->tcp)
		arm(b->tm, 0);
	else
		arm(b->tm, p->invite ? 64 * T1_MS : T4_MS);
	log_debug("fork: %d from branch %u (%s)", code, b->idx, b->uri);
	if (!b->timed_out) {
		len = sipk_build_response(m, pbuf, sizeof(pbuf));
		offer(p, code, len > 0 ? pbuf : NULL, len > 0 ? (size_t)len : 0);
	}
	if (code >= 600 && !p->got_2xx) {
		/* 16.7 step 5: a 6xx ends the search */
		p->got_6xx = true;
		evtimer_del(p->seq);
		p->next = p->nbr;
		cancel_others(p, b);
	}
	progress(p);
}

void proxy_flush(void)
{
	unsigned int i;

	for (i = 0; i < PX_BUCKETS; i++)
		while (by_key[i])
			ptx_free(by_key[i]);
}

unsigned int proxy_count(void)
{
	return count;
}
