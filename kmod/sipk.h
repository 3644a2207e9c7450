/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipk.h - what the parts of sipk.ko share: the per-namespace state,
 * counters, and the calls between the hook, the tables and netlink.
 */
#ifndef _SIPK_H
#define _SIPK_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>
#include <linux/siphash.h>
#include <net/net_namespace.h>
#include <linux/sipk.h>

#include "sip_core.h"

struct sipk_tables;
struct sipk_dst_cache;

struct sipk_pcpu_stats {
	u64_stats_t cnt[__SIPK_CNT_MAX];
	struct u64_stats_sync syncp;
};

/* The configuration, replaced as a whole under sipk_net.lock (RCU). */
struct sipk_config {
	u16 ports[SIPK_PORTS_MAX];	/* host order; 0 ends the list */
	u8 record_route;
	u8 fork_policy;			/* enum sipk_fork_policy */
	u32 max_entries;		/* contacts, over all AORs */
	struct rcu_head rcu;
};

#define SIPK_DEFAULT_PORT		5060
#define SIPK_DEFAULT_MAX_ENTRIES	1048576U
#define SIPK_MAX_ENTRIES_LIMIT		16777216U

/* Per network namespace. */
struct sipk_net {
	struct net *net;
	struct mutex lock;		/* serialises every change */
	struct sipk_config __rcu *cfg;
	struct sipk_pcpu_stats __percpu *stats;
	spinlock_t stats_lock;		/* guards stats_base */
	u64 stats_base[__SIPK_CNT_MAX];	/* the sums at the last reset */
	struct sipk_tables *tables;	/* table.c */
	struct sipk_dst_cache __percpu *dsts;	/* hook.c: output routes */
	siphash_key_t key;		/* stateless branch MAC, per boot */
	bool hooks_registered;
};

struct sipk_net *sipk_pernet(const struct net *net);

static inline void sipk_count(struct sipk_net *sn, enum sipk_counter c)
{
	struct sipk_pcpu_stats *s = this_cpu_ptr(sn->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->cnt[c]);
	u64_stats_update_end(&s->syncp);
}

/* main.c: the counters since the last reset, into @out[__SIPK_CNT_MAX] */
void sipk_stats_read(struct sipk_net *sn, u64 *out);
void sipk_stats_reset(struct sipk_net *sn);

/* ---- table.c ---- */

/* Where the hook sends a request, filled under rcu_read_lock(). */
struct sipk_target {
	struct sipk_addr dst;
	u16 uri_len;			/* 0: keep the Request-URI (route) */
	u8 uri[SIPK_URI_MAX];
};

enum sipk_lookup {
	SIPK_LK_FOUND,
	SIPK_LK_NONE,		/* nothing matches: hand up */
	SIPK_LK_REDIRECT,	/* the contact says redirect: hand up */
	SIPK_LK_FORK,		/* several live contacts: hand up */
};

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
 * Caller holds rcu_read_lock(); never sleeps.
 */
enum sipk_lookup sipk_table_lookup(struct sipk_net *sn, const u8 *user,
				   size_t ulen, const u8 *host, size_t hlen,
				   u16 port, u8 fork_policy,
				   struct sipk_target *t);

int sipk_tables_init(struct sipk_net *sn);
void sipk_tables_exit(struct sipk_net *sn);	/* frees everything */
u32 sipk_tables_count(struct sipk_net *sn);	/* contacts now */

/* ---- netlink.c ---- */
int sipk_nl_init(void);
void sipk_nl_exit(void);

#ifdef CONFIG_SIPK_DEBUG
int sipk_selftest(void);
#else
static inline int sipk_selftest(void) { return 0; }
#endif

#endif /* _SIPK_H */
