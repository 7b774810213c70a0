/*
 * bench.h — timing helpers shared by the core benchmarks (test/bench/bench_*.c).
 * Medians of repeated runs on one core; the first runs warm caches and plans.
 */
#ifndef SER_BENCH_H
#define SER_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double
bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
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
		int			s = (int) (pcm[i] * 32767.0f);
		short		s16 = (short) (s > 32767 ? 32767 : s < -32768 ? -32768 : s);

		memcpy(w + 44 + 2 * i, &s16, 2);
	}
	*len = 44 + data;
	return w;
}

#endif							/* SER_BENCH_H */
