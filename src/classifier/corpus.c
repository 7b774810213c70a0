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
	a->probability = 0.0f;		/* off by default: 0.5 measured no better (model/README.md) */
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
	memset(c, 0, sizeof(*c));
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

		if (clean->frames == NULL)
		{
			st = ser_extract_features(&c->params, pcm, n, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE,
									  clean, err);
			if (st != SER_OK)
				return st;
		}
		*frames = clean->frames;
		*n_frames = (int) clean->n_frames;
		*utt = clean->utterance;
		return SER_OK;
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
	return SER_OK;
}
