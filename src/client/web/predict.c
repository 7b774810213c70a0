/*
 * predict.c — "/predict": the upload form and, for each uploaded file, its
 * format, duration, predicted emotion and a bar per class, or "no speech",
 * or the decoder's message (a truncated file, an M4A) as the server wrote
 * it.  Each recording is one row of SQL; nothing about the audio is
 * decided here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pages.h"
#include "db.h"
#include "render.h"

/* Format and duration: what the decoder makes of the bytes. */
static const char info_sql[] =
	"SELECT i.format, i.duration_s FROM ser_audio_info($1) i";
/* Speech or not, as the prediction functions judge it (the speech gate). */
static const char speech_sql[] =
	"SELECT s.speech, s.reason FROM ser_speech($1) s";
/* The class probabilities, in the model's class order, and the same as jsonb. */
static const char proba_sql[] =
	"SELECT r.emotion, r.probability, jsonb_object_agg(r.emotion, r.probability) OVER ()::text\n"
	"FROM ser_probability_rows($1, $2) r ORDER BY r.class_position";
/* The same with the profile of a RAVDESS actor's recordings (model/README.md: ten or more). */
static const char proba_profile_sql[] =
	"SELECT r.emotion, r.probability, jsonb_object_agg(r.emotion, r.probability) OVER ()::text\n"
	"FROM ser_probability_rows($1, $2,\n"
	"       (SELECT ser_speaker_profile(m.audio) FROM ravdess_metadata m\n"
	"        WHERE m.actor = $3::int AND NOT m.identical_content)) r\n"
	"ORDER BY r.class_position";
static const char models_sql[] =
	"SELECT name FROM ser_models ORDER BY name";
static const char profiles_sql[] =
	"SELECT actor, gender, count(*) AS recordings FROM ravdess_metadata\n"
	"WHERE audio IS NOT NULL AND NOT identical_content\n"
	"GROUP BY actor, gender HAVING count(*) >= 10 ORDER BY actor";
static const char privileges_sql[] =
	"SELECT has_table_privilege('ser_models', 'SELECT'), has_table_privilege('ravdess_metadata', 'SELECT')";

void
render_upload_form(PGconn *conn, Html *h)
{
	DbError		err;
	PGresult   *priv = db_query(conn, privileges_sql, 0, NULL, &err);
	PGresult   *models = NULL;
	PGresult   *profiles = NULL;
	int			i;

	if (priv && PQgetvalue(priv, 0, 0)[0] == 't')
		models = db_query(conn, models_sql, 0, NULL, &err);
	if (priv && PQgetvalue(priv, 0, 1)[0] == 't')
		profiles = db_query(conn, profiles_sql, 0, NULL, &err);

	html_raw(h, "<form id=\"upload\" method=\"post\" action=\"/predict\" enctype=\"multipart/form-data\">"
			 "<label for=\"audio\">Recordings (WAV, FLAC, Ogg/Vorbis, Opus, MP3, AIFF, AU)</label>"
			 "<input id=\"audio\" name=\"audio\" type=\"file\" multiple required "
			 "accept=\".wav,.flac,.ogg,.opus,.mp3,.aif,.aiff,.au,audio/*\">"
			 "<label for=\"model\">Model</label><select id=\"model\" name=\"model\">"
			 "<option value=\"default\">default (shipped with ser)</option>");
	for (i = 0; models && i < PQntuples(models); i++)
	{
		html_raw(h, "<option value=\"");
		html_text(h, PQgetvalue(models, i, 0));
		html_raw(h, "\">");
		html_text(h, PQgetvalue(models, i, 0));
		html_raw(h, "</option>");
	}
	html_raw(h, "</select>");
	if (profiles && PQntuples(profiles) > 0)
	{
		html_raw(h, "<label for=\"profile\">Speaker profile</label><select id=\"profile\" name=\"profile\">"
				 "<option value=\"\">none: each recording alone</option>");
		for (i = 0; i < PQntuples(profiles); i++)
		{
			html_raw(h, "<option value=\"");
			html_text(h, PQgetvalue(profiles, i, 0));
			html_raw(h, "\">RAVDESS actor ");
			html_text(h, PQgetvalue(profiles, i, 0));
			html_raw(h, " (");
			html_text(h, PQgetvalue(profiles, i, 1));
			html_raw(h, ", ");
			html_text(h, PQgetvalue(profiles, i, 2));
			html_raw(h, " recordings)</option>");
		}
		html_raw(h, "</select><p class=\"muted\">A speaker-normalised model (the shipped one is) is much more "
				 "accurate on a speaker whose profile it is given.</p>");
	}
	html_raw(h, "<label for=\"store\">Store the recordings in table (optional)</label>"
			 "<input id=\"store\" name=\"store\" type=\"text\" maxlength=\"63\" placeholder=\"my_recordings\">"
			 "<button type=\"submit\">Predict</button></form>\n");
	render_sql(h, proba_sql);
	PQclear(priv);
	PQclear(models);
	PQclear(profiles);
}

void
page_predict_form(PGconn *conn, Page *p)
{
	page_begin(&p->body, "Upload & predict", "/predict");
	html_raw(&p->body, "<div class=\"card\">");
	render_upload_form(conn, &p->body);
	html_raw(&p->body, "</div>");
	page_end(&p->body);
}

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* The server's message and, where it gives one, its detail. */
static void
copy_error(Prediction *pr, const DbError *err)
{
	snprintf(pr->error, sizeof(pr->error), "%.500s%s%.500s", err->message, err->detail[0] ? ". " : "", err->detail);
}

/*
 * Stores the recording and its prediction in table (created when missing)
 * as file_name, audio, predicted, probabilities.  The name is quoted by
 * libpq as one identifier; the values are parameters.
 */
static void
store_recording(PGconn *conn, const char *table, const UploadFile *f, const Prediction *pr,
				const char *probabilities_json, char *note, size_t notelen)
{
	char	   *ident = PQescapeIdentifier(conn, table, strlen(table));
	char	   *sql;
	size_t		sqllen;
	DbError		err;
	PGresult   *res;
	const char *values[3];

	if (ident == NULL)
	{
		snprintf(note, notelen, "not stored: %s", PQerrorMessage(conn));
		return;
	}
	sqllen = strlen(ident) * 2 + 512;
	sql = malloc(sqllen);
	if (sql == NULL)
	{
		PQfreemem(ident);
		snprintf(note, notelen, "not stored: out of memory");
		return;
	}
	snprintf(sql, sqllen,
			 "CREATE TABLE IF NOT EXISTS %s (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
			 "file_name text NOT NULL, audio bytea NOT NULL, predicted text, probabilities jsonb, "
			 "stored_at timestamptz NOT NULL DEFAULT now())", ident);
	res = db_query(conn, sql, 0, NULL, &err);
	if (res)
	{
		PQclear(res);
		snprintf(sql, sqllen, "INSERT INTO %s (file_name, audio, predicted, probabilities) "
				 "VALUES ($2, $1, $3, $4::jsonb)", ident);
		values[0] = f->name;
		values[1] = pr->emotion[0] ? pr->emotion : NULL;
		values[2] = probabilities_json;
		res = db_query_audio(conn, sql, f->data, f->len, 3, values, &err);
	}
	if (res)
		snprintf(note, notelen, "stored in table %s", table);
	else
		snprintf(note, notelen, "not stored in table %s: %s", table, err.message);
	PQclear(res);
	free(sql);
	PQfreemem(ident);
}

static void
predict_one(PGconn *conn, const Upload *u, const UploadFile *f, Prediction *pr)
{
	DbError		err;
	PGresult   *res;
	const char *model = u->model[0] ? u->model : "default";
	const char *values[2] = {model, u->profile};
	char		json[4096] = "";
	int			k;

	memset(pr, 0, sizeof(*pr));
	copy(pr->file_name, sizeof(pr->file_name), f->name);
	if (f->len == 0)
	{
		copy(pr->error, sizeof(pr->error), "empty file: there is no audio in it");
		return;
	}
	res = db_query_audio(conn, info_sql, f->data, f->len, 0, NULL, &err);
	if (res == NULL)
	{
		copy_error(pr, &err);
		return;
	}
	copy(pr->format, sizeof(pr->format), PQgetvalue(res, 0, 0));
	pr->duration_s = atof(PQgetvalue(res, 0, 1));
	PQclear(res);

	res = db_query_audio(conn, speech_sql, f->data, f->len, 0, NULL, &err);
	if (res == NULL)
	{
		copy_error(pr, &err);
		return;
	}
	pr->no_speech = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "f") == 0;
	if (pr->no_speech)
		copy(pr->speech_reason, sizeof(pr->speech_reason), PQgetvalue(res, 0, 1));
	PQclear(res);

	if (!pr->no_speech)
	{
		if (u->profile[0])
			res = db_query_audio(conn, proba_profile_sql, f->data, f->len, 2, values, &err);
		else
			res = db_query_audio(conn, proba_sql, f->data, f->len, 1, values, &err);
		if (res == NULL)
		{
			copy_error(pr, &err);
			return;
		}
		pr->n_classes = PQntuples(res) < MAX_CLASSES ? PQntuples(res) : MAX_CLASSES;
		for (k = 0; k < pr->n_classes; k++)
		{
			copy(pr->classes[k], sizeof(pr->classes[k]), PQgetvalue(res, k, 0));
			pr->probabilities[k] = atof(PQgetvalue(res, k, 1));
		}
		if (pr->n_classes > 0)
		{
			/* The most probable class, the first one on a tie (as ser_predict). */
			int			best = 0;

			for (k = 1; k < pr->n_classes; k++)
				if (pr->probabilities[k] > pr->probabilities[best])
					best = k;
			copy(pr->emotion, sizeof(pr->emotion), pr->classes[best]);
			copy(json, sizeof(json), PQgetvalue(res, 0, 2));
		}
		PQclear(res);
		if (u->profile[0])
			snprintf(pr->profile, sizeof(pr->profile), "RAVDESS actor %s", u->profile);
	}
	if (u->store[0])
	{
		store_recording(conn, u->store, f, pr, json[0] ? json : NULL, pr->note, sizeof(pr->note));
	}
}

void
page_predict(PGconn *conn, Page *p, const Upload *u)
{
	Html	   *h = &p->body;
	Prediction *pr;
	int			i;

	if (u->n_files == 0)
	{
		page_error(p, 400, "No recording",
				   "The upload holds no file in the field \"audio\".",
				   "Choose one or more recordings in the form and send it again.");
		return;
	}
	pr = malloc(sizeof(*pr));
	if (pr == NULL)
	{
		page_error(p, 503, "Out of memory", "ser-web could not allocate memory for this request.",
				   "Try again with fewer or smaller files.");
		return;
	}
	page_begin(h, "Upload & predict", "/predict");
	if (u->dropped_files > 0)
		html_rawf(h, "<p class=\"card error\">Only the first %d files were read; %d more were left out.</p>",
				  MAX_UPLOAD_FILES, u->dropped_files);
	html_raw(h, "<div class=\"grid\" id=\"results\">");
	for (i = 0; i < u->n_files; i++)
	{
		predict_one(conn, u, &u->files[i], pr);
		render_prediction(h, pr);
	}
	html_raw(h, "</div>");
	render_sql(h, info_sql);
	render_sql(h, speech_sql);
	render_sql(h, u->profile[0] ? proba_profile_sql : proba_sql);
	html_raw(h, "<h2>Another recording</h2><div class=\"card\">");
	render_upload_form(conn, h);
	html_raw(h, "</div>");
	page_end(h);
	free(pr);
}
