/*
 * batch_profiles.c — speaker profiles when the speakers are unknown: how a
 * speaker-normalised model does when each recording is normalised by the
 * profile of the batch being labelled (all its recordings, whoever speaks),
 * or by the profile of its cluster when the batch is clustered by voice,
 * against no profile and against the true speakers' profiles.  RAVDESS
 * actors 01-20, 5 folds of 4 actors; batches are made of the test actors
 * only (one, two of the same or of different gender, all four), so nothing
 * about them reaches training.  Not a test: minutes per network.
 *
 * Usage: test/eval/batch_profiles [--dir D] [--networks K] [--alone K] [--seed S]
 * (default: ../shared/data/ravdess16k, 1 network, seed 1; --alone 3 --networks 3
 * is the shipped recipe, whose "no profile" is its path without profiles).
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/decode.h"
#include "classifier/classifier.h"
#include "dataset/ravdess.h"
#include "features/profile.h"
#include "features/voice_cluster.h"
#include "model/metrics.h"

#define N_CLASSES 8
#define MAX_CLIPS 2048

enum
{
	V_NONE, V_SPEAKER, V_PAIR_MIXED, V_PAIR_SAME, V_FOUR,
	V_CLUSTER_PAIR_MIXED_K2, V_CLUSTER_PAIR_SAME_K2, V_CLUSTER_FOUR_K4, V_CLUSTER_FOUR_K2, N_VARIANTS
};
static const char *const variant_name[N_VARIANTS] = {
	"no profile (the model alone)",
	"true speaker's profile (1 speaker)",
	"batch of 2, mixed gender: batch mean",
	"batch of 2, same gender: batch mean",
	"batch of 4: batch mean",
	"batch of 2 mixed, 2 clusters",
	"batch of 2 same gender, 2 clusters",
	"batch of 4, 4 clusters",
	"batch of 4, 2 clusters",
};

static void
die(const char *what, const SerError *err)
{
	fprintf(stderr, "batch_profiles: %s: %s\n", what, err ? err->message : "");
	exit(1);
}

#include "ravdess_corpus.h"

/* ---- clustering by voice (features/voice_cluster.h) ---- */

static void
cluster_by_voice(const SerCorpus *c, const int *members, int n, int k, int *cluster_of)
{
	int			dim = ser_voice_vector_length(&c->params);
	int			D = ser_utterance_feature_count(&c->params);
	float	   *vectors = malloc(sizeof(float) * (size_t) n * dim);
	float	   *clusters = malloc(sizeof(float) * ser_voice_clusters_length(k, dim));
	SerError	err;

	for (int m = 0; m < n; m++)
		if (ser_voice_vector(&c->params, c->clean[members[m]].utterance, D, vectors + (size_t) m * dim, &err) != SER_OK)
			die("voice vector", &err);
	if (ser_voice_clusters_fit(vectors, n, dim, k, clusters, &err) != SER_OK)
		die("clustering", &err);
	for (int m = 0; m < n; m++)
		cluster_of[m] = ser_voice_cluster_of(clusters, vectors + (size_t) m * dim);
	free(vectors);
	free(clusters);
}

/* Share of members whose cluster's majority speaker is their own speaker (1 = clusters are speakers). */
static double
purity(const SerCorpus *c, const int *members, int n, const int *cluster_of, int k)
{
	int			right = 0;

	for (int q = 0; q < k; q++)
	{
		int			best = 0;

		for (int g = 1; g <= 20; g++)
		{
			int			count = 0;

			for (int m = 0; m < n; m++)
				count += cluster_of[m] == q && c->groups[members[m]] == g;
			if (count > best)
				best = count;
		}
		right += best;
	}
	return (double) right / n;
}

/* ---- prediction ---- */

static void
profile_of(const SerCorpus *c, const int *members, int n, float *profile)
{
	int			F = ser_frame_feature_count(&c->params);
	int			D = ser_utterance_feature_count(&c->params);
	double	   *state = malloc(sizeof(double) * ser_profile_state_length(F, D));
	SerError	err;

	ser_profile_state_init(state, F, D);
	for (int m = 0; m < n; m++)
		if (ser_profile_state_add(state, &c->clean[members[m]], &err) != SER_OK)
			die("profile", &err);
	if (ser_profile_finish(state, profile, &err) != SER_OK)
		die("profile", &err);
	free(state);
}

static void
predict(const SerModel *model, const SerCorpus *c, int i, const float *profile, float *acc)
{
	int			F = ser_frame_feature_count(&c->params);
	int			D = ser_utterance_feature_count(&c->params);
	float		p[N_CLASSES];
	SerError	err;

	if (ser_model_predict(model, c->clean[i].frames, (int) c->clean[i].n_frames, F, c->clean[i].utterance, D,
						  profile, profile ? ser_profile_length(F, D) : 0, p, &err) != SER_OK)
		die("prediction", &err);
	for (int q = 0; q < N_CLASSES; q++)
		acc[(size_t) i * N_CLASSES + q] += p[q];
}

/* Each member normalised by the batch's profile (k = 1) or by its cluster's. */
static void
predict_batch(const SerModel *model, const SerCorpus *c, const int *members, int n, int k, float *acc,
			  double *purity_sum, int *purity_n)
{
	int			F = ser_frame_feature_count(&c->params);
	int			D = ser_utterance_feature_count(&c->params);
	float	   *profile = malloc(sizeof(float) * ser_profile_length(F, D));
	int		   *cluster_of = calloc((size_t) n, sizeof(int));
	int		   *sub = malloc(sizeof(int) * (size_t) n);

	if (k > 1)
	{
		cluster_by_voice(c, members, n, k, cluster_of);
		*purity_sum += purity(c, members, n, cluster_of, k);
		(*purity_n)++;
	}
	for (int q = 0; q < k; q++)
	{
		int			m_n = 0;

		for (int m = 0; m < n; m++)
			if (cluster_of[m] == q)
				sub[m_n++] = members[m];
		if (m_n == 0)
			continue;
		profile_of(c, sub, m_n, profile);
		for (int m = 0; m < m_n; m++)
			predict(model, c, sub[m], profile, acc);
	}
	free(profile);
	free(cluster_of);
	free(sub);
}

static int
members_of(const SerCorpus *c, const int *actors, int n_actors, int *members)
{
	int			n = 0;

	for (int i = 0; i < c->n_clips; i++)
		for (int a = 0; a < n_actors; a++)
			if (c->groups[i] == actors[a])
				members[n++] = i;
	return n;
}

int
main(int argc, char **argv)
{
	const char *dir = "../shared/data/ravdess16k";
	int			networks = 1;
	SerFeatureParams params;
	SerClassifierSpec spec;
	SerCorpus	corpus;
	SerError	err;
	int		   *fold_of;
	int			n_folds;
	float	   *acc[N_VARIANTS];
	double		purity_sum[N_VARIANTS] = {0};
	int			purity_n[N_VARIANTS] = {0};
	const char *classes[N_CLASSES] = {"0", "1", "2", "3", "4", "5", "6", "7"};
	int		   *members = malloc(sizeof(int) * MAX_CLIPS);
	int		   *train = malloc(sizeof(int) * MAX_CLIPS);

	ser_feature_params_default(&params);
	ser_classifier_spec_default(&spec);
	spec.alone_ensemble = 0;	/* --alone K: the shipped recipe's path without profiles */
	spec.calibrate = false;		/* labels only: calibration does not change them */
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--networks") == 0 && i + 1 < argc)
			networks = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			spec.train.seed = (uint64_t) atoll(argv[++i]);
		else if (strcmp(argv[i], "--alone") == 0 && i + 1 < argc)
			spec.alone_ensemble = atoi(argv[++i]);
		else
		{
			fprintf(stderr, "usage: %s [--dir D] [--networks K] [--alone K] [--seed S]\n", argv[0]);
			return 2;
		}
	}
	spec.ensemble = networks;
	spec.speaker_normalisation = true;

	ser_corpus_init(&corpus, &params, NULL);
	eval_load_ravdess(dir, &corpus);
	if (corpus.n_clips > MAX_CLIPS)
		die("too many clips", NULL);
	fold_of = malloc(sizeof(int) * (size_t) corpus.n_clips);
	if (ser_folds_from_spec("1-4;5-8;9-12;13-16;17-20", corpus.groups, corpus.n_clips, fold_of, &n_folds, &err) != SER_OK)
		die("folds", &err);
	if (ser_corpus_build_profiles(&corpus, &err) != SER_OK)
		die("profiles", &err);
	for (int v = 0; v < N_VARIANTS; v++)
		acc[v] = calloc((size_t) corpus.n_clips * N_CLASSES, sizeof(float));
	printf("%d recordings from %s, 5 folds of 4 actors, ensemble of %d, %d networks without speaker normalisation "
		   "for no profile, voice vector of %d values\n",
		   corpus.n_clips, dir, networks, spec.alone_ensemble, ser_voice_vector_length(&params));

	for (int f = 0; f < n_folds; f++)
	{
		int			n_train = 0;
		SerModel   *model;
		int			a = 4 * f + 1;	/* actors a (male), a+1 (female), a+2 (male), a+3 (female) */
		int			one[1],
					mixed[2][2] = {{a, a + 1}, {a + 2, a + 3}},
					same[2][2] = {{a, a + 2}, {a + 1, a + 3}},
					four[4] = {a, a + 1, a + 2, a + 3};
		int			n;

		for (int i = 0; i < corpus.n_clips; i++)
			if (fold_of[i] != f)
				train[n_train++] = i;
		if (ser_classifier_train(&corpus, classes, N_CLASSES, &spec, train, n_train, "", NULL, NULL, &model,
								 NULL, &err) != SER_OK)
			die("training", &err);
		for (int g = 0; g < 4; g++)
		{
			one[0] = a + g;
			n = members_of(&corpus, one, 1, members);
			for (int m = 0; m < n; m++)
				predict(model, &corpus, members[m], NULL, acc[V_NONE]);
			predict_batch(model, &corpus, members, n, 1, acc[V_SPEAKER], NULL, NULL);
		}
		for (int b = 0; b < 2; b++)
		{
			n = members_of(&corpus, mixed[b], 2, members);
			predict_batch(model, &corpus, members, n, 1, acc[V_PAIR_MIXED], NULL, NULL);
			predict_batch(model, &corpus, members, n, 2, acc[V_CLUSTER_PAIR_MIXED_K2],
						  &purity_sum[V_CLUSTER_PAIR_MIXED_K2], &purity_n[V_CLUSTER_PAIR_MIXED_K2]);
			n = members_of(&corpus, same[b], 2, members);
			predict_batch(model, &corpus, members, n, 1, acc[V_PAIR_SAME], NULL, NULL);
			predict_batch(model, &corpus, members, n, 2, acc[V_CLUSTER_PAIR_SAME_K2],
						  &purity_sum[V_CLUSTER_PAIR_SAME_K2], &purity_n[V_CLUSTER_PAIR_SAME_K2]);
		}
		n = members_of(&corpus, four, 4, members);
		predict_batch(model, &corpus, members, n, 1, acc[V_FOUR], NULL, NULL);
		predict_batch(model, &corpus, members, n, 4, acc[V_CLUSTER_FOUR_K4], &purity_sum[V_CLUSTER_FOUR_K4],
					  &purity_n[V_CLUSTER_FOUR_K4]);
		predict_batch(model, &corpus, members, n, 2, acc[V_CLUSTER_FOUR_K2], &purity_sum[V_CLUSTER_FOUR_K2],
					  &purity_n[V_CLUSTER_FOUR_K2]);
		ser_model_free(model);
		printf("fold %d done\n", f + 1);
		fflush(stdout);
	}
	for (int v = 0; v < N_VARIANTS; v++)
	{
		printf("%-40s fold-mean UAR %.4f", variant_name[v],
			   eval_fold_mean_uar(&corpus, fold_of, n_folds, N_CLASSES, acc[v], NULL));
		if (purity_n[v] > 0)
			printf("  (cluster purity %.3f)", purity_sum[v] / purity_n[v]);
		printf("\n");
		free(acc[v]);
	}
	free(fold_of);
	free(members);
	free(train);
	ser_corpus_free(&corpus);
	return 0;
}
