/*
 * test_features.c — unit tests of the feature core (src/features) on
 * synthetic signals: known truths (a 220 Hz sine, white noise, silence),
 * finiteness on degenerate input, determinism, parameter validation and the
 * text form, cancellation, leaks, and the memory a 10-minute recording needs.
 * Agreement with librosa is in test_features_librosa.c.
 */
#include "unit.h"

#include "common/runtime.h"
#include "features/features.h"
#include "features/pitch.h"

#include <math.h>

/* The status of the last call (calls are made before the UNIT_OK that checks them, for readable output). */
static SerStatus status;
#include <stdint.h>

#define SR 16000

static int	cancel_after = -1;	/* polls left before ser_interrupted() says yes; -1: never */
static bool
cancel_check(void)
{
	if (cancel_after < 0)
		return false;
	if (cancel_after == 0)
		return true;
	cancel_after--;
	return false;
}

static float *
sine(size_t n, double hz, double amplitude)
{
	float	   *x = malloc(sizeof(float) * (n ? n : 1));

	for (size_t i = 0; i < n; i++)
		x[i] = (float) (amplitude * sin(2.0 * M_PI * hz * (double) i / SR));
	return x;
}

/* Uniform white noise from a fixed LCG: the same samples on every run. */
static float *
noise(size_t n, double amplitude)
{
	float	   *x = malloc(sizeof(float) * n);
	uint64_t	state = 12345;

	for (size_t i = 0; i < n; i++)
	{
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		x[i] = (float) (amplitude * (((double) (state >> 11) / 9007199254740992.0) * 2.0 - 1.0));
	}
	return x;
}

static int
utterance_index(const SerFeatureParams *p, const char *name)
{
	char		buf[64];

	for (int i = 0; i < ser_utterance_feature_count(p); i++)
	{
		ser_utterance_feature_name(p, i, buf, sizeof(buf));
		if (strcmp(buf, name) == 0)
			return i;
	}
	printf("Bail out! no utterance feature %s\n", name);
	exit(1);
}

static int
frame_index(const SerFeatureParams *p, const char *name)
{
	char		buf[64];

	for (int i = 0; i < ser_frame_feature_count(p); i++)
	{
		ser_frame_feature_name(p, i, buf, sizeof(buf));
		if (strcmp(buf, name) == 0)
			return i;
	}
	printf("Bail out! no frame feature %s\n", name);
	exit(1);
}

static int
all_finite(const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

static double
u(const SerFeatureParams *p, const SerFeatureSet *fs, const char *name)
{
	return fs->utterance[utterance_index(p, name)];
}

static void
test_sine_220(const SerFeatureParams *p)
{
	size_t		n = 2 * SR;
	float	   *x = sine(n, 220.0, 0.5);
	SerFeatureSet fs;
	SerError	err;
	int			f0 = frame_index(p, "f0");
	int			worst_frame = -1;
	double		worst = 0;
	int			chroma_a = frame_index(p, "chroma_A");
	int			strongest = 0;

	status = ser_extract_features(p, x, n, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE, &fs, &err);
	UNIT_OK(status == SER_OK,
			"220 Hz sine: features");
	/* Frames whose 64 ms YIN frame lies inside the signal. */
	for (size_t t = 4; t + 4 < fs.n_frames; t++)
	{
		double		d = fabs(fs.frames[t * fs.n_frame_features + f0] - 220.0);

		if (d > worst)
		{
			worst = d;
			worst_frame = (int) t;
		}
	}
	UNIT_OK(worst <= 1.0, "220 Hz sine: F0 220 +- 1 Hz on every inner frame (worst %.3f Hz at frame %d)",
			worst, worst_frame);
	UNIT_NEAR(u(p, &fs, "f0_voiced_p50"), 220.0, 1.0, "220 Hz sine: median F0");
	UNIT_NEAR(u(p, &fs, "voiced_fraction"), 1.0, 0.05, "220 Hz sine: voiced throughout");
	UNIT_OK(u(p, &fs, "hnr_voiced_p50") > 20.0, "220 Hz sine: HNR above 20 dB (%.1f)", u(p, &fs, "hnr_voiced_p50"));
	UNIT_OK(u(p, &fs, "jitter_mean") < 0.005, "220 Hz sine: jitter below 0.5 %% (%.5f)", u(p, &fs, "jitter_mean"));
	for (int c = 1; c < 12; c++)
		if (fs.utterance[utterance_index(p, "chroma_C_mean") + 9 * c]
			> fs.utterance[utterance_index(p, "chroma_C_mean") + 9 * strongest])
			strongest = c;
	UNIT_OK(strongest == 9, "220 Hz sine: strongest mean chroma is A (index %d)", strongest);
	UNIT_NEAR(fs.frames[100 * fs.n_frame_features + chroma_a], 1.0, 1e-6, "220 Hz sine: chroma A is the frame's maximum");
	UNIT_NEAR(u(p, &fs, "rms_p50"), 0.5 / sqrt(2.0), 1e-3, "220 Hz sine: RMS 0.5/sqrt(2)");
	UNIT_NEAR(u(p, &fs, "zcr_p50"), 2.0 * 220.0 / SR, 2.0 / 400, "220 Hz sine: ZCR 2 f / sr");
	UNIT_NEAR(u(p, &fs, "centroid_p50"), 220.0, 40.0, "220 Hz sine: spectral centroid near 220 Hz (%.1f)",
			  u(p, &fs, "centroid_p50"));
	ser_feature_set_free(&fs);
	free(x);
}

static void
test_white_noise(const SerFeatureParams *p)
{
	size_t		n = 2 * SR;
	float	   *x = noise(n, 0.3);
	SerFeatureSet fs;
	SerError	err;

	status = ser_extract_features(p, x, n, SER_FEATURES_UTTERANCE, &fs, &err);
	UNIT_OK(status == SER_OK, "white noise: features");
	UNIT_OK(u(p, &fs, "flatness_p50") > 0.5, "white noise: flatness near 1 (median %.3f; 0.56 is the expectation for a periodogram)",
			u(p, &fs, "flatness_p50"));
	UNIT_OK(u(p, &fs, "voiced_fraction") == 0.0, "white noise: no voiced frames (%.3f)", u(p, &fs, "voiced_fraction"));
	UNIT_OK(u(p, &fs, "f0_voiced_mean") == 0.0 && u(p, &fs, "hnr_voiced_std") == 0.0,
			"white noise: voiced-only statistics are 0");
	UNIT_NEAR(u(p, &fs, "zcr_p50"), 0.5, 0.05, "white noise: ZCR about 1/2");
	UNIT_OK(all_finite(fs.utterance, (size_t) fs.n_utterance), "white noise: all finite");
	ser_feature_set_free(&fs);
	free(x);
}

static void
test_degenerate(const SerFeatureParams *p)
{
	static const size_t lengths[] = {0, 1, 100, 159, 160, 399, 400, 1024, SR};
	SerError	err;

	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
	{
		size_t		n = lengths[i];
		float	   *zeros = calloc(n ? n : 1, sizeof(float));
		SerFeatureSet fs;
		int			ok = ser_extract_features(p, zeros, n, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE, &fs, &err) == SER_OK;

		UNIT_OK(ok && fs.n_frames == 1 + n / 160 && all_finite(fs.frames, fs.n_frames * fs.n_frame_features)
				&& all_finite(fs.utterance, (size_t) fs.n_utterance) && u(p, &fs, "voiced_fraction") == 0.0,
				"silence of %zu samples: %zu frames, all finite, nothing voiced", n, fs.n_frames);
		if (ok)
			ser_feature_set_free(&fs);
		free(zeros);
	}

	/* Without centring, input shorter than n_fft has no frame at all: still a finite vector. */
	{
		SerFeatureParams uncentred = *p;
		float		zeros[300 + 512] = {0};
		SerFeatureSet fs;

		uncentred.center = 0;
		status = ser_extract_features(&uncentred, zeros, 300, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE, &fs, &err);
		UNIT_OK(status == SER_OK && fs.n_frames == 0 && all_finite(fs.utterance, (size_t) fs.n_utterance),
				"center = 0, 300 samples: no frame, finite vector");
		if (status == SER_OK)
			ser_feature_set_free(&fs);
		status = ser_extract_features(&uncentred, zeros, 300 + 512, SER_FEATURES_FRAMES, &fs, &err);
		UNIT_OK(status == SER_OK && fs.n_frames == 1 + 300 / 160, "center = 0, 812 samples: 1 + (n - n_fft) / hop frames (%zu)",
				fs.n_frames);
		if (status == SER_OK)
			ser_feature_set_free(&fs);
	}

	/* One voiced frame: 159 samples of a 440 Hz sine give a single frame. */
	{
		float	   *x = sine(159, 440.0, 0.5);
		SerFeatureSet fs;

		status = ser_extract_features(p, x, 159, SER_FEATURES_UTTERANCE, &fs, &err);
		UNIT_OK(status == SER_OK, "one frame: features");
		UNIT_OK(u(p, &fs, "voiced_fraction") == 1.0, "one frame: it is voiced");
		UNIT_NEAR(u(p, &fs, "f0_voiced_mean"), 440.0, 5.0, "one frame: F0 about 440 Hz");
		UNIT_OK(u(p, &fs, "f0_voiced_std") == 0.0 && u(p, &fs, "f0_voiced_skewness") == 0.0
				&& u(p, &fs, "f0_voiced_slope") == 0.0 && u(p, &fs, "jitter_mean") == 0.0,
				"one frame: spread, shape, slope and jitter are 0");
		UNIT_OK(all_finite(fs.utterance, (size_t) fs.n_utterance), "one frame: all finite");
		ser_feature_set_free(&fs);
		free(x);
	}
	/* Non-finite input is refused. */
	{
		float		x[400] = {0};
		SerFeatureSet fs;

		x[123] = NAN;
		status = ser_extract_features(p, x, 400, SER_FEATURES_UTTERANCE, &fs, &err);
		UNIT_OK(status == SER_ENONFINITE
				&& fs.utterance == NULL, "NaN sample: refused (%s)", err.message);
		x[123] = INFINITY;
		status = ser_extract_features(p, x, 400, SER_FEATURES_UTTERANCE, &fs, &err);
		UNIT_OK(status == SER_ENONFINITE,
				"infinite sample: refused");
	}
}

static void
test_determinism(const SerFeatureParams *p)
{
	size_t		n = 3 * SR;
	float	   *x = noise(n, 0.1);
	float	   *y = sine(n, 150.0, 0.3);
	SerFeatureSet a,
				b,
				c;
	SerError	err;

	for (size_t i = 0; i < n; i++)
		x[i] += y[i];
	ser_extract_features(p, x, n, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE, &a, &err);
	ser_extract_features(p, x, n, SER_FEATURES_UTTERANCE, &b, &err);
	{
		/* another parameter set in between rebuilds the cached tables */
		SerFeatureParams other = *p;
		SerFeatureSet o;

		other.n_mels = 40;
		ser_extract_features(&other, x, n, SER_FEATURES_UTTERANCE, &o, &err);
		ser_feature_set_free(&o);
	}
	ser_extract_features(p, x, n, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE, &c, &err);
	UNIT_OK(memcmp(a.utterance, b.utterance, sizeof(float) * a.n_utterance) == 0,
			"the utterance vector does not depend on whether frames are kept");
	UNIT_OK(memcmp(a.utterance, c.utterance, sizeof(float) * a.n_utterance) == 0
			&& memcmp(a.frames, c.frames, sizeof(float) * a.n_frames * a.n_frame_features) == 0,
			"repeated calls are bit-identical");
	{
		float	   *mel;
		float	   *mfcc;
		size_t		t1,
					t2;
		int			same = 1;

		ser_extract_log_mel(p, x, n, &mel, &t1, &err);
		ser_extract_mfcc(p, x, n, &mfcc, &t2, &err);
		for (size_t t = 0; t < t1; t++)
			same &= memcmp(mel + t * p->n_mels, a.frames + t * a.n_frame_features, sizeof(float) * p->n_mels) == 0
				&& memcmp(mfcc + t * p->n_mfcc, a.frames + t * a.n_frame_features + p->n_mels, sizeof(float) * p->n_mfcc) == 0;
		UNIT_OK(same && t1 == a.n_frames && t2 == a.n_frames, "log-mel and MFCC alone equal the frame matrix columns");
		ser_free(mel);
		ser_free(mfcc);
	}
	ser_feature_set_free(&a);
	ser_feature_set_free(&b);
	ser_feature_set_free(&c);
	free(x);
	free(y);
}

static void
test_params(void)
{
	SerFeatureParams p,
				q;
	SerError	err;
	char		text[SER_FEATURE_PARAMS_TEXT];

	ser_feature_params_default(&p);
	UNIT_OK(ser_feature_params_validate(&p, &err) == SER_OK, "defaults are valid");
	UNIT_OK(ser_feature_params_format(&p, text, sizeof(text), &err) == SER_OK, "defaults format: %s", text);
	UNIT_OK(ser_feature_params_parse(text, &q, &err) == SER_OK && ser_feature_params_equal(&p, &q),
			"text form round trip is exact");
	p.fmax = 7654.321;
	p.pitch_threshold = 0.123456789;
	ser_feature_params_format(&p, text, sizeof(text), &err);
	UNIT_OK(ser_feature_params_parse(text, &q, &err) == SER_OK && q.fmax == p.fmax && q.pitch_threshold == p.pitch_threshold,
			"round trip keeps every bit of a double");
	UNIT_OK(ser_feature_params_parse("version=1;n_mels=40", &q, &err) == SER_OK && q.n_mels == 40 && q.n_fft == 512,
			"missing keys keep their defaults");
	UNIT_OK(ser_feature_params_parse("version=1;n_mels=40;colour=blue", &q, &err) == SER_EINVAL
			&& strstr(err.message, "colour") != NULL, "unknown key: %s", err.message);
	UNIT_OK(ser_feature_params_parse("version=1;n_mels=forty", &q, &err) == SER_EINVAL
			&& strstr(err.message, "n_mels") != NULL, "malformed value: %s", err.message);
	UNIT_OK(ser_feature_params_parse("version=1;n_mels", &q, &err) == SER_EINVAL, "missing '=': %s", err.message);
	UNIT_OK(ser_feature_params_parse("version=3", &q, &err) == SER_EINVAL && strstr(err.detail, "Version 3") != NULL,
			"newer version refused: %s", err.detail);
	UNIT_OK(ser_feature_params_parse("version=1;n_mels=40", &q, &err) == SER_OK && q.activity_gate_db == 0.0
			&& q.spectral_floor_db == 0.0 && q.extended_descriptors == 0,
			"a version-1 text gets the gate, the floor and the extended descriptors off, as its features had them");
	UNIT_OK(ser_feature_params_parse("version=1;activity_gate_db=20", &q, &err) == SER_OK && q.activity_gate_db == 20.0,
			"a version-1 text that names a newer parameter keeps its value");
	UNIT_OK(ser_feature_params_parse("n_mels=40", &q, &err) == SER_OK && q.activity_gate_db == p.activity_gate_db
			&& q.spectral_floor_db == p.spectral_floor_db && q.version == SER_FEATURE_PARAMS_VERSION,
			"a text without a version is of this version, with today's defaults");
	UNIT_OK(ser_feature_params_parse("n_mels=0", &q, &err) == SER_EINVAL && strstr(err.message, "n_mels") != NULL,
			"parsed values are validated: %s", err.message);

	/* Each parameter out of range is named in the error. */
#define EXPECT_INVALID(field, value, name) \
	do { \
		ser_feature_params_default(&p); \
		p.field = value; \
		UNIT_OK(ser_feature_params_validate(&p, &err) == SER_EINVAL && strstr(err.message, name) != NULL \
				&& err.detail[0] != '\0', \
				#field " = " #value " is invalid: %s / %s", err.message, err.detail); \
	} while (0)
	EXPECT_INVALID(version, 0, "version");
	EXPECT_INVALID(sample_rate, 4000, "sample_rate");
	EXPECT_INVALID(n_fft, 511, "n_fft");
	EXPECT_INVALID(n_fft, 8, "n_fft");
	EXPECT_INVALID(win_length, 513, "win_length");
	EXPECT_INVALID(hop_length, 0, "hop_length");
	EXPECT_INVALID(center, 2, "center");
	EXPECT_INVALID(fmax, 9000, "fmin/fmax");
	EXPECT_INVALID(fmin, 8000, "fmin/fmax");
	EXPECT_INVALID(n_mels, 0, "n_mels");
	EXPECT_INVALID(log_floor, 0, "log_floor");
	EXPECT_INVALID(n_mfcc, 65, "n_mfcc");
	EXPECT_INVALID(delta_width, 0, "delta_width");
	EXPECT_INVALID(n_chroma, 0, "n_chroma");
	EXPECT_INVALID(contrast_bands, 7, "contrast_bands");
	EXPECT_INVALID(contrast_quantile, 0.5, "contrast_quantile");
	EXPECT_INVALID(rolloff_percent, 1.0, "rolloff_percent");
	EXPECT_INVALID(pitch_fmin, 0, "pitch_fmin");
	EXPECT_INVALID(pitch_fmax, 9000, "pitch_fmin/pitch_fmax");
	EXPECT_INVALID(pitch_frame_length, 63, "pitch_frame_length");
	EXPECT_INVALID(pitch_threshold, 1.0, "pitch_threshold");
	EXPECT_INVALID(voicing_min_rms, -1, "voicing_min_rms");
	EXPECT_INVALID(voicing_threshold, 0, "voicing_threshold");
	{
		/* a pitch range with fewer than 3 candidate periods */
		ser_feature_params_default(&p);
		p.pitch_fmin = 7000;
		p.pitch_fmax = 8000;
		UNIT_OK(ser_feature_params_validate(&p, &err) == SER_EINVAL, "too narrow a pitch range: %s", err.detail);
	}
	{
		/* too many mel bands for the FFT: found when the filterbank is built */
		float		x[1000] = {0};
		SerFeatureSet fs;

		ser_feature_params_default(&p);
		p.n_mels = 193;
		status = ser_extract_features(&p, x, 1000, SER_FEATURES_UTTERANCE, &fs, &err);
		UNIT_OK(status == SER_EINVAL
				&& strstr(err.message, "n_mels 193") != NULL, "193 mel bands: %s / %s", err.message, err.detail);
		p.n_mels = 192;
		status = ser_extract_features(&p, x, 1000, SER_FEATURES_UTTERANCE, &fs, &err);
		UNIT_OK(status == SER_OK, "192 mel bands fit");
		ser_feature_set_free(&fs);
	}
	{
		char		small[32];

		ser_feature_params_default(&p);
		UNIT_OK(ser_feature_params_format(&p, small, sizeof(small), &err) == SER_EINVAL && small[0] == '\0',
				"format into too small a buffer fails cleanly");
	}
	UNIT_OK(ser_frame_feature_count(&p) == 162 && ser_utterance_feature_count(&p) == 970,
			"%d frame features, %d utterance values (154 and 894 without the extended descriptors)", ser_frame_feature_count(&p),
			ser_utterance_feature_count(&p));
}

static void
test_leaks_and_cancel(const SerFeatureParams *p)
{
	size_t		n = 5 * SR;
	float	   *x = sine(n, 180.0, 0.3);
	SerFeatureSet fs;
	SerPitchTrack track;
	SerError	err;
	SerStatus	st;

	ser_set_allocator(counting_alloc, counting_free);
	ser_set_interrupt_check(cancel_check);

	/* warm the per-process caches (tables, FFT plans) so they do not count */
	ser_extract_features(p, x, n, SER_FEATURES_UTTERANCE, &fs, &err);
	ser_feature_set_free(&fs);

	outstanding = 0;
	for (int i = 0; i < 3; i++)
	{
		ser_extract_features(p, x, n, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE, &fs, &err);
		ser_feature_set_free(&fs);
		ser_pitch_track(p, x, n, &track, &err);
		ser_pitch_track_free(&track);
	}
	UNIT_OK(outstanding == 0, "no allocation outlives a call (%ld outstanding)", outstanding);

	cancel_after = 0;
	st = ser_extract_features(p, x, n, SER_FEATURES_UTTERANCE, &fs, &err);
	UNIT_OK(st == SER_ECANCELED && outstanding == 0 && fs.utterance == NULL,
			"cancel at the start: SER_ECANCELED, nothing left allocated (%ld)", outstanding);
	cancel_after = 1;			/* the pitch loop polls first; this cancels in the frame loop */
	st = ser_extract_features(p, x, n, SER_FEATURES_UTTERANCE, &fs, &err);
	UNIT_OK(st == SER_ECANCELED && outstanding == 0, "cancel in the frame loop: %s, %ld outstanding",
			ser_status_name(st), outstanding);
	cancel_after = 0;
	st = ser_pitch_track(p, x, n, &track, &err);
	UNIT_OK(st == SER_ECANCELED && outstanding == 0, "cancel in the pitch loop: %s", ser_status_name(st));
	cancel_after = -1;

	ser_set_interrupt_check(NULL);
	ser_set_allocator(NULL, NULL);
	free(x);
}

/* Featurising the longest recording ser accepts (ser.max_duration = 600 s) stays within 64 MB. */
static void
test_memory_600s(const SerFeatureParams *p)
{
	size_t		n = (size_t) 600 * SR;
	float	   *x = noise(n, 0.05);
	float	   *tone = sine(n, 130.0, 0.2);
	SerFeatureSet fs;
	SerError	err;
	double		pcm_mb = n * sizeof(float) / 1048576.0;
	double		utterance_mb,
				frames_mb;

	for (size_t i = 0; i < n; i++)
		x[i] += (i / SR) % 2 ? tone[i] : 0.0f;	/* voiced every other second */
	free(tone);
	ser_set_allocator(counting_alloc, counting_free);

	bytes_now = bytes_peak = 0;
	status = ser_extract_features(p, x, n, SER_FEATURES_UTTERANCE, &fs, &err);
	UNIT_OK(status == SER_OK
			&& all_finite(fs.utterance, (size_t) fs.n_utterance), "600 s: utterance vector");
	utterance_mb = bytes_peak / 1048576.0;
	ser_feature_set_free(&fs);

	bytes_now = bytes_peak = 0;
	status = ser_extract_features(p, x, n, SER_FEATURES_FRAMES, &fs, &err);
	UNIT_OK(status == SER_OK, "600 s: frame matrix");
	frames_mb = bytes_peak / 1048576.0;
	ser_feature_set_free(&fs);

	UNIT_DIAG("600 s at 16 kHz: PCM %.1f MB; peak core allocations of featurising: utterance vector %.1f MB, frame matrix %.1f MB",
			  pcm_mb, utterance_mb, frames_mb);
	UNIT_OK(pcm_mb + utterance_mb <= 64.0, "600 s: PCM + ser_features work within 64 MB (%.1f MB)", pcm_mb + utterance_mb);
	UNIT_OK(frames_mb <= 64.0, "600 s: the frame matrix work alone within 64 MB (%.1f MB)", frames_mb);
	ser_set_allocator(NULL, NULL);
	free(x);
}

/*
 * The log-mel bands' statistics are streamed during the frame loop (power
 * sums); they must agree with the two-pass definitions computed here from
 * the frame matrix, on speech-like audio (a chirp with an envelope and
 * noise, so that every band has shape).
 */
static void
test_log_mel_moments(const SerFeatureParams *p)
{
	size_t		n = 16000 * 2;
	float	   *x = malloc(n * sizeof(float));
	unsigned	seed = 99;
	SerFeatureSet fs;
	double		worst = 0.0;
	char		worst_name[64] = "";
	SerError	err;

	for (size_t i = 0; i < n; i++)
	{
		double		t = (double) i / 16000.0;

		seed = seed * 1103515245u + 12345u;
		x[i] = (float) ((0.1 + 0.4 * sin(M_PI * t / 2.0)) * sin(2 * M_PI * (150.0 + 400.0 * t) * t) +
						0.01 * (((seed >> 16) & 0x7FFF) / 16384.0 - 1.0));
	}
	status = ser_extract_features(p, x, n, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE, &fs, &err);
	UNIT_OK(status == SER_OK, "chirp: features");
	if (status == SER_OK)
	{
		double		frame_seconds = (double) p->hop_length / p->sample_rate;
		size_t		T = fs.n_frames;

		for (int b = 0; b < p->n_mels; b++)
		{
			double		mean = 0, m2 = 0, m3 = 0, m4 = 0, lo = INFINITY, hi = -INFINITY, sxy = 0, sxx = 0;
			double		tm = (T - 1) / 2.0 * frame_seconds;
			double		want[6];
			static const char *const stat[6] = {"mean", "std", "range", "slope", "skewness", "kurtosis"};

			for (size_t t = 0; t < T; t++)
				mean += fs.frames[t * fs.n_frame_features + b];
			mean /= T;
			for (size_t t = 0; t < T; t++)
			{
				double		v = fs.frames[t * fs.n_frame_features + b];
				double		d = v - mean;

				m2 += d * d / T;
				m3 += d * d * d / T;
				m4 += d * d * d * d / T;
				lo = v < lo ? v : lo;
				hi = v > hi ? v : hi;
				sxy += (t * frame_seconds - tm) * d;
				sxx += (t * frame_seconds - tm) * (t * frame_seconds - tm);
			}
			want[0] = mean;
			want[1] = sqrt(m2);
			want[2] = hi - lo;
			want[3] = sxy / sxx;
			want[4] = m3 / pow(m2, 1.5);
			want[5] = m4 / (m2 * m2) - 3.0;
			for (int k = 0; k < 6; k++)
			{
				char		name[64];
				double		got,
							e;

				snprintf(name, sizeof(name), "logmel_%d_%s", b, stat[k]);
				got = u(p, &fs, name);
				e = fabs(got - want[k]) / (1.0 + fabs(want[k]));
				if (e > worst)
				{
					worst = e;
					snprintf(worst_name, sizeof(worst_name), "%s", name);
				}
			}
		}
		UNIT_OK(worst < 1e-5, "streamed log-mel statistics equal the two-pass ones (worst %.2g at %s)", worst,
				worst_name);
		ser_feature_set_free(&fs);
	}
	free(x);
}

int
main(void)
{
	SerFeatureParams p;

	ser_feature_params_default(&p);
	test_params();
	/*
	 * The signal tests below check the definitions (librosa's), which have
	 * no activity gate and no spectral floor; test_features_format.c tests
	 * those.
	 */
	p.activity_gate_db = 0.0;
	p.spectral_floor_db = 0.0;
	test_sine_220(&p);
	test_white_noise(&p);
	test_degenerate(&p);
	test_log_mel_moments(&p);
	test_determinism(&p);
	test_leaks_and_cancel(&p);
	test_memory_600s(&p);
	return unit_done();
}
