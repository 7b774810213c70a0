/*
 * normalise.h — the input normalisation of the network, one code path for
 * training and prediction: every feature standardised with the training
 * split's mean and standard deviation, then (with frame_cmn) each clip's
 * own mean subtracted from its normalised frames.
 *
 * Why one place: a normalisation written twice, once for training and once
 * for serving, drifts apart silently (training/serving skew); the model's
 * predictions are then wrong with no error anywhere.
 */
#ifndef SER_MODEL_NORMALISE_H
#define SER_MODEL_NORMALISE_H

#include "common/runtime.h"

/* Standardisation statistics of one network's inputs, from its training clips. */
typedef struct SerNormStats
{
	float	   *frame_mean;		/* [F] */
	float	   *frame_std;		/* [F], positive */
	float	   *utt_mean;		/* [D] */
	float	   *utt_std;		/* [D], positive */
} SerNormStats;

/* Arrays for F and D features (contents undefined); on failure *stats is empty. */
SerStatus	ser_norm_stats_alloc(SerNormStats *stats, int n_frame_features, int n_utt_features,
								 SerError *err);
/* A copy of src into dst (allocated here); on failure *dst is empty. */
SerStatus	ser_norm_stats_copy(SerNormStats *dst, const SerNormStats *src, int n_frame_features,
								int n_utt_features, SerError *err);
void		ser_norm_stats_free(SerNormStats *stats);

/*
 * Check that every mean is finite and every standard deviation positive and
 * finite; failures carry `status` (SER_EINVAL for a caller's statistics,
 * SER_ECORRUPT for a stored model's).
 */
SerStatus	ser_norm_stats_check(const SerNormStats *stats, int n_frame_features, int n_utt_features,
								 SerStatus status, SerError *err);

/* Per-clip mean normalisation of frames[T][F] in place (see SerNetConfig.frame_cmn). */
void		ser_frames_subtract_mean(float *frames, int n_frames, int n_features);

/*
 * The network input of one clip: frames[T][F] and utt[D] (raw) into
 * frames_out[T][F] and utt_out[D], standardised with stats and, with
 * frame_cmn, centred per clip.  Input and output must not overlap.
 */
void		ser_normalise_clip(const SerNormStats *stats, bool frame_cmn, const float *frames, int n_frames,
							   int n_frame_features, const float *utt, int n_utt_features,
							   float *frames_out, float *utt_out);

#endif							/* SER_MODEL_NORMALISE_H */
