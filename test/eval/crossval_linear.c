/*
 * crossval_linear.c — a recording classified alone by the linear head
 * (model/linear_head.h) on cached utterance vectors (feature_cache.c):
 * 5-fold actor-grouped cross-validation on RAVDESS actors 01-20 ({01-04}
 * ... {17-20}), the L2 strength chosen inside each outer fold by a nested
 * 4-fold cross-validation over its training actors (the other four outer
 * folds), by mean inner UAR.  Nothing about a test actor is used but the
 * one recording being classified.  Not a test.
 *
 * Usage: test/eval/crossval_linear --train FILE [--train-also FILE]...
 *            [--test FILE]... [--drop PREFIX]... [--keep PREFIX]...
 *            [--lambdas a,b,c] [--probs-out FILE] [--shift FILE_A FILE_B]
 *   --train       the cache the head is fitted on (and the inner folds use)
 *   --train-also  more versions of the same clips (another format, a noise
 *                 floor) added to the training rows: recording-chain
 *                 augmentation; the inner folds score the --train version
 *   --test        the versions the test folds are scored on (default: the
 *                 --train cache); with two or more, the share of clips
 *                 whose label is the same in every pair is reported
 *   --drop/--keep features whose names start with a prefix
 *   --probs-out   the out-of-fold probabilities of the first --test version
 *                 ([n][8] floats, clip order of the cache)
 *   --shift A B   instead: which features move most between two versions
 *                 of the clips (mean |a - b| in units of the feature's
 *                 standard deviation over the corpus), the 40 largest
 * Build: make test/eval/crossval_linear.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feature_cache.h"
#include "model/linear_head.h"

#define N_CLASSES 8
#define N_FOLDS 5
#define MAX_VERSIONS 8
#define MAX_PREFIXES 32
#define MAX_LAMBDAS 16

static int
fold_of_actor(int actor)
{
	return (actor - 1) / 4;
}

/* UAR of predictions pred[] against labels over the rows where use[i]. */
static double
uar(const int *label, const int *pred, const char *use, int n)
{
	int			hit[N_CLASSES] = {0},
				total[N_CLASSES] = {0},
				present = 0;
	double		sum = 0.0;

	for (int i = 0; i < n; i++)
		if (use[i])
		{
			total[label[i]]++;
			hit[label[i]] += pred[i] == label[i];
		}
	for (int k = 0; k < N_CLASSES; k++)
		if (total[k] > 0)
		{
			sum += (double) hit[k] / total[k];
			present++;
		}
	return present ? sum / present : 0.0;
}

static int
argmax(const float *p)
{
	int			best = 0;

	for (int k = 1; k < N_CLASSES; k++)
		if (p[k] > p[best])
			best = k;
	return best;
}

static int
has_prefix(const char *name, char *const *prefixes, int n)
{
	for (int i = 0; i < n; i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

/* The selected columns of every row of c, as a dense matrix. */
static float *
select_columns(const FeatureCache *c, const int *columns, int n_columns)
{
	float	   *x = malloc(sizeof(float) * (size_t) c->n * (size_t) n_columns);

	for (int i = 0; i < c->n; i++)
		for (int j = 0; j < n_columns; j++)
			x[(size_t) i * n_columns + j] = c->x[(size_t) i * c->dim + columns[j]];
	return x;
}

static void
fit_or_die(const float *x, const int *y, const int *idx, int n, int d, double l2, SerLinearHead *head)
{
	SerLinearHeadOptions o;
	SerError	err;

	ser_linear_head_options_default(&o);
	o.l2 = l2;
	if (ser_linear_head_fit(x, y, idx, n, d, N_CLASSES, &o, head, &err) != SER_OK)
	{
		fprintf(stderr, "crossval_linear: %s\n", err.message);
		exit(1);
	}
}

static void
feature_shift(const char *path_a, const char *path_b)
{
	FeatureCache a,
				b;
	double	   *shift;
	int		   *order;

	feature_cache_load(path_a, &a);
	feature_cache_load(path_b, &b);
	if (a.n != b.n || a.dim != b.dim)
	{
		fprintf(stderr, "crossval_linear: the caches do not hold the same clips and features\n");
		exit(1);
	}
	shift = calloc((size_t) a.dim, sizeof(double));
	order = malloc(sizeof(int) * (size_t) a.dim);
	for (int j = 0; j < a.dim; j++)
	{
		double		mean = 0.0,
					var = 0.0,
					moved = 0.0;

		for (int i = 0; i < a.n; i++)
			mean += a.x[(size_t) i * a.dim + j];
		mean /= a.n;
		for (int i = 0; i < a.n; i++)
		{
			double		dv = a.x[(size_t) i * a.dim + j] - mean;

			var += dv * dv;
			moved += fabs((double) a.x[(size_t) i * a.dim + j] - b.x[(size_t) i * a.dim + j]);
		}
		var /= a.n;
		shift[j] = var > 0.0 ? moved / a.n / sqrt(var) : 0.0;
		order[j] = j;
	}
	for (int i = 1; i < a.dim; i++)		/* insertion sort, largest first */
		for (int k = i; k > 0 && shift[order[k]] > shift[order[k - 1]]; k--)
		{
			int			t = order[k];

			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	{
		double		total = 0.0;
		int			above = 0;

		for (int j = 0; j < a.dim; j++)
		{
			total += shift[j];
			above += shift[j] > 0.1;
		}
		printf("mean shift over %d features: %.4f sd; features moving more than 0.1 sd: %d\n", a.dim,
			   total / a.dim, above);
	}
	for (int r = 0; r < 40 && r < a.dim; r++)
		printf("%8.4f  %s\n", shift[order[r]], feature_cache_name(&a, order[r]));
	free(shift);
	free(order);
	feature_cache_free(&a);
	feature_cache_free(&b);
}

int
main(int argc, char **argv)
{
	const char *train_path = NULL;
	const char *also_path[MAX_VERSIONS];
	const char *test_path[MAX_VERSIONS];
	char	   *drop[MAX_PREFIXES],
			   *keep[MAX_PREFIXES];
	int			n_also = 0,
				n_test = 0,
				n_drop = 0,
				n_keep = 0;
	double		lambdas[MAX_LAMBDAS] = {1e-2, 3e-2, 1e-1, 3e-1};
	int			n_lambdas = 4;
	const char *probs_out = NULL;
	FeatureCache train,
				also[MAX_VERSIONS],
				test[MAX_VERSIONS];
	int		   *columns;
	int			d = 0;
	float	   *x_train;
	float	   *x_also[MAX_VERSIONS];
	float	   *x_test[MAX_VERSIONS];
	float	   *probs[MAX_VERSIONS];
	int		   *y_all;
	int		   *rows;
	int			n_all;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--train") == 0 && i + 1 < argc)
			train_path = argv[++i];
		else if (strcmp(argv[i], "--train-also") == 0 && i + 1 < argc && n_also < MAX_VERSIONS)
			also_path[n_also++] = argv[++i];
		else if (strcmp(argv[i], "--test") == 0 && i + 1 < argc && n_test < MAX_VERSIONS)
			test_path[n_test++] = argv[++i];
		else if (strcmp(argv[i], "--drop") == 0 && i + 1 < argc && n_drop < MAX_PREFIXES)
			drop[n_drop++] = argv[++i];
		else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc && n_keep < MAX_PREFIXES)
			keep[n_keep++] = argv[++i];
		else if (strcmp(argv[i], "--probs-out") == 0 && i + 1 < argc)
			probs_out = argv[++i];
		else if (strcmp(argv[i], "--lambdas") == 0 && i + 1 < argc)
		{
			char	   *s = argv[++i];

			n_lambdas = 0;
			while (*s && n_lambdas < MAX_LAMBDAS)
			{
				lambdas[n_lambdas++] = strtod(s, &s);
				if (*s == ',')
					s++;
			}
		}
		else if (strcmp(argv[i], "--shift") == 0 && i + 2 < argc)
		{
			feature_shift(argv[i + 1], argv[i + 2]);
			return 0;
		}
		else
		{
			fprintf(stderr, "usage: %s --train FILE [--train-also FILE]... [--test FILE]... "
					"[--drop PREFIX]... [--keep PREFIX]... [--lambdas a,b] [--probs-out FILE] | --shift A B\n",
					argv[0]);
			return 2;
		}
	}
	if (train_path == NULL)
	{
		fprintf(stderr, "crossval_linear: --train is required\n");
		return 2;
	}
	if (n_test == 0)
		test_path[n_test++] = train_path;

	feature_cache_load(train_path, &train);
	for (int v = 0; v < n_also; v++)
		feature_cache_load(also_path[v], &also[v]);
	for (int v = 0; v < n_test; v++)
	{
		feature_cache_load(test_path[v], &test[v]);
		if (test[v].n != train.n || test[v].dim != train.dim)
		{
			fprintf(stderr, "crossval_linear: %s does not hold the clips and features of %s\n", test_path[v],
					train_path);
			return 1;
		}
	}
	for (int v = 0; v < n_also; v++)
		if (also[v].n != train.n || also[v].dim != train.dim)
		{
			fprintf(stderr, "crossval_linear: %s does not match %s\n", also_path[v], train_path);
			return 1;
		}
	columns = malloc(sizeof(int) * (size_t) train.dim);
	for (int j = 0; j < train.dim; j++)
	{
		const char *name = feature_cache_name(&train, j);

		if ((n_keep == 0 || has_prefix(name, keep, n_keep)) && !has_prefix(name, drop, n_drop))
			columns[d++] = j;
	}
	x_train = select_columns(&train, columns, d);
	for (int v = 0; v < n_also; v++)
		x_also[v] = select_columns(&also[v], columns, d);
	for (int v = 0; v < n_test; v++)
	{
		x_test[v] = select_columns(&test[v], columns, d);
		probs[v] = calloc((size_t) train.n * N_CLASSES, sizeof(float));
	}

	/* training rows: the --train version, then every --train-also version, stacked */
	n_all = train.n * (1 + n_also);
	{
		float	   *stacked = malloc(sizeof(float) * (size_t) n_all * (size_t) d);

		memcpy(stacked, x_train, sizeof(float) * (size_t) train.n * (size_t) d);
		for (int v = 0; v < n_also; v++)
			memcpy(stacked + (size_t) train.n * (v + 1) * d, x_also[v], sizeof(float) * (size_t) train.n * (size_t) d);
		free(x_train);
		x_train = stacked;
	}
	y_all = malloc(sizeof(int) * (size_t) n_all);
	for (int r = 0; r < n_all; r++)
		y_all[r] = train.label[r % train.n];
	rows = malloc(sizeof(int) * (size_t) n_all);

	printf("%d clips, %d of %d features; train %s", train.n, d, train.dim, train_path);
	for (int v = 0; v < n_also; v++)
		printf(" + %s", also_path[v]);
	printf("\nL2 grid:");
	for (int l = 0; l < n_lambdas; l++)
		printf(" %g", lambdas[l]);
	printf(" (chosen per outer fold by nested 4-fold actor-grouped CV)\n");

	for (int f = 0; f < N_FOLDS; f++)
	{
		double		best_score = -1.0,
					best_lambda = lambdas[0];
		SerLinearHead head;

		for (int l = 0; l < n_lambdas; l++)
		{
			double		score = 0.0;

			for (int g = 0; g < N_FOLDS; g++)
			{
				int			n_rows = 0;
				int		   *pred = malloc(sizeof(int) * (size_t) train.n);
				char	   *use = calloc((size_t) train.n, 1);

				if (g == f)
				{
					free(pred);
					free(use);
					continue;
				}
				for (int r = 0; r < n_all; r++)
				{
					int			fold = fold_of_actor(train.actor[r % train.n]);

					if (fold != f && fold != g)
						rows[n_rows++] = r;
				}
				fit_or_die(x_train, y_all, rows, n_rows, d, lambdas[l], &head);
				for (int i = 0; i < train.n; i++)
					if (fold_of_actor(train.actor[i]) == g)
					{
						float		p[N_CLASSES];

						ser_linear_head_predict(&head, x_train + (size_t) i * d, p);
						pred[i] = argmax(p);
						use[i] = 1;
					}
				score += uar(train.label, pred, use, train.n) / (N_FOLDS - 1);
				ser_linear_head_free(&head);
				free(pred);
				free(use);
			}
			if (score > best_score)
			{
				best_score = score;
				best_lambda = lambdas[l];
			}
		}
		{
			int			n_rows = 0;

			for (int r = 0; r < n_all; r++)
				if (fold_of_actor(train.actor[r % train.n]) != f)
					rows[n_rows++] = r;
			fit_or_die(x_train, y_all, rows, n_rows, d, best_lambda, &head);
		}
		printf("fold %d: l2 %g (inner UAR %.4f, %d L-BFGS iterations)", f + 1, best_lambda, best_score,
			   head.iterations);
		for (int v = 0; v < n_test; v++)
		{
			int		   *pred = malloc(sizeof(int) * (size_t) train.n);
			char	   *use = calloc((size_t) train.n, 1);

			for (int i = 0; i < train.n; i++)
				if (fold_of_actor(train.actor[i]) == f)
				{
					ser_linear_head_predict(&head, x_test[v] + (size_t) i * d, probs[v] + (size_t) i * N_CLASSES);
					pred[i] = argmax(probs[v] + (size_t) i * N_CLASSES);
					use[i] = 1;
				}
			printf("; UAR %.4f", uar(train.label, pred, use, train.n));
			free(pred);
			free(use);
		}
		printf("\n");
		fflush(stdout);
		ser_linear_head_free(&head);
	}

	for (int v = 0; v < n_test; v++)
	{
		int		   *pred = malloc(sizeof(int) * (size_t) train.n);
		char	   *use = malloc((size_t) train.n);
		double		sum = 0.0,
					squares = 0.0,
					correct = 0.0;

		for (int i = 0; i < train.n; i++)
		{
			pred[i] = argmax(probs[v] + (size_t) i * N_CLASSES);
			correct += pred[i] == train.label[i];
		}
		for (int f = 0; f < N_FOLDS; f++)
		{
			double		u;

			for (int i = 0; i < train.n; i++)
				use[i] = fold_of_actor(train.actor[i]) == f;
			u = uar(train.label, pred, use, train.n);
			sum += u;
			squares += u * u;
		}
		printf("test %s: fold-mean UAR %.4f ± %.4f, accuracy %.4f\n", test_path[v], sum / N_FOLDS,
			   sqrt(fmax(0.0, squares / N_FOLDS - (sum / N_FOLDS) * (sum / N_FOLDS))), correct / train.n);
		free(pred);
		free(use);
	}
	for (int a = 0; a < n_test; a++)
		for (int b = a + 1; b < n_test; b++)
		{
			int			same = 0;

			for (int i = 0; i < train.n; i++)
				same += argmax(probs[a] + (size_t) i * N_CLASSES) == argmax(probs[b] + (size_t) i * N_CLASSES);
			printf("label agreement %s vs %s: %.4f (%d of %d)\n", test_path[a], test_path[b],
				   (double) same / train.n, same, train.n);
		}
	if (probs_out)
	{
		FILE	   *f = fopen(probs_out, "wb");

		if (f == NULL || fwrite(probs[0], sizeof(float), (size_t) train.n * N_CLASSES, f) != (size_t) train.n * N_CLASSES
			|| fclose(f) != 0)
		{
			fprintf(stderr, "crossval_linear: cannot write %s\n", probs_out);
			return 1;
		}
	}

	free(columns);
	free(x_train);
	free(y_all);
	free(rows);
	for (int v = 0; v < n_also; v++)
	{
		free(x_also[v]);
		feature_cache_free(&also[v]);
	}
	for (int v = 0; v < n_test; v++)
	{
		free(x_test[v]);
		free(probs[v]);
		feature_cache_free(&test[v]);
	}
	feature_cache_free(&train);
	return 0;
}
