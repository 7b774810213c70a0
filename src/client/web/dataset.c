/*
 * dataset.c — "/dataset": counts per emotion, intensity, actor and gender,
 * durations and byte-identical groups of ravdess_metadata (through the
 * extension's views), or, for any other table the user names with its
 * audio and label columns, the same per label through
 * ser_table_recordings().  A table that does not exist is a 404 page.
 */
#include <stdio.h>
#include <string.h>

#include "pages.h"
#include "db.h"
#include "render.h"

static const char ravdess_summary_sql[] =
	"SELECT clips, actors, clips_with_audio, round(total_duration_s::numeric, 1) AS total_duration_s,\n"
	"       round(mean_duration_s::numeric, 2) AS mean_duration_s, identical_content_clips\n"
	"FROM ravdess_summary";
static const char ravdess_emotion_sql[] =
	"SELECT emotion_name, clips, round(mean_duration_s::numeric, 2) AS mean_duration_s\n"
	"FROM ravdess_emotion_stats ORDER BY emotion";
static const char ravdess_intensity_sql[] =
	"SELECT intensity_name, clips FROM ravdess_intensity_stats ORDER BY intensity";
static const char ravdess_gender_sql[] =
	"SELECT gender, actors, clips FROM ravdess_gender_stats ORDER BY gender";
static const char ravdess_actor_sql[] =
	"SELECT format('%s (%s)', actor, gender) AS actor, clips FROM ravdess_actor_stats ORDER BY actor";
static const char ravdess_identical_sql[] =
	"SELECT content_sha256, array_to_string(file_names, ', ') AS file_names FROM ravdess_identical_content\n"
	"ORDER BY file_names";

static const char table_label_sql[] =
	"SELECT label, count(*) AS recordings, count(error) AS unreadable,\n"
	"       round(sum(duration_s)::numeric, 1) AS total_duration_s,\n"
	"       round(avg(duration_s)::numeric, 2) AS mean_duration_s\n"
	"FROM ser_table_recordings($1::regclass, $2, $3)\n"
	"GROUP BY label ORDER BY array_position(ser_emotions(), label) NULLS LAST, label";
static const char table_format_sql[] =
	"SELECT coalesce(format, 'unreadable: ' || error) AS format, count(*) AS recordings\n"
	"FROM ser_table_recordings($1::regclass, $2, $3)\n"
	"GROUP BY 1 ORDER BY 2 DESC, 1";
static const char table_identical_sql[] =
	"SELECT encode(content_sha256, 'hex') AS content_sha256, count(*) AS recordings,\n"
	"       string_agg(DISTINCT label, ', ') AS labels\n"
	"FROM ser_table_recordings($1::regclass, $2, $3)\n"
	"WHERE content_sha256 IS NOT NULL\n"
	"GROUP BY content_sha256 HAVING count(*) > 1 ORDER BY 2 DESC, 1";

/* The HTTP status that tells what kind of mistake a server error was. */
static int
status_of(const DbError *err)
{
	if (strcmp(err->sqlstate, "42P01") == 0 || strcmp(err->sqlstate, "3F000") == 0)
		return 404;				/* no such table or schema */
	if (strcmp(err->sqlstate, "42501") == 0)
		return 403;				/* no privilege */
	if (strncmp(err->sqlstate, "42", 2) == 0 || strncmp(err->sqlstate, "22", 2) == 0)
		return 400;				/* a bad name or column */
	return 500;
}

/* A section: a title, the chart or table of a query, the query. */
static bool
section(PGconn *conn, Page *p, const char *id, const char *title, const char *sql, int nparams,
		const char *const *params, int chart_value_col, BarScale scale, bool wide)
{
	DbError		err;
	PGresult   *res = db_query(conn, sql, nparams, params, &err);
	Html	   *h = &p->body;

	if (res == NULL)
	{
		int			status = status_of(&err);

		page_error(p, status, "Dataset", err.message,
				   err.hint[0] ? err.hint :
				   status == 403 ? "This role needs SELECT on it: GRANT SELECT ON ... TO the role ser-web connects as." :
				   status == 404 ? "Name a table that exists (schema-qualified if it is not on the search path)." :
				   "Check the table and column names in the address.");
		return false;
	}
	html_rawf(h, "<div class=\"card%s\" id=\"%s\"><h3>", wide ? " wide" : "", id);
	html_text(h, title);
	html_raw(h, "</h3>");
	if (chart_value_col >= 0 && PQntuples(res) > 0)
		render_bars(h, res, 0, chart_value_col, scale, title);
	render_table(h, res);
	render_sql(h, sql);
	html_raw(h, "</div>\n");
	PQclear(res);
	return true;
}

static void
table_form(Html *h, const char *table, const char *audio_column, const char *label_column)
{
	html_raw(h, "<form method=\"get\" action=\"/dataset\" class=\"card\"><h3>Another table of recordings</h3>"
			 "<label for=\"table\">Table</label><input id=\"table\" name=\"table\" value=\"");
	html_text(h, table);
	html_raw(h, "\"><label for=\"audio\">Audio column (bytea)</label><input id=\"audio\" name=\"audio\" value=\"");
	html_text(h, audio_column);
	html_raw(h, "\"><label for=\"label\">Label column</label><input id=\"label\" name=\"label\" value=\"");
	html_text(h, label_column);
	html_raw(h, "\"><button type=\"submit\">Show</button></form>\n");
}

void
page_dataset(PGconn *conn, Page *p, const char *table, const char *audio_column, const char *label_column)
{
	Html	   *h = &p->body;
	bool		ravdess = table == NULL || *table == '\0' || strcmp(table, "ravdess_metadata") == 0;
	char		title[256];

	if (audio_column == NULL || *audio_column == '\0')
		audio_column = "audio";
	if (label_column == NULL || *label_column == '\0')
		label_column = "label";
	if (ravdess)
	{
		page_begin(h, "Dataset: ravdess_metadata", "/dataset");
		html_raw(h, "<p>RAVDESS recordings loaded with <code>ser_load_ravdess()</code>, through the "
				 "extension's statistics views. Byte-identical recordings are counted: analyses that "
				 "must not count one recording twice add <code>WHERE NOT identical_content</code>.</p>"
				 "<div class=\"grid\">");
		if (!section(conn, p, "summary", "Summary", ravdess_summary_sql, 0, NULL, -1, BARS_COUNT, true) ||
			!section(conn, p, "emotion-counts", "Recordings per emotion", ravdess_emotion_sql, 0, NULL, 1, BARS_COUNT, false) ||
			!section(conn, p, "emotion-durations", "Mean duration per emotion", ravdess_emotion_sql, 0, NULL, 2, BARS_SECONDS, false) ||
			!section(conn, p, "intensity-counts", "Recordings per intensity", ravdess_intensity_sql, 0, NULL, 1, BARS_COUNT, false) ||
			!section(conn, p, "gender-counts", "Recordings per gender", ravdess_gender_sql, 0, NULL, 2, BARS_COUNT, false) ||
			!section(conn, p, "actor-counts", "Recordings per actor", ravdess_actor_sql, 0, NULL, 1, BARS_COUNT, false) ||
			!section(conn, p, "identical", "Byte-identical groups", ravdess_identical_sql, 0, NULL, -1, BARS_COUNT, true))
			return;
	}
	else
	{
		const char *params[3] = {table, audio_column, label_column};

		snprintf(title, sizeof(title), "Dataset: %s", table);
		page_begin(h, title, "/dataset");
		html_raw(h, "<p>Every row of the table, read through <code>ser_table_recordings()</code>: labels from "
				 "column <code>");
		html_text(h, label_column);
		html_raw(h, "</code>, format and duration decoded from column <code>");
		html_text(h, audio_column);
		html_raw(h, "</code>; a recording that cannot be read is counted with the decoder's message.</p>"
				 "<div class=\"grid\">");
		if (!section(conn, p, "label-counts", "Recordings per label", table_label_sql, 3, params, 1, BARS_COUNT, false) ||
			!section(conn, p, "label-durations", "Mean duration per label", table_label_sql, 3, params, 4, BARS_SECONDS, false) ||
			!section(conn, p, "formats", "Formats", table_format_sql, 3, params, 1, BARS_COUNT, false) ||
			!section(conn, p, "identical", "Byte-identical groups", table_identical_sql, 3, params, -1, BARS_COUNT, true))
			return;
	}
	html_raw(h, "</div>");
	table_form(h, ravdess ? "" : table, audio_column, label_column);
	page_end(h);
}
