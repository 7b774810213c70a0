/*
 * render.c — the shared pieces of the pages and the report.
 */
#include "render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs of the numeric types (pg_type.h, stable across versions). */
static bool
is_numeric_type(Oid type)
{
	return type == 20 || type == 21 || type == 23 || type == 700 || type == 701 || type == 1700;
}

void
render_prediction(Html *h, const Prediction *p)
{
	int			best = -1;
	int			k;
	const char *labels[MAX_CLASSES];

	html_raw(h, p->error[0] ? "<div class=\"card prediction error\"" : "<div class=\"card prediction\"");
	html_raw(h, " data-file=\"");
	html_text(h, p->file_name);
	html_raw(h, "\" data-emotion=\"");
	html_text(h, p->no_speech ? "no speech" : p->emotion);
	html_raw(h, "\"><h3>");
	html_text(h, p->file_name);
	html_raw(h, "</h3><p class=\"muted\">");
	if (p->format[0])
	{
		html_text(h, p->format);
		html_raw(h, ", ");
		html_number(h, "%.2f s", p->duration_s);
	}
	if (p->profile[0])
	{
		html_raw(h, ", speaker profile: ");
		html_text(h, p->profile);
	}
	html_raw(h, "</p>");
	if (p->error[0])
	{
		html_raw(h, "<p class=\"message\">");
		html_text(h, p->error);
		html_raw(h, "</p>");
	}
	else if (p->no_speech)
	{
		html_raw(h, "<p class=\"emotion\">no speech</p><p class=\"muted\">");
		html_text(h, p->speech_reason[0] ? p->speech_reason : "not a voice speaking");
		html_raw(h, ": there is no emotion to recognise (ser_speech).</p>");
	}
	else if (p->emotion[0])
	{
		for (k = 0; k < p->n_classes; k++)
		{
			labels[k] = p->classes[k];
			if (strcmp(p->classes[k], p->emotion) == 0)
				best = k;
		}
		html_raw(h, "<p class=\"emotion\">");
		html_text(h, p->emotion);
		if (best >= 0)
			html_number(h, " <span class=\"muted\">%.3f</span>", p->probabilities[best]);
		html_raw(h, "</p>");
		if (p->actual[0])
		{
			html_raw(h, "<p>true: ");
			html_text(h, p->actual);
			html_raw(h, strcmp(p->actual, p->emotion) == 0 ? " (right)</p>" : " (wrong)</p>");
		}
		if (p->n_classes > 0)
			chart_bars(h, "probability of each class", labels, p->probabilities, p->n_classes, BARS_FRACTION, best);
	}
	if (p->note[0])
	{
		html_raw(h, "<p class=\"muted\">");
		html_text(h, p->note);
		html_raw(h, "</p>");
	}
	html_raw(h, "</div>\n");
}

void
render_table(Html *h, PGresult *res)
{
	int			nf = PQnfields(res);
	int			nr = PQntuples(res);
	int			r,
				f;

	html_raw(h, "<div class=\"scroll\"><table><thead><tr>");
	for (f = 0; f < nf; f++)
	{
		html_raw(h, is_numeric_type(PQftype(res, f)) ? "<th class=\"num\">" : "<th>");
		html_text(h, PQfname(res, f));
		html_raw(h, "</th>");
	}
	html_raw(h, "</tr></thead><tbody>");
	for (r = 0; r < nr; r++)
	{
		html_raw(h, "<tr>");
		for (f = 0; f < nf; f++)
		{
			html_raw(h, is_numeric_type(PQftype(res, f)) ? "<td class=\"num\">" : "<td>");
			if (!PQgetisnull(res, r, f))
				html_text(h, PQgetvalue(res, r, f));
			html_raw(h, "</td>");
		}
		html_raw(h, "</tr>");
	}
	html_raw(h, "</tbody></table></div>\n");
}

void
render_bars(Html *h, PGresult *res, int label_col, int value_col, BarScale scale, const char *title)
{
	int			n = PQntuples(res);
	const char **labels;
	double	   *values;
	int			i;

	if (n == 0)
	{
		html_raw(h, "<p class=\"muted\">nothing to show</p>");
		return;
	}
	labels = calloc((size_t) n, sizeof(*labels));
	values = calloc((size_t) n, sizeof(*values));
	if (labels == NULL || values == NULL)
		h->failed = true;
	else
	{
		for (i = 0; i < n; i++)
		{
			labels[i] = PQgetisnull(res, i, label_col) ? "(none)" : PQgetvalue(res, i, label_col);
			values[i] = PQgetisnull(res, i, value_col) ? NAN : atof(PQgetvalue(res, i, value_col));
		}
		chart_bars(h, title, labels, values, n, scale, -1);
	}
	free(labels);
	free(values);
}

bool
render_confusion(Html *h, PGresult *res, int actual_col, int predicted_col, int count_col, const char *title)
{
	int			cells = PQntuples(res);
	int			n = (int) lround(sqrt((double) cells));
	const char **labels;
	double	   *counts;
	bool		square = n > 0 && n * n == cells;
	int			i;

	if (!square)
		return false;
	labels = calloc((size_t) n, sizeof(*labels));
	counts = calloc((size_t) cells, sizeof(*counts));
	if (labels == NULL || counts == NULL)
	{
		h->failed = true;
		square = false;
	}
	else
	{
		for (i = 0; i < n; i++)
			labels[i] = PQgetvalue(res, i * n, actual_col);
		for (i = 0; i < cells && square; i++)
		{
			/* Row-major, the same labels on both axes, or it is not a matrix. */
			square = strcmp(PQgetvalue(res, i, actual_col), labels[i / n]) == 0 &&
				strcmp(PQgetvalue(res, i, predicted_col), labels[i % n]) == 0;
			counts[i] = atof(PQgetvalue(res, i, count_col));
		}
		if (square)
			chart_heat_map(h, title, labels, counts, n);
	}
	free(labels);
	free(counts);
	return square;
}

void
render_sql(Html *h, const char *sql)
{
	html_raw(h, "<details class=\"sql\"><summary>SQL</summary><pre>");
	html_text(h, sql);
	html_raw(h, "</pre></details>\n");
}
