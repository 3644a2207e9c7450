// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - sipkd: command line, start-up, the event loop, signals,
 * counters.  See sipkd(8).
 *
 * Start-up order: configuration and credentials (exit 2/3 on errors),
 * then (unless -f) detach, the child reporting back through a pipe so
 * that the parent exits with the child's start-up status; the database
 * (bindings reloaded, expired ones dropped), the sockets, the kernel
 * (resync: the daemon's entries flushed, the live bindings pushed).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <event2/event.h>

#include "sipkd.h"

unsigned long long stats[ST_MAX];

static const char *const stat_names[ST_MAX] = {
	[ST_RX] = "rx", [ST_RX_REQUEST] = "rx_request",
	[ST_RX_RESPONSE] = "rx_response", [ST_RX_INVITE] = "rx_invite",
	[ST_RX_ACK] = "rx_ack", [ST_RX_BYE] = "rx_bye",
	[ST_RX_CANCEL] = "rx_cancel", [ST_RX_REGISTER] = "rx_register",
	[ST_RX_OPTIONS] = "rx_options", [ST_RX_OTHER] = "rx_other",
	[ST_MALFORMED] = "malformed", [ST_DROPPED] = "dropped",
	[ST_RETRANSMISSION] = "retransmission",
	[ST_FWD_REQUEST] = "fwd_request", [ST_FWD_INVITE] = "fwd_invite",
	[ST_FWD_RESPONSE] = "fwd_response",
	[ST_TX_1XX] = "tx_1xx", [ST_TX_2XX] = "tx_2xx", [ST_TX_3XX] = "tx_3xx",
	[ST_TX_4XX] = "tx_4xx", [ST_TX_5XX] = "tx_5xx", [ST_TX_6XX] = "tx_6xx",
	[ST_TX_RETRANSMIT] = "tx_retransmit",
	[ST_REG_ADDED] = "reg_added", [ST_REG_REFRESHED] = "reg_refreshed",
	[ST_REG_REMOVED] = "reg_removed", [ST_REG_EXPIRED] = "reg_expired",
	[ST_AUTH_CHALLENGE] = "auth_challenge", [ST_AUTH_OK] = "auth_ok",
	[ST_AUTH_FAILED] = "auth_failed", [ST_AUTH_REPLAY] = "auth_replay",
	[ST_KERNEL_ADD] = "kernel_add", [ST_KERNEL_DEL] = "kernel_del",
	[ST_KERNEL_ERROR] = "kernel_error",
	[ST_FORK] = "fork", [ST_FORK_BRANCH] = "fork_branch",
	[ST_FORK_CANCEL] = "fork_cancel", [ST_FORK_ACK] = "fork_ack",
	[ST_FORK_TIMEOUT] = "fork_timeout",
	[ST_FWD_TCP] = "fwd_tcp", [ST_TCP_FALLBACK] = "tcp_fallback",
	[ST_TCP_FAILED] = "tcp_failed", [ST_DNS_RESOLVED] = "dns_resolved",
	[ST_DNS_FAILED] = "dns_failed",
};

void stats_log(void)
{
	char buf[2048];
	size_t n = 0;
	unsigned int aors, bindings, i;

	aors = loc_count(&bindings);
	n += (size_t)snprintf(buf, sizeof(buf), "stats: aors=%u bindings=%u transactions=%u proxied=%u tcp_connections=%u dns_cache=%u kernel=%s",
			      aors, bindings, stx_count(), proxy_count(),
			      transport_conn_count(), dns_cache_count(),
			      kernel_active() ? "on" : "off");
	for (i = 0; i < ST_MAX && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s=%llu",
				      stat_names[i], stats[i]);
	log_notice("%s", buf);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sipkd [OPTIONS]\n"
		"       sipkd --ha1 [--algorithm ALG] USER REALM PASSWORD\n"
		"\n"
		"The registrar, redirect server and slow-path proxy of sipk.\n"
		"\n"
		"  -c, --config FILE    configuration file (default " SIPKD_DEFAULT_CONF ")\n"
		"  -f, --foreground     do not detach; log to stderr\n"
		"  -v, --verbose        more log (info; twice: debug)\n"
		"  -q, --quiet          less log (warning; twice: error)\n"
		"      --db PATH        the database (overrides \"database\")\n"
		"      --no-kernel      never use the sipk module (\"kernel = off\")\n"
		"  -l, --listen ADDR    listen on ADDR[:PORT] (repeatable; overrides \"listen\")\n"
		"  -p, --pid-file FILE  write the process id to FILE\n"
		"  -t, --check          check the configuration and exit\n"
		"      --ha1            print credentials-file lines for USER REALM PASSWORD\n"
		"      --algorithm ALG  with --ha1: MD5 or SHA-256 (default both)\n"
		"  -h, --help           this text\n"
		"  -V, --version        the version\n"
		"\n"
		"Exit status: 0 ok, 1 runtime error, 2 usage, 3 configuration,\n"
		"4 the sipk module is required and missing.\n");
}

static struct event *ev_tick, *ev_sig[5];
static bool started_notice;

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_notice("signal %s: stopping", sig == SIGTERM ? "TERM" : "INT");
		event_base_loopbreak(evbase);
		break;
	case SIGHUP:
		auth_reload();
		break;
	case SIGUSR1:
		stats_log();
		break;
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	static unsigned int ticks;
	time_t now = time(NULL);

	(void)fd;
	(void)what;
	(void)arg;
	ticks++;
	loc_expire(now);
	if (ticks % 10 == 0)
		auth_expire(now);
	if (ticks % 30 == 0)
		transport_refresh_local();
	kernel_poll(now);
}

/* ---- detaching ---- */

static int ready_fd = -1;

/* the parent waits for the child's start-up status */
static void detach(void)
{
	int p[2];
	pid_t pid;
	unsigned char st = EXIT_RUNTIME;

	if (pipe(p)) {
		fprintf(stderr, "sipkd: pipe: %s\n", strerror(errno));
		exit(EXIT_RUNTIME);
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "sipkd: fork: %s\n", strerror(errno));
		exit(EXIT_RUNTIME);
	}
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &st, 1) != 1)
			st = EXIT_RUNTIME;
		_exit(st);
	}
	close(p[0]);
	ready_fd = p[1];
	setsid();
	if (chdir("/")) {
		/* not fatal */
	}
	umask(027);
}

static void report_ready(unsigned char st)
{
	int fd;

	if (ready_fd < 0)
		return;
	log_started();
	if (write(ready_fd, &st, 1) != 1) {
		/* the parent is gone */
	}
	close(ready_fd);
	ready_fd = -1;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static void __attribute__((noreturn)) fail(int st)
{
	report_ready((unsigned char)st);
	exit(st);
}

static void write_pid(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		log_warn("cannot write the pid file %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

int main(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_NO_KERNEL, OPT_HA1, OPT_ALG };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "db", required_argument, NULL, OPT_DB },
		{ "no-kernel", no_argument, NULL, OPT_NO_KERNEL },
		{ "listen", required_argument, NULL, 'l' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 't' },
		{ "ha1", no_argument, NULL, OPT_HA1 },
		{ "algorithm", required_argument, NULL, OPT_ALG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg = NULL, *db = NULL, *pidf = NULL, *alg = NULL;
	const char *listen[MAX_LISTEN];
	unsigned int n_listen = 0, i;
	int verbose = 0, quiet = 0, c, sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	bool fg = false, no_kernel = false, check = false, ha1 = false;
	struct timeval one = { .tv_sec = 1 };
	time_t now;

	while ((c = getopt_long(argc, argv, "c:fvql:p:thV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg = optarg;
			break;
		case 'f':
			fg = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'q':
			quiet++;
			break;
		case OPT_DB:
			db = optarg;
			break;
		case OPT_NO_KERNEL:
			no_kernel = true;
			break;
		case 'l':
			if (n_listen >= MAX_LISTEN) {
				fprintf(stderr, "sipkd: too many -l options (at most %d)\n",
					MAX_LISTEN);
				return EXIT_USAGE;
			}
			listen[n_listen++] = optarg;
			break;
		case 'p':
			pidf = optarg;
			break;
		case 't':
			check = true;
			break;
		case OPT_HA1:
			ha1 = true;
			break;
		case OPT_ALG:
			alg = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("sipkd %s\n", SIPKD_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (ha1) {
		if (argc - optind != 3) {
			fprintf(stderr, "sipkd: --ha1 needs USER REALM PASSWORD\n");
			return EXIT_USAGE;
		}
		return ha1_print(argv[optind], argv[optind + 1],
				 argv[optind + 2], alg);
	}
	if (alg) {
		fprintf(stderr, "sipkd: --algorithm goes with --ha1\n");
		return EXIT_USAGE;
	}
	if (optind < argc) {
		fprintf(stderr, "sipkd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}

	conf_defaults(&conf);
	if (conf_load(&conf, cfg ? cfg : SIPKD_DEFAULT_CONF, cfg != NULL))
		return EXIT_CONFIG;
	if (n_listen) {
		conf.n_listen = 0;
		for (i = 0; i < n_listen; i++)
			if (conf_add_listen(&conf, listen[i], "-l"))
				return EXIT_USAGE;
	}
	if (db) {
		free(conf.database);
		conf.database = strdup(db);
	}
	if (no_kernel)
		conf.kernel = KERNEL_OFF;
	if (pidf) {
		free(conf.pid_file);
		conf.pid_file = strdup(pidf);
	}
	if (verbose) {
		conf.log_level += (enum log_level)verbose;
		if (conf.log_level > LOG_L_DEBUG)
			conf.log_level = LOG_L_DEBUG;
	}
	for (; quiet > 0 && conf.log_level > LOG_L_ERR; quiet--)
		conf.log_level--;
	if (conf_finish(&conf))
		return EXIT_CONFIG;
	if (conf.credentials && auth_load(conf.credentials))
		return EXIT_CONFIG;
	if (check) {
		printf("sipkd: configuration %s OK\n", conf.path);
		return EXIT_OK;
	}

	if (!fg)
		detach();
	log_setup(conf.log_level, conf.log_target, fg);
	signal(SIGPIPE, SIG_IGN);
	if (getrandom(&fwd_key, sizeof(fwd_key), 0) != sizeof(fwd_key) ||
	    getrandom(&tag_key, sizeof(tag_key), 0) != sizeof(tag_key)) {
		log_err("cannot get random bytes for the keys");
		fail(EXIT_RUNTIME);
	}
	evbase = event_base_new();
	if (!evbase) {
		log_err("cannot create the event loop");
		fail(EXIT_RUNTIME);
	}
	now = time(NULL);
	loc_init();
	if (db_open(conf.database) || db_load(now))
		fail(EXIT_RUNTIME);
	if (transport_open())
		fail(EXIT_RUNTIME);
	if (dns_open())
		fail(EXIT_RUNTIME);
	if (kernel_open(conf.kernel))
		fail(EXIT_NO_MODULE);
	kernel_resync(now);

	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		ev_sig[i] = evsignal_new(evbase, sigs[i], on_signal, NULL);
		if (!ev_sig[i] || event_add(ev_sig[i], NULL)) {
			log_err("cannot watch signal %d", sigs[i]);
			fail(EXIT_RUNTIME);
		}
	}
	ev_tick = event_new(evbase, -1, EV_PERSIST, on_tick, NULL);
	if (!ev_tick || event_add(ev_tick, &one)) {
		log_err("cannot start the timer");
		fail(EXIT_RUNTIME);
	}
	if (!conf.domains)
		log_warn("no [domain] in %s: nothing to register or route (404)",
			 conf.path);
	if (conf.pid_file)
		write_pid(conf.pid_file);
	{
		unsigned int b, aors = loc_count(&b);
		char l[MAX_LISTEN * 72] = "";
		size_t n = 0;

		for (i = 0; i < conf.n_listen; i++)
			n += (size_t)snprintf(l + n, sizeof(l) - n, "%s%s",
					      i ? ", " : "", conf.listen[i].text);
		log_notice("sipkd %s started: %u AOR%s, %u binding%s; %s %s; kernel %s",
			   SIPKD_VERSION, aors, aors == 1 ? "" : "s", b,
			   b == 1 ? "" : "s", conf.tcp ? "udp+tcp" : "udp", l,
			   kernel_active() ? "fast path" : "not used");
		started_notice = true;
	}
	report_ready(EXIT_OK);

	event_base_dispatch(evbase);

	stats_log();
	proxy_flush();
	stx_flush();
	event_free(ev_tick);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		event_free(ev_sig[i]);
	dns_close();
	transport_close();
	kernel_close();
	db_close();
	if (conf.pid_file)
		unlink(conf.pid_file);
	event_base_free(evbase);
	log_notice("stopped");
	return EXIT_OK;
}
