/*
 * bench_model.c — median time of one inference forward pass of the default
 * architecture on a 3.5 s clip (T = 350 frames at a 10 ms hop), single
 * threaded, plus the size of the serialised model.
 *
 * Usage: bench_model [F [D [T [runs]]]]   (defaults 160 600 350 200)
 * Exit status 1 if the median exceeds 2 ms or the model exceeds 5 MB, so it
 * can gate a release; timings are of this machine only.
 */
#include "model/model_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int			F = argc > 1 ? atoi(argv[1]) : 160;
	int			D = argc > 2 ? atoi(argv[2]) : 600;
	int			T = argc > 3 ? atoi(argv[3]) : 350;
	int			runs = argc > 4 ? atoi(argv[4]) : 200;
	int			K = 8;
	SerNetConfig cfg;
	SerRng		rng;
	SerNet	   *net;
	SerModel   *model;
	SerError	err;
	float	   *frames;
	float	   *utt;
	float	   *mean;
	float	   *std;
	float	   *umean;
	float	   *ustd;
	SerNormStats norm;
	float		probs[SER_NET_MAX_CLASSES];
	double	   *times;
	unsigned char *blob;
	size_t		blob_len;
	double		median;
	const char *classes = "neutral\ncalm\nhappy\nsad\nangry\nfearful\ndisgust\nsurprised";

	if (F < 1 || D < 1 || T < 1 || runs < 1)
	{
		fprintf(stderr, "usage: bench_model [F [D [T [runs]]]]\n");
		return 2;
	}
	ser_rng_seed(&rng, 42);
	ser_net_default_config(&cfg, F, D, K);
	if (ser_net_create(&cfg, &rng, &net, &err) != SER_OK)
	{
		fprintf(stderr, "%s\n", err.message);
		return 2;
	}
	frames = malloc(sizeof(float) * (size_t) T * F);
	utt = malloc(sizeof(float) * D);
	mean = calloc(F, sizeof(float));
	std = malloc(sizeof(float) * F);
	umean = calloc(D, sizeof(float));
	ustd = malloc(sizeof(float) * D);
	times = malloc(sizeof(double) * runs);
	for (int i = 0; i < F; i++)
		std[i] = 1.0f;
	for (int i = 0; i < D; i++)
		ustd[i] = 1.0f;
	for (size_t i = 0; i < (size_t) T * F; i++)
		frames[i] = ser_rng_normal(&rng);
	for (int i = 0; i < D; i++)
		utt[i] = ser_rng_normal(&rng);
	norm.frame_mean = mean;
	norm.frame_std = std;
	norm.utt_mean = umean;
	norm.utt_std = ustd;
	if (ser_model_create(&net->cfg, NULL, "bench", classes, "", &model, &err) != SER_OK ||
		ser_model_add_member(model, net, &norm, &err) != SER_OK ||
		ser_model_save(model, &blob, &blob_len, &err) != SER_OK)
	{
		fprintf(stderr, "%s\n", err.message);
		return 2;
	}
	/* warm-up: first calls touch fresh pages and BLAS buffers */
	for (int r = 0; r < 10; r++)
		ser_model_predict(model, frames, T, F, utt, D, NULL, 0, probs, &err);
	for (int r = 0; r < runs; r++)
	{
		double		t0 = now_ms();

		if (ser_model_predict(model, frames, T, F, utt, D, NULL, 0, probs, &err) != SER_OK)
		{
			fprintf(stderr, "%s\n", err.message);
			return 2;
		}
		times[r] = now_ms() - t0;
	}
	qsort(times, runs, sizeof(double), cmp_double);
	median = times[runs / 2];
	printf("forward pass T=%d F=%d D=%d: median %.3f ms, p10 %.3f ms, p90 %.3f ms over %d runs\n",
		   T, F, D, median, times[runs / 10], times[runs * 9 / 10], runs);
	printf("parameters: %zu trainable floats; serialised model %zu bytes (%.2f MB)\n",
		   net->n_trainable, blob_len, blob_len / 1048576.0);
	ser_free(blob);
	ser_model_free(model);
	ser_net_free(net);
	free(frames);
	free(utt);
	free(mean);
	free(std);
	free(umean);
	free(ustd);
	free(times);
	return (median <= 2.0 && blob_len <= 5u * 1024 * 1024) ? 0 : 1;
}
