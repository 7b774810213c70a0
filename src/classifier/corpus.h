/*
 * corpus.h — labelled recordings held for training: the PCM of every clip,
 * its class and its group (speaker), and the sample callback the trainer
 * calls (model/train.h), which featurises a clip with the same code as
 * inference (features/features.h), after waveform-level augmentation in
 * training epochs.
 *
 * Why featurise on the fly: augmented audio gives new features every epoch,
 * and recomputing a clip's features (about 1.5 ms) is cheaper than keeping
 * several augmented copies of 1,000+ feature matrices.
 *
 * Waveform augmentation (each drawn from the trainer's per-(clip, epoch)
 * generator, so a run is reproducible whatever the visiting order):
 *   speed perturbation by a factor from {speed_low, 1, speed_high} (pitch and
 *   tempo together, as Kaldi's 3-way speed perturbation: the samples are
 *   taken to be at rate·factor and resampled to the rate with libsoxr);
 *   gain, uniform in ±gain_db;
 *   additive white noise at an SNR uniform in [snr_min_db, snr_max_db]
 *   relative to the clip's RMS.
 *
 * Speaker normalisation (features/profile.h): with speaker_normalisation set,
 * ser_corpus_build_profiles computes every group's profile from the clean
 * features of all its clips (labels unused), and every sample, clean or
 * perturbed, has its group's profile subtracted.
 */
#ifndef SER_CLASSIFIER_CORPUS_H
#define SER_CLASSIFIER_CORPUS_H

#include "common/runtime.h"
#include "features/features.h"
#include "features/profile.h"
#include "model/rng.h"

typedef struct SerWaveAugment
{
	float		probability;	/* chance that a training clip is perturbed in an epoch; 0 = off */
	float		speed_low;		/* e.g. 0.9 */
	float		speed_high;		/* e.g. 1.1 */
	float		gain_db;		/* e.g. 6 */
	float		snr_min_db;		/* e.g. 15; noise off when snr_max_db <= 0 */
	float		snr_max_db;		/* e.g. 40 */
} SerWaveAugment;

/* Ranges as in the examples above; probability 0 (off). */
void		ser_wave_augment_default(SerWaveAugment *a);

typedef struct SerCorpus
{
	SerFeatureParams params;
	SerWaveAugment augment;
	int			n_clips;
	int			capacity;
	float	  **pcm;			/* [clip] mono at params.sample_rate */
	size_t	   *n_samples;
	int		   *labels;			/* class index */
	int		   *groups;			/* speaker / group id */
	/*
	 * Clean features, computed once per clip and kept: validation asks for
	 * them every epoch, cross-validation trains on the same clips in every
	 * fold, and unperturbed training samples need nothing else.
	 */
	SerFeatureSet *clean;
	/* scratch for the sample callback */
	SerFeatureSet current;
	float	   *work;
	size_t		work_cap;
	float	   *resampled;
	size_t		resampled_cap;
	/* speaker normalisation */
	bool		speaker_normalisation;
	int			n_groups;		/* max group + 1 */
	float	   *profiles;		/* [n_groups][ser_profile_length] */
	float	   *normalised;		/* scratch: a sample's frames, then its utterance vector */
	size_t		normalised_cap;
} SerCorpus;

void		ser_corpus_init(SerCorpus *c, const SerFeatureParams *params, const SerWaveAugment *augment);
/* Copies pcm. */
SerStatus	ser_corpus_add(SerCorpus *c, const float *pcm, size_t n, int label, int group, SerError *err);
void		ser_corpus_free(SerCorpus *c);

/*
 * Compute the clean features of every clip (if not yet done) and every
 * group's profile; groups must be >= 0.  Needed before sampling when
 * speaker_normalisation is set.
 */
SerStatus	ser_corpus_build_profiles(SerCorpus *c, SerError *err);

/*
 * The profile of the clips idx[0..n) (all clips when idx is NULL): what a
 * speaker normalised model subtracts for a speaker it has no profile of.
 * profile has ser_profile_length floats.
 */
SerStatus	ser_corpus_pooled_profile(SerCorpus *c, const int *idx, int n, float *profile, SerError *err);

/* The trainer's SerGetSampleFn over a SerCorpus (ctx). */
SerStatus	ser_corpus_get_sample(void *ctx, int index, int epoch, SerRng *rng,
								  const float **frames, int *n_frames, const float **utt,
								  SerError *err);

#endif							/* SER_CLASSIFIER_CORPUS_H */
