// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - sipkd's log: five levels, to stderr (foreground) or syslog
 * (daemon, facility daemon), as the configuration says.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <sys/time.h>

#include "sipkd.h"

static enum log_level cur_level = LOG_L_NOTICE;
static bool use_syslog;
static bool early_stderr;	/* a detaching daemon, until it has started */

static const char *const names[] = {
	[LOG_L_ERR] = "error", [LOG_L_WARN] = "warning",
	[LOG_L_NOTICE] = "notice", [LOG_L_INFO] = "info",
	[LOG_L_DEBUG] = "debug",
};

static const int prio[] = {
	[LOG_L_ERR] = LOG_ERR, [LOG_L_WARN] = LOG_WARNING,
	[LOG_L_NOTICE] = LOG_NOTICE, [LOG_L_INFO] = LOG_INFO,
	[LOG_L_DEBUG] = LOG_DEBUG,
};

const char *log_level_name(enum log_level l)
{
	return l <= LOG_L_DEBUG ? names[l] : "?";
}

int log_level_parse(const char *s, enum log_level *l)
{
	unsigned int i;

	for (i = 0; i <= LOG_L_DEBUG; i++)
		if (!strcasecmp(s, names[i])) {
			*l = (enum log_level)i;
			return 0;
		}
	if (!strcasecmp(s, "warn") || !strcasecmp(s, "err")) {
		*l = s[0] == 'w' || s[0] == 'W' ? LOG_L_WARN : LOG_L_ERR;
		return 0;
	}
	return -1;
}

void log_setup(enum log_level level, enum log_target target, bool foreground)
{
	cur_level = level;
	use_syslog = target == LOG_T_SYSLOG ||
		     (target == LOG_T_AUTO && !foreground);
	if (use_syslog) {
		openlog("sipkd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		early_stderr = !foreground;
	}
}

void log_started(void)
{
	early_stderr = false;
}

void log_set_level(enum log_level level)
{
	cur_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= cur_level;
}

void logmsg(enum log_level level, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (use_syslog)
		syslog(prio[level], "%s", buf);
	if (use_syslog && early_stderr && level <= LOG_L_WARN)
		fprintf(stderr, "sipkd: %s: %s\n", names[level], buf);
	if (!use_syslog) {
		struct timeval tv;
		struct tm tm;

		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		fprintf(stderr, "%02d:%02d:%02d.%03ld sipkd: %s: %s\n",
			tm.tm_hour, tm.tm_min, tm.tm_sec,
			(long)(tv.tv_usec / 1000), names[level], buf);
	}
}
