/*
 * model_predict_fmgr.c — classification in SQL: ser_emotions, ser_predict,
 * ser_predict_proba, ser_classify, and ser_model_info (what a model is).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "model/metrics.h"
#include "pg/model_pg.h"
#include "pg/ser_pg.h"

PG_FUNCTION_INFO_V1(ser_emotions);
PG_FUNCTION_INFO_V1(ser_predict);
PG_FUNCTION_INFO_V1(ser_predict_proba);
PG_FUNCTION_INFO_V1(ser_classify);
PG_FUNCTION_INFO_V1(ser_model_info);

/* What classifying one recording gives. */
typedef struct Classification
{
	SerSpeechVerdict verdict;	/* SER_SPEECH_YES: probs holds the class probabilities */
	SerSpeechEvidence speech;
	float	   *probs;			/* in the model's class order */
} Classification;

/*
 * Decode and classify one recording behind the speech gate (the gate's
 * default thresholds, features/speech.h).  profile (a real[],
 * ser_speaker_profile) may be NULL.  The core judges the profile
 * (ser_model_check_speaker_profile); this only says it in SQL terms.
 */
static void
classify(LoadedModel *lm, bytea *audio, ArrayType *profile, Classification *out)
{
	SerPcm		pcm;
	SerError	err;
	SerSpeechGate gate;
	float	   *probs = palloc(sizeof(float) * lm->n_classes);
	float	   *profile_values = NULL;
	int			profile_length = 0;

	if (profile != NULL)
	{
		profile_values = ser_float_array_values(profile, "speaker_profile", &profile_length);
		if (ser_model_check_speaker_profile(lm->model, profile_values, (size_t) profile_length, &err) != SER_OK)
		{
			if (!ser_model_speaker_normalised(lm->model))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("model \"%s\" was trained without speaker normalisation",
								ser_name_for_message(lm->name)),
						 errdetail("Only a model trained with speaker_normalisation => true takes a speaker profile."),
						 errhint("Call it without speaker_profile, or train a model with speaker normalisation.")));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s", err.message),
					 err.detail[0] ? errdetail("%s", err.detail) : 0,
					 errhint("Pass the result of ser_speaker_profile(audio, '%s') over the speaker's recordings: "
							 "a profile made with the model's feature parameters.", ser_name_for_message(lm->name))));
		}
	}
	ser_speech_gate_default(&gate);
	ser_decode_bytea(audio, lm->params.sample_rate, &pcm, NULL);
	if (ser_classifier_predict_speech(lm->model, &lm->params, pcm.samples, pcm.n_samples, profile_values,
									  (size_t) profile_length, &gate, probs, &out->speech, &out->verdict,
									  &err) != SER_OK)
	{
		ser_pcm_free(&pcm);
		ser_report_error(&err);
	}
	ser_pcm_free(&pcm);
	out->probs = probs;
}

/*
 * The prediction functions' arguments (audio, model, speaker_profile).  They
 * are not STRICT, because speaker_profile defaults to NULL; a NULL audio or
 * model gives a NULL result, as STRICT would: false is returned and the
 * caller returns NULL.  Whether the recording is speech is in c->verdict.
 */
static bool
classify_arguments(FunctionCallInfo fcinfo, LoadedModel **lm, Classification *c)
{
	char	   *name;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return false;
	name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	*lm = ser_get_model(fcinfo, name);
	classify(*lm, PG_GETARG_BYTEA_PP(0), PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2), c);
	return true;
}

/* The shipped model's classes, in the order of its probabilities. */
Datum
ser_emotions(PG_FUNCTION_ARGS)
{
	LoadedModel *lm = ser_get_model(fcinfo, SER_DEFAULT_MODEL_NAME);

	PG_RETURN_ARRAYTYPE_P(ser_text_array(lm->class_names, lm->n_classes));
}

/* No emotion for what is not speech: NULL, as for a NULL recording. */
Datum
ser_predict(PG_FUNCTION_ARGS)
{
	LoadedModel *lm;
	Classification c;

	if (!classify_arguments(fcinfo, &lm, &c) || c.verdict != SER_SPEECH_YES)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(lm->class_names[ser_argmax(c.probs, lm->n_classes)]));
}

Datum
ser_predict_proba(PG_FUNCTION_ARGS)
{
	LoadedModel *lm;
	Classification c;

	if (!classify_arguments(fcinfo, &lm, &c) || c.verdict != SER_SPEECH_YES)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(ser_float_array(c.probs, lm->n_classes));
}

/* label, confidence, probabilities (NULL when not speech), speech, speech_seconds, reason */
Datum
ser_classify(PG_FUNCTION_ARGS)
{
	LoadedModel *lm;
	Classification c;
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	if (!classify_arguments(fcinfo, &lm, &c))
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (c.verdict == SER_SPEECH_YES)
	{
		int			best = ser_argmax(c.probs, lm->n_classes);

		values[0] = PointerGetDatum(cstring_to_text(lm->class_names[best]));
		values[1] = Float4GetDatum(c.probs[best]);
		values[2] = PointerGetDatum(ser_float_array(c.probs, lm->n_classes));
	}
	else
		nulls[0] = nulls[1] = nulls[2] = true;
	values[3] = BoolGetDatum(c.verdict == SER_SPEECH_YES);
	values[4] = Float4GetDatum((float) c.speech.voiced_seconds);
	values[5] = CStringGetTextDatum(ser_speech_verdict_text(c.verdict));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

Datum
ser_model_info(PG_FUNCTION_ARGS)
{
	LoadedModel *lm = ser_get_model(fcinfo, text_to_cstring(PG_GETARG_TEXT_PP(0)));
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	char		arch[SER_NET_CONFIG_TEXT];
	char		params[SER_FEATURE_PARAMS_TEXT];
	SerError	err;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (ser_net_config_to_text(ser_model_config(lm->model), arch, sizeof(arch), &err) != SER_OK ||
		ser_feature_params_format(&lm->params, params, sizeof(params), &err) != SER_OK)
		ser_report_error(&err);
	values[0] = CStringGetTextDatum(lm->name);
	values[1] = Int32GetDatum(ser_model_format_version());
	values[2] = PointerGetDatum(ser_text_array(lm->class_names, lm->n_classes));
	values[3] = CStringGetTextDatum(params);
	values[4] = CStringGetTextDatum(arch);
	values[5] = CStringGetTextDatum(ser_model_train_info(lm->model));
	values[6] = Int64GetDatum((int64) ser_model_parameter_count(lm->model));
	values[7] = Int64GetDatum((int64) lm->blob_size);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

PG_FUNCTION_INFO_V1(ser_speaker_profile_model_accum);

/*
 * ser_speaker_profile_accum(state float8[], audio bytea, model text) →
 * float8[]: the transition of ser_speaker_profile(audio, model), which
 * featurises with the model's own parameters, so that a model trained
 * with other parameters than today's defaults (e.g. one stored by 0.1.0)
 * gets a profile it can use.
 */
Datum
ser_speaker_profile_model_accum(PG_FUNCTION_ARGS)
{
	LoadedModel *lm;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be NULL"),
				 errhint("Name a model of ser_models, or 'default' for the shipped one.")));
	lm = ser_get_model(fcinfo, text_to_cstring(PG_GETARG_TEXT_PP(2)));
	return ser_profile_accumulate(fcinfo, &lm->params);
}
