// SPDX-License-Identifier: GPL-2.0
/*
 * route.c - "sipkctl route": domain routes (federation: requests for a
 * domain we do not serve go to its next-hop proxy).
 *
 *	route add DOMAIN via ADDR[:PORT]
 *	route del DOMAIN
 *	route show
 */
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "sipkctl.h"

void usage_route(FILE *f)
{
	fprintf(f,
		"Usage: sipkctl route add DOMAIN via ADDR[:PORT]\n"
		"       sipkctl route del DOMAIN\n"
		"       sipkctl route show\n"
		"Where: DOMAIN := a host or domain name (or an IPv4 address)\n"
		"       ADDR   := { IPv4 | [IPv6] | IPv6 }  (PORT default 5060)\n");
}

/* DOMAIN via ADDR port PORT */
static void route_reply(const struct nlmsghdr *nlh)
{
	struct nlattr *tb[SIPK_A_MAX + 1], *nh[SIPK_CONTACT_A_MAX + 1];
	char domain[SIPK_DOMAIN_MAX + 1] = "", addr[64];
	uint16_t port;

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, SIPK_A_MAX, NULL))
		return;
	attr_str(tb[SIPK_A_DOMAIN], domain, sizeof(domain));
	open_json_object(NULL);
	print_string(PRINT_ANY, "domain", "%s", domain);
	if (tb[SIPK_A_NEXTHOP] &&
	    !nla_parse_nested(nh, SIPK_CONTACT_A_MAX, tb[SIPK_A_NEXTHOP], NULL)) {
		if (format_addr(nh[SIPK_CONTACT_A_IPV4], nh[SIPK_CONTACT_A_IPV6],
				addr, sizeof(addr)))
			print_string(PRINT_ANY, "via", "via %s", addr);
		if (attr_u16(nh[SIPK_CONTACT_A_PORT], &port))
			print_uint(PRINT_ANY, "port", "port %u", port);
	}
	close_json_object();
	print_nl();
}

static const struct reply_ops route_ops = {
	.begin = print_list_begin,
	.reply = route_reply,
	.end = print_list_end,
};

static int route_add(int argc, char **argv, struct request *req)
{
	char domain[SIPK_DOMAIN_MAX];
	struct sipk_addr a;
	struct nlattr *nest;
	struct nl_msg *msg;

	if (argc < 1 || !strcmp(argv[0], "via"))
		return missing("route", "DOMAIN");
	if (parse_domain(argv[0], domain))
		return -1;
	if (argc < 2)
		return missing("route", "\"via ADDR\"");
	if (!is_keyword(argv[1], "via"))
		return unknown_arg("route", argv[1]);
	if (argc < 3) {
		err_msg("\"%s\" needs a value, try \"sipkctl route help\".",
			argv[1]);
		return -1;
	}
	if (parse_hostport(argv[2], &a))
		return -1;
	if (argc > 3)
		return unknown_arg("route", argv[3]);

	msg = genl_request(SIPK_CMD_ROUTE_ADD, 0);
	put_str(msg, SIPK_A_DOMAIN, domain);
	nest = nest_start(msg, SIPK_A_NEXTHOP);
	put_addr(msg, &a);
	nest_end(msg, nest);
	req->msg = msg;
	return 0;
}

static int route_del(int argc, char **argv, struct request *req)
{
	char domain[SIPK_DOMAIN_MAX];
	struct nl_msg *msg;

	if (argc < 1)
		return missing("route", "DOMAIN");
	if (parse_domain(argv[0], domain))
		return -1;
	if (argc > 1)
		return unknown_arg("route", argv[1]);

	msg = genl_request(SIPK_CMD_ROUTE_DEL, 0);
	put_str(msg, SIPK_A_DOMAIN, domain);
	req->msg = msg;
	return 0;
}

static int route_show(int argc, char **argv, struct request *req)
{
	if (argc > 0)
		return unknown_arg("route", argv[0]);
	req->msg = genl_request(SIPK_CMD_ROUTE_GET, NLM_F_DUMP);
	req->ops = &route_ops;
	return 0;
}

int do_route(int argc, char **argv, struct request *req)
{
	static const char *const cmds[] = { "add", "del", "show", "help", NULL };
	int k;

	if (argc < 1)
		return route_show(0, NULL, req);
	k = keyword(argv[0], cmds);
	switch (k) {
	case 0:
		return route_add(argc - 1, argv + 1, req);
	case 1:
		return route_del(argc - 1, argv + 1, req);
	case 2:
		return route_show(argc - 1, argv + 1, req);
	case 3:
		usage_route(stdout);
		return 0;
	case KW_AMBIGUOUS:
		return -1;
	}
	return unknown_cmd("route", argv[0]);
}
