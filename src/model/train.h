/*
 * train.h — training the network: data access through a callback, Adam with
 * warm-up + cosine schedule, class balancing, feature-level augmentation,
 * early stopping on a speaker-disjoint validation set, per-epoch progress,
 * cooperative cancellation, bit-reproducible runs from a seed.
 *
 * Why a callback for the data: the caller owns the audio and the feature
 * extractor, so waveform-level augmentation (gain, speed, noise) can only
 * happen there.  get_sample(ctx, index, epoch, rng, ...) is asked for clip
 * `index` in training epoch `epoch` with an rng private to that (clip,
 * epoch) pair, so it may re-featurise an augmented waveform every epoch and
 * still be reproducible whatever the visiting order.  epoch ==
 * SER_EPOCH_CLEAN asks for the clean, deterministic features: used for the
 * normalisation statistics (training clips only) and for validation.
 *
 * Feature-level augmentation is done here, after normalisation (so a masked
 * value is the feature's training mean): a random crop in time (which is
 * also a random shift of the clip's content), SpecAugment-style time masks
 * and feature masks.
 */
#ifndef SER_MODEL_TRAIN_H
#define SER_MODEL_TRAIN_H

#include "common/runtime.h"
#include "model/network.h"
#include "model/normalise.h"
#include "model/rng.h"

#define SER_EPOCH_CLEAN (-1)

typedef enum SerBalance
{
	SER_BALANCE_NONE,
	SER_BALANCE_CLASS_WEIGHTS,	/* loss weight N / (K n_c) per class */
	SER_BALANCE_SAMPLING		/* each epoch draws clips class-uniformly, with replacement */
} SerBalance;

typedef struct SerAugment
{
	float		crop_min_fraction;	/* keep a random window of at least this fraction of frames; 1 = off */
	int			time_masks;			/* number of time masks per clip */
	int			time_mask_max;		/* widest time mask, frames (capped at a fifth of the clip) */
	int			feature_masks;		/* number of feature masks per clip */
	int			feature_mask_max;	/* widest feature mask, features */
} SerAugment;

typedef struct SerTrainConfig
{
	int			max_epochs;
	int			batch_size;		/* >= 2 (batch normalisation needs a batch) */
	float		lr;				/* peak learning rate */
	float		min_lr;			/* end of the cosine */
	int			warmup_epochs;
	float		l2;				/* on weight matrices */
	float		clip_norm;		/* global gradient norm limit; 0 = none */
	int			patience;		/* epochs without validation improvement before stopping */
	uint64_t	seed;
	SerBalance	balance;
	SerAugment	augment;
} SerTrainConfig;

/* Sensible defaults for a corpus of a few thousand clips. */
void		ser_train_default_config(SerTrainConfig *cfg);

/*
 * Fetch clip `index`: *frames ([*n_frames][F] row-major) and *utt ([D]) stay
 * valid until the next call; the trainer copies them.  Return SER_OK or a
 * failure with err filled (training then stops with that error).
 */
typedef SerStatus (*SerGetSampleFn) (void *ctx, int index, int epoch, SerRng *rng,
									 const float **frames, int *n_frames, const float **utt,
									 SerError *err);

typedef struct SerEpochReport
{
	int			epoch;			/* 1-based */
	int			max_epochs;
	double		train_loss;		/* mean over the epoch's batches */
	double		val_loss;		/* NaN without a validation set */
	double		val_accuracy;
	double		val_uar;
	float		lr;				/* at the end of the epoch */
	bool		improved;		/* best validation UAR so far */
	int			best_epoch;
	bool		stopping;		/* early stopping ends training after this epoch */
} SerEpochReport;

typedef void (*SerProgressFn) (void *ctx, const SerEpochReport *report);

typedef struct SerTrainData
{
	int			n_classes;
	int			n_frame_features;
	int			n_utt_features;
	const int  *labels;			/* [clip] class index, for every clip index used below */
	/*
	 * [clip][n_classes] distributions the training clips are fitted to
	 * instead of their labels (knowledge distillation: a teacher's
	 * probabilities), or NULL.  The labels still weight the classes and
	 * score validation.
	 */
	const float *soft_targets;
	const int  *train_idx;		/* clip indexes to train on */
	int			n_train;
	const int  *val_idx;		/* clip indexes for early stopping (speaker-disjoint!); may be empty */
	int			n_val;
	SerGetSampleFn get_sample;
	void	   *sample_ctx;
	SerProgressFn progress;		/* may be NULL */
	void	   *progress_ctx;
} SerTrainData;

typedef struct SerTrainResult
{
	SerNet	   *net;			/* training form, weights of the best epoch */
	SerNormStats norm;			/* from the training clips only */
	int			epochs_run;
	int			best_epoch;		/* epoch whose weights were kept (last one without validation) */
	double		best_val_uar;	/* NaN without validation */
	double		best_val_loss;
} SerTrainResult;

/*
 * Train a network of architecture net_cfg.  On failure (including
 * SER_ECANCELED) everything allocated is released and *result is empty.
 */
SerStatus	ser_train(const SerNetConfig *net_cfg, const SerTrainConfig *cfg, const SerTrainData *data,
					  SerTrainResult *result, SerError *err);
void		ser_train_result_free(SerTrainResult *result);

/*
 * Predicted class for each of the n clips idx[] with a training-form net in
 * evaluation mode, features from get_sample(SER_EPOCH_CLEAN) normalised with
 * the given statistics; probs_out (n x K) may be NULL.  Used for validation
 * and by callers for cross-validation folds.
 */
SerStatus	ser_train_predict(SerNet *net, const SerTrainData *data, const SerNormStats *stats, const int *idx,
							  int n, int batch_size, int *pred_out, float *probs_out, SerError *err);

#endif							/* SER_MODEL_TRAIN_H */
