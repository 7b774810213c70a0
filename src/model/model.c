/*
 * model.c — the inference model: members, what the model is, and
 * prediction.  See model.h.
 */
#include "model/model.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "features/profile.h"
#include "common/finite.h"
#include "model/calibration.h"

static void
member_free(SerModelMember *mb)
{
	ser_net_free(mb->net);
	ser_norm_stats_free(&mb->norm);
	memset(mb, 0, sizeof(*mb));
}

void
ser_model_free(SerModel *model)
{
	if (model == NULL)
		return;
	for (int k = 0; k < model->n_members; k++)
		member_free(&model->members[k]);
	ser_free(model->population_profile);
	ser_free(model->feature_params);
	ser_free(model->classes);
	ser_free(model->train_info);
	ser_model_free(model->alone);
	ser_free(model);
}

static char *
copy_text(const char *s)
{
	size_t		n = strlen(s ? s : "");
	char	   *c = ser_malloc(n + 1);

	if (c != NULL)
		memcpy(c, s ? s : "", n + 1);
	return c;
}

/* Number of lines of a class list; -1 if a line is empty. */
static int
count_lines(const char *text)
{
	int			lines = 0;
	bool		in_line = false;

	for (const char *p = text; *p; p++)
	{
		if (*p == '\n')
		{
			if (!in_line)
				return -1;
			in_line = false;
		}
		else if (!in_line)
		{
			in_line = true;
			lines++;
		}
	}
	return lines;
}

static size_t
profile_length_of(const SerNetConfig *cfg)
{
	return ser_profile_length(cfg->n_frame_features, cfg->n_utt_features);
}

SerStatus
ser_model_create(const SerNetConfig *cfg, const float *population_profile, const char *feature_params,
				 const char *classes, const char *train_info, SerModel **out, SerError *err)
{
	SerModel   *m;
	SerStatus	st;

	*out = NULL;
	if ((st = ser_net_config_validate(cfg, err)) != SER_OK)
		return st;
	if (count_lines(classes ? classes : "") != cfg->n_classes)
	{
		ser_error(err, SER_EINVAL, "class list does not match the network");
		ser_error_detail(err, "The network has %d outputs; the class list must name each on its own non-empty line.",
						 cfg->n_classes);
		return SER_EINVAL;
	}
	if ((cfg->speaker_normalisation != 0) != (population_profile != NULL))
	{
		ser_error(err, SER_EINVAL, "population profile does not match the network");
		ser_error_detail(err, "A speaker-normalised model needs a population profile; any other has none.");
		return SER_EINVAL;
	}
	if (population_profile != NULL &&
		ser_profile_check(population_profile, profile_length_of(cfg), cfg->n_frame_features,
						  cfg->n_utt_features, err) != SER_OK)
	{
		char		msg[SER_ERROR_TEXT];

		snprintf(msg, sizeof(msg), "invalid population profile: %.400s", err->message);
		memcpy(err->message, msg, sizeof(msg));
		err->status = SER_EINVAL;
		return SER_EINVAL;
	}
	m = ser_calloc(1, sizeof(SerModel));
	if (m == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory while assembling the model");
	m->cfg = *cfg;
	m->temperature = 1.0;
	st = SER_OK;
	if (population_profile != NULL)
	{
		size_t		n = profile_length_of(cfg);

		if ((m->population_profile = ser_malloc_array(n, sizeof(float))) == NULL)
			st = ser_error(err, SER_ENOMEM, "out of memory while assembling the model");
		else
			memcpy(m->population_profile, population_profile, n * sizeof(float));
	}
	m->feature_params = copy_text(feature_params);
	m->classes = copy_text(classes);
	m->train_info = copy_text(train_info);
	if (st == SER_OK && (!m->feature_params || !m->classes || !m->train_info))
		st = ser_error(err, SER_ENOMEM, "out of memory while assembling the model");
	if (st != SER_OK)
	{
		ser_model_free(m);
		return st;
	}
	*out = m;
	return SER_OK;
}

SerStatus
ser_model_adopt_member(SerModel *model, SerNet *folded_net, SerNormStats *norm, SerStatus status, SerError *err)
{
	SerModelMember *mb;
	SerStatus	st;

	if (model->n_members >= SER_MODEL_MAX_MEMBERS)
		st = ser_error(err, status, "more than %d ensemble members", SER_MODEL_MAX_MEMBERS);
	else if (!folded_net->folded)
		st = ser_error(err, SER_EINTERNAL, "an adopted member must be in inference form");
	else if (!ser_net_config_equal(&folded_net->cfg, &model->cfg))
		st = ser_error(err, status, "ensemble members must share one architecture");
	else
		st = ser_norm_stats_check(norm, model->cfg.n_frame_features, model->cfg.n_utt_features, status, err);
	if (st != SER_OK)
	{
		ser_net_free(folded_net);
		ser_norm_stats_free(norm);
		return st;
	}
	mb = &model->members[model->n_members++];
	mb->net = folded_net;
	mb->norm = *norm;
	memset(norm, 0, sizeof(*norm));
	return SER_OK;
}

SerStatus
ser_model_add_member(SerModel *model, const SerNet *net, const SerNormStats *norm, SerError *err)
{
	int			F = model->cfg.n_frame_features;
	int			D = model->cfg.n_utt_features;
	SerNet	   *folded;
	SerNormStats copy;
	SerStatus	st;

	if (net->folded)
		return ser_error(err, SER_EINVAL, "model needs the training form of the network");
	if (!ser_net_config_equal(&net->cfg, &model->cfg))
		return ser_error(err, SER_EINVAL, "ensemble members must share one architecture");
	if (model->n_members >= SER_MODEL_MAX_MEMBERS)
		return ser_error(err, SER_EINVAL, "an ensemble has at most %d members", SER_MODEL_MAX_MEMBERS);
	if ((st = ser_norm_stats_check(norm, F, D, SER_EINVAL, err)) != SER_OK)
		return st;
	if ((st = ser_net_fold(net, &folded, err)) != SER_OK)
		return st;
	if ((st = ser_norm_stats_copy(&copy, norm, F, D, err)) != SER_OK)
	{
		ser_net_free(folded);
		return st;
	}
	return ser_model_adopt_member(model, folded, &copy, SER_EINVAL, err);
}

SerStatus
ser_model_set_temperature(SerModel *model, double temperature, SerError *err)
{
	/* Judged as the file stores it, in single precision. */
	float		stored = (float) temperature;

	if (!(stored >= (float) SER_MODEL_MIN_TEMPERATURE && stored <= (float) SER_MODEL_MAX_TEMPERATURE))
	{
		ser_error(err, SER_EINVAL, "temperature %g is out of range", temperature);
		ser_error_detail(err, "A temperature must be between %g and %g.", SER_MODEL_MIN_TEMPERATURE,
						 SER_MODEL_MAX_TEMPERATURE);
		return SER_EINVAL;
	}
	/* As the file stores it, so a loaded model predicts the same bits. */
	model->temperature = (double) stored;
	return SER_OK;
}

double
ser_model_temperature(const SerModel *model)
{
	return model->temperature;
}

SerStatus
ser_model_attach_alone(SerModel *model, SerModel *alone, SerError *err)
{
	SerStatus	st = SER_OK;

	if (!ser_model_speaker_normalised(model))
		st = ser_error(err, SER_EINVAL, "only a speaker-normalised model takes a path without profiles");
	else if (ser_model_speaker_normalised(alone) || alone->alone != NULL)
		st = ser_error(err, SER_EINVAL, "the path without profiles must not be speaker-normalised");
	else if (alone->n_members < 1)
		st = ser_error(err, SER_EINVAL, "the path without profiles has no networks");
	else if (alone->cfg.n_frame_features != model->cfg.n_frame_features ||
			 alone->cfg.n_utt_features != model->cfg.n_utt_features ||
			 alone->cfg.n_classes != model->cfg.n_classes ||
			 strcmp(alone->classes, model->classes) != 0 ||
			 strcmp(alone->feature_params, model->feature_params) != 0)
		st = ser_error(err, SER_EINVAL, "the path without profiles has other features or classes than the model");
	else if (model->alone != NULL)
		st = ser_error(err, SER_EINVAL, "the model has a path without profiles already");
	if (st != SER_OK)
	{
		ser_model_free(alone);
		return st;
	}
	model->alone = alone;
	return SER_OK;
}

const SerModel *
ser_model_alone(const SerModel *model)
{
	return model->alone != NULL ? model->alone : model;
}

/* ---- what a model is ---- */

const SerNetConfig *
ser_model_config(const SerModel *model)
{
	return &model->cfg;
}

int
ser_model_class_count(const SerModel *model)
{
	return model->cfg.n_classes;
}

bool
ser_model_class_name(const SerModel *model, int index, char *buf, size_t size)
{
	const char *p = model->classes;

	for (int i = 0; i < index && p != NULL; i++)
	{
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (index < 0 || p == NULL || *p == '\0')
		return false;
	snprintf(buf, size, "%.*s", (int) strcspn(p, "\n"), p);
	return true;
}

int
ser_model_member_count(const SerModel *model)
{
	return model->n_members;
}

size_t
ser_model_parameter_count(const SerModel *model)
{
	size_t		n = 0;

	for (int k = 0; k < model->n_members; k++)
		n += model->members[k].net->n_values;
	if (model->alone != NULL)
		n += ser_model_parameter_count(model->alone);
	return n;
}

bool
ser_model_speaker_normalised(const SerModel *model)
{
	return model->cfg.speaker_normalisation != 0;
}

const char *
ser_model_feature_params(const SerModel *model)
{
	return model->feature_params;
}

const char *
ser_model_train_info(const SerModel *model)
{
	return model->train_info;
}

SerStatus
ser_model_set_train_info(SerModel *model, const char *train_info, SerError *err)
{
	char	   *copy = copy_text(train_info);

	if (copy == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory while assembling the model");
	ser_free(model->train_info);
	model->train_info = copy;
	return SER_OK;
}

SerStatus
ser_model_check_speaker_profile(const SerModel *model, const float *profile, size_t length, SerError *err)
{
	if (!ser_model_speaker_normalised(model))
	{
		ser_error(err, SER_EINVAL, "model was trained without speaker normalisation");
		ser_error_detail(err, "Only a model trained with speaker normalisation takes a speaker profile.");
		ser_error_hint(err, "Classify without a speaker profile, or train a model with speaker normalisation.");
		return SER_EINVAL;
	}
	return ser_profile_check(profile, length, model->cfg.n_frame_features, model->cfg.n_utt_features, err);
}

/* ---- prediction ---- */

/*
 * One member's class probabilities: the input frames[T][F] and utt[D]
 * (speaker profile already subtracted) normalised with the member's
 * statistics into the scratch x_norm, then the forward pass.
 */
static SerStatus
member_probs(const SerModelMember *mb, const float *frames, int n_frames, const float *utt, float *x_norm,
			 float *probs, SerError *err)
{
	const SerNetConfig *cfg = &mb->net->cfg;
	int			F = cfg->n_frame_features;
	float	   *xu = x_norm + (size_t) n_frames * F;
	int			offsets[2] = {0, n_frames};
	SerSeqs		seqs = {1, offsets};
	SerNetActs *acts;
	SerStatus	st;

	ser_normalise_clip(&mb->norm, cfg->frame_cmn != 0, frames, n_frames, F, utt, cfg->n_utt_features, x_norm, xu);
	st = ser_net_forward(mb->net, SER_NET_EVAL, &seqs, x_norm, xu, NULL, &acts, err);
	if (st != SER_OK)
		return st;
	memcpy(probs, ser_net_acts_probs(acts), sizeof(float) * cfg->n_classes);
	ser_net_acts_free(acts);
	return SER_OK;
}

/* Refuse frames[T][F] and utt[D] holding a non-finite value, naming the first. */
static SerStatus
check_finite_input(const float *frames, int n_frames, int F, const float *utt, int D, SerError *err)
{
	if (ser_floats_finite(frames, (size_t) n_frames * F) && ser_floats_finite(utt, (size_t) D))
		return SER_OK;
	for (int t = 0; t < n_frames; t++)
		for (int i = 0; i < F; i++)
		{
			float		v = frames[(size_t) t * F + i];

			if (!isfinite(v))
			{
				ser_error(err, SER_ENONFINITE, "frame features hold a non-finite value");
				ser_error_detail(err, "Frame %d, feature %d is %g.", t, i, (double) v);
				return SER_ENONFINITE;
			}
		}
	for (int i = 0; i < D; i++)
		if (!isfinite(utt[i]))
		{
			ser_error(err, SER_ENONFINITE, "utterance features hold a non-finite value");
			ser_error_detail(err, "Feature %d is %g.", i, (double) utt[i]);
			return SER_ENONFINITE;
		}
	return SER_OK;
}

static bool
all_finite(const float *v, int n)
{
	for (int i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

/*
 * The sum of the members' class probabilities into sum[K]: the input
 * checked, the speaker profile (or NULL) subtracted once from a copy, then
 * every member normalises and runs it.  Without a profile the members read
 * the caller's features as they are: the copy was only ever for the
 * subtraction.
 */
static SerStatus
members_sum(const SerModel *model, const float *frames, int n_frames, const float *utt,
			const float *speaker_profile, float *sum, SerError *err)
{
	int			F = model->cfg.n_frame_features;
	int			D = model->cfg.n_utt_features;
	int			K = model->cfg.n_classes;
	size_t		n_frame_values = (size_t) n_frames * F;
	size_t		n_in = n_frame_values + D;
	bool		subtract = speaker_profile != NULL;
	/* Kept per process and reused (network.h): no fresh mapping per call. */
	float	   *buf = ser_net_input_take(subtract ? 2 * n_in : n_in);
	float	   *x_norm;
	float		member[SER_NET_MAX_CLASSES];
	SerStatus	st;

	if (buf == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory for the model input");
	x_norm = buf;
	st = check_finite_input(frames, n_frames, F, utt, D, err);
	if (st == SER_OK && subtract)
	{
		float	   *raw = buf + n_in;

		memcpy(raw, frames, sizeof(float) * n_frame_values);
		memcpy(raw + n_frame_values, utt, sizeof(float) * D);
		ser_profile_subtract(speaker_profile, F, D, raw, (size_t) n_frames, raw + n_frame_values);
		frames = raw;
		utt = raw + n_frame_values;
	}
	/* The first written, the others added. */
	if (st == SER_OK)
		st = member_probs(&model->members[0], frames, n_frames, utt, x_norm, sum, err);
	for (int k = 1; st == SER_OK && k < model->n_members; k++)
	{
		st = member_probs(&model->members[k], frames, n_frames, utt, x_norm, member, err);
		for (int c = 0; st == SER_OK && c < K; c++)
			sum[c] += member[c];
	}
	ser_net_input_give(buf);
	return st;
}

SerStatus
ser_model_predict(const SerModel *model, const float *frames, int n_frames, int n_frame_features,
				  const float *utt, int n_utt_features, const float *speaker_profile, size_t profile_length,
				  float *probs, SerError *err)
{
	const SerNetConfig *cfg = &model->cfg;
	int			F = cfg->n_frame_features;
	int			D = cfg->n_utt_features;
	int			K = cfg->n_classes;
	int			n_networks = model->n_members;
	double		temperature = model->temperature;
	bool		alone_call;
	SerStatus	st;

	if (n_frame_features != F || n_utt_features != D)
	{
		ser_error(err, SER_EINVAL, "feature dimensions do not match the model");
		ser_error_detail(err, "The model expects %d frame features and %d utterance features, got %d and %d.",
						 F, D, n_frame_features, n_utt_features);
		return SER_EINVAL;
	}
	if (model->n_members < 1)
		return ser_error(err, SER_EINVAL, "model has no networks");
	if (speaker_profile != NULL &&
		(st = ser_model_check_speaker_profile(model, speaker_profile, profile_length, err)) != SER_OK)
		return st;
	if (n_frames < 1)
		return ser_error(err, SER_EINVAL, "clip has no frames");
	if ((size_t) n_frames > SIZE_MAX / sizeof(float) / 1024 / (size_t) F)
		return ser_error(err, SER_ETOOLONG, "clip has too many frames");
	alone_call = speaker_profile == NULL && model->alone != NULL;
	if (speaker_profile == NULL)
		speaker_profile = model->population_profile;	/* NULL without speaker normalisation */
	st = members_sum(model, frames, n_frames, utt, speaker_profile, probs, err);

	/*
	 * Without a profile, every network that can classify a recording alone
	 * votes: the path trained without speaker normalisation, and the
	 * speaker-normalised networks on the population profile (two kinds of
	 * error, measured better together than either: model/README.md).
	 */
	if (st == SER_OK && alone_call)
	{
		float		alone[SER_NET_MAX_CLASSES];

		st = members_sum(model->alone, frames, n_frames, utt, NULL, alone, err);
		for (int c = 0; st == SER_OK && c < K; c++)
			probs[c] += alone[c];
		n_networks += model->alone->n_members;
		temperature = model->alone->temperature;
	}
	if (st == SER_OK && n_networks > 1)
		for (int c = 0; c < K; c++)
			probs[c] /= (float) n_networks;
	/*
	 * Uncalibrated models keep the bits of the average; an average that is
	 * not finite (weights that overflow) stays so, for the caller to refuse,
	 * rather than being made finite by the calibration's logarithm.
	 */
	if (st == SER_OK && temperature != 1.0 && all_finite(probs, K))
		ser_calibration_apply(temperature, probs, K, probs);
	return st;
}
