// SPDX-License-Identifier: GPL-2.0
/*
 * locate.c - requests for a target that has no address yet.
 *
 * A contact with a host name, or one to be reached over TCP
 * (";transport=tcp"), has no address in the location table: the
 * request is copied, its target located (RFC 3263, dns.c), and then
 * forwarded to the first target that takes it (RFC 3263 4.3: on a
 * transport failure, the next one).  The answers sipkd gives itself:
 *
 *	no such name, no usable record		404 Not Found
 *	resolver failure or timeout		503 Service Unavailable
 *	a transport sipkd does not have		503 Service Unavailable
 *	every target failed (connection refused,
 *	timed out, no route)			503 Service Unavailable
 *
 * An in-dialog request whose Route is ours and whose remote target (the
 * Request-URI) is a host name, or names TCP, goes only to a target that
 * the Route's MAC names (where the dialog was set up to go; 403
 * otherwise), as requests to IP literals over UDP do in core.c.
 *
 * An ACK is never answered; it is simply not forwarded then.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sipkd.h"

/* requests waiting for DNS or a connect: beyond, 503 at once */
#define LOCATE_MAX	4096
static unsigned int n_jobs;

struct locjob {
	struct rxinfo rx;
	char *uri;		/* to locate */
	u8 pop;		/* Routes of ours to pop: 0, 1 or 2 */
	bool dialog;		/* only to targets our Route's MAC names */
	bool verified;		/* one of them was */
	struct sip_target t[SIP_MAX_TARGETS];
	int n, next;
	size_t len;
	u8 buf[];
};

static void job_free(struct locjob *j)
{
	n_jobs--;
	free(j->uri);
	free(j);
}

static void job_reply(struct locjob *j, int code, const char *reason)
{
	struct sipk_msg m;

	sipk_parse(j->buf, j->len, &m);
	reply(&m, &j->rx, code, reason, NULL);
}

static void try_next(struct locjob *j);

static void on_sent(void *arg, int err)
{
	struct locjob *j = arg;

	if (!err) {
		job_free(j);
		return;
	}
	STAT(ST_TCP_FAILED);
	try_next(j);
}

static void try_next(struct locjob *j)
{
	while (j->next < j->n) {
		struct sipk_msg m;
		int r;

		const struct sip_target *t = &j->t[j->next++];

		sipk_parse(j->buf, j->len, &m);
		if (j->dialog) {
			/* not an open relay: where the dialog was set up to go */
			if (!sipk_route_is_ours(&m, &fwd_key, &j->rx.src_a,
						&t->addr))
				continue;
			j->verified = true;
		}
		r = forward_to(&m, &j->rx, j->dialog ? NULL : j->uri, t, j->pop,
			       on_sent, j);
		if (r == 1)
			return;		/* on_sent follows */
		if (r == 0) {
			job_free(j);
			return;
		}
	}
	if (j->dialog && !j->verified) {
		log_info("%s: no target our Route names: 403", j->uri);
		job_reply(j, 403, "Forbidden (Route not ours, no relaying)");
	} else {
		log_info("%s: no target took the request: 503", j->uri);
		job_reply(j, 503, "Service Unavailable");
	}
	job_free(j);
}

static void on_located(void *arg, int err, const struct sip_target *t, int n)
{
	struct locjob *j = arg;

	if (err == -ECANCELED) {
		job_free(j);
		return;
	}
	if (err) {
		STAT(ST_DNS_FAILED);
		log_info("cannot locate %s: %s", j->uri,
			 err == -ENOENT ? "no such name or no SIP record" :
			 err == -EAGAIN ? "resolver failure" :
			 err == -EPROTONOSUPPORT ? "transport not supported" :
			 strerror(-err));
		if (err == -ENOENT)
			job_reply(j, 404, "Not Found (target does not resolve)");
		else
			job_reply(j, 503, "Service Unavailable");
		job_free(j);
		return;
	}
	STAT(ST_DNS_RESOLVED);
	memcpy(j->t, t, (size_t)n * sizeof(*t));
	j->n = n;
	j->next = 0;
	try_next(j);
}

static struct locjob *job_new(const struct sipk_msg *m,
			      const struct rxinfo *rx, const char *uri, u8 pop);

void forward_locate(const struct sipk_msg *m, const struct rxinfo *rx,
		    const char *uri, u8 pop)
{
	struct locjob *j = job_new(m, rx, uri, pop);

	if (j)
		sip_resolve(j->uri, on_located, j);
}

void forward_locate_dialog(const struct sipk_msg *m, const struct rxinfo *rx,
			   u8 pop)
{
	char *uri = strndup((const char *)m->buf + m->ruri.all.off,
			    m->ruri.all.len);
	struct locjob *j = uri ? job_new(m, rx, uri, pop) : NULL;

	free(uri);
	if (!j)
		return;
	j->dialog = true;
	sip_resolve(j->uri, on_located, j);
}

static struct locjob *job_new(const struct sipk_msg *m,
			      const struct rxinfo *rx, const char *uri, u8 pop)
{
	struct locjob *j;

	if (n_jobs >= LOCATE_MAX) {
		log_info("%u requests wait for DNS or TCP already: 503 for %s",
			 n_jobs, uri);
		reply(m, rx, 503, "Service Unavailable", NULL);
		return NULL;
	}
	j = calloc(1, sizeof(*j) + m->len);
	if (j && uri)
		j->uri = strdup(uri);
	if (!j || !j->uri) {
		free(j);
		reply(m, rx, 500, "Server Internal Error", NULL);
		return NULL;
	}
	n_jobs++;
	j->rx = *rx;
	j->pop = pop;
	j->len = m->len;
	memcpy(j->buf, m->buf, m->len);
	return j;
}
