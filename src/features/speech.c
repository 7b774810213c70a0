/*
 * speech.c — speech or not: evidence from the frame features and a verdict
 * (see speech.h for the definitions and where the thresholds come from).
 */
#include "features/speech.h"

#include <math.h>
#include <string.h>

#include "features/features.h"

/* MFCC 1..12: the spectral envelope without its level (c0), as in most speech front ends. */
#define ARTICULATION_COEFFICIENTS 12

void
ser_speech_gate_default(SerSpeechGate *gate)
{
	gate->min_voiced_seconds = 0.25;
	gate->min_bandwidth_hz = 700.0;
	gate->min_f0_wobble_st = 0.012;
	gate->max_f0_wobble_st = 1.0;
	gate->min_articulation = 10.0;
}

/* Column of the frame feature called name, or -1. */
static int
frame_column(const SerFeatureParams *p, const char *name)
{
	int			n = ser_frame_feature_count(p);
	char		buf[64];

	for (int i = 0; i < n; i++)
	{
		ser_frame_feature_name(p, i, buf, sizeof(buf));
		if (strcmp(buf, name) == 0)
			return i;
	}
	return -1;
}

static void
swap_floats(float *a, float *b)
{
	float		t = *a;

	*a = *b;
	*b = t;
}

/*
 * The median of v[0..n) (the upper one for even n), 0 for n = 0, by
 * quickselect in place: O(n), deterministic (middle pivot, no randomness).
 */
static double
median_in_place(float *v, size_t n)
{
	size_t		lo = 0,
				hi = n,
				k = n / 2;

	if (n == 0)
		return 0.0;
	while (hi - lo > 1)
	{
		float		pivot = v[lo + (hi - lo) / 2];
		size_t		lt = lo,
					i = lo,
					gt = hi;

		/* Three-way partition: [lo, lt) < pivot, [lt, gt) == pivot, [gt, hi) > pivot. */
		while (i < gt)
		{
			if (v[i] < pivot)
				swap_floats(&v[lt++], &v[i++]);
			else if (v[i] > pivot)
				swap_floats(&v[i], &v[--gt]);
			else
				i++;
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return pivot;
	}
	return v[lo];
}

SerStatus
ser_speech_evidence(const SerFeatureParams *p, const float *frames, size_t n_frames,
					int n_frame_features, SerSpeechEvidence *evidence, SerError *err)
{
	int			c_f0 = frame_column(p, "f0");
	int			c_voiced = frame_column(p, "voiced");
	int			c_bandwidth = frame_column(p, "bandwidth");
	int			c_mfcc1 = frame_column(p, "mfcc_1");
	int			n_coef = p->n_mfcc - 1 < ARTICULATION_COEFFICIENTS ? p->n_mfcc - 1 : ARTICULATION_COEFFICIENTS;
	float	   *scratch;
	size_t		n_voiced = 0,
				n_pairs = 0,
				n_triples = 0;
	float	   *bandwidths,
			   *distances,
			   *wobbles;
	size_t		F = (size_t) n_frame_features;

	memset(evidence, 0, sizeof(*evidence));
	if (n_frame_features != ser_frame_feature_count(p))
		return ser_error(err, SER_EINVAL, "frame matrix has %d columns, the feature parameters give %d",
						 n_frame_features, ser_frame_feature_count(p));
	if (c_f0 < 0 || c_voiced < 0 || c_bandwidth < 0 || c_mfcc1 < 0 || n_coef < 1)
		return ser_error(err, SER_EINVAL, "the feature parameters give no pitch, bandwidth or MFCC beyond c0 to judge speech by");
	if (n_frames == 0)
		return SER_OK;

	scratch = ser_malloc_array(n_frames * 3, sizeof(float));
	if (scratch == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory judging %zu frames", n_frames);
	bandwidths = scratch;
	distances = scratch + n_frames;
	wobbles = scratch + 2 * n_frames;

	for (size_t t = 0; t < n_frames; t++)
	{
		const float *row = frames + t * F;
		const float *prev = t >= 1 ? row - F : NULL;
		const float *prev2 = t >= 2 ? row - 2 * F : NULL;

		if (row[c_voiced] < 0.5f || !(row[c_f0] > 0.0f))
			continue;
		bandwidths[n_voiced++] = row[c_bandwidth];
		if (prev == NULL || prev[c_voiced] < 0.5f || !(prev[c_f0] > 0.0f))
			continue;
		{
			double		sum = 0.0;

			for (int k = 0; k < n_coef; k++)
			{
				double		d = (double) row[c_mfcc1 + k] - prev[c_mfcc1 + k];

				sum += d * d;
			}
			distances[n_pairs++] = (float) sqrt(sum);
		}
		if (prev2 != NULL && prev2[c_voiced] >= 0.5f && prev2[c_f0] > 0.0f)
		{
			double		s0 = 12.0 * log2(prev2[c_f0]),
						s1 = 12.0 * log2(prev[c_f0]),
						s2 = 12.0 * log2(row[c_f0]);

			wobbles[n_triples++] = (float) fabs(s2 - 2.0 * s1 + s0);
		}
	}

	evidence->voiced_seconds = (double) n_voiced * p->hop_length / p->sample_rate;
	evidence->bandwidth_hz = median_in_place(bandwidths, n_voiced);
	evidence->articulation = median_in_place(distances, n_pairs);
	evidence->f0_wobble_st = median_in_place(wobbles, n_triples);
	ser_free(scratch);
	return SER_OK;
}

SerSpeechVerdict
ser_speech_verdict(const SerSpeechGate *gate, const SerSpeechEvidence *evidence)
{
	if (!(evidence->voiced_seconds >= gate->min_voiced_seconds))
		return SER_SPEECH_TOO_LITTLE_VOICED;
	if (!(evidence->bandwidth_hz >= gate->min_bandwidth_hz))
		return SER_SPEECH_NARROW_SPECTRUM;
	if (!(evidence->f0_wobble_st >= gate->min_f0_wobble_st))
		return SER_SPEECH_STEADY_PITCH;
	if (!(evidence->f0_wobble_st <= gate->max_f0_wobble_st))
		return SER_SPEECH_RANDOM_PITCH;
	if (!(evidence->articulation >= gate->min_articulation))
		return SER_SPEECH_STEADY_TIMBRE;
	return SER_SPEECH_YES;
}

const char *
ser_speech_verdict_text(SerSpeechVerdict verdict)
{
	switch (verdict)
	{
		case SER_SPEECH_YES:
			return "speech";
		case SER_SPEECH_TOO_LITTLE_VOICED:
			return "too little voiced speech";
		case SER_SPEECH_NARROW_SPECTRUM:
			return "no voice: narrow spectrum (pure tones)";
		case SER_SPEECH_STEADY_PITCH:
			return "no voice: steady pitch (a tone or an instrument)";
		case SER_SPEECH_RANDOM_PITCH:
			return "no voice: random pitch (noise)";
		case SER_SPEECH_STEADY_TIMBRE:
			return "no voice: steady timbre (no articulation)";
	}
	return "unknown";
}
