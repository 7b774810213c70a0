/*
 * pages.h — the pages of ser-web.  Each is a view of SQL run on the
 * request's own connection, as the connected role; each fills a Page
 * (status and HTML), an error page included, and never fails otherwise.
 */
#ifndef SER_WEB_PAGES_H
#define SER_WEB_PAGES_H

#include <libpq-fe.h>
#include <stddef.h>

#include "page.h"

/* An uploaded file (multipart field "audio"). */
typedef struct UploadFile
{
	char		name[256];
	char	   *data;
	size_t		len;
	size_t		cap;
} UploadFile;

#define MAX_UPLOAD_FILES 32

/* The upload form's fields. */
typedef struct Upload
{
	UploadFile	files[MAX_UPLOAD_FILES];
	int			n_files;
	int			dropped_files;	/* files beyond MAX_UPLOAD_FILES */
	char		model[128];		/* "" = the shipped model */
	char		profile[16];	/* a RAVDESS actor number, "" = none */
	char		store[128];		/* a table to store the recordings in, "" = none */
} Upload;

/* "/": what ser is, versions, counts, the upload form. */
void		page_home(PGconn *conn, Page *p);

/* "/predict": the form (GET) or the results of an upload (POST). */
void		page_predict_form(PGconn *conn, Page *p);
void		page_predict(PGconn *conn, Page *p, const Upload *upload);
/* The upload form, on the home and upload pages. */
void		render_upload_form(PGconn *conn, Html *h);

/* "/dataset": ravdess_metadata, or table (with its audio and label columns). */
void		page_dataset(PGconn *conn, Page *p, const char *table, const char *audio_column,
						 const char *label_column);

/* "/model": every model, its card and its stored evaluations. */
void		page_model(PGconn *conn, Page *p);

/*
 * The HTML report of src/tools/run.sh: the per-file results of
 * results_table (columns file, format, seconds, predicted, actual, error,
 * profile, probabilities jsonb), a per-class summary and the confusion
 * matrix.  A page of its own (status 200) or an error page.
 */
void		page_report(PGconn *conn, Page *p, const char *results_table);

#endif
