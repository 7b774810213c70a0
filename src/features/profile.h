/*
 * profile.h — speaker profiles: the mean features of one speaker's
 * recordings, for speaker normalisation.
 *
 * Why.  Most of the variance of prosodic and spectral features between
 * recordings is the speaker (vocal tract, pitch range, loudness habits,
 * microphone), not the emotion.  Subtracting each speaker's own mean
 * feature vector before the classifier sees the features ("speaker-level
 * mean normalisation") removes that part; it needs no labels, only some of
 * the speaker's recordings.  Measured on RAVDESS actors 01-20 with folds
 * grouped by actor (model/README.md): about +14 points of UAR for the
 * shipped network when the profile holds all of a speaker's recordings,
 * fewer with fewer recordings, and it hurts when the recordings are not
 * representative (e.g. only neutral speech).
 *
 * A profile is a vector of 1 + F + D values:
 *   [0]          the number of recordings it summarises (at least 1);
 *   [1 .. F]     the mean of each frame feature over all their frames
 *                (frame-weighted), in ser_frame_feature_name order;
 *   [1+F .. F+D] the mean of each utterance feature over the recordings
 *                (recording-weighted), in ser_utterance_feature_name order.
 *
 * It is built by accumulating sums in a state of doubles, so that partial
 * states (e.g. of parallel workers) merge exactly:
 *   [0] F   [1] D   [2] recordings   [3] frames   [4 .. 4+F) frame sums
 *   [4+F .. 4+F+D) utterance sums.
 */
#ifndef SER_FEATURES_PROFILE_H
#define SER_FEATURES_PROFILE_H

#include "features/features.h"

/* Number of doubles of an accumulation state / floats of a profile. */
size_t		ser_profile_state_length(int n_frame_features, int n_utt_features);
size_t		ser_profile_length(int n_frame_features, int n_utt_features);

/* An empty state (state has ser_profile_state_length doubles). */
void		ser_profile_state_init(double *state, int n_frame_features, int n_utt_features);

/* Add one recording's features (the set must hold frames and the utterance vector). */
SerStatus	ser_profile_state_add(double *state, const SerFeatureSet *set, SerError *err);

/* state += other; both must be for the same feature counts. */
SerStatus	ser_profile_state_merge(double *state, const double *other, SerError *err);

/*
 * Check that a state of `length` doubles is well formed: a feature layout
 * that matches its length, non-negative counts, finite sums.
 */
SerStatus	ser_profile_state_check(const double *state, size_t length, SerError *err);

/* The profile (ser_profile_length floats) of a state with at least one recording. */
SerStatus	ser_profile_finish(const double *state, float *profile, SerError *err);

/*
 * Check that profile[0..length) is a profile for these feature counts: the
 * right length, a recording count >= 1 and finite means.
 */
SerStatus	ser_profile_check(const float *profile, size_t length, int n_frame_features,
							  int n_utt_features, SerError *err);

/*
 * Subtract a profile from frames[T][F] and utt[D] in place.  Either
 * features pointer may be NULL.
 */
void		ser_profile_subtract(const float *profile, int n_frame_features, int n_utt_features,
								 float *frames, size_t n_frames, float *utt);

#endif							/* SER_FEATURES_PROFILE_H */
