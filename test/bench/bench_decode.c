/*
 * bench_decode.c — core-only decode benchmark: median time to decode a
 * 3.5 s 48 kHz 16-bit mono WAV (speech from the RAVDESS fixture) and
 * resample it to 16 kHz, on one core.  Also decode alone (no resampling)
 * and the cost of a cold resampler (filter design), so the parts are
 * visible.  Run from the repository root: make bench.
 */
#include "bench.h"

#include "audio/decode.h"

#define REPEATS 300

static double
time_decode(const unsigned char *wav, size_t len, int rate)
{
	double		t[REPEATS];

	for (int r = 0; r < REPEATS + 10; r++)
	{
		SerDecodeOptions opts = {rate, 600};
		SerPcm		pcm;
		SerError	err;
		double		t0 = bench_now_ms();

		if (ser_audio_decode(wav, len, &opts, &pcm, NULL, &err) != SER_OK)
		{
			fprintf(stderr, "decode failed: %s\n", err.message);
			exit(1);
		}
		if (r >= 10)
			t[r - 10] = bench_now_ms() - t0;
		ser_pcm_free(&pcm);
	}
	return bench_median(t, REPEATS);
}

int
main(void)
{
	const char *path = "test/fixtures/ravdess/03-01-05-02-01-01-01.wav";
	size_t		len,
				clip_len;
	unsigned char *file = bench_read_file(path, &len);
	SerDecodeOptions native = {0, 600};
	SerPcm		pcm;
	SerError	err;
	unsigned char *clip;
	double		with_resample,
				decode_only;

	if (file == NULL || ser_audio_decode(file, len, &native, &pcm, NULL, &err) != SER_OK ||
		pcm.sample_rate != 48000 || pcm.n_samples < 168000)
	{
		fprintf(stderr, "cannot read %s (run from the repository root)\n", path);
		return 1;
	}
	clip = bench_make_wav(pcm.samples, 168000, 48000, &clip_len);	/* 3.5 s */

	with_resample = time_decode(clip, clip_len, 16000);
	decode_only = time_decode(clip, clip_len, 48000);
	printf("decode: 3.5 s 48 kHz 16-bit mono WAV (RAVDESS speech), median of %d runs, one core\n", REPEATS);
	printf("  decode + resample to 16 kHz : %.3f ms per clip (%.0fx real time)\n", with_resample,
		   3500.0 / with_resample);
	printf("  decode only (48 kHz out)    : %.3f ms per clip\n", decode_only);
	printf("  resampling share            : %.3f ms\n", with_resample - decode_only);
	free(clip);
	free(file);
	ser_pcm_free(&pcm);
	return 0;
}
