/*
 * resample.c — libsoxr converters cached per rate pair.  See resample.h.
 */
#include "audio/resample.h"

#include <soxr.h>
#include <string.h>

struct SerResampler
{
	int			in_rate;
	int			out_rate;
	soxr_t		soxr;
	size_t		fed;			/* input samples fed in this stream */
	size_t		produced;		/* output samples produced in this stream */
};

/*
 * A handful of rate pairs covers real use (44.1/48/22.05/8 kHz → 16 kHz);
 * beyond that the least recently used converter is replaced.
 */
#define RESAMPLER_CACHE_SIZE 6

static SerResampler cache[RESAMPLER_CACHE_SIZE];
static unsigned long cache_clock[RESAMPLER_CACHE_SIZE];
static unsigned long clock_now = 0;

SerStatus
ser_resampler_acquire(int in_rate, int out_rate, SerResampler **out, SerError *err)
{
	int			victim = 0;
	soxr_error_t serr = NULL;
	soxr_io_spec_t io;
	soxr_quality_spec_t quality;
	soxr_runtime_spec_t runtime;

	*out = NULL;
	for (int i = 0; i < RESAMPLER_CACHE_SIZE; i++)
	{
		if (cache[i].soxr != NULL && cache[i].in_rate == in_rate && cache[i].out_rate == out_rate)
		{
			serr = soxr_clear(cache[i].soxr);
			if (serr != NULL)
				return ser_error(err, SER_EINTERNAL, "could not reset resampler: %s", serr);
			cache[i].fed = cache[i].produced = 0;
			cache_clock[i] = ++clock_now;
			*out = &cache[i];
			return SER_OK;
		}
		if (cache_clock[i] < cache_clock[victim])
			victim = i;
	}

	if (cache[victim].soxr != NULL)
	{
		soxr_delete(cache[victim].soxr);
		cache[victim].soxr = NULL;
	}

	io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
	quality = soxr_quality_spec(SOXR_HQ, 0);
	runtime = soxr_runtime_spec(1); /* one thread: PostgreSQL parallelism is per process */
	cache[victim].soxr = soxr_create((double) in_rate, (double) out_rate, 1,
									 &serr, &io, &quality, &runtime);
	if (cache[victim].soxr == NULL || serr != NULL)
	{
		if (cache[victim].soxr != NULL)
			soxr_delete(cache[victim].soxr);
		cache[victim].soxr = NULL;
		return ser_error(err, SER_EINTERNAL, "could not create resampler from %d Hz to %d Hz: %s",
						 in_rate, out_rate, serr ? serr : "unknown error");
	}
	cache[victim].in_rate = in_rate;
	cache[victim].out_rate = out_rate;
	cache[victim].fed = cache[victim].produced = 0;
	cache_clock[victim] = ++clock_now;
	*out = &cache[victim];
	return SER_OK;
}

static SerStatus
reserve(float **buf, size_t *cap, size_t needed, SerError *err)
{
	size_t		new_cap;
	float	   *grown;

	if (needed <= *cap)
		return SER_OK;
	new_cap = *cap ? *cap : 4096;
	while (new_cap < needed)
	{
		if (new_cap > SIZE_MAX / 2 / sizeof(float))
			return ser_error(err, SER_ENOMEM, "out of memory");
		new_cap *= 2;
	}
	grown = ser_malloc_array(new_cap, sizeof(float));
	if (grown == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory");
	if (*buf != NULL)
	{
		memcpy(grown, *buf, *cap * sizeof(float));
		ser_free(*buf);
	}
	*buf = grown;
	*cap = new_cap;
	return SER_OK;
}

SerStatus
ser_resampler_process(SerResampler *rs, const float *in, size_t n_in,
					  float **buf, size_t *len, size_t *cap, SerError *err)
{
	bool		flushing = (in == NULL);
	size_t		consumed_total = 0;

	if (!flushing)
		rs->fed += n_in;

	for (;;)
	{
		/*
		 * Room for everything this call can still produce: the expected total
		 * output so far minus what was produced, plus slack for the filter.
		 */
		double		ratio = (double) rs->out_rate / rs->in_rate;
		size_t		expected = (size_t) ((double) rs->fed * ratio) + 64;
		size_t		room;
		size_t		idone = 0,
					odone = 0;
		soxr_error_t serr;
		SerStatus	st;

		if (expected < rs->produced + 1024)
			expected = rs->produced + 1024;
		st = reserve(buf, cap, *len + (expected - rs->produced), err);
		if (st != SER_OK)
			return st;
		room = *cap - *len;

		serr = soxr_process(rs->soxr,
							flushing ? NULL : in + consumed_total,
							flushing ? 0 : n_in - consumed_total, &idone,
							*buf + *len, room, &odone);
		if (serr != NULL)
			return ser_error(err, SER_EINTERNAL, "resampling failed: %s", serr);
		consumed_total += idone;
		*len += odone;
		rs->produced += odone;

		if (flushing)
		{
			/* Flushing is done when soxr has nothing more to give. */
			if (odone == 0)
				break;
		}
		else if (consumed_total >= n_in && odone < room)
			break;
	}
	return SER_OK;
}
