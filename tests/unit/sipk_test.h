/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipk_test.h - helpers shared by the SIP core unit tests.
 *
 * Everything here is independent of the code under test: addresses are
 * made with inet_pton(), strings are compared with memcmp(), and the test
 * data is read from the RFC 4475 directory (never copied into the repo).
 * Buffers handed to the core are heap blocks of the exact size, so that
 * AddressSanitizer reports any read or write one octet past the end.
 */
#ifndef _SIPK_TEST_H
#define _SIPK_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_core.h"

#ifndef SIPK_TESTDATA
#define SIPK_TESTDATA "../shared/testdata"
#endif

/* A fixed key, so that every run computes the same branches. */
static const sipk_key_t sipk_test_key = {
	{ 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL }
};

/* A second key: a branch made with one must not verify with the other. */
static const sipk_key_t sipk_test_key2 = {
	{ 0x1716151413121110ULL, 0x1f1e1d1c1b1a1918ULL }
};

#define TEST_SELF4	"198.18.0.1"
#define TEST_SRC4	"198.18.0.2"
#define TEST_RURI	"sip:uas@198.18.2.2:5060"
#define TEST_DST4	"198.18.2.2"	/* where TEST_RURI is */

/* The data directory: $SIPK_TESTDATA, else the path the build passed. */
static inline const char *sipk_testdata_dir(void)
{
	const char *d = getenv("SIPK_TESTDATA");

	return d && *d ? d : SIPK_TESTDATA;
}

/* A copy of @len octets of @p in a heap block of exactly @len octets. */
static inline u8 *sipk_dup_exact(const void *p, size_t len)
{
	u8 *b = malloc(len ? len : 1);

	if (b && len)
		memcpy(b, p, len);
	return b;
}

/* Reads a whole file into a heap block of exactly its size. */
static inline u8 *sipk_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	u8 *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		goto out;
	b = malloc(n ? (size_t)n : 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	*len = (size_t)n;
out:
	fclose(f);
	return b;
}

/* rfc4475/<name>.dat, byte-exact, in an exact-size heap block. */
static inline u8 *sipk_load_rfc4475(const char *name, size_t *len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/rfc4475/%s.dat", sipk_testdata_dir(),
		 name);
	return sipk_read_file(path, len);
}

static inline struct sipk_addr sipk_addr_make(const char *ip, u16 port)
{
	struct sipk_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, ip, a.addr) == 1) {
		a.family = 4;
	} else if (inet_pton(AF_INET6, ip, a.addr) == 1) {
		a.family = 6;
	} else {
		fprintf(stderr, "# bad test address %s\n", ip);
		abort();
	}
	a.port = port;
	return a;
}

static inline bool sipk_addr_same(const struct sipk_addr *a,
				  const struct sipk_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
}

/* The usual forwarding: fixed key, 198.18.0.2:5062 -> us -> the UAS. */
static inline void sipk_fwd_default(struct sipk_fwd *f,
				    const struct sipk_msg *m)
{
	memset(f, 0, sizeof(*f));
	f->m = m;
	f->key = &sipk_test_key;
	f->ruri = (const u8 *)TEST_RURI;
	f->ruri_len = (u16)strlen(TEST_RURI);
	f->self = sipk_addr_make(TEST_SELF4, 5060);
	f->src = sipk_addr_make(TEST_SRC4, 5062);
	f->dst = sipk_addr_make(TEST_DST4, 5060);
}

/* Does the string @s of @m hold exactly @len octets equal to @p? */
static inline bool sipk_t_eq(const struct sipk_msg *m, struct sipk_str s,
			     const void *p, size_t len)
{
	return s.len == len && !memcmp(m->buf + s.off, p, len);
}

static inline bool sipk_t_eqs(const struct sipk_msg *m, struct sipk_str s,
			      const char *lit)
{
	return sipk_t_eq(m, s, lit, strlen(lit));
}

/* Same bytes in two messages. */
static inline bool sipk_t_same(const struct sipk_msg *a, struct sipk_str sa,
			       const struct sipk_msg *b, struct sipk_str sb)
{
	return sa.len == sb.len &&
	       !memcmp(a->buf + sa.off, b->buf + sb.off, sa.len);
}

/* A NUL-terminated copy, for diagnostics; the caller frees it. */
static inline char *sipk_t_cstr(const struct sipk_msg *m, struct sipk_str s)
{
	char *c = malloc((size_t)s.len + 1);

	if (!c)
		abort();
	memcpy(c, m->buf + s.off, s.len);
	c[s.len] = '\0';
	return c;
}

static inline bool sipk_is_lhex(u8 c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Our branch: the prefix, then 32 lower-case hex digits, nothing else. */
static inline bool sipk_branch_shape(const u8 *p, size_t len)
{
	const size_t pl = strlen(SIPK_BRANCH_PREFIX);
	size_t i;

	if (len != SIPK_BRANCH_LEN || pl + 32 != SIPK_BRANCH_LEN ||
	    memcmp(p, SIPK_BRANCH_PREFIX, pl))
		return false;
	for (i = pl; i < len; i++)
		if (!sipk_is_lhex(p[i]))
			return false;
	return true;
}

/*
 * Builds the forwarded request twice: once into a large buffer to learn
 * its size, then into a heap block of exactly that size, and checks both
 * agree.  Returns the exact block (caller frees) or NULL with *@err set
 * to the rewriter's error or to -EIO when the two builds disagree.
 */
static inline u8 *sipk_build_exact(const struct sipk_fwd *f, size_t *len,
				   int *err)
{
	size_t cap = (size_t)SIPK_MAX_MSG + 4096;
	u8 *big = malloc(cap), *out;
	int n, n2;

	if (!big)
		abort();
	n = sipk_build_request(f, big, cap);
	if (n < 0) {
		free(big);
		*err = n;
		return NULL;
	}
	out = malloc(n ? (size_t)n : 1);
	if (!out)
		abort();
	n2 = sipk_build_request(f, out, (size_t)n);
	if (n2 != n || memcmp(out, big, (size_t)n)) {
		free(big);
		free(out);
		*err = -EIO;
		return NULL;
	}
	free(big);
	*len = (size_t)n;
	*err = 0;
	return out;
}

static inline u8 *sipk_build_response_exact(const struct sipk_msg *m,
					    size_t *len, int *err)
{
	size_t cap = (size_t)SIPK_MAX_MSG + 4096;
	u8 *big = malloc(cap), *out;
	int n, n2;

	if (!big)
		abort();
	n = sipk_build_response(m, big, cap);
	if (n < 0) {
		free(big);
		*err = n;
		return NULL;
	}
	out = malloc(n ? (size_t)n : 1);
	if (!out)
		abort();
	n2 = sipk_build_response(m, out, (size_t)n);
	if (n2 != n || memcmp(out, big, (size_t)n)) {
		free(big);
		free(out);
		*err = -EIO;
		return NULL;
	}
	free(big);
	*len = (size_t)n;
	*err = 0;
	return out;
}

/*
 * Compares @got with @want where each '#' in @want stands for one
 * lower-case hex digit (the masked MAC of our branch).  Returns -1 when
 * they match, else the offset of the first difference.
 */
static inline long sipk_golden_diff(const char *want, const u8 *got,
				    size_t len)
{
	size_t wl = strlen(want), i;

	for (i = 0; i < wl && i < len; i++) {
		if (want[i] == '#' ? !sipk_is_lhex(got[i]) :
				     (u8)want[i] != got[i])
			return (long)i;
	}
	return wl == len ? -1 : (long)i;
}

/* Prints the context of a golden mismatch as TAP diagnostics. */
static inline void sipk_golden_report(const char *want, const u8 *got,
				      size_t len, long at)
{
	size_t wl = strlen(want);
	long s = at > 40 ? at - 40 : 0;
	long i;

	fprintf(stderr, "# golden mismatch at %ld (want %zu, got %zu octets)\n",
		at, wl, len);
	fprintf(stderr, "# want: ");
	for (i = s; i < at + 40 && (size_t)i < wl; i++)
		fputc(want[i] >= ' ' && want[i] < 0x7f ? want[i] : '.',
		      stderr);
	fprintf(stderr, "\n# got:  ");
	for (i = s; i < at + 40 && (size_t)i < len; i++)
		fputc(got[i] >= ' ' && got[i] < 0x7f ? got[i] : '.', stderr);
	fputc('\n', stderr);
}

/* memmem() over a sipk_msg-independent buffer, for the tests' own use. */
static inline long sipk_find(const u8 *b, size_t len, const char *lit)
{
	size_t n = strlen(lit), i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(b + i, lit, n))
			return (long)i;
	return -1;
}

#endif /* _SIPK_TEST_H */
