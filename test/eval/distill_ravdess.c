/*
 * distill_ravdess.c — can one network per path do the work of the shipped
 * ensemble?  Knowledge distillation measured with the C core on RAVDESS
 * actors 01-20, 5 folds of 4 actors (speaker-independent).  In each fold:
 *
 *   teacher  the shipped recipe (ser_recipe_defaults, waveform perturbation
 *            included): 3 speaker-normalised networks + 3 trained without
 *            profiles, no calibration;
 *   first    the teacher's first network of each kind (seed S): the model
 *            ser_train(..., ensemble => 1, alone_ensemble => 1) gives;
 *   student  one network per path, same seed and recipe as "first", fitted
 *            to (1 - alpha) onehot(label) + alpha softmax(log p / T), p the
 *            teacher's probabilities for its training clips (its profile
 *            path with each clip's speaker profile for the speaker-normalised
 *            student, its path without a profile for the other).
 *
 * Test clips are classified with their actor's profile of all its
 * recordings, and alone (the model's path without a profile: both kinds of
 * network averaged).  Only the training folds' clips and labels reach the
 * teacher and the students.  Not a test: a fold trains 8 networks.
 *
 * Usage: test/eval/distill_ravdess [--dir D] [--folds 1,3,5] [--seed S]
 *            [--epochs E] [--alpha A] [--temperature T] --out FILE
 *        test/eval/distill_ravdess --summarise FILE...
 * The first form runs the listed folds (default all) and writes every
 * variant's out-of-fold probabilities as raw floats
 * [variant][clip][8], zero for the clips of folds not run, so that runs of
 * different folds (one per core) add up; the second adds such files and
 * prints each variant's fold-mean UAR.  Build: make test/eval/distill_ravdess.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/classifier.h"
#include "classifier/recipe.h"
#include "features/profile.h"

#define N_CLASSES 8

static void
die(const char *what, const SerError *err)
{
	fprintf(stderr, "distill_ravdess: %s: %s\n", what, err ? err->message : "");
	exit(1);
}

#include "ravdess_corpus.h"

enum
{
	TEACHER_PROFILE, TEACHER_ALONE, FIRST_PROFILE, FIRST_ALONE, FIRST_ALONE_NET,
	STUDENT_PROFILE, STUDENT_ALONE, STUDENT_ALONE_NET, N_VARIANTS
};
static const char *const variant_name[N_VARIANTS] = {
	"teacher (3 + 3 networks), with a profile  ",
	"teacher (3 + 3 networks), alone           ",
	"first (1 + 1 networks), with a profile    ",
	"first (1 + 1 networks), alone             ",
	"first network without profiles, alone     ",
	"student (1 + 1 networks), with a profile  ",
	"student (1 + 1 networks), alone           ",
	"student network without profiles, alone   ",
};

#define CLIP_ROW(a, v, n, i) ((a) + ((size_t) (v) * (n) + (size_t) (i)) * N_CLASSES)

static const char *const classes[N_CLASSES] = {"0", "1", "2", "3", "4", "5", "6", "7"};

/* Predict clip i of the corpus (its clean features), with the profile or alone. */
static void
predict_clip(const SerModel *model, const SerCorpus *c, int i, const float *profile, float *p)
{
	const SerFeatureSet *cl = &c->clean[i];
	int			F = ser_frame_feature_count(&c->params);
	int			D = ser_utterance_feature_count(&c->params);
	SerError	err;

	if (ser_model_predict(model, cl->frames, (int) cl->n_frames, F, cl->utterance, D, profile,
						  profile ? ser_profile_length(F, D) : 0, p, &err) != SER_OK)
		die("prediction", &err);
}

/* The speaker profile of all of clip i's group's recordings. */
static const float *
group_profile(const SerCorpus *c, int i)
{
	int			F = ser_frame_feature_count(&c->params);
	int			D = ser_utterance_feature_count(&c->params);

	return c->profiles + (size_t) c->groups[i] * ser_profile_length(F, D);
}

/* (1 - alpha) onehot(label) + alpha softmax(log p / T) into target. */
static void
soft_target(const float *p, int label, double alpha, double temperature, float *target)
{
	double		z[N_CLASSES],
				peak = -INFINITY,
				total = 0.0;

	for (int k = 0; k < N_CLASSES; k++)
	{
		z[k] = log(p[k] > 1e-30f ? p[k] : 1e-30f) / temperature;
		peak = z[k] > peak ? z[k] : peak;
	}
	for (int k = 0; k < N_CLASSES; k++)
		total += (z[k] = exp(z[k] - peak));
	for (int k = 0; k < N_CLASSES; k++)
		target[k] = (float) ((1.0 - alpha) * (k == label) + alpha * z[k] / total);
}

static SerModel *
train(SerCorpus *c, const SerClassifierSpec *spec, const int *idx, int n)
{
	SerModel   *model;
	SerError	err;

	if (ser_classifier_train(c, classes, N_CLASSES, spec, idx, n, "", NULL, NULL, &model, NULL, &err) != SER_OK)
		die("training", &err);
	return model;
}

static void
summarise(int n_files, char **files)
{
	SerFeatureParams params;
	SerCorpus	corpus;
	float	   *sum = NULL;
	int		   *fold_of;
	int			n_folds;
	SerError	err;

	/* The clip order, labels and actors; the audio itself is not needed, but is what gives them. */
	ser_feature_params_default(&params);
	ser_corpus_init(&corpus, &params, NULL);
	eval_load_ravdess(getenv("DISTILL_DIR") ? getenv("DISTILL_DIR") : "../shared/data/ravdess16k", &corpus);
	sum = calloc((size_t) N_VARIANTS * corpus.n_clips * N_CLASSES, sizeof(float));
	for (int f = 0; f < n_files; f++)
	{
		size_t		count = (size_t) N_VARIANTS * corpus.n_clips * N_CLASSES,
					len;
		unsigned char *bytes = eval_read_file(files[f], &len);

		if (len != count * sizeof(float))
			die(files[f], NULL);
		for (size_t j = 0; j < count; j++)
		{
			float		v;

			memcpy(&v, bytes + j * sizeof(float), sizeof(float));
			sum[j] += v;
		}
		free(bytes);
	}
	fold_of = malloc(sizeof(int) * (size_t) corpus.n_clips);
	if (ser_folds_from_spec("1-4;5-8;9-12;13-16;17-20", corpus.groups, corpus.n_clips, fold_of, &n_folds, &err) != SER_OK)
		die("folds", &err);
	printf("%d recordings, 5 folds of 4 actors (fold mean ± standard deviation over folds)\n", corpus.n_clips);
	for (int v = 0; v < N_VARIANTS; v++)
	{
		double		sd,
					m = eval_fold_mean_uar(&corpus, fold_of, n_folds, N_CLASSES, CLIP_ROW(sum, v, corpus.n_clips, 0), &sd);

		printf("  %s: UAR %.4f ± %.4f\n", variant_name[v], m, sd);
	}
	free(sum);
	free(fold_of);
	ser_corpus_free(&corpus);
}

int
main(int argc, char **argv)
{
	const char *dir = "../shared/data/ravdess16k";
	const char *out = NULL;
	bool		run_fold[5] = {true, true, true, true, true};
	double		alpha = 0.7,
				temperature = 2.0;
	uint64_t	seed = 1;
	int			epochs = 0;		/* 0: the recipe's */
	SerFeatureParams params;
	SerClassifierSpec spec;
	SerWaveAugment augment;
	SerCorpus	corpus;
	SerError	err;
	int		   *fold_of;
	int			n_folds;
	float	   *rows,
			   *target_profile,
			   *target_alone;
	FILE	   *f;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--summarise") == 0)
		{
			summarise(argc - i - 1, argv + i + 1);
			return 0;
		}
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = (uint64_t) atoll(argv[++i]);
		else if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc)
			epochs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--alpha") == 0 && i + 1 < argc)
			alpha = atof(argv[++i]);
		else if (strcmp(argv[i], "--temperature") == 0 && i + 1 < argc)
			temperature = atof(argv[++i]);
		else if (strcmp(argv[i], "--folds") == 0 && i + 1 < argc)
		{
			char	   *list = argv[++i];

			memset(run_fold, 0, sizeof(run_fold));
			for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
			{
				int			k = atoi(tok);

				if (k < 1 || k > 5)
					die("--folds takes fold numbers 1 to 5", NULL);
				run_fold[k - 1] = true;
			}
		}
		else
			out = NULL, i = argc;
	}
	if (out == NULL || !(alpha >= 0.0 && alpha <= 1.0) || !(temperature > 0.0))
	{
		fprintf(stderr, "usage: %s [--dir D] [--folds 1,3,5] [--seed S] [--epochs E] [--alpha A] [--temperature T] --out FILE\n"
				"       %s --summarise FILE...\n", argv[0], argv[0]);
		return 2;
	}

	ser_feature_params_default(&params);
	ser_classifier_spec_default(&spec);
	ser_wave_augment_default(&augment);
	ser_recipe_defaults(&spec, &augment);	/* the shipped recipe, waveform perturbation included */
	spec.calibrate = false;		/* labels and fold-mean UAR only */
	spec.train.seed = seed;
	if (epochs > 0)
		spec.train.max_epochs = epochs;
	ser_corpus_init(&corpus, &params, &augment);
	eval_load_ravdess(dir, &corpus);
	if (ser_corpus_build_profiles(&corpus, &err) != SER_OK)
		die("profiles", &err);
	fold_of = malloc(sizeof(int) * (size_t) corpus.n_clips);
	if (ser_folds_from_spec("1-4;5-8;9-12;13-16;17-20", corpus.groups, corpus.n_clips, fold_of, &n_folds, &err) != SER_OK)
		die("folds", &err);
	rows = calloc((size_t) N_VARIANTS * corpus.n_clips * N_CLASSES, sizeof(float));
	target_profile = calloc((size_t) corpus.n_clips * N_CLASSES, sizeof(float));
	target_alone = calloc((size_t) corpus.n_clips * N_CLASSES, sizeof(float));
	printf("%d recordings; teacher: %d + %d networks, perturbation %g; students: alpha %g, temperature %g, seed %llu\n",
		   corpus.n_clips, spec.ensemble, spec.alone_ensemble, augment.probability, alpha, temperature,
		   (unsigned long long) seed);
	fflush(stdout);

	for (int fold = 0; fold < n_folds; fold++)
	{
		int		   *train_idx = malloc(sizeof(int) * (size_t) corpus.n_clips);
		int			n_train = 0;
		SerModel   *teacher,
				   *student,
				   *student_alone;
		SerClassifierSpec s;
		int			kept_main,
					kept_alone;

		if (!run_fold[fold])
		{
			free(train_idx);
			continue;
		}
		for (int i = 0; i < corpus.n_clips; i++)
			if (fold_of[i] != fold)
				train_idx[n_train++] = i;

		/* The teacher, and its probabilities for its own training clips. */
		teacher = train(&corpus, &spec, train_idx, n_train);
		for (int j = 0; j < n_train; j++)
		{
			int			i = train_idx[j];
			float		p[N_CLASSES];

			predict_clip(teacher, &corpus, i, group_profile(&corpus, i), p);
			soft_target(p, corpus.labels[i], alpha, temperature, target_profile + (size_t) i * N_CLASSES);
			predict_clip(teacher, &corpus, i, NULL, p);
			soft_target(p, corpus.labels[i], alpha, temperature, target_alone + (size_t) i * N_CLASSES);
		}

		/* Students: the seed and recipe of the teacher's first network of each kind. */
		s = spec;
		s.ensemble = 1;
		s.alone_ensemble = 0;
		s.soft_targets = target_profile;
		student = train(&corpus, &s, train_idx, n_train);
		s.speaker_normalisation = false;
		s.soft_targets = target_alone;
		student_alone = train(&corpus, &s, train_idx, n_train);
		if (ser_model_attach_alone(student, student_alone, &err) != SER_OK)
			die("attach", &err);

		for (int i = 0; i < corpus.n_clips; i++)
		{
			const float *profile = group_profile(&corpus, i);

			if (fold_of[i] != fold)
				continue;
			predict_clip(teacher, &corpus, i, profile, CLIP_ROW(rows, TEACHER_PROFILE, corpus.n_clips, i));
			predict_clip(teacher, &corpus, i, NULL, CLIP_ROW(rows, TEACHER_ALONE, corpus.n_clips, i));
			predict_clip(student, &corpus, i, profile, CLIP_ROW(rows, STUDENT_PROFILE, corpus.n_clips, i));
			predict_clip(student, &corpus, i, NULL, CLIP_ROW(rows, STUDENT_ALONE, corpus.n_clips, i));
			predict_clip(ser_model_alone(student), &corpus, i, NULL,
						 CLIP_ROW(rows, STUDENT_ALONE_NET, corpus.n_clips, i));
		}
		/* The teacher cut to its first network of each kind: members are averaged in order. */
		kept_main = teacher->n_members;
		kept_alone = teacher->alone->n_members;
		teacher->n_members = 1;
		teacher->alone->n_members = 1;
		for (int i = 0; i < corpus.n_clips; i++)
		{
			if (fold_of[i] != fold)
				continue;
			predict_clip(teacher, &corpus, i, group_profile(&corpus, i), CLIP_ROW(rows, FIRST_PROFILE, corpus.n_clips, i));
			predict_clip(teacher, &corpus, i, NULL, CLIP_ROW(rows, FIRST_ALONE, corpus.n_clips, i));
			predict_clip(teacher->alone, &corpus, i, NULL, CLIP_ROW(rows, FIRST_ALONE_NET, corpus.n_clips, i));
		}
		teacher->n_members = kept_main;
		teacher->alone->n_members = kept_alone;
		ser_model_free(teacher);
		ser_model_free(student);
		free(train_idx);
		printf("fold %d done\n", fold + 1);
		fflush(stdout);
	}

	f = fopen(out, "wb");
	if (f == NULL || fwrite(rows, sizeof(float), (size_t) N_VARIANTS * corpus.n_clips * N_CLASSES, f)
		!= (size_t) N_VARIANTS * corpus.n_clips * N_CLASSES || fclose(f) != 0)
		die(out, NULL);
	free(rows);
	free(target_profile);
	free(target_alone);
	free(fold_of);
	ser_corpus_free(&corpus);
	return 0;
}
