/*
 * speech_fmgr.c — ser_speech(audio): whether a recording is a voice
 * speaking, with the evidence the speech gate (features/speech.h) judges
 * it by.  The prediction functions apply the same gate (model_predict_fmgr.c).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "features/features.h"
#include "features/speech.h"
#include "pg/ser_pg.h"

PG_FUNCTION_INFO_V1(ser_speech);

Datum
ser_speech(PG_FUNCTION_ARGS)
{
	bytea	   *audio = PG_GETARG_BYTEA_PP(0);
	SerFeatureParams p;
	SerSpeechGate gate;
	SerSpeechEvidence ev;
	SerSpeechVerdict verdict;
	SerPcm		pcm;
	SerFeatureSet set;
	SerError	err;
	SerStatus	st;
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	ser_feature_params_default(&p);
	ser_speech_gate_default(&gate);
	ser_decode_bytea(audio, p.sample_rate, &pcm, NULL);
	st = ser_extract_features(&p, pcm.samples, pcm.n_samples, SER_FEATURES_FRAMES, &set, &err);
	ser_pcm_free(&pcm);
	if (st != SER_OK)
		ser_report_error(&err);
	st = ser_speech_evidence(&p, set.frames, set.n_frames, set.n_frame_features, &ev, &err);
	ser_feature_set_free(&set);
	if (st != SER_OK)
		ser_report_error(&err);
	verdict = ser_speech_verdict(&gate, &ev);
	values[0] = BoolGetDatum(verdict == SER_SPEECH_YES);
	values[1] = Float4GetDatum((float) ev.voiced_seconds);
	values[2] = Float4GetDatum((float) ev.bandwidth_hz);
	values[3] = Float4GetDatum((float) ev.f0_wobble_st);
	values[4] = Float4GetDatum((float) ev.articulation);
	values[5] = CStringGetTextDatum(ser_speech_verdict_text(verdict));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
