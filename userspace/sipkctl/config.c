// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - "sipkctl config": the module's settings in this namespace.
 *
 *	config show
 *	config set [port N]... [record-route on|off]
 *		   [fork-policy hand-up|best-q] [max-entries N]
 */
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "sipkctl.h"

#define MAX_ENTRIES_LIMIT	16777216u

static const char *const fork_policies[] = {
	[SIPK_FORK_HAND_UP] = "hand-up",
	[SIPK_FORK_BEST_Q] = "best-q",
	NULL
};

void usage_config(FILE *f)
{
	fprintf(f,
		"Usage: sipkctl config show\n"
		"       sipkctl config set [ port N ]... [ record-route { on | off } ]\n"
		"                          [ fork-policy { hand-up | best-q } ] [ max-entries N ]\n"
		"Where: port N         a UDP port the module serves; repeat for several (at most %d),\n"
		"                      the list replaces the current one\n"
		"       max-entries N  1 .. %u contacts\n",
		SIPK_PORTS_MAX, MAX_ENTRIES_LIMIT);
}

/* one setting per line; one object with -j */
static void config_reply(const struct nlmsghdr *nlh)
{
	struct nlattr *tb[SIPK_A_MAX + 1], *c[SIPK_CONFIG_A_MAX + 1], *a;
	uint32_t v;
	uint16_t port;
	int rem;

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, SIPK_A_MAX, NULL) ||
	    !tb[SIPK_A_CONFIG] ||
	    nla_parse_nested(c, SIPK_CONFIG_A_MAX, tb[SIPK_A_CONFIG], NULL))
		return;

	if (c[SIPK_CONFIG_A_PORTS]) {
		open_json_array("ports");
		print_string(PRINT_FP, NULL, "%s", "ports");
		nla_for_each_nested(a, c[SIPK_CONFIG_A_PORTS], rem)
			if (attr_u16(a, &port))
				print_uint(PRINT_ANY, NULL, "%u", port);
		close_json_array();
		print_nl();
	}
	if (c[SIPK_CONFIG_A_RECORD_ROUTE] &&
	    nla_len(c[SIPK_CONFIG_A_RECORD_ROUTE]) >= 1) {
		print_on_off(PRINT_ANY, "record_route", "record-route %s",
			     nla_get_u8(c[SIPK_CONFIG_A_RECORD_ROUTE]));
		print_nl();
	}
	if (attr_u32(c[SIPK_CONFIG_A_FORK_POLICY], &v)) {
		if (v < ARRAY_SIZE(fork_policies) - 1)
			print_string(PRINT_ANY, "fork_policy", "fork-policy %s",
				     fork_policies[v]);
		else
			print_uint(PRINT_ANY, "fork_policy", "fork-policy %u", v);
		print_nl();
	}
	if (attr_u32(c[SIPK_CONFIG_A_MAX_ENTRIES], &v)) {
		print_uint(PRINT_ANY, "max_entries", "max-entries %u", v);
		print_nl();
	}
	if (attr_u32(c[SIPK_CONFIG_A_ENTRIES], &v)) {
		print_uint(PRINT_ANY, "entries", "entries %u", v);
		print_nl();
	}
}

static const struct reply_ops config_ops = {
	.begin = print_object_begin,
	.reply = config_reply,
	.end = print_object_end,
};

static int config_show(int argc, char **argv, struct request *req)
{
	if (argc > 0)
		return unknown_arg("config", argv[0]);
	req->msg = genl_request(SIPK_CMD_CONFIG_GET, 0);
	req->ops = &config_ops;
	return 0;
}

static int config_set(int argc, char **argv, struct request *req)
{
	static const char *const words[] = {
		"port", "record-route", "fork-policy", "max-entries", NULL
	};
	static const char *const on_off[] = { "off", "on", NULL };
	uint16_t ports[SIPK_PORTS_MAX];
	int nports = 0, rr = -1, fp = -1, k, i;
	bool have_max = false;
	uint32_t max = 0;
	struct nlattr *nest, *pnest;
	struct nl_msg *msg;

	if (argc < 1) {
		err_msg("config set: nothing to set, try \"sipkctl config help\".");
		return -1;
	}
	for (; argc > 0; argc -= 2, argv += 2) {
		k = keyword(argv[0], words);
		if (k == KW_AMBIGUOUS)
			return -1;
		if (k == KW_UNKNOWN)
			return unknown_arg("config", argv[0]);
		if (argc < 2) {
			err_msg("\"%s\" needs a value, try \"sipkctl config help\".",
				argv[0]);
			return -1;
		}
		switch (k) {
		case 0:
			if (nports == SIPK_PORTS_MAX) {
				err_msg("invalid port \"%s\": at most %d ports",
					argv[1], SIPK_PORTS_MAX);
				return -1;
			}
			if (parse_port(argv[1], &ports[nports]))
				return -1;
			for (i = 0; i < nports; i++)
				if (ports[i] == ports[nports]) {
					err_msg("invalid port \"%s\": given twice",
						argv[1]);
					return -1;
				}
			nports++;
			break;
		case 1:
			if (rr >= 0)
				goto dup;
			rr = keyword(argv[1], on_off);
			if (rr == KW_AMBIGUOUS)
				return -1;
			if (rr < 0)
				return invarg("record-route", argv[1]);
			break;
		case 2:
			if (fp >= 0)
				goto dup;
			fp = keyword(argv[1], fork_policies);
			if (fp == KW_AMBIGUOUS)
				return -1;
			if (fp < 0)
				return invarg("fork-policy", argv[1]);
			break;
		case 3:
			if (have_max)
				goto dup;
			if (parse_u32(argv[1], 1, MAX_ENTRIES_LIMIT, &max))
				return invarg("max-entries", argv[1]);
			have_max = true;
			break;
		}
	}

	msg = genl_request(SIPK_CMD_CONFIG_SET, 0);
	nest = nest_start(msg, SIPK_A_CONFIG);
	if (nports) {
		/* a nest of u16, types 1..n */
		pnest = nest_start(msg, SIPK_CONFIG_A_PORTS);
		for (i = 0; i < nports; i++)
			put_u16(msg, i + 1, ports[i]);
		nest_end(msg, pnest);
	}
	if (rr >= 0)
		put_u8(msg, SIPK_CONFIG_A_RECORD_ROUTE, (uint8_t)rr);
	if (fp >= 0)
		put_u32(msg, SIPK_CONFIG_A_FORK_POLICY, (uint32_t)fp);
	if (have_max)
		put_u32(msg, SIPK_CONFIG_A_MAX_ENTRIES, max);
	nest_end(msg, nest);
	req->msg = msg;
	return 0;

dup:
	err_msg("\"%s\" given twice", argv[0]);
	return -1;
}

int do_config(int argc, char **argv, struct request *req)
{
	static const char *const cmds[] = { "show", "set", "help", NULL };
	int k;

	if (argc < 1)
		return config_show(0, NULL, req);
	k = keyword(argv[0], cmds);
	switch (k) {
	case 0:
		return config_show(argc - 1, argv + 1, req);
	case 1:
		return config_set(argc - 1, argv + 1, req);
	case 2:
		usage_config(stdout);
		return 0;
	case KW_AMBIGUOUS:
		return -1;
	}
	return unknown_cmd("config", argv[0]);
}
