/*
 * model_train_fmgr.c — training and evaluation in SQL: ser_train (a model
 * stored in ser_models), ser_evaluate (speaker-grouped cross-validation)
 * and ser_training_defaults (the recipe's arguments and defaults).
 *
 * The recipe's arguments are found by name in the called function's
 * signature and applied through the core's recipe table
 * (classifier/recipe.h): NULL or omitted means the core's default, so the
 * defaults are defined once, in C, and the SQL declarations only say
 * DEFAULT NULL.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/syscache.h"

#include "classifier/recipe.h"
#include "model/calibration.h"
#include "model/metrics.h"
#include "pg/model_pg.h"
#include "pg/ser_pg.h"

PG_FUNCTION_INFO_V1(ser_train_model);
PG_FUNCTION_INFO_V1(ser_evaluate);
PG_FUNCTION_INFO_V1(ser_training_defaults);

/* ---------------------------------------------------------- arguments */

static void
refuse_null(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s must not be NULL", name)));
}

static char *
arg_text(FunctionCallInfo fcinfo, int i, const char *name)
{
	if (PG_ARGISNULL(i))
		refuse_null(name);
	return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

static bool
arg_bool(FunctionCallInfo fcinfo, int i, const char *name)
{
	if (PG_ARGISNULL(i))
		refuse_null(name);
	return PG_GETARG_BOOL(i);
}

static int32
arg_int(FunctionCallInfo fcinfo, int i, const char *name, int32 lo, int32 hi)
{
	int32		v;

	if (PG_ARGISNULL(i))
		refuse_null(name);
	v = PG_GETARG_INT32(i);
	if (v < lo || v > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %d and %d", name, lo, hi)));
	return v;
}

/*
 * The recipe's arguments of the called function, by name: each one given
 * (not NULL) replaces its default in spec / augment after the core checks
 * its range.
 */
static void
read_recipe_arguments(FunctionCallInfo fcinfo, SerClassifierSpec *spec, SerWaveAugment *augment)
{
	HeapTuple	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	Oid		   *types;
	char	  **names;
	char	   *modes;
	int			n;

	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	n = get_func_arg_info(proc, &types, &names, &modes);
	ReleaseSysCache(proc);
	ser_classifier_spec_default(spec);
	ser_wave_augment_default(augment);
	ser_recipe_defaults(spec, augment);
	for (int i = 0, in = 0; i < n && names != NULL; i++)
	{
		SerError	err;
		SerStatus	st = SER_OK;

		if (modes != NULL && (modes[i] == PROARGMODE_OUT || modes[i] == PROARGMODE_TABLE))
			continue;
		if (ser_recipe_find(names[i]) != NULL && !PG_ARGISNULL(in))
		{
			switch (types[i])
			{
				case INT4OID:
					st = ser_recipe_set_int(spec, augment, names[i], PG_GETARG_INT32(in), &err);
					break;
				case INT8OID:
					st = ser_recipe_set_int(spec, augment, names[i], PG_GETARG_INT64(in), &err);
					break;
				case BOOLOID:
					st = ser_recipe_set_int(spec, augment, names[i], PG_GETARG_BOOL(in) ? 1 : 0, &err);
					break;
				case FLOAT8OID:
					st = ser_recipe_set_real(spec, augment, names[i], PG_GETARG_FLOAT8(in), &err);
					break;
				default:
					elog(ERROR, "training argument %s has an unexpected type", names[i]);
			}
			if (st != SER_OK)
				ser_report_error(&err);
		}
		in++;
	}
}

/* The classes argument (text[]), NULL when not given. */
static ArrayType *
classes_argument(FunctionCallInfo fcinfo, int i)
{
	return PG_ARGISNULL(i) ? NULL : PG_GETARG_ARRAYTYPE_P(i);
}

/* ------------------------------------------------------------ training */

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

/*
 * The training record kept in ser_models.training: the query, the recipe as
 * applied and the outcome.
 */
static char *
training_record(const char *query, const TrainingSet *ts, const SerClassifierSpec *spec,
				const SerWaveAugment *augment, const SerTrainSummary *summary, const SerModel *model)
{
	StringInfoData training;

	initStringInfo(&training);
	appendStringInfo(&training, "{\"query\": ");
	escape_json(&training, query);
	appendStringInfo(&training,
					 ", \"recordings\": %d, \"speakers\": %d, \"epochs\": %d, \"batch_size\": %d, "
					 "\"learning_rate\": %g, \"weight_decay\": %g, \"patience\": %d, "
					 "\"validation_fraction\": %g, \"augment\": %s, \"perturbation\": %g, \"seed\": " UINT64_FORMAT ", "
					 "\"speaker_normalisation\": %s, \"ensemble\": %d, \"alone_ensemble\": %d, \"calibrate\": %s, "
					 "\"temperature\": %.6g, "
					 "\"epochs_run\": %d, \"best_epoch\": %d, \"validation_recordings\": %d",
					 ts->corpus.n_clips, ts->n_speakers, spec->train.max_epochs, spec->train.batch_size,
					 spec->train.lr, spec->train.l2, spec->train.patience, spec->validation_fraction,
					 spec->train.augment.crop_min_fraction < 1.0f ? "true" : "false",
					 (double) augment->probability, (uint64) spec->train.seed,
					 spec->speaker_normalisation ? "true" : "false", spec->ensemble,
					 ser_model_alone(model) != model ? ser_model_member_count(ser_model_alone(model)) : 0,
					 spec->calibrate ? "true" : "false", ser_model_temperature(model), summary->epochs_run,
					 summary->best_epoch, summary->n_val);
	if (ser_model_alone(model) != model)
		appendStringInfo(&training, ", \"temperature_alone\": %.6g", ser_model_temperature(ser_model_alone(model)));
	if (!isnan(summary->best_val_uar))
		appendStringInfo(&training, ", \"validation_uar\": %.4f", summary->best_val_uar);
	appendStringInfoChar(&training, '}');
	return training.data;
}

/* Store the model through ser_models_store() of the install script. */
static void
store_model(FunctionCallInfo fcinfo, const char *name, const TrainingSet *ts, const char *params_text,
			const char *arch, const char *training, const unsigned char *blob, size_t blob_len, bool replace)
{
	Oid			argtypes[9] = {TEXTOID, INT4OID, TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, BYTEAOID, BOOLOID};
	Datum		args[9];
	bytea	   *weights = palloc(VARHDRSZ + blob_len);
	char	   *sql;
	int			rc;

	SET_VARSIZE(weights, VARHDRSZ + blob_len);
	memcpy(VARDATA(weights), blob, blob_len);
	args[0] = CStringGetTextDatum(name);
	args[1] = Int32GetDatum(ser_model_format_version());
	args[2] = PointerGetDatum(ser_text_array(ts->class_names, ts->n_classes));
	args[3] = CStringGetTextDatum(params_text);
	args[4] = CStringGetTextDatum(arch);
	args[5] = CStringGetTextDatum(training);
	args[6] = Int32GetDatum((int32) blob_len);
	args[7] = PointerGetDatum(weights);
	args[8] = BoolGetDatum(replace);
	sql = psprintf("SELECT %s.ser_models_store($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)",
				   quote_identifier(ser_extension_schema(fcinfo)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(sql, 9, argtypes, args, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not store model \"%s\": %s", ser_name_for_message(name), SPI_result_code_string(rc));
	SPI_finish();
}

static bool
model_row_exists(FunctionCallInfo fcinfo, const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	char	   *sql = psprintf("SELECT 1 FROM %s.ser_models WHERE name OPERATOR(pg_catalog.=) $1",
							   quote_identifier(ser_extension_schema(fcinfo)));
	bool		exists;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up model \"%s\"", ser_name_for_message(name));
	exists = SPI_processed > 0;
	SPI_finish();
	return exists;
}

/*
 * ser_train(name, query, <recipe arguments>, classes, replace): train on the
 * query's recordings and store the model in ser_models.
 */
Datum
ser_train_model(PG_FUNCTION_ARGS)
{
	char	   *name = arg_text(fcinfo, 0, "name");
	char	   *query = arg_text(fcinfo, 1, "query");
	ArrayType  *classes = classes_argument(fcinfo, 11);
	bool		replace = arg_bool(fcinfo, 12, "replace");
	SerClassifierSpec spec;
	SerWaveAugment augment;
	TrainingSet ts;
	SerModel   *model;
	SerError	err;
	unsigned char *blob;
	size_t		blob_len;
	char	   *info;
	char		params_text[SER_FEATURE_PARAMS_TEXT];
	char		arch[SER_NET_CONFIG_TEXT];
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	SerTrainSummary summary;

	read_recipe_arguments(fcinfo, &spec, &augment);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name must not be empty")));
	if (strcmp(name, SER_DEFAULT_MODEL_NAME) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name \"%s\" is reserved", name),
				 errhint("\"%s\" is the model shipped with ser; choose another name.", SER_DEFAULT_MODEL_NAME)));
	ser_require_models_privilege(fcinfo, ACL_INSERT);
	if (!replace && model_row_exists(fcinfo, name))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("model \"%s\" already exists", ser_name_for_message(name)),
				 errhint("Pass replace => true to replace it.")));

	ser_read_training_set(&ts, query, classes, &augment);
	ereport(NOTICE,
			(errmsg("training \"%s\" on %d recordings of %d speakers, %d classes",
					ser_name_for_message(name), ts.corpus.n_clips, ts.n_speakers, ts.n_classes)));

	info = psprintf("ser_train: %d recordings, %d speakers, seed " UINT64_FORMAT,
					ts.corpus.n_clips, ts.n_speakers, (uint64) spec.train.seed);
	if (ser_classifier_train(&ts.corpus, (const char *const *) ts.class_names, ts.n_classes, &spec,
							 NULL, 0, info, report_epoch, (void *) "", &model, &summary, &err) != SER_OK)
		ser_report_error(&err);
	if (ser_model_save(model, &blob, &blob_len, &err) != SER_OK ||
		ser_feature_params_format(&ts.corpus.params, params_text, sizeof(params_text), &err) != SER_OK ||
		ser_net_config_to_text(ser_model_config(model), arch, sizeof(arch), &err) != SER_OK)
		ser_report_error(&err);
	store_model(fcinfo, name, &ts, params_text, arch, training_record(query, &ts, &spec, &augment, &summary, model),
				blob, blob_len, replace);

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

/* ---------------------------------------------------------- evaluation */

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

/* Most probable class of every clip from probs[n][K]. */
static int *
argmax_rows(const float *probs, int n, int K)
{
	int		   *pred = palloc(sizeof(int) * (n > 0 ? n : 1));

	for (int i = 0; i < n; i++)
		pred[i] = ser_argmax(probs + (size_t) i * K, K);
	return pred;
}

/* Mean top-class probability of the clips in folds. */
static double
mean_confidence(const float *probs, const int *fold_of, int n, int K)
{
	double		sum = 0.0;
	int			m = 0;

	for (int i = 0; i < n; i++)
	{
		float		top = 0.0f;

		if (fold_of[i] < 0)
			continue;
		for (int c = 0; c < K; c++)
			top = Max(top, probs[(size_t) i * K + c]);
		sum += top;
		m++;
	}
	return m > 0 ? sum / m : 0.0;
}

/*
 * The confidence rows of one set of out-of-fold probabilities: the
 * expected calibration error (10 bins) of the probabilities as averaged
 * (ece_uncalibrated) and, with calibrate, after the temperature each fold
 * gets from the other folds' predictions (ece; per fold: temperature), as
 * a model calibrated by ser_train() would give them; mean_confidence, of
 * the probabilities reported.
 */
static void
put_calibration(ReturnSetInfo *rsinfo, const char *protocol, const TrainingSet *ts, const int *fold_of,
				int n_folds, float *probs, bool calibrate)
{
	int			n = ts->corpus.n_clips;
	int			K = ts->n_classes;
	int		   *labels = palloc(sizeof(int) * (n > 0 ? n : 1));
	float	   *rows = palloc(sizeof(float) * (size_t) (n > 0 ? n : 1) * K);
	double	   *temperature = palloc(sizeof(double) * n_folds);
	int			m = 0;
	SerError	err;

	for (int i = 0; i < n; i++)
		if (fold_of[i] >= 0)
		{
			memcpy(rows + (size_t) m * K, probs + (size_t) i * K, sizeof(float) * K);
			labels[m++] = ts->corpus.labels[i];
		}
	put_row(rsinfo, protocol, -1, "ece_uncalibrated", NULL, NULL,
			ser_expected_calibration_error(rows, labels, m, K, 10));
	if (calibrate && n_folds >= 2)
	{
		if (ser_classifier_cross_calibrate(probs, ts->corpus.labels, fold_of, n, n_folds, K, probs, temperature,
										   &err) != SER_OK)
			ser_report_error(&err);
		for (int f = 0; f < n_folds; f++)
			put_row(rsinfo, protocol, f, "temperature", NULL, NULL, temperature[f]);
		m = 0;
		for (int i = 0; i < n; i++)
			if (fold_of[i] >= 0)
				memcpy(rows + (size_t) m++ * K, probs + (size_t) i * K, sizeof(float) * K);
	}
	put_row(rsinfo, protocol, -1, "ece", NULL, NULL, ser_expected_calibration_error(rows, labels, m, K, 10));
	put_row(rsinfo, protocol, -1, "mean_confidence", NULL, NULL, mean_confidence(probs, fold_of, n, K));
}

/*
 * ser_evaluate(query, folds, fold_groups, speaker_dependent, <recipe arguments>,
 *              classes)
 */
Datum
ser_evaluate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *query = arg_text(fcinfo, 0, "query");
	int			n_folds = arg_int(fcinfo, 1, "folds", 2, 100);
	char	   *fold_groups = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	bool		speaker_dependent = arg_bool(fcinfo, 3, "speaker_dependent");
	ArrayType  *classes = classes_argument(fcinfo, 13);
	SerClassifierSpec spec;
	SerWaveAugment augment;
	TrainingSet ts;
	SerError	err;
	int		   *fold_of;
	float	   *probs;
	float	   *probs_alone;
	char	   *protocol;
	char	   *base_protocol;

	read_recipe_arguments(fcinfo, &spec, &augment);
	InitMaterializedSRF(fcinfo, 0);
	ser_read_training_set(&ts, query, classes, &augment);

	fold_of = palloc(sizeof(int) * ts.corpus.n_clips);
	if (speaker_dependent)
	{
		if (fold_groups != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("fold_groups cannot be combined with speaker_dependent")));
		if (ser_stratified_kfold_speaker_dependent(ts.corpus.labels, ts.corpus.n_clips, n_folds,
												   spec.train.seed, fold_of, &err) != SER_OK)
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
	if (spec.speaker_normalisation)
		protocol = psprintf("%s; with speaker profiles (labels unused)", protocol);
	ereport(NOTICE, (errmsg("evaluating on %d recordings of %d speakers, %d classes; %s",
							ts.corpus.n_clips, ts.n_speakers, ts.n_classes, protocol)));

	probs = palloc(sizeof(float) * (size_t) ts.corpus.n_clips * ts.n_classes);
	probs_alone = spec.speaker_normalisation ? palloc(sizeof(float) * (size_t) ts.corpus.n_clips * ts.n_classes)
		: NULL;
	if (ser_classifier_crossval(&ts.corpus, ts.n_classes, &spec, fold_of, n_folds, report_epoch,
								(void *) "", probs, probs_alone, &err) != SER_OK)
		ser_report_error(&err);
	put_evaluation(rsinfo, protocol, &ts, fold_of, n_folds, argmax_rows(probs, ts.corpus.n_clips, ts.n_classes));
	put_calibration(rsinfo, protocol, &ts, fold_of, n_folds, probs, spec.calibrate);
	if (probs_alone != NULL)
	{
		char	   *alone_protocol = psprintf("%s; without speaker profiles (each recording alone%s)", base_protocol,
											  spec.alone_ensemble > 0 ? ", networks trained without them" : "");

		put_evaluation(rsinfo, alone_protocol, &ts, fold_of, n_folds,
					   argmax_rows(probs_alone, ts.corpus.n_clips, ts.n_classes));
		put_calibration(rsinfo, alone_protocol, &ts, fold_of, n_folds, probs_alone, spec.calibrate);
	}
	ser_corpus_free(&ts.corpus);
	return (Datum) 0;
}

/* ser_training_defaults(): every recipe argument with its default, range and meaning. */
Datum
ser_training_defaults(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	static const char *const kinds[] = {"int", "float8", "boolean", "bigint"};

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < ser_recipe_arg_count(); i++)
	{
		const SerRecipeArg *arg = ser_recipe_arg(i);
		char		text[64];
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		bool		ranged = arg->kind == SER_RECIPE_INT || arg->kind == SER_RECIPE_REAL;

		ser_recipe_default_text(arg, text, sizeof(text));
		values[0] = CStringGetTextDatum(arg->name);
		values[1] = CStringGetTextDatum(kinds[arg->kind]);
		values[2] = CStringGetTextDatum(text);
		values[3] = Float8GetDatum(arg->min);
		values[4] = Float8GetDatum(arg->max);
		nulls[3] = nulls[4] = !ranged;
		values[5] = CStringGetTextDatum(arg->description);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
