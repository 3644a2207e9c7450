/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause */
/*
 * sipk.h - generic netlink interface of sipk, the in-kernel SIP proxy.
 *
 * Family "sipk", version 1, multicast group "events".  Every command
 * that changes state, and STATS_RESET, needs CAP_NET_ADMIN
 * (GENL_ADMIN_PERM); the tables are per network namespace.
 *
 * Attribute tree per command (-> kernel, <- reply):
 *
 * SIPK_CMD_LOC_ADD -> AOR, CONTACT{URI, IPV4|IPV6, PORT, [Q], [EXPIRES], [FLAGS]},
 *		      [OWNER]
 *	Adds a contact to an AOR, or replaces the contact with the same
 *	URI.  NLM_F_EXCL refuses an existing contact (-EEXIST).  OWNER
 *	defaults to SIPK_OWNER_STATIC; the daemon cannot replace a static
 *	contact (-EPERM).  At most SIPK_CONTACTS_MAX contacts per AOR.
 * SIPK_CMD_LOC_DEL -> AOR, [CONTACT{URI}], [OWNER]
 *	Without CONTACT every contact of the AOR goes; with OWNER only
 *	contacts added by that owner.
 * SIPK_CMD_LOC_GET -> AOR  <- AOR, CONTACT{...}...
 *	With NLM_F_DUMP: one message per AOR.
 * SIPK_CMD_LOC_FLUSH -> [OWNER]
 * SIPK_CMD_ALIAS_ADD -> AOR, TARGET
 * SIPK_CMD_ALIAS_DEL -> AOR
 * SIPK_CMD_ALIAS_GET -> AOR <- AOR, TARGET (dump: all)
 * SIPK_CMD_ROUTE_ADD -> DOMAIN, NEXTHOP{IPV4|IPV6, PORT}
 * SIPK_CMD_ROUTE_DEL -> DOMAIN
 * SIPK_CMD_ROUTE_GET -> DOMAIN <- DOMAIN, NEXTHOP (dump: all)
 * SIPK_CMD_CONFIG_GET <- CONFIG{PORTS{PORT...}, RECORD_ROUTE, FORK_POLICY,
 *			      MAX_ENTRIES, ENTRIES}
 * SIPK_CMD_CONFIG_SET -> CONFIG{any of PORTS, RECORD_ROUTE, FORK_POLICY,
 *			      MAX_ENTRIES}
 * SIPK_CMD_STATS_GET <- STATS{one u64 per enum sipk_counter, type = id + 1}
 * SIPK_CMD_STATS_RESET
 *
 * Events on the "events" group: SIPK_CMD_EVENT_LOC_ADDED, _REMOVED and
 * _EXPIRED with AOR, CONTACT{URI, ...}.
 *
 * An AOR is "user@host" (or "host" alone) as found in a SIP URI, without
 * scheme, port 5060 or parameters; hosts compare case-insensitively.
 */
#ifndef _UAPI_LINUX_SIPK_H
#define _UAPI_LINUX_SIPK_H

#define SIPK_GENL_NAME		"sipk"
#define SIPK_GENL_VERSION	1
#define SIPK_MCGRP_EVENTS	"events"

/* limits the kernel enforces, with room for the terminating NUL */
#define SIPK_AOR_MAX		255
#define SIPK_URI_MAX		255
#define SIPK_DOMAIN_MAX		253
#define SIPK_PORTS_MAX		8
#define SIPK_ALIAS_DEPTH	4
#define SIPK_Q_MAX		1000	/* q=1.0, in thousandths */
#define SIPK_CONTACTS_MAX	8	/* contacts of one AOR in the kernel */

enum sipk_cmd {
	SIPK_CMD_UNSPEC,
	SIPK_CMD_LOC_ADD,
	SIPK_CMD_LOC_DEL,
	SIPK_CMD_LOC_GET,
	SIPK_CMD_LOC_FLUSH,
	SIPK_CMD_ALIAS_ADD,
	SIPK_CMD_ALIAS_DEL,
	SIPK_CMD_ALIAS_GET,
	SIPK_CMD_ROUTE_ADD,
	SIPK_CMD_ROUTE_DEL,
	SIPK_CMD_ROUTE_GET,
	SIPK_CMD_CONFIG_GET,
	SIPK_CMD_CONFIG_SET,
	SIPK_CMD_STATS_GET,
	SIPK_CMD_STATS_RESET,
	SIPK_CMD_EVENT_LOC_ADDED,
	SIPK_CMD_EVENT_LOC_REMOVED,
	SIPK_CMD_EVENT_LOC_EXPIRED,

	__SIPK_CMD_MAX,
	SIPK_CMD_MAX = __SIPK_CMD_MAX - 1
};

enum sipk_attr {
	SIPK_A_UNSPEC,
	SIPK_A_AOR,		/* string, NUL-terminated, <= SIPK_AOR_MAX */
	SIPK_A_CONTACT,		/* nest, enum sipk_contact_attr */
	SIPK_A_TARGET,		/* string: the AOR an alias maps to */
	SIPK_A_DOMAIN,		/* string: host or domain of a route */
	SIPK_A_NEXTHOP,		/* nest, enum sipk_contact_attr (address only) */
	SIPK_A_CONFIG,		/* nest, enum sipk_config_attr */
	/* nest of u64, type = enum sipk_counter + 1; type 0 is padding */
	SIPK_A_STATS,
	SIPK_A_OWNER,		/* u32, enum sipk_owner */
	SIPK_A_PAD,

	__SIPK_A_MAX,
	SIPK_A_MAX = __SIPK_A_MAX - 1
};

enum sipk_contact_attr {
	SIPK_CONTACT_A_UNSPEC,
	SIPK_CONTACT_A_URI,	/* string: sip: URI the Request-URI becomes */
	SIPK_CONTACT_A_IPV4,	/* binary, 4 octets, network order */
	SIPK_CONTACT_A_IPV6,	/* binary, 16 octets */
	SIPK_CONTACT_A_PORT,	/* u16, host order, 1..65535 */
	SIPK_CONTACT_A_Q,	/* u16, 0..SIPK_Q_MAX, default SIPK_Q_MAX */
	SIPK_CONTACT_A_EXPIRES,	/* u32: seconds from now; 0 or absent: never */
	SIPK_CONTACT_A_FLAGS,	/* u32, SIPK_F_* */
	SIPK_CONTACT_A_OWNER,	/* u32, enum sipk_owner (read back) */

	__SIPK_CONTACT_A_MAX,
	SIPK_CONTACT_A_MAX = __SIPK_CONTACT_A_MAX - 1
};

/* contact flags */
#define SIPK_F_REDIRECT		(1U << 0)	/* always hand up: 3xx by sipkd */
#define __SIPK_F_ALL		(SIPK_F_REDIRECT)

/* who installed an entry: sipkd never touches static entries */
enum sipk_owner {
	SIPK_OWNER_STATIC,	/* sipkctl, an operator */
	SIPK_OWNER_DAEMON,	/* sipkd's registrar */
	__SIPK_OWNER_MAX,
	SIPK_OWNER_MAX = __SIPK_OWNER_MAX - 1
};

enum sipk_config_attr {
	SIPK_CONFIG_A_UNSPEC,
	SIPK_CONFIG_A_PORTS,		/* nest of u16 (type 1..SIPK_PORTS_MAX) */
	SIPK_CONFIG_A_RECORD_ROUTE,	/* u8, 0 or 1 */
	SIPK_CONFIG_A_FORK_POLICY,	/* u32, enum sipk_fork_policy */
	SIPK_CONFIG_A_MAX_ENTRIES,	/* u32, 1..16777216 contacts */
	SIPK_CONFIG_A_ENTRIES,		/* u32, read-only: contacts now */

	__SIPK_CONFIG_A_MAX,
	SIPK_CONFIG_A_MAX = __SIPK_CONFIG_A_MAX - 1
};

enum sipk_fork_policy {
	SIPK_FORK_HAND_UP,	/* several live contacts: sipkd forks */
	SIPK_FORK_BEST_Q,	/* take the contact with the highest q */
	__SIPK_FORK_MAX,
	SIPK_FORK_MAX = __SIPK_FORK_MAX - 1
};

/*
 * Counters.  "punt" means handed up unchanged to the local socket; the
 * kernel never drops what it cannot handle.
 */
enum sipk_counter {
	SIPK_CNT_RX,			/* datagrams seen on a SIP port */
	SIPK_CNT_FWD_REQUEST,		/* requests forwarded */
	SIPK_CNT_FWD_RESPONSE,		/* responses forwarded */
	SIPK_CNT_FWD_INVITE,
	SIPK_CNT_FWD_ACK,
	SIPK_CNT_FWD_BYE,
	SIPK_CNT_FWD_CANCEL,
	SIPK_CNT_PUNT_MALFORMED,	/* not valid SIP */
	SIPK_CNT_PUNT_UNSUPPORTED,	/* valid, not for the fast path */
	SIPK_CNT_PUNT_REGISTER,		/* the registrar is sipkd's */
	SIPK_CNT_PUNT_NO_ROUTE,		/* no location, alias or route */
	SIPK_CNT_PUNT_REDIRECT,		/* redirect flag: sipkd answers 3xx */
	SIPK_CNT_PUNT_FORK,		/* several live contacts */
	SIPK_CNT_PUNT_MAX_FORWARDS,	/* Max-Forwards 0: sipkd sends 483 */
	SIPK_CNT_PUNT_FOREIGN_ROUTE,	/* a Route that is not ours */
	SIPK_CNT_PUNT_NOT_OURS,		/* response whose top Via is not ours */
	SIPK_CNT_PUNT_BAD_MAC,		/* our Via, but the MAC fails: forged */
	SIPK_CNT_PUNT_HOSTNAME,		/* next hop is a host name */
	SIPK_CNT_PUNT_TOO_BIG,		/* would exceed the path MTU */
	SIPK_CNT_PUNT_NO_ROUTE_OUT,	/* no IP route to the next hop */
	SIPK_CNT_PUNT_LOOP,		/* next hop is ourselves */
	SIPK_CNT_PUNT_NOMEM,
	SIPK_CNT_DROP_XMIT,		/* lost after the fast path took it */
	SIPK_CNT_EXPIRED,		/* contacts collected on expiry */

	__SIPK_CNT_MAX,
	SIPK_CNT_MAX = __SIPK_CNT_MAX - 1
};

#endif /* _UAPI_LINUX_SIPK_H */
