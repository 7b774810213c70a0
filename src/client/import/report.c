/*
 * report.c — failures and progress (see report.h).
 */
#include "client/import/report.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

ImportCounters import_counters;

static pthread_mutex_t output_lock = PTHREAD_MUTEX_INITIALIZER;
static bool on_terminal;
static bool progress_enabled;
static bool line_drawn;			/* a progress line is on screen, unterminated */
static struct timespec started;
static double last_plain_line = -1.0;

/* Plain (not terminal) progress: one line this often, in seconds. */
#define PLAIN_PROGRESS_INTERVAL 5.0

void
report_init(bool quiet)
{
	on_terminal = isatty(STDERR_FILENO);
	progress_enabled = !quiet;
	clock_gettime(CLOCK_MONOTONIC, &started);
}

double
report_elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double) (now.tv_sec - started.tv_sec) + (double) (now.tv_nsec - started.tv_nsec) / 1e9;
}

void
report_add(int64_t *counter, int64_t amount)
{
	__atomic_add_fetch(counter, amount, __ATOMIC_RELAXED);
}

int64_t
report_get(const int64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* Erase the progress line so that a message starts at the left margin. */
static void
clear_progress_line(void)
{
	if (line_drawn)
	{
		fputs("\r\033[K", stderr);
		line_drawn = false;
	}
}

void
report_file_failure(const char *path, const char *fmt,...)
{
	va_list		ap;

	report_add(&import_counters.failed, 1);
	pthread_mutex_lock(&output_lock);
	clear_progress_line();
	fprintf(stderr, "ser-import: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&output_lock);
}

void
report_message(const char *fmt,...)
{
	va_list		ap;
	char		text[2048];
	size_t		len;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Server and libpq messages end in a newline: one is enough. */
	len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	pthread_mutex_lock(&output_lock);
	clear_progress_line();
	fprintf(stderr, "ser-import: %s\n", text);
	pthread_mutex_unlock(&output_lock);
}

/* "1m05s" or "12s". */
static void
format_duration(double seconds, char *buf, size_t size)
{
	long		s = (long) (seconds + 0.5);

	if (s >= 60)
		snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, size, "%lds", s);
}

void
report_progress(bool final)
{
	double		elapsed = report_elapsed();
	int64_t		files = report_get(&import_counters.files_done);
	int64_t		bytes = report_get(&import_counters.bytes_done);
	int64_t		files_total = import_counters.files_total;
	int64_t		bytes_total = import_counters.bytes_total;
	double		rate = elapsed > 0 ? (double) bytes / 1e6 / elapsed : 0.0;
	char		eta[32] = "?";
	char		line[256];
	int			width = 30;
	int			filled;

	if (!progress_enabled)
		return;
	if (!on_terminal && !final && last_plain_line >= 0 && elapsed - last_plain_line < PLAIN_PROGRESS_INTERVAL)
		return;
	if (bytes > 0 && bytes_total > bytes)
		format_duration(elapsed * (double) (bytes_total - bytes) / (double) bytes, eta, sizeof(eta));
	else if (bytes_total <= bytes)
		snprintf(eta, sizeof(eta), "0s");
	filled = bytes_total > 0 ? (int) ((double) width * (double) bytes / (double) bytes_total) : width;
	if (filled > width)
		filled = width;

	pthread_mutex_lock(&output_lock);
	if (on_terminal)
	{
		snprintf(line, sizeof(line), "[%.*s%*s] %lld/%lld files  %.1f/%.1f MB  %.1f MB/s  ETA %s",
				 filled, "##############################", width - filled, "",
				 (long long) files, (long long) files_total,
				 (double) bytes / 1e6, (double) bytes_total / 1e6, rate, eta);
		fprintf(stderr, "\r\033[K%s", line);
		line_drawn = true;
		if (final)
		{
			fputc('\n', stderr);
			line_drawn = false;
		}
	}
	else
	{
		fprintf(stderr, "ser-import: %lld/%lld files, %.1f/%.1f MB, %.1f MB/s, ETA %s\n",
				(long long) files, (long long) files_total,
				(double) bytes / 1e6, (double) bytes_total / 1e6, rate, eta);
		last_plain_line = elapsed;
	}
	fflush(stderr);
	pthread_mutex_unlock(&output_lock);
}
