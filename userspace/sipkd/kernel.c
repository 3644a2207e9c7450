// SPDX-License-Identifier: GPL-2.0
/*
 * kernel.c - the sipk module's location table, as sipkd keeps it.
 *
 * Every binding the registrar accepts is pushed at once (LOC_ADD with
 * SIPK_A_OWNER = SIPK_OWNER_DAEMON and the seconds it has left), every
 * removal follows (LOC_DEL, owner daemon), so the kernel forwards calls
 * to registered users without sipkd.  sipkd never touches a static
 * (operator's) entry: the kernel refuses it that (-EPERM) anyway.
 *
 * Requests are synchronous: one message, its ack, with a timeout.  They
 * are few (one per binding change) and the kernel answers at once.
 *
 * Without the module sipkd runs userspace-only and says so once; every
 * kernel-retry seconds it looks again, and when the family appears (or
 * comes back with a new id after a reload) it resynchronises: flushes
 * the daemon's entries and pushes every live binding.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>

#include "sipkd.h"
#include "sipk_nl.h"

static struct nl_sock *sk;
static int family = -1;
static bool active;
static bool said_missing;
static enum kernel_mode mode;
static time_t last_poll;

struct reqctx {
	int err;
	bool done;
	char msg[256];
	int (*valid)(struct nlmsghdr *nlh, void *arg);
	void *arg;
};

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct reqctx *c = arg;

	if (c->valid)
		c->valid(nlmsg_hdr(msg), c->arg);
	return NL_OK;
}

static int cb_ack(struct nl_msg *msg, void *arg)
{
	struct reqctx *c = arg;

	(void)msg;
	c->done = true;
	return NL_STOP;
}

static int cb_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct reqctx *c = arg;
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);

	(void)nla;
	c->err = e->error;
	sipk_nl_extack_msg(nlh, c->msg, sizeof(c->msg));
	c->done = true;
	return NL_STOP;
}

static void sock_close(void)
{
	if (sk)
		nl_socket_free(sk);
	sk = NULL;
	family = -1;
	active = false;
}

/* SIPK_NL_OK, _ERROR or _NO_FAMILY */
static int sock_open(void)
{
	struct timeval tv = { .tv_sec = 2 };
	int err, r;

	sock_close();
	r = sipk_nl_connect(SIPK_GENL_NAME, &sk, &family, &err);
	if (r != SIPK_NL_OK) {
		if (r == SIPK_NL_ERROR)
			log_warn("kernel: cannot open generic netlink: %s",
				 nl_geterror(err));
		sock_close();
		return r;
	}
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	return SIPK_NL_OK;
}

static void gone(const char *why)
{
	if (!active)
		return;
	log_warn("kernel: the sipk module went away (%s): running userspace-only",
		 why);
	sock_close();
	said_missing = true;
}

/*
 * Is the family there?  A dump of the controller's families, not
 * genl_ctrl_resolve(): asking for a missing family by name makes the
 * kernel run modprobe (request_module) and wait for it, every time.
 * Return: its id, or -1.
 */
static int family_probe(void)
{
	struct nl_sock *s = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	struct genl_family *f;
	int id = -1;

	if (!s)
		return -1;
	if (!genl_connect(s) && !genl_ctrl_alloc_cache(s, &cache)) {
		f = genl_ctrl_search_by_name(cache, SIPK_GENL_NAME);
		if (f) {
			id = genl_family_get_id(f);
			genl_family_put(f);
		}
		nl_cache_free(cache);
	}
	nl_socket_free(s);
	return id;
}

/* sends @msg (freed), waits for its ack; 0 or a negative errno */
static int request(struct nl_msg *msg, struct reqctx *c)
{
	struct nl_cb *cb;
	int err;

	c->err = 0;
	c->done = false;
	c->msg[0] = '\0';
	if (!sk || !active) {
		nlmsg_free(msg);
		return -ENODEV;
	}
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cb_ack, c);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_ack, c);
	nl_cb_err(cb, NL_CB_CUSTOM, cb_err, c);
	err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		nl_cb_put(cb);
		log_warn("kernel: cannot send a request: %s", nl_geterror(err));
		return -EIO;
	}
	while (!c->done) {
		err = nl_recvmsgs(sk, cb);
		if (err < 0 && !c->done) {
			nl_cb_put(cb);
			log_warn("kernel: no answer: %s", nl_geterror(err));
			/* a late answer would confuse the next request */
			gone("no answer to a request");
			return -EIO;
		}
	}
	nl_cb_put(cb);
	/* an unknown family id: the module was unloaded (or reloaded) */
	if (c->err == -ENOENT || c->err == -EOPNOTSUPP) {
		int id = family_probe();

		if (id != family) {
			gone(id < 0 ? "its family is gone" : "it was reloaded");
			return -ENODEV;
		}
	}
	return c->err;
}

static struct nl_msg *new_msg(u8 cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, cmd,
			 SIPK_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int kernel_open(enum kernel_mode m)
{
	int r;

	mode = m;
	if (m == KERNEL_OFF) {
		log_notice("kernel: off by configuration: running userspace-only");
		return 0;
	}
	r = sock_open();
	if (r == SIPK_NL_NO_FAMILY) {
		if (m == KERNEL_REQUIRE) {
			log_err("kernel: the sipk module is not loaded (modprobe sipk), and kernel = require");
			return -1;
		}
		log_notice("kernel: the sipk module is not loaded: running userspace-only%s",
			   conf.kernel_retry ? " (checking again periodically)" : "");
		said_missing = true;
		return 0;
	}
	if (r != SIPK_NL_OK)
		return m == KERNEL_REQUIRE ? -1 : 0;
	active = true;
	log_notice("kernel: sipk module found (generic netlink family %d): fast path on",
		   family);
	return 0;
}

void kernel_close(void)
{
	sock_close();
}

bool kernel_active(void)
{
	return active;
}

static const char *err_text(int err, const struct reqctx *c, char *buf,
			    size_t size)
{
	if (c->msg[0])
		snprintf(buf, size, "%s: %s", strerror(-err), c->msg);
	else
		snprintf(buf, size, "%s", strerror(-err));
	return buf;
}

void kernel_push(const char *aor, struct binding *b, time_t now)
{
	struct reqctx c = { 0 };
	struct nl_msg *msg;
	struct nlattr *nest;
	long left = (long)(b->expires - now);
	char why[320];
	int err;

	b->in_kernel = false;
	if (!active || left <= 0)
		return;
	if (!b->dst.family) {
		log_debug("kernel: %s -> %s stays in userspace (located by sipkd: a host name or not UDP)",
			  aor, b->uri);
		return;
	}
	if (strlen(b->uri) >= SIPK_URI_MAX || strlen(aor) >= SIPK_AOR_MAX) {
		log_info("kernel: %s -> %s stays in userspace (too long for the kernel's table)",
			 aor, b->uri);
		return;
	}
	msg = new_msg(SIPK_CMD_LOC_ADD);
	if (!msg)
		goto nomem;
	if (nla_put_string(msg, SIPK_A_AOR, aor) < 0)
		goto nomem_msg;
	nest = sipk_nl_nest_start(msg, SIPK_A_CONTACT);
	if (!nest || nla_put_string(msg, SIPK_CONTACT_A_URI, b->uri) < 0 ||
	    sipk_nl_put_addr(msg, &b->dst) < 0 ||
	    nla_put_u16(msg, SIPK_CONTACT_A_Q, b->q) < 0 ||
	    nla_put_u32(msg, SIPK_CONTACT_A_EXPIRES, (u32)left) < 0 ||
	    nla_put_u32(msg, SIPK_CONTACT_A_FLAGS, b->flags) < 0)
		goto nomem_msg;
	nla_nest_end(msg, nest);
	if (nla_put_u32(msg, SIPK_A_OWNER, SIPK_OWNER_DAEMON) < 0)
		goto nomem_msg;
	err = request(msg, &c);
	if (err == -ENODEV)
		return;
	if (err) {
		STAT(ST_KERNEL_ERROR);
		log_warn("kernel: refused %s -> %s: %s%s", aor, b->uri,
			 err_text(err, &c, why, sizeof(why)),
			 err == -EPERM ? " (an operator's static entry has this contact)" : "");
		return;
	}
	STAT(ST_KERNEL_ADD);
	b->in_kernel = true;
	log_debug("kernel: %s -> %s pushed, %ld s", aor, b->uri, left);
	return;
nomem_msg:
	nlmsg_free(msg);
nomem:
	log_warn("kernel: cannot build a request for %s (out of memory, or too long)",
		 aor);
}

void kernel_remove(const char *aor, const struct binding *b)
{
	struct reqctx c = { 0 };
	struct nl_msg *msg;
	struct nlattr *nest;
	char why[320];
	int err;

	if (!active || strlen(b->uri) >= SIPK_URI_MAX ||
	    strlen(aor) >= SIPK_AOR_MAX)
		return;
	msg = new_msg(SIPK_CMD_LOC_DEL);
	if (!msg)
		return;
	if (nla_put_string(msg, SIPK_A_AOR, aor) < 0 ||
	    !(nest = sipk_nl_nest_start(msg, SIPK_A_CONTACT)) ||
	    nla_put_string(msg, SIPK_CONTACT_A_URI, b->uri) < 0) {
		nlmsg_free(msg);
		return;
	}
	nla_nest_end(msg, nest);
	if (nla_put_u32(msg, SIPK_A_OWNER, SIPK_OWNER_DAEMON) < 0) {
		nlmsg_free(msg);
		return;
	}
	err = request(msg, &c);
	if (err == -ENOENT || err == -ENODEV)
		return;		/* expired there already, or no module */
	if (err) {
		STAT(ST_KERNEL_ERROR);
		log_warn("kernel: cannot remove %s -> %s: %s", aor, b->uri,
			 err_text(err, &c, why, sizeof(why)));
		return;
	}
	STAT(ST_KERNEL_DEL);
	log_debug("kernel: %s -> %s removed", aor, b->uri);
}

struct resync_ctx {
	time_t now;
	unsigned int pushed, failed;
};

static void resync_aor(struct aor *a, void *arg)
{
	struct resync_ctx *r = arg;
	struct binding *b;

	for (b = a->bindings; b; b = b->next) {
		if (b->expires <= r->now)
			continue;
		kernel_push(a->name, b, r->now);
		if (b->in_kernel)
			r->pushed++;
		else
			r->failed++;
	}
}

void kernel_resync(time_t now)
{
	struct resync_ctx r = { .now = now };
	struct reqctx c = { 0 };
	struct nl_msg *msg;
	char why[320];
	int err;

	if (!active)
		return;
	msg = new_msg(SIPK_CMD_LOC_FLUSH);
	if (!msg)
		return;
	if (nla_put_u32(msg, SIPK_A_OWNER, SIPK_OWNER_DAEMON) < 0) {
		nlmsg_free(msg);
		return;
	}
	err = request(msg, &c);
	if (err) {
		if (err != -ENODEV)
			log_warn("kernel: cannot flush the daemon's entries: %s",
				 err_text(err, &c, why, sizeof(why)));
		return;
	}
	loc_foreach(resync_aor, &r);
	log_notice("kernel: resynchronised: daemon entries flushed, %u binding%s pushed%s",
		   r.pushed, r.pushed == 1 ? "" : "s",
		   r.failed ? " (some refused, see above)" : "");
}

void kernel_poll(time_t now)
{
	int r, id;

	if (mode == KERNEL_OFF || !conf.kernel_retry ||
	    now - last_poll < (time_t)conf.kernel_retry)
		return;
	last_poll = now;
	id = family_probe();
	if (active) {
		if (id == family)
			return;
		gone(id < 0 ? "its family is gone" : "it was reloaded");
	}
	if (id < 0)
		return;
	r = sock_open();
	if (r != SIPK_NL_OK)
		return;
	active = true;
	said_missing = false;
	log_notice("kernel: sipk module found (generic netlink family %d): fast path on",
		   family);
	kernel_resync(now);
}

struct lookup_ctx {
	struct kcontact *out;
	int max, n;
};

static int lookup_valid(struct nlmsghdr *nlh, void *arg)
{
	struct lookup_ctx *l = arg;
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a;
	int rem;

	if (!genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		struct nlattr *tb[SIPK_CONTACT_A_MAX + 1] = { NULL };
		struct kcontact *k;
		size_t n;

		if (nla_type(a) != SIPK_A_CONTACT || l->n >= l->max)
			continue;
		if (nla_parse_nested(tb, SIPK_CONTACT_A_MAX, a, NULL) < 0 ||
		    !tb[SIPK_CONTACT_A_URI] || !tb[SIPK_CONTACT_A_PORT])
			continue;
		k = &l->out[l->n];
		memset(k, 0, sizeof(*k));
		n = (size_t)nla_len(tb[SIPK_CONTACT_A_URI]);
		if (n > sizeof(k->uri) - 1)
			n = sizeof(k->uri) - 1;
		memcpy(k->uri, nla_data(tb[SIPK_CONTACT_A_URI]), n);
		k->uri[n] = '\0';
		if (tb[SIPK_CONTACT_A_IPV4] && nla_len(tb[SIPK_CONTACT_A_IPV4]) == 4) {
			k->dst.family = 4;
			memcpy(k->dst.addr, nla_data(tb[SIPK_CONTACT_A_IPV4]), 4);
		} else if (tb[SIPK_CONTACT_A_IPV6] &&
			   nla_len(tb[SIPK_CONTACT_A_IPV6]) == 16) {
			k->dst.family = 6;
			memcpy(k->dst.addr, nla_data(tb[SIPK_CONTACT_A_IPV6]), 16);
		} else {
			continue;
		}
		k->dst.port = nla_get_u16(tb[SIPK_CONTACT_A_PORT]);
		k->q = tb[SIPK_CONTACT_A_Q] ? nla_get_u16(tb[SIPK_CONTACT_A_Q]) :
					       SIPK_Q_MAX;
		k->flags = tb[SIPK_CONTACT_A_FLAGS] ?
			   nla_get_u32(tb[SIPK_CONTACT_A_FLAGS]) : 0;
		k->owner = tb[SIPK_CONTACT_A_OWNER] ?
			   nla_get_u32(tb[SIPK_CONTACT_A_OWNER]) : 0;
		k->expires = tb[SIPK_CONTACT_A_EXPIRES] ?
			     nla_get_u32(tb[SIPK_CONTACT_A_EXPIRES]) : 0;
		l->n++;
	}
	return NL_OK;
}

int kernel_lookup(const char *aor, struct kcontact *out, int max)
{
	struct lookup_ctx l = { .out = out, .max = max };
	struct reqctx c = { .valid = lookup_valid, .arg = &l };
	struct nl_msg *msg;
	int err;

	if (!active || strlen(aor) >= SIPK_AOR_MAX)
		return 0;
	msg = new_msg(SIPK_CMD_LOC_GET);
	if (!msg)
		return -1;
	if (nla_put_string(msg, SIPK_A_AOR, aor) < 0) {
		nlmsg_free(msg);
		return -1;
	}
	err = request(msg, &c);
	if (err == -ENOENT || err == -ENODEV)
		return 0;
	if (err)
		return -1;
	return l.n;
}
