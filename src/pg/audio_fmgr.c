/*
 * audio_fmgr.c — SQL functions over stored recordings: ser_audio_info()
 * and ser_decode().
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "pg/ser_pg.h"

PG_FUNCTION_INFO_V1(ser_audio_info);
PG_FUNCTION_INFO_V1(ser_decode);

/*
 * ser_audio_info(audio bytea) → (format, sample_rate, channels, frames, duration_s)
 *
 * Describes the file as stored.  The whole file is decoded (without
 * resampling) so that frames is the real count and damaged files fail here
 * as they would in every other function.
 */
Datum
ser_audio_info(PG_FUNCTION_ARGS)
{
	bytea	   *audio = PG_GETARG_BYTEA_PP(0);
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	SerDecodeOptions opts;
	SerAudioInfo info;
	SerError	err;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	opts.target_rate = 0;
	opts.max_duration_s = ser_max_duration;
	if (ser_audio_probe(VARDATA_ANY(audio), VARSIZE_ANY_EXHDR(audio), &opts, &info, &err) != SER_OK)
		ser_report_error(&err);

	values[0] = CStringGetTextDatum(info.format);
	values[1] = Int32GetDatum(info.sample_rate);
	values[2] = Int32GetDatum(info.channels);
	values[3] = Int64GetDatum(info.frames);
	values[4] = Float8GetDatum(info.duration_s);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/*
 * ser_decode(audio bytea, sample_rate int DEFAULT 16000) → real[]
 */
Datum
ser_decode(PG_FUNCTION_ARGS)
{
	bytea	   *audio = PG_GETARG_BYTEA_PP(0);
	int32		sample_rate = PG_GETARG_INT32(1);
	SerPcm		pcm;

	if (sample_rate < SER_MIN_SAMPLE_RATE || sample_rate > SER_MAX_SAMPLE_RATE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample_rate %d is out of range", sample_rate),
				 errdetail("The output rate must be between %d Hz and %d Hz.",
						   SER_MIN_SAMPLE_RATE, SER_MAX_SAMPLE_RATE)));
	ser_decode_bytea(audio, sample_rate, &pcm, NULL);
	if (pcm.n_samples > (size_t) (MaxAllocSize / sizeof(float4)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("decoded recording is too large for an array"),
				 errhint("Lower the sample rate or ser.max_duration.")));
	PG_RETURN_ARRAYTYPE_P(ser_float_array(pcm.samples, (int) pcm.n_samples));
}
