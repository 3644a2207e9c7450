// SPDX-License-Identifier: GPL-2.0
/*
 * auth.c - HTTP Digest authentication for the registrar (RFC 3261 22,
 * RFC 7616, RFC 8760: MD5 and SHA-256, and their -sess forms; qop=auth).
 *
 * The credentials file holds HA1 hashes, never passwords:
 *
 *	# user:realm:ALGORITHM:HA1
 *	alice:sipk.test:MD5:0c8e5d5b1a4c1f0f3cc1ad9e0b3a4f1e
 *	alice:sipk.test:SHA-256:5e0f...
 *	bob:sipk.test:3f1b...		(3 fields: MD5, as htdigest writes it)
 *
 * "sipkd --ha1 USER REALM PASSWORD" prints the lines.
 *
 * A nonce is hex(time[8] random[8] MAC[16]), the MAC keyed with a
 * per-start secret: sipkd recognises its own nonces without state, and
 * they expire after nonce-lifetime seconds (stale=true then).  Each
 * nonce issued is also remembered with the highest nonce-count seen, so
 * a replayed request (same or lower nc) is refused: 401, fresh nonce.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <openssl/evp.h>

#include "sipkd.h"

enum alg { A_MD5, A_MD5_SESS, A_SHA256, A_SHA256_SESS };

struct cred {
	struct cred *next;
	struct cred *hnext;	/* the next one in its user's bucket */
	char *user, *realm;
	unsigned int alg;	/* AUTH_ALG_MD5 or AUTH_ALG_SHA256 */
	char ha1[65];
};

static struct cred *creds;
static unsigned int n_creds;
/* creds by user name: every REGISTER looks one up */
static struct cred **cred_ht;
static size_t cred_ht_size;	/* a power of two, >= n_creds */

/* issued nonces and the highest nc seen for each */
struct nonce {
	struct nonce *hnext;
	char text[65];
	time_t issued;
	unsigned long last_nc;	/* 0: not used yet */
};

#define NONCE_BUCKETS	4096
#define NONCE_MAX	200000
static struct nonce *nonces[NONCE_BUCKETS];
static unsigned int n_nonces;
static sipk_key_t nonce_key;
static bool nonce_key_set;

/* ---- hashing ---- */

static const EVP_MD *md_of(unsigned int alg)
{
	return alg == AUTH_ALG_SHA256 ? EVP_sha256() : EVP_md5();
}

/* hex(H(data)) into @out (33 or 65 octets) */
static int hash_hex(unsigned int alg, const char *data, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!EVP_Digest(data, len, md, &n, md_of(alg), NULL))
		return -1;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n] = '\0';
	return 0;
}

static int hash_fmt(unsigned int alg, char *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int hash_fmt(unsigned int alg, char *out, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return hash_hex(alg, buf, (size_t)n, out);
}

int ha1_print(const char *user, const char *realm, const char *password,
	      const char *alg)
{
	char h[65];
	bool md5 = !alg || !strcasecmp(alg, "MD5");
	bool sha = !alg || !strcasecmp(alg, "SHA-256");

	if (!md5 && !sha) {
		fprintf(stderr, "sipkd: unknown algorithm \"%s\" (MD5 or SHA-256)\n",
			alg);
		return EXIT_USAGE;
	}
	if (strchr(user, ':') || strchr(realm, ':') || !*user || !*realm) {
		fprintf(stderr, "sipkd: user and realm must be non-empty and hold no ':'\n");
		return EXIT_USAGE;
	}
	if (md5) {
		if (hash_fmt(AUTH_ALG_MD5, h, "%s:%s:%s", user, realm, password))
			return EXIT_RUNTIME;
		printf("%s:%s:MD5:%s\n", user, realm, h);
	}
	if (sha) {
		if (hash_fmt(AUTH_ALG_SHA256, h, "%s:%s:%s", user, realm,
			     password))
			return EXIT_RUNTIME;
		printf("%s:%s:SHA-256:%s\n", user, realm, h);
	}
	return EXIT_OK;
}

/* ---- the credentials file ---- */

static void creds_free(struct cred *c)
{
	while (c) {
		struct cred *next = c->next;

		free(c->user);
		free(c->realm);
		free(c);
		c = next;
	}
}

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static size_t user_hash(const char *s, size_t n)
{
	size_t h = 14695981039346656037ull, i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* indexes creds by user; in list order within a bucket (the first wins) */
static void creds_index(void)
{
	size_t size = 16, i;
	struct cred *c, **tail;

	while (size < n_creds)
		size <<= 1;
	free(cred_ht);
	cred_ht = calloc(size, sizeof(*cred_ht));
	if (!cred_ht) {
		log_err("out of memory");
		exit(EXIT_RUNTIME);
	}
	cred_ht_size = size;
	for (c = creds; c; c = c->next) {
		i = user_hash(c->user, strlen(c->user)) & (size - 1);
		for (tail = &cred_ht[i]; *tail; tail = &(*tail)->hnext)
			;
		c->hnext = NULL;
		*tail = c;
	}
}

int auth_load(const char *path)
{
	FILE *f = fopen(path, "r");
	struct cred *list = NULL;
	char line[1024];
	unsigned int n = 0, count = 0;
	bool bad = false;

	if (!f) {
		fprintf(stderr, "sipkd: cannot read the credentials file %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *fld[5], *s = line, *e;
		unsigned int nf = 0, alg = AUTH_ALG_MD5;
		struct cred *c;
		size_t i;

		n++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			continue;
		fld[nf++] = s;
		for (; *s && nf < 5; s++)
			if (*s == ':') {
				*s = '\0';
				fld[nf++] = s + 1;
			}
		if (nf == 4) {
			if (!strcasecmp(fld[2], "MD5"))
				alg = AUTH_ALG_MD5;
			else if (!strcasecmp(fld[2], "SHA-256"))
				alg = AUTH_ALG_SHA256;
			else {
				fprintf(stderr, "sipkd: %s:%u: unknown algorithm \"%s\" (MD5 or SHA-256)\n",
					path, n, fld[2]);
				bad = true;
				continue;
			}
			fld[2] = fld[3];
		} else if (nf != 3) {
			fprintf(stderr, "sipkd: %s:%u: expected user:realm:[ALGORITHM:]HA1\n",
				path, n);
			bad = true;
			continue;
		}
		if (!*fld[0] || !*fld[1]) {
			fprintf(stderr, "sipkd: %s:%u: empty user or realm\n",
				path, n);
			bad = true;
			continue;
		}
		if (!is_hex(fld[2], alg == AUTH_ALG_SHA256 ? 64 : 32)) {
			fprintf(stderr, "sipkd: %s:%u: HA1 \"%s\" is not %u hex digits (%s)\n",
				path, n, fld[2], alg == AUTH_ALG_SHA256 ? 64 : 32,
				alg == AUTH_ALG_SHA256 ? "SHA-256" : "MD5");
			bad = true;
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c || !(c->user = strdup(fld[0])) ||
		    !(c->realm = strdup(fld[1]))) {
			fprintf(stderr, "sipkd: out of memory\n");
			fclose(f);
			exit(EXIT_RUNTIME);
		}
		c->alg = alg;
		for (i = 0; fld[2][i]; i++)
			c->ha1[i] = (char)tolower((unsigned char)fld[2][i]);
		c->next = list;
		list = c;
		count++;
	}
	fclose(f);
	if (bad) {
		creds_free(list);
		return -1;
	}
	creds_free(creds);
	creds = list;
	n_creds = count;
	creds_index();
	log_info("credentials %s: %u entr%s", path, count,
		 count == 1 ? "y" : "ies");
	return 0;
}

void auth_reload(void)
{
	if (!conf.credentials)
		return;
	/* a broken file keeps the credentials loaded before */
	if (auth_load(conf.credentials))
		log_err("credentials %s not reloaded: see the errors above",
			conf.credentials);
	else
		log_notice("credentials %s reloaded: %u entries",
			   conf.credentials, n_creds);
}

static const struct cred *cred_find(const char *user, const char *realm,
				    unsigned int alg)
{
	const struct cred *c;

	if (!cred_ht)
		return NULL;
	c = cred_ht[user_hash(user, strlen(user)) & (cred_ht_size - 1)];
	for (; c; c = c->hnext)
		if (c->alg == alg && !strcmp(c->user, user) &&
		    !strcmp(c->realm, realm))
			return c;
	return NULL;
}

bool auth_user_known(const char *user, size_t ulen, const char *realm)
{
	const struct cred *c;

	if (!cred_ht)
		return false;
	c = cred_ht[user_hash(user, ulen) & (cred_ht_size - 1)];
	for (; c; c = c->hnext)
		if (strlen(c->user) == ulen && !memcmp(c->user, user, ulen) &&
		    !strcmp(c->realm, realm))
			return true;
	return false;
}

/* ---- nonces ---- */

static void key_init(void)
{
	if (nonce_key_set)
		return;
	if (getrandom(&nonce_key, sizeof(nonce_key), 0) != sizeof(nonce_key)) {
		log_err("cannot get random bytes for the nonce key");
		exit(EXIT_RUNTIME);
	}
	nonce_key_set = true;
}

static unsigned int nonce_hash(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % NONCE_BUCKETS;
}

static void hex_put(char *out, const u8 *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex_get(const char *s, u8 *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = nibble(s[2 * i]), lo = hi < 0 ? -1 : nibble(s[2 * i + 1]);

		if (lo < 0)
			return -1;
		out[i] = (u8)(hi << 4 | lo);
	}
	return 0;
}

static void nonce_mac(const u8 *head, const char *realm, u8 *mac)
{
	u8 buf[16 + 128];
	size_t rl = strlen(realm);
	u64 a, b;

	if (rl > 128)
		rl = 128;
	memcpy(buf, head, 16);
	memcpy(buf + 16, realm, rl);
	a = sipk_siphash(buf, 16 + rl, &nonce_key);
	buf[0] ^= 0x5a;
	b = sipk_siphash(buf, 16 + rl, &nonce_key);
	memcpy(mac, &a, 8);
	memcpy(mac + 8, &b, 8);
}

static void nonce_new(const char *realm, time_t now, char *out)
{
	u8 raw[32];
	u64 t = (u64)now;
	int i;
	struct nonce *n;
	unsigned int h;

	key_init();
	for (i = 0; i < 8; i++)
		raw[i] = (u8)(t >> (56 - 8 * i));
	if (getrandom(raw + 8, 8, 0) != 8)
		memset(raw + 8, 0, 8);
	nonce_mac(raw, realm, raw + 16);
	hex_put(out, raw, 32);
	if (n_nonces >= NONCE_MAX)
		return;		/* flooded: it will be stale when used */
	n = calloc(1, sizeof(*n));
	if (!n)
		return;
	memcpy(n->text, out, 65);
	n->issued = now;
	h = nonce_hash(out);
	n->hnext = nonces[h];
	nonces[h] = n;
	n_nonces++;
}

/* a nonce of ours, for @realm, not expired: its entry */
static struct nonce *nonce_check(const char *text, const char *realm,
				 time_t now)
{
	u8 raw[32], mac[16];
	struct nonce *n;
	time_t t = 0;
	int i;

	key_init();
	if (strlen(text) != 64 || hex_get(text, raw, 32))
		return NULL;
	nonce_mac(raw, realm, mac);
	if (memcmp(mac, raw + 16, 16))
		return NULL;
	for (i = 0; i < 8; i++)
		t = (time_t)(((u64)t << 8) | raw[i]);
	if (t > now || now - t > (time_t)conf.nonce_lifetime)
		return NULL;
	for (n = nonces[nonce_hash(text)]; n; n = n->hnext)
		if (!strcmp(n->text, text))
			return n;
	return NULL;
}

void auth_expire(time_t now)
{
	unsigned int i;

	for (i = 0; i < NONCE_BUCKETS; i++) {
		struct nonce **pp = &nonces[i], *n;

		while ((n = *pp)) {
			if (now - n->issued > (time_t)conf.nonce_lifetime ||
			    n->issued > now) {
				*pp = n->hnext;
				free(n);
				n_nonces--;
			} else {
				pp = &n->hnext;
			}
		}
	}
}

/* ---- challenge and check ---- */

static const char *alg_name(unsigned int alg)
{
	return alg == AUTH_ALG_SHA256 ? "SHA-256" : "MD5";
}

static void challenge(const struct sipk_msg *m, const struct rxinfo *rx,
		      const struct domain *d, bool stale)
{
	char nonce[65], hdrs[1024];
	size_t n = 0;
	int i;

	nonce_new(d->realm, time(NULL), nonce);
	for (i = 0; i < 2 && d->alg_order[i]; i++)
		n += (size_t)snprintf(hdrs + n, sizeof(hdrs) - n,
			"WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", algorithm=%s, qop=\"auth\"%s\r\n",
			d->realm, nonce, alg_name(d->alg_order[i]),
			stale ? ", stale=true" : "");
	STAT(ST_AUTH_CHALLENGE);
	reply(m, rx, 401, "Unauthorized", hdrs);
}

static bool ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(tolower((unsigned char)a[i]) ^
				     tolower((unsigned char)b[i]));
	return !d;
}

int auth_check(const struct sipk_msg *m, const struct rxinfo *rx,
	       const struct domain *d, char *user, size_t usize)
{
	struct digest_cred c;
	const struct cred *cr;
	struct nonce *n;
	char ha1[65], ha2[65], want[65], method[32];
	unsigned int alg;
	bool sess = false;
	unsigned long nc = 0;
	time_t now = time(NULL);
	int r;

	r = find_authorization(m, d->realm, &c);
	if (r == -1) {
		challenge(m, rx, d, false);
		return 1;
	}
	if (r == -2) {
		STAT(ST_AUTH_FAILED);
		reply(m, rx, 400, "Malformed Authorization header", NULL);
		return 1;
	}
	if (!c.algorithm[0] || !strcasecmp(c.algorithm, "MD5")) {
		alg = AUTH_ALG_MD5;
	} else if (!strcasecmp(c.algorithm, "MD5-sess")) {
		alg = AUTH_ALG_MD5;
		sess = true;
	} else if (!strcasecmp(c.algorithm, "SHA-256")) {
		alg = AUTH_ALG_SHA256;
	} else if (!strcasecmp(c.algorithm, "SHA-256-sess")) {
		alg = AUTH_ALG_SHA256;
		sess = true;
	} else {
		STAT(ST_AUTH_FAILED);
		log_info("auth: %s: unsupported algorithm \"%s\"", c.username,
			 c.algorithm);
		reply(m, rx, 403, "Unsupported digest algorithm", NULL);
		return 1;
	}
	if (!(d->algs & alg)) {
		STAT(ST_AUTH_FAILED);
		reply(m, rx, 403, "Digest algorithm not allowed here", NULL);
		return 1;
	}
	if (c.has_qop) {
		char *end;

		if (strcasecmp(c.qop, "auth")) {
			STAT(ST_AUTH_FAILED);
			reply(m, rx, 403, "Only qop=auth is supported", NULL);
			return 1;
		}
		errno = 0;
		nc = strtoul(c.nc, &end, 16);
		if (strlen(c.nc) != 8 || *end || errno || !nc || !c.cnonce[0]) {
			STAT(ST_AUTH_FAILED);
			reply(m, rx, 400, "Bad nc or cnonce in Authorization", NULL);
			return 1;
		}
	}
	if (strlen(c.uri) != m->ruri.all.len ||
	    memcmp(c.uri, m->buf + m->ruri.all.off, m->ruri.all.len)) {
		STAT(ST_AUTH_FAILED);
		reply(m, rx, 400, "Digest uri does not match the Request-URI", NULL);
		return 1;
	}
	cr = cred_find(c.username, d->realm, alg);
	if (!cr) {
		STAT(ST_AUTH_FAILED);
		log_info("auth: no %s credentials for %s in realm %s",
			 alg_name(alg), c.username, d->realm);
		reply(m, rx, 403, "Forbidden", NULL);
		return 1;
	}
	snprintf(ha1, sizeof(ha1), "%s", cr->ha1);
	if (sess && hash_fmt(alg, ha1, "%s:%s:%s", cr->ha1, c.nonce, c.cnonce))
		goto internal;
	snprintf(method, sizeof(method), "%.*s", m->method_str.len,
		 (const char *)m->buf + m->method_str.off);
	if (hash_fmt(alg, ha2, "%s:%s", method, c.uri))
		goto internal;
	if (c.has_qop) {
		if (hash_fmt(alg, want, "%s:%s:%s:%s:%s:%s", ha1, c.nonce, c.nc,
			     c.cnonce, c.qop, ha2))
			goto internal;
	} else if (hash_fmt(alg, want, "%s:%s:%s", ha1, c.nonce, ha2)) {
		goto internal;
	}
	if (!ct_equal(want, c.response)) {
		STAT(ST_AUTH_FAILED);
		log_info("auth: wrong credentials from %s in realm %s",
			 c.username, d->realm);
		reply(m, rx, 403, "Wrong credentials", NULL);
		return 1;
	}
	/* the password is right; is the nonce ours, alive, and fresh? */
	n = nonce_check(c.nonce, d->realm, now);
	if (!n) {
		log_info("auth: %s used an unknown or expired nonce: stale", c.username);
		challenge(m, rx, d, true);
		return 1;
	}
	if (!c.has_qop)
		nc = n->last_nc + 1;	/* without qop a nonce serves once */
	if (nc <= n->last_nc || (!c.has_qop && n->last_nc)) {
		STAT(ST_AUTH_REPLAY);
		log_notice("auth: replayed nonce from %s (nc %lu, %lu seen): refused",
			   c.username, nc, n->last_nc);
		challenge(m, rx, d, false);
		return 1;
	}
	n->last_nc = nc;
	STAT(ST_AUTH_OK);
	snprintf(user, usize, "%s", c.username);
	return 0;
internal:
	reply(m, rx, 500, "Server Internal Error", NULL);
	return 1;
}
