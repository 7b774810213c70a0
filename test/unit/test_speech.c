/*
 * test_speech.c — the speech gate (features/speech.h): RAVDESS speech in the
 * fixtures is speech, with every measure inside its threshold; silence,
 * noise, pure and harmonic tones, chords and a steady buzz made here are
 * not, each for the reason expected; the evidence's definitions on a
 * hand-made frame matrix; errors; nothing leaks.
 */
#include "unit.h"

#include "audio/decode.h"
#include "common/runtime.h"
#include "features/features.h"
#include "features/speech.h"

#define RATE 16000
#define PI 3.14159265358979323846

static SerFeatureParams params;
static SerSpeechGate gate;

/* Judge pcm[0..n): the verdict, and the evidence in *ev. */
static SerSpeechVerdict
judge_pcm(const float *pcm, size_t n, SerSpeechEvidence *ev)
{
	SerFeatureSet set;
	SerError	err;
	SerSpeechVerdict v;

	if (ser_extract_features(&params, pcm, n, SER_FEATURES_FRAMES, &set, &err) != SER_OK ||
		ser_speech_evidence(&params, set.frames, set.n_frames, set.n_frame_features, ev, &err) != SER_OK)
	{
		printf("# %s\n", err.message);
		exit(1);
	}
	v = ser_speech_verdict(&gate, ev);
	ser_feature_set_free(&set);
	return v;
}

static void
speech_fixture(const char *path)
{
	size_t		len;
	unsigned char *bytes = unit_read_file(path, &len);
	SerDecodeOptions opts = {RATE, 600};
	SerPcm		pcm;
	SerError	err;
	SerSpeechEvidence ev;
	SerSpeechVerdict v;

	if (bytes == NULL || ser_audio_decode(bytes, len, &opts, &pcm, NULL, &err) != SER_OK)
	{
		UNIT_OK(0, "fixture %s decodes", path);
		free(bytes);
		return;
	}
	v = judge_pcm(pcm.samples, pcm.n_samples, &ev);
	UNIT_OK(v == SER_SPEECH_YES, "%s is speech (%s: voiced %.2f s, bandwidth %.0f Hz, wobble %.3f st, articulation %.2f)",
			path, ser_speech_verdict_text(v), ev.voiced_seconds, ev.bandwidth_hz, ev.f0_wobble_st, ev.articulation);
	ser_pcm_free(&pcm);
	free(bytes);
}

/* A deterministic generator for noise (no libc rand: the same on every machine). */
static float
noise(unsigned *state)
{
	*state = *state * 1664525u + 1013904223u;
	return (float) ((*state >> 8) / 16777216.0 * 2.0 - 1.0);
}

typedef enum
{
	SIG_SILENCE, SIG_WHITE, SIG_SINE, SIG_CHORD, SIG_SAWTOOTH, SIG_SQUARE_BURSTS
} Signal;

static float *
make_signal(Signal kind, size_t n)
{
	float	   *x = malloc(n * sizeof(float));
	unsigned	state = 12345;

	for (size_t i = 0; i < n; i++)
	{
		double		t = (double) i / RATE;

		switch (kind)
		{
			case SIG_SILENCE:
				x[i] = 0.0f;
				break;
			case SIG_WHITE:
				x[i] = 0.3f * noise(&state);
				break;
			case SIG_SINE:
				x[i] = (float) (0.5 * sin(2 * PI * 220 * t));
				break;
			case SIG_CHORD:		/* a major triad of sines */
				x[i] = (float) (0.2 * (sin(2 * PI * 220 * t) + sin(2 * PI * 275 * t) + sin(2 * PI * 330 * t)));
				break;
			case SIG_SAWTOOTH:	/* harmonic-rich, broad like a voice, but perfectly steady */
				x[i] = (float) (0.25 * (2.0 * fmod(150.0 * t, 1.0) - 1.0));
				break;
			case SIG_SQUARE_BURSTS:	/* a 130 Hz buzz switched on and off four times a second */
				x[i] = (float) ((fmod(4.0 * t, 1.0) < 0.5 ? 0.2 : 0.0) * (fmod(130.0 * t, 1.0) < 0.5 ? 1.0 : -1.0));
				break;
		}
	}
	return x;
}

static void
non_speech(Signal kind, const char *name, SerSpeechVerdict expected)
{
	size_t		n = 3 * RATE;
	float	   *x = make_signal(kind, n);
	SerSpeechEvidence ev;
	SerSpeechVerdict v = judge_pcm(x, n, &ev);

	UNIT_OK(v == expected, "%s is not speech: %s (expected %s; voiced %.2f s, bandwidth %.0f Hz, wobble %.3f st, articulation %.2f)",
			name, ser_speech_verdict_text(v), ser_speech_verdict_text(expected), ev.voiced_seconds, ev.bandwidth_hz,
			ev.f0_wobble_st, ev.articulation);
	free(x);
}

/* The definitions, on a frame matrix written by hand. */
static void
definitions(void)
{
	int			F = ser_frame_feature_count(&params);
	size_t		T = 6;
	float	   *m = calloc(T * (size_t) F, sizeof(float));
	char		name[64];
	int			c_f0 = -1,
				c_voiced = -1,
				c_bw = -1,
				c_m1 = -1;
	/* F0 rises by 0, 1, 3 semitones per frame over frames 1..4; frame 5 unvoiced. */
	const double semitones[5] = {0, 0, 1, 4, 4};
	SerSpeechEvidence ev;
	SerError	err;

	for (int i = 0; i < F; i++)
	{
		ser_frame_feature_name(&params, i, name, sizeof(name));
		if (strcmp(name, "f0") == 0)
			c_f0 = i;
		else if (strcmp(name, "voiced") == 0)
			c_voiced = i;
		else if (strcmp(name, "bandwidth") == 0)
			c_bw = i;
		else if (strcmp(name, "mfcc_1") == 0)
			c_m1 = i;
	}
	for (size_t t = 0; t < 5; t++)
	{
		float	   *row = m + t * (size_t) F;

		row[c_voiced] = 1.0f;
		row[c_f0] = (float) (100.0 * pow(2.0, semitones[t] / 12.0));
		row[c_bw] = (float) (1000 + 100 * t);
		row[c_m1] = (float) (3 * t);	/* MFCC 1 moves 3 a frame, 4 more fields 4: distance 5 */
		row[c_m1 + 1] = (float) (4 * t);
	}
	m[5 * (size_t) F + c_m1] = 1000.0f;	/* unvoiced: must not count */
	UNIT_OK(ser_speech_evidence(&params, m, T, F, &ev, &err) == SER_OK, "evidence of a hand-made matrix");
	UNIT_NEAR(ev.voiced_seconds, 5 * 0.01, 1e-12, "voiced seconds: 5 voiced frames of 10 ms");
	UNIT_NEAR(ev.bandwidth_hz, 1200, 1e-3, "bandwidth: the median of 1000..1400 Hz");
	UNIT_NEAR(ev.articulation, 5, 1e-5, "articulation: the MFCC distance between consecutive voiced frames");
	/* second differences of 0, 0, 1, 4, 4: 0-0+0 = 0, 1-0+0 = 1, 4-2+0 = 2, 4-8+1 = 3: median (upper) 2 */
	UNIT_NEAR(ev.f0_wobble_st, 2, 1e-4, "wobble: the median |second difference| of F0 in semitones");
	UNIT_OK(ser_speech_evidence(&params, m, 0, F, &ev, &err) == SER_OK && ev.voiced_seconds == 0 &&
			ser_speech_verdict(&gate, &ev) == SER_SPEECH_TOO_LITTLE_VOICED, "no frames: too little voiced speech");
	UNIT_OK(ser_speech_evidence(&params, m, T, F - 1, &ev, &err) == SER_EINVAL && strstr(err.message, "columns") != NULL,
			"a matrix of other parameters is refused: %s", err.message);
	free(m);
}

int
main(void)
{
	SerFeatureParams few;
	SerSpeechEvidence ev;
	SerError	err;
	float		dummy[1] = {0};

	ser_set_allocator(counting_alloc, counting_free);
	ser_feature_params_default(&params);
	ser_speech_gate_default(&gate);

	speech_fixture("test/fixtures/ravdess/03-01-05-02-01-01-01.wav");
	speech_fixture("test/fixtures/librosa/03-01-01-01-01-01-01.flac");
	speech_fixture("test/fixtures/librosa/03-01-02-01-01-02-01.flac");
	speech_fixture("test/fixtures/librosa/03-01-04-02-02-02-02.flac");
	speech_fixture("test/fixtures/librosa/03-01-05-02-01-01-01.flac");

	non_speech(SIG_SILENCE, "digital silence", SER_SPEECH_TOO_LITTLE_VOICED);
	non_speech(SIG_WHITE, "white noise", SER_SPEECH_TOO_LITTLE_VOICED);
	/*
	 * Under the default spectral floor (30 dB below the recording's level)
	 * a pure tone's spectrum is no longer narrow (about 1,900 Hz of
	 * bandwidth, from the floor): tones are caught by their steady timbre
	 * or pitch instead.  Without the floor, by their narrow spectrum.
	 */
	non_speech(SIG_SINE, "a 220 Hz sine", SER_SPEECH_STEADY_TIMBRE);
	non_speech(SIG_CHORD, "a triad of sines", SER_SPEECH_STEADY_PITCH);
	params.spectral_floor_db = 0.0;
	non_speech(SIG_SINE, "a 220 Hz sine without the spectral floor", SER_SPEECH_NARROW_SPECTRUM);
	non_speech(SIG_CHORD, "a triad of sines without the spectral floor", SER_SPEECH_NARROW_SPECTRUM);
	ser_feature_params_default(&params);
	/*
	 * A period of 106.7 samples, aliased: YIN's estimates wobble by about
	 * 0.02 st like a voice's, and only the steady timbre gives it away.
	 */
	non_speech(SIG_SAWTOOTH, "a 150 Hz sawtooth", SER_SPEECH_STEADY_TIMBRE);
	non_speech(SIG_SQUARE_BURSTS, "bursts of a 130 Hz square wave", SER_SPEECH_STEADY_PITCH);
	{
		/* 0.2 s of the speech fixture: real voice, too little of it */
		size_t		len;
		unsigned char *bytes = unit_read_file("test/fixtures/ravdess/03-01-05-02-01-01-01.wav", &len);
		SerDecodeOptions opts = {RATE, 600};
		SerPcm		pcm;

		if (bytes != NULL && ser_audio_decode(bytes, len, &opts, &pcm, NULL, &err) == SER_OK)
		{
			size_t		start = pcm.n_samples / 2;
			SerSpeechVerdict v = judge_pcm(pcm.samples + start, RATE / 5, &ev);

			UNIT_OK(v == SER_SPEECH_TOO_LITTLE_VOICED, "0.2 s cut from speech: %s (voiced %.2f s)",
					ser_speech_verdict_text(v), ev.voiced_seconds);
			ser_pcm_free(&pcm);
		}
		else
			UNIT_OK(0, "speech fixture decodes");
		free(bytes);
	}

	definitions();

	few = params;
	few.n_mfcc = 1;
	UNIT_OK(ser_speech_evidence(&few, dummy, 0, ser_frame_feature_count(&few), &ev, &err) == SER_EINVAL,
			"parameters without MFCC 1 are refused: %s", err.message);

	UNIT_OK(outstanding == 0, "no core allocation left behind (%ld)", outstanding);
	return unit_done();
}
