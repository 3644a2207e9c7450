// SPDX-License-Identifier: GPL-2.0
/*
 * sipkctl - the operators' tool for sipk, the in-kernel SIP proxy.
 *
 *	sipkctl [-j] [-b FILE] OBJECT COMMAND ...
 *
 * iproute2's grammar: objects and keywords may be abbreviated to any
 * unambiguous prefix ("sipkctl loc sh"), errors name the word at fault,
 * -j prints JSON from the same code that prints text, -b runs a file of
 * commands over one socket.  See sipkctl(8).
 *
 * Exit status: 0 ok, 1 the kernel refused (or netlink failed), 2 bad
 * usage or input, 3 the sipk module is not loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipkctl.h"

#define BATCH_ARGS_MAX	64

unsigned int batch_line;

static void usage_main(FILE *f)
{
	fprintf(f,
		"Usage: sipkctl [-j] [-b FILE] OBJECT COMMAND ...\n"
		"       sipkctl help [ OBJECT ]\n"
		"       sipkctl OBJECT help\n"
		"Where: OBJECT := { loc | alias | route | config | stats | monitor }\n"
		"         loc      the location table: AOR -> contacts\n"
		"         alias    name mapping: AOR -> AOR\n"
		"         route    domain routes: domain -> next-hop proxy\n"
		"         config   ports, Record-Route, fork policy, table size\n"
		"         stats    the module's counters\n"
		"         monitor  location events as they happen\n"
		"       -j, -json        print JSON\n"
		"       -b, -batch FILE  read commands from FILE (\"-\": stdin), one per line\n"
		"\n");
}

static void usage_all(FILE *f)
{
	usage_main(f);
	usage_loc(f);
	fputc('\n', f);
	usage_alias(f);
	fputc('\n', f);
	usage_route(f);
	fputc('\n', f);
	usage_config(f);
	fputc('\n', f);
	usage_stats(f);
	fputc('\n', f);
	usage_monitor(f);
}

static int do_help(int argc, char **argv, struct request *req);

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct request *req);
	void (*usage)(FILE *f);
} objects[] = {
	{ "loc", do_loc, usage_loc },
	{ "alias", do_alias, usage_alias },
	{ "route", do_route, usage_route },
	{ "config", do_config, usage_config },
	{ "stats", do_stats, usage_stats },
	{ "monitor", do_monitor, usage_monitor },
	{ "help", do_help, usage_all },
};

static int find_object(const char *arg)
{
	const char *names[ARRAY_SIZE(objects) + 1];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(objects); i++)
		names[i] = objects[i].name;
	names[i] = NULL;
	return keyword(arg, names);
}

/* "help" and "help OBJECT" */
static int do_help(int argc, char **argv, struct request *req)
{
	int k = KW_UNKNOWN;

	(void)req;
	if (argc > 1) {
		err_msg("unknown argument \"%s\", try \"sipkctl help\".", argv[1]);
		return -1;
	}
	if (argc == 1) {
		k = find_object(argv[0]);
		if (k == KW_AMBIGUOUS)
			return -1;
		if (k == KW_UNKNOWN)
			return unknown_cmd(NULL, argv[0]);
	}
	if (k >= 0)
		objects[k].usage(stdout);
	else
		usage_all(stdout);
	return 0;
}

/* parses one command (argv from the command line or a batch line) into @req */
int dispatch(int argc, char **argv, struct request *req)
{
	int k;

	memset(req, 0, sizeof(*req));
	k = find_object(argv[0]);
	if (k == KW_AMBIGUOUS)
		return -1;
	if (k == KW_UNKNOWN)
		return unknown_cmd(NULL, argv[0]);
	return objects[k].fn(argc - 1, argv + 1, req);
}

/* sends one request and waits for its answer */
static int run_one(struct request *req)
{
	int err;

	if (req->monitor)
		return run_monitor();
	if (!req->msg)
		return EXIT_OK;
	err = nl_open();
	if (err) {
		nlmsg_free(req->msg);
		return err;
	}
	nl_submit(req->msg, req->ops);
	nl_finish();
	return nl_failures ? EXIT_NETLINK : EXIT_OK;
}

/*
 * Splits a batch line into words: blanks separate, "..." and '...' quote,
 * a word starting with '#' starts a comment.  Returns the count, or -1.
 */
static int split(char *line, char **argv)
{
	int argc = 0;
	char *p = line, *w;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			return argc;
		if (argc == BATCH_ARGS_MAX) {
			err_msg("too many words (at most %d)", BATCH_ARGS_MAX);
			return -1;
		}
		if (*p == '"' || *p == '\'') {
			char q = *p++;

			w = p;
			p = strchr(p, q);
			if (!p) {
				err_msg("unterminated quote %c", q);
				return -1;
			}
		} else {
			w = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\r' &&
			       *p != '\n')
				p++;
		}
		argv[argc++] = w;
		if (!*p)
			return argc;
		*p++ = '\0';
	}
}

/*
 * -b: every line is parsed and checked, the good ones are pipelined over
 * one socket as they come.  A bad line is reported and skipped; the exit
 * status is 2 if any line was bad, else 3 without the module, else 1 if
 * the kernel refused any request.
 */
static int run_batch(const char *name)
{
	FILE *f = strcmp(name, "-") ? fopen(name, "r") : stdin;
	int bad = 0, open_err = -1, n;
	char *line = NULL, *argv[BATCH_ARGS_MAX];
	size_t cap = 0;
	unsigned int lineno = 0;

	if (!f) {
		fprintf(stderr, "sipkctl: cannot open \"%s\": %s\n", name,
			strerror(errno));
		return EXIT_USAGE;
	}
	while (getline(&line, &cap, f) >= 0) {
		struct request req;

		batch_line = ++lineno;
		n = split(line, argv);
		if (n == 0)
			continue;
		if (n < 0 || dispatch(n, argv, &req)) {
			bad++;
			continue;
		}
		if (req.monitor) {
			err_msg("\"monitor\" does not run in batch mode");
			bad++;
			continue;
		}
		if (!req.msg)
			continue;
		if (open_err < 0)
			open_err = nl_open();
		if (open_err) {
			/* keep checking the rest: bad lines still count */
			nlmsg_free(req.msg);
			continue;
		}
		nl_submit(req.msg, req.ops);
	}
	if (ferror(f)) {
		batch_line = 0;
		err_msg("cannot read \"%s\": %s", name, strerror(errno));
		bad++;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	batch_line = 0;
	if (open_err == EXIT_OK)
		nl_finish();
	if (bad)
		return EXIT_USAGE;
	if (open_err > 0)
		return open_err;
	return nl_failures ? EXIT_NETLINK : EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *batch = NULL;
	struct request req;
	bool json = false;

	for (argc--, argv++; argc > 0 && argv[0][0] == '-' && argv[0][1];
	     argc--, argv++) {
		const char *opt = argv[0] + 1;

		if (opt[0] == '-')	/* --json as well as -json */
			opt++;
		if (is_keyword(opt, "json")) {
			json = true;
		} else if (is_keyword(opt, "batch")) {
			if (argc < 2) {
				err_msg("option \"%s\" needs a FILE", argv[0]);
				return EXIT_USAGE;
			}
			batch = argv[1];
			argc--;
			argv++;
		} else if (is_keyword(opt, "help")) {
			usage_all(stdout);
			return EXIT_OK;
		} else {
			err_plain("Option \"%s\" is unknown, try \"sipkctl help\".",
				  argv[0]);
			return EXIT_USAGE;
		}
	}
	print_init(json);

	if (batch) {
		if (argc > 0) {
			err_msg("-b takes its commands from the file, not \"%s\"",
				argv[0]);
			return EXIT_USAGE;
		}
		return run_batch(batch);
	}
	if (argc == 0) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (dispatch(argc, argv, &req))
		return EXIT_USAGE;
	return run_one(&req);
}
