/*
 * loader.h — the workers of an import: each owns one connection and loads
 * batches of files with binary COPY, one transaction per batch.
 *
 * A worker claims the next files of the list (up to --batch-size files or
 * --batch-mb megabytes), then for each: reads it, hashes it (SHA-256),
 * skips it when that content is already in the table or claimed by
 * another batch of this run, validates it by decoding it with the decoder
 * ser_audio_info() uses (so a loaded file is one the server reads), and
 * streams it into COPY.  The batch's COPY and COMMIT make its files
 * visible together; on an interrupt the batch under way is rolled back,
 * so the table only ever holds whole batches and a second run resumes
 * where the first stopped.
 */
#ifndef SER_IMPORT_LOADER_H
#define SER_IMPORT_LOADER_H

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "client/import/hashset.h"
#include "client/import/metadata.h"
#include "client/import/walk.h"

typedef struct ImportOptions
{
	const char *quoted_table;
	const char *copy_sql;		/* COPY table (columns) FROM STDIN (FORMAT binary) */
	int			batch_files;
	int64_t		batch_bytes;
	int64_t		max_file_bytes;
	double		max_duration_s;
} ImportOptions;

typedef struct Import
{
	const ImportOptions *options;
	const FileList *files;
	Metadata   *metadata;
	HashSet    *known;			/* contents in the table or claimed by a batch */
	size_t		next_file;		/* next index to claim (atomic) */
	int			stop;			/* set (atomically) on a fatal error: every worker stops */
	int			workers_finished;	/* incremented (atomically) by each worker as it ends */
} Import;

/* Set by the signal handler: finish no new batch, roll back the one under way. */
extern volatile sig_atomic_t import_interrupted;

typedef struct Worker
{
	Import	   *import;
	PGconn	   *conn;
	bool		failed;			/* hit an error that ended the import */
} Worker;

/* Thread entry point: loads batches until the list is done, an interrupt or a fatal error. */
void	   *loader_run(void *worker);

#endif							/* SER_IMPORT_LOADER_H */
