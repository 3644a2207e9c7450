// SPDX-License-Identifier: GPL-2.0
/*
 * monitor.c - "sipkctl monitor": one line per location event until
 * interrupted (SIGINT, SIGTERM: exit 0).
 *
 *	added sip:AOR contact URI addr A port P q Q expires S owner O
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "sipkctl.h"

static volatile sig_atomic_t stop;

void usage_monitor(FILE *f)
{
	fprintf(f,
		"Usage: sipkctl monitor\n"
		"       prints \"added\", \"removed\" and \"expired\" location events;\n"
		"       with -j one JSON object per line\n");
}

int do_monitor(int argc, char **argv, struct request *req)
{
	if (argc > 0) {
		if (is_keyword(argv[0], "help") && argc == 1) {
			usage_monitor(stdout);
			return 0;
		}
		return unknown_arg("monitor", argv[0]);
	}
	req->monitor = true;
	return 0;
}

/* an event: AOR, CONTACT{URI, ...}; one line per contact */
static void event(const struct nlmsghdr *nlh)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	char aor[SIPK_AOR_MAX + 1] = "";
	const char *name;
	struct nlattr *a;
	bool any = false;
	int rem;

	switch (g->cmd) {
	case SIPK_CMD_EVENT_LOC_ADDED:
		name = "added";
		break;
	case SIPK_CMD_EVENT_LOC_REMOVED:
		name = "removed";
		break;
	case SIPK_CMD_EVENT_LOC_EXPIRED:
		name = "expired";
		break;
	default:
		return;		/* a newer module's event */
	}
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem)
		if (nla_type(a) == SIPK_A_AOR)
			attr_str(a, aor, sizeof(aor));
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		if (nla_type(a) != SIPK_A_CONTACT)
			continue;
		print_contact(name, aor, a);
		print_doc_end();
		any = true;
	}
	if (!any) {
		print_contact(name, aor, NULL);
		print_doc_end();
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int run_monitor(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;
	struct pollfd pfd = { .events = POLLIN };
	int err;

	err = nl_open_events(&pfd.fd);
	if (err)
		return err;

	/* signals are taken only inside ppoll(): no race with the check */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	while (!stop) {
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "sipkctl: poll: %s\n", strerror(errno));
			return EXIT_NETLINK;
		}
		if (pfd.revents & (POLLERR | POLLNVAL | POLLHUP) &&
		    !(pfd.revents & POLLIN)) {
			fprintf(stderr, "sipkctl: the netlink socket failed\n");
			return EXIT_NETLINK;
		}
		if (nl_read_events(event))
			return EXIT_NETLINK;
	}
	return EXIT_OK;
}
