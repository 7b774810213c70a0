/*
 * training_set.c — the recordings ser_train and ser_evaluate learn from:
 * the user's query (audio bytea, label text, speaker text) run through a
 * cursor, every recording decoded at the feature rate into a corpus, the
 * labels mapped to classes and the speakers to groups.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/plancache.h"

#include "pg/model_pg.h"
#include "pg/ser_pg.h"

#define MAX_LABEL_BYTES 200		/* class names; well under the model's own limits */

/*
 * The training query must be one query that only reads: it runs read-only
 * (a training run must not change data behind the user's back), and SPI's
 * own refusals ("cannot open multi-query plan as cursor", "SELECT is not
 * allowed in a non-volatile function") do not say what is wrong.
 */
static void
check_training_plan(SPIPlanPtr plan)
{
	List	   *sources = SPI_plan_get_plan_sources(plan);
	CachedPlanSource *source;
	ListCell   *lc;

	if (list_length(sources) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training query is empty"),
				 errhint("Pass a query returning audio bytea, label text and speaker text.")));
	if (list_length(sources) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training query must be a single query, not %d", list_length(sources)),
				 errhint("Remove the semicolons between statements; run other statements before ser_train().")));
	source = linitial(sources);
	foreach(lc, source->query_list)
	{
		Query	   *q = lfirst_node(Query, lc);

		if (q->commandType != CMD_SELECT || q->hasModifyingCTE || q->rowMarks != NIL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("training query must only read data"),
					 errdetail("The query is a %s%s.", GetCommandTagName(source->commandTag),
							   q->hasModifyingCTE ? " with a data-modifying WITH clause" :
							   q->rowMarks != NIL ? " that locks rows" : ""),
					 errhint("Pass a SELECT (or VALUES) returning audio bytea, label text and speaker text.")));
	}
	if (source->resultDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training query returns no rows"),
				 errhint("Pass a SELECT returning audio bytea, label text and speaker text.")));
}

static int
find_or_add(char ***items, int *n, int *cap, const char *value)
{
	for (int i = 0; i < *n; i++)
		if (strcmp((*items)[i], value) == 0)
			return i;
	if (*n == *cap)
	{
		*cap = *cap ? *cap * 2 : 32;
		*items = *items ? repalloc(*items, sizeof(char *) * *cap) : palloc(sizeof(char *) * *cap);
	}
	(*items)[*n] = pstrdup(value);
	return (*n)++;
}

static char *
join_names(char **names, int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", names[i]);
	return buf.data;
}

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Run the user's query (audio bytea, label text, speaker text), decode every
 * recording at the feature rate and fill the corpus.  Classes: the given
 * array, else the eight emotions when every label is one of them, else the
 * distinct labels in sorted order.
 */
static void
training_row_context(void *arg)
{
	errcontext("training row %d", *(int *) arg + 1);
}

void
ser_read_training_set(TrainingSet *ts, const char *query, ArrayType *classes_arg, const SerWaveAugment *augment)
{
	SerFeatureParams params;
	Portal		portal;
	SPIPlanPtr	plan;
	char	  **labels = NULL;
	int		   *label_of_row = NULL;
	int		   *group_of_row = NULL;
	int			n_labels = 0,
				cap_labels = 0,
				cap_speakers = 0,
				rows = 0,
				row_cap = 0;
	int		   *class_map;
	MemoryContext upper = CurrentMemoryContext;	/* outlives SPI_finish */
	MemoryContext row_cxt;
	ErrorContextCallback row_context;

	memset(ts, 0, sizeof(*ts));
	ser_feature_params_default(&params);
	ser_corpus_init(&ts->corpus, &params, augment);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training query could not be prepared: %s", SPI_result_code_string(SPI_result))));
	check_training_plan(plan);
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	row_cxt = AllocSetContextCreate(CurrentMemoryContext, "ser training row", ALLOCSET_DEFAULT_SIZES);
	row_context.callback = training_row_context;
	row_context.arg = &rows;
	row_context.previous = error_context_stack;
	error_context_stack = &row_context;
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 64);
		if (SPI_processed == 0)
			break;
		if (SPI_tuptable->tupdesc->natts != 3 ||
			SPI_gettypeid(SPI_tuptable->tupdesc, 1) != BYTEAOID ||
			SPI_gettypeid(SPI_tuptable->tupdesc, 2) != TEXTOID ||
			SPI_gettypeid(SPI_tuptable->tupdesc, 3) != TEXTOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("training query must return three columns: audio bytea, label text, speaker text"),
					 errhint("For example: SELECT audio, emotion_name, actor::text FROM ravdess_metadata.")));
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		null_audio,
						null_label,
						null_speaker;
			Datum		audio = SPI_getbinval(tup, desc, 1, &null_audio);
			Datum		label = SPI_getbinval(tup, desc, 2, &null_label);
			Datum		speaker = SPI_getbinval(tup, desc, 3, &null_speaker);
			MemoryContext spi_cxt;
			SerPcm		pcm;
			SerError	err;

			CHECK_FOR_INTERRUPTS();
			if (null_audio || null_label || null_speaker)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("training row %d has a NULL %s", rows + 1,
								null_audio ? "audio" : null_label ? "label" : "speaker")));

			/* Decode in a per-row context; keep only what the corpus copies. */
			spi_cxt = MemoryContextSwitchTo(row_cxt);
			ser_decode_bytea(DatumGetByteaPP(audio), params.sample_rate, &pcm, NULL);
			MemoryContextSwitchTo(upper);
			if (ser_corpus_add(&ts->corpus, pcm.samples, pcm.n_samples, 0, 0, &err) != SER_OK)
				ser_report_error(&err);
			if (rows == row_cap)
			{
				row_cap = row_cap ? row_cap * 2 : 256;
				label_of_row = label_of_row ? repalloc(label_of_row, sizeof(int) * row_cap)
					: palloc(sizeof(int) * row_cap);
				group_of_row = group_of_row ? repalloc(group_of_row, sizeof(int) * row_cap)
					: palloc(sizeof(int) * row_cap);
			}
			{
				char	   *label_text = TextDatumGetCString(label);

				if (strlen(label_text) > MAX_LABEL_BYTES || label_text[0] == '\0' || strchr(label_text, '\n'))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("training row %d has an invalid label", rows + 1),
							 errdetail("Labels must be non-empty, at most %d bytes and without line breaks.",
									   MAX_LABEL_BYTES)));
				label_of_row[rows] = find_or_add(&labels, &n_labels, &cap_labels, label_text);
			}
			group_of_row[rows] = find_or_add(&ts->speakers, &ts->n_speakers, &cap_speakers,
											 TextDatumGetCString(speaker));
			MemoryContextSwitchTo(spi_cxt);
			MemoryContextReset(row_cxt);
			rows++;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	error_context_stack = row_context.previous;
	SPI_cursor_close(portal);
	SPI_finish();

	if (rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("training query returned no rows")));

	/* The class list. */
	if (classes_arg != NULL)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(classes_arg, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		if (n < 2)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("classes must name at least two classes")));
		ts->class_names = palloc(sizeof(char *) * n);
		for (int i = 0; i < n; i++)
		{
			if (nulls[i])
				ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("classes must not contain NULL")));
			ts->class_names[i] = TextDatumGetCString(elems[i]);
			for (int j = 0; j < i; j++)
				if (strcmp(ts->class_names[i], ts->class_names[j]) == 0)
					ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
									errmsg("class \"%s\" is listed twice", ser_name_for_message(ts->class_names[i]))));
		}
		ts->n_classes = n;
	}
	else
	{
		LoadedModel *shipped = ser_default_model_if_installed();
		bool		all_shipped = shipped != NULL;

		/* Labels that are all classes of the shipped model keep its order, so the models align. */
		for (int i = 0; i < n_labels && all_shipped; i++)
		{
			bool		found = false;

			for (int k = 0; k < shipped->n_classes; k++)
				found |= strcmp(labels[i], shipped->class_names[k]) == 0;
			all_shipped = found;
		}
		if (all_shipped)
		{
			ts->n_classes = shipped->n_classes;
			ts->class_names = palloc(sizeof(char *) * shipped->n_classes);
			for (int k = 0; k < shipped->n_classes; k++)
				ts->class_names[k] = pstrdup(shipped->class_names[k]);
		}
		else
		{
			ts->n_classes = n_labels;
			ts->class_names = palloc(sizeof(char *) * n_labels);
			memcpy(ts->class_names, labels, sizeof(char *) * n_labels);
			qsort(ts->class_names, n_labels, sizeof(char *), cmp_cstring);
		}
		if (ts->n_classes < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("training data has only one label, \"%s\"", labels[0]),
					 errhint("A classifier needs recordings of at least two classes.")));
	}
	if (ts->n_classes > SER_NET_MAX_CLASSES)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("too many classes (%d); at most %d are supported", ts->n_classes, SER_NET_MAX_CLASSES)));

	class_map = palloc(sizeof(int) * n_labels);
	for (int i = 0; i < n_labels; i++)
	{
		class_map[i] = -1;
		for (int k = 0; k < ts->n_classes; k++)
			if (strcmp(labels[i], ts->class_names[k]) == 0)
				class_map[i] = k;
		if (class_map[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown label \"%s\"", labels[i]),
					 errdetail("The classes are: %s.", join_names(ts->class_names, ts->n_classes)),
					 errhint("Pass classes => ARRAY[...] listing every label, or filter the query.")));
	}
	for (int r = 0; r < rows; r++)
	{
		ts->corpus.labels[r] = class_map[label_of_row[r]];
		ts->corpus.groups[r] = group_of_row[r];
	}
}
