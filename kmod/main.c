// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - sipk module: per-namespace state, counters, load and unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/random.h>
#include <net/netns/generic.h>
#include <net/genetlink.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include "sipk.h"
#include "hook.h"

static unsigned int sipk_net_id __read_mostly;

/**
 * sipk_pernet() - the sipk state of a network namespace
 * @net: the namespace
 *
 * Return: its struct sipk_net, valid while @net is alive.
 */
struct sipk_net *sipk_pernet(const struct net *net)
{
	return net_generic(net, sipk_net_id);
}

/* the per-CPU sums, since load */
static void sipk_stats_sum(struct sipk_net *sn, u64 *out)
{
	int cpu, i;

	memset(out, 0, sizeof(u64) * __SIPK_CNT_MAX);
	for_each_possible_cpu(cpu) {
		const struct sipk_pcpu_stats *s = per_cpu_ptr(sn->stats, cpu);
		u64 v[__SIPK_CNT_MAX];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < __SIPK_CNT_MAX; i++)
				v[i] = u64_stats_read(&s->cnt[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < __SIPK_CNT_MAX; i++)
			out[i] += v[i];
	}
}

/**
 * sipk_stats_read() - the counters since the last reset
 * @sn: the namespace
 * @out: __SIPK_CNT_MAX values
 */
void sipk_stats_read(struct sipk_net *sn, u64 *out)
{
	int i;

	sipk_stats_sum(sn, out);
	spin_lock(&sn->stats_lock);
	for (i = 0; i < __SIPK_CNT_MAX; i++)
		out[i] -= sn->stats_base[i];
	spin_unlock(&sn->stats_lock);
}

/**
 * sipk_stats_reset() - start the counters from zero
 * @sn: the namespace
 *
 * The per-CPU counters belong to their CPUs and are never written from
 * here: a reset only moves the baseline that sipk_stats_read() subtracts.
 */
void sipk_stats_reset(struct sipk_net *sn)
{
	u64 now[__SIPK_CNT_MAX];

	sipk_stats_sum(sn, now);
	spin_lock(&sn->stats_lock);
	memcpy(sn->stats_base, now, sizeof(now));
	spin_unlock(&sn->stats_lock);
}

static int __net_init sipk_net_init(struct net *net)
{
	struct sipk_net *sn = sipk_pernet(net);
	struct sipk_config *cfg;
	int cpu, err;

	sn->net = net;
	mutex_init(&sn->lock);
	spin_lock_init(&sn->stats_lock);
	get_random_bytes(&sn->key, sizeof(sn->key));

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	cfg->ports[0] = SIPK_DEFAULT_PORT;
	cfg->fork_policy = SIPK_FORK_HAND_UP;
	cfg->max_entries = SIPK_DEFAULT_MAX_ENTRIES;
	RCU_INIT_POINTER(sn->cfg, cfg);

	sn->stats = alloc_percpu(struct sipk_pcpu_stats);
	if (!sn->stats) {
		err = -ENOMEM;
		goto err_cfg;
	}
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(sn->stats, cpu)->syncp);

	err = sipk_tables_init(sn);
	if (err)
		goto err_stats;

	err = sipk_route_cache_init(sn);
	if (err)
		goto err_tables;

	/* the hook sits after defragmentation: make sure there is one */
	err = nf_defrag_ipv4_enable(net);
	if (err)
		goto err_routes;
#if IS_ENABLED(CONFIG_IPV6)
	err = nf_defrag_ipv6_enable(net);
	if (err)
		goto err_defrag4;
#endif

	err = sipk_hooks_register(sn);
	if (err)
		goto err_defrag6;
	return 0;

err_defrag6:
#if IS_ENABLED(CONFIG_IPV6)
	nf_defrag_ipv6_disable(net);
err_defrag4:
#endif
	nf_defrag_ipv4_disable(net);
err_routes:
	sipk_route_cache_exit(sn);
err_tables:
	sipk_tables_exit(sn);
err_stats:
	free_percpu(sn->stats);
err_cfg:
	kfree(rcu_access_pointer(sn->cfg));
	return err;
}

static void __net_exit sipk_net_exit(struct net *net)
{
	struct sipk_net *sn = sipk_pernet(net);

	/* no hook runs after this returns: nf_unregister waits for RCU */
	sipk_hooks_unregister(sn);
#if IS_ENABLED(CONFIG_IPV6)
	nf_defrag_ipv6_disable(net);
#endif
	nf_defrag_ipv4_disable(net);
	sipk_route_cache_exit(sn);
	sipk_tables_exit(sn);
	free_percpu(sn->stats);
	kfree(rcu_access_pointer(sn->cfg));
}

static struct pernet_operations sipk_net_ops = {
	.init = sipk_net_init,
	.exit = sipk_net_exit,
	.id = &sipk_net_id,
	.size = sizeof(struct sipk_net),
};

static int __init sipk_init(void)
{
	int err;

	err = sipk_selftest();
	if (err) {
		pr_err("self-tests failed (%d), not loading\n", err);
		return err;
	}

	err = register_pernet_subsys(&sipk_net_ops);
	if (err)
		return err;

	err = sipk_nl_init();
	if (err)
		goto err_pernet;

	pr_info("SIP fast path loaded\n");
	return 0;

err_pernet:
	unregister_pernet_subsys(&sipk_net_ops);
	return err;
}

static void __exit sipk_exit(void)
{
	sipk_nl_exit();
	unregister_pernet_subsys(&sipk_net_ops);
	/* table entries are freed with kfree_rcu: wait for them */
	rcu_barrier();
	pr_info("unloaded\n");
}

module_init(sipk_init);
module_exit(sipk_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel SIP (RFC 3261) stateless fast-path proxy");
MODULE_AUTHOR("The sipk developers");
MODULE_ALIAS_GENL_FAMILY(SIPK_GENL_NAME);
