/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipkctl.h - what the parts of sipkctl share.
 *
 * A command line (or a batch line) is parsed and checked completely into
 * a struct request before sipkctl talks to the kernel at all, so bad input
 * is reported (exit 2) even where the module is not loaded (exit 3).
 */
#ifndef _SIPKCTL_H
#define _SIPKCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <netlink/msg.h>
#include <linux/sipk.h>

#include "sip_core.h"

/* exit status: stable, documented in sipkctl(8) */
enum {
	EXIT_OK = 0,
	EXIT_NETLINK = 1,	/* the kernel refused, or netlink failed */
	EXIT_USAGE = 2,		/* bad command line or batch line */
	EXIT_NO_MODULE = 3,	/* the "sipk" family does not resolve */
};

/* a compile-time knob for tests against another family; never "sipk" otherwise */
#ifndef SIPKCTL_FAMILY
#define SIPKCTL_FAMILY SIPK_GENL_NAME
#endif
#ifndef SIPKCTL_MCGRP
#define SIPKCTL_MCGRP SIPK_MCGRP_EVENTS
#endif

/*
 * How the replies to a request are shown.  begin() runs before the first
 * reply (or before end() when there was none), end() after the last.
 */
struct reply_ops {
	void (*begin)(void);
	void (*reply)(const struct nlmsghdr *nlh);
	void (*end)(void);
};

struct request {
	struct nl_msg *msg;		/* NULL: nothing to send (help) */
	const struct reply_ops *ops;	/* NULL: an ack is all we expect */
	bool monitor;			/* "monitor": not a request */
};

/* sipkctl.c */
extern unsigned int batch_line;	/* line being parsed or sent; 0: argv */
int dispatch(int argc, char **argv, struct request *req);

/* args.c: argument checking; each returns 0, or -1 after saying why */
#define KW_UNKNOWN	(-1)
#define KW_AMBIGUOUS	(-2)

void __attribute__((format(printf, 1, 2))) err_msg(const char *fmt, ...);
void __attribute__((format(printf, 1, 2))) err_plain(const char *fmt, ...);
int invarg(const char *what, const char *arg);
int unknown_cmd(const char *object, const char *arg);
int unknown_arg(const char *object, const char *arg);
int missing(const char *object, const char *what);
int keyword(const char *arg, const char *const *words);
bool is_keyword(const char *arg, const char *word);

struct contact {
	char uri[SIPK_URI_MAX];
	struct sipk_addr addr;	/* family 0 when not resolved */
};

int parse_aor(const char *arg, const char *what, char *out);
int parse_contact(const char *arg, bool resolve, struct contact *c);
int parse_domain(const char *arg, char *out);
int parse_hostport(const char *arg, struct sipk_addr *a);
int parse_q(const char *arg, uint16_t *q);
int parse_u32(const char *arg, uint32_t min, uint32_t max, uint32_t *out);
int parse_port(const char *arg, uint16_t *port);

/* netlink.c */
struct nl_msg *genl_request(uint8_t cmd, int flags);
struct nlattr *nest_start(struct nl_msg *msg, int type);
void nest_end(struct nl_msg *msg, struct nlattr *nest);
void put_str(struct nl_msg *msg, int type, const char *s);
void put_u8(struct nl_msg *msg, int type, uint8_t v);
void put_u16(struct nl_msg *msg, int type, uint16_t v);
void put_u32(struct nl_msg *msg, int type, uint32_t v);
void put_addr(struct nl_msg *msg, const struct sipk_addr *a);

int nl_open(void);
void nl_submit(struct nl_msg *msg, const struct reply_ops *ops);
void nl_finish(void);
int nl_open_events(int *fd);
int nl_read_events(void (*fn)(const struct nlmsghdr *nlh));
extern unsigned int nl_failures;

bool attr_str(const struct nlattr *a, char *buf, size_t size);
bool attr_u16(const struct nlattr *a, uint16_t *v);
bool attr_u32(const struct nlattr *a, uint32_t *v);
const char *format_addr(const struct nlattr *tb_v4, const struct nlattr *tb_v6,
			char *buf, size_t size);

/* print.c: one code path, two renderings (text, -j JSON) */
enum output_type {
	PRINT_FP = 1,
	PRINT_JSON = 2,
	PRINT_ANY = 3,
};

void print_init(bool json);
bool is_json(void);
void open_json_object(const char *key);
void close_json_object(void);
void open_json_array(const char *key);
void close_json_array(void);
void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *val);
void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned int val);
void print_u64(enum output_type t, const char *key, const char *fmt,
	       uint64_t val);
void print_q(enum output_type t, const char *key, const char *fmt,
	     unsigned int thousandths);
void print_on_off(enum output_type t, const char *key, const char *fmt,
		  bool val);
void print_flag(const char *key, const char *text, bool val);
void print_nl(void);
void print_doc_end(void);
void print_list_begin(void);
void print_list_end(void);
void print_object_begin(void);
void print_object_end(void);

/* the objects */
int do_loc(int argc, char **argv, struct request *req);
int do_alias(int argc, char **argv, struct request *req);
int do_route(int argc, char **argv, struct request *req);
int do_config(int argc, char **argv, struct request *req);
int do_stats(int argc, char **argv, struct request *req);
int do_monitor(int argc, char **argv, struct request *req);
int run_monitor(void);

void usage_loc(FILE *f);
void usage_alias(FILE *f);
void usage_route(FILE *f);
void usage_config(FILE *f);
void usage_stats(FILE *f);
void usage_monitor(FILE *f);

void print_contact(const char *event, const char *aor,
		   const struct nlattr *contact);

#endif /* _SIPKCTL_H */
