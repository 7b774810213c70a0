/*
 * profile.c — speaker profiles (mean features of a speaker's recordings).
 * See profile.h.
 */
#include "features/profile.h"

#include <math.h>
#include <string.h>

#define STATE_HEADER 4

size_t
ser_profile_state_length(int n_frame_features, int n_utt_features)
{
	return STATE_HEADER + (size_t) n_frame_features + (size_t) n_utt_features;
}

size_t
ser_profile_length(int n_frame_features, int n_utt_features)
{
	return 1 + (size_t) n_frame_features + (size_t) n_utt_features;
}

void
ser_profile_state_init(double *state, int n_frame_features, int n_utt_features)
{
	memset(state, 0, sizeof(double) * ser_profile_state_length(n_frame_features, n_utt_features));
	state[0] = n_frame_features;
	state[1] = n_utt_features;
}

SerStatus
ser_profile_state_add(double *state, const SerFeatureSet *set, SerError *err)
{
	int			F = (int) state[0];
	int			D = (int) state[1];
	double	   *frame_sum = state + STATE_HEADER;
	double	   *utt_sum = frame_sum + F;

	if (set->frames == NULL || set->utterance == NULL ||
		set->n_frame_features != F || set->n_utterance != D)
		return ser_error(err, SER_EINTERNAL, "feature set does not match the profile (%d/%d features, %d/%d expected)",
						 set->n_frame_features, set->n_utterance, F, D);
	/*
	 * Row by row: the sums are in double, so the order of the frames only
	 * matters at the last bits.
	 */
	for (size_t t = 0; t < set->n_frames; t++)
	{
		const float *row = set->frames + t * (size_t) F;

		for (int i = 0; i < F; i++)
			frame_sum[i] += row[i];
	}
	for (int i = 0; i < D; i++)
		utt_sum[i] += set->utterance[i];
	state[2] += 1;
	state[3] += (double) set->n_frames;
	return SER_OK;
}

SerStatus
ser_profile_state_check(const double *state, size_t length, SerError *err)
{
	if (length < STATE_HEADER || !(state[0] >= 0 && state[0] <= 1e6) || !(state[1] >= 0 && state[1] <= 1e6) ||
		state[0] != floor(state[0]) || state[1] != floor(state[1]) ||
		ser_profile_state_length((int) state[0], (int) state[1]) != length)
		return ser_error(err, SER_ECORRUPT, "malformed speaker profile state");
	for (size_t i = 2; i < length; i++)
		if (!isfinite(state[i]) || (i < STATE_HEADER && state[i] < 0))
			return ser_error(err, SER_ECORRUPT, "malformed speaker profile state");
	return SER_OK;
}

SerStatus
ser_profile_state_merge(double *state, const double *other, SerError *err)
{
	size_t		n;

	if (state[0] != other[0] || state[1] != other[1])
		return ser_error(err, SER_EINTERNAL, "speaker profile states of different feature sets");
	n = ser_profile_state_length((int) state[0], (int) state[1]);
	for (size_t i = 2; i < n; i++)
		state[i] += other[i];
	return SER_OK;
}

SerStatus
ser_profile_finish(const double *state, float *profile, SerError *err)
{
	int			F = (int) state[0];
	int			D = (int) state[1];
	double		n_clips = state[2];
	double		n_frames = state[3];
	const double *frame_sum = state + STATE_HEADER;
	const double *utt_sum = frame_sum + F;

	if (n_clips < 1)
		return ser_error(err, SER_EINVAL, "a speaker profile needs at least one recording");
	profile[0] = (float) n_clips;
	/* Every recording has at least one frame (centred framing); guard anyway. */
	for (int i = 0; i < F; i++)
		profile[1 + i] = n_frames > 0 ? (float) (frame_sum[i] / n_frames) : 0.0f;
	for (int i = 0; i < D; i++)
		profile[1 + F + i] = (float) (utt_sum[i] / n_clips);
	return SER_OK;
}

SerStatus
ser_profile_check(const float *profile, size_t length, int n_frame_features, int n_utt_features,
				  SerError *err)
{
	size_t		expected = ser_profile_length(n_frame_features, n_utt_features);

	if (length != expected)
	{
		ser_error(err, SER_EINVAL, "speaker profile has %zu values; this model needs %zu", length, expected);
		ser_error_detail(err, "A profile is the number of recordings followed by %d frame-feature and %d utterance-feature means, as computed with the model's feature parameters.",
						 n_frame_features, n_utt_features);
		return SER_EINVAL;
	}
	if (!(profile[0] >= 1.0f) || !isfinite(profile[0]))
	{
		ser_error(err, SER_EINVAL, "speaker profile summarises %g recordings", (double) profile[0]);
		ser_error_detail(err, "Its first value, the number of recordings, must be at least 1.");
		return SER_EINVAL;
	}
	for (size_t i = 1; i < length; i++)
		if (!isfinite(profile[i]))
		{
			ser_error(err, SER_ENONFINITE, "speaker profile holds a non-finite value");
			ser_error_detail(err, "Value %zu is %g.", i + 1, (double) profile[i]);
			return SER_ENONFINITE;
		}
	return SER_OK;
}

void
ser_profile_subtract(const float *profile, int n_frame_features, int n_utt_features,
					 float *frames, size_t n_frames, float *utt)
{
	const float *frame_mean = profile + 1;
	const float *utt_mean = frame_mean + n_frame_features;

	if (frames != NULL)
		for (size_t t = 0; t < n_frames; t++)
		{
			float	   *row = frames + t * (size_t) n_frame_features;

			for (int i = 0; i < n_frame_features; i++)
				row[i] -= frame_mean[i];
		}
	if (utt != NULL)
		for (int i = 0; i < n_utt_features; i++)
			utt[i] -= utt_mean[i];
}
