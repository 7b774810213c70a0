/*
 * bench_features.c — core-only feature benchmark, one core, medians of
 * repeated runs: what ser_features(), ser_frames() and ser_pitch() cost per
 * 3.5 s clip, decode included, and the same work on PCM already decoded.
 *
 * The clip is the one bench_decode.c uses: the first 3.5 s of the RAVDESS
 * fixture (angry speech) as a 48 kHz 16-bit mono WAV, so decoding includes
 * resampling to 16 kHz; the same speech stored at 16 kHz is timed too
 * (decode without resampling).  Run from the repository root: make bench.
 */
#include "bench.h"

#include "audio/decode.h"
#include "features/features.h"
#include "features/pitch.h"

#define REPEATS 200
#define WARMUP 10

typedef enum Work
{
	WORK_DECODE,
	WORK_UTTERANCE,				/* ser_features() */
	WORK_FRAMES,				/* ser_frames() */
	WORK_PITCH					/* ser_pitch() */
} Work;

static const char *const work_names[] = {
	"decode only", "decode + utterance vector (ser_features)",
	"decode + frame matrix (ser_frames)", "decode + pitch track (ser_pitch)"
};

static void
fail(const char *what, const SerError *err)
{
	fprintf(stderr, "%s failed: %s\n", what, err->message);
	exit(1);
}

/* One run of `work` on the encoded clip (decode != NULL) or on PCM. */
static void
run(Work work, const SerFeatureParams *p, const unsigned char *file, size_t len,
	const float *pcm, size_t n)
{
	SerDecodeOptions opts = {p->sample_rate, 600};
	SerPcm		decoded = {NULL, 0, 0};
	SerFeatureSet fs;
	SerPitchTrack track;
	SerError	err;

	if (file != NULL)
	{
		if (ser_audio_decode(file, len, &opts, &decoded, NULL, &err) != SER_OK)
			fail("decode", &err);
		pcm = decoded.samples;
		n = decoded.n_samples;
	}
	switch (work)
	{
		case WORK_DECODE:
			break;
		case WORK_UTTERANCE:
		case WORK_FRAMES:
			if (ser_extract_features(p, pcm, n, work == WORK_UTTERANCE ? SER_FEATURES_UTTERANCE : SER_FEATURES_FRAMES,
									 &fs, &err) != SER_OK)
				fail("features", &err);
			ser_feature_set_free(&fs);
			break;
		case WORK_PITCH:
			if (ser_pitch_track(p, pcm, n, &track, &err) != SER_OK)
				fail("pitch", &err);
			ser_pitch_track_free(&track);
			break;
	}
	if (file != NULL)
		ser_pcm_free(&decoded);
}

static double
median_ms(Work work, const SerFeatureParams *p, const unsigned char *file, size_t len,
		  const float *pcm, size_t n)
{
	double		t[REPEATS];

	for (int r = 0; r < REPEATS + WARMUP; r++)
	{
		double		t0 = bench_now_ms();

		run(work, p, file, len, pcm, n);
		if (r >= WARMUP)
			t[r - WARMUP] = bench_now_ms() - t0;
	}
	return bench_median(t, REPEATS);
}

int
main(void)
{
	const char *path = "test/fixtures/ravdess/03-01-05-02-01-01-01.wav";
	size_t		len,
				wav48_len,
				wav16_len;
	unsigned char *file = bench_read_file(path, &len);
	SerDecodeOptions native = {0, 600};
	SerDecodeOptions to16k = {16000, 600};
	SerPcm		original,
				speech16;
	SerError	err;
	SerFeatureParams p;
	unsigned char *wav48,
			   *wav16;

	if (file == NULL || ser_audio_decode(file, len, &native, &original, NULL, &err) != SER_OK ||
		original.sample_rate != 48000 || original.n_samples < 168000)
	{
		fprintf(stderr, "cannot read %s (run from the repository root)\n", path);
		return 1;
	}
	ser_feature_params_default(&p);
	/* e.g. BENCH_FEATURE_PARAMS="activity_gate_db=0;spectral_floor_db=0;extended_descriptors=0" (version 1's) */
	if (getenv("BENCH_FEATURE_PARAMS") != NULL &&
		ser_feature_params_parse(getenv("BENCH_FEATURE_PARAMS"), &p, &err) != SER_OK)
		fail("BENCH_FEATURE_PARAMS", &err);
	wav48 = bench_make_wav(original.samples, 168000, 48000, &wav48_len);	/* 3.5 s */
	if (ser_audio_decode(wav48, wav48_len, &to16k, &speech16, NULL, &err) != SER_OK)
		fail("decode", &err);
	wav16 = bench_make_wav(speech16.samples, speech16.n_samples, 16000, &wav16_len);

	printf("features: 3.5 s of RAVDESS speech (%zu frames), median of %d runs, one core\n",
		   ser_feature_frame_count(&p, speech16.n_samples), REPEATS);
	printf("  stored as 48 kHz 16-bit WAV (decode resamples):\n");
	for (Work w = WORK_DECODE; w <= WORK_PITCH; w++)
		printf("    %-42s : %7.3f ms per clip\n", work_names[w], median_ms(w, &p, wav48, wav48_len, NULL, 0));
	printf("  stored as 16 kHz 16-bit WAV (no resampling):\n");
	for (Work w = WORK_DECODE; w <= WORK_PITCH; w++)
		printf("    %-42s : %7.3f ms per clip\n", work_names[w], median_ms(w, &p, wav16, wav16_len, NULL, 0));
	printf("  PCM already decoded (the feature core alone):\n");
	for (Work w = WORK_UTTERANCE; w <= WORK_PITCH; w++)
		printf("    %-42s : %7.3f ms per clip\n", work_names[w] + strlen("decode + "),
			   median_ms(w, &p, NULL, 0, speech16.samples, speech16.n_samples));

	free(wav48);
	free(wav16);
	free(file);
	ser_pcm_free(&original);
	ser_pcm_free(&speech16);
	return 0;
}
