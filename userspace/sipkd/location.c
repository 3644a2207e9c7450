// SPDX-License-Identifier: GPL-2.0
/*
 * location.c - the registrar's bindings in memory: AOR -> contacts.
 *
 * A hash table of AORs (chained, doubling when the load passes 1); each
 * AOR holds a short list of bindings.  The database (db.c) and the kernel
 * (kernel.c) follow every change; expiry is a sweep once a second.
 */
#include <stdlib.h>
#include <string.h>

#include "sipkd.h"

static struct aor **table;
static size_t table_size, n_aors, n_bindings;

static size_t hash(const char *s)
{
	size_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		log_err("out of memory");
		exit(EXIT_RUNTIME);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		log_err("out of memory");
		exit(EXIT_RUNTIME);
	}
	return d;
}

void loc_init(void)
{
	table_size = 1024;
	table = xcalloc(table_size, sizeof(*table));
}

static void grow(void)
{
	size_t nsize = table_size * 2, i;
	struct aor **nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return;		/* keep the longer chains */
	for (i = 0; i < table_size; i++) {
		struct aor *a = table[i], *next;

		for (; a; a = next) {
			size_t h = hash(a->name) & (nsize - 1);

			next = a->hnext;
			a->hnext = nt[h];
			nt[h] = a;
		}
	}
	free(table);
	table = nt;
	table_size = nsize;
}

struct aor *loc_find(const char *name)
{
	struct aor *a;

	for (a = table[hash(name) & (table_size - 1)]; a; a = a->hnext)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

struct aor *loc_get(const char *name)
{
	struct aor *a = loc_find(name);
	size_t h;

	if (a)
		return a;
	if (n_aors >= table_size)
		grow();
	a = xcalloc(1, sizeof(*a));
	a->name = xstrdup(name);
	h = hash(name) & (table_size - 1);
	a->hnext = table[h];
	table[h] = a;
	n_aors++;
	return a;
}

static void aor_drop(struct aor *a)
{
	struct aor **pp = &table[hash(a->name) & (table_size - 1)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == a) {
			*pp = a->hnext;
			break;
		}
	n_aors--;
	free(a->name);
	free(a);
}

struct binding *binding_new(const char *uri, const char *call_id)
{
	struct binding *b = xcalloc(1, sizeof(*b));

	b->uri = xstrdup(uri);
	b->call_id = xstrdup(call_id);
	b->q = SIPK_Q_MAX;
	return b;
}

struct binding *binding_dup(const struct binding *o)
{
	struct binding *b = binding_new(o->uri, o->call_id);
	char *u = b->uri, *c = b->call_id;

	*b = *o;
	b->uri = u;
	b->call_id = c;
	b->next = NULL;
	return b;
}

void binding_free(struct binding *b)
{
	if (!b)
		return;
	free(b->uri);
	free(b->call_id);
	free(b);
}

void binding_list_free(struct binding *b)
{
	while (b) {
		struct binding *next = b->next;

		binding_free(b);
		b = next;
	}
}

void loc_set(struct aor *a, struct binding *list)
{
	struct binding *b;
	unsigned int n = 0;

	n_bindings -= a->n;
	binding_list_free(a->bindings);
	for (b = list; b; b = b->next)
		n++;
	a->bindings = list;
	a->n = n;
	n_bindings += n;
	if (!n)
		aor_drop(a);
}

/* adds @b to @a as it is (loading from the database) */
void loc_add_binding(struct aor *a, struct binding *b)
{
	b->next = a->bindings;
	a->bindings = b;
	a->n++;
	n_bindings++;
}

/*
 * Removes what has expired, from memory, the database and the kernel
 * (which has usually collected it already: its own timer runs too).
 */
void loc_expire(time_t now)
{
	size_t i;

	for (i = 0; i < table_size; i++) {
		struct aor *a = table[i], *next;

		for (; a; a = next) {
			struct binding **pp = &a->bindings, *b;
			bool changed = false;

			next = a->hnext;
			while ((b = *pp)) {
				if (b->expires > now) {
					pp = &b->next;
					continue;
				}
				*pp = b->next;
				log_info("binding expired: %s -> %s", a->name,
					 b->uri);
				STAT(ST_REG_EXPIRED);
				db_delete_binding(a->name, b->uri);
				kernel_remove(a->name, b);
				binding_free(b);
				a->n--;
				n_bindings--;
				changed = true;
			}
			if (changed && !a->n)
				aor_drop(a);
		}
	}
}

void loc_foreach(void (*fn)(struct aor *a, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i < table_size; i++) {
		struct aor *a = table[i], *next;

		for (; a; a = next) {
			next = a->hnext;
			fn(a, arg);
		}
	}
}

unsigned int loc_count(unsigned int *bindings)
{
	if (bindings)
		*bindings = (unsigned int)n_bindings;
	return (unsigned int)n_aors;
}

const struct binding *loc_best(const struct aor *a, time_t now)
{
	const struct binding *b, *best = NULL;

	for (b = a->bindings; b; b = b->next) {
		if (b->expires <= now)
			continue;
		if (!best || b->q > best->q ||
		    (b->q == best->q && b->updated > best->updated))
			best = b;
	}
	return best;
}
