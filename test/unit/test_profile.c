/*
 * test_profile.c — speaker profiles (features/profile.h): the means are
 * those of the recordings, frame-weighted and recording-weighted; states
 * merge exactly; malformed states and profiles are refused; subtraction
 * is exact.
 */
#include "unit.h"

#include <math.h>

#include "features/profile.h"

static void
fill(SerFeatureSet *set, float *frames, float *utt, size_t n_frames, int F, int D, float base)
{
	for (size_t t = 0; t < n_frames; t++)
		for (int i = 0; i < F; i++)
			frames[t * F + i] = base + (float) t + 0.5f * (float) i;
	for (int i = 0; i < D; i++)
		utt[i] = base * (float) (i + 1);
	set->n_frames = n_frames;
	set->n_frame_features = F;
	set->frames = frames;
	set->n_utterance = D;
	set->utterance = utt;
}

int
main(void)
{
	enum {F = 3, D = 2};
	float		fa[4 * F], ua[D], fb[2 * F], ub[D];
	SerFeatureSet a, b;
	double		one[4 + F + D], two[4 + F + D], both[4 + F + D];
	float		profile[1 + F + D];
	SerError	err;
	SerStatus	st;

	UNIT_OK(ser_profile_state_length(F, D) == 4 + F + D && ser_profile_length(F, D) == 1 + F + D,
			"a state is 4 + F + D doubles, a profile 1 + F + D floats");
	fill(&a, fa, ua, 4, F, D, 1.0f);
	fill(&b, fb, ub, 2, F, D, 10.0f);

	ser_profile_state_init(both, F, D);
	st = ser_profile_state_add(both, &a, &err);
	st = st ? st : ser_profile_state_add(both, &b, &err);
	st = st ? st : ser_profile_finish(both, profile, &err);
	UNIT_OK(st == SER_OK && profile[0] == 2.0f, "two recordings summarised");
	{
		/* frame means over all 6 frames; utterance means over the 2 recordings */
		bool		ok = true;

		for (int i = 0; i < F; i++)
		{
			double		sum = 0;

			for (int t = 0; t < 4; t++)
				sum += fa[t * F + i];
			for (int t = 0; t < 2; t++)
				sum += fb[t * F + i];
			ok = ok && fabs(profile[1 + i] - sum / 6) < 1e-6;
		}
		for (int i = 0; i < D; i++)
			ok = ok && fabs(profile[1 + F + i] - (ua[i] + ub[i]) / 2) < 1e-6;
		UNIT_OK(ok, "frame means are frame-weighted, utterance means recording-weighted");
	}

	ser_profile_state_init(one, F, D);
	ser_profile_state_init(two, F, D);
	ser_profile_state_add(one, &a, &err);
	ser_profile_state_add(two, &b, &err);
	st = ser_profile_state_merge(one, two, &err);
	UNIT_OK(st == SER_OK && memcmp(one, both, sizeof(both)) == 0, "merged partial states equal the whole, bit for bit");

	UNIT_OK(ser_profile_state_check(both, 4 + F + D, &err) == SER_OK, "a state made here is well formed");
	UNIT_OK(ser_profile_state_check(both, 3 + F + D, &err) == SER_ECORRUPT, "a state of the wrong length is refused");
	one[2] = -1;
	UNIT_OK(ser_profile_state_check(one, 4 + F + D, &err) == SER_ECORRUPT, "a negative count is refused");
	one[2] = 1;
	one[5] = NAN;
	UNIT_OK(ser_profile_state_check(one, 4 + F + D, &err) == SER_ECORRUPT, "a NaN sum is refused");
	one[0] = 2.5;
	UNIT_OK(ser_profile_state_check(one, 4 + F + D, &err) == SER_ECORRUPT, "a fractional layout is refused");

	ser_profile_state_init(one, F, D);
	UNIT_OK(ser_profile_finish(one, profile, &err) == SER_EINVAL, "no recordings, no profile: %s", err.message);
	{
		double		other[4 + 4 + D];

		ser_profile_state_init(other, 4, D);
		UNIT_OK(ser_profile_state_merge(both, other, &err) != SER_OK, "states of different layouts do not merge");
		b.n_frame_features = 4;
		UNIT_OK(ser_profile_state_add(both, &b, &err) != SER_OK, "a feature set of another layout is refused");
		b.n_frame_features = F;
	}

	ser_profile_finish(both, profile, &err);
	UNIT_OK(ser_profile_check(profile, 1 + F + D, F, D, &err) == SER_OK, "a finished profile checks");
	UNIT_OK(ser_profile_check(profile, F + D, F, D, &err) == SER_EINVAL, "wrong length: %s", err.message);
	profile[0] = 0.5f;
	UNIT_OK(ser_profile_check(profile, 1 + F + D, F, D, &err) == SER_EINVAL, "fewer than one recording: %s",
			err.message);
	profile[0] = 2.0f;
	profile[2] = INFINITY;
	UNIT_OK(ser_profile_check(profile, 1 + F + D, F, D, &err) == SER_ENONFINITE, "infinite mean: %s", err.message);

	ser_profile_state_init(both, F, D);
	ser_profile_state_add(both, &a, &err);
	ser_profile_finish(both, profile, &err);
	ser_profile_subtract(profile, F, D, fa, 4, ua);
	{
		bool		centred = true;

		for (int i = 0; i < F; i++)
		{
			double		sum = 0;

			for (int t = 0; t < 4; t++)
				sum += fa[t * F + i];
			centred = centred && fabs(sum) < 1e-5;
		}
		for (int i = 0; i < D; i++)
			centred = centred && ua[i] == 0.0f;
		UNIT_OK(centred, "a recording minus its own profile has zero mean");
	}
	return unit_done();
}
