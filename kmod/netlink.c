// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "sipk" (include/uapi/linux/sipk.h,
 * Documentation/netlink/specs/sipk.yaml).
 *
 * Strict policies per command; rules that span attributes in one
 * *_precheck() per command; every refusal says why in the extended ACK.
 * Changes take sipk_net.lock; GET and dumps read under RCU.  Dumps walk
 * the hash tables and flag NLM_F_DUMP_INTR when the table changed (or was
 * resized) under them, so that a listing is either whole or known not to
 * be.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kernel.h>
#include <linux/netlink.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "sipk.h"
#include "table.h"

/*
 * Changes need CAP_NET_ADMIN.  GENL_ADMIN_PERM checks it in the initial
 * user namespace; GENL_UNS_ADMIN_PERM would accept it in the user
 * namespace owning the network namespace (containers).
 */
#define SIPK_NL_ADMIN	GENL_ADMIN_PERM

enum sipk_nl_mcgrp {
	SIPK_NLGRP_EVENTS,
};

static const struct genl_multicast_group sipk_nl_mcgrps[] = {
	[SIPK_NLGRP_EVENTS] = { .name = SIPK_MCGRP_EVENTS },
};

static struct genl_family sipk_nl_family;

/* ---- policies ---- */

static const struct nla_policy sipk_contact_policy[SIPK_CONTACT_A_MAX + 1] = {
	[SIPK_CONTACT_A_URI] = { .type = NLA_NUL_STRING, .len = SIPK_URI_MAX },
	[SIPK_CONTACT_A_IPV4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[SIPK_CONTACT_A_IPV6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[SIPK_CONTACT_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[SIPK_CONTACT_A_Q] = NLA_POLICY_MAX(NLA_U16, SIPK_Q_MAX),
	[SIPK_CONTACT_A_EXPIRES] = { .type = NLA_U32 },
	[SIPK_CONTACT_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, __SIPK_F_ALL),
	[SIPK_CONTACT_A_OWNER] = {
		.type = NLA_REJECT,
		.reject_message = "contact owner is read-only, use SIPK_A_OWNER",
	},
};

/* LOC_DEL names a contact by its URI only */
static const struct nla_policy sipk_contact_uri_policy[SIPK_CONTACT_A_MAX + 1] = {
	[SIPK_CONTACT_A_URI] = { .type = NLA_NUL_STRING, .len = SIPK_URI_MAX },
};

static const struct nla_policy sipk_nexthop_policy[SIPK_CONTACT_A_MAX + 1] = {
	[SIPK_CONTACT_A_IPV4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[SIPK_CONTACT_A_IPV6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[SIPK_CONTACT_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy sipk_ports_policy[SIPK_PORTS_MAX + 1] = {
	[1 ... SIPK_PORTS_MAX] = NLA_POLICY_MIN(NLA_U16, 1),
};

static struct netlink_range_validation sipk_max_entries_range = {
	.min = 1,
	.max = SIPK_MAX_ENTRIES_LIMIT,
};

static const struct nla_policy sipk_config_policy[SIPK_CONFIG_A_MAX + 1] = {
	[SIPK_CONFIG_A_PORTS] = NLA_POLICY_NESTED(sipk_ports_policy),
	[SIPK_CONFIG_A_RECORD_ROUTE] = NLA_POLICY_MAX(NLA_U8, 1),
	[SIPK_CONFIG_A_FORK_POLICY] = NLA_POLICY_MAX(NLA_U32, SIPK_FORK_MAX),
	[SIPK_CONFIG_A_MAX_ENTRIES] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &sipk_max_entries_range),
	[SIPK_CONFIG_A_ENTRIES] = {
		.type = NLA_REJECT,
		.reject_message = "entries is read-only",
	},
};

#define SIPK_NL_AOR	{ .type = NLA_NUL_STRING, .len = SIPK_AOR_MAX }
#define SIPK_NL_OWNER	NLA_POLICY_MAX(NLA_U32, SIPK_OWNER_MAX)

static const struct nla_policy sipk_loc_add_policy[SIPK_A_MAX + 1] = {
	[SIPK_A_AOR] = SIPK_NL_AOR,
	[SIPK_A_CONTACT] = NLA_POLICY_NESTED(sipk_contact_policy),
	[SIPK_A_OWNER] = SIPK_NL_OWNER,
};

static const struct nla_policy sipk_loc_del_policy[SIPK_A_MAX + 1] = {
	[SIPK_A_AOR] = SIPK_NL_AOR,
	[SIPK_A_CONTACT] = NLA_POLICY_NESTED(sipk_contact_uri_policy),
	[SIPK_A_OWNER] = SIPK_NL_OWNER,
};

static const struct nla_policy sipk_aor_policy[SIPK_A_MAX + 1] = {
	[SIPK_A_AOR] = SIPK_NL_AOR,
};

static const struct nla_policy sipk_owner_policy[SIPK_A_MAX + 1] = {
	[SIPK_A_OWNER] = SIPK_NL_OWNER,
};

static const struct nla_policy sipk_alias_add_policy[SIPK_A_MAX + 1] = {
	[SIPK_A_AOR] = SIPK_NL_AOR,
	[SIPK_A_TARGET] = SIPK_NL_AOR,
};

static const struct nla_policy sipk_domain_policy[SIPK_A_MAX + 1] = {
	[SIPK_A_DOMAIN] = { .type = NLA_NUL_STRING, .len = SIPK_DOMAIN_MAX },
};

static const struct nla_policy sipk_route_add_policy[SIPK_A_MAX + 1] = {
	[SIPK_A_DOMAIN] = { .type = NLA_NUL_STRING, .len = SIPK_DOMAIN_MAX },
	[SIPK_A_NEXTHOP] = NLA_POLICY_NESTED(sipk_nexthop_policy),
};

static const struct nla_policy sipk_config_set_policy[SIPK_A_MAX + 1] = {
	[SIPK_A_CONFIG] = NLA_POLICY_NESTED(sipk_config_policy),
};

/* ---- message sizes ---- */

#define SIPK_NLA(len)		NLA_ALIGN(NLA_HDRLEN + (len))
#define SIPK_NL_CONTACT_SIZE						\
	(SIPK_NLA(0) +				/* SIPK_A_CONTACT */	\
	 SIPK_NLA(SIPK_URI_MAX + 1) +		/* URI */		\
	 SIPK_NLA(sizeof(struct in6_addr)) +	/* IPV4 or IPV6 */	\
	 SIPK_NLA(sizeof(u16)) * 2 +		/* PORT, Q */		\
	 SIPK_NLA(sizeof(u32)) * 3)		/* EXPIRES, FLAGS, OWNER */
#define SIPK_NL_AOR_SIZE	SIPK_NLA(SIPK_AOR_MAX + 1)
#define SIPK_NL_LOC_SIZE						\
	(SIPK_NL_AOR_SIZE + SIPK_CONTACTS_MAX * SIPK_NL_CONTACT_SIZE)
#define SIPK_NL_EVENT_SIZE	(SIPK_NL_AOR_SIZE + SIPK_NL_CONTACT_SIZE)
#define SIPK_NL_ALIAS_SIZE	(2 * SIPK_NL_AOR_SIZE)
#define SIPK_NL_ROUTE_SIZE						\
	(SIPK_NLA(SIPK_DOMAIN_MAX + 1) + SIPK_NLA(0) +			\
	 SIPK_NLA(sizeof(struct in6_addr)) + SIPK_NLA(sizeof(u16)))
#define SIPK_NL_CONFIG_SIZE						\
	(SIPK_NLA(0) + SIPK_NLA(0) +					\
	 SIPK_PORTS_MAX * SIPK_NLA(sizeof(u16)) + SIPK_NLA(sizeof(u8)) +	\
	 SIPK_NLA(sizeof(u32)) * 3)
#define SIPK_NL_STATS_SIZE						\
	(SIPK_NLA(0) + __SIPK_CNT_MAX * SIPK_NLA(sizeof(u64)))

/* ---- attribute checks ---- */

/* missing required attribute: say which and why */
#define SIPK_NL_REQUIRE(info, attr, msg) ({				\
	struct genl_info *__sipk_i = (info);				\
	bool __sipk_miss = GENL_REQ_ATTR_CHECK(__sipk_i, attr);		\
									\
	if (__sipk_miss)						\
		NL_SET_ERR_MSG_MOD(__sipk_i->extack, msg);		\
	__sipk_miss;							\
})

#define SIPK_NL_REQUIRE_NESTED(extack, nest, tb, attr, msg) ({		\
	struct netlink_ext_ack *__sipk_ea = (extack);			\
	bool __sipk_miss = NL_REQ_ATTR_CHECK(__sipk_ea, nest, tb, attr);	\
									\
	if (__sipk_miss)						\
		NL_SET_ERR_MSG_MOD(__sipk_ea, msg);			\
	__sipk_miss;							\
})

/* "sip:" + an AOR, parsed in place */
#define SIPK_NL_AOR_BUF		(4 + SIPK_AOR_MAX + 1)

/*
 * An AOR is what sits between "sip:" and the parameters of a SIP URI:
 * "user@host" or "host", with an optional port.  It is checked with the
 * same parser the hook uses on Request-URIs, so that any AOR accepted here
 * can be matched by a request.  @k points into @buf.
 */
static int sipk_nl_parse_aor(const struct nlattr *attr, u8 *buf,
			     struct sipk_key *k, struct netlink_ext_ack *extack)
{
	const char *s = nla_data(attr);
	size_t len = strlen(s), i;
	unsigned int at = 0;
	struct sipk_uri u;

	if (!len) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "empty AOR");
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (s[i] <= ' ' || s[i] >= 0x7f) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "AOR holds white space, a control or a non-ASCII character");
			return -EINVAL;
		}
		at += s[i] == '@';
	}
	if (at > 1) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "AOR has more than one '@'");
		return -EINVAL;
	}
	if (!strncasecmp(s, "sip:", 4) || !strncasecmp(s, "sips:", 5)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "AOR is given without the sip: scheme");
		return -EINVAL;
	}
	memcpy(buf, "sip:", 4);
	memcpy(buf + 4, s, len);
	if (sipk_parse_uri(buf, 0, 4 + len, &u)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "AOR is not user@host[:port] or host[:port]");
		return -EINVAL;
	}
	if (u.params.len || u.has_headers) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "AOR must not carry parameters or headers");
		return -EINVAL;
	}
	if (sipk_key_init(k, buf + u.user.off, u.user.len, buf + u.host.off,
			  u.host.len, u.port)) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "AOR is too long");
		return -EINVAL;
	}
	return 0;
}

/*
 * A host or domain name: LDH labels of 1..63 octets, dot-separated.  ASCII
 * only: the kernel's isalnum() also takes the Latin-1 letters, which no
 * host name has and which the tables would not fold to lower case.
 */
static int sipk_nl_parse_domain(const struct nlattr *attr, struct sipk_key *k,
				struct netlink_ext_ack *extack)
{
	const char *s = nla_data(attr);
	size_t len = strlen(s), i, label = 0;

	if (!len) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "empty domain");
		return -EINVAL;
	}
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!label) {
				NL_SET_ERR_MSG_ATTR(extack, attr,
						    "domain has an empty label");
				return -EINVAL;
			}
			label = 0;
			continue;
		}
		if (!isascii(s[i]) || (!isalnum(s[i]) && s[i] != '-')) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "domain holds a character not allowed in a host name");
			return -EINVAL;
		}
		if (++label > 63) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "domain has a label longer than 63 octets");
			return -EINVAL;
		}
	}
	if (sipk_key_init(k, NULL, 0, (const u8 *)s, len, 0)) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "domain is too long");
		return -EINVAL;
	}
	return 0;
}

/* A contact URI: sip: (sips: is not forwarded over UDP), no headers. */
static int sipk_nl_check_uri(const struct nlattr *attr,
			     struct netlink_ext_ack *extack)
{
	const char *s = nla_data(attr);
	size_t len = strlen(s);
	struct sipk_uri u;
	int err;

	if (!len) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "empty contact URI");
		return -EINVAL;
	}
	err = sipk_parse_uri((const u8 *)s, 0, len, &u);
	if (err == -EPROTONOSUPPORT) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "contact URI is not a sip: URI");
		return -EINVAL;
	}
	if (err) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "contact URI is malformed");
		return -EINVAL;
	}
	if (u.sips) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "sips: contacts are not forwarded over UDP");
		return -EINVAL;
	}
	if (u.has_headers) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "contact URI must not carry headers");
		return -EINVAL;
	}
	return 0;
}

/* Exactly one of IPV4 and IPV6, a unicast address, and PORT. */
static int sipk_nl_parse_addr(struct nlattr **tb, const struct nlattr *nest,
			      struct sipk_addr *a,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *v4 = tb[SIPK_CONTACT_A_IPV4];
	struct nlattr *v6 = tb[SIPK_CONTACT_A_IPV6];

	if (!!v4 == !!v6) {
		NL_SET_ERR_MSG_ATTR(extack, v4 ?: nest,
				    "exactly one of IPV4 and IPV6 is needed");
		return -EINVAL;
	}
	if (SIPK_NL_REQUIRE_NESTED(extack, nest, tb, SIPK_CONTACT_A_PORT,
				   "PORT is needed with the address"))
		return -EINVAL;

	memset(a, 0, sizeof(*a));
	if (v4) {
		__be32 ip = nla_get_in_addr(v4);

		if (ipv4_is_zeronet(ip) || ipv4_is_multicast(ip) ||
		    ipv4_is_lbcast(ip)) {
			NL_SET_ERR_MSG_ATTR(extack, v4,
					    "not a unicast IPv4 address");
			return -EINVAL;
		}
		a->family = 4;
		memcpy(a->addr, &ip, sizeof(ip));
	} else {
		struct in6_addr ip = nla_get_in6_addr(v6);

		if (ipv6_addr_any(&ip) || ipv6_addr_is_multicast(&ip)) {
			NL_SET_ERR_MSG_ATTR(extack, v6,
					    "not a unicast IPv6 address");
			return -EINVAL;
		}
		a->family = 6;
		memcpy(a->addr, &ip, sizeof(ip));
	}
	a->port = nla_get_u16(tb[SIPK_CONTACT_A_PORT]);
	return 0;
}

/*
 * A request names one contact.  Replies carry several CONTACTs, and the
 * attribute parser keeps only the last of several in a request: refuse
 * them rather than act on one and drop the others silently.
 */
static int sipk_nl_one_contact(struct genl_info *info)
{
	const struct nlattr *a;
	int rem;

	nlmsg_for_each_attr(a, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(a) == SIPK_A_CONTACT &&
		    a != info->attrs[SIPK_A_CONTACT]) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "a request takes one CONTACT");
			return -EINVAL;
		}
	}
	return 0;
}

static int sipk_nl_owner(struct genl_info *info, int dflt)
{
	struct nlattr *a = info->attrs[SIPK_A_OWNER];

	return a ? (int)nla_get_u32(a) : dflt;
}

/*
 * LOC_ADD predates strict header checks (resv_start_op), so that it can
 * take NLM_F_EXCL; check the rest of the header here instead.
 */
static int sipk_nl_check_add_hdr(struct genl_info *info)
{
	u16 ok = NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO | NLM_F_EXCL |
		 NLM_F_CREATE | NLM_F_REPLACE;

	if (info->genlhdr->reserved) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "genlmsghdr.reserved field is not 0");
		return -EINVAL;
	}
	if (info->nlhdr->nlmsg_flags & ~ok) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "nlmsg_flags: only NLM_F_EXCL, _CREATE and _REPLACE apply");
		return -EINVAL;
	}
	return 0;
}

static int sipk_nl_loc_add_precheck(struct genl_info *info, u8 *aorbuf,
				    struct sipk_key *aor,
				    struct sipk_contact_info *ci)
{
	struct nlattr *tb[SIPK_CONTACT_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[SIPK_A_CONTACT];
	struct nlattr *uri;
	int err;

	if (SIPK_NL_REQUIRE(info, SIPK_A_AOR, "AOR is needed") ||
	    SIPK_NL_REQUIRE(info, SIPK_A_CONTACT, "CONTACT is needed"))
		return -EINVAL;
	err = sipk_nl_one_contact(info);
	if (err)
		return err;
	err = sipk_nl_parse_aor(info->attrs[SIPK_A_AOR], aorbuf, aor,
				extack);
	if (err)
		return err;
	err = nla_parse_nested(tb, SIPK_CONTACT_A_MAX, nest,
			       sipk_contact_policy, extack);
	if (err)
		return err;
	if (SIPK_NL_REQUIRE_NESTED(extack, nest, tb, SIPK_CONTACT_A_URI,
				   "contact URI is needed"))
		return -EINVAL;
	uri = tb[SIPK_CONTACT_A_URI];
	err = sipk_nl_check_uri(uri, extack);
	if (err)
		return err;
	err = sipk_nl_parse_addr(tb, nest, &ci->dst, extack);
	if (err)
		return err;

	ci->uri = nla_data(uri);
	ci->uri_len = strlen(ci->uri);
	ci->q = tb[SIPK_CONTACT_A_Q] ? nla_get_u16(tb[SIPK_CONTACT_A_Q]) :
				       SIPK_Q_MAX;
	ci->expires = tb[SIPK_CONTACT_A_EXPIRES] ?
		      nla_get_u32(tb[SIPK_CONTACT_A_EXPIRES]) : 0;
	ci->flags = tb[SIPK_CONTACT_A_FLAGS] ?
		    nla_get_u32(tb[SIPK_CONTACT_A_FLAGS]) : 0;
	ci->owner = sipk_nl_owner(info, SIPK_OWNER_STATIC);
	return 0;
}

/* ---- replies ---- */

static int sipk_nl_put_addr(struct sk_buff *skb, const struct sipk_addr *a)
{
	if (a->family == 4) {
		if (nla_put(skb, SIPK_CONTACT_A_IPV4, sizeof(struct in_addr),
			    a->addr))
			return -EMSGSIZE;
	} else if (nla_put(skb, SIPK_CONTACT_A_IPV6, sizeof(struct in6_addr),
			   a->addr)) {
		return -EMSGSIZE;
	}
	return nla_put_u16(skb, SIPK_CONTACT_A_PORT, a->port);
}

static int sipk_nl_put_contact(struct sk_buff *skb,
			       const struct sipk_contact *c, unsigned long now)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, SIPK_A_CONTACT);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, SIPK_CONTACT_A_URI, c->uri) ||
	    sipk_nl_put_addr(skb, &c->dst) ||
	    nla_put_u16(skb, SIPK_CONTACT_A_Q, c->q) ||
	    nla_put_u32(skb, SIPK_CONTACT_A_FLAGS, c->flags) ||
	    nla_put_u32(skb, SIPK_CONTACT_A_OWNER, c->owner))
		goto err;
	/* seconds remaining, rounded up; absent for "never" and for the dead */
	if (c->expires && time_before(now, c->expires) &&
	    nla_put_u32(skb, SIPK_CONTACT_A_EXPIRES,
			DIV_ROUND_UP(c->expires - now, HZ)))
		goto err;
	nla_nest_end(skb, nest);
	return 0;
err:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * One AOR with its live contacts.  Return: 0, -ENOENT when no contact is
 * live (nothing written), -EMSGSIZE.
 */
static int sipk_nl_fill_loc(struct sk_buff *skb, u32 portid, u32 seq,
			    int flags, u8 cmd, const struct sipk_loc *l,
			    struct netlink_callback *cb)
{
	unsigned long now = jiffies;
	const struct sipk_contact *c;
	unsigned int i, live = 0;
	void *hdr;

	for (i = 0, c = sipk_loc_contacts(l); i < l->ncontacts;
	     i++, c = sipk_contact_next(c))
		live += sipk_contact_live(c, now);
	if (!live)
		return -ENOENT;

	hdr = genlmsg_put(skb, portid, seq, &sipk_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (nla_put_string(skb, SIPK_A_AOR, l->key))
		goto err;
	for (i = 0, c = sipk_loc_contacts(l); i < l->ncontacts;
	     i++, c = sipk_contact_next(c))
		if (sipk_contact_live(c, now) &&
		    sipk_nl_put_contact(skb, c, now))
			goto err;
	genlmsg_end(skb, hdr);
	return 0;
err:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int sipk_nl_fill_alias(struct sk_buff *skb, u32 portid, u32 seq,
			      int flags, const struct sipk_alias *a,
			      struct netlink_callback *cb)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &sipk_nl_family, flags,
			  SIPK_CMD_ALIAS_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (nla_put_string(skb, SIPK_A_AOR, a->key) ||
	    nla_put_string(skb, SIPK_A_TARGET, sipk_alias_target(a))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int sipk_nl_fill_route(struct sk_buff *skb, u32 portid, u32 seq,
			      int flags, const struct sipk_route *r,
			      struct netlink_callback *cb)
{
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &sipk_nl_family, flags,
			  SIPK_CMD_ROUTE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (nla_put_string(skb, SIPK_A_DOMAIN, r->key))
		goto err;
	nest = nla_nest_start(skb, SIPK_A_NEXTHOP);
	if (!nest || sipk_nl_put_addr(skb, &r->nh))
		goto err;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
err:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* ---- events ---- */

/**
 * sipk_nl_loc_event() - tell the "events" group about a contact
 * @sn: the namespace
 * @cmd: SIPK_CMD_EVENT_LOC_ADDED, _REMOVED or _EXPIRED
 * @l: the AOR's entry holding @c
 * @c: the contact
 *
 * Process context with sn->lock held (the entry cannot go away); may
 * sleep.  A listener that cannot keep up loses events (ENOBUFS on its
 * socket), it never slows down a change.
 */
void sipk_nl_loc_event(struct sipk_net *sn, u8 cmd, const struct sipk_loc *l,
		       const struct sipk_contact *c)
{
	struct sk_buff *msg;
	void *hdr;

	might_sleep();
	if (!genl_has_listeners(&sipk_nl_family, sn->net, SIPK_NLGRP_EVENTS))
		return;
	msg = genlmsg_new(SIPK_NL_EVENT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &sipk_nl_family, 0, cmd);
	if (!hdr ||
	    nla_put_string(msg, SIPK_A_AOR, l->key) ||
	    sipk_nl_put_contact(msg, c, jiffies)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&sipk_nl_family, sn->net, msg, 0,
				SIPK_NLGRP_EVENTS, GFP_KERNEL);
}

/* ---- location ---- */

static int sipk_nl_loc_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	u8 aorbuf[SIPK_NL_AOR_BUF];
	struct sipk_contact_info ci;
	struct sipk_key aor;
	int err;

	err = sipk_nl_check_add_hdr(info);
	if (err)
		return err;
	err = sipk_nl_loc_add_precheck(info, aorbuf, &aor, &ci);
	if (err)
		return err;

	mutex_lock(&sn->lock);
	err = sipk_loc_add(sn, &aor, &ci,
			   info->nlhdr->nlmsg_flags & NLM_F_EXCL, info->extack);
	mutex_unlock(&sn->lock);
	return err;
}

static int sipk_nl_loc_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	struct nlattr *nest = info->attrs[SIPK_A_CONTACT];
	struct nlattr *tb[SIPK_CONTACT_A_MAX + 1];
	u8 aorbuf[SIPK_NL_AOR_BUF];
	const char *uri = NULL;
	struct sipk_key aor;
	int err;

	if (SIPK_NL_REQUIRE(info, SIPK_A_AOR, "AOR is needed"))
		return -EINVAL;
	err = sipk_nl_parse_aor(info->attrs[SIPK_A_AOR], aorbuf, &aor,
				info->extack);
	if (err)
		return err;
	if (nest) {
		err = sipk_nl_one_contact(info);
		if (err)
			return err;
		err = nla_parse_nested(tb, SIPK_CONTACT_A_MAX, nest,
				       sipk_contact_uri_policy, info->extack);
		if (err)
			return err;
		if (SIPK_NL_REQUIRE_NESTED(info->extack, nest, tb,
					   SIPK_CONTACT_A_URI,
					   "CONTACT names a contact by its URI"))
			return -EINVAL;
		uri = nla_data(tb[SIPK_CONTACT_A_URI]);
	}

	mutex_lock(&sn->lock);
	err = sipk_loc_del(sn, &aor, uri, sipk_nl_owner(info, -1),
			   info->extack);
	mutex_unlock(&sn->lock);
	return err;
}

static int sipk_nl_loc_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));

	mutex_lock(&sn->lock);
	sipk_loc_flush(sn, sipk_nl_owner(info, -1));
	mutex_unlock(&sn->lock);
	return 0;
}

static int sipk_nl_loc_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	u8 aorbuf[SIPK_NL_AOR_BUF];
	const struct sipk_loc *l;
	struct sipk_key aor;
	struct sk_buff *msg;
	int err;

	if (SIPK_NL_REQUIRE(info, SIPK_A_AOR, "AOR is needed"))
		return -EINVAL;
	err = sipk_nl_parse_aor(info->attrs[SIPK_A_AOR], aorbuf, &aor,
				info->extack);
	if (err)
		return err;
	msg = genlmsg_new(SIPK_NL_LOC_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	rcu_read_lock();
	l = sipk_loc_find(sn, &aor);
	err = l ? sipk_nl_fill_loc(msg, info->snd_portid, info->snd_seq, 0,
				   SIPK_CMD_LOC_GET, l, NULL) : -ENOENT;
	rcu_read_unlock();
	if (err) {
		nlmsg_free(msg);
		if (err == -ENOENT)
			NL_SET_ERR_MSG_MOD(info->extack, "AOR not found");
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* ---- aliases ---- */

static int sipk_nl_alias_add_precheck(struct genl_info *info, u8 *abuf,
				      struct sipk_key *aor, u8 *tbuf,
				      struct sipk_key *target)
{
	int err;

	if (SIPK_NL_REQUIRE(info, SIPK_A_AOR, "AOR is needed") ||
	    SIPK_NL_REQUIRE(info, SIPK_A_TARGET, "TARGET is needed"))
		return -EINVAL;
	err = sipk_nl_parse_aor(info->attrs[SIPK_A_AOR], abuf, aor,
				info->extack);
	if (err)
		return err;
	err = sipk_nl_parse_aor(info->attrs[SIPK_A_TARGET], tbuf,
				target, info->extack);
	if (err)
		return err;
	if (sipk_key_equal(aor, target)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SIPK_A_TARGET],
				    "alias points to itself");
		return -ELOOP;
	}
	return 0;
}

static int sipk_nl_alias_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	u8 abuf[SIPK_NL_AOR_BUF], tbuf[SIPK_NL_AOR_BUF];
	struct sipk_key aor, target;
	int err;

	err = sipk_nl_alias_add_precheck(info, abuf, &aor, tbuf, &target);
	if (err)
		return err;
	mutex_lock(&sn->lock);
	err = sipk_alias_add(sn, &aor, &target, info->extack);
	mutex_unlock(&sn->lock);
	return err;
}

static int sipk_nl_alias_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	u8 abuf[SIPK_NL_AOR_BUF];
	struct sipk_key aor;
	int err;

	if (SIPK_NL_REQUIRE(info, SIPK_A_AOR, "AOR is needed"))
		return -EINVAL;
	err = sipk_nl_parse_aor(info->attrs[SIPK_A_AOR], abuf, &aor,
				info->extack);
	if (err)
		return err;
	mutex_lock(&sn->lock);
	err = sipk_alias_del(sn, &aor, info->extack);
	mutex_unlock(&sn->lock);
	return err;
}

static int sipk_nl_alias_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	const struct sipk_alias *a;
	u8 abuf[SIPK_NL_AOR_BUF];
	struct sipk_key aor;
	struct sk_buff *msg;
	int err;

	if (SIPK_NL_REQUIRE(info, SIPK_A_AOR, "AOR is needed"))
		return -EINVAL;
	err = sipk_nl_parse_aor(info->attrs[SIPK_A_AOR], abuf, &aor,
				info->extack);
	if (err)
		return err;
	msg = genlmsg_new(SIPK_NL_ALIAS_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	rcu_read_lock();
	a = sipk_alias_find(sn, &aor);
	err = a ? sipk_nl_fill_alias(msg, info->snd_portid, info->snd_seq, 0,
				     a, NULL) : -ENOENT;
	rcu_read_unlock();
	if (err) {
		nlmsg_free(msg);
		if (err == -ENOENT)
			NL_SET_ERR_MSG_MOD(info->extack, "alias not found");
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* ---- domain routes ---- */

static int sipk_nl_route_add_precheck(struct genl_info *info,
				      struct sipk_key *domain,
				      struct sipk_addr *nh)
{
	struct nlattr *nest = info->attrs[SIPK_A_NEXTHOP];
	struct nlattr *tb[SIPK_CONTACT_A_MAX + 1];
	int err;

	if (SIPK_NL_REQUIRE(info, SIPK_A_DOMAIN, "DOMAIN is needed") ||
	    SIPK_NL_REQUIRE(info, SIPK_A_NEXTHOP, "NEXTHOP is needed"))
		return -EINVAL;
	err = sipk_nl_parse_domain(info->attrs[SIPK_A_DOMAIN], domain,
				   info->extack);
	if (err)
		return err;
	err = nla_parse_nested(tb, SIPK_CONTACT_A_MAX, nest,
			       sipk_nexthop_policy, info->extack);
	if (err)
		return err;
	return sipk_nl_parse_addr(tb, nest, nh, info->extack);
}

static int sipk_nl_route_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	struct sipk_key domain;
	struct sipk_addr nh;
	int err;

	err = sipk_nl_route_add_precheck(info, &domain, &nh);
	if (err)
		return err;
	mutex_lock(&sn->lock);
	err = sipk_route_add(sn, &domain, &nh, info->extack);
	mutex_unlock(&sn->lock);
	return err;
}

static int sipk_nl_route_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	struct sipk_key domain;
	int err;

	if (SIPK_NL_REQUIRE(info, SIPK_A_DOMAIN, "DOMAIN is needed"))
		return -EINVAL;
	err = sipk_nl_parse_domain(info->attrs[SIPK_A_DOMAIN], &domain,
				   info->extack);
	if (err)
		return err;
	mutex_lock(&sn->lock);
	err = sipk_route_del(sn, &domain, info->extack);
	mutex_unlock(&sn->lock);
	return err;
}

static int sipk_nl_route_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	const struct sipk_route *r;
	struct sipk_key domain;
	struct sk_buff *msg;
	int err;

	if (SIPK_NL_REQUIRE(info, SIPK_A_DOMAIN, "DOMAIN is needed"))
		return -EINVAL;
	err = sipk_nl_parse_domain(info->attrs[SIPK_A_DOMAIN], &domain,
				   info->extack);
	if (err)
		return err;
	msg = genlmsg_new(SIPK_NL_ROUTE_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	rcu_read_lock();
	r = sipk_route_find(sn, &domain);
	err = r ? sipk_nl_fill_route(msg, info->snd_portid, info->snd_seq, 0,
				     r, NULL) : -ENOENT;
	rcu_read_unlock();
	if (err) {
		nlmsg_free(msg);
		if (err == -ENOENT)
			NL_SET_ERR_MSG_MOD(info->extack, "route not found");
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* ---- dumps ---- */

struct sipk_nl_dump {
	struct rhashtable_iter iter;
	enum sipk_table_id id;
	u32 restarts;			/* the table was resized under us */
	bool checked;			/* request attributes looked at */
};

static struct sipk_nl_dump *sipk_nl_dump_ctx(struct netlink_callback *cb)
{
	return (struct sipk_nl_dump *)cb->args[0];
}

static int sipk_nl_dump_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct sipk_net *sn = sipk_pernet(sock_net(cb->skb->sk));
	struct sipk_nl_dump *ctx;
	enum sipk_table_id id;

	switch (info->op.cmd) {
	case SIPK_CMD_LOC_GET:
		id = SIPK_TBL_LOC;
		break;
	case SIPK_CMD_ALIAS_GET:
		id = SIPK_TBL_ALIAS;
		break;
	case SIPK_CMD_ROUTE_GET:
		id = SIPK_TBL_ROUTE;
		break;
	default:
		return -EOPNOTSUPP;
	}
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->id = id;
	sipk_table_walk_enter(sn, id, &ctx->iter);
	cb->args[0] = (long)ctx;
	return 0;
}

static int sipk_nl_dump_done(struct netlink_callback *cb)
{
	struct sipk_nl_dump *ctx = sipk_nl_dump_ctx(cb);

	if (ctx) {
		rhashtable_walk_exit(&ctx->iter);
		kfree(ctx);
		cb->args[0] = 0;
	}
	return 0;
}

static int sipk_nl_dump_one(struct sk_buff *skb, struct netlink_callback *cb,
			    enum sipk_table_id id, const void *obj)
{
	u32 portid = NETLINK_CB(cb->skb).portid;
	u32 seq = cb->nlh->nlmsg_seq;
	int err;

	switch (id) {
	case SIPK_TBL_LOC:
		err = sipk_nl_fill_loc(skb, portid, seq, NLM_F_MULTI,
				       SIPK_CMD_LOC_GET, obj, cb);
		return err == -ENOENT ? 0 : err;	/* all expired: skip */
	case SIPK_TBL_ALIAS:
		return sipk_nl_fill_alias(skb, portid, seq, NLM_F_MULTI, obj,
					  cb);
	case SIPK_TBL_ROUTE:
		return sipk_nl_fill_route(skb, portid, seq, NLM_F_MULTI, obj,
					  cb);
	default:
		return -EINVAL;
	}
}

/*
 * A dump lists a whole table: it takes no attributes.  Checked in the
 * first dumpit call, not in start(), which has no extack on 6.1.
 */
static int sipk_nl_dump_check(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	unsigned int i;

	for (i = 1; info->attrs && i <= info->op.maxattr; i++) {
		if (info->attrs[i]) {
			NL_SET_ERR_MSG_ATTR(cb->extack, info->attrs[i],
					    "a dump takes no attributes");
			return -EINVAL;
		}
	}
	return 0;
}

static void sipk_nl_dump_seq(struct netlink_callback *cb, struct sipk_net *sn,
			     const struct sipk_nl_dump *ctx)
{
	unsigned int seq = sipk_table_gen(sn, ctx->id) + ctx->restarts;

	cb->seq = seq ? seq : 1;
}

/*
 * One message per entry.  The iterator stays on the entry that did not
 * fit, and rhashtable_walk_peek() returns it first on the next call.
 */
static int sipk_nl_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct sipk_net *sn = sipk_pernet(sock_net(cb->skb->sk));
	struct sipk_nl_dump *ctx = sipk_nl_dump_ctx(cb);
	const void *obj;
	int err;

	if (!ctx->checked) {
		err = sipk_nl_dump_check(cb);
		if (err)
			return err;
		ctx->checked = true;
	}
	err = 0;
	if (rhashtable_walk_start_check(&ctx->iter) == -EAGAIN)
		ctx->restarts++;
	sipk_nl_dump_seq(cb, sn, ctx);
	obj = rhashtable_walk_peek(&ctx->iter);
	while (obj) {
		if (IS_ERR(obj)) {
			err = PTR_ERR(obj);
			if (err != -EAGAIN)
				break;
			/* rewound after a resize: entries come again */
			err = 0;
			ctx->restarts++;
			sipk_nl_dump_seq(cb, sn, ctx);
			obj = rhashtable_walk_next(&ctx->iter);
			continue;
		}
		err = sipk_nl_dump_one(skb, cb, ctx->id, obj);
		if (err)
			break;
		obj = rhashtable_walk_next(&ctx->iter);
	}
	rhashtable_walk_stop(&ctx->iter);

	if (err == -EMSGSIZE && skb->len)
		return skb->len;	/* full: go on in the next skb */
	return err ?: skb->len;
}

/* ---- configuration ---- */

static int sipk_nl_parse_ports(const struct nlattr *nest, u16 *ports,
			       struct netlink_ext_ack *extack)
{
	unsigned long seen = 0;
	const struct nlattr *a;
	unsigned int n = 0, i;
	int rem;
	u16 p;

	/* the policy has checked the types (1..SIPK_PORTS_MAX) and values */
	nla_for_each_nested(a, nest, rem) {
		if (__test_and_set_bit(nla_type(a), &seen)) {
			NL_SET_ERR_MSG_ATTR(extack, a, "port index given twice");
			return -EINVAL;
		}
		p = nla_get_u16(a);
		for (i = 0; i < n; i++) {
			if (ports[i] == p) {
				NL_SET_ERR_MSG_ATTR(extack, a,
						    "port given twice");
				return -EINVAL;
			}
		}
		ports[n++] = p;
	}
	if (!n) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "PORTS is empty");
		return -EINVAL;
	}
	return 0;
}

static int sipk_nl_config_set_precheck(struct genl_info *info,
				       struct nlattr **tb, u16 *ports)
{
	struct nlattr *nest = info->attrs[SIPK_A_CONFIG];
	int err, i;

	if (SIPK_NL_REQUIRE(info, SIPK_A_CONFIG, "CONFIG is needed"))
		return -EINVAL;
	err = nla_parse_nested(tb, SIPK_CONFIG_A_MAX, nest,
			       sipk_config_policy, info->extack);
	if (err)
		return err;
	for (i = 1; i <= SIPK_CONFIG_A_MAX && !tb[i]; i++)
		;
	if (i > SIPK_CONFIG_A_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest, "CONFIG is empty");
		return -EINVAL;
	}
	if (tb[SIPK_CONFIG_A_PORTS])
		return sipk_nl_parse_ports(tb[SIPK_CONFIG_A_PORTS], ports,
					   info->extack);
	return 0;
}

static int sipk_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	struct nlattr *tb[SIPK_CONFIG_A_MAX + 1];
	u16 ports[SIPK_PORTS_MAX] = {};
	struct sipk_config *old, *cfg;
	u32 max = 0;
	int err;

	err = sipk_nl_config_set_precheck(info, tb, ports);
	if (err)
		return err;

	mutex_lock(&sn->lock);
	old = rcu_dereference_protected(sn->cfg, lockdep_is_held(&sn->lock));
	if (tb[SIPK_CONFIG_A_MAX_ENTRIES]) {
		max = nla_get_u32(tb[SIPK_CONFIG_A_MAX_ENTRIES]);
		if (max < sipk_tables_max_count(sn)) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[SIPK_CONFIG_A_MAX_ENTRIES],
					    "max_entries is below the number of entries now");
			err = -EBUSY;
			goto out;
		}
	}
	cfg = kmemdup(old, sizeof(*old), GFP_KERNEL_ACCOUNT);
	if (!cfg) {
		err = -ENOMEM;
		goto out;
	}
	if (tb[SIPK_CONFIG_A_PORTS])
		memcpy(cfg->ports, ports, sizeof(cfg->ports));
	if (tb[SIPK_CONFIG_A_RECORD_ROUTE])
		cfg->record_route = nla_get_u8(tb[SIPK_CONFIG_A_RECORD_ROUTE]);
	if (tb[SIPK_CONFIG_A_FORK_POLICY])
		cfg->fork_policy = nla_get_u32(tb[SIPK_CONFIG_A_FORK_POLICY]);
	if (tb[SIPK_CONFIG_A_MAX_ENTRIES])
		cfg->max_entries = max;
	rcu_assign_pointer(sn->cfg, cfg);
	kfree_rcu(old, rcu);
out:
	mutex_unlock(&sn->lock);
	return err;
}

static int sipk_nl_fill_config(struct sk_buff *skb, struct sipk_net *sn,
			       const struct sipk_config *cfg)
{
	struct nlattr *nest, *ports;
	unsigned int i;

	nest = nla_nest_start(skb, SIPK_A_CONFIG);
	if (!nest)
		return -EMSGSIZE;
	ports = nla_nest_start(skb, SIPK_CONFIG_A_PORTS);
	if (!ports)
		return -EMSGSIZE;
	for (i = 0; i < SIPK_PORTS_MAX && cfg->ports[i]; i++)
		if (nla_put_u16(skb, i + 1, cfg->ports[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, ports);
	if (nla_put_u8(skb, SIPK_CONFIG_A_RECORD_ROUTE, cfg->record_route) ||
	    nla_put_u32(skb, SIPK_CONFIG_A_FORK_POLICY, cfg->fork_policy) ||
	    nla_put_u32(skb, SIPK_CONFIG_A_MAX_ENTRIES, cfg->max_entries) ||
	    nla_put_u32(skb, SIPK_CONFIG_A_ENTRIES, sipk_tables_count(sn)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int sipk_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(SIPK_NL_CONFIG_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &sipk_nl_family, 0,
				SIPK_CMD_CONFIG_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err;
	}
	rcu_read_lock();
	err = sipk_nl_fill_config(msg, sn, rcu_dereference(sn->cfg));
	rcu_read_unlock();
	if (err)
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return err;
}

/* ---- counters ---- */

static int sipk_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sipk_net *sn = sipk_pernet(genl_info_net(info));
	u64 cnt[__SIPK_CNT_MAX];
	struct sk_buff *msg;
	struct nlattr *nest;
	unsigned int i;
	void *hdr;

	sipk_stats_read(sn, cnt);
	msg = genlmsg_new(SIPK_NL_STATS_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &sipk_nl_family, 0,
				SIPK_CMD_STATS_GET);
	if (!hdr)
		goto err;
	nest = nla_nest_start(msg, SIPK_A_STATS);
	if (!nest)
		goto err;
	/*
	 * Types are counter + 1; padding (only on architectures without
	 * efficient unaligned access) takes type 0, which is no counter.
	 */
	for (i = 0; i < __SIPK_CNT_MAX; i++)
		if (nla_put_u64_64bit(msg, i + 1, cnt[i], 0))
			goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int sipk_nl_stats_reset_doit(struct sk_buff *skb,
				    struct genl_info *info)
{
	sipk_stats_reset(sipk_pernet(genl_info_net(info)));
	return 0;
}

/* ---- the family ---- */

static const struct genl_ops sipk_nl_ops[] = {
	{
		.cmd = SIPK_CMD_LOC_ADD,
		.doit = sipk_nl_loc_add_doit,
		.policy = sipk_loc_add_policy,
		.maxattr = ARRAY_SIZE(sipk_loc_add_policy) - 1,
		.flags = SIPK_NL_ADMIN,
	},
	{
		.cmd = SIPK_CMD_LOC_DEL,
		.doit = sipk_nl_loc_del_doit,
		.policy = sipk_loc_del_policy,
		.maxattr = ARRAY_SIZE(sipk_loc_del_policy) - 1,
		.flags = SIPK_NL_ADMIN,
	},
	{
		.cmd = SIPK_CMD_LOC_GET,
		.doit = sipk_nl_loc_get_doit,
		.start = sipk_nl_dump_start,
		.dumpit = sipk_nl_dumpit,
		.done = sipk_nl_dump_done,
		.policy = sipk_aor_policy,
		.maxattr = ARRAY_SIZE(sipk_aor_policy) - 1,
	},
	{
		.cmd = SIPK_CMD_LOC_FLUSH,
		.doit = sipk_nl_loc_flush_doit,
		.policy = sipk_owner_policy,
		.maxattr = ARRAY_SIZE(sipk_owner_policy) - 1,
		.flags = SIPK_NL_ADMIN,
	},
	{
		.cmd = SIPK_CMD_ALIAS_ADD,
		.doit = sipk_nl_alias_add_doit,
		.policy = sipk_alias_add_policy,
		.maxattr = ARRAY_SIZE(sipk_alias_add_policy) - 1,
		.flags = SIPK_NL_ADMIN,
	},
	{
		.cmd = SIPK_CMD_ALIAS_DEL,
		.doit = sipk_nl_alias_del_doit,
		.policy = sipk_aor_policy,
		.maxattr = ARRAY_SIZE(sipk_aor_policy) - 1,
		.flags = SIPK_NL_ADMIN,
	},
	{
		.cmd = SIPK_CMD_ALIAS_GET,
		.doit = sipk_nl_alias_get_doit,
		.start = sipk_nl_dump_start,
		.dumpit = sipk_nl_dumpit,
		.done = sipk_nl_dump_done,
		.policy = sipk_aor_policy,
		.maxattr = ARRAY_SIZE(sipk_aor_policy) - 1,
	},
	{
		.cmd = SIPK_CMD_ROUTE_ADD,
		.doit = sipk_nl_route_add_doit,
		.policy = sipk_route_add_policy,
		.maxattr = ARRAY_SIZE(sipk_route_add_policy) - 1,
		.flags = SIPK_NL_ADMIN,
	},
	{
		.cmd = SIPK_CMD_ROUTE_DEL,
		.doit = sipk_nl_route_del_doit,
		.policy = sipk_domain_policy,
		.maxattr = ARRAY_SIZE(sipk_domain_policy) - 1,
		.flags = SIPK_NL_ADMIN,
	},
	{
		.cmd = SIPK_CMD_ROUTE_GET,
		.doit = sipk_nl_route_get_doit,
		.start = sipk_nl_dump_start,
		.dumpit = sipk_nl_dumpit,
		.done = sipk_nl_dump_done,
		.policy = sipk_domain_policy,
		.maxattr = ARRAY_SIZE(sipk_domain_policy) - 1,
	},
	{
		/* no policy: genetlink refuses every attribute */
		.cmd = SIPK_CMD_CONFIG_GET,
		.doit = sipk_nl_config_get_doit,
	},
	{
		.cmd = SIPK_CMD_CONFIG_SET,
		.doit = sipk_nl_config_set_doit,
		.policy = sipk_config_set_policy,
		.maxattr = ARRAY_SIZE(sipk_config_set_policy) - 1,
		.flags = SIPK_NL_ADMIN,
	},
	{
		.cmd = SIPK_CMD_STATS_GET,
		.doit = sipk_nl_stats_get_doit,
	},
	{
		.cmd = SIPK_CMD_STATS_RESET,
		.doit = sipk_nl_stats_reset_doit,
		.flags = SIPK_NL_ADMIN,
	},
};

/*
 * resv_start_op: genetlink checks the header (reserved field 0, only
 * NLM_F_REQUEST/ACK/ECHO/DUMP) for every command from LOC_DEL on.
 * LOC_ADD comes before it so that it can take NLM_F_EXCL, and checks its
 * header itself.  Attribute validation is strict for every command either
 * way (no op sets .validate), and an op without a policy refuses all
 * attributes.
 */
static struct genl_family sipk_nl_family __ro_after_init = {
	.name = SIPK_GENL_NAME,
	.version = SIPK_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = sipk_nl_ops,
	.n_ops = ARRAY_SIZE(sipk_nl_ops),
	.resv_start_op = SIPK_CMD_LOC_ADD + 1,
	.mcgrps = sipk_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(sipk_nl_mcgrps),
};

/**
 * sipk_nl_init() - register the "sipk" generic netlink family
 *
 * Return: 0 or -errno from genl_register_family().
 */
int sipk_nl_init(void)
{
	BUILD_BUG_ON(NLMSG_SPACE(GENL_HDRLEN + SIPK_NL_LOC_SIZE) >
		     NLMSG_GOODSIZE);
	BUILD_BUG_ON(SIPK_CMD_LOC_ADD != 1);
	BUILD_BUG_ON(__SIPK_F_ALL > U8_MAX);

	return genl_register_family(&sipk_nl_family);
}

/**
 * sipk_nl_exit() - unregister the family
 *
 * Waits for running handlers.  Call it before the pernet ops go, so that
 * no request reaches a namespace's freed tables.
 */
void sipk_nl_exit(void)
{
	genl_unregister_family(&sipk_nl_family);
}
