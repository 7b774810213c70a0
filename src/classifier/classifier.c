/*
 * classifier.c — training, cross-validation and classification on top of
 * the feature extractor and the network.  See classifier.h.
 */
#include "classifier/classifier.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "classifier/recipe.h"
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

SerStatus
ser_classifier_train(SerCorpus *corpus, const char *const *class_names, int n_classes,
					 const SerClassifierSpec *spec, const int *idx, int n,
					 const char *train_info, SerClassifierProgressFn progress, void *progress_ctx,
					 SerModel **model_out, SerTrainSummary *summary, SerError *err)
{
	SerTrainSummary local;
	char		info[2048];
	size_t		used;
	bool	   *candidate;
	SerNetConfig net_cfg;
	FoldProgress fp = {progress, progress_ctx, -1, 0, 0, ensemble_size(spec)};
	char		params_text[SER_FEATURE_PARAMS_TEXT];
	char	   *classes = NULL;
	float	   *population = NULL;
	SerModel   *model = NULL;
	int			n_members = ensemble_size(spec);
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
	if (st == SER_OK && spec->speaker_normalisation)
		st = population_profile(corpus, candidate, &population, err);
	used = (size_t) snprintf(info, sizeof(info), "%s%s", train_info ? train_info : "",
							 train_info && train_info[0] ? "; " : "");
	if (n_members > 1 && used < sizeof(info))
		used += (size_t) snprintf(info + used, sizeof(info) - used,
								  "ensemble of %d networks (seeds %llu to %llu)", n_members,
								  (unsigned long long) spec->train.seed,
								  (unsigned long long) (spec->train.seed + (uint64_t) n_members - 1));
	for (int k = 0; k < n_members && st == SER_OK; k++)
	{
		SerClassifierSpec ks = member_spec(spec, k);
		SerTrainSummary ksum;
		SerTrainResult result;

		memset(&result, 0, sizeof(result));
		fp.member = k;
		st = train_on(corpus, n_classes, &ks, candidate, &fp, &net_cfg, &result, &ksum, err);
		if (st == SER_OK)
			st = grow_model(&model, &result, population, params_text, classes, "", err);
		ser_train_result_free(&result);
		if (st != SER_OK)
			break;
		if (k == 0)
			*summary = ksum;
		if (used < sizeof(info))
		{
			char		who[32] = "";

			if (n_members > 1)
				snprintf(who, sizeof(who), "; network %d: ", k + 1);
			if (ksum.n_val > 0)
				used += (size_t) snprintf(info + used, sizeof(info) - used,
										  "%strained on %d recordings, %d held out for early stopping; "
										  "%d epochs run, weights of epoch %d (validation UAR %.4f)",
										  who, ksum.n_train, ksum.n_val, ksum.epochs_run, ksum.best_epoch,
										  ksum.best_val_uar);
			else
				used += (size_t) snprintf(info + used, sizeof(info) - used,
										  "%strained on %d recordings for %d epochs, no early stopping",
										  who, ksum.n_train, ksum.epochs_run);
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
	ser_free(population);
	ser_free(classes);
	ser_free(candidate);
	return st;
}

/*
 * Predictions of a fold's model for its test clips without their speakers'
 * profiles (the model's population profile), on the clips' clean features.
 */
static SerStatus
predict_without_profile(SerCorpus *corpus, const SerModel *model, int n_classes, const int *test_idx,
						int n_test, int *pred_out, SerError *err)
{
	float		probs[SER_NET_MAX_CLASSES];
	SerStatus	st = SER_OK;

	for (int j = 0; st == SER_OK && j < n_test; j++)
	{
		const SerFeatureSet *clean = &corpus->clean[test_idx[j]];
		int			best = 0;

		if (clean->frames == NULL)
			st = ser_error(err, SER_EINTERNAL, "clip %d has no features", test_idx[j]);
		else
			st = ser_model_predict(model, clean->frames, (int) clean->n_frames, clean->n_frame_features,
								   clean->utterance, clean->n_utterance, NULL, 0, probs, err);
		for (int k = 1; st == SER_OK && k < n_classes; k++)
			if (probs[k] > probs[best])
				best = k;
		if (st == SER_OK)
			pred_out[test_idx[j]] = best;
	}
	return st;
}

SerStatus
ser_classifier_crossval(SerCorpus *corpus, int n_classes, const SerClassifierSpec *spec,
						const int *fold_of, int n_folds,
						SerClassifierProgressFn progress, void *progress_ctx,
						int *pred_out, int *pred_without_profile_out, SerError *err)
{
	int			n = corpus->n_clips;
	int			n_members = ensemble_size(spec);
	bool	   *candidate = ser_calloc((size_t) (n ? n : 1), sizeof(bool));
	int		   *test_idx = ser_malloc_array((size_t) (n ? n : 1), sizeof(int));
	float	   *probs = ser_malloc_array((size_t) (n ? n : 1), (size_t) n_classes * sizeof(float));
	float	   *sum = ser_malloc_array((size_t) (n ? n : 1), (size_t) n_classes * sizeof(float));
	SerStatus	st = SER_OK;

	if (candidate == NULL || test_idx == NULL || probs == NULL || sum == NULL)
	{
		st = ser_error(err, SER_ENOMEM, "out of memory");
		goto done;
	}
	for (int i = 0; i < n; i++)
	{
		pred_out[i] = -1;
		if (pred_without_profile_out != NULL)
			pred_without_profile_out[i] = -1;
	}

	for (int f = 0; f < n_folds && st == SER_OK; f++)
	{
		FoldProgress fp = {progress, progress_ctx, f, n_folds, 0, n_members};
		SerModel   *model = NULL;
		float	   *population = NULL;
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
		memset(sum, 0, sizeof(float) * (size_t) n_test * n_classes);
		if (pred_without_profile_out != NULL && spec->speaker_normalisation)
			st = population_profile(corpus, candidate, &population, err);
		/* Each member votes with its class probabilities, as the ensemble model does. */
		for (int k = 0; k < n_members && st == SER_OK; k++)
		{
			SerClassifierSpec ks = member_spec(spec, k);
			SerTrainResult result;
			SerNetConfig net_cfg;
			SerTrainData data;

			memset(&result, 0, sizeof(result));
			fp.member = k;
			st = train_on(corpus, n_classes, &ks, candidate, &fp, &net_cfg, &result, NULL, err);
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
									   NULL, probs, err);
			}
			for (size_t j = 0; st == SER_OK && j < (size_t) n_test * n_classes; j++)
				sum[j] += probs[j];
			if (st == SER_OK && pred_without_profile_out != NULL)
			{
				/* The model wants a class list; the names do not matter here. */
				char		classes[SER_NET_MAX_CLASSES * 4];
				size_t		used = 0;

				for (int c = 0; c < n_classes; c++)
					used += (size_t) snprintf(classes + used, sizeof(classes) - used, "%s%d", c ? "\n" : "", c);
				st = grow_model(&model, &result, population, "", classes, "", err);
			}
			ser_train_result_free(&result);
		}
		for (int j = 0; st == SER_OK && j < n_test; j++)
		{
			int			best = 0;

			for (int c = 1; c < n_classes; c++)
				if (sum[(size_t) j * n_classes + c] > sum[(size_t) j * n_classes + best])
					best = c;
			pred_out[test_idx[j]] = best;
		}
		if (st == SER_OK && pred_without_profile_out != NULL)
			st = predict_without_profile(corpus, model, n_classes, test_idx, n_test, pred_without_profile_out, err);
		ser_model_free(model);
		ser_free(population);
	}

done:
	ser_free(candidate);
	ser_free(test_idx);
	ser_free(probs);
	ser_free(sum);
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
