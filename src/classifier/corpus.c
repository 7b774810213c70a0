/*
 * corpus.c — labelled clips and the trainer's sample callback.  See corpus.h.
 */
#include "classifier/corpus.h"

#include <math.h>
#include <string.h>

#include "audio/resample.h"
#include "model/train.h"

void
ser_wave_augment_default(SerWaveAugment *a)
{
	a->probability = 0.0f;		/* off here; the recipe (recipe.c) sets the shipped 0.5 */
	a->speed_low = 0.9f;
	a->speed_high = 1.1f;
	a->gain_db = 6.0f;
	a->snr_min_db = 15.0f;
	a->snr_max_db = 40.0f;
}

void
ser_corpus_init(SerCorpus *c, const SerFeatureParams *params, const SerWaveAugment *augment)
{
	memset(c, 0, sizeof(*c));
	c->params = *params;
	if (augment != NULL)
		c->augment = *augment;
}

static SerStatus
grow(void **ptr, size_t elem, int old_cap, int new_cap, SerError *err)
{
	void	   *p = ser_malloc_array((size_t) new_cap, elem);

	if (p == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory");
	if (*ptr != NULL)
	{
		memcpy(p, *ptr, (size_t) old_cap * elem);
		ser_free(*ptr);
	}
	*ptr = p;
	return SER_OK;
}

SerStatus
ser_corpus_add(SerCorpus *c, const float *pcm, size_t n, int label, int group, SerError *err)
{
	float	   *copy;

	if (c->n_clips == c->capacity)
	{
		int			cap = c->capacity ? c->capacity * 2 : 256;

		if (grow((void **) &c->pcm, sizeof(float *), c->capacity, cap, err) ||
			grow((void **) &c->clean, sizeof(SerFeatureSet), c->capacity, cap, err) ||
			grow((void **) &c->n_samples, sizeof(size_t), c->capacity, cap, err) ||
			grow((void **) &c->labels, sizeof(int), c->capacity, cap, err) ||
			grow((void **) &c->groups, sizeof(int), c->capacity, cap, err))
			return SER_ENOMEM;
		c->capacity = cap;
	}
	copy = ser_malloc_array(n ? n : 1, sizeof(float));
	if (copy == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory");
	memcpy(copy, pcm, n * sizeof(float));
	c->pcm[c->n_clips] = copy;
	memset(&c->clean[c->n_clips], 0, sizeof(SerFeatureSet));
	c->n_samples[c->n_clips] = n;
	c->labels[c->n_clips] = label;
	c->groups[c->n_clips] = group;
	c->n_clips++;
	return SER_OK;
}

void
ser_corpus_free(SerCorpus *c)
{
	for (int i = 0; i < c->n_clips; i++)
	{
		ser_free(c->pcm[i]);
		ser_feature_set_free(&c->clean[i]);
	}
	ser_free(c->pcm);
	ser_free(c->clean);
	ser_free(c->n_samples);
	ser_free(c->labels);
	ser_free(c->groups);
	ser_feature_set_free(&c->current);
	ser_free(c->work);
	ser_free(c->resampled);
	ser_free(c->profiles);
	ser_free(c->normalised);
	memset(c, 0, sizeof(*c));
}

static SerStatus
ensure_clean(SerCorpus *c, int index, SerError *err)
{
	SerFeatureSet *clean = &c->clean[index];

	if (clean->frames != NULL)
		return SER_OK;
	return ser_extract_features(&c->params, c->pcm[index], c->n_samples[index],
								SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE, clean, err);
}

SerStatus
ser_corpus_build_profiles(SerCorpus *c, SerError *err)
{
	int			F = ser_frame_feature_count(&c->params);
	int			D = ser_utterance_feature_count(&c->params);
	size_t		state_len = ser_profile_state_length(F, D);
	size_t		profile_len = ser_profile_length(F, D);
	int			n_groups = 0;
	double	   *states = NULL;
	float	   *profiles = NULL;
	SerStatus	st = SER_OK;

	for (int i = 0; i < c->n_clips; i++)
	{
		if (c->groups[i] < 0)
			return ser_error(err, SER_EINVAL, "clip %d has a negative group", i);
		if (c->groups[i] >= n_groups)
			n_groups = c->groups[i] + 1;
	}
	states = ser_malloc_array((size_t) (n_groups ? n_groups : 1), state_len * sizeof(double));
	profiles = ser_calloc((size_t) (n_groups ? n_groups : 1), profile_len * sizeof(float));
	if (states == NULL || profiles == NULL)
	{
		st = ser_error(err, SER_ENOMEM, "out of memory");
		goto done;
	}
	for (int g = 0; g < n_groups; g++)
		ser_profile_state_init(states + (size_t) g * state_len, F, D);
	for (int i = 0; i < c->n_clips && st == SER_OK; i++)
	{
		st = ensure_clean(c, i, err);
		if (st == SER_OK)
			st = ser_profile_state_add(states + (size_t) c->groups[i] * state_len, &c->clean[i], err);
	}
	/* Group ids without clips keep an all-zero profile; no sample asks for it. */
	for (int g = 0; g < n_groups && st == SER_OK; g++)
		if (states[(size_t) g * state_len + 2] > 0)
			st = ser_profile_finish(states + (size_t) g * state_len, profiles + (size_t) g * profile_len, err);
	if (st == SER_OK)
	{
		ser_free(c->profiles);
		c->profiles = profiles;
		c->n_groups = n_groups;
		profiles = NULL;
	}
done:
	ser_free(states);
	ser_free(profiles);
	return st;
}

SerStatus
ser_corpus_pooled_profile(SerCorpus *c, const int *idx, int n, float *profile, SerError *err)
{
	int			F = ser_frame_feature_count(&c->params);
	int			D = ser_utterance_feature_count(&c->params);
	double	   *state = ser_malloc_array(ser_profile_state_length(F, D), sizeof(double));
	int			count = idx ? n : c->n_clips;
	SerStatus	st = SER_OK;

	if (state == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory");
	ser_profile_state_init(state, F, D);
	for (int j = 0; j < count && st == SER_OK; j++)
	{
		int			i = idx ? idx[j] : j;

		st = ensure_clean(c, i, err);
		if (st == SER_OK)
			st = ser_profile_state_add(state, &c->clean[i], err);
	}
	if (st == SER_OK)
		st = ser_profile_finish(state, profile, err);
	ser_free(state);
	return st;
}

/*
 * With speaker normalisation, a copy of the sample with its group's profile
 * subtracted (the clean features stay as they are: they are shared).
 */
static SerStatus
normalise_sample(SerCorpus *c, int index, const float **frames, int n_frames, const float **utt,
				 SerError *err)
{
	int			F = ser_frame_feature_count(&c->params);
	int			D = ser_utterance_feature_count(&c->params);
	int			g = c->groups[index];
	size_t		need = (size_t) n_frames * F + D;
	const float *profile;

	if (!c->speaker_normalisation)
		return SER_OK;
	if (c->profiles == NULL || g < 0 || g >= c->n_groups)
		return ser_error(err, SER_EINTERNAL, "speaker profiles are not built for clip %d", index);
	profile = c->profiles + (size_t) g * ser_profile_length(F, D);
	if (need > c->normalised_cap)
	{
		ser_free(c->normalised);
		c->normalised = ser_malloc_array(need, sizeof(float));
		c->normalised_cap = c->normalised ? need : 0;
		if (c->normalised == NULL)
			return ser_error(err, SER_ENOMEM, "out of memory");
	}
	memcpy(c->normalised, *frames, sizeof(float) * (size_t) n_frames * F);
	memcpy(c->normalised + (size_t) n_frames * F, *utt, sizeof(float) * D);
	ser_profile_subtract(profile, F, D, c->normalised, (size_t) n_frames,
						 c->normalised + (size_t) n_frames * F);
	*frames = c->normalised;
	*utt = c->normalised + (size_t) n_frames * F;
	return SER_OK;
}

static SerStatus
reserve(float **buf, size_t *cap, size_t n, SerError *err)
{
	if (n <= *cap)
		return SER_OK;
	ser_free(*buf);
	*buf = ser_malloc_array(n, sizeof(float));
	*cap = *buf ? n : 0;
	return *buf ? SER_OK : ser_error(err, SER_ENOMEM, "out of memory");
}

/*
 * Speed perturbation: read the clip as if recorded at rate·factor and
 * resample it to the rate; factor > 1 makes it shorter and higher.
 */
static SerStatus
change_speed(SerCorpus *c, const float *pcm, size_t n, float factor, const float **out, size_t *out_n,
			 SerError *err)
{
	int			rate = c->params.sample_rate;
	int			in_rate = (int) lroundf((float) rate * factor);
	SerResampler *rs;
	size_t		len = 0;
	SerStatus	st;

	st = ser_resampler_acquire(in_rate, rate, &rs, err);
	if (st != SER_OK)
		return st;
	/* ser_resampler_process grows the buffer with ser_malloc as needed. */
	st = ser_resampler_process(rs, pcm, n, &c->resampled, &len, &c->resampled_cap, err);
	if (st == SER_OK)
		st = ser_resampler_process(rs, NULL, 0, &c->resampled, &len, &c->resampled_cap, err);
	if (st != SER_OK)
		return st;
	*out = c->resampled;
	*out_n = len;
	return SER_OK;
}

SerStatus
ser_corpus_get_sample(void *ctx, int index, int epoch, SerRng *rng,
					  const float **frames, int *n_frames, const float **utt, SerError *err)
{
	SerCorpus  *c = ctx;
	const float *pcm;
	size_t		n;
	SerStatus	st;

	if (index < 0 || index >= c->n_clips)
		return ser_error(err, SER_EINTERNAL, "clip index %d out of range", index);
	pcm = c->pcm[index];
	n = c->n_samples[index];

	if (epoch == SER_EPOCH_CLEAN || c->augment.probability <= 0 ||
		ser_rng_uniform(rng) >= c->augment.probability)
	{
		SerFeatureSet *clean = &c->clean[index];

		if ((st = ensure_clean(c, index, err)) != SER_OK)
			return st;
		*frames = clean->frames;
		*n_frames = (int) clean->n_frames;
		*utt = clean->utterance;
		return normalise_sample(c, index, frames, *n_frames, utt, err);
	}
	else
	{
		uint32_t	speed = ser_rng_below(rng, 3);
		float		gain = powf(10.0f, (2.0f * ser_rng_uniform(rng) - 1.0f) * c->augment.gain_db / 20.0f);
		float		snr_db = c->augment.snr_min_db +
			ser_rng_uniform(rng) * (c->augment.snr_max_db - c->augment.snr_min_db);
		double		energy = 0;
		float		noise_rms;

		if (speed != 1 && n > 0)
		{
			st = change_speed(c, pcm, n, speed == 0 ? c->augment.speed_low : c->augment.speed_high,
							  &pcm, &n, err);
			if (st != SER_OK)
				return st;
		}
		if ((st = reserve(&c->work, &c->work_cap, n ? n : 1, err)) != SER_OK)
			return st;
		for (size_t i = 0; i < n; i++)
			energy += (double) pcm[i] * pcm[i];
		noise_rms = (c->augment.snr_max_db > 0 && n > 0)
			? (float) sqrt(energy / n) * powf(10.0f, -snr_db / 20.0f) : 0.0f;
		for (size_t i = 0; i < n; i++)
		{
			float		v = gain * (pcm[i] + noise_rms * ser_rng_normal(rng));

			c->work[i] = v > 1.0f ? 1.0f : (v < -1.0f ? -1.0f : v);
		}
		pcm = c->work;
	}

	ser_feature_set_free(&c->current);
	st = ser_extract_features(&c->params, pcm, n, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE,
							  &c->current, err);
	if (st != SER_OK)
		return st;
	*frames = c->current.frames;
	*n_frames = (int) c->current.n_frames;
	*utt = c->current.utterance;
	return normalise_sample(c, index, frames, *n_frames, utt, err);
}
