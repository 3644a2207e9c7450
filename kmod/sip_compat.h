/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sip_compat.h - the only seam between the SIP core and its two homes.
 *
 * The SIP core (sip_parse.c, sip_rewrite.c) is compiled both into sipk.ko
 * and into userspace (unit tests, fuzzers, sipkd).  It uses nothing but
 * the kernel's fixed-width types, memcpy/memcmp/memset/strlen, errno
 * values, a keyed 64-bit SipHash-2-4 and an unaligned word load.  In the kernel these come from
 * the kernel; in userspace from userspace/lib/sipk_user.h, which maps
 * them onto libc and our own SipHash.
 */
#ifndef _SIPK_SIP_COMPAT_H
#define _SIPK_SIP_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/siphash.h>
#include <linux/bitops.h>
#include <asm/unaligned.h>

#define sipk_key_t siphash_key_t

static inline u64 sipk_siphash(const void *data, size_t len,
			       const siphash_key_t *key)
{
	return siphash(data, len, key);
}

/*
 * For word-at-a-time scanning: eight octets from any address, the first
 * in the least significant byte whatever the CPU's byte order; and the
 * index of the lowest set bit of a non-zero word.
 */
static inline u64 sipk_load_le64(const u8 *p)
{
	return get_unaligned_le64(p);
}

static inline unsigned int sipk_ffs64(u64 w)
{
	return __ffs64(w);
}
#else
#include "sipk_user.h"

static inline u64 sipk_load_le64(const u8 *p)
{
	u64 w;

	memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

static inline unsigned int sipk_ffs64(u64 w)
{
	return __builtin_ctzll(w);
}
#endif

#endif /* _SIPK_SIP_COMPAT_H */
