// SPDX-License-Identifier: GPL-2.0
/*
 * selftest.c - load-time self-tests of the SIP core (CONFIG_SIPK_DEBUG).
 *
 * The same core is unit-tested and fuzzed in userspace; these tests
 * prove that the kernel build of it behaves the same: the kernel's
 * siphash() agrees with the published SipHash-2-4 vector, a request is
 * rewritten and its response routed back, and hostile input is refused.
 * The tables check their own key normalisation (sipk_table_selftest()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/slab.h>

#include "sipk.h"
#include "table.h"

static const char st_invite[] =
	"INVITE sip:uas@198.18.1.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK-st-1;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:uac@198.18.0.2>;tag=st1\r\n"
	"To: <sip:uas@198.18.1.1>\r\n"
	"Call-ID: selftest-1@198.18.0.2\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:uac@198.18.0.2:5062>\r\n"
	"Content-Length: 4\r\n"
	"\r\n"
	"v=0\n";

/* each must be refused as malformed */
static const char * const st_malformed[] = {
	"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
	"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
	"CSeq: 1 INVITE\r\nContent-Length: -1\r\n\r\n",
	"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
	"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
	"CSeq: 1 INVITE\r\nContent-Length: 4294967328\r\n\r\n",
	"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
	"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
	"CSeq: 1 BYE\r\n\r\n",
	"SIP/2.0 4294967301 big\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
	"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
	"CSeq: 1 INVITE\r\n\r\n",
	"INVITE  sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n",
};

static int st_siphash(void)
{
	static const u8 msg[15] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
	};
	sipk_key_t key = {{ 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL }};

	/* SipHash-2-4 paper, appendix A: 15-octet message */
	return sipk_siphash(msg, sizeof(msg), &key) == 0xa129ca6149be45e5ULL ?
	       0 : -EINVAL;
}

static int st_roundtrip(u8 *out, size_t outlen, u8 *resp, size_t resplen)
{
	static const char ruri[] = "sip:uas@198.18.2.2:5060";
	sipk_key_t key = {{ 1, 2 }};
	struct sipk_msg *m, *o;
	struct sipk_fwd f = {};
	struct sipk_addr dst;
	int n, r, err = -EINVAL;
	u16 via_off, via_len;
	u8 *p;

	m = kmalloc(sizeof(*m) * 2, GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	o = m + 1;
	if (sipk_parse((const u8 *)st_invite, sizeof(st_invite) - 1, m) !=
	    SIPK_OK)
		goto out;
	f.m = m;
	f.key = &key;
	f.ruri = (const u8 *)ruri;
	f.ruri_len = sizeof(ruri) - 1;
	f.self.family = 4;
	f.self.addr[0] = 198;
	f.self.addr[1] = 18;
	f.self.addr[2] = 1;
	f.self.addr[3] = 1;
	f.self.port = 5060;
	f.src.family = 4;
	memcpy(f.src.addr, "\xc6\x12\x00\x02", 4);
	f.src.port = 5062;
	n = sipk_build_request(&f, out, outlen);
	if (n < 0 || sipk_parse(out, n, o) != SIPK_OK)
		goto out;
	if (o->via_count != 2 || o->max_forwards != 69 ||
	    !sipk_str_eq(o, o->ruri.all, ruri) ||
	    !sipk_str_eq(o, o->via[1].rport, "5062") ||
	    o->body_len != 4)
		goto out;

	/* answer it: "SIP/2.0 200 OK" + the request's headers from Via on */
	via_off = o->via_hdr.line.off;
	via_len = o->len - via_off;
	if (via_len + 16 > resplen)
		goto out;
	memcpy(resp, "SIP/2.0 200 OK\r\n", 16);
	memcpy(resp + 16, out + via_off, via_len);
	if (sipk_parse(resp, 16 + via_len, o) != SIPK_OK)
		goto out;
	r = sipk_response_dest(o, &key, &dst);
	if (r || dst.family != 4 || memcmp(dst.addr, f.src.addr, 4) ||
	    dst.port != 5062)
		goto out;
	/* a forged MAC must not verify */
	p = &resp[o->via[0].branch.off + SIPK_BRANCH_LEN - 1];
	*p = *p == '0' ? '1' : '0';
	if (sipk_response_dest(o, &key, &dst) != -EPERM)
		goto out;
	err = 0;
out:
	kfree(m);
	return err;
}

static int st_hostile(u8 *buf)
{
	struct sipk_msg *m;
	size_t i, len = sizeof(st_invite) - 1;
	int err = 0;

	m = kmalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(st_malformed); i++)
		if (sipk_parse((const u8 *)st_malformed[i],
			       strlen(st_malformed[i]), m) != SIPK_MALFORMED) {
			pr_err("self-test: hostile message %zu accepted\n", i);
			err = -EINVAL;
		}
	/* no prefix short of the header block parses */
	for (i = 0; i < len - 4; i++) {
		memcpy(buf, st_invite, i);
		if (sipk_parse(buf, i, m) == SIPK_OK &&
		    i < (size_t)(strstr(st_invite, "\r\n\r\n") - st_invite) + 4) {
			pr_err("self-test: prefix of %zu octets accepted\n", i);
			err = -EINVAL;
		}
	}
	kfree(m);
	return err;
}

/**
 * sipk_selftest() - run the load-time self-tests
 *
 * Return: 0 when all pass, else a negative errno.
 */
int sipk_selftest(void)
{
	u8 *buf;
	int n = 0, failed = 0, err;

	buf = kmalloc(3 * 2048, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	err = st_siphash();
	n++;
	if (err) {
		pr_err("self-test: siphash vector failed\n");
		failed++;
	}
	err = st_roundtrip(buf, 2048, buf + 2048, 2048);
	n++;
	if (err) {
		pr_err("self-test: request/response round trip failed\n");
		failed++;
	}
	err = st_hostile(buf + 4096);
	n++;
	if (err)
		failed++;
	err = sipk_table_selftest();	/* says itself which case failed */
	n++;
	if (err)
		failed++;
	kfree(buf);
	if (failed) {
		pr_err("self-tests: %d of %d failed\n", failed, n);
		return -EINVAL;
	}
	pr_info("self-tests: %d passed\n", n);
	return 0;
}
