/*
 * ser-web — the web pages of ser: upload & predict, dataset and model
 * pages over a PostgreSQL database with the extension, or the HTML report
 * of src/tools/run.sh's results.
 *
 *   ser-web [--port N] [--listen ADDRESS] [--max-upload-mb N]
 *   ser-web --report OUT.html [--results-table NAME]
 *
 * The database is the one the usual libpq variables name (PGHOST, PGPORT,
 * PGUSER, PGDATABASE, ...); an ordinary role is enough.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "pages.h"
#include "server.h"

/*
 * Uploads are bounded by what ser.max_duration seconds of 48 kHz 16-bit
 * stereo PCM take (192,000 bytes a second, a common recorder's output;
 * compressed files of that duration are much smaller), plus room for the
 * form; longer recordings would be refused by the decoder anyway.
 */
#define BYTES_PER_SECOND 192000.0
#define FORM_ROOM (1024 * 1024)
#define DEFAULT_MAX_DURATION 600.0

static void
usage(FILE *out)
{
	fprintf(out,
			"Usage: ser-web [--port N] [--listen ADDRESS] [--max-upload-mb N]\n"
			"       ser-web --report OUT.html [--results-table NAME]\n"
			"\n"
			"Serves ser's pages (/, /predict, /dataset, /model) over the database that the libpq\n"
			"variables name (PGHOST, PGPORT, PGUSER, PGDATABASE), or writes the HTML report of\n"
			"src/tools/run.sh's results table (default ser_run_results) and exits.\n"
			"\n"
			"  --port N            TCP port (default 8080)\n"
			"  --listen ADDRESS    IPv4 address to bind (default 127.0.0.1: this machine only)\n"
			"  --max-upload-mb N   largest upload (default: ser.max_duration seconds of 48 kHz\n"
			"                      16-bit stereo audio, plus 1 MB)\n");
}

/* ser.max_duration of the database, or the default when it cannot be read. */
static double
max_duration(void)
{
	DbError		err;
	PGconn	   *conn = db_connect(&err);
	char		value[64];
	double		seconds = DEFAULT_MAX_DURATION;

	if (conn == NULL)
	{
		fprintf(stderr, "ser-web: warning: cannot connect to the database yet (%s); "
				"uploads bounded as for ser.max_duration = %.0f s\n", err.message, seconds);
		return seconds;
	}
	/* The setting exists once the library is loaded: call into it first. */
	if (db_scalar(conn, "SELECT cardinality(ser_emotions())", 0, NULL, value, sizeof(value)) &&
		db_scalar(conn, "SELECT setting FROM pg_settings WHERE name = 'ser.max_duration'  -- in seconds",
				  0, NULL, value, sizeof(value)))
		seconds = atof(value);
	else
		fprintf(stderr, "ser-web: warning: cannot read ser.max_duration (is the extension installed?); "
				"uploads bounded as for %.0f s\n", seconds);
	PQfinish(conn);
	return seconds;
}

static int
write_report(const char *path, const char *results_table)
{
	DbError		err;
	PGconn	   *conn = db_connect(&err);
	Page		page;
	FILE	   *out;
	size_t		len;
	char	   *html;
	int			status;

	if (conn == NULL)
	{
		fprintf(stderr, "ser-web: cannot connect to the database: %s\n", err.message);
		return 1;
	}
	page_init(&page);
	page_report(conn, &page, results_table);
	PQfinish(conn);
	status = page.status;
	html = html_take(&page.body, &len);
	if (html == NULL)
	{
		fprintf(stderr, "ser-web: out of memory\n");
		return 1;
	}
	out = fopen(path, "w");
	if (out == NULL || fwrite(html, 1, len, out) != len || fclose(out) != 0)
	{
		fprintf(stderr, "ser-web: cannot write %s: %s\n", path, strerror(errno));
		free(html);
		return 1;
	}
	free(html);
	if (status != 200)
	{
		fprintf(stderr, "ser-web: the report could not be made; %s says why\n", path);
		return 1;
	}
	printf("ser-web: report written to %s\n", path);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"port", required_argument, NULL, 'p'},
		{"listen", required_argument, NULL, 'l'},
		{"max-upload-mb", required_argument, NULL, 'm'},
		{"report", required_argument, NULL, 'r'},
		{"results-table", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	ServerConfig config = {"127.0.0.1", 8080, 0};
	const char *report = NULL;
	const char *results_table = "ser_run_results";
	double		max_upload_mb = 0;
	int			c;
	char	   *end;

	while ((c = getopt_long(argc, argv, "p:l:m:r:t:h", options, NULL)) != -1)
	{
		switch (c)
		{
			case 'p':
				config.port = (int) strtol(optarg, &end, 10);
				if (*end != '\0' || config.port < 1 || config.port > 65535)
				{
					fprintf(stderr, "ser-web: --port must be a number from 1 to 65535, not \"%s\"\n", optarg);
					return 2;
				}
				break;
			case 'l':
				config.listen = optarg;
				break;
			case 'm':
				max_upload_mb = strtod(optarg, &end);
				if (*end != '\0' || !(max_upload_mb > 0 && max_upload_mb <= 4096))
				{
					fprintf(stderr, "ser-web: --max-upload-mb must be a number of megabytes from 0 to 4096, not \"%s\"\n",
							optarg);
					return 2;
				}
				break;
			case 'r':
				report = optarg;
				break;
			case 't':
				results_table = optarg;
				break;
			case 'h':
				usage(stdout);
				return 0;
			default:
				usage(stderr);
				return 2;
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "ser-web: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (report)
		return write_report(report, results_table);
	if (max_upload_mb > 0)
		config.max_upload = (size_t) (max_upload_mb * 1024 * 1024);
	else
		config.max_upload = (size_t) (max_duration() * BYTES_PER_SECOND) + FORM_ROOM;
	return server_run(&config);
}
