// SPDX-License-Identifier: GPL-2.0
/*
 * trans.c - server transactions for the responses sipkd itself sends
 * (RFC 3261 17.2), over UDP.
 *
 * Every final response sipkd generates is remembered under its
 * request's transaction key, so a retransmitted request gets the same
 * response again instead of being processed twice (a REGISTER would
 * otherwise meet its own CSeq).  A final non-2xx response to an INVITE
 * (our 302, 404, 483, ...) is retransmitted by timer G (T1, doubling up
 * to T2) until the ACK arrives or timer H (64*T1) gives up; the ACK is
 * absorbed, and so are its retransmissions for T4 (timer I).
 * Non-INVITE transactions are forgotten after 64*T1 (timer J).
 *
 * The key (17.2.3): the branch with the magic cookie, the sent-by and
 * the method (ACK matching INVITE), and also Call-ID and CSeq number;
 * for an RFC 2543 client without the cookie, Call-ID, From tag, CSeq
 * number and the top Via.
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "sipkd.h"

#define STX_BUCKETS	4096
#define STX_MAX		100000

enum stx_state { S_COMPLETED, S_CONFIRMED };

struct stx {
	struct stx *hnext;
	char *key;
	bool invite;
	enum stx_state state;
	int code;
	u8 *resp;
	size_t len;
	struct dest d;
	struct event *tm;
	unsigned int interval;	/* ms, timer G */
	unsigned int elapsed;	/* ms since the response, for timer H */
};

static struct stx *table[STX_BUCKETS];
static unsigned int count;

static unsigned int khash(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % STX_BUCKETS;
}

static size_t put(char *out, size_t n, size_t size, const u8 *s, size_t len)
{
	if (n + len + 1 >= size)
		len = n + 1 < size ? size - n - 1 : 0;
	memcpy(out + n, s, len);
	n += len;
	out[n] = '\0';
	return n;
}

/* @as_invite: the key of the INVITE a CANCEL or an ACK belongs to */
void stx_key(const struct sipk_msg *m, bool as_invite, char *out, size_t size)
{
	const struct sipk_via *v = &m->via[0];
	const u8 *b = m->buf;
	const char *method;
	size_t mlen, n = 0;
	char tmp[16];

	if (as_invite || m->method == SIPK_M_ACK || m->method == SIPK_M_INVITE) {
		method = "INVITE";
		mlen = 6;
	} else {
		method = (const char *)b + m->method_str.off;
		mlen = m->method_str.len;
	}
	if (v->branch.len > 7 && !memcmp(b + v->branch.off, "z9hG4bK", 7)) {
		n = put(out, n, size, (const u8 *)"1|", 2);
		n = put(out, n, size, b + v->branch.off, v->branch.len);
		n = put(out, n, size, (const u8 *)"|", 1);
		n = put(out, n, size, b + v->host.off, v->host.len);
		/*
		 * Not in 17.2.3, but a client reusing a branch for another
		 * request (RFC 4475's torture messages do) must not get the
		 * other's answer: Call-ID and CSeq number are the same in a
		 * retransmission and in the ACK.
		 */
		snprintf(tmp, sizeof(tmp), ":%u|%u|", v->port, m->cseq);
		n = put(out, n, size, (const u8 *)tmp, strlen(tmp));
		n = put(out, n, size, b + m->call_id.value.off,
			m->call_id.value.len);
		n = put(out, n, size, (const u8 *)"|", 1);
	} else {
		n = put(out, n, size, (const u8 *)"2|", 2);
		n = put(out, n, size, b + m->call_id.value.off,
			m->call_id.value.len);
		n = put(out, n, size, (const u8 *)"|", 1);
		n = put(out, n, size, b + m->from.tag.off, m->from.tag.len);
		snprintf(tmp, sizeof(tmp), "|%u|", m->cseq);
		n = put(out, n, size, (const u8 *)tmp, strlen(tmp));
		n = put(out, n, size, b + v->value.off, v->value.len);
		n = put(out, n, size, (const u8 *)"|", 1);
	}
	put(out, n, size, (const u8 *)method, mlen);
}

static void stx_free(struct stx *t)
{
	struct stx **pp = &table[khash(t->key)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	count--;
	if (t->tm)
		event_free(t->tm);
	free(t->key);
	free(t->resp);
	free(t);
}

static void arm(struct stx *t, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	evtimer_add(t->tm, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct stx *t = arg;

	(void)fd;
	(void)what;
	if (!t->invite || t->state == S_CONFIRMED) {
		stx_free(t);	/* timer J, or timer I */
		return;
	}
	/* timer G fired; timer H is 64*T1 after the first response */
	t->elapsed += t->interval;
	if (t->d.conn && t->elapsed < 64 * T1_MS)
		t->elapsed = 64 * T1_MS;
	if (t->elapsed >= 64 * T1_MS) {
		log_info("no ACK for our %d to an INVITE in %u s: transaction ends",
			 t->code, 64 * T1_MS / 1000);
		stx_free(t);
		return;
	}
	transport_send(&t->d, t->resp, t->len);
	STAT(ST_TX_RETRANSMIT);
	t->interval = t->interval * 2 > T2_MS ? T2_MS : t->interval * 2;
	if (t->elapsed + t->interval > 64 * T1_MS)
		t->interval = 64 * T1_MS - t->elapsed;
	arm(t, t->interval);
}

static struct stx *lookup(const char *key)
{
	struct stx *t;

	for (t = table[khash(key)]; t; t = t->hnext)
		if (!strcmp(t->key, key))
			return t;
	return NULL;
}

struct stx *stx_find(const struct sipk_msg *m)
{
	char key[1024];

	stx_key(m, false, key, sizeof(key));
	return lookup(key);
}

bool stx_invite_answered(const struct sipk_msg *cancel)
{
	char key[1024];
	struct stx *t;

	stx_key(cancel, true, key, sizeof(key));
	t = lookup(key);
	return t && t->invite;
}

void stx_add(const struct sipk_msg *m, const struct dest *d,
	     const void *resp, size_t len, int code)
{
	char key[1024];
	struct stx *t;
	unsigned int h;

	if (m->method == SIPK_M_ACK || code < 200)
		return;
	stx_key(m, false, key, sizeof(key));
	t = lookup(key);
	if (t)
		stx_free(t);
	if (count >= STX_MAX)
		return;
	t = calloc(1, sizeof(*t));
	if (!t)
		return;
	t->key = strdup(key);
	t->resp = malloc(len);
	t->tm = evtimer_new(evbase, on_timer, t);
	if (!t->key || !t->resp || !t->tm) {
		if (t->tm)
			event_free(t->tm);
		free(t->key);
		free(t->resp);
		free(t);
		return;
	}
	memcpy(t->resp, resp, len);
	t->len = len;
	t->d = *d;
	t->code = code;
	t->invite = m->method == SIPK_M_INVITE && code >= 300;
	t->state = S_COMPLETED;
	h = khash(key);
	t->hnext = table[h];
	table[h] = t;
	count++;
	if (t->invite && d->conn) {
		/* reliable: no timer G, timer H alone waits for the ACK */
		t->interval = 64 * T1_MS;
		arm(t, 64 * T1_MS);
	} else if (t->invite) {
		t->interval = T1_MS;
		arm(t, T1_MS);
	} else {
		arm(t, 64 * T1_MS);
	}
}

bool stx_absorb(const struct sipk_msg *m)
{
	struct stx *t = stx_find(m);

	if (!t)
		return false;
	if (m->method == SIPK_M_ACK) {
		if (!t->invite)
			return false;	/* an ACK for a 2xx: not ours */
		if (t->state == S_COMPLETED) {
			log_debug("ACK for our %d: INVITE transaction confirmed",
				  t->code);
			t->state = S_CONFIRMED;
			evtimer_del(t->tm);
			arm(t, T4_MS);
		}
		return true;
	}
	STAT(ST_RETRANSMISSION);
	if (t->invite && t->state == S_CONFIRMED)
		return true;
	transport_send(&t->d, t->resp, t->len);
	STAT(ST_TX_RETRANSMIT);
	return true;
}

void stx_flush(void)
{
	unsigned int i;

	for (i = 0; i < STX_BUCKETS; i++)
		while (table[i])
			stx_free(table[i]);
}

unsigned int stx_count(void)
{
	return count;
}
