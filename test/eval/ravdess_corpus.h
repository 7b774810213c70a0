/*
 * ravdess_corpus.h — what the evaluation programs share: reading a file
 * whole, file names in a fixed order, and loading RAVDESS actors 01-20 into
 * a corpus as the shipped model's training query does (files in name order,
 * one of the byte-identical pair of actor 07 left out).  Header-only, as
 * each program is one .c file built by the pattern rule `make
 * test/eval/NAME`; the including program defines
 *     static void die(const char *what, const SerError *err);
 * (print and exit) before including it.
 */
#ifndef SER_EVAL_RAVDESS_CORPUS_H
#define SER_EVAL_RAVDESS_CORPUS_H

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/decode.h"
#include "classifier/corpus.h"
#include "dataset/ravdess.h"
#include "model/metrics.h"

static inline unsigned char *
eval_read_file(const char *path, size_t *n)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *b;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0)
		die(path, NULL);
	*n = (size_t) ftell(f);
	rewind(f);
	b = malloc(*n ? *n : 1);
	if (b == NULL || fread(b, 1, *n, f) != *n)
		die(path, NULL);
	fclose(f);
	return b;
}

/* For qsort of char *: the same order on every machine. */
static inline int
eval_compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The audio files (.flac, .wav) of dir/Actor_NN in name order into
 * names[max] (strdup'd: the caller frees them); returns their count.
 */
static inline int
eval_actor_files(const char *dir, int actor, char **names, int max)
{
	char		path[1024];
	DIR		   *d;
	struct dirent *e;
	int			n = 0;

	snprintf(path, sizeof(path), "%s/Actor_%02d", dir, actor);
	if ((d = opendir(path)) == NULL)
		die(path, NULL);
	while ((e = readdir(d)) != NULL && n < max)
		if (strstr(e->d_name, ".flac") || strstr(e->d_name, ".wav"))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t) n, sizeof(char *), eval_compare_names);
	return n;
}

static inline void
eval_load_ravdess(const char *dir, SerCorpus *c)
{
	for (int actor = 1; actor <= 20; actor++)
	{
		char		path[1024];
		char	   *names[256];
		int			n = eval_actor_files(dir, actor, names, 256);

		for (int i = 0; i < n; i++)
		{
			SerRavdessName rn;
			SerError	err;
			SerDecodeOptions opt = {c->params.sample_rate, 600};
			SerPcm		pcm;
			unsigned char *bytes;
			size_t		len;

			if (ser_ravdess_parse(names[i], &rn, &err) != SER_OK)
				die(names[i], &err);
			if (strcmp(rn.code, "03-01-03-01-02-02-07") != 0)
			{
				snprintf(path, sizeof(path), "%s/Actor_%02d/%s", dir, actor, names[i]);
				bytes = eval_read_file(path, &len);
				if (ser_audio_decode(bytes, len, &opt, &pcm, NULL, &err) != SER_OK ||
					ser_corpus_add(c, pcm.samples, pcm.n_samples, rn.codes[SER_RAVDESS_EMOTION] - 1, actor,
								   &err) != SER_OK)
					die(path, &err);
				ser_pcm_free(&pcm);
				free(bytes);
			}
			free(names[i]);
		}
	}
}

#define EVAL_MAX_FOLD_CLIPS 4096
#define EVAL_MAX_CLASSES 16

/*
 * UAR of each fold (fold_of[i] = f), the argmax of probs[i][n_classes]
 * against the corpus's labels: their mean, and their standard deviation in
 * *sd (may be NULL).
 */
static inline double
eval_fold_mean_uar(const SerCorpus *c, const int *fold_of, int n_folds, int n_classes, const float *probs,
				   double *sd)
{
	double		sum = 0,
				squares = 0;

	if (n_classes > EVAL_MAX_CLASSES)
		die("too many classes", NULL);
	for (int f = 0; f < n_folds; f++)
	{
		int			truth[EVAL_MAX_FOLD_CLIPS],
					pred[EVAL_MAX_FOLD_CLIPS],
					confusion[EVAL_MAX_CLASSES * EVAL_MAX_CLASSES],
					m = 0;
		SerMetrics	mt;
		SerError	err;

		for (int i = 0; i < c->n_clips && m < EVAL_MAX_FOLD_CLIPS; i++)
			if (fold_of[i] == f)
			{
				int			best = 0;

				for (int k = 1; k < n_classes; k++)
					if (probs[(size_t) i * n_classes + k] > probs[(size_t) i * n_classes + best])
						best = k;
				truth[m] = c->labels[i];
				pred[m++] = best;
			}
		ser_confusion_matrix(truth, pred, m, n_classes, confusion, &err);
		ser_metrics_from_confusion(confusion, n_classes, &mt, &err);
		sum += mt.uar;
		squares += mt.uar * mt.uar;
	}
	if (sd != NULL)
		*sd = sqrt(fmax(0.0, squares / n_folds - (sum / n_folds) * (sum / n_folds)));
	return sum / n_folds;
}

#endif							/* SER_EVAL_RAVDESS_CORPUS_H */
