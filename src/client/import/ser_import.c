/*
 * ser_import.c — ser-import: load a folder of recordings into a table, as
 * an ordinary role, over several connections.
 *
 *   ser-import [OPTION]... --table=TABLE DIR|FILE...
 *
 * The steps: walk the arguments for audio files (walk.c, sniff.c), read
 * the labels (metadata.c), create or check the table and read the
 * contents it already holds (table.c), then let --jobs workers load
 * batches (loader.c) while this thread draws the progress (report.c).
 *
 * Exit status: 0 when every file was loaded or already present, 1 when
 * some files could not be loaded (each reported with its reason), 2 when
 * the import could not run (connection, table, options), 130 when
 * interrupted (the batches committed so far stay; run again to resume).
 */
#include <getopt.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/import/hashset.h"
#include "client/import/loader.h"
#include "client/import/metadata.h"
#include "client/import/report.h"
#include "client/import/table.h"
#include "client/import/walk.h"
#include "common/runtime.h"

#ifndef SER_VERSION
#error "SER_VERSION must be defined by the build"
#endif

#define EXIT_FILES_FAILED 1
#define EXIT_FATAL 2
#define EXIT_INTERRUPTED 130

#define MAX_JOBS 64

static void
usage(void)
{
	printf("ser-import loads audio files into a PostgreSQL table for ser, with binary COPY.\n\n"
		   "Usage:\n"
		   "  ser-import [OPTION]... --table=TABLE DIR|FILE...\n\n"
		   "Folders are walked recursively (symbolic links followed, names starting with '.'\n"
		   "skipped); a file is loaded when its content is WAV, AIFF, AU, FLAC, Ogg or MP3\n"
		   "or its name ends in such an extension, and it decodes as ser_audio_info() would\n"
		   "decode it.  Files whose content is already in the table (same SHA-256) are\n"
		   "skipped, so an interrupted import resumes where it stopped.\n\n"
		   "Options:\n"
		   "  -t, --table=TABLE         table to load into, created when missing (required)\n"
		   "  -j, --jobs=N              connections loading in parallel (default 2)\n"
		   "  -m, --metadata=FILE.csv   labels and speakers: a CSV with a header row naming\n"
		   "                            the columns file (path below DIR, or base name),\n"
		   "                            label and speaker; files it does not name take them\n"
		   "                            from RAVDESS-style names (03-01-05-02-01-01-01.wav)\n"
		   "      --batch-size=N        files per transaction (default 100)\n"
		   "      --batch-mb=MB         megabytes per transaction (default 64)\n"
		   "      --max-duration=S      refuse recordings longer than S seconds\n"
		   "                            (default 600, ser.max_duration's default)\n"
		   "  -q, --quiet               no progress display\n"
		   "  -V, --version             print the version and exit\n"
		   "  -?, --help                print this help and exit\n\n"
		   "Connection options (else libpq's PG* environment variables):\n"
		   "  -d, --dbname=DBNAME       database name or connection string\n"
		   "  -h, --host=HOST           server host or socket folder\n"
		   "  -p, --port=PORT           server port\n"
		   "  -U, --username=USER       role name\n\n"
		   "The table has the columns id, path, sha256, audio, size_bytes, format,\n"
		   "sample_rate, channels, duration_s, label, speaker and imported_at.\n\n"
		   "Exit status: 0 all files loaded or already present; 1 some files could not be\n"
		   "loaded (each is reported with the reason); 2 the import could not run;\n"
		   "130 interrupted (whole batches stay loaded: run the same command again).\n");
}

static void
on_signal(int signo)
{
	static const char msg[] = "\nser-import: interrupted: rolling back the batches under way "
		"(press Ctrl-C again to stop at once)\n";

	if (import_interrupted)
	{
		/* Second signal: die; the server rolls back every open transaction. */
		signal(signo, SIG_DFL);
		raise(signo);
		return;
	}
	import_interrupted = 1;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
	{
		/* Nothing to do: the message is a courtesy. */
	}
}

/* The decoder stops promptly on Ctrl-C too. */
static bool
decoder_interrupted(void)
{
	return import_interrupted != 0;
}

static bool
parse_int(const char *s, long min, long max, long *out)
{
	char	   *end;
	long		v;

	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

typedef struct ConnectionOptions
{
	const char *dbname;
	const char *host;
	const char *port;
	const char *user;
} ConnectionOptions;

static PGconn *
connect_once(const ConnectionOptions *co)
{
	const char *keys[] = {"host", "port", "user", "dbname", "fallback_application_name", "client_encoding", NULL};
	const char *values[] = {co->host, co->port, co->user, co->dbname, "ser-import", "UTF8", NULL};
	PGconn	   *conn = PQconnectdbParams(keys, values, 1);

	if (PQstatus(conn) != CONNECTION_OK)
	{
		report_message("could not connect: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

int
main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"table", required_argument, NULL, 't'},
		{"jobs", required_argument, NULL, 'j'},
		{"metadata", required_argument, NULL, 'm'},
		{"batch-size", required_argument, NULL, 1},
		{"batch-mb", required_argument, NULL, 2},
		{"max-duration", required_argument, NULL, 3},
		{"quiet", no_argument, NULL, 'q'},
		{"dbname", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"username", required_argument, NULL, 'U'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, '?'},
		{NULL, 0, NULL, 0}
	};
	ConnectionOptions co = {0};
	ImportOptions opt = {0};
	const char *table = NULL;
	const char *metadata_path = NULL;
	long		jobs = 2;
	bool		quiet = false;
	int			c;
	long		v;
	char		error[1024];
	FileList	files = {0};
	Metadata	md = {0};
	HashSet		known;
	Import		im = {0};
	PGconn	   *conns[MAX_JOBS] = {0};
	Worker		workers[MAX_JOBS];
	pthread_t	threads[MAX_JOBS];
	int			started = 0;
	int			status = 0;
	bool		fatal = false;
	struct sigaction sa;

	opt.batch_files = 100;
	opt.batch_bytes = 64L * 1024 * 1024;
	opt.max_duration_s = 600.0;
	/* The largest bytea value, less its header. */
	opt.max_file_bytes = 1024L * 1024 * 1024 - 1 - 4;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-?") == 0))
	{
		usage();
		return 0;
	}
	while ((c = getopt_long(argc, argv, "t:j:m:qd:h:p:U:V?", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 't':
				table = optarg;
				break;
			case 'j':
				if (!parse_int(optarg, 1, MAX_JOBS, &jobs))
				{
					fprintf(stderr, "ser-import: --jobs must be an integer from 1 to %d\n", MAX_JOBS);
					return EXIT_FATAL;
				}
				break;
			case 'm':
				metadata_path = optarg;
				break;
			case 1:
				if (!parse_int(optarg, 1, 100000, &v))
				{
					fprintf(stderr, "ser-import: --batch-size must be an integer from 1 to 100000\n");
					return EXIT_FATAL;
				}
				opt.batch_files = (int) v;
				break;
			case 2:
				if (!parse_int(optarg, 1, 4096, &v))
				{
					fprintf(stderr, "ser-import: --batch-mb must be an integer from 1 to 4096\n");
					return EXIT_FATAL;
				}
				opt.batch_bytes = (int64_t) v * 1024 * 1024;
				break;
			case 3:
				{
					char	   *end;

					opt.max_duration_s = strtod(optarg, &end);
					if (end == optarg || *end != '\0' || !(opt.max_duration_s > 0))
					{
						fprintf(stderr, "ser-import: --max-duration must be a positive number of seconds\n");
						return EXIT_FATAL;
					}
				}
				break;
			case 'q':
				quiet = true;
				break;
			case 'd':
				co.dbname = optarg;
				break;
			case 'h':
				co.host = optarg;
				break;
			case 'p':
				co.port = optarg;
				break;
			case 'U':
				co.user = optarg;
				break;
			case 'V':
				printf("ser-import (ser) %s\n", SER_VERSION);
				return 0;
			default:
				if (optopt == '?' || (optopt == 0 && c == '?' && strcmp(argv[optind - 1], "-?") == 0))
				{
					usage();
					return 0;
				}
				fprintf(stderr, "Try \"ser-import --help\" for more information.\n");
				return EXIT_FATAL;
		}
	}
	if (table == NULL || optind >= argc)
	{
		fprintf(stderr, "ser-import: %s\nTry \"ser-import --help\" for more information.\n",
				table == NULL ? "no table named: give --table=TABLE" : "no folder or file to import");
		return EXIT_FATAL;
	}

	report_init(quiet);
	ser_set_interrupt_check(decoder_interrupted);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (metadata_path && !metadata_load(metadata_path, &md, error, sizeof(error)))
	{
		report_message("%s", error);
		return EXIT_FATAL;
	}
	if (!hashset_init(&known))
	{
		report_message("out of memory");
		return EXIT_FATAL;
	}

	/* One connection first: a wrong password or a missing table is reported once. */
	conns[0] = connect_once(&co);
	if (conns[0] == NULL)
		return EXIT_FATAL;
	opt.quoted_table = table_quote_name(conns[0], table, error, sizeof(error));
	if (opt.quoted_table == NULL || !table_prepare(conns[0], opt.quoted_table, error, sizeof(error)) ||
		!table_read_hashes(conns[0], opt.quoted_table, &known, error, sizeof(error)))
	{
		report_message("%s", error);
		PQfinish(conns[0]);
		return EXIT_FATAL;
	}

	{
		static const char copy_format[] = "COPY %s (" IMPORT_COPY_COLUMNS ") FROM STDIN (FORMAT binary)";
		char	   *copy_sql = malloc(sizeof(copy_format) + strlen(opt.quoted_table));

		if (copy_sql == NULL)
		{
			report_message("out of memory");
			PQfinish(conns[0]);
			return EXIT_FATAL;
		}
		sprintf(copy_sql, copy_format, opt.quoted_table);
		opt.copy_sql = copy_sql;
	}

	for (int a = optind; a < argc; a++)
		if (!walk_argument(argv[a], &files))
		{
			report_message("out of memory listing the files");
			PQfinish(conns[0]);
			return EXIT_FATAL;
		}
	walk_finish(&files);
	import_counters.files_total = (int64_t) files.count;
	for (size_t i = 0; i < files.count; i++)
		import_counters.bytes_total += files.items[i].size;

	if ((size_t) jobs > files.count)
		jobs = files.count > 0 ? (long) files.count : 1;
	for (int j = 1; j < jobs; j++)
	{
		conns[j] = connect_once(&co);
		if (conns[j] == NULL)
		{
			fatal = true;
			break;
		}
	}

	im.options = &opt;
	im.files = &files;
	im.metadata = &md;
	im.known = &known;
	if (!fatal)
		for (int j = 0; j < jobs; j++)
		{
			workers[j].import = &im;
			workers[j].conn = conns[j];
			workers[j].failed = false;
			if (pthread_create(&threads[j], NULL, loader_run, &workers[j]) != 0)
			{
				report_message("could not start a worker thread");
				__atomic_store_n(&im.stop, 1, __ATOMIC_RELAXED);
				fatal = true;
				break;
			}
			started++;
		}

	/* Draw the progress until the workers are done. */
	while (__atomic_load_n(&im.workers_finished, __ATOMIC_ACQUIRE) < started)
	{
		struct timespec tick = {0, 100 * 1000 * 1000};

		nanosleep(&tick, NULL);
		report_progress(false);
	}
	for (int j = 0; j < started; j++)
	{
		pthread_join(threads[j], NULL);
		if (workers[j].failed)
			fatal = true;
	}
	for (int j = 0; j < MAX_JOBS; j++)
		if (conns[j])
			PQfinish(conns[j]);
	report_progress(true);

	printf("ser-import: %lld loaded, %lld already present, %lld failed, %lld other files ignored; "
		   "%.1f MB in %.2f s\n",
		   (long long) import_counters.loaded, (long long) import_counters.present,
		   (long long) import_counters.failed, (long long) import_counters.ignored,
		   (double) import_counters.bytes_done / 1e6, report_elapsed());
	if (metadata_path)
	{
		size_t		unused = 0;
		const char *first = NULL;

		for (size_t r = 0; r < md.count; r++)
			if (!md.rows[r].used)
			{
				if (first == NULL)
					first = md.rows[r].file;
				unused++;
			}
		if (unused > 0 && !import_interrupted && !fatal)
			report_message("warning: %zu rows of %s name no imported file (the first: \"%s\")",
						   unused, metadata_path, first);
	}

	if (import_interrupted)
	{
		report_message("interrupted: %lld files loaded in whole batches; run the same command again to load the rest",
					   (long long) import_counters.loaded);
		status = EXIT_INTERRUPTED;
	}
	else if (fatal)
		status = EXIT_FATAL;
	else if (import_counters.failed > 0)
		status = EXIT_FILES_FAILED;

	walk_free(&files);
	metadata_free(&md);
	hashset_free(&known);
	free((void *) opt.quoted_table);
	free((void *) opt.copy_sql);
	return status;
}
