/*
 * test_features_format.c — statistics that do not depend on the file's
 * format or level: with the activity gate and the spectral floor
 * (params.h), a recording and the same recording with a -80 dBFS noise
 * floor in its pauses, or 20 dB quieter, give the same level-independent
 * statistics, while without them the noise floor moves them (so the test
 * can fail); and the extended descriptors measure what they say on signals
 * whose answer is known.
 */
#include "unit.h"

#include "features/features.h"

#define RATE 16000

static unsigned lcg_state = 777u;

static double
noise_sample(void)
{
	double		sum = 0.0;

	/* sum of 12 uniforms: near-Gaussian with variance 1 */
	for (int i = 0; i < 12; i++)
	{
		lcg_state = lcg_state * 1103515245u + 12345u;
		sum += ((lcg_state >> 8) & 0xFFFFFF) / 16777216.0;
	}
	return sum - 6.0;
}

/*
 * A speech-like test signal: 0.5 s bursts of a harmonic tone (f0 220 Hz,
 * ten harmonics falling 6 dB per octave, a slow vibrato) with a little
 * noise, raised-cosine onsets and offsets of ramp_s (0: none), separated by
 * 0.25 s of digital silence; 2.25 s in all.
 */
static float *
bursts(size_t *n, double ramp_s)
{
	size_t		total = (size_t) (2.25 * RATE);
	float	   *x = calloc(total, sizeof(float));

	for (size_t i = 0; i < total; i++)
	{
		double		t = (double) i / RATE;
		double		in_cycle = fmod(t, 0.75);
		double		f0 = 220.0 * (1.0 + 0.01 * sin(2 * M_PI * 5.0 * t));
		double		v = 0.0;

		double		ramp;

		if (in_cycle >= 0.5)
			continue;
		/* 30 ms raised-cosine onset and offset, as voices have, rather than clicks */
		ramp = ramp_s > 0.0 ? fmin(1.0, fmin(in_cycle, 0.5 - in_cycle) / ramp_s) : 1.0;
		for (int h = 1; h <= 10; h++)
			v += sin(2 * M_PI * f0 * h * t) / h;
		x[i] = (float) ((0.05 * v + 0.002 * noise_sample()) * 0.5 * (1.0 - cos(M_PI * ramp)));
	}
	*n = total;
	return x;
}

static int
feature_index(const SerFeatureParams *p, const char *name)
{
	char		buf[64];

	for (int i = 0; i < ser_utterance_feature_count(p); i++)
	{
		ser_utterance_feature_name(p, i, buf, sizeof(buf));
		if (strcmp(buf, name) == 0)
			return i;
	}
	return -1;
}

static float *
utterance(const SerFeatureParams *p, const float *x, size_t n)
{
	SerFeatureSet fs;
	SerError	err;
	float	   *v;

	if (ser_extract_features(p, x, n, SER_FEATURES_UTTERANCE, &fs, &err) != SER_OK)
	{
		printf("# extraction failed: %s\n", err.message);
		exit(1);
	}
	v = malloc(sizeof(float) * (size_t) fs.n_utterance);
	memcpy(v, fs.utterance, sizeof(float) * (size_t) fs.n_utterance);
	ser_feature_set_free(&fs);
	return v;
}

/*
 * The mean and the largest change between a and b over the statistics that
 * do not depend on level, each relative to max(1, |a|).  Left out: those
 * level-dependent by definition (RMS, the log-mel means and the 0th
 * cepstral coefficient, which follow the gain) and those of voiced frames,
 * which the pitch tracker selects with an absolute threshold
 * (voicing_min_rms).
 */
static double
change_between(const SerFeatureParams *p, const float *a, const float *b, double *largest, char *which,
			   size_t size)
{
	double		sum = 0.0;
	int			count = 0;
	char		name[64];

	*largest = 0.0;
	for (int i = 0; i < ser_utterance_feature_count(p); i++)
	{
		double		change;

		ser_utterance_feature_name(p, i, name, sizeof(name));
		if (strncmp(name, "rms_", 4) == 0 || strncmp(name, "mfcc_0_", 7) == 0
			|| (strncmp(name, "logmel_", 7) == 0 && strstr(name, "_mean") != NULL)
			|| strncmp(name, "f0_", 3) == 0 || strncmp(name, "hnr_", 4) == 0
			|| strncmp(name, "jitter_", 7) == 0 || strncmp(name, "shimmer_", 8) == 0
			|| strncmp(name, "voiced_", 7) == 0)
			continue;
		change = fabs((double) a[i] - b[i]) / fmax(1.0, fabs((double) a[i]));
		sum += change;
		count++;
		if (change > *largest)
		{
			*largest = change;
			snprintf(which, size, "%s: %g vs %g", name, a[i], b[i]);
		}
	}
	return sum / count;
}

static void
test_noise_floor_and_gain(void)
{
	SerFeatureParams plain,
				robust;
	SerError	err;
	size_t		n;
	float	   *x = bursts(&n, 0.03);
	float	   *noisy = malloc(sizeof(float) * n);
	float	   *quiet = malloc(sizeof(float) * n);
	float	   *a,
			   *b;
	char		which[160];
	double		change,
				plain_change,
				largest;

	for (size_t i = 0; i < n; i++)
	{
		noisy[i] = x[i] + (float) (1e-4 * noise_sample());	/* -80 dBFS white noise */
		quiet[i] = x[i] * 0.1f;
	}
	ser_feature_params_default(&robust);
	UNIT_OK(robust.activity_gate_db == 30.0 && robust.spectral_floor_db == 30.0 && robust.extended_descriptors == 1,
			"the default: gate and floor at 30 dB, extended descriptors on (the shipped model's features)");
	UNIT_OK(ser_feature_params_parse("activity_gate_db=30;spectral_floor_db=30", &robust, &err) == SER_OK,
			"the measured setting: both at 30 dB");
	UNIT_OK(ser_feature_params_parse("activity_gate_db=0;spectral_floor_db=0", &plain, &err) == SER_OK,
			"and both can be turned off");

	a = utterance(&plain, x, n);
	b = utterance(&plain, noisy, n);
	plain_change = change_between(&plain, a, b, &largest, which, sizeof(which));
	UNIT_OK(plain_change > 0.1, "without gate and floor a -80 dBFS noise floor in the pauses moves the "
			"statistics by %.3g on average (largest %s)", plain_change, which);
	free(a);
	free(b);

	/*
	 * With them the noise stays below the floor; what moves is left to the
	 * frames of the onsets and offsets near the gate's threshold, which
	 * the noise can tip one way or the other.
	 */
	a = utterance(&robust, x, n);
	b = utterance(&robust, noisy, n);
	change = change_between(&robust, a, b, &largest, which, sizeof(which));
	UNIT_OK(change < 0.1 * plain_change && largest < 0.5,
			"with them by %.3g on average, a tenth of that at most (largest %s)", change, which);
	free(b);
	b = utterance(&robust, quiet, n);
	change = change_between(&robust, a, b, &largest, which, sizeof(which));
	UNIT_OK(largest < 1e-3, "20 dB less gain moves none by more than 0.1 %% (largest %s)", which);
	free(a);
	free(b);
	free(x);
	free(noisy);
	free(quiet);
}

static void
test_extended_descriptors(void)
{
	SerFeatureParams p,
				gated;
	SerError	err;
	size_t		n;
	float	   *x = bursts(&n, 0.0);
	float	   *v,
			   *tone;
	int			basic;

	ser_feature_params_default(&p);
	p.extended_descriptors = 0;
	basic = ser_utterance_feature_count(&p);
	UNIT_OK(ser_feature_params_parse("extended_descriptors=1;activity_gate_db=0;spectral_floor_db=0", &p, &err) == SER_OK,
			"extended descriptors on (gate and floor off: the values below are of the definitions)");
	UNIT_OK(ser_utterance_feature_count(&p) == basic + 8 * 9 + 4,
			"they add 8 frame descriptors' full statistics and 4 scalars (%d -> %d)", basic,
			ser_utterance_feature_count(&p));
	UNIT_OK(feature_index(&p, "f0_semitone_p50") >= 0 && feature_index(&p, "level_peak_rate") >= 0
			&& feature_index(&p, "hammarberg_mean") >= 0, "and name them");

	/* a steady 220 Hz tone of ten harmonics falling 6 dB per octave, no pauses */
	tone = malloc(sizeof(float) * RATE);
	for (int i = 0; i < RATE; i++)
	{
		double		s = 0.0;

		for (int h = 1; h <= 10; h++)
			s += sin(2 * M_PI * 220.0 * h * i / RATE) / h;
		tone[i] = (float) (0.05 * s);
	}
	v = utterance(&p, tone, RATE);
	UNIT_NEAR(v[feature_index(&p, "f0_semitone_p50")], 12.0 * log2(220.0 / 27.5), 0.1,
			  "F0 in semitones above 27.5 Hz: 36 for 220 Hz");
	UNIT_OK(v[feature_index(&p, "alpha_ratio_p50")] > 6.0,
			"alpha ratio: most energy below 1 kHz (%.1f dB)", v[feature_index(&p, "alpha_ratio_p50")]);
	/* strongest bin 0-2 kHz is the fundamental, 2-5 kHz the 10th harmonic at 2.2 kHz: 20 dB weaker */
	UNIT_NEAR(v[feature_index(&p, "hammarberg_p50")], 20.0, 1.5, "Hammarberg index of harmonics at 1/h");
	UNIT_OK(v[feature_index(&p, "flux_p50")] < 1e-3, "a steady tone has no spectral flux (%.2g)",
			v[feature_index(&p, "flux_p50")]);
	UNIT_NEAR(v[feature_index(&p, "level_p50")], 0.0, 0.5, "a steady tone sits at its own speech level");
	free(v);
	free(tone);

	/* the bursts: 3 of 0.5 s with 2 pauses of 0.25 s between them */
	UNIT_OK(ser_feature_params_parse("extended_descriptors=1;activity_gate_db=40;spectral_floor_db=0", &gated, &err)
			== SER_OK, "gate on");
	v = utterance(&gated, x, n);
	/*
	 * A frame is active while its 25 ms window reaches into a burst: each
	 * burst's activity extends 12.5 ms into the pauses on both sides (the
	 * first starts at 0), the pauses shrink by 25 ms.
	 */
	UNIT_NEAR(v[feature_index(&gated, "active_fraction")], (1.5 + 5 * 0.0125) / 2.25, 0.01,
			  "active fraction: 1.5 s of bursts and their window edges, of 2.25 s");
	UNIT_NEAR(v[feature_index(&gated, "pause_mean_s")], 0.25 - 0.025, 0.011, "pauses of 0.25 s less a window");
	UNIT_NEAR(v[feature_index(&gated, "pause_rate")], 2.0 / 2.0, 0.05, "2 pauses in the 2 s span");
	UNIT_OK(v[feature_index(&gated, "level_peak_rate")] > 0.0, "level peaks counted");
	free(v);
	free(x);
}

int
main(void)
{
	test_noise_floor_and_gain();
	test_extended_descriptors();
	return unit_done();
}
