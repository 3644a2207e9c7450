// SPDX-License-Identifier: GPL-2.0
/*
 * registrar.c - REGISTER, as RFC 3261 10.3 says a registrar processes it.
 *
 *  1. the Request-URI names one of our domains (core.c checked)
 *  2. Require: we support no extension: 420 with Unsupported
 *  3. digest authentication when the domain asks for it (auth.c)
 *  4. the AOR (To) must be in that domain (else 404), and the
 *     authenticated user must be its user (else 403)
 *  5. Contact: "*" only alone and with Expires: 0 (else 400)
 *  6. every contact: expires parameter, else Expires, else default;
 *     0 < expires < min-expires: 423 with Min-Expires; above max-expires
 *     it is shortened; an existing binding with the same Call-ID and a
 *     CSeq not higher aborts the whole request (400, out of order)
 *  7. the new set of bindings is written to the database (committed),
 *     pushed to the kernel, and only then the 200 OK lists every current
 *     binding with its remaining time.
 *
 * The whole request is checked before anything changes: a 4xx leaves
 * the bindings as they were.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sipkd.h"

static void uri_copy(const struct sipk_msg *m, struct sipk_str s, char *out,
		     size_t size)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;

	memcpy(out, m->buf + s.off, n);
	out[n] = '\0';
}

static bool same_uri(const char *a, const char *b)
{
	char x[1024], y[1024];

	snprintf(x, sizeof(x), "%s", a);
	snprintf(y, sizeof(y), "%s", b);
	uri_normalize(x);
	uri_normalize(y);
	return !strcmp(x, y);
}

/*
 * Where requests for a contact go: its IP literal, for UDP (the kernel
 * takes those).  A host name, a transport other than UDP or a maddr:
 * no address (family 0), sipkd locates it when it forwards (RFC 3263,
 * dns.c) and the contact stays out of the kernel.  An unreadable URI:
 * the source of the REGISTER.
 */
static void resolve(const char *uri, const struct rxinfo *rx,
		    struct sipk_addr *dst)
{
	struct sipk_uri u;
	char v[256];

	if (sipk_parse_uri((const u8 *)uri, 0, (u16)strlen(uri), &u)) {
		*dst = rx->src_a;
		return;
	}
	/* maddr, or a transport other than UDP: located when used */
	if (sip_uri_param(uri + u.params.off, u.params.len, "maddr", v,
			  sizeof(v)) ||
	    (sip_uri_param(uri + u.params.off, u.params.len, "transport", v,
			   sizeof(v)) && strcasecmp(v, "udp"))) {
		memset(dst, 0, sizeof(*dst));
		return;
	}
	if (u.host_type != SIPK_HOST_NAME &&
	    !sipk_parse_ip((const u8 *)uri + u.host.off, u.host.len, dst)) {
		dst->port = u.port ? u.port : 5060;
		return;
	}
	memset(dst, 0, sizeof(*dst));
}

static struct binding *find(struct binding *list, const char *uri)
{
	for (; list; list = list->next)
		if (same_uri(list->uri, uri))
			return list;
	return NULL;
}

static void send_ok(const struct sipk_msg *m, const struct rxinfo *rx,
		    const struct binding *list, time_t now)
{
	char *hdrs;
	size_t size = 256, len = 0;
	const struct binding *b;
	char q[8], date[64];
	struct tm tm;

	for (b = list; b; b = b->next)
		size += strlen(b->uri) + 64;
	hdrs = malloc(size);
	if (!hdrs) {
		reply(m, rx, 500, "Server Internal Error", NULL);
		return;
	}
	for (b = list; b; b = b->next) {
		if (b->q < SIPK_Q_MAX)
			len += (size_t)snprintf(hdrs + len, size - len,
				"Contact: <%s>;expires=%ld;q=%s\r\n", b->uri,
				(long)(b->expires - now), qstr(b->q, q));
		else
			len += (size_t)snprintf(hdrs + len, size - len,
				"Contact: <%s>;expires=%ld\r\n", b->uri,
				(long)(b->expires - now));
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
	snprintf(hdrs + len, size - len, "%s", date);
	reply(m, rx, 200, "OK", hdrs);
	free(hdrs);
}

void registrar(const struct sipk_msg *m, const struct rxinfo *rx,
	       const struct domain *d)
{
	struct contact_ent ents[MAX_CONTACTS_MSG];
	struct binding *list = NULL, **tail = &list, *b, *old_b;
	struct aor *a;
	char aor[SIPK_AOR_MAX + 8], user[128], callid[512], uri[1024];
	char extra[64];
	const struct sipk_uri *to = &m->to.uri;
	time_t now = time(NULL);
	bool star, changed = false, redir;
	unsigned int live = 0;
	int n, i;

	if (m->has_require) {
		reply_420(m, rx, "Require");
		return;
	}
	if (d->auth && auth_check(m, rx, d, user, sizeof(user)))
		return;
	/* the AOR: a sip: URI in this domain */
	if (!to->host.len || to->sips ||
	    domain_find(m->buf + to->host.off, to->host.len) != d ||
	    aor_from_uri(m->buf, to, aor, sizeof(aor))) {
		reply(m, rx, 404, "Not Found (AOR not in this domain)", NULL);
		return;
	}
	if (d->auth && (strlen(user) != to->user.len ||
			memcmp(user, m->buf + to->user.off, to->user.len))) {
		log_info("registrar: %s may not register %s", user, aor);
		reply(m, rx, 403, "Forbidden (not your AOR)", NULL);
		return;
	}
	n = contacts_parse(m, ents, MAX_CONTACTS_MSG, &star);
	if (n == -2) {
		reply(m, rx, 403, "Forbidden (too many contacts)", NULL);
		return;
	}
	if (n < 0) {
		reply(m, rx, 400, "Bad Request (Contact)", NULL);
		return;
	}
	if (star && (n > 0 || m->expires_val != 0)) {
		reply(m, rx, 400, "Bad Request (Contact: * needs Expires: 0 and no other contact)",
		      NULL);
		return;
	}
	uri_copy(m, m->call_id.value, callid, sizeof(callid));
	redir = domain_redirects_user(d, m->buf + to->user.off, to->user.len);

	/* the bindings as they are, without the expired ones */
	a = loc_find(aor);
	for (old_b = a ? a->bindings : NULL; old_b; old_b = old_b->next) {
		if (old_b->expires <= now)
			continue;
		*tail = binding_dup(old_b);
		tail = &(*tail)->next;
	}

	if (star) {
		for (b = list; b; b = b->next)
			if (!strcmp(b->call_id, callid) && m->cseq <= b->cseq)
				goto out_of_order;
		if (list)
			changed = true;
		binding_list_free(list);
		list = NULL;
	}
	for (i = 0; i < n; i++) {
		struct contact_ent *c = &ents[i];
		struct sipk_uri cu;
		long exp;

		if (c->uri.len >= sizeof(uri)) {
			reply(m, rx, 400, "Bad Request (Contact URI too long)", NULL);
			goto out;
		}
		uri_copy(m, c->uri, uri, sizeof(uri));
		if (sipk_parse_uri((const u8 *)uri, 0, (u16)strlen(uri), &cu)) {
			reply(m, rx, 400, "Bad Request (Contact is not a sip: URI)", NULL);
			goto out;
		}
		exp = c->expires >= 0 ? c->expires :
		      m->expires_val >= 0 ? m->expires_val :
		      (long)conf.default_expires;
		if (exp > 0 && exp < (long)conf.min_expires) {
			snprintf(extra, sizeof(extra), "Min-Expires: %u\r\n",
				 conf.min_expires);
			reply(m, rx, 423, "Interval Too Brief", extra);
			goto out;
		}
		if (exp > (long)conf.max_expires)
			exp = conf.max_expires;
		b = find(list, uri);
		if (b && !strcmp(b->call_id, callid) && m->cseq <= b->cseq)
			goto out_of_order;
		if (!exp) {
			if (b) {
				struct binding **pp;

				for (pp = &list; *pp != b; pp = &(*pp)->next)
					;
				*pp = b->next;
				binding_free(b);
				changed = true;
			}
			continue;
		}
		if (!b) {
			b = binding_new(uri, callid);
			b->next = list;
			list = b;
		} else if (strcmp(b->call_id, callid)) {
			free(b->call_id);
			b->call_id = strdup(callid);
			if (!b->call_id) {
				reply(m, rx, 500, "Server Internal Error", NULL);
				goto out;
			}
		}
		b->cseq = m->cseq;
		b->expires = now + exp;
		b->q = c->q >= 0 ? (u16)c->q : SIPK_Q_MAX;
		b->flags = redir ? SIPK_F_REDIRECT : 0;
		b->src = rx->src_a;
		b->updated = now;
		b->touched = true;
		resolve(uri, rx, &b->dst);
		changed = true;
	}
	for (b = list; b; b = b->next)
		live++;
	if (live > conf.max_contacts) {
		snprintf(uri, sizeof(uri), "Forbidden (more than %u contacts)",
			 conf.max_contacts);
		reply(m, rx, 403, uri, NULL);
		goto out;
	}

	if (changed) {
		/* on disk before the 200: a crash loses nothing acknowledged */
		if (db_store_aor(aor, list)) {
			reply(m, rx, 500, "Server Internal Error (database)",
			      "Retry-After: 5\r\n");
			goto out;
		}
		/* the kernel: removed ones go, the others are (re)pushed */
		for (old_b = a ? a->bindings : NULL; old_b; old_b = old_b->next)
			if (!find(list, old_b->uri)) {
				log_info("registrar: %s -> %s removed", aor,
					 old_b->uri);
				STAT(ST_REG_REMOVED);
				kernel_remove(aor, old_b);
			}
		for (b = list; b; b = b->next) {
			if (!b->touched)
				continue;
			b->touched = false;
			old_b = a ? find(a->bindings, b->uri) : NULL;
			if (old_b) {
				STAT(ST_REG_REFRESHED);
				log_info("registrar: %s -> %s refreshed, %ld s",
					 aor, b->uri, (long)(b->expires - now));
			} else {
				STAT(ST_REG_ADDED);
				log_info("registrar: %s -> %s added, %ld s", aor,
					 b->uri, (long)(b->expires - now));
			}
			kernel_push(aor, b, now);
		}
		if (a || list)
			loc_set(a ? a : loc_get(aor), list);
		/* @list belongs to the AOR now (which is gone if it is empty) */
	}
	send_ok(m, rx, list, now);
	if (!changed)
		binding_list_free(list);
	return;
out_of_order:
	reply(m, rx, 400, "Bad Request (CSeq out of order for this Call-ID)",
	      NULL);
out:
	binding_list_free(list);
}
