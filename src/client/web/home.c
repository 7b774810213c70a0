/*
 * home.c — "/": what ser is, the server and extension it talks to, how
 * many recordings and models it holds, and the upload form.
 */
#include <stdio.h>

#include "pages.h"
#include "db.h"
#include "render.h"

static const char versions_sql[] =
	"SELECT current_setting('server_version') AS server_version,\n"
	"       (SELECT extversion FROM pg_extension WHERE extname = 'ser') AS ser_version,\n"
	"       current_user AS role, current_database() AS database,\n"
	"       has_table_privilege('ravdess_metadata', 'SELECT') AS reads_recordings,\n"
	"       has_table_privilege('ser_models', 'SELECT') AS reads_models";
static const char recordings_sql[] = "SELECT count(*) AS recordings, count(DISTINCT actor) AS actors FROM ravdess_metadata";
static const char models_sql[] = "SELECT 1 + count(*) AS models FROM ser_models  -- the shipped one and the trained ones";

static void
stat_card(Html *h, const char *id, const char *title, const char *value, const char *note)
{
	html_rawf(h, "<div class=\"card\"><h3>%s</h3><p class=\"stat\" id=\"%s\">", title, id);
	html_text(h, value);
	html_raw(h, "</p><p class=\"muted\">");
	html_text(h, note);
	html_raw(h, "</p></div>");
}

void
page_home(PGconn *conn, Page *p)
{
	Html	   *h = &p->body;
	DbError		err;
	PGresult   *v = db_query(conn, versions_sql, 0, NULL, &err);
	PGresult   *r;
	char		note[256];

	if (v == NULL)
	{
		page_error(p, 500, "Database error", err.message, err.hint);
		return;
	}
	if (PQgetisnull(v, 0, 1))
	{
		PQclear(v);
		page_error(p, 503, "ser is not installed",
				   "The database ser-web is connected to has no extension ser.",
				   "Run CREATE EXTENSION ser in it, or point ser-web at another database with PGDATABASE.");
		return;
	}
	page_begin(h, "Speech emotion recognition in PostgreSQL", "/");
	html_raw(h, "<p>ser decodes recordings stored in PostgreSQL, computes speech features and recognises "
			 "the emotion in them (neutral, calm, happy, sad, angry, fearful, disgust, surprised), in C, "
			 "where the data lives. These pages are views of its SQL: each figure shows the query behind it.</p>"
			 "<div class=\"grid\">");
	stat_card(h, "server-version", "PostgreSQL", PQgetvalue(v, 0, 0), "server version");
	snprintf(note, sizeof(note), "extension version, as role %s in database %s", PQgetvalue(v, 0, 2), PQgetvalue(v, 0, 3));
	stat_card(h, "ser-version", "ser", PQgetvalue(v, 0, 1), note);

	r = PQgetvalue(v, 0, 4)[0] == 't' ? db_query(conn, recordings_sql, 0, NULL, &err) : NULL;
	if (r)
	{
		snprintf(note, sizeof(note), "RAVDESS recordings in ravdess_metadata, %s actors", PQgetvalue(r, 0, 1));
		stat_card(h, "recordings", "Recordings", PQgetvalue(r, 0, 0), note);
		PQclear(r);
	}
	else
		stat_card(h, "recordings", "Recordings", "—", "ravdess_metadata cannot be read by this role");

	r = PQgetvalue(v, 0, 5)[0] == 't' ? db_query(conn, models_sql, 0, NULL, &err) : NULL;
	if (r)
	{
		stat_card(h, "models", "Models", PQgetvalue(r, 0, 0), "the shipped model and those in ser_models");
		PQclear(r);
	}
	else
		stat_card(h, "models", "Models", "1", "the shipped model (ser_models cannot be read by this role)");
	html_raw(h, "</div>");
	render_sql(h, versions_sql);
	render_sql(h, recordings_sql);
	render_sql(h, models_sql);
	PQclear(v);

	html_raw(h, "<h2>Upload &amp; predict</h2><div class=\"card\">");
	render_upload_form(conn, h);
	html_raw(h, "</div>");
	page_end(h);
}
