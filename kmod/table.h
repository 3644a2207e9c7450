/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The location table, aliases and domain routes of sipk, as the netlink
 * code sees them.
 *
 * Three RCU hash tables per network namespace, all keyed by a normalised
 * name: "user@host" or "host", the host in lower case, ":port" only when
 * the port is not 5060.  Readers hold rcu_read_lock(); every writer holds
 * sipk_net.lock.  Entries are immutable once published: a change builds a
 * new entry, swaps it in and frees the old one after a grace period, so a
 * reader always sees a whole entry, never a half-updated one.
 */
#ifndef _SIPK_TABLE_H
#define _SIPK_TABLE_H

#include <linux/jiffies.h>
#include <linux/rhashtable-types.h>
#include <linux/stddef.h>
#include <linux/types.h>

#include "sipk.h"

struct netlink_ext_ack;

/*
 * A name as the tables compare it, pointing into the caller's buffer.
 * The host is compared and hashed in lower case without being copied.
 */
struct sipk_key {
	const u8 *user;
	const u8 *host;
	u16 ulen;		/* 0: no user part ("host" alone) */
	u16 hlen;
	u16 len;		/* length of the normalised form */
	u8 plen;		/* digits in port[], 0: port absent or 5060 */
	char port[5];
};

int sipk_key_init(struct sipk_key *k, const u8 *user, size_t ulen,
		  const u8 *host, size_t hlen, u16 port);
bool sipk_key_equal(const struct sipk_key *a, const struct sipk_key *b);

/*
 * One contact, stored inline in its AOR's entry and 8-byte aligned there.
 * The URI is NUL-terminated so that it can be put as a netlink string.
 */
struct sipk_contact {
	unsigned long expires;		/* jiffies; 0: never */
	struct sipk_addr dst;
	u16 q;				/* 0..SIPK_Q_MAX */
	u8 flags;			/* SIPK_F_* */
	u8 owner;			/* enum sipk_owner */
	u8 uri_len;
	char uri[];
};

/* An AOR: one allocation holding the key and all its contacts. */
struct sipk_loc {
	struct rhash_head node;
	struct rcu_head rcu;
	u16 csize;			/* octets of contact records */
	u8 klen;
	u8 ncontacts;			/* 1..SIPK_CONTACTS_MAX */
	char key[];			/* klen octets, NUL, then the contacts */
};

/* AOR -> AOR (name mapping): key, NUL, target, NUL. */
struct sipk_alias {
	struct rhash_head node;
	struct rcu_head rcu;
	u8 klen;
	u8 tlen;
	char key[];
};

/* host or domain -> next-hop proxy */
struct sipk_route {
	struct rhash_head node;
	struct rcu_head rcu;
	struct sipk_addr nh;
	u8 klen;
	char key[];
};

static inline const char *sipk_alias_target(const struct sipk_alias *a)
{
	return a->key + a->klen + 1;
}

static inline size_t sipk_contact_size(unsigned int uri_len)
{
	return ALIGN(offsetof(struct sipk_contact, uri) + uri_len + 1, 8);
}

static inline const struct sipk_contact *
sipk_loc_contacts(const struct sipk_loc *l)
{
	return (const void *)l +
	       ALIGN(offsetof(struct sipk_loc, key) + l->klen + 1, 8);
}

static inline const struct sipk_contact *
sipk_contact_next(const struct sipk_contact *c)
{
	return (const void *)c + sipk_contact_size(c->uri_len);
}

static inline bool sipk_contact_live(const struct sipk_contact *c,
				     unsigned long now)
{
	return !c->expires || time_before(now, c->expires);
}

/* A contact as netlink hands it to sipk_loc_add(). */
struct sipk_contact_info {
	const char *uri;		/* NUL-terminated */
	u8 uri_len;
	u8 flags;
	u8 owner;
	u16 q;
	u32 expires;			/* seconds from now, 0: never */
	struct sipk_addr dst;
};

enum sipk_table_id {
	SIPK_TBL_LOC,
	SIPK_TBL_ALIAS,
	SIPK_TBL_ROUTE,
	__SIPK_TBL_MAX,
};

/* Writers: the caller holds sn->lock.  -errno with an extack message. */
int sipk_loc_add(struct sipk_net *sn, const struct sipk_key *aor,
		 const struct sipk_contact_info *ci, bool excl,
		 struct netlink_ext_ack *extack);
int sipk_loc_del(struct sipk_net *sn, const struct sipk_key *aor,
		 const char *uri, int owner, struct netlink_ext_ack *extack);
int sipk_loc_flush(struct sipk_net *sn, int owner);
int sipk_alias_add(struct sipk_net *sn, const struct sipk_key *aor,
		   const struct sipk_key *target,
		   struct netlink_ext_ack *extack);
int sipk_alias_del(struct sipk_net *sn, const struct sipk_key *aor,
		   struct netlink_ext_ack *extack);
int sipk_route_add(struct sipk_net *sn, const struct sipk_key *domain,
		   const struct sipk_addr *nh, struct netlink_ext_ack *extack);
int sipk_route_del(struct sipk_net *sn, const struct sipk_key *domain,
		   struct netlink_ext_ack *extack);

/* Readers: rcu_read_lock() or sn->lock held; exact match, no resolution. */
const struct sipk_loc *sipk_loc_find(struct sipk_net *sn,
				     const struct sipk_key *aor);
const struct sipk_alias *sipk_alias_find(struct sipk_net *sn,
					 const struct sipk_key *aor);
const struct sipk_route *sipk_route_find(struct sipk_net *sn,
					 const struct sipk_key *domain);

/* Dumps: walk a table with rhashtable_walk_*(); see netlink.c. */
void sipk_table_walk_enter(struct sipk_net *sn, enum sipk_table_id id,
			   struct rhashtable_iter *iter);
u32 sipk_table_gen(struct sipk_net *sn, enum sipk_table_id id);
u32 sipk_tables_max_count(struct sipk_net *sn);

/* ---- netlink.c, for table.c ---- */
void sipk_nl_loc_event(struct sipk_net *sn, u8 cmd, const struct sipk_loc *l,
		       const struct sipk_contact *c);

#ifdef CONFIG_SIPK_DEBUG
int sipk_table_selftest(void);
#else
static inline int sipk_table_selftest(void) { return 0; }
#endif

#endif /* _SIPK_TABLE_H */
