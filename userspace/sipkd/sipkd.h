/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipkd.h - what the parts of sipkd share.
 *
 * sipkd is the daemon of sipk: the registrar (RFC 3261 section 10), the
 * redirect server, and the slow path for whatever the kernel hands up.
 * One thread, one libevent loop; every part below is called from it.
 *
 *	main.c		command line, start-up, the loop, signals, statistics
 *	log.c		levels, stderr or syslog
 *	conf.c		the configuration file
 *	sipmsg.c	userspace SIP helpers on top of the core's offsets
 *	obuf.c		a bounded output buffer for the messages it builds
 *	transport.c	UDP and TCP sockets (IPv4, IPv6), TCP connections
 *			both ways, sending, local addresses, multicast
 *	dns.c		RFC 3263 server location with c-ares
 *	locate.c	requests to targets without an address: DNS, then on
 *			to the first target that takes them
 *	trans.c		server transactions: stored responses, 3xx retransmission
 *	proxy.c		the stateful proxy: forking, client transactions, CANCEL
 *	core.c		what to do with a request or a response
 *	registrar.c	REGISTER
 *	location.c	the bindings in memory, expiry
 *	auth.c		digest authentication, nonces, the credentials file
 *	db.c		persistence (SQLite)
 *	kernel.c	the sipk module over generic netlink
 */
#ifndef _SIPKD_H
#define _SIPKD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/sipk.h>

#include "sip_core.h"

#define SIPKD_VERSION		"0.1"
#define SIPKD_BRANCH_PREFIX	"z9hG4bKsd"	/* the kernel's is z9hG4bKsk */
#define SIPKD_DEFAULT_CONF	"/etc/sipkd/sipkd.conf"
#define SIPKD_DEFAULT_DB	"/var/lib/sipkd/sipkd.db"

/* exit status: stable, documented in sipkd(8) */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,	/* socket, database, memory: see the log */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_CONFIG = 3,	/* bad configuration or credentials file */
	EXIT_NO_MODULE = 4,	/* kernel = require, and no sipk module */
};

/* ---- log.c ---- */
enum log_level { LOG_L_ERR, LOG_L_WARN, LOG_L_NOTICE, LOG_L_INFO, LOG_L_DEBUG };
enum log_target { LOG_T_AUTO, LOG_T_STDERR, LOG_T_SYSLOG };

void log_setup(enum log_level level, enum log_target target, bool foreground);
void log_set_level(enum log_level level);
void log_started(void);	/* detached: errors no longer go to stderr too */
bool log_enabled(enum log_level level);
void __attribute__((format(printf, 2, 3))) logmsg(enum log_level level,
						  const char *fmt, ...);
#define log_err(...)	logmsg(LOG_L_ERR, __VA_ARGS__)
#define log_warn(...)	logmsg(LOG_L_WARN, __VA_ARGS__)
#define log_notice(...)	logmsg(LOG_L_NOTICE, __VA_ARGS__)
#define log_info(...)	logmsg(LOG_L_INFO, __VA_ARGS__)
#define log_debug(...)	do { if (log_enabled(LOG_L_DEBUG)) \
				logmsg(LOG_L_DEBUG, __VA_ARGS__); } while (0)
const char *log_level_name(enum log_level l);
int log_level_parse(const char *s, enum log_level *l);

/* ---- conf.c ---- */
#define MAX_LISTEN	16
#define AUTH_ALG_MD5		(1u << 0)
#define AUTH_ALG_SHA256		(1u << 1)

enum kernel_mode { KERNEL_AUTO, KERNEL_OFF, KERNEL_REQUIRE };
enum fork_mode { FORK_PARALLEL, FORK_SEQUENTIAL };
enum domain_mode { MODE_PROXY, MODE_REDIRECT };

struct domain {
	struct domain *next;
	char *name;		/* lower case; an IPv6 literal has brackets */
	char *realm;
	enum domain_mode mode;
	bool auth;
	unsigned int algs;	/* AUTH_ALG_*, in challenge order below */
	unsigned char alg_order[2];	/* AUTH_ALG_* values, 0: none */
	char **redirect_users;	/* users of this domain always redirected */
	unsigned int n_redirect;
};

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[96];
};

struct config {
	char *path;
	struct listen_addr listen[MAX_LISTEN];
	unsigned int n_listen;
	enum log_level log_level;
	enum log_target log_target;
	char *database;
	enum kernel_mode kernel;
	char *credentials;
	unsigned int min_expires, max_expires, default_expires;
	unsigned int max_contacts;
	unsigned int nonce_lifetime;
	unsigned int udp_rcvbuf;	/* SO_RCVBUF of the UDP sockets */
	bool record_route;
	bool tcp;			/* listen on TCP too */
	unsigned int tcp_idle;		/* seconds before an idle TCP connection closes */
	unsigned int tcp_connect_timeout;	/* seconds */
	unsigned int udp_max;		/* larger requests go over TCP (RFC 3261 18.1.1) */
	char *dns_servers;		/* c-ares CSV "addr[:port],...", NULL: resolv.conf */
	char *multicast_if;		/* join sip.mcast.net there, NULL: no */
	unsigned int kernel_retry;	/* seconds between module checks */
	enum fork_mode fork_mode;	/* several contacts: all at once, or by q */
	unsigned int fork_timeout;	/* sequential: seconds a q group rings */
	char *pid_file;
	struct domain *domains;
};

extern struct config conf;

void conf_defaults(struct config *c);
/* 0, or -1 after printing "FILE:LINE: what is wrong" */
int conf_load(struct config *c, const char *path, bool must_exist);
int conf_finish(struct config *c);
int conf_add_listen(struct config *c, const char *text, const char *where);
struct domain *domain_find(const u8 *host, size_t len);
bool domain_redirects_user(const struct domain *d, const u8 *user, size_t len);

/* ---- sipmsg.c ---- */
struct raw_hdr {
	u16 name_off, name_len;
	u16 val_off, val_len;	/* trimmed, folding included */
	u16 line_off, line_len;	/* up to its line end, without it */
};

struct hdr_it {
	const u8 *b;
	u16 p, end;
};

void hdr_it_init(struct hdr_it *it, const u8 *buf, size_t len);
bool hdr_it_next(struct hdr_it *it, struct raw_hdr *h);
bool hdr_is(const u8 *b, const struct raw_hdr *h, const char *name,
	    char compact);

#define MAX_CONTACTS_MSG	32
struct contact_ent {
	struct sipk_str uri;	/* the URI, without angle brackets */
	struct sipk_str params;	/* header parameters ";a=b;c", may be empty */
	int expires;		/* -1: absent */
	int q;			/* thousandths, -1: absent */
};

/* Contact headers of a parsed message: count, -1 malformed, -2 too many */
int contacts_parse(const struct sipk_msg *m, struct contact_ent *out, int max,
		   bool *star);
int parse_qvalue(const u8 *s, size_t len);
/* user@host (host lower case) [:port unless 5060]; -1 if too long */
int aor_from_uri(const u8 *buf, const struct sipk_uri *u, char *out,
		 size_t size);
/* lower-cases scheme and host of a URI copy, for comparisons */
void uri_normalize(char *uri);

/* the option tags of every header @name, comma-joined */
size_t hdr_values(const struct sipk_msg *m, const char *name, char *out,
		  size_t size);
bool hdr_present(const struct sipk_msg *m, const char *name, char compact);

/* Digest credentials from an Authorization header (RFC 7616) */
struct digest_cred {
	char username[128], realm[128], nonce[160], uri[512];
	char response[130], algorithm[32], cnonce[128], qop[32], nc[16];
	char opaque[128];
	bool has_qop;
};
int digest_parse(const u8 *b, size_t len, struct digest_cred *c);
/* first Authorization header for @realm: 0, or -1 none, -2 malformed */
int find_authorization(const struct sipk_msg *m, const char *realm,
		       struct digest_cred *c);

/* a short printable rendering of a message's first line for logs */
const char *first_line(const u8 *buf, size_t len, char *out, size_t size);

/* ---- obuf.c: a bounded output buffer ---- */

struct obuf {
	char *b;
	size_t len, size;
	bool overflow;		/* something did not fit: the result is void */
};

void ob_put(struct obuf *o, const void *s, size_t n);
void ob_str(struct obuf *o, const char *s);
/* a header value with folding turned into spaces and controls dropped */
void ob_value(struct obuf *o, const u8 *b, u16 off, u16 len);
void ob_fmt(struct obuf *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- transport.c ---- */
enum tp_kind { TP_UDP, TP_TCP };

struct listener;

/* where a message came from and where it arrived */
struct rxinfo {
	enum tp_kind tp;
	struct listener *l;
	struct sockaddr_storage src;
	socklen_t srclen;
	struct sockaddr_storage local;	/* the destination address it had */
	bool has_local;
	int ifindex;
	struct sipk_addr src_a;		/* src, as the core wants it */
	u64 conn;			/* TCP: the connection, else 0 */
};

/* how to send something back (or forward it) */
struct dest {
	struct listener *l;
	struct sockaddr_storage to;
	socklen_t tolen;
	struct sockaddr_storage from;	/* source address to use, if set */
	bool has_from;
	int ifindex;
	u64 conn;			/* TCP: send on this connection */
};

int transport_open(void);
void transport_close(void);
int transport_send(const struct dest *d, const void *buf, size_t len);

/* one place to send a request to: from RFC 3263 (dns.c) or a binding */
struct sip_target {
	struct sipk_addr addr;
	enum tp_kind tp;
};

#define TX_FALLBACK_UDP	(1u << 0)	/* TCP only for its size: UDP if refused */
/*
 * Called once when a send that could not finish at once has: err 0 (sent,
 * or queued on an established connection), else a negative errno (the
 * connection was refused or timed out; nothing was sent).
 */
typedef void (*transport_done_fn)(void *arg, int err);
/*
 * Sends @buf to @t: UDP from the listener that routes there, TCP on a
 * connection to @t (reused, or opened without blocking).  Return: 0 sent
 * (or queued), 1 pending (@done is called later), -1 failed now.  With
 * TX_FALLBACK_UDP a refused connection sends it over UDP instead, the top
 * Via's transport changed back.
 */
int transport_send_target(const struct sip_target *t, const void *buf,
			  size_t len, unsigned int flags,
			  transport_done_fn done, void *arg);
/* the top Via's transport ("UDP", "TCP") changed in place; 0 or -1 */
int via_set_transport(u8 *buf, size_t len, const char *tp);
/* the listener to send to @a from, and our address and port as a Via */
int transport_route(const struct sipk_addr *a, struct dest *d,
		    struct sipk_addr *self);
bool transport_is_local(const struct sipk_addr *a);
/* a TCP connection from @a (address and port, else address only), or 0 */
u64 transport_conn_find(const struct sipk_addr *a);
unsigned int transport_conn_count(void);
void transport_refresh_local(void);

void sa_to_sipk(const struct sockaddr *sa, struct sipk_addr *a);
socklen_t sipk_to_sa(const struct sipk_addr *a, struct sockaddr_storage *ss);
const char *sa_fmt(const struct sockaddr *sa, char *buf, size_t size);
const char *sipk_addr_fmt(const struct sipk_addr *a, char *buf, size_t size);
bool sipk_addr_eq(const struct sipk_addr *a, const struct sipk_addr *b);
/* "198.18.0.1:5060", "[2001:db8::1]:5060" -> address; 0 or -1 */
int sipk_addr_parse(const char *s, struct sipk_addr *a);

/* ---- dns.c ---- */
/*
 * the value of URI parameter @name in @p (the parameters, ";a=b;c"), into
 * @out; false when absent, valueless or longer than @size - 1
 */
bool sip_uri_param(const char *p, size_t len, const char *name, char *out,
		   size_t size);
#define SIP_MAX_TARGETS	16
/*
 * The targets of a SIP URI in the order to try them (RFC 3263), or err:
 * -ENOENT no such name / no usable record, -EAGAIN resolver failure or
 * timeout, -EINVAL / -EPROTONOSUPPORT a URI we cannot send to,
 * -ECANCELED sipkd stops.  Always called once, and not from inside
 * sip_resolve() itself (a later turn of the loop at the earliest), except
 * with -ENOMEM when not even the job could be allocated.
 */
typedef void (*sip_resolve_cb)(void *arg, int err,
			       const struct sip_target *t, int n);
int dns_open(void);
void dns_close(void);
void sip_resolve(const char *uri, sip_resolve_cb cb, void *arg);
unsigned int dns_cache_count(void);

/* ---- core.c ---- */
void count_tx(int code);	/* a response sent: tx_1xx ... tx_6xx */
struct event_base;
extern struct event_base *evbase;
extern sipk_key_t fwd_key;	/* branch and Record-Route MACs */
extern sipk_key_t tag_key;	/* To tags */

void sip_received(const u8 *buf, size_t len, const struct rxinfo *rx);

/* a response to @m built and sent; stored as a server transaction */
void reply(const struct sipk_msg *m, const struct rxinfo *rx, int code,
	   const char *reason, const char *extra);
void reply_420(const struct sipk_msg *m, const struct rxinfo *rx,
	       const char *hdr);
/* q in thousandths as a qvalue: 1000 -> "1", 500 -> "0.5" (8 octets) */
const char *qstr(u16 q, char *buf);
/* the response's text only (for the registrar's 200), 0 or -1 */
int build_response(const struct sipk_msg *m, const struct rxinfo *rx,
		   int code, const char *reason, const char *extra, char *out,
		   size_t size, size_t *len);
/* where responses to @m go (RFC 3261 18.2.2, RFC 3581) */
void response_dest(const struct sipk_msg *m, const struct rxinfo *rx,
		   struct dest *d);

/* forwards @m to one target; 0 done, 1 @done follows, -1 try another */
int forward_to(const struct sipk_msg *m, const struct rxinfo *rx,
	       const char *uri, const struct sip_target *t, u8 pop,
	       transport_done_fn done, void *arg);

/* ---- locate.c ---- */
/* @m for @uri, a target without an address: located, then forwarded */
void forward_locate(const struct sipk_msg *m, const struct rxinfo *rx,
		    const char *uri, u8 pop);
/*
 * An in-dialog request with our Route and a host name (or TCP) as its
 * remote target: located, then forwarded (Route popped) to the first target
 * the Route's MAC names; 403 when it names none.
 */
void forward_locate_dialog(const struct sipk_msg *m, const struct rxinfo *rx,
			   u8 pop);

/* ---- trans.c ---- */
#define T1_MS		500
#define T2_MS		4000
#define T4_MS		5000
struct stx;
/* the server transaction key of @m (17.2.3); @as_invite: of its INVITE */
void stx_key(const struct sipk_msg *m, bool as_invite, char *out, size_t size);
struct stx *stx_find(const struct sipk_msg *m);
/* remembers @resp as the answer of @m; INVITE: retransmitted until ACK */
void stx_add(const struct sipk_msg *m, const struct dest *d,
	     const void *resp, size_t len, int code);
/* a retransmission or an ACK for one of ours: handled, true */
bool stx_absorb(const struct sipk_msg *m);
/* a CANCEL's INVITE is one we answered ourselves */
bool stx_invite_answered(const struct sipk_msg *cancel);
void stx_flush(void);
unsigned int stx_count(void);

/* ---- proxy.c ---- */
/* one place a request for an AOR can go */
struct target {
	const char *uri;
	struct sipk_addr dst;
	u16 q;
	u32 flags;
	time_t expires;		/* 0: never */
	time_t updated;
};

/*
 * A retransmission, an ACK or a CANCEL of a request being proxied
 * statefully: handled (absorbed, answered, the branches cancelled), true.
 */
bool proxy_absorb(const struct sipk_msg *m, const struct rxinfo *rx);
/*
 * Forwards @m statefully to @t (several targets: forking, RFC 3261 16.6,
 * 16.7).  @m has passed 16.3 and is rewritable; @npop of its top Routes
 * are ours.
 */
void proxy_fork(const struct sipk_msg *m, const struct rxinfo *rx,
		const struct target *t, int n, u8 npop);
/* a response whose top Via carries one of our stateful branches */
bool proxy_is_ours(const struct sipk_msg *m);
void proxy_response(const struct sipk_msg *m, const struct rxinfo *rx);
void proxy_flush(void);
unsigned int proxy_count(void);

/* ---- location.c ---- */
struct binding {
	struct binding *next;
	char *uri;		/* the contact URI, as registered */
	char *call_id;
	u32 cseq;
	time_t expires;		/* absolute, wall clock */
	u16 q;			/* thousandths */
	u32 flags;		/* SIPK_F_* */
	struct sipk_addr dst;	/* where requests for it go */
	struct sipk_addr src;	/* where the REGISTER came from */
	time_t updated;
	bool in_kernel;
	bool touched;		/* changed by the request being processed */
};

struct aor {
	struct aor *hnext;
	char *name;
	struct binding *bindings;
	unsigned int n;
};

void loc_init(void);
struct aor *loc_find(const char *name);
struct aor *loc_get(const char *name);
/* replaces @a's bindings (freeing the old list); drops @a when empty */
void loc_set(struct aor *a, struct binding *list);
void loc_add_binding(struct aor *a, struct binding *b);
struct binding *binding_new(const char *uri, const char *call_id);
struct binding *binding_dup(const struct binding *b);
void binding_free(struct binding *b);
void binding_list_free(struct binding *b);
void loc_expire(time_t now);
void loc_foreach(void (*fn)(struct aor *a, void *arg), void *arg);
unsigned int loc_count(unsigned int *bindings);
/* the best contact of an AOR (highest q, most recent) */
const struct binding *loc_best(const struct aor *a, time_t now);

/* ---- registrar.c ---- */
void registrar(const struct sipk_msg *m, const struct rxinfo *rx,
	       const struct domain *d);

/* ---- auth.c ---- */
int auth_load(const char *path);
void auth_reload(void);
/*
 * Checks the Authorization of @m for @d.  Return: 0 authenticated as
 * @user; or 1 when a response was sent (401 or 403).
 */
int auth_check(const struct sipk_msg *m, const struct rxinfo *rx,
	       const struct domain *d, char *user, size_t usize);
bool auth_user_known(const char *user, size_t ulen, const char *realm);
void auth_expire(time_t now);
int ha1_print(const char *user, const char *realm, const char *password,
	      const char *alg);

/* ---- db.c ---- */
int db_open(const char *path);
void db_close(void);
/*
 * replaces every row of @aor by @list; 0 committed (in a burst: part of
 * the burst's transaction, committed by db_batch_end()), -1 failed (logged)
 */
int db_store_aor(const char *aor, const struct binding *list);
/* loads every binding; expired ones are dropped (and deleted) */
int db_load(time_t now);
int db_delete_binding(const char *aor, const char *uri);
/* one transaction for the REGISTERs of a burst: 0, or -1 when not stored */
void db_batch_begin(void);
int db_batch_end(void);

/* ---- kernel.c ---- */
int kernel_open(enum kernel_mode mode);
void kernel_close(void);
bool kernel_active(void);
/* pushes one binding (LOC_ADD, owner daemon) or removes it (LOC_DEL) */
void kernel_push(const char *aor, struct binding *b, time_t now);
void kernel_remove(const char *aor, const struct binding *b);
/* LOC_FLUSH of the daemon's entries, then every live binding again */
void kernel_resync(time_t now);
/* the module appeared, or went: checked every kernel-retry seconds */
void kernel_poll(time_t now);

/* contacts the kernel has for an AOR (static ones included) */
struct kcontact {
	char uri[SIPK_URI_MAX + 1];
	struct sipk_addr dst;
	u16 q;
	u32 flags;
	u32 owner;
	u32 expires;
};
int kernel_lookup(const char *aor, struct kcontact *out, int max);

/* ---- main.c: counters ---- */
enum stat_id {
	ST_RX, ST_RX_REQUEST, ST_RX_RESPONSE,
	ST_RX_INVITE, ST_RX_ACK, ST_RX_BYE, ST_RX_CANCEL, ST_RX_REGISTER,
	ST_RX_OPTIONS, ST_RX_OTHER,
	ST_MALFORMED, ST_DROPPED, ST_RETRANSMISSION,
	ST_FWD_REQUEST, ST_FWD_INVITE, ST_FWD_RESPONSE,
	ST_TX_1XX, ST_TX_2XX, ST_TX_3XX, ST_TX_4XX, ST_TX_5XX, ST_TX_6XX,
	ST_TX_RETRANSMIT,
	ST_REG_ADDED, ST_REG_REFRESHED, ST_REG_REMOVED, ST_REG_EXPIRED,
	ST_AUTH_CHALLENGE, ST_AUTH_OK, ST_AUTH_FAILED, ST_AUTH_REPLAY,
	ST_KERNEL_ADD, ST_KERNEL_DEL, ST_KERNEL_ERROR,
	ST_FORK, ST_FORK_BRANCH, ST_FORK_CANCEL, ST_FORK_ACK,
	ST_FORK_TIMEOUT,
	ST_FWD_TCP, ST_TCP_FALLBACK, ST_TCP_FAILED,
	ST_DNS_RESOLVED, ST_DNS_FAILED,
	ST_MAX
};
extern unsigned long long stats[ST_MAX];
#define STAT(x)	(stats[(x)]++)
void stats_log(void);

#endif /* _SIPKD_H */
