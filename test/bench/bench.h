/*
 * bench.h — timing helpers shared by the core benchmarks (test/bench/bench_*.c).
 * Medians of repeated runs on one core; the first runs warm caches and plans.
 */
#ifndef SER_BENCH_H
#define SER_BENCH_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <FLAC/stream_encoder.h>

/*
 * Wall-clock time, or with BENCH_CLOCK=cpu the CPU time of the calling
 * thread: on a machine shared with other work, time spent preempted is then
 * left out (cache and memory contention are not).
 */
static inline double
bench_now_ms(void)
{
	static int	clock_id = -1;
	struct timespec ts;

	if (clock_id < 0)
	{
		const char *c = getenv("BENCH_CLOCK");

		clock_id = c != NULL && strcmp(c, "cpu") == 0 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
	}
	clock_gettime(clock_id, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Median of n timings (sorts in place). */
static inline double
bench_median(double *t, int n)
{
	qsort(t, n, sizeof(double), bench_cmp_double);
	return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* A whole file in malloc'd memory, or NULL. */
static inline unsigned char *
bench_read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *buf;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t) ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(*len ? *len : 1);
	if (buf != NULL && fread(buf, 1, *len, f) != *len)
	{
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The 16-bit integer bench_make_wav stores for a float sample. */
static inline int
bench_sample16(float x)
{
	int			s = (int) (x * 32767.0f);

	return s > 32767 ? 32767 : s < -32768 ? -32768 : s;
}

/* A 16-bit mono WAV file image holding pcm (float in [-1, 1]) at rate. */
static inline unsigned char *
bench_make_wav(const float *pcm, size_t n, int rate, size_t *len)
{
	size_t		data = n * 2;
	unsigned char *w = malloc(44 + data);
	unsigned int v;

	memcpy(w, "RIFF", 4);
	v = (unsigned int) (36 + data);
	memcpy(w + 4, &v, 4);
	memcpy(w + 8, "WAVEfmt ", 8);
	v = 16;
	memcpy(w + 16, &v, 4);
	w[20] = 1;
	w[21] = 0;					/* PCM */
	w[22] = 1;
	w[23] = 0;					/* mono */
	v = (unsigned int) rate;
	memcpy(w + 24, &v, 4);
	v = (unsigned int) rate * 2;
	memcpy(w + 28, &v, 4);
	w[32] = 2;
	w[33] = 0;
	w[34] = 16;
	w[35] = 0;
	memcpy(w + 36, "data", 4);
	v = (unsigned int) data;
	memcpy(w + 40, &v, 4);
	for (size_t i = 0; i < n; i++)
	{
		short		s16 = (short) bench_sample16(pcm[i]);

		memcpy(w + 44 + 2 * i, &s16, 2);
	}
	*len = 44 + data;
	return w;
}

typedef struct BenchBuffer
{
	unsigned char *data;
	size_t		len;
	size_t		cap;
} BenchBuffer;

static FLAC__StreamEncoderWriteStatus
bench_flac_write(const FLAC__StreamEncoder *enc, const FLAC__byte buffer[], size_t bytes,
				 uint32_t samples, uint32_t frame, void *user)
{
	BenchBuffer *b = user;

	(void) enc;
	(void) samples;
	(void) frame;
	if (b->len + bytes > b->cap)
	{
		size_t		cap = b->cap ? b->cap * 2 : 65536;
		unsigned char *grown;

		while (cap < b->len + bytes)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (grown == NULL)
			return FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, buffer, bytes);
	b->len += bytes;
	return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
}

/*
 * A 16-bit mono FLAC file image of the same samples as bench_make_wav, at
 * flac's default compression (level 5), or NULL.
 */
static inline unsigned char *
bench_make_flac(const float *pcm, size_t n, int rate, size_t *len)
{
	FLAC__StreamEncoder *enc = FLAC__stream_encoder_new();
	BenchBuffer b = {NULL, 0, 0};
	FLAC__int32 block[4096];
	bool		ok;

	if (enc == NULL)
		return NULL;
	ok = FLAC__stream_encoder_set_channels(enc, 1) && FLAC__stream_encoder_set_bits_per_sample(enc, 16) &&
		FLAC__stream_encoder_set_sample_rate(enc, (uint32_t) rate) &&
		FLAC__stream_encoder_set_compression_level(enc, 5) &&
		FLAC__stream_encoder_set_total_samples_estimate(enc, n) &&
		FLAC__stream_encoder_init_stream(enc, bench_flac_write, NULL, NULL, NULL, &b) ==
		FLAC__STREAM_ENCODER_INIT_STATUS_OK;
	for (size_t i = 0; ok && i < n; i += 4096)
	{
		size_t		m = n - i < 4096 ? n - i : 4096;

		for (size_t j = 0; j < m; j++)
			block[j] = bench_sample16(pcm[i + j]);
		ok = FLAC__stream_encoder_process_interleaved(enc, block, (uint32_t) m);
	}
	ok = FLAC__stream_encoder_finish(enc) && ok;
	FLAC__stream_encoder_delete(enc);
	if (!ok)
	{
		free(b.data);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

#endif							/* SER_BENCH_H */
