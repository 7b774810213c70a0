/*
 * features_fmgr.c — SQL functions over the speech features core
 * (src/features): ser_features(), ser_frames(), ser_melspectrogram(),
 * ser_mfcc(), ser_pitch() and the names and parameters that go with them.
 *
 * Every function decodes the recording to mono at the feature sample rate
 * (16 kHz) with ser_decode_bytea(), which honours ser.max_duration, and
 * featurises it with the default SerFeatureParams (the text form is
 * ser_feature_params()).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "catalog/pg_type.h"

#include "pg/ser_pg.h"
#include "features/features.h"
#include "features/pitch.h"
#include "features/profile.h"

PG_FUNCTION_INFO_V1(ser_features);
PG_FUNCTION_INFO_V1(ser_feature_names);
PG_FUNCTION_INFO_V1(ser_frames);
PG_FUNCTION_INFO_V1(ser_frame_feature_names);
PG_FUNCTION_INFO_V1(ser_melspectrogram);
PG_FUNCTION_INFO_V1(ser_mfcc);
PG_FUNCTION_INFO_V1(ser_pitch);
PG_FUNCTION_INFO_V1(ser_feature_params);

/* text[] of count names produced by name_of. */
static ArrayType *
names_array(const SerFeatureParams *p, int count,
			void (*name_of) (const SerFeatureParams *, int, char *, size_t))
{
	Datum	   *items = palloc(sizeof(Datum) * count);
	char		name[64];

	for (int i = 0; i < count; i++)
	{
		name_of(p, i, name, sizeof(name));
		items[i] = CStringGetTextDatum(name);
	}
	return construct_array(items, count, TEXTOID, -1, false, TYPALIGN_INT);
}

/* Featurise and return the requested part. */
static SerFeatureSet
extract_with(bytea *audio, const SerFeatureParams *p, int what)
{
	SerPcm		pcm;
	SerFeatureSet fs;
	SerError	err;

	ser_decode_bytea(audio, p->sample_rate, &pcm, NULL);
	if (ser_extract_features(p, pcm.samples, pcm.n_samples, what, &fs, &err) != SER_OK)
		ser_report_error(&err);
	ser_pcm_free(&pcm);
	return fs;
}

static SerFeatureSet
extract(bytea *audio, int what)
{
	SerFeatureParams p;

	ser_feature_params_default(&p);
	return extract_with(audio, &p, what);
}

/*
 * ser_features(audio bytea) → real[]: the utterance vector, in the order of
 * ser_feature_names().
 */
Datum
ser_features(PG_FUNCTION_ARGS)
{
	SerFeatureSet fs = extract(PG_GETARG_BYTEA_PP(0), SER_FEATURES_UTTERANCE);

	PG_RETURN_ARRAYTYPE_P(ser_float_array(fs.utterance, fs.n_utterance));
}

/* ser_feature_names() → text[] */
Datum
ser_feature_names(PG_FUNCTION_ARGS)
{
	SerFeatureParams p;

	ser_feature_params_default(&p);
	PG_RETURN_ARRAYTYPE_P(names_array(&p, ser_utterance_feature_count(&p), ser_utterance_feature_name));
}

/*
 * ser_frames(audio bytea) → real[frame][feature], columns in the order of
 * ser_frame_feature_names().
 */
Datum
ser_frames(PG_FUNCTION_ARGS)
{
	SerFeatureSet fs = extract(PG_GETARG_BYTEA_PP(0), SER_FEATURES_FRAMES);

	PG_RETURN_ARRAYTYPE_P(ser_float_matrix(fs.frames, (int) fs.n_frames, fs.n_frame_features));
}

/* ser_frame_feature_names() → text[] */
Datum
ser_frame_feature_names(PG_FUNCTION_ARGS)
{
	SerFeatureParams p;

	ser_feature_params_default(&p);
	PG_RETURN_ARRAYTYPE_P(names_array(&p, ser_frame_feature_count(&p), ser_frame_feature_name));
}

/* The log-mel spectrogram or the MFCC alone, as a [frame][column] matrix. */
static ArrayType *
spectral_matrix(bytea *audio, const SerFeatureParams *p, bool mfcc)
{
	SerPcm		pcm;
	SerError	err;
	float	   *values;
	size_t		n_frames;
	SerStatus	st;

	ser_decode_bytea(audio, p->sample_rate, &pcm, NULL);
	st = mfcc ? ser_extract_mfcc(p, pcm.samples, pcm.n_samples, &values, &n_frames, &err)
		: ser_extract_log_mel(p, pcm.samples, pcm.n_samples, &values, &n_frames, &err);
	if (st != SER_OK)
		ser_report_error(&err);
	ser_pcm_free(&pcm);
	return ser_float_matrix(values, (int) n_frames, mfcc ? p->n_mfcc : p->n_mels);
}

/* ser_melspectrogram(audio bytea, n_mels int DEFAULT 64) → real[frame][band], dB */
Datum
ser_melspectrogram(PG_FUNCTION_ARGS)
{
	bytea	   *audio = PG_GETARG_BYTEA_PP(0);
	int32		n_mels = PG_GETARG_INT32(1);
	SerFeatureParams p;
	SerError	err;

	/* Too many bands for the FFT is the core's call (it names the empty band). */
	if (n_mels <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_mels must be positive, not %d", n_mels)));
	ser_feature_params_default(&p);
	p.n_mels = n_mels;
	if (p.n_mfcc > n_mels)
		p.n_mfcc = n_mels;		/* unused here, but must not exceed n_mels */
	if (ser_feature_params_validate(&p, &err) != SER_OK)
		ser_report_error(&err);
	PG_RETURN_ARRAYTYPE_P(spectral_matrix(audio, &p, false));
}

/* ser_mfcc(audio bytea, n_mfcc int DEFAULT 20) → real[frame][coefficient] */
Datum
ser_mfcc(PG_FUNCTION_ARGS)
{
	bytea	   *audio = PG_GETARG_BYTEA_PP(0);
	int32		n_mfcc = PG_GETARG_INT32(1);
	SerFeatureParams p;

	ser_feature_params_default(&p);
	if (n_mfcc <= 0 || n_mfcc > p.n_mels)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_mfcc must be between 1 and %d, not %d", p.n_mels, n_mfcc),
				 errdetail("The coefficients are a DCT of the %d mel bands.", p.n_mels)));
	p.n_mfcc = n_mfcc;
	PG_RETURN_ARRAYTYPE_P(spectral_matrix(audio, &p, true));
}

/* ser_pitch(audio bytea) → real[]: F0 in Hz per frame, 0 when unvoiced */
Datum
ser_pitch(PG_FUNCTION_ARGS)
{
	bytea	   *audio = PG_GETARG_BYTEA_PP(0);
	SerFeatureParams p;
	SerPcm		pcm;
	SerPitchTrack track;
	SerError	err;

	ser_feature_params_default(&p);
	ser_decode_bytea(audio, p.sample_rate, &pcm, NULL);
	if (ser_pitch_track(&p, pcm.samples, pcm.n_samples, &track, &err) != SER_OK)
		ser_report_error(&err);
	ser_pcm_free(&pcm);
	PG_RETURN_ARRAYTYPE_P(ser_float_array(track.f0, (int) track.n_frames));
}

/* ser_feature_params() → text: the parameters every function above uses */
Datum
ser_feature_params(PG_FUNCTION_ARGS)
{
	SerFeatureParams p;
	SerError	err;
	char		text[SER_FEATURE_PARAMS_TEXT];

	ser_feature_params_default(&p);
	if (ser_feature_params_format(&p, text, sizeof(text), &err) != SER_OK)
		ser_report_error(&err);
	PG_RETURN_TEXT_P(cstring_to_text(text));
}

/* ------------------------------------------------ speaker profiles */

PG_FUNCTION_INFO_V1(ser_speaker_profile_accum);
PG_FUNCTION_INFO_V1(ser_speaker_profile_combine);
PG_FUNCTION_INFO_V1(ser_speaker_profile_final);

/*
 * The aggregate state is a float8[] (features/profile.h's accumulation
 * state), so that it needs no serialisation to cross parallel workers.
 * The support functions are callable directly, so a state is checked
 * before use; it is modified in place only when called as an aggregate
 * (where the state is the aggregate's own).
 */
static double *
state_values(FunctionCallInfo fcinfo, int argno, ArrayType **array_out)
{
	ArrayType  *array;
	SerError	err;
	int			n;

	if (AggCheckCallContext(fcinfo, NULL))
		array = PG_GETARG_ARRAYTYPE_P(argno);
	else
		array = PG_GETARG_ARRAYTYPE_P_COPY(argno);
	if (ARR_ELEMTYPE(array) != FLOAT8OID || ARR_NDIM(array) != 1 || ARR_HASNULL(array))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("malformed speaker profile state"),
				 errdetail("The state is a one-dimensional float8[] without NULLs made by ser_speaker_profile_accum.")));
	n = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	if (ser_profile_state_check((double *) ARR_DATA_PTR(array), (size_t) n, &err) != SER_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", err.message),
				 errdetail("The state is made by ser_speaker_profile_accum.")));
	*array_out = array;
	return (double *) ARR_DATA_PTR(array);
}

/*
 * ser_speaker_profile_accum(state float8[], audio bytea) → float8[]: adds
 * one recording, featurised with the default parameters.  A NULL audio is
 * skipped.
 */
Datum
ser_speaker_profile_accum(PG_FUNCTION_ARGS)
{
	SerFeatureParams p;

	ser_feature_params_default(&p);
	return ser_profile_accumulate(fcinfo, &p);
}

/*
 * The transition of the profile aggregates: the state (argument 0, NULL at
 * first) plus the recording (argument 1, skipped when NULL) featurised
 * with params.
 */
Datum
ser_profile_accumulate(FunctionCallInfo fcinfo, const SerFeatureParams *params)
{
	MemoryContext aggcxt;
	ArrayType  *array;
	double	   *state;
	SerFeatureSet fs;
	SerError	err;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	fs = extract_with(PG_GETARG_BYTEA_PP(1), params, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE);
	if (PG_ARGISNULL(0))
	{
		size_t		n = ser_profile_state_length(fs.n_frame_features, fs.n_utterance);
		MemoryContext old;
		Datum	   *zeros;

		if (!AggCheckCallContext(fcinfo, &aggcxt))
			aggcxt = CurrentMemoryContext;
		old = MemoryContextSwitchTo(aggcxt);
		zeros = palloc0(sizeof(Datum) * n);
		for (size_t i = 0; i < n; i++)
			zeros[i] = Float8GetDatum(0.0);
		array = construct_array(zeros, (int) n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
		MemoryContextSwitchTo(old);
		state = (double *) ARR_DATA_PTR(array);
		ser_profile_state_init(state, fs.n_frame_features, fs.n_utterance);
	}
	else
	{
		state = state_values(fcinfo, 0, &array);
		if (state[0] != fs.n_frame_features || state[1] != fs.n_utterance)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("speaker profile state does not match the feature parameters"),
					 errdetail("The state sums %g frame and %g utterance features; recordings have %d and %d.",
							   state[0], state[1], fs.n_frame_features, fs.n_utterance)));
	}
	if (ser_profile_state_add(state, &fs, &err) != SER_OK)
		ser_report_error(&err);
	ser_feature_set_free(&fs);
	PG_RETURN_ARRAYTYPE_P(array);
}

/* ser_speaker_profile_combine(a float8[], b float8[]) → float8[]: a + b. */
Datum
ser_speaker_profile_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	ArrayType  *b;
	double	   *sa = state_values(fcinfo, 0, &a);
	double	   *sb = state_values(fcinfo, 1, &b);
	SerError	err;

	if (ser_profile_state_merge(sa, sb, &err) != SER_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("speaker profile states of different feature sets cannot be combined")));
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * ser_speaker_profile_final(state float8[]) → real[]: the profile (the
 * number of recordings, then the mean frame features, then the mean
 * utterance vector).
 */
Datum
ser_speaker_profile_final(PG_FUNCTION_ARGS)
{
	ArrayType  *array;
	double	   *state;
	float	   *profile;
	size_t		n;
	SerError	err;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = state_values(fcinfo, 0, &array);
	if (state[2] < 1)
		PG_RETURN_NULL();
	n = ser_profile_length((int) state[0], (int) state[1]);
	profile = palloc(sizeof(float) * n);
	if (ser_profile_finish(state, profile, &err) != SER_OK)
		ser_report_error(&err);
	PG_RETURN_ARRAYTYPE_P(ser_float_array(profile, (int) n));
}
