/*
 * render.h — pieces that the pages and the HTML report share: a query's
 * result as a table, as bars or as a confusion heat map; one recording's
 * prediction as a card; the SQL behind a figure.
 */
#ifndef SER_WEB_RENDER_H
#define SER_WEB_RENDER_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "charts.h"
#include "html.h"

#define MAX_CLASSES 32

/* One recording as the upload page and the report show it. */
typedef struct Prediction
{
	char		file_name[256];
	char		format[64];		/* "" when the recording could not be read */
	double		duration_s;
	char		emotion[64];	/* "" when there is no prediction */
	bool		no_speech;		/* decoded, but not a voice speaking (ser_speech) */
	char		speech_reason[96];	/* ser_speech's reason when no_speech */
	int			n_classes;
	char		classes[MAX_CLASSES][64];
	double		probabilities[MAX_CLASSES];
	char		profile[64];	/* the speaker profile used, "" for none */
	char		actual[64];		/* the true emotion where known (report) */
	char		error[1024];	/* the decoder's or server's message */
	char		note[1536];		/* e.g. where it was stored */
} Prediction;

void		render_prediction(Html *h, const Prediction *p);

/* Every row of res as an HTML table (numbers right-aligned). */
void		render_table(Html *h, PGresult *res);

/* Bars of res: label column, value column. */
void		render_bars(Html *h, PGresult *res, int label_col, int value_col, BarScale scale, const char *title);

/*
 * A heat map of res, whose rows are the n x n cells of a confusion matrix
 * ordered by true then predicted class (ser_confusion_matrix(),
 * ser_evaluation_confusion); false when the rows are not such a matrix.
 */
bool		render_confusion(Html *h, PGresult *res, int actual_col, int predicted_col, int count_col,
							 const char *title);

/* The query behind a figure, folded. */
void		render_sql(Html *h, const char *sql);

#endif
