/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipk_user.h - what the SIP core needs from the kernel, for userspace:
 * kernel integer types, ARRAY_SIZE, and SipHash-2-4 (siphash.c).
 */
#ifndef _SIPK_USER_H
#define _SIPK_USER_H

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
} siphash_key_t;

#define sipk_key_t siphash_key_t

/* SipHash-2-4, checked against the reference vectors in tests/unit */
u64 sipk_siphash(const void *data, size_t len, const siphash_key_t *key);

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif /* _SIPK_USER_H */
