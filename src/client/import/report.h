/*
 * report.h — what ser-import tells its user while it runs: per-file
 * failures with their reason, and progress (files, MB, rate, ETA), drawn
 * as one redrawn line on a terminal and as plain lines otherwise.
 *
 * Workers call these from several threads: counters are atomic and output
 * is serialised, so a failure message never lands inside a progress line.
 */
#ifndef SER_IMPORT_REPORT_H
#define SER_IMPORT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ImportCounters
{
	int64_t		files_total;	/* candidates found by the walk */
	int64_t		bytes_total;
	int64_t		files_done;		/* read and dealt with (loaded, skipped or failed) */
	int64_t		bytes_done;
	int64_t		loaded;			/* in committed batches */
	int64_t		present;		/* same content already in the table (or earlier in this run) */
	int64_t		failed;			/* reported with a reason */
	int64_t		ignored;		/* neither audio content nor an audio extension */
} ImportCounters;

extern ImportCounters import_counters;

/* Progress display: on when stderr is a terminal unless quiet. */
void		report_init(bool quiet);

/* Atomic counter updates. */
void		report_add(int64_t *counter, int64_t amount);
int64_t		report_get(const int64_t *counter);

/* "ser-import: PATH: REASON" on stderr, counted as a failure. */
void		report_file_failure(const char *path, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* A message that is not about one file (warnings, fatal errors), on stderr. */
void		report_message(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/* Called periodically by the main thread while workers run. */
void		report_progress(bool final);

/* Seconds since report_init(). */
double		report_elapsed(void);

#endif							/* SER_IMPORT_REPORT_H */
