/*
 * ser_pg.c — module initialisation and what every fmgr wrapper shares:
 * the GUCs, the core's allocation and cancellation hooks, and the mapping
 * of core failures to SQLSTATEs.
 */
#include "postgres.h"

#include <cblas.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "pg/ser_pg.h"

PG_MODULE_MAGIC;

double		ser_max_duration = 600.0;

/*
 * Core allocations are palloc'd in the current memory context, so an ERROR
 * anywhere releases them with the context.  NO_OOM: the core reports
 * SER_ENOMEM itself after releasing its library resources.
 */
static void *
ser_palloc(size_t size)
{
	/* palloc raises an ERROR for impossible sizes: report them as a failed allocation instead. */
	if (!AllocHugeSizeIsValid(size))
		return NULL;
	return palloc_extended(size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
ser_pfree(void *ptr)
{
	pfree(ptr);
}

/*
 * Only interrupts that end the statement stop the core: a cancel request
 * (also what statement_timeout sends) or a termination.  Others, such as
 * cache invalidation catch-up, are serviced at the next
 * CHECK_FOR_INTERRUPTS without throwing work away.
 */
static bool
ser_interrupt_pending(void)
{
	if (!InterruptPending || InterruptHoldoffCount != 0 || CritSectionCount != 0)
		return false;
	return ProcDiePending || (QueryCancelPending && QueryCancelHoldoffCount == 0);
}

void		_PG_init(void);

void
_PG_init(void)
{
	/*
	 * PGC_SUSET: the limit is what bounds one call's memory (README, "Limits
	 * and memory"), so an ordinary role must not be able to raise it.  A
	 * superuser can, and can let a chosen role do so with GRANT SET ON
	 * PARAMETER ser.max_duration TO role (PostgreSQL 15).
	 */
	DefineCustomRealVariable("ser.max_duration",
							 "Longest recording, in seconds, that ser functions accept.",
							 "Longer recordings are refused before they are decoded in full, which bounds "
							 "the memory and time one call can take. Emotion models work on utterances of "
							 "a few seconds: split long recordings into segments. Only superusers and roles "
							 "granted SET on this parameter can change it.",
							 &ser_max_duration,
							 600.0, 0.1, 3600.0,
							 PGC_SUSET, GUC_UNIT_S,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("ser");

	ser_set_allocator(ser_palloc, ser_pfree);
	ser_set_interrupt_check(ser_interrupt_pending);

	/*
	 * One BLAS thread per backend: PostgreSQL parallelises across processes,
	 * and a pool of nproc-1 threads in every backend would oversubscribe the
	 * machine.
	 */
	openblas_set_num_threads(1);
}

void
ser_report_error(const SerError *err)
{
	int			code;

	switch (err->status)
	{
		case SER_ECANCELED:
			CHECK_FOR_INTERRUPTS();
			/* Only reached if the cancel was held off or already serviced: still stop. */
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling statement due to user request")));
			break;
		case SER_ENOMEM:
			code = ERRCODE_OUT_OF_MEMORY;
			break;
		case SER_EINVAL:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
		case SER_EFORMAT:
		case SER_ECORRUPT:
		case SER_ENONFINITE:
			code = ERRCODE_INVALID_BINARY_REPRESENTATION;
			break;
		case SER_EUNSUPPORTED:
			code = ERRCODE_FEATURE_NOT_SUPPORTED;
			break;
		case SER_ETOOLONG:
			code = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		case SER_OK:
		case SER_EINTERNAL:
		default:
			code = ERRCODE_INTERNAL_ERROR;
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg_internal("%s", err->message),
			 err->detail[0] ? errdetail_internal("%s", err->detail) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}

void
ser_decode_bytea(bytea *audio, int target_rate, SerPcm *pcm, SerAudioInfo *info)
{
	SerDecodeOptions opts;
	SerError	err;

	opts.target_rate = target_rate;
	opts.max_duration_s = ser_max_duration;
	if (ser_audio_decode(VARDATA_ANY(audio), VARSIZE_ANY_EXHDR(audio), &opts, pcm, info, &err) != SER_OK)
		ser_report_error(&err);
}

/*
 * real[] straight from a float buffer: one allocation and one copy, no
 * Datum array (frame matrices hold tens of thousands of values).
 */
static ArrayType *
build_float4_array(const float *values, int ndims, int *dims)
{
	int			lbs[2] = {1, 1};
	int			nelems = ArrayGetNItems(ndims, dims);	/* checks for overflow */
	Size		nbytes;
	ArrayType  *result;

	if (nelems == 0)
		return construct_empty_array(FLOAT4OID);
	nbytes = ARR_OVERHEAD_NONULLS(ndims) + (Size) nelems * sizeof(float4);
	if (!AllocSizeIsValid(nbytes))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("result array would be too large"),
				 errhint("Shorten the recording or lower ser.max_duration.")));
	result = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(result, nbytes);
	result->ndim = ndims;
	result->dataoffset = 0;
	result->elemtype = FLOAT4OID;
	memcpy(ARR_DIMS(result), dims, ndims * sizeof(int));
	memcpy(ARR_LBOUND(result), lbs, ndims * sizeof(int));
	memcpy(ARR_DATA_PTR(result), values, (Size) nelems * sizeof(float4));
	return result;
}

ArrayType *
ser_float_array(const float *values, int n)
{
	int			dims[1] = {n};

	return build_float4_array(values, 1, dims);
}

float *
ser_float_array_values(ArrayType *array, const char *name, int *n)
{
	int			count;
	float	   *values;

	if (ARR_ELEMTYPE(array) != FLOAT4OID)
		elog(ERROR, "%s must be a real[]", name);
	if (ARR_NDIM(array) == 0)
	{
		*n = 0;
		return palloc(sizeof(float));
	}
	if (ARR_NDIM(array) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", name),
				 errdetail("It has %d dimensions.", ARR_NDIM(array))));
	if (array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULLs", name)));
	count = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	values = palloc(sizeof(float) * (count ? count : 1));
	memcpy(values, ARR_DATA_PTR(array), sizeof(float) * count);
	*n = count;
	return values;
}

ArrayType *
ser_float_matrix(const float *values, int rows, int cols)
{
	int			dims[2] = {rows, cols};

	if (rows == 0 || cols == 0)
		return construct_empty_array(FLOAT4OID);
	return build_float4_array(values, 2, dims);
}
