// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - "sipkctl stats": the module's counters, by name.
 *
 *	stats
 *	stats reset
 */
#include <assert.h>
#include <inttypes.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "sipkctl.h"

/* the names scripts rely on: enum sipk_counter in lower case, without SIPK_CNT_ */
static const char *const counter_names[] = {
	[SIPK_CNT_RX] = "rx",
	[SIPK_CNT_FWD_REQUEST] = "fwd_request",
	[SIPK_CNT_FWD_RESPONSE] = "fwd_response",
	[SIPK_CNT_FWD_INVITE] = "fwd_invite",
	[SIPK_CNT_FWD_ACK] = "fwd_ack",
	[SIPK_CNT_FWD_BYE] = "fwd_bye",
	[SIPK_CNT_FWD_CANCEL] = "fwd_cancel",
	[SIPK_CNT_PUNT_MALFORMED] = "punt_malformed",
	[SIPK_CNT_PUNT_UNSUPPORTED] = "punt_unsupported",
	[SIPK_CNT_PUNT_REGISTER] = "punt_register",
	[SIPK_CNT_PUNT_NO_ROUTE] = "punt_no_route",
	[SIPK_CNT_PUNT_REDIRECT] = "punt_redirect",
	[SIPK_CNT_PUNT_FORK] = "punt_fork",
	[SIPK_CNT_PUNT_MAX_FORWARDS] = "punt_max_forwards",
	[SIPK_CNT_PUNT_FOREIGN_ROUTE] = "punt_foreign_route",
	[SIPK_CNT_PUNT_NOT_OURS] = "punt_not_ours",
	[SIPK_CNT_PUNT_BAD_MAC] = "punt_bad_mac",
	[SIPK_CNT_PUNT_HOSTNAME] = "punt_hostname",
	[SIPK_CNT_PUNT_TOO_BIG] = "punt_too_big",
	[SIPK_CNT_PUNT_NO_ROUTE_OUT] = "punt_no_route_out",
	[SIPK_CNT_PUNT_LOOP] = "punt_loop",
	[SIPK_CNT_PUNT_NOMEM] = "punt_nomem",
	[SIPK_CNT_DROP_XMIT] = "drop_xmit",
	[SIPK_CNT_EXPIRED] = "expired",
};

static_assert(ARRAY_SIZE(counter_names) == __SIPK_CNT_MAX,
	      "a counter of enum sipk_counter has no name in stats.c");

/* counters a newer module may add are shown by number */
#define COUNTERS_SHOWN	(__SIPK_CNT_MAX + 64)

void usage_stats(FILE *f)
{
	fprintf(f,
		"Usage: sipkctl stats\n"
		"       sipkctl stats reset\n");
}

/* "name value" per line; one object with -j */
static void stats_reply(const struct nlmsghdr *nlh)
{
	struct nlattr *tb[SIPK_A_MAX + 1], *a;
	uint64_t val[COUNTERS_SHOWN];
	bool have[COUNTERS_SHOWN] = { false };
	char name[32];
	int rem, id;

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, SIPK_A_MAX, NULL) ||
	    !tb[SIPK_A_STATS])
		return;
	/* type = counter + 1; padding (if any) is not 8 octets long */
	nla_for_each_nested(a, tb[SIPK_A_STATS], rem) {
		id = nla_type(a) - 1;
		if (id < 0 || id >= COUNTERS_SHOWN || nla_len(a) != 8)
			continue;
		memcpy(&val[id], nla_data(a), 8);
		have[id] = true;
	}
	for (id = 0; id < COUNTERS_SHOWN; id++) {
		if (!have[id])
			continue;
		if (id < __SIPK_CNT_MAX && counter_names[id])
			snprintf(name, sizeof(name), "%s", counter_names[id]);
		else
			snprintf(name, sizeof(name), "counter_%d", id);
		print_string(PRINT_FP, NULL, "%-20s", name);
		print_u64(PRINT_ANY, name, "%" PRIu64, val[id]);
		print_nl();
	}
}

static const struct reply_ops stats_ops = {
	.begin = print_object_begin,
	.reply = stats_reply,
	.end = print_object_end,
};

int do_stats(int argc, char **argv, struct request *req)
{
	static const char *const cmds[] = { "reset", "help", NULL };
	int k;

	if (argc < 1) {
		req->msg = genl_request(SIPK_CMD_STATS_GET, 0);
		req->ops = &stats_ops;
		return 0;
	}
	k = keyword(argv[0], cmds);
	switch (k) {
	case 0:
		if (argc > 1)
			return unknown_arg("stats", argv[1]);
		req->msg = genl_request(SIPK_CMD_STATS_RESET, 0);
		return 0;
	case 1:
		usage_stats(stdout);
		return 0;
	case KW_AMBIGUOUS:
		return -1;
	}
	return unknown_cmd("stats", argv[0]);
}
