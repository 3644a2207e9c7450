// SPDX-License-Identifier: GPL-2.0
/*
 * siphash.c - SipHash-2-4 (Aumasson and Bernstein, 2012) for the
 * userspace build of the SIP core.  The kernel build uses siphash() from
 * lib/siphash.c; tests/unit/test_siphash.c checks this one against the
 * 64 vectors published with the reference implementation.
 */
#include "sipk_user.h"

static inline u64 rotl(u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline u64 load_le64(const u8 *p)
{
	u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND				\
	do {					\
		v0 += v1; v1 = rotl(v1, 13);	\
		v1 ^= v0; v0 = rotl(v0, 32);	\
		v2 += v3; v3 = rotl(v3, 16);	\
		v3 ^= v2;			\
		v0 += v3; v3 = rotl(v3, 21);	\
		v3 ^= v0;			\
		v2 += v1; v1 = rotl(v1, 17);	\
		v1 ^= v2; v2 = rotl(v2, 32);	\
	} while (0)

u64 sipk_siphash(const void *data, size_t len, const sipk_key_t *key)
{
	const u8 *p = data;
	u64 v0 = 0x736f6d6570736575ULL ^ key->key[0];
	u64 v1 = 0x646f72616e646f6dULL ^ key->key[1];
	u64 v2 = 0x6c7967656e657261ULL ^ key->key[0];
	u64 v3 = 0x7465646279746573ULL ^ key->key[1];
	u64 b = (u64)len << 56, m;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = load_le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < left; j++)
		b |= (u64)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
