/*
 * crossval_ravdess.c — the cross-validation behind the model card's
 * ablations, outside SQL with the same C core: RAVDESS actors 01-20 in 5
 * folds of 4 actors, networks trained one seed at a time, scored alone and
 * as growing ensembles, with the test actors' profiles from all, 20, 10, 5
 * or 3 of their recordings, from their neutral and calm ones only, and
 * without a profile.  Not a test: it takes minutes per network.
 *
 * Usage: test/eval/crossval_ravdess [--dir D] [--networks K] [--seed S]
 *            [--epochs E] [--validation-fraction V] [--no-speaker-norm]
 *            [--params TEXT] [--probs-out FILE] [--profile-probs-out FILE]
 *            [--also-test D --also-probs-out FILE]
 * (default: ../shared/data/ravdess16k, 3 networks from seed 1, the recipe
 * of ser_train's defaults, the default feature parameters).  --params sets
 * feature parameters in their text form; --probs-out writes the ensemble's
 * out-of-fold probabilities without a profile ([clips][8] floats, in the
 * clip order of feature_cache.c) for fusion with other heads, and
 * --profile-probs-out those with each test actor's profile of all its
 * recordings (speaker-normalised networks only).  --also-test
 * scores the same networks, without a profile, on the same clips from
 * another folder (the 48 kHz originals, say): its UAR, the share of labels
 * that agree, and with --also-probs-out its probabilities.
 * Build: make test/eval/crossval_ravdess.
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
#include "model/metrics.h"

#define N_CLASSES 8

enum
{
	PROFILE_ALL, PROFILE_20, PROFILE_10, PROFILE_5, PROFILE_3, PROFILE_CALM, PROFILE_NONE, N_VARIANTS
};
static const char *const variant_name[N_VARIANTS] = {
	"profile of all recordings", "profile of 20 random recordings", "profile of 10 random recordings",
	"profile of 5 random recordings", "profile of 3 random recordings",
	"profile of neutral+calm recordings", "no profile"
};

static void
die(const char *what, const SerError *err)
{
	fprintf(stderr, "crossval_ravdess: %s: %s\n", what, err ? err->message : "");
	exit(1);
}

/*
 * Write the ensemble's mean probabilities (sum over networks, divided in
 * place) as n_clips x N_CLASSES raw floats, the clip order of the corpus:
 * what fuse_probs reads.
 */
static void
write_mean_probs(const char *path, float *sum, int n_clips, int networks)
{
	FILE	   *f = fopen(path, "wb");
	size_t		count = (size_t) n_clips * N_CLASSES;

	for (size_t j = 0; j < count; j++)
		sum[j] /= (float) networks;
	if (f == NULL || fwrite(sum, sizeof(float), count, f) != count || fclose(f) != 0)
		die(path, NULL);
}

#include "ravdess_corpus.h"

/* The profile a variant gives the test actor g: drawn from its own recordings, labels used only to pick calm ones. */
static bool
variant_profile(const SerCorpus *c, int g, int variant, unsigned *rng, float *profile)
{
	int			F = ser_frame_feature_count(&c->params);
	int			D = ser_utterance_feature_count(&c->params);
	double	   *state = malloc(sizeof(double) * ser_profile_state_length(F, D));
	int			members[256],
				n = 0,
				take;
	SerError	err;
	bool		ok;

	for (int i = 0; i < c->n_clips && n < 256; i++)
		if (c->groups[i] == g && (variant != PROFILE_CALM || c->labels[i] <= 1))
			members[n++] = i;
	take = variant == PROFILE_20 ? 20 : variant == PROFILE_10 ? 10 : variant == PROFILE_5 ? 5 :
		variant == PROFILE_3 ? 3 : n;
	if (take > n)
		take = n;
	for (int j = 0; j < take; j++)	/* a partial Fisher-Yates shuffle picks them */
	{
		int			r;
		int			t;

		*rng = *rng * 1103515245u + 12345u;
		r = j + (int) ((*rng >> 8) % (unsigned) (n - j));
		t = members[j];
		members[j] = members[r];
		members[r] = t;
	}
	ser_profile_state_init(state, F, D);
	for (int j = 0; j < take; j++)
		ser_profile_state_add(state, &c->clean[members[j]], &err);
	ok = take > 0 && ser_profile_finish(state, profile, &err) == SER_OK;
	free(state);
	return ok;
}

int
main(int argc, char **argv)
{
	const char *dir = "../shared/data/ravdess16k";
	const char *probs_out = NULL;
	const char *profile_probs_out = NULL;
	const char *also_dir = NULL;
	const char *also_probs_out = NULL;
	SerCorpus	also;
	float	   *also_sum = NULL;
	int			networks = 3;
	SerFeatureParams params;
	SerClassifierSpec spec;
	SerCorpus	corpus;
	SerWaveAugment augment;
	SerError	err;
	int		   *fold_of;
	int			n_folds;
	float	   *sum[N_VARIANTS];
	const char *classes[N_CLASSES] = {"0", "1", "2", "3", "4", "5", "6", "7"};

	ser_feature_params_default(&params);
	ser_classifier_spec_default(&spec);
	spec.alone_ensemble = 0;	/* one path, chosen by --no-speaker-norm */
	spec.calibrate = false;		/* labels only: calibration does not change them */
	ser_wave_augment_default(&augment);
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--networks") == 0 && i + 1 < argc)
			networks = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			spec.train.seed = (uint64_t) atoll(argv[++i]);
		else if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc)
			spec.train.max_epochs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--validation-fraction") == 0 && i + 1 < argc)
			spec.validation_fraction = atof(argv[++i]);
		else if (strcmp(argv[i], "--no-speaker-norm") == 0)
			spec.speaker_normalisation = false;
		else if (strcmp(argv[i], "--perturbation") == 0 && i + 1 < argc)
			augment.probability = (float) atof(argv[++i]);
		else if (strcmp(argv[i], "--params") == 0 && i + 1 < argc)
		{
			if (ser_feature_params_parse(argv[++i], &params, &err) != SER_OK)
				die("--params", &err);
		}
		else if (strcmp(argv[i], "--probs-out") == 0 && i + 1 < argc)
			probs_out = argv[++i];
		else if (strcmp(argv[i], "--profile-probs-out") == 0 && i + 1 < argc)
			profile_probs_out = argv[++i];
		else if (strcmp(argv[i], "--also-test") == 0 && i + 1 < argc)
			also_dir = argv[++i];
		else if (strcmp(argv[i], "--also-probs-out") == 0 && i + 1 < argc)
			also_probs_out = argv[++i];
		else
		{
			fprintf(stderr, "usage: %s [--dir D] [--networks K] [--seed S] [--epochs E] "
					"[--validation-fraction V] [--no-speaker-norm] [--perturbation P] [--params TEXT] [--probs-out FILE] [--profile-probs-out FILE] [--also-test D] [--also-probs-out FILE]\n", argv[0]);
			return 2;
		}
	}
	spec.ensemble = 1;			/* networks one at a time, averaged here */

	ser_corpus_init(&corpus, &params, &augment);
	eval_load_ravdess(dir, &corpus);
	fold_of = malloc(sizeof(int) * (size_t) corpus.n_clips);
	if (ser_folds_from_spec("1-4;5-8;9-12;13-16;17-20", corpus.groups, corpus.n_clips, fold_of, &n_folds, &err) != SER_OK)
		die("folds", &err);
	if (ser_corpus_build_profiles(&corpus, &err) != SER_OK)
		die("profiles", &err);
	if (also_dir)
	{
		/* the clean features of the other folder's clips (profiles unused) */
		ser_corpus_init(&also, &params, NULL);
		eval_load_ravdess(also_dir, &also);
		if (also.n_clips != corpus.n_clips || ser_corpus_build_profiles(&also, &err) != SER_OK)
			die(also_dir, also.n_clips != corpus.n_clips ? NULL : &err);
		also_sum = calloc((size_t) also.n_clips * N_CLASSES, sizeof(float));
	}
	for (int v = 0; v < N_VARIANTS; v++)
		sum[v] = calloc((size_t) corpus.n_clips * N_CLASSES, sizeof(float));
	printf("%d recordings, 5 folds of 4 actors; %s, %d epochs, validation fraction %g, perturbation %g\n",
		   corpus.n_clips, spec.speaker_normalisation ? "speaker-normalised" : "not speaker-normalised",
		   spec.train.max_epochs, spec.validation_fraction, augment.probability);

	for (int k = 0; k < networks; k++)
	{
		float	   *alone = calloc((size_t) corpus.n_clips * N_CLASSES, sizeof(float));
		unsigned	rng = 12345u;	/* the same profile draws for every network */
		double		sd;

		for (int f = 0; f < n_folds; f++)
		{
			int		   *train = malloc(sizeof(int) * (size_t) corpus.n_clips);
			int			n_train = 0;
			SerModel   *model;
			int			F = ser_frame_feature_count(&params);
			int			D = ser_utterance_feature_count(&params);
			float	   *profile = malloc(sizeof(float) * ser_profile_length(F, D));

			for (int i = 0; i < corpus.n_clips; i++)
				if (fold_of[i] != f)
					train[n_train++] = i;
			if (ser_classifier_train(&corpus, classes, N_CLASSES, &spec, train, n_train, "", NULL, NULL, &model,
									 NULL, &err) != SER_OK)
				die("training", &err);
			for (int g = 1; g <= 20; g++)
			{
				if ((g - 1) / 4 != f)
					continue;
				for (int v = 0; v < N_VARIANTS; v++)
				{
					bool		have = spec.speaker_normalisation && v != PROFILE_NONE &&
						variant_profile(&corpus, g, v, &rng, profile);

					if (!spec.speaker_normalisation && v != PROFILE_NONE)
						continue;
					for (int i = 0; i < corpus.n_clips; i++)
					{
						const SerFeatureSet *cl = &corpus.clean[i];
						float		p[N_CLASSES];

						if (corpus.groups[i] != g)
							continue;
						if (ser_model_predict(model, cl->frames, (int) cl->n_frames, F, cl->utterance, D,
											  have ? profile : NULL, have ? ser_profile_length(F, D) : 0, p, &err) != SER_OK)
							die("prediction", &err);
						for (int q = 0; q < N_CLASSES; q++)
						{
							sum[v][(size_t) i * N_CLASSES + q] += p[q];
							if (v == PROFILE_ALL || (!spec.speaker_normalisation && v == PROFILE_NONE))
								alone[(size_t) i * N_CLASSES + q] = p[q];
						}
					}
				}
			}
			for (int i = 0; also_dir && i < also.n_clips; i++)
			{
				const SerFeatureSet *cl = &also.clean[i];
				float		p[N_CLASSES];

				if (fold_of[i] != f)
					continue;
				if (ser_model_predict(model, cl->frames, (int) cl->n_frames, F, cl->utterance, D, NULL, 0, p,
									  &err) != SER_OK)
					die("prediction", &err);
				for (int q = 0; q < N_CLASSES; q++)
					also_sum[(size_t) i * N_CLASSES + q] += p[q];
			}
			ser_model_free(model);
			free(train);
			free(profile);
		}
		printf("network %d (seed %llu) alone: fold-mean UAR %.4f", k + 1,
			   (unsigned long long) spec.train.seed,
			   eval_fold_mean_uar(&corpus, fold_of, n_folds, N_CLASSES, alone, &sd));
		printf(" ± %.4f\n", sd);
		for (int v = 0; v < N_VARIANTS; v++)
			if (spec.speaker_normalisation || v == PROFILE_NONE)
			{
				double		m = eval_fold_mean_uar(&corpus, fold_of, n_folds, N_CLASSES, sum[v], &sd);

				printf("  ensemble of %d, %-36s: fold-mean UAR %.4f ± %.4f\n", k + 1, variant_name[v], m, sd);
			}
		fflush(stdout);
		free(alone);
		spec.train.seed++;
	}
	if (also_dir)
	{
		double		sd,
					m = eval_fold_mean_uar(&also, fold_of, n_folds, N_CLASSES, also_sum, &sd);
		int			same = 0;

		for (int i = 0; i < corpus.n_clips; i++)
		{
			int			a = 0,
						b = 0;

			for (int q = 1; q < N_CLASSES; q++)
			{
				a = sum[PROFILE_NONE][(size_t) i * N_CLASSES + q] > sum[PROFILE_NONE][(size_t) i * N_CLASSES + a] ? q : a;
				b = also_sum[(size_t) i * N_CLASSES + q] > also_sum[(size_t) i * N_CLASSES + b] ? q : b;
			}
			same += a == b;
		}
		printf("ensemble of %d, no profile, on %s: fold-mean UAR %.4f ± %.4f; labels agree on %d of %d (%.4f)\n",
			   networks, also_dir, m, sd, same, corpus.n_clips, (double) same / corpus.n_clips);
		if (also_probs_out)
			write_mean_probs(also_probs_out, also_sum, also.n_clips, networks);
		free(also_sum);
		ser_corpus_free(&also);
	}
	if (probs_out)
		write_mean_probs(probs_out, sum[PROFILE_NONE], corpus.n_clips, networks);
	if (profile_probs_out && spec.speaker_normalisation)
		write_mean_probs(profile_probs_out, sum[PROFILE_ALL], corpus.n_clips, networks);
	for (int v = 0; v < N_VARIANTS; v++)
		free(sum[v]);
	free(fold_of);
	ser_corpus_free(&corpus);
	return 0;
}
