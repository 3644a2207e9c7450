// SPDX-License-Identifier: GPL-2.0
/*
 * loc.c - "sipkctl loc": the location table (AOR -> contacts).
 *
 *	loc add AOR contact URI [q Q] [expires SECS] [redirect]
 *	loc del AOR [contact URI]
 *	loc show [AOR]
 *	loc flush
 */
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "sipkctl.h"

void usage_loc(FILE *f)
{
	fprintf(f,
		"Usage: sipkctl loc add AOR contact URI [ q Q ] [ expires SECS ] [ redirect ]\n"
		"       sipkctl loc del AOR [ contact URI ]\n"
		"       sipkctl loc show [ AOR ]\n"
		"       sipkctl loc flush\n"
		"Where: AOR  := { sip:USER@HOST[:PORT] | USER@HOST[:PORT] | HOST[:PORT] }\n"
		"       URI  := sip:[USER@]HOST[:PORT][;PARAMS]  HOST: IPv4, [IPv6] or a name\n"
		"       Q    := 0 .. 1, up to three decimals (default 1)\n"
		"       SECS := seconds until the contact expires (default 0: never)\n");
}

static const char *owner_name(uint32_t owner)
{
	switch (owner) {
	case SIPK_OWNER_STATIC:
		return "static";
	case SIPK_OWNER_DAEMON:
		return "daemon";
	}
	return NULL;
}

/*
 * One contact on one line:
 *   sip:AOR contact URI addr A port P q 1.000 expires 3590 owner static [redirect]
 * shared with "monitor", which puts the event first.
 */
void print_contact(const char *event, const char *aor,
		   const struct nlattr *contact)
{
	struct nlattr *tb[SIPK_CONTACT_A_MAX + 1] = { NULL };
	char uri[SIPK_URI_MAX + 1], addr[64], num[16];
	uint32_t expires, flags = 0, owner;
	uint16_t port, q = SIPK_Q_MAX;
	const char *name;

	if (contact)
		nla_parse_nested(tb, SIPK_CONTACT_A_MAX,
				 (struct nlattr *)contact, NULL);
	open_json_object(NULL);
	if (event)
		print_string(PRINT_ANY, "event", "%s", event);
	print_string(PRINT_ANY, "aor", "sip:%s", aor);
	if (!contact) {
		close_json_object();
		print_nl();
		return;
	}
	if (attr_str(tb[SIPK_CONTACT_A_URI], uri, sizeof(uri)))
		print_string(PRINT_ANY, "contact", "contact %s", uri);
	if (format_addr(tb[SIPK_CONTACT_A_IPV4], tb[SIPK_CONTACT_A_IPV6],
			addr, sizeof(addr)))
		print_string(PRINT_ANY, "addr", "addr %s", addr);
	if (attr_u16(tb[SIPK_CONTACT_A_PORT], &port))
		print_uint(PRINT_ANY, "port", "port %u", port);
	attr_u16(tb[SIPK_CONTACT_A_Q], &q);
	print_q(PRINT_ANY, "q", "q %s", q);
	/* present: seconds left; absent: never, or gone ("expired" event) */
	if (attr_u32(tb[SIPK_CONTACT_A_EXPIRES], &expires)) {
		print_uint(PRINT_ANY, "expires", "expires %u", expires);
	} else {
		print_string(PRINT_JSON, "expires", NULL, NULL);
		if (!event || strcmp(event, "expired"))
			print_string(PRINT_FP, NULL, "expires %s", "never");
	}
	if (attr_u32(tb[SIPK_CONTACT_A_OWNER], &owner)) {
		name = owner_name(owner);
		if (!name) {
			snprintf(num, sizeof(num), "%u", owner);
			name = num;
		}
		print_string(PRINT_ANY, "owner", "owner %s", name);
	}
	attr_u32(tb[SIPK_CONTACT_A_FLAGS], &flags);
	print_flag("redirect", "redirect", flags & SIPK_F_REDIRECT);
	if (flags & ~__SIPK_F_ALL)
		print_uint(PRINT_ANY, "flags", "flags 0x%x", flags);
	close_json_object();
	print_nl();
}

/* one message per AOR: AOR, CONTACT{...}... */
static void loc_reply(const struct nlmsghdr *nlh)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	char aor[SIPK_AOR_MAX + 1] = "";
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem)
		if (nla_type(a) == SIPK_A_AOR)
			attr_str(a, aor, sizeof(aor));
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem)
		if (nla_type(a) == SIPK_A_CONTACT)
			print_contact(NULL, aor, a);
}

static const struct reply_ops loc_ops = {
	.begin = print_list_begin,
	.reply = loc_reply,
	.end = print_list_end,
};

static int loc_add(int argc, char **argv, struct request *req)
{
	static const char *const words[] = {
		"contact", "q", "expires", "redirect", NULL
	};
	char aor[SIPK_AOR_MAX];
	struct contact c;
	bool have_contact = false, have_q = false, have_expires = false;
	uint16_t q = SIPK_Q_MAX;
	uint32_t expires = 0, flags = 0;
	struct nlattr *nest;
	struct nl_msg *msg;

	if (argc < 1 || !strcmp(argv[0], "contact"))
		return missing("loc", "AOR");
	if (parse_aor(argv[0], "AOR", aor))
		return -1;
	for (argc--, argv++; argc > 0; argc--, argv++) {
		int k = keyword(argv[0], words);

		if (k == KW_AMBIGUOUS)
			return -1;
		if (k == KW_UNKNOWN)
			return unknown_arg("loc", argv[0]);
		if (k == 3) {
			if (flags & SIPK_F_REDIRECT)
				goto dup;
			flags |= SIPK_F_REDIRECT;
			continue;
		}
		if (argc < 2) {
			err_msg("\"%s\" needs a value, try \"sipkctl loc help\".",
				argv[0]);
			return -1;
		}
		switch (k) {
		case 0:
			if (have_contact)
				goto dup;
			if (parse_contact(argv[1], true, &c))
				return -1;
			have_contact = true;
			break;
		case 1:
			if (have_q)
				goto dup;
			if (parse_q(argv[1], &q))
				return -1;
			have_q = true;
			break;
		case 2:
			if (have_expires)
				goto dup;
			if (parse_u32(argv[1], 0, UINT32_MAX, &expires))
				return invarg("expires", argv[1]);
			have_expires = true;
			break;
		}
		argc--;
		argv++;
	}
	if (!have_contact)
		return missing("loc", "\"contact URI\"");

	msg = genl_request(SIPK_CMD_LOC_ADD, 0);
	put_str(msg, SIPK_A_AOR, aor);
	put_u32(msg, SIPK_A_OWNER, SIPK_OWNER_STATIC);
	nest = nest_start(msg, SIPK_A_CONTACT);
	put_str(msg, SIPK_CONTACT_A_URI, c.uri);
	put_addr(msg, &c.addr);
	put_u16(msg, SIPK_CONTACT_A_Q, q);
	if (have_expires)
		put_u32(msg, SIPK_CONTACT_A_EXPIRES, expires);
	put_u32(msg, SIPK_CONTACT_A_FLAGS, flags);
	nest_end(msg, nest);
	req->msg = msg;
	return 0;

dup:
	err_msg("\"%s\" given twice", argv[0]);
	return -1;
}

static int loc_del(int argc, char **argv, struct request *req)
{
	char aor[SIPK_AOR_MAX];
	struct contact c;
	struct nlattr *nest;
	struct nl_msg *msg;

	if (argc < 1 || !strcmp(argv[0], "contact"))
		return missing("loc", "AOR");
	if (parse_aor(argv[0], "AOR", aor))
		return -1;
	if (argc > 1) {
		if (!is_keyword(argv[1], "contact"))
			return unknown_arg("loc", argv[1]);
		if (argc < 3) {
			err_msg("\"%s\" needs a value, try \"sipkctl loc help\".",
				argv[1]);
			return -1;
		}
		/* the kernel matches the URI as text: no resolution needed */
		if (parse_contact(argv[2], false, &c))
			return -1;
		if (argc > 3)
			return unknown_arg("loc", argv[3]);
	}

	msg = genl_request(SIPK_CMD_LOC_DEL, 0);
	put_str(msg, SIPK_A_AOR, aor);
	if (argc > 1) {
		nest = nest_start(msg, SIPK_A_CONTACT);
		put_str(msg, SIPK_CONTACT_A_URI, c.uri);
		nest_end(msg, nest);
	}
	req->msg = msg;
	return 0;
}

static int loc_show(int argc, char **argv, struct request *req)
{
	char aor[SIPK_AOR_MAX];
	struct nl_msg *msg;

	if (argc > 1)
		return unknown_arg("loc", argv[1]);
	if (argc == 1) {
		if (parse_aor(argv[0], "AOR", aor))
			return -1;
		msg = genl_request(SIPK_CMD_LOC_GET, 0);
		put_str(msg, SIPK_A_AOR, aor);
	} else {
		msg = genl_request(SIPK_CMD_LOC_GET, NLM_F_DUMP);
	}
	req->msg = msg;
	req->ops = &loc_ops;
	return 0;
}

static int loc_flush(int argc, char **argv, struct request *req)
{
	if (argc > 0)
		return unknown_arg("loc", argv[0]);
	/* every owner's contacts: the operator's word is final */
	req->msg = genl_request(SIPK_CMD_LOC_FLUSH, 0);
	return 0;
}

int do_loc(int argc, char **argv, struct request *req)
{
	static const char *const cmds[] = {
		"add", "del", "show", "flush", "help", NULL
	};
	int k;

	if (argc < 1)
		return loc_show(0, NULL, req);
	k = keyword(argv[0], cmds);
	switch (k) {
	case 0:
		return loc_add(argc - 1, argv + 1, req);
	case 1:
		return loc_del(argc - 1, argv + 1, req);
	case 2:
		return loc_show(argc - 1, argv + 1, req);
	case 3:
		return loc_flush(argc - 1, argv + 1, req);
	case 4:
		usage_loc(stdout);
		return 0;
	case KW_AMBIGUOUS:
		return -1;
	}
	return unknown_cmd("loc", argv[0]);
}
