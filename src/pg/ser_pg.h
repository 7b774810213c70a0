/*
 * ser_pg.h — what the fmgr wrappers share: GUCs, core-error reporting and
 * the glue between core conventions (src/common/runtime.h) and the server.
 */
#ifndef SER_PG_H
#define SER_PG_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "common/runtime.h"
#include "audio/decode.h"
#include "features/params.h"

/* GUC ser.max_duration: longest recording accepted, in seconds. */
extern double ser_max_duration;

/*
 * Raise the core failure in err as an ERROR with the SQLSTATE that matches
 * its status (a cancel becomes CHECK_FOR_INTERRUPTS).  Never returns.
 */
pg_attribute_noreturn() void ser_report_error(const SerError *err);

/* Convenience: report unless status is SER_OK. */
#define SER_CHECK(status, errp) \
	do { if ((status) != SER_OK) ser_report_error(errp); } while (0)

/*
 * Decode a bytea to mono PCM at target_rate (0 = as stored), honouring
 * ser.max_duration; errors are raised.  The samples live in the current
 * memory context.
 */
void		ser_decode_bytea(bytea *audio, int target_rate, SerPcm *pcm, SerAudioInfo *info);

/* Build a 1-D real[] / 2-D real[rows][cols] (row-major values) from a float buffer. */
ArrayType  *ser_float_array(const float *values, int n);
ArrayType  *ser_float_matrix(const float *values, int rows, int cols);

/*
 * The values of a real[] argument named name (for messages): a 1-D array
 * without NULLs, else an error.  *n receives the count (0 for an empty
 * array); the values are a palloc'd copy.
 */
float	   *ser_float_array_values(ArrayType *array, const char *name, int *n);

/*
 * The transition of the speaker-profile aggregates (features_fmgr.c): the
 * state in argument 0 plus the recording in argument 1 featurised with
 * params; the default parameters for ser_speaker_profile(audio), a model's
 * own for ser_speaker_profile(audio, model).
 */
Datum		ser_profile_accumulate(FunctionCallInfo fcinfo, const SerFeatureParams *params);

#endif							/* SER_PG_H */
