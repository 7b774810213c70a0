/*
 * report.c — the HTML report of src/tools/run.sh, drawn with the pages'
 * own pieces: a card per recording with its probability bars (as on the
 * upload page), the per-class summary and the confusion matrix (as on the
 * model page) of the recordings whose file names say their emotion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pages.h"
#include "db.h"
#include "render.h"

/* %s is the results table, quoted as one identifier by libpq. */
static const char files_sql[] =
	"SELECT file, format, seconds, predicted, actual, error, profile FROM %s ORDER BY file COLLATE \"C\"";
static const char probabilities_sql[] =
	"SELECT r.file, p.key AS emotion, p.value::float8 AS probability\n"
	"FROM %s r CROSS JOIN LATERAL jsonb_each_text(r.probabilities) p\n"
	"ORDER BY r.file COLLATE \"C\", array_position(ser_emotions(), p.key) NULLS LAST, p.key";
static const char totals_sql[] =
	"SELECT count(*) AS recordings, count(predicted) AS classified, count(actual) AS labelled,\n"
	"       count(*) FILTER (WHERE predicted = actual) AS correct,\n"
	"       round(avg((predicted = actual)::int) FILTER (WHERE actual IS NOT NULL AND predicted IS NOT NULL), 3)\n"
	"         AS accuracy\n"
	"FROM %s";
static const char classes_sql[] =
	"SELECT s.emotion, s.recordings, s.predicted_as, s.correct, round(s.recall::numeric, 3) AS recall,\n"
	"       round(s.precision::numeric, 3) AS precision, round(s.f1::numeric, 3) AS f1\n"
	"FROM (SELECT array_agg(actual ORDER BY file) AS a, array_agg(predicted ORDER BY file) AS p\n"
	"      FROM %s WHERE actual IS NOT NULL AND predicted IS NOT NULL) l,\n"
	"     ser_class_summary(l.a, l.p) s";
static const char confusion_sql[] =
	"SELECT c.actual, c.predicted, c.recordings\n"
	"FROM (SELECT array_agg(actual ORDER BY file) AS a, array_agg(predicted ORDER BY file) AS p\n"
	"      FROM %s WHERE actual IS NOT NULL AND predicted IS NOT NULL) l,\n"
	"     ser_confusion_matrix(l.a, l.p) c";

/* One of the queries above for the table; NULL with err set on failure. */
static PGresult *
query_table(PGconn *conn, const char *pattern, const char *ident, DbError *err)
{
	size_t		len = strlen(pattern) + strlen(ident) + 1;
	char	   *sql = malloc(len);
	PGresult   *res;

	if (sql == NULL)
	{
		memset(err, 0, sizeof(*err));
		snprintf(err->message, sizeof(err->message), "out of memory");
		return NULL;
	}
	snprintf(sql, len, pattern, ident);
	res = db_query(conn, sql, 0, NULL, err);
	free(sql);
	return res;
}

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

void
page_report(PGconn *conn, Page *p, const char *results_table)
{
	Html	   *h = &p->body;
	char	   *ident = PQescapeIdentifier(conn, results_table, strlen(results_table));
	PGresult   *files = NULL,
			   *probs = NULL,
			   *totals = NULL,
			   *classes = NULL,
			   *confusion = NULL;
	Prediction *pr = malloc(sizeof(*pr));
	DbError		err;
	int			i,
				j = 0;

	memset(&err, 0, sizeof(err));
	if (ident == NULL || pr == NULL ||
		(files = query_table(conn, files_sql, ident, &err)) == NULL ||
		(probs = query_table(conn, probabilities_sql, ident, &err)) == NULL ||
		(totals = query_table(conn, totals_sql, ident, &err)) == NULL ||
		(classes = query_table(conn, classes_sql, ident, &err)) == NULL ||
		(confusion = query_table(conn, confusion_sql, ident, &err)) == NULL)
	{
		page_error(p, strcmp(err.sqlstate, "42P01") == 0 ? 404 : 500, "Report",
				   ident && pr ? err.message : "out of memory",
				   "The report reads the results table that src/tools/run.sh writes (ser_run_results).");
		goto done;
	}
	page_begin(h, "Emotion of each recording", NULL);
	html_raw(h, "<div class=\"grid\"><div class=\"card wide\"><h3>Summary</h3>");
	render_table(h, totals);
	html_raw(h, "</div>");
	if (PQntuples(classes) > 0)
	{
		html_raw(h, "<div class=\"card\"><h3>Recall per class</h3>");
		render_bars(h, classes, 0, 4, BARS_FRACTION, "recall per class");
		render_table(h, classes);
		html_raw(h, "</div><div class=\"card\"><h3>Confusion matrix</h3>");
		if (!render_confusion(h, confusion, 0, 1, 2, "confusion matrix: rows true class, columns predicted"))
			render_table(h, confusion);
		html_raw(h, "</div>");
	}
	else
		html_raw(h, "<p class=\"card wide muted\">No file name says its true emotion (RAVDESS names do): "
				 "no per-class summary.</p>");
	html_raw(h, "</div><h2>Recordings</h2><div class=\"grid\" id=\"results\">");
	for (i = 0; i < PQntuples(files); i++)
	{
		const char *file = PQgetvalue(files, i, 0);

		memset(pr, 0, sizeof(*pr));
		copy(pr->file_name, sizeof(pr->file_name), file);
		copy(pr->format, sizeof(pr->format), PQgetvalue(files, i, 1));
		pr->duration_s = atof(PQgetvalue(files, i, 2));
		copy(pr->emotion, sizeof(pr->emotion), PQgetvalue(files, i, 3));
		copy(pr->actual, sizeof(pr->actual), PQgetvalue(files, i, 4));
		copy(pr->error, sizeof(pr->error), PQgetvalue(files, i, 5));
		copy(pr->profile, sizeof(pr->profile), PQgetvalue(files, i, 6));
		/* Both queries are ordered by file in byte order: walk the probabilities alongside. */
		while (j < PQntuples(probs) && strcmp(PQgetvalue(probs, j, 0), file) < 0)
			j++;
		for (; j < PQntuples(probs) && strcmp(PQgetvalue(probs, j, 0), file) == 0; j++)
			if (pr->n_classes < MAX_CLASSES)
			{
				copy(pr->classes[pr->n_classes], sizeof(pr->classes[0]), PQgetvalue(probs, j, 1));
				pr->probabilities[pr->n_classes++] = atof(PQgetvalue(probs, j, 2));
			}
		render_prediction(h, pr);
	}
	html_raw(h, "</div>");
	render_sql(h, totals_sql);
	render_sql(h, classes_sql);
	render_sql(h, confusion_sql);
	page_end(h);
done:
	PQclear(files);
	PQclear(probs);
	PQclear(totals);
	PQclear(classes);
	PQclear(confusion);
	PQfreemem(ident);
	free(pr);
}
