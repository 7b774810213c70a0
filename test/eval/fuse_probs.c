/*
 * fuse_probs.c — fusion of two heads' out-of-fold probabilities (from
 * crossval_linear --probs-out and crossval_ravdess --probs-out, both in the
 * clip order of feature_cache.c): the fold-mean UAR of each head alone, of
 * the equal-weight average of probabilities and of log-probabilities (no
 * weight tuned, so no test fold decides anything), and, for information
 * only, the UAR over a grid of weights (choosing among these by their score
 * would be tuning on the test folds).  Not a test.
 *
 * Usage: test/eval/fuse_probs CACHE PROBS_A PROBS_B
 * (CACHE gives the labels and actors.)  Build: make test/eval/fuse_probs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "feature_cache.h"

#define N_CLASSES 8
#define N_FOLDS 5

static float *
load_probs(const char *path, int n)
{
	FILE	   *f = fopen(path, "rb");
	float	   *p = malloc(sizeof(float) * (size_t) n * N_CLASSES);

	if (f == NULL || fread(p, sizeof(float), (size_t) n * N_CLASSES, f) != (size_t) n * N_CLASSES)
	{
		fprintf(stderr, "fuse_probs: cannot read %d clips' probabilities from %s\n", n, path);
		exit(1);
	}
	fclose(f);
	return p;
}

/* Fold-mean UAR of scores[n][8] (higher is more likely). */
static double
fold_mean_uar(const FeatureCache *c, const double *scores)
{
	double		sum = 0.0;

	for (int f = 0; f < N_FOLDS; f++)
	{
		int			hit[N_CLASSES] = {0},
					total[N_CLASSES] = {0};
		double		recall = 0.0;

		for (int i = 0; i < c->n; i++)
		{
			int			best = 0;

			if ((c->actor[i] - 1) / 4 != f)
				continue;
			for (int k = 1; k < N_CLASSES; k++)
				if (scores[(size_t) i * N_CLASSES + k] > scores[(size_t) i * N_CLASSES + best])
					best = k;
			total[c->label[i]]++;
			hit[c->label[i]] += best == c->label[i];
		}
		for (int k = 0; k < N_CLASSES; k++)
			recall += total[k] ? (double) hit[k] / total[k] : 0.0;
		sum += recall / N_CLASSES;
	}
	return sum / N_FOLDS;
}

/* scores = w log(a) + (1-w) log(b) when logs, else w a + (1-w) b. */
static double
fused(const FeatureCache *c, const float *a, const float *b, double w, int logs, double *scores)
{
	for (size_t j = 0; j < (size_t) c->n * N_CLASSES; j++)
		scores[j] = logs ? w * log(fmax(a[j], 1e-30)) + (1.0 - w) * log(fmax(b[j], 1e-30))
			: w * a[j] + (1.0 - w) * b[j];
	return fold_mean_uar(c, scores);
}

int
main(int argc, char **argv)
{
	FeatureCache c;
	float	   *a,
			   *b;
	double	   *scores;

	if (argc != 4)
	{
		fprintf(stderr, "usage: %s CACHE PROBS_A PROBS_B\n", argv[0]);
		return 2;
	}
	feature_cache_load(argv[1], &c);
	a = load_probs(argv[2], c.n);
	b = load_probs(argv[3], c.n);
	scores = malloc(sizeof(double) * (size_t) c.n * N_CLASSES);
	printf("A alone %.4f, B alone %.4f\n", fused(&c, a, b, 1.0, 0, scores), fused(&c, a, b, 0.0, 0, scores));
	printf("equal-weight average of probabilities %.4f, of log-probabilities %.4f\n",
		   fused(&c, a, b, 0.5, 0, scores), fused(&c, a, b, 0.5, 1, scores));
	printf("for information (not a choice): weight of A");
	for (int k = 1; k < 10; k++)
		printf(" %.1f:%.4f", k / 10.0, fused(&c, a, b, k / 10.0, 0, scores));
	printf("\n");
	free(scores);
	free(a);
	free(b);
	feature_cache_free(&c);
	return 0;
}
