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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/decode.h"
#include "classifier/corpus.h"
#include "dataset/ravdess.h"

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

static inline void
eval_load_ravdess(const char *dir, SerCorpus *c)
{
	for (int actor = 1; actor <= 20; actor++)
	{
		char		path[1024];
		DIR		   *d;
		struct dirent *e;
		char	   *names[256];
		int			n = 0;

		snprintf(path, sizeof(path), "%s/Actor_%02d", dir, actor);
		if ((d = opendir(path)) == NULL)
			die(path, NULL);
		while ((e = readdir(d)) != NULL && n < 256)
			if (strstr(e->d_name, ".flac") || strstr(e->d_name, ".wav"))
				names[n++] = strdup(e->d_name);
		closedir(d);
		qsort(names, (size_t) n, sizeof(char *), eval_compare_names);
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

#endif							/* SER_EVAL_RAVDESS_CORPUS_H */
