// SPDX-License-Identifier: GPL-2.0
/*
 * sipload - load generator and sink of the sipk benchmark.
 *
 *   sipload send     sends SIP requests from prebuilt templates with
 *                    sendmmsg(), rate-limited or saturating, each with its
 *                    own Call-ID and branch and a send timestamp; counts
 *                    and checks the responses that come back; samples
 *                    /proc/stat over the measurement window.
 *   sipload sink     receives with recvmmsg(), parses every datagram with
 *                    the SIP core that sipk.ko runs, checks it went through
 *                    the proxy under test, measures one-way latency from
 *                    the embedded timestamp, optionally answers each
 *                    request with a 200 so responses flow back.
 *   sipload register fills a registrar with N contacts, answering digest
 *                    challenges, and measures the registration rate.
 *   sipload creds    prints the credentials (HA1s) of N users for sipkd
 *                    or Kamailio.
 *   sipload batch    prints a sipkctl batch file that adds N contacts.
 *   sipload now      prints the clock the timestamps and windows use.
 *
 * Sender and sink agree on a time window [start + warmup, + duration)
 * given on both command lines; only messages *sent* inside it count, and
 * the sink keeps receiving for --drain seconds after it so that a slow
 * proxy's queue still counts as delivered (late, with its latency).
 * Every timestamp is CLOCK_REALTIME in ns, the clock of SO_TIMESTAMPNS:
 * latency is measured from just before sendmmsg() to the kernel's receive
 * timestamp at the sink, both in the same machine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sip_core.h"

#define BATCH_MAX	256
#define DGRAM_MAX	2048
#define AOR_DIGITS	7		/* u0000000 .. u9999999 */
#define HEX16		16
#define SEQ_BITMAP_MAX	(1u << 26)	/* duplicate detection: 64 Mi messages */

static const char *prog = "sipload";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = t / 1000000000ull,
		.tv_nsec = t % 1000000000ull,
	};

	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ---- addresses ---- */

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char host[128];		/* as written, without brackets */
	int has_port;
};

/* "1.2.3.4:5060", "1.2.3.4", "[2001:db8::1]:5060", "2001:db8::1" */
static int parse_addr(const char *s, struct addr *a, int default_port)
{
	char buf[128];
	char *host = buf, *port = NULL;

	memset(a, 0, sizeof(*a));
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if (buf[0] == '[') {
		char *rb = strchr(buf, ']');

		if (!rb)
			return -1;
		*rb = 0;
		host = buf + 1;
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1])
			return -1;
	} else {
		char *c = strchr(buf, ':');

		if (c && !strchr(c + 1, ':')) {
			*c = 0;
			port = c + 1;
		}
	}
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->has_port = port != NULL;
	int p = port ? atoi(port) : default_port;

	if (p < 0 || p > 65535)
		return -1;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;

	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p);
		a->len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p);
		a->len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* same address, and the same port when @want has one */
static int addr_match(const struct addr *want, const struct sockaddr_storage *got)
{
	if (want->ss.ss_family != got->ss_family)
		return 0;
	if (want->ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&want->ss, *b = (const void *)got;

		if (a->sin_addr.s_addr != b->sin_addr.s_addr)
			return 0;
	} else {
		const struct sockaddr_in6 *a = (const void *)&want->ss, *b = (const void *)got;

		if (memcmp(&a->sin6_addr, &b->sin6_addr, 16))
			return 0;
	}
	return !want->has_port || addr_port(&want->ss) == addr_port(got);
}

/* the host as it appears in a SIP URI or Via: brackets for IPv6 */
static void uri_host(const struct addr *a, char *out, size_t n)
{
	if (a->ss.ss_family == AF_INET6)
		snprintf(out, n, "[%s]", a->host);
	else
		snprintf(out, n, "%s", a->host);
}

static int udp_socket(const struct addr *bind_to, int rcvbuf)
{
	int fd = socket(bind_to->ss.ss_family, SOCK_DGRAM, 0);
	int one = 1;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rcvbuf > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (const struct sockaddr *)&bind_to->ss, bind_to->len))
		die("bind %s:%d: %s", bind_to->host, addr_port(&bind_to->ss),
		    strerror(errno));
	return fd;
}

static void set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* ---- fixed-width fields patched into prebuilt messages ---- */

static const char hexdig[] = "0123456789abcdef";

static void put_hex16(char *p, uint64_t v)
{
	for (int i = HEX16 - 1; i >= 0; i--, v >>= 4)
		p[i] = hexdig[v & 15];
}

static void put_dec_w(char *p, unsigned int v, int w)
{
	for (int i = w - 1; i >= 0; i--, v /= 10)
		p[i] = '0' + v % 10;
}

static int get_hex16(const u8 *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n < HEX16)
		return -1;
	for (int i = 0; i < HEX16; i++) {
		u8 c = p[i];

		if (c >= '0' && c <= '9')
			x = x << 4 | (c - '0');
		else if (c >= 'a' && c <= 'f')
			x = x << 4 | (c - 'a' + 10);
		else
			return -1;
	}
	*v = x;
	return 0;
}

/* Call-ID of the bench: "bn" SEQ16 "-" TS16 "@host"; the tag for responses */
#define CALLID_PREFIX	"bn"
#define BRANCH_PREFIX	"z9hG4bKbn"

static int callid_decode(const struct sipk_msg *m, uint64_t *seq, uint64_t *ts)
{
	const u8 *p = sipk_ptr(m, m->call_id.value);
	size_t n = m->call_id.value.len;

	if (n < 2 + HEX16 + 1 + HEX16 || memcmp(p, CALLID_PREFIX, 2) ||
	    p[2 + HEX16] != '-')
		return -1;
	if (get_hex16(p + 2, HEX16, seq) ||
	    get_hex16(p + 3 + HEX16, HEX16, ts))
		return -1;
	return 0;
}

/* ---- latency samples ---- */

struct samples {
	uint32_t *v;		/* microseconds */
	size_t n, cap;
	uint64_t over;		/* samples that did not fit */
};

static void sample_add(struct samples *s, int64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		uint32_t *v;

		if (cap > (64u << 20) || !(v = realloc(s->v, cap * sizeof(*v)))) {
			s->over++;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	if (ns < 0)
		ns = 0;
	s->v[s->n++] = ns / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(ns / 1000);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const struct samples *s, double p)
{
	if (!s->n)
		return -1;
	size_t i = (size_t)(p / 100.0 * (s->n - 1) + 0.5);

	return s->v[i];
}

static void samples_json(FILE *f, const char *name, struct samples *s)
{
	qsort(s->v, s->n, sizeof(*s->v), cmp_u32);
	fprintf(f, "\"%s\": {\"n\": %zu, \"p50_us\": %.0f, \"p90_us\": %.0f, "
		"\"p99_us\": %.0f, \"max_us\": %.0f}", name, s->n, pct(s, 50),
		pct(s, 90), pct(s, 99), s->n ? (double)s->v[s->n - 1] : -1.0);
}

static void touch_file(const char *path)
{
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (f)
		fclose(f);
}

/* ---- the window ---- */

struct window {
	uint64_t start, w0, w1, end;
	double warmup, duration, drain;
};

static void window_init(struct window *w, uint64_t start)
{
	uint64_t now = now_ns();

	w->start = start ? start : now;
	w->w0 = w->start + (uint64_t)(w->warmup * 1e9);
	w->w1 = w->w0 + (uint64_t)(w->duration * 1e9);
	w->end = w->w1 + (uint64_t)(w->drain * 1e9);
	if (now > w->w0)
		fprintf(stderr, "%s: warning: started %.3f s after the window opened\n",
			prog, (now - w->w0) / 1e9);
}

/*
 * --ready FILE --go FILE: say we are set up, then wait (at most a minute)
 * until the driver writes the start time into the go file, so that a
 * process slow to start does not miss the window.
 */
static uint64_t wait_go(const char *ready, const char *go, uint64_t start)
{
	uint64_t deadline = now_ns() + 60000000000ull;

	touch_file(ready);
	if (!go)
		return start;
	while (now_ns() < deadline) {
		FILE *f = fopen(go, "r");
		unsigned long long t;

		if (f) {
			int n = fscanf(f, "%llu", &t);

			fclose(f);
			if (n == 1 && t)
				return t;
		}
		usleep(5000);
	}
	die("no start time in %s", go);
	return 0;
}

static int in_window(const struct window *w, uint64_t ts)
{
	return ts >= w->w0 && ts < w->w1;
}

/* ---- /proc/stat ---- */

#define CPUS_MAX	64

/* user nice system idle iowait irq softirq steal, for the total and each CPU */
struct cpustat {
	uint64_t t;		/* ns */
	int n;			/* CPUs seen */
	unsigned long long all[8];
	unsigned long long cpu[CPUS_MAX][8];
};

static void cpustat_read(struct cpustat *c)
{
	char line[512];
	FILE *f = fopen("/proc/stat", "r");

	memset(c, 0, sizeof(*c));
	c->t = now_ns();
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8];
		int id;

		if (strncmp(line, "cpu", 3))
			break;
		if (line[3] == ' ') {
			if (sscanf(line + 3, "%llu %llu %llu %llu %llu %llu %llu %llu",
				   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8)
				memcpy(c->all, v, sizeof(v));
			continue;
		}
		if (sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &id,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 9 &&
		    id >= 0 && id < CPUS_MAX) {
			memcpy(c->cpu[id], v, sizeof(v));
			if (id + 1 > c->n)
				c->n = id + 1;
		}
	}
	fclose(f);
}

static void cpu_fields_json(FILE *f, const unsigned long long *a,
			    const unsigned long long *b, double wall, int ncpu)
{
	double hz = sysconf(_SC_CLK_TCK), d[8];

	for (int i = 0; i < 8; i++)
		d[i] = (double)(b[i] - a[i]) / hz;
	double idle = d[3] + d[4];

	fprintf(f, "{\"busy_s\": %.4f, \"idle_s\": %.4f, \"user_s\": %.3f, "
		"\"system_s\": %.3f, \"irq_s\": %.3f, \"softirq_s\": %.3f, "
		"\"steal_s\": %.3f}", ncpu * wall - idle, idle, d[0] + d[1], d[2],
		d[5], d[6], d[7]);
}

/*
 * Busy CPU time over the window, in total and per CPU.  Idle and iowait
 * in /proc/stat come from the nohz idle clock (exact, in USER_HZ units);
 * the other fields are sampled at the tick, so busy = wall - idle is the
 * precise one, and the per-field split is shown as well.
 */
static void cpustat_json(FILE *f, const struct cpustat *a, const struct cpustat *b)
{
	double wall = (b->t - a->t) / 1e9;

	fprintf(f, "\"cpu\": {\"ncpu\": %d, \"wall_s\": %.4f, \"all\": ", b->n, wall);
	cpu_fields_json(f, a->all, b->all, wall, b->n);
	fprintf(f, ", \"per_cpu\": [");
	for (int i = 0; i < b->n; i++) {
		fprintf(f, "%s", i ? ", " : "");
		cpu_fields_json(f, a->cpu[i], b->cpu[i], wall, 1);
	}
	fprintf(f, "]}");
}

/* ---- common options ---- */

struct opts {
	struct addr src, dst, bind;
	int have_src, have_dst, have_bind;
	double rate;
	uint64_t start;
	struct window win;
	unsigned int aors, first;
	const char *aor_prefix;
	char aor_host[80];
	char contact_host[80];
	const char *method;
	int batch;
	int responses;
	struct addr resp_src;
	int have_resp_src;
	const char *json;
	const char *ready;
	const char *dump;	/* the first few invalid datagrams go here */
	const char *go;		/* wait for this file: it holds the start time */
	uint64_t seed;
	int body;
	/* sink expectations */
	int respond;
	int hops, mf;
	const char *via_host, *branch_prefix, *ruri_host;
	struct addr exp_src;
	int have_exp_src;
	int rcvbuf;
	int count;
	const char *user;
	const char *password;	/* register: answer 401s with a digest */
	unsigned int window;	/* register: REGISTERs unanswered at most */
	const char *realm;	/* creds */
	const char *format;	/* creds: sipkd or kamailio */
};

enum {
	O_SRC = 256, O_DST, O_BIND, O_RATE, O_START, O_WARMUP, O_DURATION,
	O_DRAIN, O_AORS, O_FIRST, O_PREFIX, O_AOR_HOST, O_CONTACT_HOST,
	O_METHOD, O_BATCH, O_RESPONSES, O_RESP_SRC, O_JSON, O_READY, O_SEED,
	O_NOBODY, O_RESPOND, O_HOPS, O_MF, O_VIA_HOST, O_BRANCH, O_RURI_HOST,
	O_EXP_SRC, O_RCVBUF, O_COUNT, O_USER, O_DUMP, O_GO, O_PASSWORD,
	O_WINDOW, O_REALM, O_FORMAT,
};

static const struct option longopts[] = {
	{ "src", required_argument, NULL, O_SRC },
	{ "dst", required_argument, NULL, O_DST },
	{ "bind", required_argument, NULL, O_BIND },
	{ "rate", required_argument, NULL, O_RATE },
	{ "start", required_argument, NULL, O_START },
	{ "warmup", required_argument, NULL, O_WARMUP },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "drain", required_argument, NULL, O_DRAIN },
	{ "aors", required_argument, NULL, O_AORS },
	{ "first", required_argument, NULL, O_FIRST },
	{ "prefix", required_argument, NULL, O_PREFIX },
	{ "aor-host", required_argument, NULL, O_AOR_HOST },
	{ "contact-host", required_argument, NULL, O_CONTACT_HOST },
	{ "method", required_argument, NULL, O_METHOD },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "responses", no_argument, NULL, O_RESPONSES },
	{ "resp-src", required_argument, NULL, O_RESP_SRC },
	{ "json", required_argument, NULL, O_JSON },
	{ "ready", required_argument, NULL, O_READY },
	{ "seed", required_argument, NULL, O_SEED },
	{ "no-body", no_argument, NULL, O_NOBODY },
	{ "respond", no_argument, NULL, O_RESPOND },
	{ "hops", required_argument, NULL, O_HOPS },
	{ "max-forwards", required_argument, NULL, O_MF },
	{ "via-host", required_argument, NULL, O_VIA_HOST },
	{ "branch-prefix", required_argument, NULL, O_BRANCH },
	{ "ruri-host", required_argument, NULL, O_RURI_HOST },
	{ "expect-src", required_argument, NULL, O_EXP_SRC },
	{ "rcvbuf", required_argument, NULL, O_RCVBUF },
	{ "count", required_argument, NULL, O_COUNT },
	{ "user", required_argument, NULL, O_USER },
	{ "dump", required_argument, NULL, O_DUMP },
	{ "go", required_argument, NULL, O_GO },
	{ "password", required_argument, NULL, O_PASSWORD },
	{ "window", required_argument, NULL, O_WINDOW },
	{ "realm", required_argument, NULL, O_REALM },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
"usage: sipload send --src ADDR:PORT --dst ADDR:PORT [--rate MSGS/S (0: saturate)]\n"
"                    [--aors N] [--first I] [--prefix u] [--aor-host HOST]\n"
"                    [--method INVITE|OPTIONS|...] [--no-body] [--batch N]\n"
"                    [--responses [--resp-src ADDR[:PORT]]] [WINDOW] [--json FILE]\n"
"       sipload sink --bind ADDR:PORT [--respond] [--hops N] [--max-forwards N]\n"
"                    [--via-host H] [--branch-prefix P] [--ruri-host H]\n"
"                    [--expect-src ADDR[:PORT]] [WINDOW] [--json FILE] [--ready FILE]\n"
"                    [--dump FILE]  (send and sink: the first invalid datagrams)\n"
"       sipload register --src ADDR:PORT --dst ADDR:PORT (--count N [--first I]\n"
"                    [--prefix u] | --user NAME) --aor-host H --contact-host H[:P]\n"
"                    [--password P (answer 401 with a digest)] [--window N]\n"
"                    [--json FILE]  (the registration rate)\n"
"       sipload creds --count N [--first I] [--prefix u] --realm R --password P\n"
"                    --format sipkd|kamailio  (credentials: HA1 = MD5(u:R:P))\n"
"       sipload batch --count N [--first I] [--prefix u] --aor-host H --contact-host H[:P]\n"
"       sipload now          (the clock of timestamps and windows, ns)\n"
"       sipload at NS        (sleep until then)\n"
"       sipload wait FILE S  (until FILE exists, at most S seconds)\n"
"WINDOW: --start NS (sipload now) --warmup S --duration S --drain S\n"
"        [--ready FILE --go FILE]  (touch FILE when set up, then wait for a\n"
"        start time in the go file)\n");
	exit(rc);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->aors = 1000;
	o->aor_prefix = "u";
	snprintf(o->aor_host, sizeof(o->aor_host), "198.18.1.1");
	snprintf(o->contact_host, sizeof(o->contact_host), "198.18.2.2:5060");
	o->method = "INVITE";
	o->batch = 32;
	o->win.warmup = 0.5;
	o->win.duration = 3;
	o->win.drain = 0.5;
	o->seed = 0x5eed;
	o->body = 1;
	o->hops = -1;
	o->mf = -1;
	o->rcvbuf = 8 << 20;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_SRC:
			if (parse_addr(optarg, &o->src, 5060))
				die("bad address %s", optarg);
			o->have_src = 1;
			break;
		case O_DST:
			if (parse_addr(optarg, &o->dst, 5060))
				die("bad address %s", optarg);
			o->have_dst = 1;
			break;
		case O_BIND:
			if (parse_addr(optarg, &o->bind, 5060))
				die("bad address %s", optarg);
			o->have_bind = 1;
			break;
		case O_RESP_SRC:
			if (parse_addr(optarg, &o->resp_src, 5060))
				die("bad address %s", optarg);
			o->have_resp_src = 1;
			break;
		case O_EXP_SRC:
			if (parse_addr(optarg, &o->exp_src, 5060))
				die("bad address %s", optarg);
			o->have_exp_src = 1;
			break;
		case O_RATE:
			o->rate = atof(optarg);
			break;
		case O_START:
			o->start = strtoull(optarg, NULL, 10);
			break;
		case O_WARMUP:
			o->win.warmup = atof(optarg);
			break;
		case O_DURATION:
			o->win.duration = atof(optarg);
			break;
		case O_DRAIN:
			o->win.drain = atof(optarg);
			break;
		case O_AORS:
			o->aors = strtoul(optarg, NULL, 10);
			break;
		case O_FIRST:
			o->first = strtoul(optarg, NULL, 10);
			break;
		case O_PREFIX:
			o->aor_prefix = optarg;
			break;
		case O_AOR_HOST:
			snprintf(o->aor_host, sizeof(o->aor_host), "%s", optarg);
			break;
		case O_CONTACT_HOST:
			snprintf(o->contact_host, sizeof(o->contact_host), "%s", optarg);
			break;
		case O_METHOD:
			o->method = optarg;
			break;
		case O_BATCH:
			o->batch = atoi(optarg);
			break;
		case O_RESPONSES:
			o->responses = 1;
			break;
		case O_JSON:
			o->json = optarg;
			break;
		case O_READY:
			o->ready = optarg;
			break;
		case O_SEED:
			o->seed = strtoull(optarg, NULL, 0);
			break;
		case O_NOBODY:
			o->body = 0;
			break;
		case O_RESPOND:
			o->respond = 1;
			break;
		case O_HOPS:
			o->hops = atoi(optarg);
			break;
		case O_MF:
			o->mf = atoi(optarg);
			break;
		case O_VIA_HOST:
			o->via_host = optarg;
			break;
		case O_BRANCH:
			o->branch_prefix = optarg;
			break;
		case O_RURI_HOST:
			o->ruri_host = optarg;
			break;
		case O_RCVBUF:
			o->rcvbuf = atoi(optarg);
			break;
		case O_COUNT:
			o->count = atoi(optarg);
			break;
		case O_USER:
			o->user = optarg;
			break;
		case O_DUMP:
			o->dump = optarg;
			break;
		case O_GO:
			o->go = optarg;
			break;
		case O_PASSWORD:
			o->password = optarg;
			break;
		case O_WINDOW:
			o->window = (unsigned int)atoi(optarg);
			break;
		case O_REALM:
			o->realm = optarg;
			break;
		case O_FORMAT:
			o->format = optarg;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (o->batch < 1 || o->batch > BATCH_MAX)
		die("--batch must be 1..%d", BATCH_MAX);
	if (o->aors < 1 || o->aors + o->first > 10000000u)
		die("--aors/--first: at most 10000000 AORs");
	if (strlen(o->aor_prefix) > 32)
		die("--prefix too long");
}

static FILE *json_open(const struct opts *o)
{
	FILE *f;

	if (!o->json || !strcmp(o->json, "-"))
		return stdout;
	f = fopen(o->json, "w");
	if (!f)
		die("%s: %s", o->json, strerror(errno));
	return f;
}

static void json_close(FILE *f)
{
	if (f != stdout)
		fclose(f);
	else
		fflush(f);
}

/* ---- message checks ---- */

enum bad {
	BAD_PARSE, BAD_KIND, BAD_HOPS, BAD_MF, BAD_VIA_HOST, BAD_BRANCH,
	BAD_SRC, BAD_RURI, BAD_CALLID, BAD_STATUS, BAD_DUP, __BAD_MAX
};

static const char * const bad_names[__BAD_MAX] = {
	"parse", "kind", "hops", "max_forwards", "via_host", "branch",
	"source", "request_uri", "call_id", "status", "duplicate",
};

struct counts {
	uint64_t rx;		/* datagrams */
	uint64_t valid;		/* well-formed and through the proxy */
	uint64_t bad[__BAD_MAX];
	uint64_t win_valid;	/* valid and sent inside the window */
	uint64_t late;		/* valid, in the window, after it closed */
	struct samples lat;
};

static void counts_json(FILE *f, struct counts *c, double duration)
{
	uint64_t bad = 0;

	for (int i = 0; i < __BAD_MAX; i++)
		bad += c->bad[i];
	fprintf(f, "\"rx\": %" PRIu64 ", \"valid\": %" PRIu64 ", \"invalid\": %" PRIu64
		", \"window_valid\": %" PRIu64 ", \"late\": %" PRIu64
		", \"rate\": %.1f, \"bad\": {", c->rx, c->valid, bad, c->win_valid,
		c->late, duration > 0 ? c->win_valid / duration : 0.0);
	for (int i = 0; i < __BAD_MAX; i++)
		fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", bad_names[i], c->bad[i]);
	fprintf(f, "}, ");
	samples_json(f, "latency", &c->lat);
}

/* keep the first few invalid datagrams for a human to look at */
static void dump_bad(const char *path, const struct counts *c, const u8 *buf, size_t len)
{
	uint64_t bad = 0;
	FILE *f;

	for (int i = 0; i < __BAD_MAX; i++)
		bad += c->bad[i];
	if (!path || bad > 3)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	for (int i = 0; i < __BAD_MAX; i++)
		if (c->bad[i])
			fprintf(f, "---- invalid so far: %s=%" PRIu64 "\n", bad_names[i], c->bad[i]);
	fwrite(buf, 1, len, f);
	fputs("\n", f);
	fclose(f);
}

static int str_is(const struct sipk_msg *m, struct sipk_str s, const char *lit)
{
	return s.len == strlen(lit) && sipk_str_caseeq(m, s, lit);
}

static int str_prefix(const struct sipk_msg *m, struct sipk_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len >= n && !memcmp(sipk_ptr(m, s), lit, n);
}

/* bitmap of sequence numbers seen, for duplicates */
struct seen {
	uint8_t *bits;
};

static int seen_test_set(struct seen *s, uint64_t seq)
{
	if (seq >= SEQ_BITMAP_MAX)
		return 0;
	if (!s->bits && !(s->bits = calloc(SEQ_BITMAP_MAX / 8, 1)))
		return 0;
	uint8_t m = 1u << (seq & 7);
	int was = s->bits[seq >> 3] & m;

	s->bits[seq >> 3] |= m;
	return was;
}

/*
 * A request at the sink: well-formed by the SIP core, and carrying what
 * the proxy under test does to a request (the expectations).  Return -1
 * and count why when not.
 */
static int check_request(const struct opts *o, struct counts *c, struct seen *seen,
			 const struct sipk_msg *m, const struct sockaddr_storage *from,
			 uint64_t *ts)
{
	uint64_t seq;
	enum bad why;

	if (m->verdict != SIPK_OK) {
		why = BAD_PARSE;
		goto bad;
	}
	if (!m->is_request) {
		why = BAD_KIND;
		goto bad;
	}
	if (o->hops >= 0 && m->via_count != o->hops) {
		why = BAD_HOPS;
		goto bad;
	}
	if (o->mf >= 0 && m->max_forwards != o->mf) {
		why = BAD_MF;
		goto bad;
	}
	if (o->via_host && !str_is(m, m->via[0].host, o->via_host)) {
		why = BAD_VIA_HOST;
		goto bad;
	}
	if (o->branch_prefix && !str_prefix(m, m->via[0].branch, o->branch_prefix)) {
		why = BAD_BRANCH;
		goto bad;
	}
	if (o->have_exp_src && !addr_match(&o->exp_src, from)) {
		why = BAD_SRC;
		goto bad;
	}
	/* retargeted to the contact of the AOR named in To */
	if ((o->ruri_host && !str_is(m, m->ruri.host, o->ruri_host)) ||
	    m->ruri.user.len != m->to.uri.user.len ||
	    memcmp(sipk_ptr(m, m->ruri.user), sipk_ptr(m, m->to.uri.user),
		   m->ruri.user.len)) {
		why = BAD_RURI;
		goto bad;
	}
	if (callid_decode(m, &seq, ts)) {
		why = BAD_CALLID;
		goto bad;
	}
	if (seen_test_set(seen, seq)) {
		why = BAD_DUP;
		goto bad;
	}
	return 0;
bad:
	c->bad[why]++;
	return -1;
}

/* ---- responder: a 200 for a request, to its top Via (RFC 3261 18.2.2) ---- */

static int hdr_name_is(const u8 *p, size_t n, const char *full, char compact)
{
	size_t l = strlen(full);

	if (n == 1)
		return (p[0] | 0x20) == compact;
	if (n != l)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((p[i] | 0x20) != (full[i] | 0x20))
			return 0;
	return 1;
}

static int build_response(const struct sipk_msg *m, u8 *out, size_t cap)
{
	const u8 *b = m->buf;
	size_t p = 0, n = 0;
	int copying = 0;
	static const char status[] = "SIP/2.0 200 OK\r\n";

	if (cap < sizeof(status) + 64)
		return -1;
	memcpy(out, status, sizeof(status) - 1);
	n = sizeof(status) - 1;
	/* skip the request line */
	while (p + 1 < m->hdr_end && !(b[p] == '\r' && b[p + 1] == '\n'))
		p++;
	p += 2;
	while (p < m->hdr_end) {
		size_t e = p, name_end;

		while (e + 1 < (size_t)m->hdr_end + 2 && !(b[e] == '\r' && b[e + 1] == '\n'))
			e++;
		e += 2;		/* past CRLF */
		if (b[p] == ' ' || b[p] == '\t') {
			/* continuation of the previous header */
		} else {
			name_end = p;
			while (name_end < e && b[name_end] != ':' &&
			       b[name_end] != ' ' && b[name_end] != '\t')
				name_end++;
			copying = hdr_name_is(b + p, name_end - p, "via", 'v') ||
				  hdr_name_is(b + p, name_end - p, "from", 'f') ||
				  hdr_name_is(b + p, name_end - p, "call-id", 'i') ||
				  hdr_name_is(b + p, name_end - p, "cseq", '\0') ||
				  hdr_name_is(b + p, name_end - p, "to", 't');
			if (copying && hdr_name_is(b + p, name_end - p, "to", 't') &&
			    !m->to.tag.len) {
				static const char tag[] = ";tag=bnr";

				if (n + (e - p) + sizeof(tag) > cap)
					return -1;
				memcpy(out + n, b + p, e - p - 2);
				n += e - p - 2;
				memcpy(out + n, tag, sizeof(tag) - 1);
				n += sizeof(tag) - 1;
				out[n++] = '\r';
				out[n++] = '\n';
				p = e;
				continue;
			}
		}
		if (copying) {
			if (n + (e - p) > cap)
				return -1;
			memcpy(out + n, b + p, e - p);
			n += e - p;
		}
		p = e;
	}
	static const char tail[] = "Content-Length: 0\r\n\r\n";

	if (n + sizeof(tail) > cap)
		return -1;
	memcpy(out + n, tail, sizeof(tail) - 1);
	return n + sizeof(tail) - 1;
}

/* where a response to @m goes: received/rport of the top Via, else sent-by */
static int response_dest(const struct sipk_msg *m, const struct sockaddr_storage *from,
			 struct sockaddr_storage *to, socklen_t *tolen)
{
	const struct sipk_via *v = &m->via[0];
	struct sipk_addr a;
	int port = v->port ? v->port : 5060;

	if (v->has_received && v->received.len) {
		if (sipk_parse_ip(sipk_ptr(m, v->received), v->received.len, &a))
			return -1;
	} else if (sipk_parse_ip(sipk_ptr(m, v->host), v->host.len, &a)) {
		return -1;
	}
	if (v->has_rport && v->rport.len)
		port = atoi((const char *)sipk_ptr(m, v->rport));
	else if (v->has_rport)
		port = addr_port(from);
	memset(to, 0, sizeof(*to));
	if (a.family == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)to;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, a.addr, 4);
		s->sin_port = htons(port);
		*tolen = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)to;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a.addr, 16);
		s->sin6_port = htons(port);
		*tolen = sizeof(*s);
	}
	return 0;
}

/* ---- receive side shared by sink and sender ---- */

struct rxbuf {
	struct mmsghdr hdr[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct sockaddr_storage from[BATCH_MAX];
	char ctl[BATCH_MAX][64];
	u8 buf[BATCH_MAX][DGRAM_MAX];
};

static void rxbuf_init(struct rxbuf *r, int n)
{
	for (int i = 0; i < n; i++) {
		r->iov[i].iov_base = r->buf[i];
		r->iov[i].iov_len = DGRAM_MAX;
		r->hdr[i].msg_hdr = (struct msghdr) {
			.msg_name = &r->from[i],
			.msg_namelen = sizeof(r->from[i]),
			.msg_iov = &r->iov[i],
			.msg_iovlen = 1,
			.msg_control = r->ctl[i],
			.msg_controllen = sizeof(r->ctl[i]),
		};
	}
}

static void rxbuf_rearm(struct rxbuf *r, int n)
{
	for (int i = 0; i < n; i++) {
		r->hdr[i].msg_hdr.msg_namelen = sizeof(r->from[i]);
		r->hdr[i].msg_hdr.msg_controllen = sizeof(r->ctl[i]);
	}
}

/* the kernel's receive timestamp, else now */
static uint64_t rx_stamp(const struct msghdr *h, uint64_t fallback)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)h); c;
	     c = CMSG_NXTHDR((struct msghdr *)h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
		}
	}
	return fallback;
}

static void enable_stamps(int fd)
{
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
}

/* ---- sink ---- */

static int cmd_sink(struct opts *o)
{
	static struct rxbuf rx;
	static u8 txbuf[BATCH_MAX][DGRAM_MAX];
	struct mmsghdr txh[BATCH_MAX];
	struct iovec txiov[BATCH_MAX];
	struct sockaddr_storage txto[BATCH_MAX];
	struct counts c = { 0 };
	struct seen seen = { 0 };
	uint64_t responded = 0, resp_fail = 0;
	int fd, batch = BATCH_MAX;

	if (!o->have_bind)
		die("sink: --bind is required");
	fd = udp_socket(&o->bind, o->rcvbuf);
	enable_stamps(fd);
	set_rcvtimeo(fd, 50);
	rxbuf_init(&rx, batch);
	window_init(&o->win, wait_go(o->ready, o->go, o->start));

	while (now_ns() < o->win.end) {
		int n = recvmmsg(fd, rx.hdr, batch, MSG_WAITFORONE, NULL);
		int nt = 0;

		if (n <= 0)
			continue;
		uint64_t now = now_ns();

		for (int i = 0; i < n; i++) {
			struct sipk_msg m;
			uint64_t ts;
			struct msghdr *h = &rx.hdr[i].msg_hdr;

			c.rx++;
			sipk_parse(rx.buf[i], rx.hdr[i].msg_len, &m);
			if (check_request(o, &c, &seen, &m, &rx.from[i], &ts)) {
				dump_bad(o->dump, &c, rx.buf[i], rx.hdr[i].msg_len);
				continue;
			}
			c.valid++;
			if (in_window(&o->win, ts)) {
				uint64_t at = rx_stamp(h, now);

				c.win_valid++;
				if (at >= o->win.w1)
					c.late++;
				sample_add(&c.lat, (int64_t)(at - ts));
			}
			if (o->respond) {
				socklen_t tl;
				int len = build_response(&m, txbuf[nt], DGRAM_MAX);

				if (len < 0 || response_dest(&m, &rx.from[i], &txto[nt], &tl)) {
					resp_fail++;
					continue;
				}
				txiov[nt] = (struct iovec){ txbuf[nt], len };
				txh[nt].msg_hdr = (struct msghdr){
					.msg_name = &txto[nt], .msg_namelen = tl,
					.msg_iov = &txiov[nt], .msg_iovlen = 1,
				};
				nt++;
			}
		}
		for (int done = 0; done < nt;) {
			int r = sendmmsg(fd, txh + done, nt - done, 0);

			if (r <= 0) {
				resp_fail += nt - done;
				break;
			}
			done += r;
			responded += r;
		}
		rxbuf_rearm(&rx, n);
	}

	FILE *f = json_open(o);

	fprintf(f, "{\"mode\": \"sink\", \"window_s\": %.3f, ", o->win.duration);
	counts_json(f, &c, o->win.duration);
	fprintf(f, ", \"responded\": %" PRIu64 ", \"respond_failed\": %" PRIu64 "}\n",
		responded, resp_fail);
	json_close(f);
	return 0;
}

/* ---- sender ---- */

/* a request template and where its variable fields are */
struct tmpl {
	char buf[DGRAM_MAX];
	int len;
	int off_branch, off_callid_seq, off_callid_ts, off_ruri_aor,
	    off_to_aor, off_tag;
};

static void build_tmpl(const struct opts *o, struct tmpl *t)
{
	char src[160], sdp[512];
	int n = 0, blen = 0;
	const char *mk = "@@@@@@@@@@@@@@@@";	/* 16 placeholders */
	char aor[AOR_DIGITS + 1];

	memset(aor, '#', AOR_DIGITS);
	aor[AOR_DIGITS] = 0;
	uri_host(&o->src, src, sizeof(src));
	if (o->body && !strcmp(o->method, "INVITE"))
		blen = snprintf(sdp, sizeof(sdp),
				"v=0\r\n"
				"o=bench 2890844526 2890844526 IN IP4 %s\r\n"
				"s=-\r\n"
				"c=IN IP4 %s\r\n"
				"t=0 0\r\n"
				"m=audio 49170 RTP/AVP 0 8 101\r\n"
				"a=rtpmap:0 PCMU/8000\r\n"
				"a=rtpmap:8 PCMA/8000\r\n"
				"a=rtpmap:101 telephone-event/8000\r\n",
				o->src.host, o->src.host);
	n = snprintf(t->buf, sizeof(t->buf),
		"%s sip:%s%s@%s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP %s:%d;branch=" BRANCH_PREFIX "%s;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: \"bench\" <sip:bench@%s>;tag=%s\r\n"
		"To: <sip:%s%s@%s>\r\n"
		"Call-ID: " CALLID_PREFIX "%s-%s@%s\r\n"
		"CSeq: 1 %s\r\n"
		"Contact: <sip:bench@%s:%d>\r\n"
		"User-Agent: sipk-bench\r\n"
		"%s"
		"Content-Length: %d\r\n\r\n%s",
		o->method, o->aor_prefix, aor, o->aor_host,
		src, addr_port(&o->src.ss), mk,
		src, mk,
		o->aor_prefix, aor, o->aor_host,
		mk, mk, src,
		o->method,
		src, addr_port(&o->src.ss),
		blen ? "Content-Type: application/sdp\r\n" : "",
		blen, blen ? sdp : "");
	if (n <= 0 || n >= (int)sizeof(t->buf))
		die("request template too long");
	t->len = n;
	/* find the placeholders in order */
	char *p = t->buf;

	p = strstr(p, aor);
	t->off_ruri_aor = p - t->buf;
	p = strstr(p, mk);
	t->off_branch = p - t->buf;
	p = strstr(p + HEX16, mk);
	t->off_tag = p - t->buf;
	p = strstr(p + HEX16, aor);
	t->off_to_aor = p - t->buf;
	p = strstr(p, mk);
	t->off_callid_seq = p - t->buf;
	p = strstr(p + HEX16, mk);
	t->off_callid_ts = p - t->buf;
}

struct sender {
	struct opts *o;
	int fd;
	struct tmpl t;
	uint64_t sent, win_sent, send_err;
	uint64_t t_first, t_last;
	struct counts rc;	/* responses */
	struct seen seen;
	pthread_t rx_thread;
};

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* a response at the sender: a 200 to one of ours, our Via only */
static int check_response(struct sender *s, const struct sipk_msg *m,
			  const struct sockaddr_storage *from, uint64_t *ts)
{
	struct counts *c = &s->rc;
	uint64_t seq;
	enum bad why;

	if (m->verdict != SIPK_OK) {
		why = BAD_PARSE;
		goto bad;
	}
	if (m->is_request) {
		why = BAD_KIND;
		goto bad;
	}
	if (m->status != 200) {
		why = BAD_STATUS;
		goto bad;
	}
	if (m->via_count != 1) {
		why = BAD_HOPS;
		goto bad;
	}
	if (!str_prefix(m, m->via[0].branch, BRANCH_PREFIX)) {
		why = BAD_BRANCH;
		goto bad;
	}
	if (s->o->have_resp_src && !addr_match(&s->o->resp_src, from)) {
		why = BAD_SRC;
		goto bad;
	}
	if (callid_decode(m, &seq, ts)) {
		why = BAD_CALLID;
		goto bad;
	}
	if (seen_test_set(&s->seen, seq)) {
		why = BAD_DUP;
		goto bad;
	}
	return 0;
bad:
	c->bad[why]++;
	return -1;
}

static void *sender_rx(void *arg)
{
	struct sender *s = arg;
	static struct rxbuf rx;
	struct window *w = &s->o->win;

	rxbuf_init(&rx, BATCH_MAX);
	while (now_ns() < w->end) {
		int n = recvmmsg(s->fd, rx.hdr, BATCH_MAX, MSG_WAITFORONE, NULL);

		if (n <= 0)
			continue;
		uint64_t now = now_ns();

		for (int i = 0; i < n; i++) {
			struct sipk_msg m;
			uint64_t ts;

			s->rc.rx++;
			sipk_parse(rx.buf[i], rx.hdr[i].msg_len, &m);
			if (check_response(s, &m, &rx.from[i], &ts)) {
				dump_bad(s->o->dump, &s->rc, rx.buf[i], rx.hdr[i].msg_len);
				continue;
			}
			s->rc.valid++;
			if (in_window(w, ts)) {
				uint64_t at = rx_stamp(&rx.hdr[i].msg_hdr, now);

				s->rc.win_valid++;
				if (at >= w->w1)
					s->rc.late++;
				sample_add(&s->rc.lat, (int64_t)(at - ts));
			}
		}
		rxbuf_rearm(&rx, n);
	}
	return NULL;
}

static void sender_tx(struct sender *s)
{
	static char bufs[BATCH_MAX][DGRAM_MAX];
	struct mmsghdr h[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct opts *o = s->o;
	struct window *w = &o->win;
	uint64_t rnd = o->seed | 1, seq = 0;
	int batch = o->batch;

	for (int i = 0; i < batch; i++) {
		memcpy(bufs[i], s->t.buf, s->t.len);
		iov[i] = (struct iovec){ bufs[i], s->t.len };
		h[i].msg_hdr = (struct msghdr){
			.msg_name = &o->dst.ss, .msg_namelen = o->dst.len,
			.msg_iov = &iov[i], .msg_iovlen = 1,
		};
	}
	sleep_until(w->start);
	s->t_first = now_ns();
	for (;;) {
		uint64_t now = now_ns();
		int n = batch;

		if (now >= w->w1)
			break;
		if (o->rate > 0) {
			double due = (now - s->t_first) / 1e9 * o->rate - (double)s->sent;

			if (due < 1) {
				uint64_t next = s->t_first +
					(uint64_t)((s->sent + 1) / o->rate * 1e9);

				sleep_until(next < w->w1 ? next : w->w1);
				continue;
			}
			if (due < n)
				n = (int)due;
		}
		for (int i = 0; i < n; i++) {
			char *b = bufs[i];
			unsigned int aor = o->first +
				(o->aors > 1 ? (unsigned int)(xorshift(&rnd) % o->aors) : 0);

			put_hex16(b + s->t.off_branch, seq);
			put_hex16(b + s->t.off_tag, seq);
			put_hex16(b + s->t.off_callid_seq, seq);
			put_hex16(b + s->t.off_callid_ts, now);
			put_dec_w(b + s->t.off_ruri_aor, aor, AOR_DIGITS);
			put_dec_w(b + s->t.off_to_aor, aor, AOR_DIGITS);
			seq++;
		}
		int r = sendmmsg(s->fd, h, n, 0);

		if (r < 0) {
			s->send_err++;
			continue;
		}
		/* messages not sent keep their seq burnt: the sink sees a gap */
		s->sent += r;
		if (in_window(w, now))
			s->win_sent += r;
	}
	s->t_last = now_ns();
}

static void *sender_tx_main(void *arg)
{
	sender_tx(arg);
	return NULL;
}

static int cmd_send(struct opts *o)
{
	struct sender s = { .o = o };
	struct cpustat c0, c1;

	if (!o->have_src || !o->have_dst)
		die("send: --src and --dst are required");
	build_tmpl(o, &s.t);
	s.fd = udp_socket(&o->src, o->rcvbuf);
	window_init(&o->win, wait_go(o->ready, o->go, o->start));
	if (o->responses) {
		enable_stamps(s.fd);
		set_rcvtimeo(s.fd, 50);
		if (pthread_create(&s.rx_thread, NULL, sender_rx, &s))
			die("pthread_create failed");
	}
	/* the CPU is sampled by this thread at the window's edges */
	pthread_t tx;

	if (pthread_create(&tx, NULL, sender_tx_main, &s))
		die("pthread_create failed");
	sleep_until(o->win.w0);
	cpustat_read(&c0);
	sleep_until(o->win.w1);
	cpustat_read(&c1);
	pthread_join(tx, NULL);
	if (o->responses)
		pthread_join(s.rx_thread, NULL);

	FILE *f = json_open(o);

	fprintf(f, "{\"mode\": \"send\", \"method\": \"%s\", \"msg_len\": %d, "
		"\"rate_target\": %.1f, \"aors\": %u, \"window_s\": %.3f, "
		"\"sent\": %" PRIu64 ", \"window_sent\": %" PRIu64 ", "
		"\"offered\": %.1f, \"send_errors\": %" PRIu64 ", ",
		o->method, s.t.len, o->rate, o->aors, o->win.duration, s.sent,
		s.win_sent, s.win_sent / o->win.duration, s.send_err);
	cpustat_json(f, &c0, &c1);
	if (o->responses) {
		fprintf(f, ", \"responses\": {");
		counts_json(f, &s.rc, o->win.duration);
		fprintf(f, "}");
	}
	fprintf(f, "}\n");
	json_close(f);
	return 0;
}

/* ---- register: fill a registrar, measure the registration rate ---- */

/*
 * One AOR's registration: REGISTER, and with --password the 401's
 * challenge answered with a digest (RFC 7616/8760, MD5 or SHA-256,
 * qop=auth) in a second REGISTER (CSeq + 1, same Call-ID).  Done at the
 * 200.  A request unanswered for a second is sent again with the next
 * CSeq (and so a new branch): a stateless registrar (Kamailio with sl)
 * would refuse a true retransmission of a request it had already taken
 * (400, CSeq not higher), and an answer to an older CSeq is ignored.
 */
struct reg {
	uint64_t sent_at;
	uint32_t cseq;
	uint8_t state;		/* 0 waiting, 1 done, 2 failed */
	uint8_t challenges;
	char *authz;		/* the Authorization header line, or NULL */
};

#define REG_CHALLENGES_MAX	5

static void hex_digest(const char *alg, const char *in, char *out)
{
	const EVP_MD *md = strcmp(alg, "SHA-256") ? EVP_md5() : EVP_sha256();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!EVP_Digest(in, strlen(in), d, &n, md, NULL))
		die("digest failed");
	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[d[i] >> 4];
		out[2 * i + 1] = hexdig[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static void reg_user(const struct opts *o, unsigned int i, char *user,
		     size_t n)
{
	if (o->user)
		snprintf(user, n, "%s", o->user);
	else
		snprintf(user, n, "%s%0*u", o->aor_prefix, AOR_DIGITS, o->first + i);
}

/* the value of parameter @name in a challenge (quoted or not), or 0 */
static int chal_param(const char *p, const char *end, const char *name,
		      char *out, size_t n)
{
	size_t len = strlen(name);

	for (; p + len < end; p++) {
		size_t k = 0;

		if ((p[-1] != ' ' && p[-1] != ',' && p[-1] != '\t') ||
		    strncasecmp(p, name, len) || p[len] != '=')
			continue;
		p += len + 1;
		if (*p == '"') {
			p++;
			while (p < end && *p != '"' && k + 1 < n)
				out[k++] = *p++;
		} else {
			while (p < end && *p != ',' && *p != ' ' &&
			       *p != '\r' && k + 1 < n)
				out[k++] = *p++;
		}
		out[k] = '\0';
		return 1;
	}
	return 0;
}

/*
 * Builds the Authorization line answering the first challenge of the
 * 401 in @buf whose algorithm we know; 0, or -1 when there is none.
 */
static int reg_answer(const struct opts *o, unsigned int i, const char *buf,
		      size_t len, char **authz)
{
	const char *p = buf, *end = buf + len;
	char user[64], realm[128], nonce[256], opaque[256], alg[32], qop[64];
	char a1[512], a2[256], ha1[65], ha2[65], resp[65], in[1024];
	char cnonce[24], line[1400];
	int have_opaque, use_qop;

	while ((p = memmem(p, (size_t)(end - p), "\r\n", 2))) {
		const char *h = p + 2, *eol;

		p = h;
		if ((size_t)(end - h) < 17 || strncasecmp(h, "WWW-Authenticate:", 17))
			continue;
		eol = memmem(h, (size_t)(end - h), "\r\n", 2);
		if (!eol)
			eol = end;
		h += 17;
		while (*h == ' ')
			h++;
		if (strncasecmp(h, "Digest ", 7))
			continue;
		h += 6;
		if (!chal_param(h, eol, "algorithm", alg, sizeof(alg)))
			strcpy(alg, "MD5");
		if (strcasecmp(alg, "MD5") && strcasecmp(alg, "SHA-256"))
			continue;
		if (!strcasecmp(alg, "MD5"))
			strcpy(alg, "MD5");
		else
			strcpy(alg, "SHA-256");
		if (!chal_param(h, eol, "realm", realm, sizeof(realm)) ||
		    !chal_param(h, eol, "nonce", nonce, sizeof(nonce)))
			continue;
		have_opaque = chal_param(h, eol, "opaque", opaque, sizeof(opaque));
		use_qop = chal_param(h, eol, "qop", qop, sizeof(qop)) &&
			  strstr(qop, "auth") != NULL;

		reg_user(o, i, user, sizeof(user));
		snprintf(a1, sizeof(a1), "%s:%s:%s", user, realm, o->password);
		hex_digest(alg, a1, ha1);
		snprintf(a2, sizeof(a2), "REGISTER:sip:%s", o->aor_host);
		hex_digest(alg, a2, ha2);
		snprintf(cnonce, sizeof(cnonce), "c%08x", i);
		if (use_qop)
			snprintf(in, sizeof(in), "%s:%s:00000001:%s:auth:%s", ha1,
				 nonce, cnonce, ha2);
		else
			snprintf(in, sizeof(in), "%s:%s:%s", ha1, nonce, ha2);
		hex_digest(alg, in, resp);
		snprintf(line, sizeof(line),
			 "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"sip:%s\", response=\"%s\", algorithm=%s%s%s%s%s%s%s\r\n",
			 user, realm, nonce, o->aor_host, resp, alg,
			 have_opaque ? ", opaque=\"" : "", have_opaque ? opaque : "",
			 have_opaque ? "\"" : "",
			 use_qop ? ", qop=auth, nc=00000001, cnonce=\"" : "",
			 use_qop ? cnonce : "", use_qop ? "\"" : "");
		free(*authz);
		*authz = strdup(line);
		if (!*authz)
			die("out of memory");
		return 0;
	}
	return -1;
}

static int reg_build(const struct opts *o, const char *src, unsigned int i,
		     const struct reg *r, uint64_t run, char *buf)
{
	char user[64];

	reg_user(o, i, user, sizeof(user));
	return snprintf(buf, DGRAM_MAX,
		"REGISTER sip:%s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKbr%u-%u-%" PRIu64 ";rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:%s@%s>;tag=r%u\r\n"
		"To: <sip:%s@%s>\r\n"
		"Call-ID: reg%u@%s\r\n"
		"CSeq: %u REGISTER\r\n"
		"Contact: <sip:%s@%s>\r\n"
		"%s"
		"Expires: 3600\r\n"
		"Content-Length: 0\r\n\r\n",
		o->aor_host, src, addr_port(&o->src.ss), i, r->cseq, run,
		user, o->aor_host, i, user, o->aor_host, i, src, r->cseq,
		user, o->contact_host, r->authz ? r->authz : "");
}

/*
 * REGISTER every AOR (at most --window unanswered at a time, each resent
 * after a second without an answer) and wait for the 200s.  With --json,
 * the rate: registrations completed per second, first send to last 200.
 */
static int cmd_register(struct opts *o)
{
	static struct rxbuf rx;
	static char bufs[BATCH_MAX][DGRAM_MAX];
	struct mmsghdr h[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	const unsigned int window = o->window ? o->window : 200;
	unsigned int n = o->user ? 1 : (unsigned int)o->count;
	unsigned int ndone = 0, nfail = 0, next = 0, outstanding = 0;
	unsigned long long sent = 0, resent = 0, challenges = 0;
	unsigned int last_status = 0;
	uint64_t deadline, t0, t1 = 0, run;
	unsigned int *due;	/* AORs with a request to send */
	unsigned int ndue = 0;
	struct reg *reg;
	char src[160];
	int fd;

	if (!o->have_src || !o->have_dst || !n)
		die("register: --src, --dst and --count N or --user are required");
	reg = calloc(n, sizeof(*reg));
	due = calloc(n, sizeof(*due));
	if (!reg || !due)
		die("out of memory");
	uri_host(&o->src, src, sizeof(src));
	fd = udp_socket(&o->src, o->rcvbuf ? o->rcvbuf : 4 << 20);
	set_rcvtimeo(fd, 20);
	rxbuf_init(&rx, BATCH_MAX);
	t0 = now_ns();
	run = t0 / 1000000 % 100000000;
	deadline = t0 + 60ull * 1000000000ull + n * 4000000ull;

	while (ndone + nfail < n && now_ns() < deadline) {
		uint64_t now = now_ns();
		int k = 0;

		/* answers to challenges, retransmissions, then new ones */
		while (ndue && k < BATCH_MAX) {
			unsigned int i = due[--ndue];

			reg[i].sent_at = now;
			iov[k] = (struct iovec){ bufs[k], reg_build(o, src, i, &reg[i], run, bufs[k]) };
			k++;
		}
		if (k < BATCH_MAX) {
			for (unsigned int i = 0; i < next && k < BATCH_MAX; i++) {
				if (reg[i].state || now - reg[i].sent_at < 1000000000ull)
					continue;
				reg[i].sent_at = now;
				reg[i].cseq++;
				iov[k] = (struct iovec){ bufs[k], reg_build(o, src, i, &reg[i], run, bufs[k]) };
				k++;
				resent++;
			}
		}
		while (next < n && outstanding < window && k < BATCH_MAX) {
			reg[next].sent_at = now;
			reg[next].cseq = 1;
			iov[k] = (struct iovec){ bufs[k], reg_build(o, src, next, &reg[next], run, bufs[k]) };
			k++;
			next++;
			outstanding++;
		}
		for (int j = 0; j < k; j++)
			h[j].msg_hdr = (struct msghdr){
				.msg_name = &o->dst.ss, .msg_namelen = o->dst.len,
				.msg_iov = &iov[j], .msg_iovlen = 1,
			};
		if (k && sendmmsg(fd, h, k, 0) < 0)
			die("sendmmsg: %s", strerror(errno));
		sent += k;

		int r = recvmmsg(fd, rx.hdr, BATCH_MAX, MSG_WAITFORONE, NULL);

		for (int j = 0; j < r; j++) {
			struct sipk_msg m;
			const u8 *cid;
			unsigned int i;

			sipk_parse(rx.buf[j], rx.hdr[j].msg_len, &m);
			if (m.verdict != SIPK_OK || m.is_request || m.status < 200)
				continue;
			cid = sipk_ptr(&m, m.call_id.value);
			if (m.call_id.value.len < 4 || memcmp(cid, "reg", 3))
				continue;
			i = strtoul((const char *)cid + 3, NULL, 10);
			if (i >= n || reg[i].state || m.cseq != reg[i].cseq)
				continue;	/* late: answers an earlier request */
			if (m.status == 401 && o->password &&
			    reg[i].challenges < REG_CHALLENGES_MAX &&
			    !reg_answer(o, i, (const char *)rx.buf[j],
					rx.hdr[j].msg_len, &reg[i].authz)) {
				reg[i].challenges++;
				reg[i].cseq++;
				due[ndue++] = i;
				challenges++;
				continue;
			}
			if (m.status >= 300) {
				if (!nfail)	/* the first one says why */
					fprintf(stderr, "%s: register: first refusal:\n%.*s\n",
						prog, (int)rx.hdr[j].msg_len,
						(const char *)rx.buf[j]);
				reg[i].state = 2;
				nfail++;
				last_status = m.status;
				if (!o->json)
					die("register: %u response", m.status);
			} else {
				reg[i].state = 1;
				ndone++;
			}
			t1 = now_ns();
			outstanding--;
			free(reg[i].authz);
			reg[i].authz = NULL;
		}
		if (r > 0)
			rxbuf_rearm(&rx, r);
	}
	if (o->json) {
		FILE *f = json_open(o);
		double secs = (double)((t1 ? t1 : now_ns()) - t0) / 1e9;

		fprintf(f, "{\"mode\": \"register\", \"auth\": %d, \"aors\": %u, \"ok\": %u, \"failed\": %u, \"last_failure\": %u, \"seconds\": %.6f, \"rate\": %.1f, \"requests\": %llu, \"retransmissions\": %llu, \"challenges\": %llu, \"window\": %u}\n",
			o->password ? 1 : 0, n, ndone, nfail, last_status, secs,
			secs > 0 ? ndone / secs : 0.0, sent, resent, challenges,
			window);
		json_close(f);
	}
	printf("registered %u of %u\n", ndone, n);
	return ndone == n ? 0 : 1;
}

/* ---- creds: the users' HA1s for a registrar ---- */

static int cmd_creds(struct opts *o)
{
	char user[64], a1[512], ha1[65];
	bool kam;

	if (o->count <= 0 || !o->realm || !o->password || !o->format)
		die("creds: --count, --realm, --password and --format are required");
	if (!strcmp(o->format, "kamailio"))
		kam = true;
	else if (!strcmp(o->format, "sipkd"))
		kam = false;
	else
		die("creds: --format sipkd or kamailio, not \"%s\"", o->format);
	/* Kamailio's htable, loaded from a db_text table */
	if (kam)
		printf("key_name(string) key_type(int) value_type(int) key_value(string) expires(int)\n");
	for (unsigned int i = 0; i < (unsigned int)o->count; i++) {
		reg_user(o, i, user, sizeof(user));
		snprintf(a1, sizeof(a1), "%s:%s:%s", user, o->realm, o->password);
		hex_digest("MD5", a1, ha1);
		if (kam)
			printf("%s:0:0:%s:0\n", user, ha1);
		else
			printf("%s:%s:MD5:%s\n", user, o->realm, ha1);
	}
	return fflush(stdout) ? 1 : 0;
}

/* ---- batch: sipkctl -b input ---- */

static int cmd_batch(struct opts *o)
{
	static char out[1 << 16];
	size_t n = 0;

	if (o->count <= 0)
		die("batch: --count N is required");
	for (unsigned int i = o->first; i < o->first + (unsigned int)o->count; i++) {
		if (n > sizeof(out) - 512) {
			fwrite(out, 1, n, stdout);
			n = 0;
		}
		n += sprintf(out + n, "loc add sip:%s%0*u@%s contact sip:%s%0*u@%s\n",
			     o->aor_prefix, AOR_DIGITS, i, o->aor_host,
			     o->aor_prefix, AOR_DIGITS, i, o->contact_host);
	}
	fwrite(out, 1, n, stdout);
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;

	if (argc < 2)
		usage(2);
	cmd = argv[1];
	if (!strcmp(cmd, "now")) {
		printf("%" PRIu64 "\n", now_ns());
		return 0;
	}
	if (!strcmp(cmd, "at") && argc == 3) {
		sleep_until(strtoull(argv[2], NULL, 10));
		return 0;
	}
	if (!strcmp(cmd, "wait") && argc == 4) {
		uint64_t end = now_ns() + (uint64_t)(atof(argv[3]) * 1e9);

		while (access(argv[2], F_OK)) {
			if (now_ns() > end)
				return 1;
			usleep(2000);
		}
		return 0;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))
		usage(0);
	parse_opts(argc - 1, argv + 1, &o);
	if (!strcmp(cmd, "send"))
		return cmd_send(&o);
	if (!strcmp(cmd, "sink"))
		return cmd_sink(&o);
	if (!strcmp(cmd, "register"))
		return cmd_register(&o);
	if (!strcmp(cmd, "batch"))
		return cmd_batch(&o);
	if (!strcmp(cmd, "creds"))
		return cmd_creds(&o);
	usage(2);
	return 2;
}
