/*
 * model_fmgr.c — emotion classification in SQL: ser_emotions, ser_predict,
 * ser_predict_proba, ser_classify, ser_model_info, ser_train, ser_evaluate.
 *
 * Models: 'default' is the model shipped with the extension (a file in the
 * installation's share/extension directory), loaded once per backend and
 * kept.  Any other name is a row of ser_models, loaded once per statement
 * (cached in the call site's fn_extra), so a model replaced by ser_train is
 * picked up by the next statement.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "mb/pg_wchar.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "classifier/classifier.h"
#include "features/profile.h"
#include "dataset/ravdess.h"
#include "model/metrics.h"
#include "model/tensor_blob.h"
#include "pg/ser_pg.h"

PG_FUNCTION_INFO_V1(ser_emotions);
PG_FUNCTION_INFO_V1(ser_predict);
PG_FUNCTION_INFO_V1(ser_predict_proba);
PG_FUNCTION_INFO_V1(ser_classify);
PG_FUNCTION_INFO_V1(ser_model_info);
PG_FUNCTION_INFO_V1(ser_train_model);
PG_FUNCTION_INFO_V1(ser_evaluate);

#define DEFAULT_MODEL_NAME "default"
#define DEFAULT_MODEL_FILE "ser_default.sermodel"
#define N_EMOTIONS 8
#define MAX_LABEL_BYTES 200		/* class names; well under the model's own limits */

typedef struct LoadedModel
{
	MemoryContext cxt;			/* holds everything below */
	char	   *name;
	SerModel   *model;
	SerFeatureParams params;
	int			n_classes;
	char	  **class_names;
	size_t		blob_size;
	/* For models of ser_models: the statement the cache was filled in. */
	TransactionId xid;
	CommandId	cid;
} LoadedModel;

/* The shipped model, once per backend. */
static LoadedModel *default_model = NULL;

/* ---------------------------------------------------------------- models */

/* Parse a blob into a new memory context under parent; errors are raised after cleanup. */
static LoadedModel *
load_model_blob(const void *blob, size_t len, const char *name, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "ser model", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	LoadedModel *lm = palloc0(sizeof(LoadedModel));
	SerError	err;
	SerStatus	st;

	lm->cxt = cxt;
	lm->name = pstrdup(name);
	lm->blob_size = len;
	st = ser_model_load(blob, len, &lm->model, &err);
	if (st == SER_OK)
		st = ser_classifier_model_params(lm->model, &lm->params, &err);
	MemoryContextSwitchTo(old);
	if (st != SER_OK)
	{
		char		message[SER_ERROR_TEXT + 64];

		MemoryContextDelete(cxt);
		snprintf(message, sizeof(message), "model \"%s\" cannot be loaded: %s", name, err.message);
		memcpy(err.message, message, SER_ERROR_TEXT - 1);
		err.message[SER_ERROR_TEXT - 1] = '\0';
		ser_report_error(&err);
	}
	lm->n_classes = ser_model_class_count(lm->model);
	lm->class_names = MemoryContextAlloc(cxt, sizeof(char *) * lm->n_classes);
	for (int k = 0; k < lm->n_classes; k++)
	{
		char		buf[256];

		ser_model_class_name(lm->model, k, buf, sizeof(buf));
		/* A crafted model must not smuggle invalid text into query results. */
		if (!pg_verifymbstr(buf, strlen(buf), true))
		{
			MemoryContextDelete(cxt);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("model \"%s\" cannot be loaded: class %d is not valid text", name, k + 1)));
		}
		lm->class_names[k] = MemoryContextStrdup(cxt, buf);
	}
	return lm;
}

static char *
default_model_path(void)
{
	char		sharepath[MAXPGPATH];

	get_share_path(my_exec_path, sharepath);
	return psprintf("%s/extension/%s", sharepath, DEFAULT_MODEL_FILE);
}

static LoadedModel *
get_default_model(void)
{
	char	   *path;
	FILE	   *f;
	long		size;
	char	   *blob;

	if (default_model != NULL)
		return default_model;

	path = default_model_path();
	f = AllocateFile(path, PG_BINARY_R);
	if (f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open the default model \"%s\": %m", path),
				 errhint("Reinstall the extension (make install), or name a model trained with ser_train().")));
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not read \"%s\": %m", path)));
	if ((Size) size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("default model file \"%s\" is too large", path)));
	blob = palloc(size > 0 ? size : 1);
	if (fread(blob, 1, size, f) != (size_t) size)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not read \"%s\": %m", path)));
	FreeFile(f);
	default_model = load_model_blob(blob, (size_t) size, DEFAULT_MODEL_NAME, TopMemoryContext);
	pfree(blob);
	return default_model;
}

/* The extension's schema: the one the calling function lives in. */
static char *
extension_schema(FunctionCallInfo fcinfo)
{
	return get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
}

/* A row of ser_models; NULL if there is none. */
static bytea *
fetch_model_weights(FunctionCallInfo fcinfo, const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bytea	   *result = NULL;
	char	   *sql;
	int			rc;

	sql = psprintf("SELECT weights FROM %s.ser_models WHERE name OPERATOR(pg_catalog.=) $1",
				   quote_identifier(extension_schema(fcinfo)));
	args[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			result = (bytea *) SPI_datumTransfer(PointerGetDatum(PG_DETOAST_DATUM(d)), false, -1);
	}
	SPI_finish();
	return result;
}

/*
 * The model a call names: 'default' from the backend cache, others from
 * ser_models, cached for the statement in fn_extra.
 */
static LoadedModel *
get_model(FunctionCallInfo fcinfo, text *name_text)
{
	char	   *name = text_to_cstring(name_text);
	LoadedModel *lm = (LoadedModel *) fcinfo->flinfo->fn_extra;
	bytea	   *weights;

	if (strcmp(name, DEFAULT_MODEL_NAME) == 0)
		return get_default_model();
	/*
	 * Reuse within one statement only: PL/pgSQL keeps a call site's fn_extra
	 * for a whole transaction, and a later statement may follow a ser_train
	 * that replaced the model.
	 */
	if (lm != NULL && strcmp(lm->name, name) == 0 &&
		lm->xid == GetTopTransactionIdIfAny() && lm->cid == GetCurrentCommandId(false))
		return lm;
	if (lm != NULL)
	{
		MemoryContextDelete(lm->cxt);
		fcinfo->flinfo->fn_extra = NULL;
	}
	weights = fetch_model_weights(fcinfo, name);
	if (weights == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name),
				 errhint("Models are rows of ser_models, made by ser_train(); \"%s\" is the model shipped with ser.",
						 DEFAULT_MODEL_NAME)));
	lm = load_model_blob(VARDATA_ANY(weights), VARSIZE_ANY_EXHDR(weights), name, fcinfo->flinfo->fn_mcxt);
	lm->xid = GetTopTransactionIdIfAny();
	lm->cid = GetCurrentCommandId(false);
	fcinfo->flinfo->fn_extra = lm;
	return lm;
}

/*
 * Decode and classify one recording: probabilities in the model's class
 * order.  profile (a real[], ser_speaker_profile) may be NULL.
 */
static float *
classify(LoadedModel *lm, bytea *audio, ArrayType *profile)
{
	SerPcm		pcm;
	SerError	err;
	float	   *probs = palloc(sizeof(float) * lm->n_classes);
	float	   *profile_values = NULL;
	int			profile_length = 0;

	if (profile != NULL)
	{
		if (!ser_model_speaker_normalised(lm->model))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model \"%s\" was trained without speaker normalisation", lm->name),
					 errdetail("Only a model trained with speaker_normalisation => true takes a speaker profile."),
					 errhint("Call it without speaker_profile, or train a model with speaker normalisation.")));
		profile_values = ser_float_array_values(profile, "speaker_profile", &profile_length);
		if (ser_profile_check(profile_values, (size_t) profile_length, ser_model_config(lm->model)->n_frame_features,
							  ser_model_config(lm->model)->n_utt_features, &err) != SER_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s", err.message),
					 err.detail[0] ? errdetail("%s", err.detail) : 0,
					 errhint("Pass the result of ser_speaker_profile(audio) over the speaker's recordings.")));
	}
	ser_decode_bytea(audio, lm->params.sample_rate, &pcm, NULL);
	if (ser_classifier_predict(lm->model, &lm->params, pcm.samples, pcm.n_samples, profile_values,
							   (size_t) profile_length, probs, &err) != SER_OK)
	{
		ser_pcm_free(&pcm);
		ser_report_error(&err);
	}
	ser_pcm_free(&pcm);
	return probs;
}

static int
argmax(const float *p, int n)
{
	int			best = 0;

	for (int k = 1; k < n; k++)
		if (p[k] > p[best])
			best = k;
	return best;
}

/* ------------------------------------------------------------ inference */

/*
 * The prediction functions' arguments (audio, model, speaker_profile): not
 * STRICT, because speaker_profile defaults to NULL; a NULL audio or model
 * gives NULL, as STRICT would.
 */
#define PREDICT_ARGS() \
	do { \
		if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) \
			PG_RETURN_NULL(); \
		audio = PG_GETARG_BYTEA_PP(0); \
		lm = get_model(fcinfo, PG_GETARG_TEXT_PP(1)); \
		probs = classify(lm, audio, PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2)); \
	} while (0)

Datum
ser_emotions(PG_FUNCTION_ARGS)
{
	Datum		names[N_EMOTIONS];

	for (int k = 0; k < N_EMOTIONS; k++)
		names[k] = CStringGetTextDatum(ser_ravdess_emotion_name(k + 1));
	PG_RETURN_ARRAYTYPE_P(construct_array(names, N_EMOTIONS, TEXTOID, -1, false, TYPALIGN_INT));
}

Datum
ser_predict(PG_FUNCTION_ARGS)
{
	bytea	   *audio;
	LoadedModel *lm;
	float	   *probs;

	PREDICT_ARGS();
	PG_RETURN_TEXT_P(cstring_to_text(lm->class_names[argmax(probs, lm->n_classes)]));
}

Datum
ser_predict_proba(PG_FUNCTION_ARGS)
{
	bytea	   *audio;
	LoadedModel *lm;
	float	   *probs;

	PREDICT_ARGS();
	PG_RETURN_ARRAYTYPE_P(ser_float_array(probs, lm->n_classes));
}

Datum
ser_classify(PG_FUNCTION_ARGS)
{
	bytea	   *audio;
	LoadedModel *lm;
	float	   *probs;
	int			best;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	PREDICT_ARGS();
	best = argmax(probs, lm->n_classes);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = PointerGetDatum(cstring_to_text(lm->class_names[best]));
	values[1] = Float4GetDatum(probs[best]);
	values[2] = PointerGetDatum(ser_float_array(probs, lm->n_classes));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

static ArrayType *
text_array(char **items, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * (n ? n : 1));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(items[i]);
	return construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT);
}

Datum
ser_model_info(PG_FUNCTION_ARGS)
{
	LoadedModel *lm = get_model(fcinfo, PG_GETARG_TEXT_PP(0));
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	char		arch[2048];
	char		params[SER_FEATURE_PARAMS_TEXT];
	SerError	err;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (ser_net_config_to_text(ser_model_config(lm->model), arch, sizeof(arch), &err) != SER_OK ||
		ser_feature_params_format(&lm->params, params, sizeof(params), &err) != SER_OK)
		ser_report_error(&err);
	values[0] = CStringGetTextDatum(lm->name);
	values[1] = Int32GetDatum(SER_BLOB_VERSION);
	values[2] = PointerGetDatum(text_array(lm->class_names, lm->n_classes));
	values[3] = CStringGetTextDatum(params);
	values[4] = CStringGetTextDatum(arch);
	values[5] = CStringGetTextDatum(ser_model_train_info(lm->model));
	values[6] = Int64GetDatum((int64) ser_model_parameter_count(lm->model));
	values[7] = Int64GetDatum((int64) lm->blob_size);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* ------------------------------------------------------------- training */

/* What ser_train and ser_evaluate share: the corpus read from a query. */
typedef struct TrainingSet
{
	SerCorpus	corpus;
	int			n_classes;
	char	  **class_names;
	char	  **speakers;		/* distinct speaker values, index = group id */
	int			n_speakers;
} TrainingSet;

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

static void
read_training_set(TrainingSet *ts, const char *query, ArrayType *classes_arg, const SerWaveAugment *augment)
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
									errmsg("class \"%s\" is listed twice", ts->class_names[i])));
		}
		ts->n_classes = n;
	}
	else
	{
		bool		all_emotions = true;

		for (int i = 0; i < n_labels && all_emotions; i++)
		{
			bool		found = false;

			for (int k = 1; k <= N_EMOTIONS; k++)
				found |= strcmp(labels[i], ser_ravdess_emotion_name(k)) == 0;
			all_emotions = found;
		}
		if (all_emotions)
		{
			ts->n_classes = N_EMOTIONS;
			ts->class_names = palloc(sizeof(char *) * N_EMOTIONS);
			for (int k = 0; k < N_EMOTIONS; k++)
				ts->class_names[k] = pstrdup(ser_ravdess_emotion_name(k + 1));
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

/* Training arguments shared by ser_train and ser_evaluate, by position after the first ones. */
typedef struct TrainArgs
{
	SerClassifierSpec spec;
	SerWaveAugment augment;
	ArrayType  *classes;
} TrainArgs;

static int32
arg_int(FunctionCallInfo fcinfo, int i, const char *name, int32 lo, int32 hi)
{
	int32		v;

	if (PG_ARGISNULL(i))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", name)));
	v = PG_GETARG_INT32(i);
	if (v < lo || v > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %d and %d", name, lo, hi)));
	return v;
}

static double
arg_float(FunctionCallInfo fcinfo, int i, const char *name, double lo, double hi)
{
	double		v;

	if (PG_ARGISNULL(i))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", name)));
	v = PG_GETARG_FLOAT8(i);
	if (!(v >= lo && v <= hi))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %g and %g", name, lo, hi)));
	return v;
}

static bool
arg_bool(FunctionCallInfo fcinfo, int i, const char *name)
{
	if (PG_ARGISNULL(i))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", name)));
	return PG_GETARG_BOOL(i);
}

static char *
arg_text(FunctionCallInfo fcinfo, int i, const char *name)
{
	if (PG_ARGISNULL(i))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", name)));
	return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

/*
 * (epochs, batch_size, learning_rate, weight_decay, patience,
 *  validation_fraction, augment, perturbation, seed, classes) starting at
 * argument `first`.
 */
static void
read_train_args(FunctionCallInfo fcinfo, int first, TrainArgs *ta)
{
	ser_classifier_spec_default(&ta->spec);
	ser_wave_augment_default(&ta->augment);
	ta->spec.train.max_epochs = arg_int(fcinfo, first, "epochs", 1, 10000);
	ta->spec.train.batch_size = arg_int(fcinfo, first + 1, "batch_size", 2, 4096);
	ta->spec.train.lr = (float) arg_float(fcinfo, first + 2, "learning_rate", 1e-7, 1.0);
	ta->spec.train.min_lr = ta->spec.train.lr / 100.0f;
	ta->spec.train.l2 = (float) arg_float(fcinfo, first + 3, "weight_decay", 0.0, 1.0);
	ta->spec.train.patience = arg_int(fcinfo, first + 4, "patience", 1, 10000);
	ta->spec.validation_fraction = arg_float(fcinfo, first + 5, "validation_fraction", 0.0, 0.5);
	if (!arg_bool(fcinfo, first + 6, "augment"))
	{
		ta->spec.train.augment.crop_min_fraction = 1.0f;
		ta->spec.train.augment.time_masks = 0;
		ta->spec.train.augment.feature_masks = 0;
	}
	ta->augment.probability = (float) arg_float(fcinfo, first + 7, "perturbation", 0.0, 1.0);
	if (PG_ARGISNULL(first + 8))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("seed must not be NULL")));
	ta->spec.train.seed = (uint64_t) PG_GETARG_INT64(first + 8);
	ta->classes = PG_ARGISNULL(first + 9) ? NULL : PG_GETARG_ARRAYTYPE_P(first + 9);
}

static void
report_epoch(void *ctx, int fold, int n_folds, int member, int n_members, const SerEpochReport *r)
{
	char		where[64] = "";
	char		validation[128] = "";
	size_t		used = 0;

	(void) ctx;
	if (fold >= 0)
		used += snprintf(where, sizeof(where), "fold %d/%d, ", fold + 1, n_folds);
	if (n_members > 1)
		snprintf(where + used, sizeof(where) - used, "network %d/%d, ", member + 1, n_members);
	if (!isnan(r->val_uar))
		snprintf(validation, sizeof(validation), ", validation loss %.4f, UAR %.3f%s", r->val_loss, r->val_uar,
				 r->improved ? " (best)" : "");
	/*
	 * This runs inside the core: a NOTICE must not service a pending cancel
	 * (errfinish would), or the longjmp would skip the core's cleanup.  The
	 * core polls for it right after and stops cleanly.
	 */
	HOLD_INTERRUPTS();
	ereport(NOTICE,
			(errmsg("%sepoch %d/%d: train loss %.4f%s%s", where, r->epoch, r->max_epochs, r->train_loss,
					validation, r->stopping ? "; stopping early" : "")));
	RESUME_INTERRUPTS();
}

static bool
model_row_exists(FunctionCallInfo fcinfo, const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	char	   *sql = psprintf("SELECT 1 FROM %s.ser_models WHERE name OPERATOR(pg_catalog.=) $1",
							   quote_identifier(extension_schema(fcinfo)));
	bool		exists;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up model \"%s\"", name);
	exists = SPI_processed > 0;
	SPI_finish();
	return exists;
}

/*
 * ser_train(name, query, epochs, batch_size, learning_rate, weight_decay,
 *           patience, validation_fraction, augment, seed, classes, replace)
 */
Datum
ser_train_model(PG_FUNCTION_ARGS)
{
	char	   *name = arg_text(fcinfo, 0, "name");
	char	   *query = arg_text(fcinfo, 1, "query");
	bool		replace;
	TrainArgs	ta;
	TrainingSet ts;
	SerModel   *model;
	SerError	err;
	unsigned char *blob;
	size_t		blob_len;
	char	   *info;
	char		params_text[SER_FEATURE_PARAMS_TEXT];
	char		arch[2048];
	StringInfoData training;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	SerTrainSummary summary;

	read_train_args(fcinfo, 2, &ta);
	replace = arg_bool(fcinfo, 12, "replace");
	ta.spec.speaker_normalisation = arg_bool(fcinfo, 13, "speaker_normalisation");
	ta.spec.ensemble = arg_int(fcinfo, 14, "ensemble", 1, SER_MODEL_MAX_MEMBERS);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name must not be empty")));
	if (strcmp(name, DEFAULT_MODEL_NAME) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name \"%s\" is reserved", name),
				 errhint("\"%s\" is the model shipped with ser; choose another name.", DEFAULT_MODEL_NAME)));
	if (!replace && model_row_exists(fcinfo, name))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("model \"%s\" already exists", name),
				 errhint("Pass replace => true to replace it.")));

	read_training_set(&ts, query, ta.classes, &ta.augment);
	ereport(NOTICE,
			(errmsg("training \"%s\" on %d recordings of %d speakers, %d classes",
					name, ts.corpus.n_clips, ts.n_speakers, ts.n_classes)));

	info = psprintf("ser_train: %d recordings, %d speakers, seed " UINT64_FORMAT,
					ts.corpus.n_clips, ts.n_speakers, (uint64) ta.spec.train.seed);
	if (ser_classifier_train(&ts.corpus, (const char *const *) ts.class_names, ts.n_classes, &ta.spec,
							 NULL, 0, info, report_epoch, (void *) "", &model, &summary, &err) != SER_OK)
		ser_report_error(&err);
	if (ser_model_save(model, &blob, &blob_len, &err) != SER_OK ||
		ser_feature_params_format(&ts.corpus.params, params_text, sizeof(params_text), &err) != SER_OK ||
		ser_net_config_to_text(ser_model_config(model), arch, sizeof(arch), &err) != SER_OK)
		ser_report_error(&err);

	initStringInfo(&training);
	appendStringInfo(&training, "{\"query\": ");
	escape_json(&training, query);
	appendStringInfo(&training,
					 ", \"recordings\": %d, \"speakers\": %d, \"epochs\": %d, \"batch_size\": %d, "
					 "\"learning_rate\": %g, \"weight_decay\": %g, \"patience\": %d, "
					 "\"validation_fraction\": %g, \"augment\": %s, \"perturbation\": %g, \"seed\": " UINT64_FORMAT ", "
					 "\"speaker_normalisation\": %s, \"ensemble\": %d, "
					 "\"epochs_run\": %d, \"best_epoch\": %d, \"validation_recordings\": %d",
					 ts.corpus.n_clips, ts.n_speakers, ta.spec.train.max_epochs, ta.spec.train.batch_size,
					 ta.spec.train.lr, ta.spec.train.l2, ta.spec.train.patience, ta.spec.validation_fraction,
					 ta.spec.train.augment.crop_min_fraction < 1.0f ? "true" : "false",
					 (double) ta.augment.probability, (uint64) ta.spec.train.seed,
					 ta.spec.speaker_normalisation ? "true" : "false", ta.spec.ensemble, summary.epochs_run, summary.best_epoch, summary.n_val);
	if (!isnan(summary.best_val_uar))
		appendStringInfo(&training, ", \"validation_uar\": %.4f", summary.best_val_uar);
	appendStringInfoChar(&training, '}');

	{
		Oid			argtypes[8] = {TEXTOID, INT4OID, TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, BYTEAOID};
		Datum		args[8];
		bytea	   *weights = palloc(VARHDRSZ + blob_len);
		char	   *sql;
		int			rc;

		SET_VARSIZE(weights, VARHDRSZ + blob_len);
		memcpy(VARDATA(weights), blob, blob_len);
		args[0] = CStringGetTextDatum(name);
		args[1] = Int32GetDatum(SER_BLOB_VERSION);
		args[2] = PointerGetDatum(text_array(ts.class_names, ts.n_classes));
		args[3] = CStringGetTextDatum(params_text);
		args[4] = CStringGetTextDatum(arch);
		args[5] = CStringGetTextDatum(training.data);
		args[6] = Int32GetDatum((int32) blob_len);
		args[7] = PointerGetDatum(weights);
		/* Without replace, a plain INSERT: a model stored meanwhile by another session is an error. */
		sql = psprintf("INSERT INTO %s.ser_models AS m (name, format_version, classes, feature_params, architecture, "
					   "training, size_bytes, weights) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)%s",
					   quote_identifier(extension_schema(fcinfo)),
					   replace ? " ON CONFLICT (name) DO UPDATE SET created_at = now(), "
					   "format_version = EXCLUDED.format_version, classes = EXCLUDED.classes, "
					   "feature_params = EXCLUDED.feature_params, architecture = EXCLUDED.architecture, "
					   "training = EXCLUDED.training, size_bytes = EXCLUDED.size_bytes, weights = EXCLUDED.weights" : "");
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		rc = SPI_execute_with_args(sql, 8, argtypes, args, NULL, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "could not store model \"%s\": %s", name, SPI_result_code_string(rc));
		SPI_finish();
	}

	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(ts.corpus.n_clips);
	values[2] = Int32GetDatum(ts.n_speakers);
	values[3] = Int32GetDatum(summary.epochs_run);
	values[4] = Int32GetDatum(summary.best_epoch);
	values[5] = Float8GetDatum(summary.best_val_uar);
	nulls[5] = isnan(summary.best_val_uar);
	values[6] = Int32GetDatum((int32) blob_len);
	ser_corpus_free(&ts.corpus);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* Integer value of every speaker, or false if one is not an integer. */
static bool
numeric_speakers(TrainingSet *ts, int *values)
{
	for (int s = 0; s < ts->n_speakers; s++)
	{
		char	   *end;
		long		v = strtol(ts->speakers[s], &end, 10);

		if (end == ts->speakers[s] || *end != '\0' || v < INT_MIN || v > INT_MAX)
			return false;
		values[s] = (int) v;
	}
	return true;
}

static void
put_row(ReturnSetInfo *rsinfo, const char *protocol, int fold, const char *metric, const char *label,
		const char *predicted, double value)
{
	Datum		values[6];
	bool		nulls[6] = {false, fold < 0, false, label == NULL, predicted == NULL, isnan(value)};

	values[0] = CStringGetTextDatum(protocol);
	values[1] = Int32GetDatum(fold + 1);
	values[2] = CStringGetTextDatum(metric);
	values[3] = label ? CStringGetTextDatum(label) : (Datum) 0;
	values[4] = predicted ? CStringGetTextDatum(predicted) : (Datum) 0;
	values[5] = Float8GetDatum(value);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

static void
put_metrics(ReturnSetInfo *rsinfo, const char *protocol, int fold, const SerMetrics *m, char **class_names,
			int n_classes)
{
	put_row(rsinfo, protocol, fold, "accuracy", NULL, NULL, m->accuracy);
	put_row(rsinfo, protocol, fold, "uar", NULL, NULL, m->uar);
	put_row(rsinfo, protocol, fold, "macro_f1", NULL, NULL, m->macro_f1);
	put_row(rsinfo, protocol, fold, "recordings", NULL, NULL, m->n);
	for (int k = 0; k < n_classes; k++)
		put_row(rsinfo, protocol, fold, "recall", class_names[k], NULL, m->recall[k]);
}

/*
 * The rows of one set of cross-validation predictions: per fold, their mean
 * and standard deviation over folds, pooled, and the pooled confusion matrix.
 */
static void
put_evaluation(ReturnSetInfo *rsinfo, const char *protocol, const TrainingSet *ts, const int *fold_of,
			   int n_folds, const int *pred)
{
	int			n_clips = ts->corpus.n_clips;
	int			K = ts->n_classes;
	int		   *truth_f = palloc(sizeof(int) * n_clips);
	int		   *pred_f = palloc(sizeof(int) * n_clips);
	int		   *confusion = palloc(sizeof(int) * K * K);
	double		sums[3] = {0, 0, 0},
				squares[3] = {0, 0, 0};
	SerMetrics	m;
	SerError	err;
	static const char *const summary_names[3] = {"accuracy", "uar", "macro_f1"};

	for (int f = 0; f < n_folds; f++)
	{
		int			n = 0;

		for (int i = 0; i < n_clips; i++)
			if (fold_of[i] == f)
			{
				truth_f[n] = ts->corpus.labels[i];
				pred_f[n] = pred[i];
				n++;
			}
		if (ser_confusion_matrix(truth_f, pred_f, n, K, confusion, &err) != SER_OK ||
			ser_metrics_from_confusion(confusion, K, &m, &err) != SER_OK)
			ser_report_error(&err);
		put_metrics(rsinfo, protocol, f, &m, ts->class_names, K);
		sums[0] += m.accuracy;
		sums[1] += m.uar;
		sums[2] += m.macro_f1;
		squares[0] += m.accuracy * m.accuracy;
		squares[1] += m.uar * m.uar;
		squares[2] += m.macro_f1 * m.macro_f1;
	}
	for (int j = 0; j < 3; j++)
	{
		double		mean = sums[j] / n_folds;
		double		var = squares[j] / n_folds - mean * mean;

		put_row(rsinfo, protocol, -1, psprintf("%s_mean", summary_names[j]), NULL, NULL, mean);
		put_row(rsinfo, protocol, -1, psprintf("%s_std", summary_names[j]), NULL, NULL, sqrt(var > 0 ? var : 0));
	}
	/* All folds pooled, and the pooled confusion matrix. */
	if (ser_confusion_matrix(ts->corpus.labels, pred, n_clips, K, confusion, &err) != SER_OK ||
		ser_metrics_from_confusion(confusion, K, &m, &err) != SER_OK)
		ser_report_error(&err);
	put_metrics(rsinfo, protocol, -1, &m, ts->class_names, K);
	for (int a = 0; a < K; a++)
		for (int b = 0; b < K; b++)
			put_row(rsinfo, protocol, -1, "confusion", ts->class_names[a], ts->class_names[b],
					confusion[a * K + b]);
}

/*
 * ser_evaluate(query, folds, fold_groups, speaker_dependent, epochs, batch_size,
 *              learning_rate, weight_decay, patience, validation_fraction,
 *              augment, seed, classes)
 */
Datum
ser_evaluate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query = arg_text(fcinfo, 0, "query");
	int			n_folds = arg_int(fcinfo, 1, "folds", 2, 100);
	char	   *fold_groups = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	bool		speaker_dependent = arg_bool(fcinfo, 3, "speaker_dependent");
	TrainArgs	ta;
	TrainingSet ts;
	SerError	err;
	int		   *fold_of;
	int		   *pred;
	int		   *pred_alone;
	char	   *protocol;
	char	   *base_protocol;

	read_train_args(fcinfo, 4, &ta);
	ta.spec.speaker_normalisation = arg_bool(fcinfo, 14, "speaker_normalisation");
	ta.spec.ensemble = arg_int(fcinfo, 15, "ensemble", 1, SER_MODEL_MAX_MEMBERS);
	InitMaterializedSRF(fcinfo, 0);
	read_training_set(&ts, query, ta.classes, &ta.augment);

	fold_of = palloc(sizeof(int) * ts.corpus.n_clips);
	if (speaker_dependent)
	{
		if (fold_groups != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("fold_groups cannot be combined with speaker_dependent")));
		if (ser_stratified_kfold_speaker_dependent(ts.corpus.labels, ts.corpus.n_clips, n_folds,
												   ta.spec.train.seed, fold_of, &err) != SER_OK)
			ser_report_error(&err);
		protocol = psprintf("SPEAKER-DEPENDENT: %d folds stratified over recordings (the same speakers in "
							"training and test; inflated, for comparison only)", n_folds);
		ereport(WARNING,
				(errmsg("speaker-dependent evaluation: the same speakers appear in training and test folds"),
				 errdetail("Figures from this protocol overstate accuracy on new speakers.")));
	}
	else if (fold_groups != NULL)
	{
		int		   *speaker_value = palloc(sizeof(int) * ts.n_speakers);
		int		   *group_value = palloc(sizeof(int) * ts.corpus.n_clips);

		if (!numeric_speakers(&ts, speaker_value))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("fold_groups needs integer speaker values"),
					 errhint("Return the speaker as an integer in text form, e.g. actor::text.")));
		for (int i = 0; i < ts.corpus.n_clips; i++)
			group_value[i] = speaker_value[ts.corpus.groups[i]];
		if (ser_folds_from_spec(fold_groups, group_value, ts.corpus.n_clips, fold_of, &n_folds, &err) != SER_OK)
			ser_report_error(&err);
		protocol = psprintf("speaker-independent: %d folds of speakers %s", n_folds, fold_groups);
	}
	else
	{
		if (ser_group_kfold(ts.corpus.groups, ts.corpus.n_clips, n_folds, fold_of, &err) != SER_OK)
			ser_report_error(&err);
		protocol = psprintf("speaker-independent: %d folds grouped by speaker", n_folds);
	}
	base_protocol = protocol;
	if (ta.spec.speaker_normalisation)
		protocol = psprintf("%s; with speaker profiles (labels unused)", protocol);
	ereport(NOTICE, (errmsg("evaluating on %d recordings of %d speakers, %d classes; %s",
							ts.corpus.n_clips, ts.n_speakers, ts.n_classes, protocol)));

	pred = palloc(sizeof(int) * ts.corpus.n_clips);
	pred_alone = ta.spec.speaker_normalisation ? palloc(sizeof(int) * ts.corpus.n_clips) : NULL;
	if (ser_classifier_crossval(&ts.corpus, ts.n_classes, &ta.spec, fold_of, n_folds, report_epoch,
								(void *) "", pred, pred_alone, &err) != SER_OK)
		ser_report_error(&err);
	put_evaluation(rsinfo, protocol, &ts, fold_of, n_folds, pred);
	if (pred_alone != NULL)
		put_evaluation(rsinfo, psprintf("%s; without speaker profiles (each recording alone)", base_protocol),
					   &ts, fold_of, n_folds, pred_alone);
	ser_corpus_free(&ts.corpus);
	return (Datum) 0;
}
