// SPDX-License-Identifier: GPL-2.0
/*
 * Where requests go: the location table (AOR -> contacts), aliases
 * (AOR -> AOR) and domain routes (domain -> next-hop proxy).
 *
 * Readers are the netfilter hook, in softirq under rcu_read_lock(), and
 * netlink GET/dump; they take no lock.  Writers are netlink and the expiry
 * work, serialised by sipk_net.lock.  An entry never changes once it is in
 * a table: a writer builds a new one, swaps it in with
 * rhashtable_replace_fast() and frees the old one with kfree_rcu().  An AOR
 * and all its contacts are one allocation, so a single-contact AOR costs
 * one kmalloc object plus its hash bucket (see table.h for the layout).
 *
 * Keys are normalised names (RFC 3261 section 19.1.4: the user part
 * compares byte for byte, the host case-insensitively, and a port that is
 * absent is not the same as 5060 there, but sipk treats them alike because
 * every UA on the fast path uses the default port).  The hook's lookup
 * hashes and compares the Request-URI's parts on the fly, lowering the
 * host as it goes, so a lookup never copies or allocates.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bottom_half.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

#include "sipk.h"
#include "table.h"

/*
 * A sweep gathers at most BATCH entries per RCU section and looks at most
 * at VISIT; a resize rewinds it, at most RESTARTS times (a flush of a
 * million AORs shrinks the table about twenty times on the way).
 */
#define SIPK_SWEEP_BATCH	64
#define SIPK_SWEEP_VISIT	1024
#define SIPK_SWEEP_RESTARTS	64

struct sipk_tables {
	struct sipk_net *sn;
	struct rhashtable ht[__SIPK_TBL_MAX];
	u32 gen[__SIPK_TBL_MAX];	/* bumped on every change, never 0 */
	u32 n_contacts;			/* over all AORs, expired included */
	u32 n_aliases;
	u32 n_routes;
	unsigned long gc_at;		/* next planned expiry sweep, 0: none */
	struct delayed_work gc;
};

/*
 * Keyed hash of a normalised name.  SipHash-1-3 (the kernel's hsiphash on
 * 64-bit) fed one octet at a time, so that the hook can hash a name
 * scattered over the Request-URI, lowering the host as it goes, and get
 * the same value as for the stored, already normalised key.  The key is
 * random per boot and mixed with the table's own seed, which rhashtable
 * renews when a chain grows suspiciously long.
 */
static siphash_key_t sipk_hash_key __read_mostly;

struct sipk_hs {
	u64 v0, v1, v2, v3;
	u64 m;
	unsigned int n;
};

static void sipk_hs_init(struct sipk_hs *s, u32 seed)
{
	u64 k0 = sipk_hash_key.key[0] ^ seed;
	u64 k1 = sipk_hash_key.key[1];

	s->v0 = SIPHASH_CONST_0 ^ k0;
	s->v1 = SIPHASH_CONST_1 ^ k1;
	s->v2 = SIPHASH_CONST_2 ^ k0;
	s->v3 = SIPHASH_CONST_3 ^ k1;
	s->m = 0;
	s->n = 0;
}

static inline void sipk_hs_byte(struct sipk_hs *s, u8 c)
{
	s->m |= (u64)c << (8 * (s->n & 7));
	if ((++s->n & 7) == 0) {
		s->v3 ^= s->m;
		SIPHASH_PERMUTATION(s->v0, s->v1, s->v2, s->v3);
		s->v0 ^= s->m;
		s->m = 0;
	}
}

static u32 sipk_hs_final(struct sipk_hs *s)
{
	u64 b = ((u64)s->n << 56) | s->m;

	s->v3 ^= b;
	SIPHASH_PERMUTATION(s->v0, s->v1, s->v2, s->v3);
	s->v0 ^= b;
	s->v2 ^= 0xff;
	SIPHASH_PERMUTATION(s->v0, s->v1, s->v2, s->v3);
	SIPHASH_PERMUTATION(s->v0, s->v1, s->v2, s->v3);
	SIPHASH_PERMUTATION(s->v0, s->v1, s->v2, s->v3);
	b = s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
	return (u32)(b >> 32) ^ (u32)b;
}

/* ASCII only: the kernel's tolower() also folds Latin-1 */
static inline u8 sipk_lower(u8 c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

/* ---- keys ---- */

/**
 * sipk_key_init() - describe a name by its parts
 * @k: filled in; points into @user and @host, which must outlive it
 * @user: user part as it appears in the URI (may be empty)
 * @ulen: its length
 * @host: host part (IPv6 references keep their brackets)
 * @hlen: its length
 * @port: the port, 0 when absent; 5060 is the same as absent
 *
 * Return: 0, -EINVAL for an empty host, -ENAMETOOLONG when the normalised
 * name would be longer than SIPK_AOR_MAX (no entry can have such a key).
 */
int sipk_key_init(struct sipk_key *k, const u8 *user, size_t ulen,
		  const u8 *host, size_t hlen, u16 port)
{
	size_t len;
	char d[5];
	int n = 0;

	if (!hlen)
		return -EINVAL;
	if (ulen > SIPK_AOR_MAX || hlen > SIPK_AOR_MAX)
		return -ENAMETOOLONG;
	k->user = user;
	k->ulen = ulen;
	k->host = host;
	k->hlen = hlen;
	k->plen = 0;
	if (port && port != SIPK_DEFAULT_PORT) {
		while (port) {
			d[n++] = '0' + port % 10;
			port /= 10;
		}
		k->plen = n;
		while (n--)
			k->port[k->plen - 1 - n] = d[n];
	}
	len = hlen + (ulen ? ulen + 1 : 0) + (k->plen ? k->plen + 1 : 0);
	if (len > SIPK_AOR_MAX)
		return -ENAMETOOLONG;
	k->len = len;
	return 0;
}

/*
 * The key of a stored (normalised) name, e.g. an alias target: user up to
 * the '@', then the host, then ":port" after the host (after the ']' of
 * an IPv6 reference).
 */
static void sipk_key_from_norm(struct sipk_key *k, const char *s, u8 len)
{
	const char *end = s + len, *h = s, *colon = NULL, *at, *rb;

	at = memchr(s, '@', len);
	k->user = (const u8 *)s;
	k->ulen = 0;
	if (at) {
		k->ulen = at - s;
		h = at + 1;
	}
	if (h < end && *h == '[') {
		rb = memchr(h, ']', end - h);
		if (rb && rb + 1 < end && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = memchr(h, ':', end - h);
	}
	k->host = (const u8 *)h;
	k->hlen = (colon ? colon : end) - h;
	k->plen = 0;
	if (colon) {
		k->plen = min_t(size_t, end - colon - 1, sizeof(k->port));
		memcpy(k->port, colon + 1, k->plen);
	}
	k->len = len;
}

/* Writes the normalised name of @k and a NUL: k->len + 1 octets. */
static void sipk_key_write(const struct sipk_key *k, char *out)
{
	unsigned int i;

	if (k->ulen) {
		memcpy(out, k->user, k->ulen);
		out += k->ulen;
		*out++ = '@';
	}
	for (i = 0; i < k->hlen; i++)
		*out++ = sipk_lower(k->host[i]);
	if (k->plen) {
		*out++ = ':';
		memcpy(out, k->port, k->plen);
		out += k->plen;
	}
	*out = '\0';
}

static u32 sipk_key_hash(const struct sipk_key *k, u32 seed)
{
	struct sipk_hs s;
	unsigned int i;

	sipk_hs_init(&s, seed);
	for (i = 0; i < k->ulen; i++)
		sipk_hs_byte(&s, k->user[i]);
	if (k->ulen)
		sipk_hs_byte(&s, '@');
	for (i = 0; i < k->hlen; i++)
		sipk_hs_byte(&s, sipk_lower(k->host[i]));
	if (k->plen) {
		sipk_hs_byte(&s, ':');
		for (i = 0; i < k->plen; i++)
			sipk_hs_byte(&s, k->port[i]);
	}
	return sipk_hs_final(&s);
}

static u32 sipk_str_hash(const char *s, unsigned int len, u32 seed)
{
	struct sipk_hs h;
	unsigned int i;

	sipk_hs_init(&h, seed);
	for (i = 0; i < len; i++)
		sipk_hs_byte(&h, s[i]);
	return sipk_hs_final(&h);
}

/* Does @k name the stored, normalised @s? */
static bool sipk_key_eq(const struct sipk_key *k, const char *s,
			unsigned int len)
{
	unsigned int i;

	if (k->len != len)
		return false;
	if (k->ulen) {
		if (memcmp(s, k->user, k->ulen) || s[k->ulen] != '@')
			return false;
		s += k->ulen + 1;
	}
	for (i = 0; i < k->hlen; i++)
		if ((u8)s[i] != sipk_lower(k->host[i]))
			return false;
	s += k->hlen;
	if (k->plen)
		return s[0] == ':' && !memcmp(s + 1, k->port, k->plen);
	return true;
}

/**
 * sipk_key_equal() - do two keys name the same entry?
 * @a: a key
 * @b: another key
 *
 * Return: true when both normalise to the same name.
 */
bool sipk_key_equal(const struct sipk_key *a, const struct sipk_key *b)
{
	unsigned int i;

	if (a->len != b->len || a->ulen != b->ulen || a->hlen != b->hlen ||
	    a->plen != b->plen)
		return false;
	if (memcmp(a->user, b->user, a->ulen) ||
	    memcmp(a->port, b->port, a->plen))
		return false;
	for (i = 0; i < a->hlen; i++)
		if (sipk_lower(a->host[i]) != sipk_lower(b->host[i]))
			return false;
	return true;
}

/* ---- rhashtable glue: the lookup key is a struct sipk_key ---- */

static u32 sipk_key_hashfn(const void *data, u32 len, u32 seed)
{
	return sipk_key_hash(data, seed);
}

static u32 sipk_loc_hashfn(const void *obj, u32 len, u32 seed)
{
	const struct sipk_loc *l = obj;

	return sipk_str_hash(l->key, l->klen, seed);
}

static int sipk_loc_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct sipk_loc *l = obj;

	return !sipk_key_eq(arg->key, l->key, l->klen);
}

static u32 sipk_alias_hashfn(const void *obj, u32 len, u32 seed)
{
	const struct sipk_alias *a = obj;

	return sipk_str_hash(a->key, a->klen, seed);
}

static int sipk_alias_cmpfn(struct rhashtable_compare_arg *arg,
			    const void *obj)
{
	const struct sipk_alias *a = obj;

	return !sipk_key_eq(arg->key, a->key, a->klen);
}

static u32 sipk_route_hashfn(const void *obj, u32 len, u32 seed)
{
	const struct sipk_route *r = obj;

	return sipk_str_hash(r->key, r->klen, seed);
}

static int sipk_route_cmpfn(struct rhashtable_compare_arg *arg,
			    const void *obj)
{
	const struct sipk_route *r = obj;

	return !sipk_key_eq(arg->key, r->key, r->klen);
}

static const struct rhashtable_params sipk_loc_params = {
	.head_offset = offsetof(struct sipk_loc, node),
	.hashfn = sipk_key_hashfn,
	.obj_hashfn = sipk_loc_hashfn,
	.obj_cmpfn = sipk_loc_cmpfn,
	.automatic_shrinking = true,
};

static const struct rhashtable_params sipk_alias_params = {
	.head_offset = offsetof(struct sipk_alias, node),
	.hashfn = sipk_key_hashfn,
	.obj_hashfn = sipk_alias_hashfn,
	.obj_cmpfn = sipk_alias_cmpfn,
	.automatic_shrinking = true,
};

static const struct rhashtable_params sipk_route_params = {
	.head_offset = offsetof(struct sipk_route, node),
	.hashfn = sipk_key_hashfn,
	.obj_hashfn = sipk_route_hashfn,
	.obj_cmpfn = sipk_route_cmpfn,
	.automatic_shrinking = true,
};

static void sipk_gen_bump(struct sipk_tables *tb, enum sipk_table_id id)
{
	u32 g = tb->gen[id] + 1;

	/* 0 would read as "no generation yet" in a dump's consistency check */
	WRITE_ONCE(tb->gen[id], g ? g : 1);
}

static u32 sipk_max_entries(struct sipk_net *sn)
{
	return rcu_dereference_protected(sn->cfg,
					 lockdep_is_held(&sn->lock))->max_entries;
}

/* ---- the hook's lookup ---- */

static bool sipk_host_is_numeric(const u8 *host, size_t hlen)
{
	size_t i;

	if (host[0] == '[')
		return true;
	for (i = 0; i < hlen; i++)
		if ((host[i] < '0' || host[i] > '9') && host[i] != '.')
			return false;
	return true;
}

/*
 * The route for a host: the host itself, then each parent domain
 * (a.b.example.org, b.example.org, example.org, org).  IP literals only
 * match exactly.
 */
static const struct sipk_route *sipk_route_lookup(struct sipk_tables *tb,
						  const u8 *host, size_t hlen)
{
	const struct sipk_route *r;
	struct sipk_key k;
	const u8 *dot;
	bool literal;

	if (!hlen)
		return NULL;
	literal = sipk_host_is_numeric(host, hlen);
	for (;;) {
		if (sipk_key_init(&k, NULL, 0, host, hlen, 0))
			return NULL;
		r = rhashtable_lookup(&tb->ht[SIPK_TBL_ROUTE], &k,
				      sipk_route_params);
		if (r || literal)
			return r;
		dot = memchr(host, '.', hlen);
		if (!dot || dot + 1 >= host + hlen)
			return NULL;
		hlen -= dot + 1 - host;
		host = dot + 1;
	}
}

static enum sipk_lookup sipk_loc_pick(const struct sipk_loc *l,
				      u8 fork_policy, struct sipk_target *t)
{
	const struct sipk_contact *c, *best = NULL;
	unsigned long now = jiffies;
	unsigned int i, live = 0;

	for (i = 0, c = sipk_loc_contacts(l); i < l->ncontacts;
	     i++, c = sipk_contact_next(c)) {
		if (!sipk_contact_live(c, now))
			continue;
		live++;
		/* strictly greater: on a tie the contact added first wins */
		if (!best || c->q > best->q)
			best = c;
	}
	if (!best)
		return SIPK_LK_NONE;
	if (live > 1 && fork_policy != SIPK_FORK_BEST_Q)
		return SIPK_LK_FORK;
	if (best->flags & SIPK_F_REDIRECT)
		return SIPK_LK_REDIRECT;
	t->dst = best->dst;
	t->uri_len = best->uri_len;
	memcpy(t->uri, best->uri, best->uri_len);
	return SIPK_LK_FOUND;
}

/**
 * sipk_table_lookup() - route a Request-URI (alias, location, domain route)
 * @sn: the namespace
 * @user: user part of the URI (may be empty), as it appears in the URI
 * @ulen: its length
 * @host: host part, compared case-insensitively
 * @hlen: its length
 * @port: the URI's port, 0 when absent (5060 is the same as absent)
 * @fork_policy: enum sipk_fork_policy
 * @t: filled when SIPK_LK_FOUND
 *
 * Aliases are followed first, at most SIPK_ALIAS_DEPTH of them (a longer
 * chain or a loop is a miss).  The resulting name is looked up in the
 * location table: its live contacts only; one is FOUND (REDIRECT when it
 * has SIPK_F_REDIRECT), several are a FORK unless @fork_policy is
 * SIPK_FORK_BEST_Q (then the highest q, on a tie the first added).  Without
 * a live contact, the host and then its parent domains are looked up in
 * the domain routes: FOUND with @t->uri_len 0 (keep the Request-URI), or,
 * when an alias was followed, with @t->uri the alias target as a sip: URI.
 *
 * Caller holds rcu_read_lock(); never sleeps, never allocates.
 *
 * Return: enum sipk_lookup.
 */
enum sipk_lookup sipk_table_lookup(struct sipk_net *sn, const u8 *user,
				   size_t ulen, const u8 *host, size_t hlen,
				   u16 port, u8 fork_policy,
				   struct sipk_target *t)
{
	struct sipk_tables *tb = sn->tables;
	const struct sipk_alias *a = NULL, *next;
	const struct sipk_route *r;
	const struct sipk_loc *l;
	enum sipk_lookup ret;
	struct sipk_key k;
	unsigned int depth;

	if (sipk_key_init(&k, user, ulen, host, hlen, port))
		return SIPK_LK_NONE;

	for (depth = 0;; depth++) {
		next = rhashtable_lookup(&tb->ht[SIPK_TBL_ALIAS], &k,
					 sipk_alias_params);
		if (!next)
			break;
		if (depth == SIPK_ALIAS_DEPTH)
			return SIPK_LK_NONE;	/* too deep, or a loop */
		a = next;
		sipk_key_from_norm(&k, sipk_alias_target(a), a->tlen);
	}

	l = rhashtable_lookup(&tb->ht[SIPK_TBL_LOC], &k, sipk_loc_params);
	if (l) {
		ret = sipk_loc_pick(l, fork_policy, t);
		if (ret != SIPK_LK_NONE)
			return ret;
	}

	r = sipk_route_lookup(tb, k.host, k.hlen);
	if (!r)
		return SIPK_LK_NONE;
	t->dst = r->nh;
	t->uri_len = 0;
	if (a) {
		/* retarget to the name the alias maps to (RFC 3261 16.5) */
		if (4 + a->tlen > sizeof(t->uri))
			return SIPK_LK_NONE;
		memcpy(t->uri, "sip:", 4);
		memcpy(t->uri + 4, sipk_alias_target(a), a->tlen);
		t->uri_len = 4 + a->tlen;
	}
	return SIPK_LK_FOUND;
}

/* ---- readers for netlink ---- */

/**
 * sipk_loc_find() - the location entry of an AOR, exact name
 * @sn: the namespace
 * @aor: the AOR
 *
 * Caller holds rcu_read_lock() or sn->lock.  Expired contacts are still
 * in the entry; skip them with sipk_contact_live().
 *
 * Return: the entry or NULL.
 */
const struct sipk_loc *sipk_loc_find(struct sipk_net *sn,
				     const struct sipk_key *aor)
{
	return rhashtable_lookup_fast(&sn->tables->ht[SIPK_TBL_LOC], aor,
				      sipk_loc_params);
}

/**
 * sipk_alias_find() - the alias of a name, not followed further
 * @sn: the namespace
 * @aor: the alias name
 *
 * Caller holds rcu_read_lock() or sn->lock.
 *
 * Return: the entry or NULL.
 */
const struct sipk_alias *sipk_alias_find(struct sipk_net *sn,
					 const struct sipk_key *aor)
{
	return rhashtable_lookup_fast(&sn->tables->ht[SIPK_TBL_ALIAS], aor,
				      sipk_alias_params);
}

/**
 * sipk_route_find() - the route of exactly this domain (no parent search)
 * @sn: the namespace
 * @domain: the domain, user and port empty
 *
 * Caller holds rcu_read_lock() or sn->lock.
 *
 * Return: the entry or NULL.
 */
const struct sipk_route *sipk_route_find(struct sipk_net *sn,
					 const struct sipk_key *domain)
{
	return rhashtable_lookup_fast(&sn->tables->ht[SIPK_TBL_ROUTE], domain,
				      sipk_route_params);
}

/**
 * sipk_table_walk_enter() - start walking a table for a dump
 * @sn: the namespace
 * @id: which table
 * @iter: the iterator; rhashtable_walk_exit() it when done
 *
 * Entries of SIPK_TBL_LOC are struct sipk_loc, of SIPK_TBL_ALIAS struct
 * sipk_alias, of SIPK_TBL_ROUTE struct sipk_route.
 */
void sipk_table_walk_enter(struct sipk_net *sn, enum sipk_table_id id,
			   struct rhashtable_iter *iter)
{
	rhashtable_walk_enter(&sn->tables->ht[id], iter);
}

/**
 * sipk_table_gen() - generation of a table, for consistent dumps
 * @sn: the namespace
 * @id: which table
 *
 * Return: a value that changes with every change of the table, never 0.
 */
u32 sipk_table_gen(struct sipk_net *sn, enum sipk_table_id id)
{
	return READ_ONCE(sn->tables->gen[id]);
}

/**
 * sipk_tables_count() - contacts in the location table now
 * @sn: the namespace
 *
 * Contacts that expired and are not collected yet are counted too.
 *
 * Return: the number of contacts.
 */
u32 sipk_tables_count(struct sipk_net *sn)
{
	return READ_ONCE(sn->tables->n_contacts);
}

/**
 * sipk_tables_max_count() - the fullest table, against max_entries
 * @sn: the namespace
 *
 * max_entries bounds the contacts, and the aliases and the routes each.
 *
 * Return: the largest of the three counts.
 */
u32 sipk_tables_max_count(struct sipk_net *sn)
{
	struct sipk_tables *tb = sn->tables;

	return max3(READ_ONCE(tb->n_contacts), READ_ONCE(tb->n_aliases),
		    READ_ONCE(tb->n_routes));
}

/* ---- location writers ---- */

/* sipk_count() from process context: the hook counts in softirq */
static void sipk_count_expired(struct sipk_net *sn)
{
	local_bh_disable();
	sipk_count(sn, SIPK_CNT_EXPIRED);
	local_bh_enable();
}

static void sipk_gc_arm(struct sipk_tables *tb, unsigned long when)
{
	long delay;

	lockdep_assert_held(&tb->sn->lock);
	if (tb->gc_at && time_before_eq(tb->gc_at, when))
		return;
	tb->gc_at = when;
	delay = (long)(when - jiffies);
	/* whole seconds: one sweep collects everything due in that second */
	mod_delayed_work(system_power_efficient_wq, &tb->gc,
			 round_jiffies_up_relative(max(delay, 0L)));
}

/*
 * A change to one AOR: the contacts to keep, in order (NULL marks where
 * the new contact goes), the ones removed and the ones found expired.
 */
struct sipk_loc_change {
	const struct sipk_contact *keep[SIPK_CONTACTS_MAX];
	const struct sipk_contact *removed[SIPK_CONTACTS_MAX];
	const struct sipk_contact *expired[SIPK_CONTACTS_MAX];
	unsigned int nkeep, nremoved, nexpired;
	const struct sipk_contact_info *add;
	bool add_new;			/* not replacing a contact */
};

static void sipk_contact_fill(struct sipk_contact *c,
			      const struct sipk_contact_info *ci,
			      unsigned long now)
{
	u64 delta;

	c->expires = 0;
	if (ci->expires) {
		delta = min_t(u64, (u64)ci->expires * HZ, MAX_JIFFY_OFFSET);
		c->expires = now + (unsigned long)delta;
		if (!c->expires)
			c->expires = 1;
	}
	c->dst = ci->dst;
	c->q = ci->q;
	c->flags = ci->flags;
	c->owner = ci->owner;
	c->uri_len = ci->uri_len;
	memcpy(c->uri, ci->uri, ci->uri_len);
	c->uri[ci->uri_len] = '\0';
}

/*
 * Builds the entry for @key (the stored name of length @klen) from @ch;
 * *@newc is set to the new contact's record when there is one.
 */
static struct sipk_loc *sipk_loc_build(const char *key, unsigned int klen,
				       const struct sipk_loc_change *ch,
				       unsigned long now,
				       const struct sipk_contact **newc)
{
	size_t hsize = ALIGN(offsetof(struct sipk_loc, key) + klen + 1, 8);
	size_t size = hsize, csize;
	struct sipk_contact *c;
	struct sipk_loc *l;
	unsigned int i;

	for (i = 0; i < ch->nkeep; i++)
		size += sipk_contact_size(ch->keep[i] ? ch->keep[i]->uri_len :
						       ch->add->uri_len);
	if (size - hsize > U16_MAX)
		return NULL;
	l = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!l)
		return NULL;
	l->klen = klen;
	l->ncontacts = ch->nkeep;
	l->csize = size - hsize;
	memcpy(l->key, key, klen);
	l->key[klen] = '\0';
	*newc = NULL;
	c = (void *)l + hsize;
	for (i = 0; i < ch->nkeep; i++) {
		if (ch->keep[i]) {
			csize = sipk_contact_size(ch->keep[i]->uri_len);
			memcpy(c, ch->keep[i], csize);
		} else {
			csize = sipk_contact_size(ch->add->uri_len);
			sipk_contact_fill(c, ch->add, now);
			*newc = c;
		}
		c = (void *)c + csize;
	}
	return l;
}

/*
 * Applies @ch to @old (NULL: a new AOR named @key): publishes the new
 * entry or removes the AOR when nothing is kept, keeps the counts, sends
 * the events, and frees @old after a grace period.
 */
static int sipk_loc_apply(struct sipk_net *sn, struct sipk_loc *old,
			  const struct sipk_key *key,
			  const struct sipk_loc_change *ch, unsigned long now,
			  struct netlink_ext_ack *extack)
{
	struct rhashtable *ht = &sn->tables->ht[SIPK_TBL_LOC];
	struct sipk_tables *tb = sn->tables;
	const struct sipk_contact *newc = NULL;
	char kbuf[SIPK_AOR_MAX + 1];
	struct sipk_loc *l = NULL;
	const char *kstr;
	unsigned int i, klen;
	int err;

	lockdep_assert_held(&sn->lock);
	if (old) {
		kstr = old->key;
		klen = old->klen;
	} else {
		sipk_key_write(key, kbuf);
		kstr = kbuf;
		klen = key->len;
	}

	if (!ch->nkeep) {
		if (WARN_ON_ONCE(!old))
			return -EINVAL;
		err = rhashtable_remove_fast(ht, &old->node, sipk_loc_params);
		if (WARN_ON_ONCE(err))
			return err;
	} else {
		l = sipk_loc_build(kstr, klen, ch, now, &newc);
		if (!l) {
			NL_SET_ERR_MSG_MOD(extack, "out of memory");
			return -ENOMEM;
		}
		if (old)
			err = rhashtable_replace_fast(ht, &old->node, &l->node,
						      sipk_loc_params);
		else
			err = rhashtable_insert_fast(ht, &l->node,
						     sipk_loc_params);
		if (err) {
			kfree(l);
			NL_SET_ERR_MSG_MOD(extack,
					   "location table busy, try again");
			return err;
		}
	}

	WRITE_ONCE(tb->n_contacts, tb->n_contacts + ch->add_new -
				   ch->nremoved - ch->nexpired);
	sipk_gen_bump(tb, SIPK_TBL_LOC);

	/*
	 * Events before kfree_rcu(old): building them may sleep, and old's
	 * contacts must still be there.  sn->lock keeps every other writer,
	 * hence every other free, away meanwhile.
	 */
	for (i = 0; i < ch->nexpired; i++) {
		sipk_count_expired(sn);
		sipk_nl_loc_event(sn, SIPK_CMD_EVENT_LOC_EXPIRED, old,
				  ch->expired[i]);
	}
	for (i = 0; i < ch->nremoved; i++)
		sipk_nl_loc_event(sn, SIPK_CMD_EVENT_LOC_REMOVED, old,
				  ch->removed[i]);
	if (newc) {
		sipk_nl_loc_event(sn, SIPK_CMD_EVENT_LOC_ADDED, l, newc);
		if (newc->expires)
			sipk_gc_arm(tb, newc->expires);
	}
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

static struct sipk_loc *sipk_loc_lookup_locked(struct sipk_net *sn,
					       const struct sipk_key *aor)
{
	lockdep_assert_held(&sn->lock);
	/* the entry stays valid after the RCU section: sn->lock is held */
	return rhashtable_lookup_fast(&sn->tables->ht[SIPK_TBL_LOC], aor,
				      sipk_loc_params);
}

/**
 * sipk_loc_add() - add a contact to an AOR, or replace the one with its URI
 * @sn: the namespace; caller holds sn->lock
 * @aor: the AOR
 * @ci: the contact, already validated
 * @excl: refuse to replace a live contact with the same URI
 * @extack: for the reason of a refusal
 *
 * A replaced contact keeps its place (the order is the tie-break of
 * SIPK_FORK_BEST_Q).  A contact owned by SIPK_OWNER_STATIC is not replaced
 * on behalf of SIPK_OWNER_DAEMON.  Expired contacts of the AOR are
 * collected on the way.  Sends SIPK_CMD_EVENT_LOC_ADDED.
 *
 * Return: 0, -EEXIST, -EPERM, -E2BIG (SIPK_CONTACTS_MAX contacts already),
 * -ENOSPC (max_entries reached), -ENOMEM, or an rhashtable error.
 */
int sipk_loc_add(struct sipk_net *sn, const struct sipk_key *aor,
		 const struct sipk_contact_info *ci, bool excl,
		 struct netlink_ext_ack *extack)
{
	struct sipk_loc_change ch = { .add = ci };
	const struct sipk_contact *c;
	unsigned long now = jiffies;
	bool replaced = false;
	struct sipk_loc *old;
	unsigned int i;

	old = sipk_loc_lookup_locked(sn, aor);
	if (old) {
		for (i = 0, c = sipk_loc_contacts(old); i < old->ncontacts;
		     i++, c = sipk_contact_next(c)) {
			if (!sipk_contact_live(c, now)) {
				ch.expired[ch.nexpired++] = c;
				continue;
			}
			if (c->uri_len != ci->uri_len ||
			    memcmp(c->uri, ci->uri, ci->uri_len)) {
				ch.keep[ch.nkeep++] = c;
				continue;
			}
			if (excl) {
				NL_SET_ERR_MSG_MOD(extack,
						   "contact already registered");
				return -EEXIST;
			}
			if (ci->owner == SIPK_OWNER_DAEMON &&
			    c->owner == SIPK_OWNER_STATIC) {
				NL_SET_ERR_MSG_MOD(extack,
						   "a static contact is not replaced by the daemon");
				return -EPERM;
			}
			ch.keep[ch.nkeep++] = NULL;
			replaced = true;
		}
	}
	if (!replaced) {
		if (ch.nkeep >= SIPK_CONTACTS_MAX) {
			NL_SET_ERR_MSG_MOD(extack,
					   "AOR has SIPK_CONTACTS_MAX contacts already");
			return -E2BIG;
		}
		if (sn->tables->n_contacts - ch.nexpired >=
		    sipk_max_entries(sn)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "location table full (max_entries)");
			return -ENOSPC;
		}
		ch.keep[ch.nkeep++] = NULL;
		ch.add_new = true;
	}
	return sipk_loc_apply(sn, old, aor, &ch, now, extack);
}

/*
 * Sorts the contacts of @l into kept, removed (matching @uri when given
 * and @owner when >= 0) and expired ones.
 */
static void sipk_loc_select(const struct sipk_loc *l, const char *uri,
			    int owner, unsigned long now,
			    struct sipk_loc_change *ch)
{
	const struct sipk_contact *c;
	unsigned int i;

	for (i = 0, c = sipk_loc_contacts(l); i < l->ncontacts;
	     i++, c = sipk_contact_next(c)) {
		if (!sipk_contact_live(c, now))
			ch->expired[ch->nexpired++] = c;
		else if ((!uri || !strcmp(c->uri, uri)) &&
			 (owner < 0 || c->owner == owner))
			ch->removed[ch->nremoved++] = c;
		else
			ch->keep[ch->nkeep++] = c;
	}
}

/**
 * sipk_loc_del() - remove contacts of an AOR
 * @sn: the namespace; caller holds sn->lock
 * @aor: the AOR
 * @uri: the contact to remove (NUL-terminated), NULL: all of the AOR's
 * @owner: only contacts of this enum sipk_owner, -1: any
 * @extack: for the reason of a refusal
 *
 * Sends SIPK_CMD_EVENT_LOC_REMOVED for each contact removed.
 *
 * Return: 0, -ENOENT (no such AOR or live contact), -EPERM (@uri belongs
 * to another owner), -ENOMEM.
 */
int sipk_loc_del(struct sipk_net *sn, const struct sipk_key *aor,
		 const char *uri, int owner, struct netlink_ext_ack *extack)
{
	struct sipk_loc_change ch = {};
	const struct sipk_contact *c;
	unsigned long now = jiffies;
	struct sipk_loc *old;
	unsigned int i;

	old = sipk_loc_lookup_locked(sn, aor);
	if (!old) {
		NL_SET_ERR_MSG_MOD(extack, "AOR not found");
		return -ENOENT;
	}
	if (uri && owner >= 0) {
		for (i = 0, c = sipk_loc_contacts(old); i < old->ncontacts;
		     i++, c = sipk_contact_next(c)) {
			if (sipk_contact_live(c, now) && !strcmp(c->uri, uri) &&
			    c->owner != owner) {
				NL_SET_ERR_MSG_MOD(extack,
						   "contact belongs to another owner");
				return -EPERM;
			}
		}
	}
	sipk_loc_select(old, uri, owner, now, &ch);
	if (!ch.nremoved) {
		if (uri)
			NL_SET_ERR_MSG_MOD(extack, "contact not found");
		else
			NL_SET_ERR_MSG_MOD(extack, "AOR has no contact of that owner");
		return -ENOENT;
	}
	return sipk_loc_apply(sn, old, aor, &ch, now, extack);
}

/*
 * Walks the location table in batches, calling @fn on every entry for
 * which @want says so.  The entry the walk stands on between batches is
 * never in a batch: removing it would make rhashtable_walk_start() lose
 * its place.  @unlock drops sn->lock between batches (the expiry sweep);
 * then a concurrent change may make the walk miss an entry, which the next
 * sweep finds.  Returns the number of @fn calls that returned > 0.
 */
static unsigned int sipk_loc_sweep(struct sipk_net *sn, bool unlock,
				   bool (*want)(const struct sipk_loc *l,
						unsigned long now, int arg,
						unsigned long *next),
				   int (*fn)(struct sipk_net *sn,
					     struct sipk_loc *l,
					     unsigned long now, int arg),
				   int arg, unsigned long *next)
{
	struct sipk_loc *batch[SIPK_SWEEP_BATCH];
	unsigned int n, visited, restarts = 0, done = 0, i;
	struct rhashtable_iter iter;
	struct sipk_loc *l;
	unsigned long now;

	lockdep_assert_held(&sn->lock);
	rhashtable_walk_enter(&sn->tables->ht[SIPK_TBL_LOC], &iter);
	do {
		n = 0;
		visited = 0;
		now = jiffies;
		rhashtable_walk_start(&iter);
		l = rhashtable_walk_peek(&iter);
		while (l) {
			if (IS_ERR(l)) {
				/* resized: rewound to the start */
				if (PTR_ERR(l) != -EAGAIN ||
				    ++restarts > SIPK_SWEEP_RESTARTS) {
					l = NULL;
					break;
				}
				l = rhashtable_walk_next(&iter);
				continue;
			}
			if (n == SIPK_SWEEP_BATCH ||
			    visited++ == SIPK_SWEEP_VISIT)
				break;
			if (want(l, now, arg, next))
				batch[n++] = l;
			l = rhashtable_walk_next(&iter);
		}
		rhashtable_walk_stop(&iter);

		/* the batch stays valid: sn->lock has been held throughout */
		for (i = 0; i < n; i++)
			if (fn(sn, batch[i], now, arg) > 0)
				done++;
		if (l) {
			if (unlock) {
				mutex_unlock(&sn->lock);
				cond_resched();
				mutex_lock(&sn->lock);
			} else {
				cond_resched();
			}
		}
	} while (l);
	rhashtable_walk_exit(&iter);
	return done;
}

static bool sipk_flush_want(const struct sipk_loc *l, unsigned long now,
			    int owner, unsigned long *next)
{
	const struct sipk_contact *c;
	unsigned int i;

	if (owner < 0)
		return true;
	for (i = 0, c = sipk_loc_contacts(l); i < l->ncontacts;
	     i++, c = sipk_contact_next(c))
		if (c->owner == owner)
			return true;
	return false;
}

static int sipk_flush_one(struct sipk_net *sn, struct sipk_loc *l,
			  unsigned long now, int owner)
{
	struct sipk_loc_change ch = {};
	int err;

	sipk_loc_select(l, NULL, owner, now, &ch);
	if (!ch.nremoved && !ch.nexpired)
		return 0;
	err = sipk_loc_apply(sn, l, NULL, &ch, now, NULL);
	return err ? err : ch.nremoved;
}

/**
 * sipk_loc_flush() - remove every contact, or every contact of an owner
 * @sn: the namespace; caller holds sn->lock
 * @owner: enum sipk_owner, -1: all contacts
 *
 * Sends SIPK_CMD_EVENT_LOC_REMOVED for each contact removed.  An AOR whose
 * new entry cannot be allocated keeps its contacts.
 *
 * Return: the number of AORs changed.
 */
int sipk_loc_flush(struct sipk_net *sn, int owner)
{
	return sipk_loc_sweep(sn, false, sipk_flush_want, sipk_flush_one,
			      owner, NULL);
}

static bool sipk_gc_want(const struct sipk_loc *l, unsigned long now,
			 int arg, unsigned long *next)
{
	const struct sipk_contact *c;
	bool expired = false;
	unsigned int i;

	for (i = 0, c = sipk_loc_contacts(l); i < l->ncontacts;
	     i++, c = sipk_contact_next(c)) {
		if (!c->expires)
			continue;
		if (!sipk_contact_live(c, now))
			expired = true;
		else if (!*next || time_before(c->expires, *next))
			*next = c->expires;
	}
	return expired;
}

static int sipk_gc_one(struct sipk_net *sn, struct sipk_loc *l,
		       unsigned long now, int arg)
{
	struct sipk_loc_change ch = {};
	const struct sipk_contact *c;
	unsigned int i;

	for (i = 0, c = sipk_loc_contacts(l); i < l->ncontacts;
	     i++, c = sipk_contact_next(c)) {
		if (sipk_contact_live(c, now))
			ch.keep[ch.nkeep++] = c;
		else
			ch.expired[ch.nexpired++] = c;
	}
	if (!ch.nexpired)
		return 0;
	if (sipk_loc_apply(sn, l, NULL, &ch, now, NULL)) {
		/* no memory for the smaller entry: try again in a second */
		sipk_gc_arm(sn->tables, now + HZ);
		return 0;
	}
	return 1;
}

/*
 * The expiry sweep: runs when the earliest known expiry is due (rounded
 * up to a whole second), removes expired contacts, counts them and sends
 * SIPK_CMD_EVENT_LOC_EXPIRED, then plans the next sweep for the earliest
 * expiry it saw.  Lookups never return an expired contact, so the sweep
 * only gives memory back and tells listeners.
 */
static void sipk_gc_work(struct work_struct *work)
{
	struct sipk_tables *tb = container_of(to_delayed_work(work),
					      struct sipk_tables, gc);
	struct sipk_net *sn = tb->sn;
	unsigned long next = 0;

	mutex_lock(&sn->lock);
	tb->gc_at = 0;
	sipk_loc_sweep(sn, true, sipk_gc_want, sipk_gc_one, 0, &next);
	if (next)
		sipk_gc_arm(tb, next);
	mutex_unlock(&sn->lock);
}

/* ---- aliases ---- */

/**
 * sipk_alias_add() - map an AOR to another one, or change its target
 * @sn: the namespace; caller holds sn->lock
 * @aor: the alias
 * @target: the name it maps to
 * @extack: for the reason of a refusal
 *
 * Return: 0, -ELOOP (the alias would be part of a loop), -ENOSPC
 * (max_entries aliases), -ENOMEM, or an rhashtable error.
 */
int sipk_alias_add(struct sipk_net *sn, const struct sipk_key *aor,
		   const struct sipk_key *target,
		   struct netlink_ext_ack *extack)
{
	struct rhashtable *ht = &sn->tables->ht[SIPK_TBL_ALIAS];
	struct sipk_tables *tb = sn->tables;
	const struct sipk_alias *a;
	struct sipk_alias *old, *new;
	struct sipk_key k = *target;
	unsigned int depth;
	int err;

	lockdep_assert_held(&sn->lock);
	/* would following the target lead back here? */
	for (depth = 0; depth <= SIPK_ALIAS_DEPTH; depth++) {
		if (sipk_key_equal(&k, aor)) {
			NL_SET_ERR_MSG_MOD(extack, "alias would form a loop");
			return -ELOOP;
		}
		a = rhashtable_lookup_fast(ht, &k, sipk_alias_params);
		if (!a)
			break;
		sipk_key_from_norm(&k, sipk_alias_target(a), a->tlen);
	}

	old = rhashtable_lookup_fast(ht, aor, sipk_alias_params);
	if (!old && tb->n_aliases >= sipk_max_entries(sn)) {
		NL_SET_ERR_MSG_MOD(extack, "alias table full (max_entries)");
		return -ENOSPC;
	}
	new = kzalloc(sizeof(*new) + aor->len + target->len + 2,
		      GFP_KERNEL_ACCOUNT);
	if (!new) {
		NL_SET_ERR_MSG_MOD(extack, "out of memory");
		return -ENOMEM;
	}
	new->klen = aor->len;
	new->tlen = target->len;
	sipk_key_write(aor, new->key);
	sipk_key_write(target, new->key + new->klen + 1);
	if (old)
		err = rhashtable_replace_fast(ht, &old->node, &new->node,
					      sipk_alias_params);
	else
		err = rhashtable_insert_fast(ht, &new->node,
					     sipk_alias_params);
	if (err) {
		kfree(new);
		NL_SET_ERR_MSG_MOD(extack, "alias table busy, try again");
		return err;
	}
	if (old)
		kfree_rcu(old, rcu);
	else
		WRITE_ONCE(tb->n_aliases, tb->n_aliases + 1);
	sipk_gen_bump(tb, SIPK_TBL_ALIAS);
	return 0;
}

/**
 * sipk_alias_del() - remove an alias
 * @sn: the namespace; caller holds sn->lock
 * @aor: the alias
 * @extack: for the reason of a refusal
 *
 * Return: 0 or -ENOENT.
 */
int sipk_alias_del(struct sipk_net *sn, const struct sipk_key *aor,
		   struct netlink_ext_ack *extack)
{
	struct rhashtable *ht = &sn->tables->ht[SIPK_TBL_ALIAS];
	struct sipk_alias *old;

	lockdep_assert_held(&sn->lock);
	old = rhashtable_lookup_fast(ht, aor, sipk_alias_params);
	if (!old) {
		NL_SET_ERR_MSG_MOD(extack, "alias not found");
		return -ENOENT;
	}
	if (WARN_ON_ONCE(rhashtable_remove_fast(ht, &old->node,
						sipk_alias_params)))
		return -ENOENT;
	WRITE_ONCE(sn->tables->n_aliases, sn->tables->n_aliases - 1);
	sipk_gen_bump(sn->tables, SIPK_TBL_ALIAS);
	kfree_rcu(old, rcu);
	return 0;
}

/* ---- domain routes ---- */

/**
 * sipk_route_add() - route a domain to a next-hop proxy, or change it
 * @sn: the namespace; caller holds sn->lock
 * @domain: the host or domain (user and port empty)
 * @nh: the next hop
 * @extack: for the reason of a refusal
 *
 * Return: 0, -ENOSPC (max_entries routes), -ENOMEM, or an rhashtable
 * error.
 */
int sipk_route_add(struct sipk_net *sn, const struct sipk_key *domain,
		   const struct sipk_addr *nh, struct netlink_ext_ack *extack)
{
	struct rhashtable *ht = &sn->tables->ht[SIPK_TBL_ROUTE];
	struct sipk_tables *tb = sn->tables;
	struct sipk_route *old, *new;
	int err;

	lockdep_assert_held(&sn->lock);
	old = rhashtable_lookup_fast(ht, domain, sipk_route_params);
	if (!old && tb->n_routes >= sipk_max_entries(sn)) {
		NL_SET_ERR_MSG_MOD(extack, "route table full (max_entries)");
		return -ENOSPC;
	}
	new = kzalloc(sizeof(*new) + domain->len + 1, GFP_KERNEL_ACCOUNT);
	if (!new) {
		NL_SET_ERR_MSG_MOD(extack, "out of memory");
		return -ENOMEM;
	}
	new->nh = *nh;
	new->klen = domain->len;
	sipk_key_write(domain, new->key);
	if (old)
		err = rhashtable_replace_fast(ht, &old->node, &new->node,
					      sipk_route_params);
	else
		err = rhashtable_insert_fast(ht, &new->node,
					     sipk_route_params);
	if (err) {
		kfree(new);
		NL_SET_ERR_MSG_MOD(extack, "route table busy, try again");
		return err;
	}
	if (old)
		kfree_rcu(old, rcu);
	else
		WRITE_ONCE(tb->n_routes, tb->n_routes + 1);
	sipk_gen_bump(tb, SIPK_TBL_ROUTE);
	return 0;
}

/**
 * sipk_route_del() - remove the route of a domain
 * @sn: the namespace; caller holds sn->lock
 * @domain: the domain
 * @extack: for the reason of a refusal
 *
 * Return: 0 or -ENOENT.
 */
int sipk_route_del(struct sipk_net *sn, const struct sipk_key *domain,
		   struct netlink_ext_ack *extack)
{
	struct rhashtable *ht = &sn->tables->ht[SIPK_TBL_ROUTE];
	struct sipk_route *old;

	lockdep_assert_held(&sn->lock);
	old = rhashtable_lookup_fast(ht, domain, sipk_route_params);
	if (!old) {
		NL_SET_ERR_MSG_MOD(extack, "route not found");
		return -ENOENT;
	}
	if (WARN_ON_ONCE(rhashtable_remove_fast(ht, &old->node,
						sipk_route_params)))
		return -ENOENT;
	WRITE_ONCE(sn->tables->n_routes, sn->tables->n_routes - 1);
	sipk_gen_bump(sn->tables, SIPK_TBL_ROUTE);
	kfree_rcu(old, rcu);
	return 0;
}

/* ---- per-namespace setup ---- */

/**
 * sipk_tables_init() - create the namespace's empty tables
 * @sn: the namespace; sn->lock and sn->cfg are set up
 *
 * Return: 0 or -ENOMEM.
 */
int sipk_tables_init(struct sipk_net *sn)
{
	static const struct rhashtable_params *params[__SIPK_TBL_MAX] = {
		[SIPK_TBL_LOC] = &sipk_loc_params,
		[SIPK_TBL_ALIAS] = &sipk_alias_params,
		[SIPK_TBL_ROUTE] = &sipk_route_params,
	};
	struct sipk_tables *tb;
	int i, err;

	net_get_random_once(&sipk_hash_key, sizeof(sipk_hash_key));

	tb = kzalloc(sizeof(*tb), GFP_KERNEL);
	if (!tb)
		return -ENOMEM;
	tb->sn = sn;
	for (i = 0; i < __SIPK_TBL_MAX; i++) {
		err = rhashtable_init(&tb->ht[i], params[i]);
		if (err)
			goto err_ht;
		tb->gen[i] = 1;
	}
	INIT_DELAYED_WORK(&tb->gc, sipk_gc_work);
	sn->tables = tb;
	return 0;

err_ht:
	while (--i >= 0)
		rhashtable_destroy(&tb->ht[i]);
	kfree(tb);
	return err;
}

static void sipk_free_entry(void *ptr, void *arg)
{
	kfree(ptr);
}

/**
 * sipk_tables_exit() - free the namespace's tables and all their entries
 * @sn: the namespace
 *
 * Called from the pernet exit, when nothing can reach the tables any more:
 * the hooks of this namespace are unregistered (which waits for the
 * readers in the hook, synchronize_net()), and no netlink request can come
 * for a namespace that is being dismantled (a socket in it would hold a
 * reference; the family is unregistered before the pernet ops on module
 * unload, which waits for running handlers).  So the entries are freed at
 * once, without a grace period.  Entries freed earlier with kfree_rcu()
 * need no rcu_barrier(): kfree_rcu() calls no code of this module.
 */
void sipk_tables_exit(struct sipk_net *sn)
{
	struct sipk_tables *tb = sn->tables;
	int i;

	if (!tb)
		return;
	cancel_delayed_work_sync(&tb->gc);
	for (i = 0; i < __SIPK_TBL_MAX; i++)
		rhashtable_free_and_destroy(&tb->ht[i], sipk_free_entry, NULL);
	sn->tables = NULL;
	kfree(tb);
}

#ifdef CONFIG_SIPK_DEBUG
struct sipk_key_case {
	const char *user, *host;
	u16 port;
	const char *norm;
};

/**
 * sipk_table_selftest() - check key normalisation and hashing at load time
 *
 * Context: module init.  A name split into parts by the parser must hash
 * and compare equal to the same name stored in normalised form, or
 * lookups silently miss.
 *
 * Return: 0 or -EINVAL.
 */
int sipk_table_selftest(void)
{
	static const struct sipk_key_case cases[] = {
		{ "alice", "Example.COM", 0, "alice@example.com" },
		{ "alice", "example.com", 5060, "alice@example.com" },
		{ "Bob", "EXAMPLE.org", 5070, "Bob@example.org:5070" },
		{ "", "Proxy.Example.org", 1, "proxy.example.org:1" },
		{ "u", "[2001:DB8::1]", 65535, "u@[2001:db8::1]:65535" },
		{ "", "[2001:db8::1]", 0, "[2001:db8::1]" },
		{ "a;b=c", "h", 5061, "a;b=c@h:5061" },
	};
	char buf[SIPK_AOR_MAX + 1];
	struct sipk_key k, n;
	unsigned int i;
	u32 seed;

	net_get_random_once(&sipk_hash_key, sizeof(sipk_hash_key));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct sipk_key_case *c = &cases[i];

		seed = 0x9e3779b9 * (i + 1);
		if (sipk_key_init(&k, c->user, strlen(c->user), c->host,
				  strlen(c->host), c->port))
			goto fail;
		sipk_key_write(&k, buf);
		if (strcmp(buf, c->norm) || k.len != strlen(c->norm))
			goto fail;
		if (!sipk_key_eq(&k, c->norm, strlen(c->norm)))
			goto fail;
		if (sipk_key_hash(&k, seed) !=
		    sipk_str_hash(c->norm, strlen(c->norm), seed))
			goto fail;
		sipk_key_from_norm(&n, c->norm, strlen(c->norm));
		if (!sipk_key_equal(&k, &n) ||
		    sipk_key_hash(&n, seed) != sipk_key_hash(&k, seed))
			goto fail;
	}
	/* the user part is case-sensitive, the host is not */
	sipk_key_init(&k, "Alice", 5, "example.com", 11, 0);
	if (sipk_key_eq(&k, "alice@example.com", 17))
		goto fail;
	sipk_key_init(&k, "", 0, "EXAMPLE.COM", 11, 0);
	if (!sipk_key_eq(&k, "example.com", 11) ||
	    sipk_key_eq(&k, "example.co", 10))
		goto fail;
	return 0;
fail:
	pr_err("table selftest: key case %u failed\n", i);
	return -EINVAL;
}
#endif /* CONFIG_SIPK_DEBUG */
