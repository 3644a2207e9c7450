// SPDX-License-Identifier: GPL-2.0
/*
 * sipk_nl.c - generic netlink helpers shared by sipkctl and sipkd.
 */
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "sipk_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int sipk_nl_connect(const char *name, struct nl_sock **skp, int *family,
		    int *err)
{
	struct nl_sock *sk;
	int one = 1, id;

	*err = 0;
	*skp = sk = nl_socket_alloc();
	if (!sk) {
		*err = -NLE_NOMEM;
		return SIPK_NL_ERROR;
	}
	*err = genl_connect(sk);
	if (*err < 0)
		return SIPK_NL_ERROR;
	/* the kernel's reason for an error; harmless where unsupported */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	id = genl_ctrl_resolve(sk, name);
	if (id == -NLE_OBJ_NOTFOUND)
		return SIPK_NL_NO_FAMILY;
	if (id < 0) {
		*err = id;
		return SIPK_NL_ERROR;
	}
	*family = id;
	return SIPK_NL_OK;
}

/*
 * The kernel validates strictly: a nest without NLA_F_NESTED is refused.
 * libnl 3.7's nla_nest_start() sets it, older ones do not; say it anyway.
 */
struct nlattr *sipk_nl_nest_start(struct nl_msg *msg, int type)
{
	struct nlattr *nest = nla_nest_start(msg, type | NLA_F_NESTED);

	if (nest)
		nest->nla_type |= NLA_F_NESTED;
	return nest;
}

int sipk_nl_put_addr(struct nl_msg *msg, const struct sipk_addr *a)
{
	int err;

	if (a->family == 4)
		err = nla_put(msg, SIPK_CONTACT_A_IPV4, 4, a->addr);
	else
		err = nla_put(msg, SIPK_CONTACT_A_IPV6, 16, a->addr);
	if (err < 0)
		return err;
	return nla_put_u16(msg, SIPK_CONTACT_A_PORT, a->port);
}

void sipk_nl_extack_msg(const struct nlmsghdr *nlh, char *buf, size_t size)
{
	const struct nlmsgerr *e = nlmsg_data(nlh);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { NULL };
	size_t hlen = sizeof(*e);
	size_t len;

	buf[0] = '\0';
	if (!size || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e) ||
	    !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* not capped: the request follows the error, its header being e->msg */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN ||
		    e->msg.nlmsg_len > nlh->nlmsg_len)
			return;
		hlen += e->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	hlen = NLMSG_ALIGN(hlen);
	if (NLMSG_HDRLEN + hlen >= nlh->nlmsg_len)
		return;
	nla_parse(tb, NLMSGERR_ATTR_MAX,
		  (struct nlattr *)((const char *)e + hlen),
		  (int)(nlh->nlmsg_len - NLMSG_HDRLEN - hlen), NULL);
	if (!tb[NLMSGERR_ATTR_MSG])
		return;
	len = (size_t)nla_len(tb[NLMSGERR_ATTR_MSG]);
	if (len && ((const char *)nla_data(tb[NLMSGERR_ATTR_MSG]))[len - 1] == '\0')
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(buf, nla_data(tb[NLMSGERR_ATTR_MSG]), len);
	buf[len] = '\0';
}
