// SPDX-License-Identifier: GPL-2.0
/*
 * coreprof - the SIP core's share of sipk's per-message cost, in
 * userspace, for callgrind or perf.
 *
 * Runs what the kernel's fast path runs on the benchmark's messages:
 * for a request, sipk_parse() then sipk_build_request() (the branch MAC,
 * received/rport, Max-Forwards, the retargeted Request-URI); for a
 * response, sipk_parse(), sipk_response_dest() (MAC check) and
 * sipk_build_response().  Prints ns per message and per step.
 *
 *   coreprof [ITERATIONS]
 *   valgrind --tool=callgrind --callgrind-out-file=build/bench/callgrind.out \
 *            build/bench/coreprof 20000
 *   callgrind_annotate build/bench/callgrind.out
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sip_core.h"

/* the request sipload sends (INVITE with SDP), as the proxy receives it */
static const char request[] =
	"INVITE sip:u0000042@198.18.1.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.1.2:5061;branch=z9hG4bKbn000000000000a3f1;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: \"bench\" <sip:bench@198.18.1.2>;tag=000000000000a3f1\r\n"
	"To: <sip:u0000042@198.18.1.1>\r\n"
	"Call-ID: bn000000000000a3f1-18eb693d3f0b3c10@198.18.1.2\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:bench@198.18.1.2:5061>\r\n"
	"User-Agent: sipk-bench\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 197\r\n"
	"\r\n"
	"v=0\r\n"
	"o=bench 2890844526 2890844526 IN IP4 198.18.1.2\r\n"
	"s=-\r\n"
	"c=IN IP4 198.18.1.2\r\n"
	"t=0 0\r\n"
	"m=audio 49170 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n";

static const char contact[] = "sip:u0000042@198.18.2.2:5060";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void addr4(struct sipk_addr *a, unsigned char d, unsigned short port)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->addr[0] = 198;
	a->addr[1] = 18;
	a->addr[2] = d >> 4;
	a->addr[3] = d & 15;
	a->port = port;
}

/* The 200 the uas sends back: our forwarded request's Vias, To-tag added. */
static int make_response(const u8 *fwd, int len, u8 *out, size_t cap)
{
	const char *p = (const char *)fwd, *end = p + len;
	size_t n;

	n = snprintf((char *)out, cap, "SIP/2.0 200 OK\r\n");
	p = memchr(p, '\n', end - p) + 1;
	while (p < end && !(p[0] == '\r' && p[1] == '\n')) {
		const char *e = memchr(p, '\n', end - p) + 1;

		if (!strncmp(p, "Via:", 4) || !strncmp(p, "From:", 5) ||
		    !strncmp(p, "Call-ID:", 8) || !strncmp(p, "CSeq:", 5)) {
			memcpy(out + n, p, e - p);
			n += e - p;
		} else if (!strncmp(p, "To:", 3)) {
			memcpy(out + n, p, e - p - 2);
			n += e - p - 2;
			n += snprintf((char *)out + n, cap - n, ";tag=bnr\r\n");
		}
		p = e;
	}
	n += snprintf((char *)out + n, cap - n, "Content-Length: 0\r\n\r\n");
	return n;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 200000;
	const u8 *req = (const u8 *)request;
	size_t rlen = sizeof(request) - 1;
	static u8 out[2048], resp[2048], rout[2048];
	sipk_key_t key = { .key = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull } };
	struct sipk_msg m, rm;
	struct sipk_fwd f;
	struct sipk_addr dst;
	double t0, t_parse = 0, t_build = 0, t_rparse = 0, t_rdest = 0, t_rbuild = 0;
	long sink = 0;
	int n, rn;

	/* one pass to build the response the loop parses */
	if (sipk_parse(req, rlen, &m) != SIPK_OK) {
		fprintf(stderr, "coreprof: request does not parse: %s\n",
			sipk_reason_name(m.reason_code));
		return 1;
	}
	memset(&f, 0, sizeof(f));
	f.m = &m;
	f.key = &key;
	f.ruri = (const u8 *)contact;
	f.ruri_len = sizeof(contact) - 1;
	addr4(&f.src, 0x12, 5061);		/* 198.18.1.2 */
	addr4(&f.self, 0x21, 5060);		/* 198.18.2.1 */
	addr4(&f.dst, 0x22, 5060);		/* 198.18.2.2 */
	n = sipk_build_request(&f, out, sizeof(out));
	if (n < 0) {
		fprintf(stderr, "coreprof: build_request failed: %d\n", n);
		return 1;
	}
	rn = make_response(out, n, resp, sizeof(resp));
	if (sipk_parse(resp, rn, &rm) != SIPK_OK ||
	    sipk_response_dest(&rm, &key, &dst)) {
		fprintf(stderr, "coreprof: response path fails on:\n%.*s", rn, resp);
		return 1;
	}

	for (long i = 0; i < iters; i++) {
		t0 = now();
		sipk_parse(req, rlen, &m);
		t_parse += now() - t0;
		t0 = now();
		sink += sipk_build_request(&f, out, sizeof(out));
		t_build += now() - t0;
		t0 = now();
		sipk_parse(resp, rn, &rm);
		t_rparse += now() - t0;
		t0 = now();
		sink += sipk_response_dest(&rm, &key, &dst);
		t_rdest += now() - t0;
		t0 = now();
		sink += sipk_build_response(&rm, rout, sizeof(rout));
		t_rbuild += now() - t0;
	}
	printf("coreprof: %ld iterations, request %zu octets -> %d, response %d octets\n",
	       iters, rlen, n, rn);
	printf("  request:  parse %.0f ns, build_request %.0f ns\n",
	       t_parse / iters * 1e9, t_build / iters * 1e9);
	printf("  response: parse %.0f ns, response_dest %.0f ns, build_response %.0f ns\n",
	       t_rparse / iters * 1e9, t_rdest / iters * 1e9, t_rbuild / iters * 1e9);
	printf("  (timer overhead included; check %ld)\n", sink & 1);
	return 0;
}
