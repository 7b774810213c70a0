/*
 * model.c — "/model": the shipped model and every model of ser_models:
 * classes, feature parameters, architecture, provenance, training
 * arguments, and each stored evaluation of it (ser_evaluations: the model
 * card's for the shipped model, or a stored ser_evaluate result) as
 * figures, per-class recall bars and a confusion heat map.
 */
#include <stdio.h>
#include <string.h>

#include "pages.h"
#include "db.h"
#include "render.h"

static const char privileges_sql[] =
	"SELECT has_table_privilege('ser_models', 'SELECT'), has_table_privilege('ser_evaluations', 'SELECT')";
static const char models_sql[] =
	"SELECT 'default' AS name UNION ALL (SELECT name FROM ser_models ORDER BY created_at, name)";
static const char info_sql[] =
	"SELECT array_to_string(classes, ', ') AS classes, architecture, provenance, parameters,\n"
	"       size_bytes, format_version, feature_params\n"
	"FROM ser_model_info($1)";
static const char training_sql[] =
	"SELECT created_at, jsonb_pretty(training) AS training FROM ser_models WHERE name = $1";
static const char summary_sql[] =
	"SELECT evaluation, protocol, folds, recordings, round(uar::numeric, 3) AS uar,\n"
	"       round(accuracy::numeric, 3) AS accuracy, round(macro_f1::numeric, 3) AS macro_f1,\n"
	"       round(uar_mean::numeric, 3) AS uar_mean, round(uar_std::numeric, 3) AS uar_std\n"
	"FROM ser_evaluation_summary WHERE model = $1 ORDER BY evaluation, protocol";
static const char recall_sql[] =
	"SELECT emotion, recall FROM ser_evaluation_recall WHERE evaluation = $1 AND protocol = $2";
static const char confusion_sql[] =
	"SELECT actual, predicted, recordings FROM ser_evaluation_confusion WHERE evaluation = $1 AND protocol = $2";

static void
pre_block(Html *h, const char *title, const char *text)
{
	html_raw(h, "<h3>");
	html_text(h, title);
	html_raw(h, "</h3><pre>");
	html_text(h, text);
	html_raw(h, "</pre>");
}

static void
evaluations(PGconn *conn, Html *h, const char *model)
{
	DbError		err;
	PGresult   *summary = db_query(conn, summary_sql, 1, &model, &err);
	int			i;

	if (summary == NULL || PQntuples(summary) == 0)
	{
		html_raw(h, "<p class=\"muted\">No stored evaluation of this model. Store one with "
				 "<code>INSERT INTO ser_evaluations (evaluation, model, protocol, fold, metric, label, "
				 "predicted, value) SELECT 'name', 'model', e.* FROM ser_evaluate(...) e</code>.</p>");
		PQclear(summary);
		return;
	}
	html_raw(h, "<h3>Evaluation</h3>");
	render_table(h, summary);
	render_sql(h, summary_sql);
	html_raw(h, "<div class=\"grid\">");
	for (i = 0; i < PQntuples(summary); i++)
	{
		const char *params[2] = {PQgetvalue(summary, i, 0), PQgetvalue(summary, i, 1)};
		PGresult   *recall = db_query(conn, recall_sql, 2, params, &err);
		PGresult   *confusion = recall ? db_query(conn, confusion_sql, 2, params, &err) : NULL;

		html_raw(h, "<div class=\"card evaluation\"><h3>");
		html_text(h, params[0]);
		html_raw(h, "</h3><p class=\"muted\">");
		html_text(h, params[1]);
		html_raw(h, "</p>");
		if (confusion == NULL)
		{
			html_raw(h, "<p class=\"error\">");
			html_text(h, err.message);
			html_raw(h, "</p>");
		}
		else
		{
			html_raw(h, "<h3>Recall per class</h3>");
			render_bars(h, recall, 0, 1, BARS_FRACTION, "recall per class");
			html_raw(h, "<h3>Confusion matrix</h3>");
			if (!render_confusion(h, confusion, 0, 1, 2, "confusion matrix: rows true class, columns predicted"))
				render_table(h, confusion);
		}
		html_raw(h, "</div>");
		PQclear(recall);
		PQclear(confusion);
	}
	html_raw(h, "</div>");
	render_sql(h, recall_sql);
	render_sql(h, confusion_sql);
	PQclear(summary);
}

void
page_model(PGconn *conn, Page *p)
{
	Html	   *h = &p->body;
	DbError		err;
	PGresult   *priv = db_query(conn, privileges_sql, 0, NULL, &err);
	PGresult   *models;
	bool		reads_models,
				reads_evaluations;
	int			i;

	if (priv == NULL)
	{
		page_error(p, 500, "Model", err.message, err.hint);
		return;
	}
	reads_models = PQgetvalue(priv, 0, 0)[0] == 't';
	reads_evaluations = PQgetvalue(priv, 0, 1)[0] == 't';
	PQclear(priv);
	models = db_query(conn, reads_models ? models_sql : "SELECT 'default' AS name", 0, NULL, &err);
	if (models == NULL)
	{
		page_error(p, 500, "Model", err.message, err.hint);
		return;
	}
	page_begin(h, "Models", "/model");
	if (!reads_models)
		html_raw(h, "<p class=\"card error\">This role cannot read ser_models: only the shipped model is shown.</p>");
	for (i = 0; i < PQntuples(models); i++)
	{
		const char *name = PQgetvalue(models, i, 0);
		PGresult   *info = db_query(conn, info_sql, 1, &name, &err);

		html_raw(h, "<section class=\"card model\" data-model=\"");
		html_text(h, name);
		html_raw(h, "\"><h2>");
		html_text(h, name);
		html_raw(h, strcmp(name, "default") == 0 ? " <span class=\"muted\">(shipped with ser)</span></h2>" : "</h2>");
		if (info == NULL)
		{
			html_raw(h, "<p class=\"error\">");
			html_text(h, err.message);
			html_raw(h, "</p></section>");
			continue;
		}
		html_raw(h, "<p><b>Classes:</b> ");
		html_text(h, PQgetvalue(info, 0, 0));
		html_raw(h, "</p><p><b>Parameters:</b> ");
		html_text(h, PQgetvalue(info, 0, 3));
		html_raw(h, ", <b>size:</b> ");
		html_text(h, PQgetvalue(info, 0, 4));
		html_raw(h, " bytes, <b>format version:</b> ");
		html_text(h, PQgetvalue(info, 0, 5));
		html_raw(h, "</p>");
		pre_block(h, "Architecture", PQgetvalue(info, 0, 1));
		pre_block(h, "Provenance", PQgetvalue(info, 0, 2));
		html_raw(h, "<details><summary>Feature parameters</summary><pre>");
		html_text(h, PQgetvalue(info, 0, 6));
		html_raw(h, "</pre></details>");
		PQclear(info);
		if (strcmp(name, "default") != 0)
		{
			PGresult   *training = db_query(conn, training_sql, 1, &name, &err);

			if (training && PQntuples(training) == 1)
			{
				html_raw(h, "<details><summary>Training (created ");
				html_text(h, PQgetvalue(training, 0, 0));
				html_raw(h, ")</summary><pre>");
				html_text(h, PQgetvalue(training, 0, 1));
				html_raw(h, "</pre></details>");
			}
			PQclear(training);
		}
		if (reads_evaluations)
			evaluations(conn, h, name);
		else
			html_raw(h, "<p class=\"muted\">This role cannot read ser_evaluations.</p>");
		html_raw(h, "</section>\n");
	}
	render_sql(h, models_sql);
	render_sql(h, info_sql);
	PQclear(models);
	page_end(h);
}
