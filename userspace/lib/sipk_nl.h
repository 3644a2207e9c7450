/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipk_nl.h - generic netlink helpers shared by sipkctl and sipkd
 * (libnl-3): opening a socket on the "sipk" family, nests the kernel's
 * strict validation accepts, contact addresses, and the kernel's own
 * error message from an extended ack.
 */
#ifndef _SIPK_NL_H
#define _SIPK_NL_H

#include <stddef.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>

#include <linux/sipk.h>

#include "sip_core.h"

/* what sipk_nl_connect() found */
enum {
	SIPK_NL_OK = 0,
	SIPK_NL_ERROR = 1,	/* no socket, or the controller failed */
	SIPK_NL_NO_FAMILY = 3,	/* the family does not resolve: no module */
};

/**
 * sipk_nl_connect() - a generic netlink socket and the family's id
 * @name: family name (SIPK_GENL_NAME)
 * @skp: the socket, also set on failure when one was allocated
 * @family: the resolved id
 * @err: on SIPK_NL_ERROR, a libnl error code (nl_geterror())
 *
 * Turns NETLINK_EXT_ACK on, so that errors carry the kernel's message.
 * Return: SIPK_NL_OK, SIPK_NL_ERROR or SIPK_NL_NO_FAMILY.
 */
int sipk_nl_connect(const char *name, struct nl_sock **skp, int *family,
		    int *err);

/* a nest with NLA_F_NESTED, which strict validation needs; NULL: no room */
struct nlattr *sipk_nl_nest_start(struct nl_msg *msg, int type);

/* SIPK_CONTACT_A_IPV4|IPV6 + SIPK_CONTACT_A_PORT; 0 or a libnl error */
int sipk_nl_put_addr(struct nl_msg *msg, const struct sipk_addr *a);

/*
 * The text of NLMSGERR_ATTR_MSG in the error message @nlh (an
 * NLMSG_ERROR), or "" when the kernel gave none.
 */
void sipk_nl_extack_msg(const struct nlmsghdr *nlh, char *buf, size_t size);

#endif /* _SIPK_NL_H */
