/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sip_compat.h - the only seam between the SIP core and its two homes.
 *
 * The SIP core (sip_parse.c, sip_rewrite.c) is compiled both into sipk.ko
 * and into userspace (unit tests, fuzzers, sipkd).  It uses nothing but the
 * fixed-width types, memcpy/memcmp and a keyed 64-bit SipHash-2-4, which
 * this header maps onto the kernel or onto libc plus our own SipHash.
 */
#ifndef _SIPK_SIP_COMPAT_H
#define _SIPK_SIP_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/siphash.h>

typedef siphash_key_t sipk_key_t;

static inline u64 sipk_siphash(const void *data, size_t len,
			       const sipk_key_t *key)
{
	return siphash(data, len, key);
}

#else /* userspace */
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <errno.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

typedef struct {
	u64 key[2];
} sipk_key_t;

/* userspace/lib/siphash.c: SipHash-2-4, checked against the paper's vectors */
u64 sipk_siphash(const void *data, size_t len, const sipk_key_t *key);

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#endif /* __KERNEL__ */

#endif /* _SIPK_SIP_COMPAT_H */
