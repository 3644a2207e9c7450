// SPDX-License-Identifier: GPL-2.0
/*
 * hook.c - the netfilter hook: SIP over UDP forwarded statelessly, or
 * handed up unchanged.
 *
 * The hook sits at PRE_ROUTING after defragmentation and before
 * conntrack.  For a UDP datagram to a local address on a SIP port it
 * either builds and sends the forwarded message itself and consumes the
 * original (NF_STOLEN), or returns NF_ACCEPT with the original untouched
 * so that whatever listens on the port (sipkd) gets it.  It never drops
 * what it cannot handle.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/ip6_route.h>
#include <net/addrconf.h>
#include <net/ip6_checksum.h>
#include <net/netfilter/nf_conntrack.h>
#include <linux/hash.h>
#include <linux/inetdevice.h>
#include <asm/unaligned.h>

#include "sipk.h"
#include "hook.h"

/* after defrag (-400), before conntrack (-200) */
#define SIPK_HOOK_PRIO		(NF_IP_PRI_RAW + 10)
#define SIPK_HOOK6_PRIO		(NF_IP6_PRI_RAW + 10)

/* what a forwarded request can grow by: Via, received/rport, RR, MF */
#define SIPK_GROWTH		640

/* One datagram in the hook. */
struct sipk_pkt {
	struct sipk_net *sn;
	const struct sipk_config *cfg;
	struct sk_buff *skb;
	struct sipk_addr src;	/* sender */
	struct sipk_addr local;	/* where it arrived: our address and port */
	struct sipk_msg m;
};

/* The way out to a next hop. */
struct sipk_route {
	struct dst_entry *dst;
	struct sipk_addr saddr;
	unsigned int mtu;
};

static bool sipk_port_match(const struct sipk_config *cfg, u16 port)
{
	int i;

	for (i = 0; i < SIPK_PORTS_MAX && cfg->ports[i]; i++)
		if (cfg->ports[i] == port)
			return true;
	return false;
}

/* Find the route and source address towards @dst; never a local one. */
static int sipk_route_lookup(struct net *net, const struct sipk_addr *dst,
			     struct sipk_route *r)
{
	memset(r, 0, sizeof(*r));
	if (dst->family == 4) {
		struct flowi4 fl4 = {
			.flowi4_proto = IPPROTO_UDP,
		};
		struct rtable *rt;

		memcpy(&fl4.daddr, dst->addr, 4);
		rt = ip_route_output_key(net, &fl4);
		if (IS_ERR(rt))
			return PTR_ERR(rt);
		if (rt->rt_type != RTN_UNICAST) {
			int err = rt->rt_type == RTN_LOCAL ? -ELOOP :
							     -EHOSTUNREACH;

			ip_rt_put(rt);
			return err;
		}
		r->dst = &rt->dst;
		r->saddr.family = 4;
		memcpy(r->saddr.addr, &fl4.saddr, 4);
	} else if (IS_ENABLED(CONFIG_IPV6) && dst->family == 6) {
		struct flowi6 fl6 = {
			.flowi6_proto = IPPROTO_UDP,
		};
		struct dst_entry *d;
		int err;

		memcpy(&fl6.daddr, dst->addr, 16);
		if (ipv6_addr_type(&fl6.daddr) &
		    (IPV6_ADDR_MULTICAST | IPV6_ADDR_LOOPBACK | IPV6_ADDR_ANY))
			return -EHOSTUNREACH;
		d = ip6_route_output(net, NULL, &fl6);
		err = d->error;
		if (!err && (d->dev->flags & IFF_LOOPBACK))
			err = -ELOOP;
		if (!err)
			err = ipv6_dev_get_saddr(net, d->dev, &fl6.daddr, 0,
						 &fl6.saddr);
		if (err) {
			dst_release(d);
			return err;
		}
		r->dst = d;
		r->saddr.family = 6;
		memcpy(r->saddr.addr, &fl6.saddr, 16);
	} else {
		return -EAFNOSUPPORT;
	}
	r->mtu = dst_mtu(r->dst);
	return 0;
}

/*
 * The output route to a next hop depends on nothing but its address and
 * the routing state, and the fast path sends to few next hops at a time
 * (the uas of a contact, the uac a response goes back to).  So each CPU
 * keeps the last route and source address found for a few destinations,
 * hashed by address, as drivers/net/wireguard keeps a dst_cache per
 * peer.  An entry is used only while nothing it was derived from has
 * changed:
 *
 * - IPv4 routes carry the namespace's route generation, which every
 *   change of a route or an address bumps, and are marked obsolete when
 *   a PMTU exception appears or their nexthop goes; dst->ops->check()
 *   sees both.
 * - IPv6: every change of the FIB tree bumps the namespace's fib6 serial
 *   number (an address added or removed comes with its host route), kept
 *   with the entry, and dst->ops->check() with the route's cookie sees
 *   exceptions and expiry.
 *
 * Entries hold a reference.  A cached route does not pin its device:
 * the stack moves routes of a vanishing device to the blackhole device,
 * and then they fail the check.
 */
#define SIPK_DST_SLOTS		16

struct sipk_dst_slot {
	struct dst_entry *dst;	/* NULL when empty */
	u32 cookie;		/* for dst->ops->check() */
	int genid;		/* IPv6: rt_genid_ipv6() when filled */
	u8 family;
	u8 daddr[16];
	u8 saddr[16];
};

struct sipk_dst_cache {
	struct sipk_dst_slot slot[SIPK_DST_SLOTS];
};

static struct sipk_dst_slot *sipk_dst_slot(struct sipk_net *sn,
					   const struct sipk_addr *dst)
{
	u32 h = get_unaligned((const u32 *)dst->addr);

	if (dst->family == 6)
		h ^= get_unaligned((const u32 *)(dst->addr + 4)) ^
		     get_unaligned((const u32 *)(dst->addr + 8)) ^
		     get_unaligned((const u32 *)(dst->addr + 12));
	return &this_cpu_ptr(sn->dsts)->slot[hash_32(h,
						     ilog2(SIPK_DST_SLOTS))];
}

static bool sipk_dst_valid(struct net *net, const struct sipk_dst_slot *s)
{
	struct dst_entry *d = s->dst;

#if IS_ENABLED(CONFIG_IPV6)
	if (s->family == 6 && s->genid != rt_genid_ipv6(net))
		return false;
#endif
	return !d->obsolete || d->ops->check(d, s->cookie);
}

/*
 * The route and source address towards @dst, from this CPU's cache when
 * it is still valid, else looked up and cached.  The caller owns the
 * reference in @r->dst.
 */
static int sipk_route_out(struct sipk_net *sn, const struct sipk_addr *dst,
			  struct sipk_route *r)
{
	size_t alen = dst->family == 4 ? 4 : 16;
	struct sipk_dst_slot *s;
	int genid = 0, err = 0;

	/* the slots are per CPU: nothing else on this CPU may use them */
	local_bh_disable();
	s = sipk_dst_slot(sn, dst);
	if (s->dst && s->family == dst->family &&
	    !memcmp(s->daddr, dst->addr, alen) && sipk_dst_valid(sn->net, s)) {
		memset(r, 0, sizeof(*r));
		dst_hold(s->dst);
		r->dst = s->dst;
		r->saddr.family = s->family;
		memcpy(r->saddr.addr, s->saddr, alen);
		r->mtu = dst_mtu(r->dst);
		goto out;
	}
#if IS_ENABLED(CONFIG_IPV6)
	/* read before the lookup: a change during it invalidates the entry */
	if (dst->family == 6)
		genid = rt_genid_ipv6(sn->net);
#endif
	err = sipk_route_lookup(sn->net, dst, r);
	if (err)
		goto out;
	dst_release(s->dst);
	dst_hold(r->dst);
	s->dst = r->dst;
	s->cookie = 0;
#if IS_ENABLED(CONFIG_IPV6)
	if (dst->family == 6)
		s->cookie = rt6_get_cookie((struct rt6_info *)r->dst);
#endif
	s->genid = genid;
	s->family = dst->family;
	memcpy(s->daddr, dst->addr, alen);
	memcpy(s->saddr, r->saddr.addr, alen);
out:
	local_bh_enable();
	return err;
}

/**
 * sipk_route_cache_init() - the per-CPU route cache of a namespace
 * @sn: the namespace
 *
 * Return: 0 or -ENOMEM.
 */
int sipk_route_cache_init(struct sipk_net *sn)
{
	sn->dsts = alloc_percpu(struct sipk_dst_cache);
	return sn->dsts ? 0 : -ENOMEM;
}

/**
 * sipk_route_cache_exit() - release every cached route and the cache
 * @sn: the namespace; its hooks are unregistered
 */
void sipk_route_cache_exit(struct sipk_net *sn)
{
	int cpu, i;

	if (!sn->dsts)
		return;
	for_each_possible_cpu(cpu) {
		struct sipk_dst_cache *c = per_cpu_ptr(sn->dsts, cpu);

		for (i = 0; i < SIPK_DST_SLOTS; i++)
			dst_release(c->slot[i].dst);
	}
	free_percpu(sn->dsts);
	sn->dsts = NULL;
}

static unsigned int sipk_hdr_len(u8 family)
{
	return (family == 4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr)) +
	       sizeof(struct udphdr);
}

/*
 * An skb with room for the IP and UDP headers in front and @cap octets
 * of SIP payload, to be built by the caller into skb->data.
 */
static struct sk_buff *sipk_alloc_out(const struct sipk_route *r, size_t cap)
{
	unsigned int head = LL_RESERVED_SPACE(r->dst->dev) +
			    r->dst->header_len + sipk_hdr_len(r->saddr.family);
	struct sk_buff *skb;

	skb = alloc_skb(head + cap + r->dst->trailer_len, GFP_ATOMIC);
	if (skb)
		skb_reserve(skb, head);
	return skb;
}

/* Push UDP and IP headers in front of the payload and send it. */
static int sipk_send(struct net *net, struct sk_buff *skb,
		     struct sipk_route *r, const struct sipk_addr *dst,
		     u16 sport)
{
	unsigned int ulen = skb->len + sizeof(struct udphdr);
	struct udphdr *uh;
	__wsum csum;

	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = htons(sport);
	uh->dest = htons(dst->port);
	uh->len = htons(ulen);
	uh->check = 0;
	csum = csum_partial(uh, ulen, 0);
	skb_dst_set(skb, r->dst);
	r->dst = NULL;
	skb->ip_summed = CHECKSUM_NONE;

	if (dst->family == 4) {
		struct iphdr *iph;

		uh->check = csum_tcpudp_magic(*(__be32 *)r->saddr.addr,
					      *(__be32 *)dst->addr, ulen,
					      IPPROTO_UDP, csum);
		if (!uh->check)
			uh->check = CSUM_MANGLED_0;
		iph = skb_push(skb, sizeof(*iph));
		skb_reset_network_header(skb);
		iph->version = 4;
		iph->ihl = sizeof(*iph) / 4;
		iph->tos = 0;
		iph->tot_len = htons(skb->len);
		iph->frag_off = htons(IP_DF);
		iph->ttl = ip4_dst_hoplimit(skb_dst(skb));
		iph->protocol = IPPROTO_UDP;
		memcpy(&iph->saddr, r->saddr.addr, 4);
		memcpy(&iph->daddr, dst->addr, 4);
		ip_select_ident(net, skb, NULL);
		ip_send_check(iph);
		skb->protocol = htons(ETH_P_IP);
		return ip_local_out(net, NULL, skb);
	}
#if IS_ENABLED(CONFIG_IPV6)
	{
		struct ipv6hdr *ip6h;

		uh->check = csum_ipv6_magic((struct in6_addr *)r->saddr.addr,
					    (struct in6_addr *)dst->addr, ulen,
					    IPPROTO_UDP, csum);
		if (!uh->check)
			uh->check = CSUM_MANGLED_0;
		ip6h = skb_push(skb, sizeof(*ip6h));
		skb_reset_network_header(skb);
		ip6_flow_hdr(ip6h, 0, 0);
		ip6h->payload_len = htons(ulen);
		ip6h->nexthdr = IPPROTO_UDP;
		ip6h->hop_limit = ip6_dst_hoplimit(skb_dst(skb));
		memcpy(&ip6h->saddr, r->saddr.addr, 16);
		memcpy(&ip6h->daddr, dst->addr, 16);
		skb->protocol = htons(ETH_P_IPV6);
		return ip6_local_out(net, NULL, skb);
	}
#else
	kfree_skb(skb);
	return -EAFNOSUPPORT;
#endif
}

static enum sipk_counter sipk_route_err_counter(int err)
{
	return err == -ELOOP ? SIPK_CNT_PUNT_LOOP : SIPK_CNT_PUNT_NO_ROUTE_OUT;
}

/*
 * Build with @build into a new skb and send it to @dst from our port.
 * Return: NF_STOLEN when sent (the original is consumed), else
 * NF_ACCEPT with the reason counted.
 */
static unsigned int sipk_forward(struct sipk_pkt *pk,
				 const struct sipk_addr *dst,
				 const struct sipk_fwd *req)
{
	struct net *net = pk->sn->net;
	struct sipk_route r;
	struct sk_buff *out;
	size_t cap;
	int n, err;

	err = sipk_route_out(pk->sn, dst, &r);
	if (err) {
		sipk_count(pk->sn, sipk_route_err_counter(err));
		return NF_ACCEPT;
	}
	if (r.saddr.family != pk->local.family ||
	    r.mtu <= sipk_hdr_len(r.saddr.family)) {
		/* an IPv4 request to an IPv6 contact is sipkd's business */
		dst_release(r.dst);
		sipk_count(pk->sn, SIPK_CNT_PUNT_UNSUPPORTED);
		return NF_ACCEPT;
	}
	/* nothing larger than the path MTU leaves the fast path */
	cap = min_t(size_t, pk->m.len + SIPK_GROWTH,
		    r.mtu - sipk_hdr_len(r.saddr.family));
	out = sipk_alloc_out(&r, cap);
	if (!out) {
		dst_release(r.dst);
		sipk_count(pk->sn, SIPK_CNT_PUNT_NOMEM);
		return NF_ACCEPT;
	}
	if (req) {
		struct sipk_fwd f = *req;

		f.self = r.saddr;
		f.self.port = pk->local.port;
		/* the caller's side of us, when another (RFC 5658) */
		f.self_in = pk->local;
		n = sipk_build_request(&f, out->data, cap);
	} else {
		n = sipk_build_response(&pk->m, out->data, cap);
	}
	if (n < 0) {
		kfree_skb(out);
		dst_release(r.dst);
		sipk_count(pk->sn, n == -ENOSPC ? SIPK_CNT_PUNT_TOO_BIG :
						  SIPK_CNT_PUNT_UNSUPPORTED);
		return NF_ACCEPT;
	}
	skb_put(out, n);
	/* from here on the message is ours: a failure is a loss, counted */
	err = sipk_send(net, out, &r, dst, pk->local.port);
	if (unlikely(net_xmit_eval(err)))
		sipk_count(pk->sn, SIPK_CNT_DROP_XMIT);
	return NF_STOLEN;
}

static void sipk_count_method(struct sipk_net *sn, u8 method)
{
	switch (method) {
	case SIPK_M_INVITE:
		sipk_count(sn, SIPK_CNT_FWD_INVITE);
		break;
	case SIPK_M_ACK:
		sipk_count(sn, SIPK_CNT_FWD_ACK);
		break;
	case SIPK_M_BYE:
		sipk_count(sn, SIPK_CNT_FWD_BYE);
		break;
	case SIPK_M_CANCEL:
		sipk_count(sn, SIPK_CNT_FWD_CANCEL);
		break;
	}
}

static unsigned int sipk_request(struct sipk_pkt *pk)
{
	const struct sipk_msg *m = &pk->m;
	struct sipk_net *sn = pk->sn;
	struct sipk_target t;
	struct sipk_fwd f = {
		.m = m,
		.key = &sn->key,
		.src = pk->src,
		.record_route = pk->cfg->record_route,
	};
	struct sipk_addr dst;
	unsigned int verdict;

	if (m->method == SIPK_M_REGISTER) {
		sipk_count(sn, SIPK_CNT_PUNT_REGISTER);
		return NF_ACCEPT;
	}
	if (m->max_forwards == 0) {
		sipk_count(sn, SIPK_CNT_PUNT_MAX_FORWARDS);
		return NF_ACCEPT;
	}
	if (m->route_hdr.present) {
		u8 npop;

		/*
		 * Only a Route we record-routed ourselves (its MAC verifies
		 * for the source and the next hop) is followed: the request
		 * goes to the next Route once ours are removed (an IP
		 * literal), else to its Request-URI, the dialog's remote
		 * target.
		 */
		switch (sipk_route_next(m, &sn->key, &pk->src, &dst, &npop)) {
		case 0:
			break;
		case -EHOSTUNREACH:
			sipk_count(sn, SIPK_CNT_PUNT_HOSTNAME);
			return NF_ACCEPT;
		case -EPROTONOSUPPORT:
			sipk_count(sn, SIPK_CNT_PUNT_UNSUPPORTED);
			return NF_ACCEPT;
		default:
			sipk_count(sn, SIPK_CNT_PUNT_FOREIGN_ROUTE);
			return NF_ACCEPT;
		}
		f.pop_route = npop;
		/* the dialog is already record-routed */
		f.record_route = 0;
	} else {
		switch (sipk_table_lookup(sn, m->buf + m->ruri.user.off,
					  m->ruri.user.len,
					  m->buf + m->ruri.host.off,
					  m->ruri.host.len, m->ruri.port,
					  pk->cfg->fork_policy, &t)) {
		case SIPK_LK_FOUND:
			break;
		case SIPK_LK_REDIRECT:
			sipk_count(sn, SIPK_CNT_PUNT_REDIRECT);
			return NF_ACCEPT;
		case SIPK_LK_FORK:
			sipk_count(sn, SIPK_CNT_PUNT_FORK);
			return NF_ACCEPT;
		default:
			sipk_count(sn, SIPK_CNT_PUNT_NO_ROUTE);
			return NF_ACCEPT;
		}
		dst = t.dst;
		if (t.uri_len) {
			f.ruri = t.uri;
			f.ruri_len = t.uri_len;
		}
	}
	f.dst = dst;
	verdict = sipk_forward(pk, &dst, &f);
	if (verdict == NF_STOLEN) {
		sipk_count(sn, SIPK_CNT_FWD_REQUEST);
		sipk_count_method(sn, m->method);
	}
	return verdict;
}

static unsigned int sipk_response(struct sipk_pkt *pk)
{
	struct sipk_net *sn = pk->sn;
	struct sipk_addr dst;
	unsigned int verdict;

	switch (sipk_response_dest(&pk->m, &sn->key, &dst)) {
	case 0:
		break;
	case -ENOENT:
		sipk_count(sn, SIPK_CNT_PUNT_NOT_OURS);
		return NF_ACCEPT;
	case -EHOSTUNREACH:
		sipk_count(sn, SIPK_CNT_PUNT_HOSTNAME);
		return NF_ACCEPT;
	default:
		sipk_count(sn, SIPK_CNT_PUNT_BAD_MAC);
		return NF_ACCEPT;
	}
	verdict = sipk_forward(pk, &dst, NULL);
	if (verdict == NF_STOLEN)
		sipk_count(sn, SIPK_CNT_FWD_RESPONSE);
	return verdict;
}

static unsigned int sipk_handle(struct sipk_pkt *pk, unsigned int thoff)
{
	struct sipk_net *sn = pk->sn;
	struct sk_buff *skb = pk->skb;
	const struct udphdr *uh;
	unsigned int ulen, verdict;

	sipk_count(sn, SIPK_CNT_RX);
	if (skb_linearize(skb)) {
		sipk_count(sn, SIPK_CNT_PUNT_NOMEM);
		return NF_ACCEPT;
	}
	uh = (const struct udphdr *)(skb->data + thoff);
	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) || thoff + ulen > skb->len) {
		sipk_count(sn, SIPK_CNT_PUNT_MALFORMED);
		return NF_ACCEPT;
	}

	sipk_parse((const u8 *)(uh + 1), ulen - sizeof(*uh), &pk->m);
	if (pk->m.verdict == SIPK_MALFORMED) {
		sipk_count(sn, SIPK_CNT_PUNT_MALFORMED);
		return NF_ACCEPT;
	}
	if (pk->m.verdict == SIPK_UNSUPPORTED) {
		sipk_count(sn, SIPK_CNT_PUNT_UNSUPPORTED);
		return NF_ACCEPT;
	}
	verdict = pk->m.is_request ? sipk_request(pk) : sipk_response(pk);
	if (verdict == NF_STOLEN)
		consume_skb(skb);
	return verdict;
}

/*
 * Both hooks, once the datagram is UDP to a local address on a SIP port:
 * note where it came from and where it arrived (the headers may move
 * when sipk_handle() linearises the skb), then handle it.
 */
static unsigned int sipk_hook_udp(struct sipk_pkt *pk, struct sk_buff *skb,
				  u8 family, const void *saddr,
				  const void *daddr, const struct udphdr *uh,
				  unsigned int thoff)
{
	size_t alen = family == 4 ? 4 : 16;

	pk->skb = skb;
	memset(&pk->src, 0, sizeof(pk->src));
	memset(&pk->local, 0, sizeof(pk->local));
	pk->src.family = family;
	memcpy(pk->src.addr, saddr, alen);
	pk->src.port = ntohs(uh->source);
	pk->local.family = family;
	memcpy(pk->local.addr, daddr, alen);
	pk->local.port = ntohs(uh->dest);
	return sipk_handle(pk, thoff);
}

/*
 * Is @daddr ours, as the stack's input route will find it: RTN_LOCAL in
 * the local table, or in the VRF table of @in?
 *
 * An address configured on an interface is found in the kernel's hash of
 * addresses, a cheaper look than a walk of the FIB trie for every SIP
 * datagram; __ip_dev_find() falls back to the local table itself for the
 * others (local routes added by hand).  Every address has its local
 * route in the local table from the moment it is added until it is
 * removed, whether its interface is up or down, so the two agree unless
 * a VRF is involved (the address is then in the VRF's table): with one,
 * the FIB is asked as before.  Both follow addresses added and removed
 * at once: nothing is cached here.
 */
static bool sipk_local_v4(struct net *net, const struct net_device *in,
			  __be32 daddr)
{
	const struct net_device *dev;

	if (ipv4_is_multicast(daddr) || ipv4_is_lbcast(daddr) ||
	    ipv4_is_zeronet(daddr))
		return false;
	if (!netif_is_l3_slave(in) && !netif_is_l3_master(in)) {
		dev = __ip_dev_find(net, daddr, false);
		if (!dev)
			return false;	/* in neither the hash nor the table */
		if (!netif_is_l3_slave(dev) && !netif_is_l3_master(dev))
			return true;
	}
	return inet_addr_type_dev_table(net, in, daddr) == RTN_LOCAL;
}

static unsigned int sipk_hook_v4(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	struct sipk_pkt pk;
	const struct iphdr *iph = ip_hdr(skb);
	struct udphdr _uh;
	const struct udphdr *uh;
	unsigned int verdict = NF_ACCEPT, thoff;

	if (iph->protocol != IPPROTO_UDP || skb->pkt_type != PACKET_HOST ||
	    ip_is_fragment(iph))
		return NF_ACCEPT;
	thoff = ip_hdrlen(skb);
	uh = skb_header_pointer(skb, thoff, sizeof(_uh), &_uh);
	if (!uh)
		return NF_ACCEPT;

	pk.sn = sipk_pernet(state->net);
	rcu_read_lock();
	pk.cfg = rcu_dereference(pk.sn->cfg);
	if (!sipk_port_match(pk.cfg, ntohs(uh->dest)) ||
	    !sipk_local_v4(state->net, skb->dev, iph->daddr))
		goto out;
	if (nf_ip_checksum(skb, state->hook, thoff, IPPROTO_UDP)) {
		/* the stack drops it; so does nobody here */
		goto out;
	}
	verdict = sipk_hook_udp(&pk, skb, 4, &iph->saddr, &iph->daddr, uh,
				thoff);
out:
	rcu_read_unlock();
	return verdict;
}

#if IS_ENABLED(CONFIG_IPV6)
static unsigned int sipk_hook_v6(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	struct sipk_pkt pk;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct udphdr _uh;
	const struct udphdr *uh;
	unsigned int verdict = NF_ACCEPT, thoff = sizeof(*ip6h);

	/* extension headers are rare on SIP: those go up unchanged */
	if (ip6h->nexthdr != IPPROTO_UDP || skb->pkt_type != PACKET_HOST)
		return NF_ACCEPT;
	uh = skb_header_pointer(skb, thoff, sizeof(_uh), &_uh);
	if (!uh)
		return NF_ACCEPT;

	pk.sn = sipk_pernet(state->net);
	rcu_read_lock();
	pk.cfg = rcu_dereference(pk.sn->cfg);
	if (!sipk_port_match(pk.cfg, ntohs(uh->dest)) ||
	    !ipv6_chk_addr(state->net, &ip6h->daddr, NULL, 0))
		goto out;
	if (nf_ip6_checksum(skb, state->hook, thoff, IPPROTO_UDP))
		goto out;
	verdict = sipk_hook_udp(&pk, skb, 6, &ip6h->saddr, &ip6h->daddr, uh,
				thoff);
out:
	rcu_read_unlock();
	return verdict;
}
#endif

static const struct nf_hook_ops sipk_nf_ops[] = {
	{
		.hook = sipk_hook_v4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = SIPK_HOOK_PRIO,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.hook = sipk_hook_v6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = SIPK_HOOK6_PRIO,
	},
#endif
};

/**
 * sipk_hooks_register() - attach the hooks to a namespace
 * @sn: the namespace
 *
 * Return: 0 or a negative errno.
 */
int sipk_hooks_register(struct sipk_net *sn)
{
	int err;

	err = nf_register_net_hooks(sn->net, sipk_nf_ops,
				    ARRAY_SIZE(sipk_nf_ops));
	if (!err)
		sn->hooks_registered = true;
	return err;
}

/**
 * sipk_hooks_unregister() - detach the hooks; waits for running ones
 * @sn: the namespace
 */
void sipk_hooks_unregister(struct sipk_net *sn)
{
	if (sn->hooks_registered)
		nf_unregister_net_hooks(sn->net, sipk_nf_ops,
					ARRAY_SIZE(sipk_nf_ops));
	sn->hooks_registered = false;
}
