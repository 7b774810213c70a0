/*
 * classifier.c — training, cross-validation and classification on top of
 * the feature extractor and the network.  See classifier.h.
 */
#include "classifier/classifier.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "classifier/recipe.h"
#include "model/calibration.h"
#include "model/metrics.h"

/*
 * The trainer's mechanics (model/train.c), the recipe's arguments
 * (recipe.c), and the architecture of the shipped model, narrower than the
 * network's own default (32-channel stem, three 16-channel branches, one
 * residual block, dropout 0.5): with ~1,000 training clips the wider
 * network overfits (model/README.md).
 */
void
ser_classifier_spec_default(SerClassifierSpec *spec)
{
	memset(spec, 0, sizeof(*spec));
	ser_train_default_config(&spec->train);
	spec->stem_channels = 32;
	spec->branch_channels = 16;
	spec->n_res_blocks = 1;
	spec->dropout = 0.5f;
	spec->frame_cmn = 0;
	spec->calibration_folds = 5;
	ser_recipe_defaults(spec, NULL);
}

SerStatus
ser_classifier_net_config(const SerClassifierSpec *spec, const SerFeatureParams *params, int n_classes,
						  SerNetConfig *cfg, SerError *err)
{
	ser_net_default_config(cfg, ser_frame_feature_count(params), ser_utterance_feature_count(params),
						   n_classes);
	if (spec->stem_channels > 0)
		cfg->stem_channels = spec->stem_channels;
	if (spec->branch_channels > 0)
		cfg->branch_channels = spec->branch_channels;
	if (spec->n_res_blocks >= 0)
		cfg->n_res_blocks = spec->n_res_blocks;
	if (spec->utt_hidden > 0)
		cfg->utt_hidden = spec->utt_hidden;
	if (spec->fused_hidden > 0)
		cfg->fused_hidden = spec->fused_hidden;
	if (spec->dropout >= 0)
		cfg->dropout_fused = cfg->dropout_hidden = spec->dropout;
	cfg->frame_cmn = spec->frame_cmn;
	cfg->speaker_normalisation = spec->speaker_normalisation ? 1 : 0;
	return ser_net_config_validate(cfg, err);
}

typedef struct FoldProgress
{
	SerClassifierProgressFn fn;
	void	   *ctx;
	int			fold;
	int			n_folds;
	int			member;
	int			n_members;
} FoldProgress;

static void
forward_progress(void *ctx, const SerEpochReport *report)
{
	FoldProgress *fp = ctx;

	if (fp->fn != NULL)
		fp->fn(fp->ctx, fp->fold, fp->n_folds, fp->member, fp->n_members, report);
}

/* The spec of ensemble member k: the same recipe, its own seed. */
static SerClassifierSpec
member_spec(const SerClassifierSpec *spec, int k)
{
	SerClassifierSpec s = *spec;

	s.train.seed = spec->train.seed + (uint64_t) k;
	return s;
}

static int
ensemble_size(const SerClassifierSpec *spec)
{
	return spec->ensemble > 0 ? spec->ensemble : 1;
}

/* The profile of the clips marked in candidate (the population profile of a model trained on them). */
static SerStatus
population_profile(SerCorpus *corpus, const bool *candidate, float **out, SerError *err)
{
	int			F = ser_frame_feature_count(&corpus->params);
	int			D = ser_utterance_feature_count(&corpus->params);
	float	   *population = ser_malloc_array(ser_profile_length(F, D), sizeof(float));
	int		   *members = ser_malloc_array((size_t) (corpus->n_clips ? corpus->n_clips : 1), sizeof(int));
	int			n_members = 0;
	SerStatus	st = SER_OK;

	if (population == NULL || members == NULL)
		st = ser_error(err, SER_ENOMEM, "out of memory");
	for (int i = 0; st == SER_OK && i < corpus->n_clips; i++)
		if (candidate[i])
			members[n_members++] = i;
	if (st == SER_OK)
		st = ser_corpus_pooled_profile(corpus, members, n_members, population, err);
	ser_free(members);
	if (st != SER_OK)
	{
		ser_free(population);
		return st;
	}
	*out = population;
	return SER_OK;
}

/* Add a trained network to an ensemble model, creating the model with the first. */
static SerStatus
grow_model(SerModel **model, const SerTrainResult *r, const float *population, const char *params_text,
		   const char *classes, const char *info, SerError *err)
{
	SerStatus	st;

	if (*model == NULL &&
		(st = ser_model_create(&r->net->cfg, population, params_text, classes, info, model, err)) != SER_OK)
		return st;
	return ser_model_add_member(*model, r->net, &r->norm, err);
}

/*
 * Split the candidate clips into training and validation sets by group and
 * run the trainer.
 */
static SerStatus
train_on(SerCorpus *corpus, int n_classes, const SerClassifierSpec *spec, const bool *candidate,
		 FoldProgress *fp, SerNetConfig *net_cfg, SerTrainResult *result, SerTrainSummary *summary,
		 SerError *err)
{
	int			n = corpus->n_clips;
	bool	   *is_val = ser_calloc((size_t) n, sizeof(bool));
	int		   *train_idx = ser_malloc_array((size_t) n, sizeof(int));
	int		   *val_idx = ser_malloc_array((size_t) n, sizeof(int));
	SerTrainData data;
	SerStatus	st;
	int			n_train = 0,
				n_val = 0;

	if (is_val == NULL || train_idx == NULL || val_idx == NULL)
	{
		st = ser_error(err, SER_ENOMEM, "out of memory");
		goto done;
	}
	st = ser_classifier_net_config(spec, &corpus->params, n_classes, net_cfg, err);
	if (st != SER_OK)
		goto done;
	corpus->speaker_normalisation = spec->speaker_normalisation;
	if (spec->speaker_normalisation && corpus->profiles == NULL)
	{
		st = ser_corpus_build_profiles(corpus, err);
		if (st != SER_OK)
			goto done;
	}
	if (spec->validation_fraction > 0)
	{
		st = ser_group_holdout(corpus->groups, candidate, n, spec->validation_fraction,
							   spec->train.seed, is_val, err);
		if (st != SER_OK)
			goto done;
	}
	for (int i = 0; i < n; i++)
	{
		if (!candidate[i])
			continue;
		if (is_val[i])
			val_idx[n_val++] = i;
		else
			train_idx[n_train++] = i;
	}
	if (n_train < 2)
	{
		st = ser_error(err, SER_EINVAL, "too few training recordings (%d)", n_train);
		goto done;
	}

	memset(&data, 0, sizeof(data));
	data.n_classes = n_classes;
	data.n_frame_features = net_cfg->n_frame_features;
	data.n_utt_features = net_cfg->n_utt_features;
	data.labels = corpus->labels;
	data.soft_targets = spec->soft_targets;
	data.train_idx = train_idx;
	data.n_train = n_train;
	data.val_idx = val_idx;
	data.n_val = n_val;
	data.get_sample = ser_corpus_get_sample;
	data.sample_ctx = corpus;
	data.progress = forward_progress;
	data.progress_ctx = fp;
	st = ser_train(net_cfg, &spec->train, &data, result, err);
	if (st == SER_OK && summary != NULL)
	{
		summary->n_train = n_train;
		summary->n_val = n_val;
		summary->epochs_run = result->epochs_run;
		summary->best_epoch = result->best_epoch;
		summary->best_val_uar = result->best_val_uar;
	}

done:
	ser_free(is_val);
	ser_free(train_idx);
	ser_free(val_idx);
	return st;
}

static SerStatus
join_classes(const char *const *class_names, int n_classes, char **out, SerError *err)
{
	size_t		len = 1;
	char	   *text;

	for (int k = 0; k < n_classes; k++)
	{
		if (class_names[k] == NULL || class_names[k][0] == '\0' || strchr(class_names[k], '\n'))
			return ser_error(err, SER_EINVAL, "class %d has an empty name or a line break", k + 1);
		len += strlen(class_names[k]) + 1;
	}
	text = ser_malloc(len);
	if (text == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory");
	text[0] = '\0';
	for (int k = 0; k < n_classes; k++)
	{
		strcat(text, class_names[k]);
		if (k + 1 < n_classes)
			strcat(text, "\n");
	}
	*out = text;
	return SER_OK;
}

/* Append to the provenance text info[size] at *used. */
static void info_append(char *info, size_t size, size_t *used, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static void
info_append(char *info, size_t size, size_t *used, const char *fmt,...)
{
	va_list		ap;

	if (*used >= size)
		return;
	va_start(ap, fmt);
	*used += (size_t) vsnprintf(info + *used, size - *used, fmt, ap);
	va_end(ap);
}

/*
 * Train spec->ensemble networks of spec on the candidate clips into a new
 * model, recording each network's figures in info (under title, when
 * there is one).
 */
static SerStatus
train_ensemble(SerCorpus *corpus, int n_classes, const SerClassifierSpec *spec, const bool *candidate,
			   const char *params_text, const char *classes, FoldProgress *fp, const char *title,
			   SerModel **model_out, SerTrainSummary *summary, char *info, size_t info_size, size_t *used,
			   SerError *err)
{
	int			n_members = ensemble_size(spec);
	float	   *population = NULL;
	SerModel   *model = NULL;
	SerNetConfig net_cfg;
	SerStatus	st = SER_OK;

	*model_out = NULL;
	if (spec->speaker_normalisation)
		st = population_profile(corpus, candidate, &population, err);
	if (st == SER_OK && n_members > 1)
		info_append(info, info_size, used, "%s%sensemble of %d networks (seeds %llu to %llu)", *used ? "; " : "",
					title, n_members, (unsigned long long) spec->train.seed,
					(unsigned long long) (spec->train.seed + (uint64_t) n_members - 1));
	else if (st == SER_OK && title[0] != '\0')
		info_append(info, info_size, used, "%s%sone network (seed %llu)", *used ? "; " : "", title,
					(unsigned long long) spec->train.seed);
	fp->n_members = n_members;
	for (int k = 0; k < n_members && st == SER_OK; k++)
	{
		SerClassifierSpec ks = member_spec(spec, k);
		SerTrainSummary ksum;
		SerTrainResult result;

		memset(&result, 0, sizeof(result));
		fp->member = k;
		st = train_on(corpus, n_classes, &ks, candidate, fp, &net_cfg, &result, &ksum, err);
		if (st == SER_OK)
			st = grow_model(&model, &result, population, params_text, classes, "", err);
		ser_train_result_free(&result);
		if (st != SER_OK)
			break;
		if (k == 0 && summary != NULL)
			*summary = ksum;
		if (n_members > 1)
			info_append(info, info_size, used, "; network %d: ", k + 1);
		else
			info_append(info, info_size, used, "%s", *used && title[0] != '\0' ? ": " : *used ? "; " : "");
		if (ksum.n_val > 0)
			info_append(info, info_size, used,
						"trained on %d recordings, %d held out for early stopping; "
						"%d epochs run, weights of epoch %d (validation UAR %.4f)",
						ksum.n_train, ksum.n_val, ksum.epochs_run, ksum.best_epoch, ksum.best_val_uar);
		else
			info_append(info, info_size, used, "trained on %d recordings for %d epochs, no early stopping",
						ksum.n_train, ksum.epochs_run);
	}
	ser_free(population);
	if (st != SER_OK)
	{
		ser_model_free(model);
		return st;
	}
	*model_out = model;
	return SER_OK;
}

/*
 * Temperatures of the model's paths from out-of-fold predictions of a
 * speaker-grouped cross-validation over the candidate clips (the model is
 * then trained on all of them; calibration.h).  *folds_used is 0 when
 * there are fewer than two speakers: no temperature is fitted.
 */
static SerStatus
fit_temperatures(SerCorpus *corpus, int n_classes, const SerClassifierSpec *spec, const bool *candidate,
				 SerClassifierProgressFn progress, void *progress_ctx, double *t_main, double *t_alone,
				 int *folds_used, SerError *err)
{
	int			n = corpus->n_clips;
	int		   *groups = ser_malloc_array((size_t) (n ? n : 1), sizeof(int));
	int		   *index = ser_malloc_array((size_t) (n ? n : 1), sizeof(int));
	int		   *fold_of = ser_malloc_array((size_t) (n ? n : 1), sizeof(int));
	int		   *compact_fold = ser_malloc_array((size_t) (n ? n : 1), sizeof(int));
	int		   *labels = ser_malloc_array((size_t) (n ? n : 1), sizeof(int));
	float	   *probs = ser_malloc_array((size_t) (n ? n : 1), (size_t) n_classes * sizeof(float));
	float	   *alone = ser_malloc_array((size_t) (n ? n : 1), (size_t) n_classes * sizeof(float));
	SerClassifierSpec inner = *spec;
	int			m = 0,
				n_groups = 0,
				k;
	SerStatus	st = SER_OK;

	*t_main = *t_alone = 1.0;
	*folds_used = 0;
	if (!groups || !index || !fold_of || !compact_fold || !labels || !probs || !alone)
	{
		st = ser_error(err, SER_ENOMEM, "out of memory");
		goto done;
	}
	for (int i = 0; i < n; i++)
	{
		fold_of[i] = -1;
		if (candidate[i])
		{
			index[m] = i;
			groups[m++] = corpus->groups[i];
		}
	}
	if ((st = ser_group_count(groups, m, &n_groups, err)) != SER_OK)
		goto done;
	k = spec->calibration_folds < n_groups ? spec->calibration_folds : n_groups;
	if (k < 2)
		goto done;
	if ((st = ser_group_kfold(groups, m, k, compact_fold, err)) != SER_OK)
		goto done;
	for (int j = 0; j < m; j++)
		fold_of[index[j]] = compact_fold[j];
	inner.calibrate = false;
	st = ser_classifier_crossval(corpus, n_classes, &inner, fold_of, k, progress, progress_ctx, probs,
								 spec->speaker_normalisation ? alone : NULL, err);
	/* The fitted rows: the candidates, compacted. */
	for (int j = 0; st == SER_OK && j < m; j++)
	{
		labels[j] = corpus->labels[index[j]];
		memmove(probs + (size_t) j * n_classes, probs + (size_t) index[j] * n_classes, sizeof(float) * n_classes);
		memmove(alone + (size_t) j * n_classes, alone + (size_t) index[j] * n_classes, sizeof(float) * n_classes);
	}
	if (st == SER_OK)
		st = ser_calibration_fit_temperature(probs, labels, m, n_classes, t_main, err);
	if (st == SER_OK && spec->speaker_normalisation)
		st = ser_calibration_fit_temperature(alone, labels, m, n_classes, t_alone, err);
	if (st == SER_OK)
		*folds_used = k;

done:
	ser_free(groups);
	ser_free(index);
	ser_free(fold_of);
	ser_free(compact_fold);
	ser_free(labels);
	ser_free(probs);
	ser_free(alone);
	return st;
}

SerStatus
ser_classifier_train(SerCorpus *corpus, const char *const *class_names, int n_classes,
					 const SerClassifierSpec *spec, const int *idx, int n,
					 const char *train_info, SerClassifierProgressFn progress, void *progress_ctx,
					 SerModel **model_out, SerTrainSummary *summary, SerError *err)
{
	SerTrainSummary local;
	char		info[4096];
	size_t		used = 0;
	bool	   *candidate;
	FoldProgress fp = {progress, progress_ctx, -1, 0, 0, ensemble_size(spec)};
	char		params_text[SER_FEATURE_PARAMS_TEXT];
	char	   *classes = NULL;
	SerModel   *model = NULL;
	SerModel   *alone = NULL;
	bool		with_alone = spec->speaker_normalisation && spec->alone_ensemble > 0;
	double		t_main = 1.0,
				t_alone = 1.0;
	int			calibration_folds = 0;
	SerStatus	st;

	*model_out = NULL;
	candidate = ser_calloc((size_t) (corpus->n_clips ? corpus->n_clips : 1), sizeof(bool));
	if (candidate == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory");
	if (idx == NULL)
		for (int i = 0; i < corpus->n_clips; i++)
			candidate[i] = true;
	else
		for (int i = 0; i < n; i++)
			candidate[idx[i]] = true;

	st = ser_feature_params_format(&corpus->params, params_text, sizeof(params_text), err);
	if (st == SER_OK)
		st = join_classes(class_names, n_classes, &classes, err);
	if (summary == NULL)
		summary = &local;
	info_append(info, sizeof(info), &used, "%s", train_info ? train_info : "");

	/* Calibration first: its cross-validation trains fold models that are then dropped. */
	if (st == SER_OK && spec->calibrate)
		st = fit_temperatures(corpus, n_classes, spec, candidate, progress, progress_ctx, &t_main, &t_alone,
							  &calibration_folds, err);
	if (st == SER_OK)
		st = train_ensemble(corpus, n_classes, spec, candidate, params_text, classes, &fp,
							with_alone ? "with speaker profiles: " : "", &model, summary, info, sizeof(info),
							&used, err);
	if (st == SER_OK && with_alone)
	{
		SerClassifierSpec alone_spec = *spec;

		alone_spec.speaker_normalisation = false;
		alone_spec.ensemble = spec->alone_ensemble;
		st = train_ensemble(corpus, n_classes, &alone_spec, candidate, params_text, classes, &fp,
							"without a profile: ", &alone, NULL, info, sizeof(info), &used, err);
		if (st == SER_OK)
		{
			st = ser_model_attach_alone(model, alone, err);
			alone = NULL;
		}
	}
	if (st == SER_OK && spec->calibrate)
	{
		if (calibration_folds == 0)
			info_append(info, sizeof(info), &used, "%snot calibrated: fewer than 2 speakers", used ? "; " : "");
		else
		{
			st = ser_model_set_temperature(model, t_main, err);
			if (st == SER_OK && with_alone)
				st = ser_model_set_temperature(model->alone, t_alone, err);
			info_append(info, sizeof(info), &used,
						"%stemperature %.4f%s%.4g fitted on out-of-fold predictions of %d folds grouped by speaker",
						used ? "; " : "", ser_model_temperature(model), with_alone ? " (without a profile: " : "",
						with_alone ? ser_model_temperature(model->alone) : 0.0, calibration_folds);
		}
	}
	if (st == SER_OK)
	{
		/* The model was assembled before the whole story was known. */
		st = ser_model_set_train_info(model, info, err);
		if (st == SER_OK)
		{
			*model_out = model;
			model = NULL;
		}
	}
	ser_model_free(model);
	ser_model_free(alone);
	ser_free(classes);
	ser_free(candidate);
	return st;
}

/*
 * Probabilities of a fold's model for its test clips without their
 * speakers' profiles (the model's population profile), on the clips' clean
 * features.
 */
static SerStatus
predict_without_profile(SerCorpus *corpus, const SerModel *model, int n_classes, const int *test_idx,
						int n_test, float *probs_out, SerError *err)
{
	SerStatus	st = SER_OK;

	for (int j = 0; st == SER_OK && j < n_test; j++)
	{
		const SerFeatureSet *clean = &corpus->clean[test_idx[j]];

		if (clean->frames == NULL)
			st = ser_error(err, SER_EINTERNAL, "clip %d has no features", test_idx[j]);
		else
			st = ser_model_predict(model, clean->frames, (int) clean->n_frames, clean->n_frame_features,
								   clean->utterance, clean->n_utterance, NULL, 0,
								   probs_out + (size_t) test_idx[j] * n_classes, err);
	}
	return st;
}

/*
 * Train an ensemble of spec on the candidate clips and write its averaged
 * probabilities for the test clips into out[clip][n_classes] (normalised
 * the spec's way); with keep (not NULL), also assemble the fold's model
 * there (to classify without profiles).
 */
static SerStatus
fold_ensemble(SerCorpus *corpus, int n_classes, const SerClassifierSpec *spec, const bool *candidate,
			  const int *test_idx, int n_test, FoldProgress *fp, float *scratch, float *out, SerModel **keep,
			  const float *population, SerError *err)
{
	int			n_members = ensemble_size(spec);
	SerStatus	st = SER_OK;

	for (int j = 0; j < n_test; j++)
		memset(out + (size_t) test_idx[j] * n_classes, 0, sizeof(float) * n_classes);
	fp->n_members = n_members;
	/* Each member votes with its class probabilities, as the ensemble model does. */
	for (int k = 0; k < n_members && st == SER_OK; k++)
	{
		SerClassifierSpec ks = member_spec(spec, k);
		SerTrainResult result;
		SerNetConfig net_cfg;
		SerTrainData data;

		memset(&result, 0, sizeof(result));
		fp->member = k;
		st = train_on(corpus, n_classes, &ks, candidate, fp, &net_cfg, &result, NULL, err);
		if (st == SER_OK)
		{
			memset(&data, 0, sizeof(data));
			data.n_classes = n_classes;
			data.n_frame_features = net_cfg.n_frame_features;
			data.n_utt_features = net_cfg.n_utt_features;
			data.labels = corpus->labels;
			data.get_sample = ser_corpus_get_sample;
			data.sample_ctx = corpus;
			st = ser_train_predict(result.net, &data, &result.norm, test_idx, n_test, spec->train.batch_size,
								   NULL, scratch, err);
		}
		for (int j = 0; st == SER_OK && j < n_test; j++)
			for (int c = 0; c < n_classes; c++)
				out[(size_t) test_idx[j] * n_classes + c] += scratch[(size_t) j * n_classes + c];
		if (st == SER_OK && keep != NULL)
		{
			/* The model wants a class list; the names do not matter here. */
			char		classes[SER_NET_MAX_CLASSES * 4];
			size_t		used = 0;

			for (int c = 0; c < n_classes; c++)
				used += (size_t) snprintf(classes + used, sizeof(classes) - used, "%s%d", c ? "\n" : "", c);
			st = grow_model(keep, &result, population, "", classes, "", err);
		}
		ser_train_result_free(&result);
	}
	/* The average, as ser_model_predict computes it. */
	if (st == SER_OK && n_members > 1)
		for (int j = 0; j < n_test; j++)
			for (int c = 0; c < n_classes; c++)
				out[(size_t) test_idx[j] * n_classes + c] /= (float) n_members;
	return st;
}

SerStatus
ser_classifier_crossval(SerCorpus *corpus, int n_classes, const SerClassifierSpec *spec,
						const int *fold_of, int n_folds,
						SerClassifierProgressFn progress, void *progress_ctx,
						float *probs_out, float *probs_alone_out, SerError *err)
{
	int			n = corpus->n_clips;
	bool	   *candidate = ser_calloc((size_t) (n ? n : 1), sizeof(bool));
	int		   *test_idx = ser_malloc_array((size_t) (n ? n : 1), sizeof(int));
	float	   *scratch = ser_malloc_array((size_t) (n ? n : 1), (size_t) n_classes * sizeof(float));
	bool		with_alone = spec->speaker_normalisation && spec->alone_ensemble > 0;
	float	   *alone_rows = with_alone ? ser_malloc_array((size_t) (n ? n : 1), (size_t) n_classes * sizeof(float))
		: NULL;
	SerStatus	st = SER_OK;

	if (candidate == NULL || test_idx == NULL || scratch == NULL || (with_alone && alone_rows == NULL))
	{
		st = ser_error(err, SER_ENOMEM, "out of memory");
		goto done;
	}
	memset(probs_out, 0, sizeof(float) * (size_t) n * n_classes);
	if (probs_alone_out != NULL)
		memset(probs_alone_out, 0, sizeof(float) * (size_t) n * n_classes);

	for (int f = 0; f < n_folds && st == SER_OK; f++)
	{
		FoldProgress fp = {progress, progress_ctx, f, n_folds, 0, 0};
		SerModel   *model = NULL;
		float	   *population = NULL;
		bool		population_path = probs_alone_out != NULL && spec->speaker_normalisation;
		int			n_test = 0;

		for (int i = 0; i < n; i++)
		{
			candidate[i] = fold_of[i] >= 0 && fold_of[i] != f;
			if (fold_of[i] == f)
				test_idx[n_test++] = i;
		}
		if (n_test == 0)
		{
			st = ser_error(err, SER_EINVAL, "fold %d has no recordings", f + 1);
			break;
		}
		if (population_path)
			st = population_profile(corpus, candidate, &population, err);
		if (st == SER_OK)
			st = fold_ensemble(corpus, n_classes, spec, candidate, test_idx, n_test, &fp, scratch, probs_out,
							   population_path ? &model : NULL, population, err);
		if (st == SER_OK && population_path)
			st = predict_without_profile(corpus, model, n_classes, test_idx, n_test, probs_alone_out, err);
		else if (st == SER_OK && probs_alone_out != NULL)
			for (int j = 0; j < n_test; j++)
				memcpy(probs_alone_out + (size_t) test_idx[j] * n_classes,
					   probs_out + (size_t) test_idx[j] * n_classes, sizeof(float) * n_classes);
		if (st == SER_OK && population_path && with_alone)
		{
			/* Every network that classifies alone votes, as ser_model_predict does. */
			SerClassifierSpec alone_spec = *spec;
			int			n_main = ensemble_size(spec);

			alone_spec.speaker_normalisation = false;
			alone_spec.ensemble = spec->alone_ensemble;
			st = fold_ensemble(corpus, n_classes, &alone_spec, candidate, test_idx, n_test, &fp, scratch,
							   alone_rows, NULL, NULL, err);
			for (int j = 0; st == SER_OK && j < n_test; j++)
				for (int c = 0; c < n_classes; c++)
				{
					size_t		at = (size_t) test_idx[j] * n_classes + c;

					probs_alone_out[at] = (probs_alone_out[at] * n_main + alone_rows[at] * spec->alone_ensemble) /
						(float) (n_main + spec->alone_ensemble);
				}
		}
		ser_model_free(model);
		ser_free(population);
	}

done:
	ser_free(candidate);
	ser_free(test_idx);
	ser_free(scratch);
	ser_free(alone_rows);
	return st;
}

SerStatus
ser_classifier_cross_calibrate(const float *probs, const int *labels, const int *fold_of, int n, int n_folds,
							   int n_classes, float *out, double *temperature_out, SerError *err)
{
	float	   *rows = ser_malloc_array((size_t) (n ? n : 1), (size_t) n_classes * sizeof(float));
	int		   *row_labels = ser_malloc_array((size_t) (n ? n : 1), sizeof(int));
	SerStatus	st = SER_OK;

	if (rows == NULL || row_labels == NULL)
		st = ser_error(err, SER_ENOMEM, "out of memory");
	else if (n_folds < 2)
		st = ser_error(err, SER_EINVAL, "cross-fitted calibration needs at least 2 folds");
	for (int f = 0; st == SER_OK && f < n_folds; f++)
	{
		int			m = 0;

		for (int i = 0; i < n; i++)
			if (fold_of[i] >= 0 && fold_of[i] != f)
			{
				memcpy(rows + (size_t) m * n_classes, probs + (size_t) i * n_classes, sizeof(float) * n_classes);
				row_labels[m++] = labels[i];
			}
		st = ser_calibration_fit_temperature(rows, row_labels, m, n_classes, &temperature_out[f], err);
	}
	/* Scaled after every fit, so out may be probs. */
	for (int i = 0; st == SER_OK && i < n; i++)
		if (fold_of[i] >= 0)
			ser_calibration_apply(temperature_out[fold_of[i]], probs + (size_t) i * n_classes, n_classes,
								  out + (size_t) i * n_classes);
	ser_free(rows);
	ser_free(row_labels);
	return st;
}

SerStatus
ser_classifier_model_params(const SerModel *model, SerFeatureParams *params, SerError *err)
{
	const SerNetConfig *cfg = ser_model_config(model);
	const char *text = ser_model_feature_params(model);
	SerStatus	st = ser_feature_params_parse(text ? text : "", params, err);

	if (st != SER_OK)
	{
		ser_error(err, SER_ECORRUPT, "model holds unreadable feature parameters");
		return SER_ECORRUPT;
	}
	if (ser_frame_feature_count(params) != cfg->n_frame_features ||
		ser_utterance_feature_count(params) != cfg->n_utt_features)
	{
		ser_error(err, SER_ECORRUPT, "model does not match its feature parameters");
		ser_error_detail(err, "The parameters give %d frame and %d utterance features; the network takes %d and %d.",
						 ser_frame_feature_count(params), ser_utterance_feature_count(params),
						 cfg->n_frame_features, cfg->n_utt_features);
		return SER_ECORRUPT;
	}
	return SER_OK;
}

/*
 * Features once, then the gate (when gate is not NULL) and, for speech or
 * without a gate, the model.
 */
static SerStatus
predict(const SerModel *model, const SerFeatureParams *params, const float *pcm, size_t n,
		const float *speaker_profile, size_t profile_length, const SerSpeechGate *gate, float *probs,
		SerSpeechEvidence *speech, SerSpeechVerdict *verdict, SerError *err)
{
	SerFeatureSet set;
	SerStatus	st;

	/* Judged before the features are computed, so a wrong profile fails fast. */
	if (speaker_profile != NULL &&
		(st = ser_model_check_speaker_profile(model, speaker_profile, profile_length, err)) != SER_OK)
		return st;
	memset(&set, 0, sizeof(set));
	st = ser_extract_features(params, pcm, n, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE, &set, err);
	if (st != SER_OK)
		return st;
	if (gate != NULL)
	{
		st = ser_speech_evidence(params, set.frames, set.n_frames, set.n_frame_features, speech, err);
		*verdict = st == SER_OK ? ser_speech_verdict(gate, speech) : SER_SPEECH_TOO_LITTLE_VOICED;
		if (st != SER_OK || *verdict != SER_SPEECH_YES)
		{
			ser_feature_set_free(&set);
			return st;
		}
	}
	st = ser_model_predict(model, set.frames, (int) set.n_frames, set.n_frame_features,
						   set.utterance, set.n_utterance, speaker_profile, profile_length, probs, err);
	ser_feature_set_free(&set);

	/*
	 * A model whose checksum is right can still hold finite weights so large
	 * (say 4e37, from a damaged or hand-made blob) that the network
	 * overflows to infinity and NaN: no probability, let alone an emotion,
	 * is then better than a made-up one (found by fuzzing model loading).
	 */
	for (int k = 0; st == SER_OK && k < ser_model_class_count(model); k++)
		if (!isfinite(probs[k]))
		{
			st = ser_error(err, SER_ECORRUPT, "corrupt model: the network's output is not finite");
			ser_error_detail(err, "Its weights overflow single precision on this recording.");
			ser_error_hint(err, "Retrain the model; a model trained by ser_train does not do this.");
		}
	return st;
}

SerStatus
ser_classifier_predict(const SerModel *model, const SerFeatureParams *params,
					   const float *pcm, size_t n, const float *speaker_profile,
					   size_t profile_length, float *probs, SerError *err)
{
	return predict(model, params, pcm, n, speaker_profile, profile_length, NULL, probs, NULL, NULL, err);
}

SerStatus
ser_classifier_predict_speech(const SerModel *model, const SerFeatureParams *params,
							  const float *pcm, size_t n, const float *speaker_profile,
							  size_t profile_length, const SerSpeechGate *gate, float *probs,
							  SerSpeechEvidence *speech, SerSpeechVerdict *verdict, SerError *err)
{
	return predict(model, params, pcm, n, speaker_profile, profile_length, gate, probs, speech, verdict, err);
}
