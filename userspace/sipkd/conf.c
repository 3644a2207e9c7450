// SPDX-License-Identifier: GPL-2.0
/*
 * conf.c - the configuration file (sipkd.conf(5) lives in sipkd(8)).
 *
 *	# comment
 *	key = value			global settings
 *	[domain NAME]			a domain the registrar serves
 *	key = value			... and its settings
 *
 * Every error names the file, the line and the offending text, and the
 * daemon does not start (EXIT_CONFIG).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sipkd.h"

struct config conf;

void conf_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = LOG_L_NOTICE;
	c->log_target = LOG_T_AUTO;
	c->kernel = KERNEL_AUTO;
	c->min_expires = 60;
	c->max_expires = 86400;
	c->default_expires = 3600;
	c->max_contacts = SIPK_CONTACTS_MAX;
	c->nonce_lifetime = 300;
	c->udp_rcvbuf = 4 << 20;
	c->record_route = false;
	c->tcp = true;
	c->kernel_retry = 10;
	c->fork_mode = FORK_PARALLEL;
	c->fork_timeout = 20;
	c->tcp_idle = 600;
	c->tcp_connect_timeout = 5;
	c->udp_max = 1300;
}

static void __attribute__((format(printf, 3, 4)))
conf_err(const char *file, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sipkd: %s:%u: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		fprintf(stderr, "sipkd: out of memory\n");
		exit(EXIT_RUNTIME);
	}
	return d;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "on") ||
	    !strcasecmp(s, "true") || !strcmp(s, "1")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(s, "no") || !strcasecmp(s, "off") ||
	    !strcasecmp(s, "false") || !strcmp(s, "0")) {
		*out = false;
		return 0;
	}
	return -1;
}

/*
 * "ADDR:PORT", "[ADDR6]:PORT", "ADDR" or "[ADDR6]" (port 5060), with an
 * optional "udp:" in front; with "tcp = yes" TCP listens there too.
 */
int conf_add_listen(struct config *c, const char *text, const char *where)
{
	struct listen_addr *la;
	struct sipk_addr a;
	char buf[80];
	const char *s = text;
	size_t n;

	if (!strncasecmp(s, "udp:", 4))
		s += 4;
	n = strlen(s);
	if (n == 0 || n + 8 > sizeof(buf))
		goto bad;
	/* without a port: add the default one */
	if ((s[0] == '[' && s[n - 1] == ']') ||
	    (s[0] != '[' && !strchr(s, ':')))
		snprintf(buf, sizeof(buf), "%s:5060", s);
	else
		snprintf(buf, sizeof(buf), "%s", s);
	if (sipk_addr_parse(buf, &a) || !a.port)
		goto bad;
	if (c->n_listen >= MAX_LISTEN) {
		fprintf(stderr, "sipkd: %s: too many listen addresses (at most %d)\n",
			where, MAX_LISTEN);
		return -1;
	}
	la = &c->listen[c->n_listen];
	la->len = sipk_to_sa(&a, &la->ss);
	snprintf(la->text, sizeof(la->text), "%s", buf);
	c->n_listen++;
	return 0;
bad:
	fprintf(stderr, "sipkd: %s: invalid listen address \"%s\" (want ADDR[:PORT] or [ADDR6][:PORT])\n",
		where, text);
	return -1;
}

/* algorithm names as RFC 8760 spells them */
static int parse_algs(char *v, struct domain *d)
{
	char *tok, *save = NULL;
	unsigned int n = 0;

	d->algs = 0;
	memset(d->alg_order, 0, sizeof(d->alg_order));
	for (tok = strtok_r(v, " ,\t", &save); tok;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		unsigned int a;

		if (!strcasecmp(tok, "MD5"))
			a = AUTH_ALG_MD5;
		else if (!strcasecmp(tok, "SHA-256"))
			a = AUTH_ALG_SHA256;
		else
			return -1;
		if (d->algs & a)
			continue;
		d->algs |= a;
		d->alg_order[n++] = (unsigned char)a;
	}
	return n ? 0 : -1;
}

static int parse_users(char *v, struct domain *d)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(v, " ,\t", &save); tok;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		char **n = realloc(d->redirect_users,
				   (d->n_redirect + 1) * sizeof(*n));

		if (!n)
			return -1;
		d->redirect_users = n;
		n[d->n_redirect++] = xstrdup(tok);
	}
	return 0;
}

static int check_domain_name(const char *s)
{
	struct sipk_uri u;
	char buf[SIPK_DOMAIN_MAX + 8];
	size_t n = strlen(s);

	if (!n || n > SIPK_DOMAIN_MAX)
		return -1;
	snprintf(buf, sizeof(buf), "sip:%s", s);
	if (sipk_parse_uri((const u8 *)buf, 0, (u16)strlen(buf), &u) ||
	    u.user.len || u.params.len || u.has_headers || u.port ||
	    u.host.len != n)
		return -1;
	return 0;
}

static struct domain *domain_new(struct config *c, const char *name)
{
	struct domain *d = calloc(1, sizeof(*d)), **pp;
	char *p;

	if (!d) {
		fprintf(stderr, "sipkd: out of memory\n");
		exit(EXIT_RUNTIME);
	}
	d->name = xstrdup(name);
	for (p = d->name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	d->mode = MODE_PROXY;
	d->algs = AUTH_ALG_SHA256 | AUTH_ALG_MD5;
	d->alg_order[0] = AUTH_ALG_SHA256;
	d->alg_order[1] = AUTH_ALG_MD5;
	for (pp = &c->domains; *pp; pp = &(*pp)->next)
		;
	*pp = d;
	return d;
}

static int global_key(struct config *c, const char *file, unsigned int line,
		      const char *key, char *val)
{
	unsigned int u;
	char where[PATH_MAX + 16];

	if (!strcmp(key, "listen")) {
		snprintf(where, sizeof(where), "%s:%u", file, line);
		return conf_add_listen(c, val, where);
	}
	if (!strcmp(key, "log-level")) {
		if (log_level_parse(val, &c->log_level))
			goto bad;
		return 0;
	}
	if (!strcmp(key, "log-target")) {
		if (!strcasecmp(val, "auto"))
			c->log_target = LOG_T_AUTO;
		else if (!strcasecmp(val, "stderr"))
			c->log_target = LOG_T_STDERR;
		else if (!strcasecmp(val, "syslog"))
			c->log_target = LOG_T_SYSLOG;
		else
			goto bad;
		return 0;
	}
	if (!strcmp(key, "database")) {
		if (!*val)
			goto bad;
		free(c->database);
		c->database = xstrdup(val);
		return 0;
	}
	if (!strcmp(key, "credentials")) {
		free(c->credentials);
		c->credentials = *val ? xstrdup(val) : NULL;
		return 0;
	}
	if (!strcmp(key, "pid-file")) {
		free(c->pid_file);
		c->pid_file = *val ? xstrdup(val) : NULL;
		return 0;
	}
	if (!strcmp(key, "kernel")) {
		if (!strcasecmp(val, "auto"))
			c->kernel = KERNEL_AUTO;
		else if (!strcasecmp(val, "off") || !strcasecmp(val, "no"))
			c->kernel = KERNEL_OFF;
		else if (!strcasecmp(val, "require"))
			c->kernel = KERNEL_REQUIRE;
		else
			goto bad;
		return 0;
	}
	if (!strcmp(key, "record-route"))
		return parse_bool(val, &c->record_route) ? (conf_err(file, line,
			"invalid value \"%s\" for %s (want yes or no)", val, key), -1) : 0;
	if (!strcmp(key, "tcp"))
		return parse_bool(val, &c->tcp) ? (conf_err(file, line,
			"invalid value \"%s\" for %s (want yes or no)", val, key), -1) : 0;
	if (!strcmp(key, "dns-server")) {
		/* repeatable: "198.18.2.53", "[2001:db8::53]:5353", a list */
		size_t ol = c->dns_servers ? strlen(c->dns_servers) : 0;
		char *n;

		char one[64];
		const char *p = val;
		bool bad = !*val;

		/* each entry an address, as c-ares takes it */
		while (!bad && *p) {
			size_t l = strcspn(p, ",");
			struct sipk_addr a;

			bad = !l || l >= sizeof(one);
			if (!bad) {
				memcpy(one, p, l);
				one[l] = '\0';
				bad = sipk_addr_parse(one, &a) != 0;
			}
			p += l;
			if (*p == ',' && !*++p)
				bad = true;
		}
		if (bad) {
			conf_err(file, line, "invalid value \"%s\" for %s (want ADDRESS[:PORT], IPv6 in brackets, comma-separated)",
				 val, key);
			return -1;
		}
		n = realloc(c->dns_servers, ol + strlen(val) + 2);
		if (!n) {
			fprintf(stderr, "sipkd: out of memory\n");
			exit(EXIT_RUNTIME);
		}
		if (ol)
			n[ol++] = ',';
		strcpy(n + ol, val);
		c->dns_servers = n;
		return 0;
	}
	if (!strcmp(key, "multicast")) {
		free(c->multicast_if);
		c->multicast_if = NULL;
		if (!strcasecmp(val, "no") || !strcasecmp(val, "off"))
			return 0;
		if (!*val || strlen(val) >= 16) {
			conf_err(file, line, "invalid value \"%s\" for %s (want an interface name, or no)",
				 val, key);
			return -1;
		}
		c->multicast_if = xstrdup(val);
		return 0;
	}
	if (!strcmp(key, "tcp-idle-timeout")) {
		if (parse_uint(val, 1, 86400, &c->tcp_idle))
			goto bad_num;
		return 0;
	}
	if (!strcmp(key, "tcp-connect-timeout")) {
		if (parse_uint(val, 1, 600, &c->tcp_connect_timeout))
			goto bad_num;
		return 0;
	}
	if (!strcmp(key, "udp-max-size")) {
		if (parse_uint(val, 200, SIPK_MAX_MSG, &c->udp_max))
			goto bad_num;
		return 0;
	}
	if (!strcmp(key, "min-expires")) {
		if (parse_uint(val, 1, INT_MAX, &c->min_expires))
			goto bad_num;
		return 0;
	}
	if (!strcmp(key, "max-expires")) {
		if (parse_uint(val, 1, INT_MAX, &c->max_expires))
			goto bad_num;
		return 0;
	}
	if (!strcmp(key, "default-expires")) {
		if (parse_uint(val, 1, INT_MAX, &c->default_expires))
			goto bad_num;
		return 0;
	}
	if (!strcmp(key, "max-contacts")) {
		if (parse_uint(val, 1, 1000, &u))
			goto bad_num;
		c->max_contacts = u;
		return 0;
	}
	if (!strcmp(key, "nonce-lifetime")) {
		if (parse_uint(val, 1, 86400, &c->nonce_lifetime))
			goto bad_num;
		return 0;
	}
	if (!strcmp(key, "fork-mode")) {
		if (!strcasecmp(val, "parallel"))
			c->fork_mode = FORK_PARALLEL;
		else if (!strcasecmp(val, "sequential"))
			c->fork_mode = FORK_SEQUENTIAL;
		else {
			conf_err(file, line,
				 "invalid value \"%s\" for %s (want parallel or sequential)",
				 val, key);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "fork-timeout")) {
		if (parse_uint(val, 1, 3600, &c->fork_timeout))
			goto bad_num;
		return 0;
	}
	if (!strcmp(key, "udp-rcvbuf")) {
		if (parse_uint(val, 4096, 1 << 30, &c->udp_rcvbuf))
			goto bad_num;
		return 0;
	}
	if (!strcmp(key, "kernel-retry")) {
		if (parse_uint(val, 0, 86400, &c->kernel_retry))
			goto bad_num;
		return 0;
	}
	conf_err(file, line, "unknown setting \"%s\"", key);
	return -1;
bad:
	conf_err(file, line, "invalid value \"%s\" for %s", val, key);
	return -1;
bad_num:
	conf_err(file, line, "invalid value \"%s\" for %s (want a whole number in range)",
		 val, key);
	return -1;
}

static int domain_key(struct domain *d, const char *file, unsigned int line,
		      const char *key, char *val)
{
	if (!strcmp(key, "mode")) {
		if (!strcasecmp(val, "proxy"))
			d->mode = MODE_PROXY;
		else if (!strcasecmp(val, "redirect"))
			d->mode = MODE_REDIRECT;
		else
			goto bad;
		return 0;
	}
	if (!strcmp(key, "realm")) {
		if (!*val || strchr(val, '"') || strchr(val, '\\') ||
		    strlen(val) >= 128)
			goto bad;
		free(d->realm);
		d->realm = xstrdup(val);
		return 0;
	}
	if (!strcmp(key, "auth")) {
		if (parse_bool(val, &d->auth))
			goto bad;
		return 0;
	}
	if (!strcmp(key, "auth-algorithms")) {
		if (parse_algs(val, d))
			goto bad;
		return 0;
	}
	if (!strcmp(key, "redirect")) {
		if (parse_users(val, d))
			goto bad;
		return 0;
	}
	conf_err(file, line, "unknown setting \"%s\" in [domain %s]", key,
		 d->name);
	return -1;
bad:
	conf_err(file, line, "invalid value \"%s\" for %s in [domain %s]", val,
		 key, d->name);
	return -1;
}

int conf_load(struct config *c, const char *path, bool must_exist)
{
	FILE *f = fopen(path, "r");
	struct domain *dom = NULL;
	char line[4096];
	unsigned int n = 0;
	bool bad = false, defaults_listen = true;

	free(c->path);
	c->path = xstrdup(path);
	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		fprintf(stderr, "sipkd: cannot read the configuration file %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s, *eq, *key, *val;
		size_t len = strlen(line);

		n++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			conf_err(path, n, "line longer than %zu characters",
				 sizeof(line) - 2);
			bad = true;
			break;
		}
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');

			if (!e || e[1]) {
				conf_err(path, n, "invalid section header \"%s\"", s);
				bad = true;
				continue;
			}
			*e = '\0';
			s = trim(s + 1);
			if (strncasecmp(s, "domain", 6) ||
			    !isspace((unsigned char)s[6])) {
				conf_err(path, n, "unknown section \"[%s]\" (only [domain NAME])", s);
				bad = true;
				continue;
			}
			s = trim(s + 6);
			if (check_domain_name(s)) {
				conf_err(path, n, "invalid domain name \"%s\" (a host name, an IPv4 address or an [IPv6] reference)", s);
				bad = true;
				continue;
			}
			for (dom = c->domains; dom; dom = dom->next)
				if (!strcasecmp(dom->name, s))
					break;
			if (dom) {
				conf_err(path, n, "domain \"%s\" appears twice", s);
				bad = true;
				continue;
			}
			dom = domain_new(c, s);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			conf_err(path, n, "expected \"key = value\", got \"%s\"", s);
			bad = true;
			continue;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		/* the first listen line replaces the default addresses */
		if (!dom && !strcmp(key, "listen") && defaults_listen) {
			c->n_listen = 0;
			defaults_listen = false;
		}
		if (dom ? domain_key(dom, path, n, key, val) :
			  global_key(c, path, n, key, val))
			bad = true;
	}
	if (ferror(f)) {
		fprintf(stderr, "sipkd: cannot read %s: %s\n", path,
			strerror(errno));
		bad = true;
	}
	fclose(f);
	return bad ? -1 : 0;
}

/* consistency checks and defaults that depend on other settings */
int conf_finish(struct config *c)
{
	const char *file = c->path ? c->path : "configuration";
	struct domain *d;
	bool bad = false;

	if (!c->n_listen) {
		conf_add_listen(c, "0.0.0.0:5060", "default");
		conf_add_listen(c, "[::]:5060", "default");
	}
	if (!c->database)
		c->database = xstrdup(SIPKD_DEFAULT_DB);
	if (c->min_expires > c->max_expires) {
		fprintf(stderr, "sipkd: %s: min-expires %u is above max-expires %u\n",
			file, c->min_expires, c->max_expires);
		bad = true;
	}
	if (c->default_expires < c->min_expires ||
	    c->default_expires > c->max_expires) {
		fprintf(stderr, "sipkd: %s: default-expires %u is outside min-expires %u .. max-expires %u\n",
			file, c->default_expires, c->min_expires, c->max_expires);
		bad = true;
	}
	for (d = c->domains; d; d = d->next) {
		if (!d->realm)
			d->realm = xstrdup(d->name);
		if (d->auth && !c->credentials) {
			fprintf(stderr, "sipkd: %s: [domain %s] has auth = yes but no credentials file is set\n",
				file, d->name);
			bad = true;
		}
	}
	return bad ? -1 : 0;
}

/* a host as it appears in a URI, compared case-insensitively */
struct domain *domain_find(const u8 *host, size_t len)
{
	struct domain *d;

	for (d = conf.domains; d; d = d->next)
		if (strlen(d->name) == len &&
		    !strncasecmp(d->name, (const char *)host, len))
			return d;
	return NULL;
}

bool domain_redirects_user(const struct domain *d, const u8 *user, size_t len)
{
	unsigned int i;

	if (d->mode == MODE_REDIRECT)
		return true;
	for (i = 0; i < d->n_redirect; i++)
		if (strlen(d->redirect_users[i]) == len &&
		    !memcmp(d->redirect_users[i], user, len))
			return true;
	return false;
}
