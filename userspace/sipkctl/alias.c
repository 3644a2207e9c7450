// SPDX-License-Identifier: GPL-2.0
/*
 * alias.c - "sipkctl alias": name mapping, one AOR standing for another
 * (jerry@acme.com -> js@nyc.acme.com).
 *
 *	alias add AOR target AOR
 *	alias del AOR
 *	alias show
 */
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "sipkctl.h"

void usage_alias(FILE *f)
{
	fprintf(f,
		"Usage: sipkctl alias add AOR target AOR\n"
		"       sipkctl alias del AOR\n"
		"       sipkctl alias show\n"
		"Where: AOR := { sip:USER@HOST[:PORT] | USER@HOST[:PORT] | HOST[:PORT] }\n");
}

/* sip:AOR target sip:AOR */
static void alias_reply(const struct nlmsghdr *nlh)
{
	struct nlattr *tb[SIPK_A_MAX + 1];
	char aor[SIPK_AOR_MAX + 1] = "", target[SIPK_AOR_MAX + 1] = "";

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, SIPK_A_MAX, NULL))
		return;
	attr_str(tb[SIPK_A_AOR], aor, sizeof(aor));
	attr_str(tb[SIPK_A_TARGET], target, sizeof(target));
	open_json_object(NULL);
	print_string(PRINT_ANY, "aor", "sip:%s", aor);
	print_string(PRINT_ANY, "target", "target sip:%s", target);
	close_json_object();
	print_nl();
}

static const struct reply_ops alias_ops = {
	.begin = print_list_begin,
	.reply = alias_reply,
	.end = print_list_end,
};

static int alias_add(int argc, char **argv, struct request *req)
{
	char aor[SIPK_AOR_MAX], target[SIPK_AOR_MAX];
	struct nl_msg *msg;

	if (argc < 1 || !strcmp(argv[0], "target"))
		return missing("alias", "AOR");
	if (parse_aor(argv[0], "AOR", aor))
		return -1;
	if (argc < 2)
		return missing("alias", "\"target AOR\"");
	if (!is_keyword(argv[1], "target"))
		return unknown_arg("alias", argv[1]);
	if (argc < 3) {
		err_msg("\"%s\" needs a value, try \"sipkctl alias help\".",
			argv[1]);
		return -1;
	}
	if (parse_aor(argv[2], "target", target))
		return -1;
	if (argc > 3)
		return unknown_arg("alias", argv[3]);
	if (!strcmp(aor, target)) {
		err_msg("invalid target \"%s\": an alias of itself", argv[2]);
		return -1;
	}

	msg = genl_request(SIPK_CMD_ALIAS_ADD, 0);
	put_str(msg, SIPK_A_AOR, aor);
	put_str(msg, SIPK_A_TARGET, target);
	req->msg = msg;
	return 0;
}

static int alias_del(int argc, char **argv, struct request *req)
{
	char aor[SIPK_AOR_MAX];
	struct nl_msg *msg;

	if (argc < 1)
		return missing("alias", "AOR");
	if (parse_aor(argv[0], "AOR", aor))
		return -1;
	if (argc > 1)
		return unknown_arg("alias", argv[1]);

	msg = genl_request(SIPK_CMD_ALIAS_DEL, 0);
	put_str(msg, SIPK_A_AOR, aor);
	req->msg = msg;
	return 0;
}

static int alias_show(int argc, char **argv, struct request *req)
{
	if (argc > 0)
		return unknown_arg("alias", argv[0]);
	req->msg = genl_request(SIPK_CMD_ALIAS_GET, NLM_F_DUMP);
	req->ops = &alias_ops;
	return 0;
}

int do_alias(int argc, char **argv, struct request *req)
{
	static const char *const cmds[] = { "add", "del", "show", "help", NULL };
	int k;

	if (argc < 1)
		return alias_show(0, NULL, req);
	k = keyword(argv[0], cmds);
	switch (k) {
	case 0:
		return alias_add(argc - 1, argv + 1, req);
	case 1:
		return alias_del(argc - 1, argv + 1, req);
	case 2:
		return alias_show(argc - 1, argv + 1, req);
	case 3:
		usage_alias(stdout);
		return 0;
	case KW_AMBIGUOUS:
		return -1;
	}
	return unknown_cmd("alias", argv[0]);
}
