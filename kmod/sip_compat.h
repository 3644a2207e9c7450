/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sip_compat.h - the only seam between the SIP core and its two homes.
 *
 * The SIP core (sip_parse.c, sip_rewrite.c) is compiled both into sipk.ko
 * and into userspace (unit tests, fuzzers, sipkd).  It uses nothing but
 * the kernel's fixed-width types, memcpy/memcmp/memset/strlen, errno
 * values and a keyed 64-bit SipHash-2-4.  In the kernel these come from
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

#define sipk_key_t siphash_key_t

static inline u64 sipk_siphash(const void *data, size_t len,
			       const siphash_key_t *key)
{
	return siphash(data, len, key);
}
#else
#include "sipk_user.h"
#endif

#endif /* _SIPK_SIP_COMPAT_H */
