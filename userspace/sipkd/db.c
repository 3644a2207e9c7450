// SPDX-License-Identifier: GPL-2.0
/*
 * db.c - the bindings on disk (SQLite), so that a restart, or a crash,
 * loses no registration that was acknowledged: the registrar commits
 * before it sends its 200 (write-ahead log, synchronous = FULL).
 *
 * One table; an AOR's rows are replaced as a whole in one transaction.
 */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "sipkd.h"

#define SCHEMA_VERSION	1

static sqlite3 *db;
static sqlite3_stmt *st_del_aor, *st_insert, *st_del_one;
static sqlite3_stmt *st_begin, *st_commit, *st_rollback;
static const char *db_path;

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS bindings ("
	" aor TEXT NOT NULL,"		/* user@host as the kernel keys it */
	" contact TEXT NOT NULL,"	/* the contact URI */
	" q INTEGER NOT NULL,"		/* thousandths */
	" expires INTEGER NOT NULL,"	/* unix time */
	" call_id TEXT NOT NULL,"
	" cseq INTEGER NOT NULL,"
	" flags INTEGER NOT NULL DEFAULT 0,"	/* SIPK_F_* */
	" dst TEXT NOT NULL,"		/* ADDR:PORT requests go to */
	" source TEXT NOT NULL,"	/* ADDR:PORT the REGISTER came from */
	" updated INTEGER NOT NULL,"
	" PRIMARY KEY (aor, contact));";

static bool batching;		/* in a burst: db_batch_end() commits */
static bool in_txn;		/* BEGIN done, COMMIT not yet */
static bool batch_failed;	/* a store of this burst was rolled back */

static int exec(const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_err("database %s: %s: %s", db_path, sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int prepare(const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		log_err("database %s: %s", db_path, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int db_open(const char *path)
{
	sqlite3_stmt *st;
	int ver = 0;

	db_path = path;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		log_err("cannot open the database %s: %s", path,
			db ? sqlite3_errmsg(db) : "out of memory");
		return -1;
	}
	sqlite3_busy_timeout(db, 2000);
	if (exec("PRAGMA journal_mode = WAL;") ||
	    exec("PRAGMA synchronous = FULL;"))
		return -1;
	if (prepare("PRAGMA user_version;", &st))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		ver = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (ver > SCHEMA_VERSION) {
		log_err("the database %s has schema version %d, this sipkd knows %d",
			path, ver, SCHEMA_VERSION);
		return -1;
	}
	if (exec(schema) || exec("PRAGMA user_version = 1;"))
		return -1;
	if (prepare("DELETE FROM bindings WHERE aor = ?1;", &st_del_aor) ||
	    prepare("INSERT INTO bindings (aor, contact, q, expires, call_id,"
		    " cseq, flags, dst, source, updated) VALUES"
		    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10);", &st_insert) ||
	    prepare("DELETE FROM bindings WHERE aor = ?1 AND contact = ?2;",
		    &st_del_one) ||
	    /* one transaction per REGISTER: parsed once, not every time */
	    prepare("BEGIN IMMEDIATE;", &st_begin) ||
	    prepare("COMMIT;", &st_commit) ||
	    prepare("ROLLBACK;", &st_rollback))
		return -1;
	log_info("database %s opened", path);
	return 0;
}

void db_close(void)
{
	sqlite3_finalize(st_del_aor);
	sqlite3_finalize(st_insert);
	sqlite3_finalize(st_del_one);
	sqlite3_finalize(st_begin);
	sqlite3_finalize(st_commit);
	sqlite3_finalize(st_rollback);
	if (db)
		sqlite3_close(db);
	db = NULL;
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_err("database %s: %s", db_path, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int db_store_aor(const char *aor, const struct binding *list)
{
	const struct binding *b;
	char dst[64], src[64];

	if (!in_txn) {
		if (step_done(st_begin))
			return -1;
		in_txn = true;
	}
	sqlite3_bind_text(st_del_aor, 1, aor, -1, SQLITE_STATIC);
	if (step_done(st_del_aor))
		goto fail;
	for (b = list; b; b = b->next) {
		/* "-": located when used (a host name, TCP: RFC 3263) */
		if (b->dst.family)
			sipk_addr_fmt(&b->dst, dst, sizeof(dst));
		else
			snprintf(dst, sizeof(dst), "-");
		sipk_addr_fmt(&b->src, src, sizeof(src));
		sqlite3_bind_text(st_insert, 1, aor, -1, SQLITE_STATIC);
		sqlite3_bind_text(st_insert, 2, b->uri, -1, SQLITE_STATIC);
		sqlite3_bind_int(st_insert, 3, b->q);
		sqlite3_bind_int64(st_insert, 4, (sqlite3_int64)b->expires);
		sqlite3_bind_text(st_insert, 5, b->call_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st_insert, 6, b->cseq);
		sqlite3_bind_int64(st_insert, 7, b->flags);
		sqlite3_bind_text(st_insert, 8, dst, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st_insert, 9, src, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st_insert, 10, (sqlite3_int64)b->updated);
		if (step_done(st_insert))
			goto fail;
	}
	if (batching)
		return 0;	/* db_batch_end() commits */
	in_txn = false;
	if (step_done(st_commit))
		goto fail;
	return 0;
fail:
	if (in_txn || !batching)
		step_done(st_rollback);
	in_txn = false;
	batch_failed |= batching;
	return -1;
}

/*
 * Group commit: the REGISTERs of one burst of datagrams (transport.c)
 * share one transaction, and so one fsync, instead of one each; their
 * answers are held back until db_batch_end() has committed it.
 */
void db_batch_begin(void)
{
	batching = true;
	batch_failed = false;
}

int db_batch_end(void)
{
	bool failed = batch_failed;

	batching = false;
	batch_failed = false;
	if (!in_txn)
		return failed ? -1 : 0;
	in_txn = false;
	if (step_done(st_commit)) {
		step_done(st_rollback);
		return -1;
	}
	return failed ? -1 : 0;
}


int db_delete_binding(const char *aor, const char *uri)
{
	sqlite3_bind_text(st_del_one, 1, aor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st_del_one, 2, uri, -1, SQLITE_STATIC);
	return step_done(st_del_one);
}

int db_load(time_t now)
{
	sqlite3_stmt *st;
	unsigned int loaded = 0, skipped = 0;
	int rc;

	if (prepare("SELECT aor, contact, q, expires, call_id, cseq, flags,"
		    " dst, source, updated FROM bindings;", &st))
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *aor = (const char *)sqlite3_column_text(st, 0);
		const char *uri = (const char *)sqlite3_column_text(st, 1);
		const char *cid = (const char *)sqlite3_column_text(st, 4);
		const char *dst = (const char *)sqlite3_column_text(st, 7);
		const char *src = (const char *)sqlite3_column_text(st, 8);
		time_t exp = (time_t)sqlite3_column_int64(st, 3);
		int q = sqlite3_column_int(st, 2);
		struct binding *b;

		if (!aor || !uri || !cid || !dst || !src)
			continue;
		if (exp <= now) {
			skipped++;
			continue;
		}
		b = binding_new(uri, cid);
		b->q = (u16)(q < 0 ? 0 : q > SIPK_Q_MAX ? SIPK_Q_MAX : q);
		b->expires = exp;
		b->cseq = (u32)sqlite3_column_int64(st, 5);
		b->flags = (u32)sqlite3_column_int64(st, 6);
		b->updated = (time_t)sqlite3_column_int64(st, 9);
		if (strcmp(dst, "-") && sipk_addr_parse(dst, &b->dst)) {
			log_warn("database %s: binding %s -> %s has a bad address \"%s\", dropped",
				 db_path, aor, uri, dst);
			binding_free(b);
			continue;
		}
		sipk_addr_parse(src, &b->src);
		loc_add_binding(loc_get(aor), b);
		loaded++;
	}
	if (rc != SQLITE_DONE)
		log_err("database %s: %s", db_path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (skipped) {
		char sql[96];

		snprintf(sql, sizeof(sql),
			 "DELETE FROM bindings WHERE expires <= %lld;",
			 (long long)now);
		exec(sql);
	}
	log_notice("database %s: %u binding%s loaded, %u expired dropped",
		   db_path, loaded, loaded == 1 ? "" : "s", skipped);
	return 0;
}
