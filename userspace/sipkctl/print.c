// SPDX-License-Identifier: GPL-2.0
/*
 * print.c - text and JSON output from one set of calls, as iproute2 does.
 *
 * Callers describe each value once: print_uint(PRINT_ANY, "port",
 * "port %u", port).  In text mode the format is used and values on one
 * line are separated by single spaces; with -j the key and the value
 * become JSON.  PRINT_FP values appear only in text, PRINT_JSON values
 * only in JSON.
 */
#include <inttypes.h>
#include <stdio.h>

#include "sipkctl.h"

#define JSON_DEPTH	16

static bool json;
static int depth;
static bool first[JSON_DEPTH];
static bool line_empty = true;

void print_init(bool enable)
{
	json = enable;
}

bool is_json(void)
{
	return json;
}

static void json_escape(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* the comma before a member and its key */
static void json_member(const char *key)
{
	if (depth > 0) {
		if (!first[depth])
			putchar(',');
		first[depth] = false;
	}
	if (key) {
		json_escape(key);
		putchar(':');
	}
}

static bool want(enum output_type t)
{
	return json ? (t & PRINT_JSON) : (t & PRINT_FP);
}

/* the space between two values on a text line */
static void text_sep(void)
{
	if (!line_empty)
		putchar(' ');
	line_empty = false;
}

static void json_open(const char *key, char c)
{
	if (!json)
		return;
	json_member(key);
	putchar(c);
	if (depth < JSON_DEPTH - 1)
		depth++;
	first[depth] = true;
}

static void json_close(char c)
{
	if (!json)
		return;
	putchar(c);
	if (depth > 0)
		depth--;
}

void open_json_object(const char *key)
{
	json_open(key, '{');
}

void close_json_object(void)
{
	json_close('}');
}

void open_json_array(const char *key)
{
	json_open(key, '[');
}

void close_json_array(void)
{
	json_close(']');
}

void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *val)
{
	if (!want(t))
		return;
	if (json) {
		json_member(key);
		if (val)
			json_escape(val);
		else
			fputs("null", stdout);
	} else {
		text_sep();
		printf(fmt, val);
	}
}

void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned int val)
{
	if (!want(t))
		return;
	if (json) {
		json_member(key);
		printf("%u", val);
	} else {
		text_sep();
		printf(fmt, val);
	}
}

void print_u64(enum output_type t, const char *key, const char *fmt,
	       uint64_t val)
{
	if (!want(t))
		return;
	if (json) {
		json_member(key);
		printf("%" PRIu64, val);
	} else {
		text_sep();
		printf(fmt, val);
	}
}

/* a q-value held in thousandths, shown as 0.500; a JSON number too */
void print_q(enum output_type t, const char *key, const char *fmt,
	     unsigned int thousandths)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u.%03u", thousandths / 1000,
		 thousandths % 1000);
	if (!want(t))
		return;
	if (json) {
		json_member(key);
		fputs(buf, stdout);
	} else {
		text_sep();
		printf(fmt, buf);
	}
}

/* "on"/"off" in text (fmt takes %s), true/false in JSON */
void print_on_off(enum output_type t, const char *key, const char *fmt,
		  bool val)
{
	if (!want(t))
		return;
	if (json) {
		json_member(key);
		fputs(val ? "true" : "false", stdout);
	} else {
		text_sep();
		printf(fmt, val ? "on" : "off");
	}
}

/* a flag: its word in text when set; always a boolean in JSON */
void print_flag(const char *key, const char *text, bool val)
{
	if (json) {
		json_member(key);
		fputs(val ? "true" : "false", stdout);
	} else if (val) {
		text_sep();
		fputs(text, stdout);
	}
}

/* ends a text line; JSON has no lines */
void print_nl(void)
{
	if (json)
		return;
	if (!line_empty)
		putchar('\n');
	line_empty = true;
}

/* ends one output document: a JSON value, or the current text line */
void print_doc_end(void)
{
	if (json)
		putchar('\n');
	else
		print_nl();
	fflush(stdout);
}

/* reply_ops for listings: a JSON array of objects, or text lines */
void print_list_begin(void)
{
	open_json_array(NULL);
}

void print_list_end(void)
{
	close_json_array();
	if (json)
		print_doc_end();
	else
		fflush(stdout);
}

/* reply_ops for one object: "config show", "stats" */
void print_object_begin(void)
{
	open_json_object(NULL);
}

void print_object_end(void)
{
	close_json_object();
	print_doc_end();
}
