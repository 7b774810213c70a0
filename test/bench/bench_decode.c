/*
 * bench_decode.c — core-only decode benchmark: median time to decode a
 * 3.5 s 48 kHz 16-bit mono WAV (speech from the RAVDESS fixture) and
 * resample it to 16 kHz, on one core.  Also decode alone (no resampling)
 * and the cost of a cold resampler (filter design), so the parts are
 * visible.  The same clip as a 16-bit FLAC, read by libFLAC directly (the
 * fast path of src/audio/flac.c) and through libsndfile, in alternating
 * rounds so that load on the machine falls on both alike.  Run from the
 * repository root: make bench.
 */
#include "bench.h"

#include "audio/decode.h"
#include "audio/flac.h"

#define REPEATS 300
#define ROUNDS 5

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
	unsigned char *clip,
			   *flac;
	size_t		flac_len;
	double		with_resample,
				decode_only,
				direct[ROUNDS],
				direct_native[ROUNDS],
				sndfile[ROUNDS],
				sndfile_native[ROUNDS];

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

	flac = bench_make_flac(pcm.samples, 168000, 48000, &flac_len);
	if (flac == NULL)
	{
		fprintf(stderr, "cannot encode the FLAC clip\n");
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++)
	{
		ser_flac_set_enabled(true);
		direct[r] = time_decode(flac, flac_len, 16000);
		direct_native[r] = time_decode(flac, flac_len, 48000);
		ser_flac_set_enabled(false);
		sndfile[r] = time_decode(flac, flac_len, 16000);
		sndfile_native[r] = time_decode(flac, flac_len, 48000);
	}
	ser_flac_set_enabled(true);
	printf("the same clip as 16-bit FLAC (%zu bytes), median of %d rounds alternating the two readers\n",
		   flac_len, ROUNDS);
	printf("  libFLAC direct, to 16 kHz   : %.3f ms per clip (decode only: %.3f ms)\n",
		   bench_median(direct, ROUNDS), bench_median(direct_native, ROUNDS));
	printf("  via libsndfile, to 16 kHz   : %.3f ms per clip (decode only: %.3f ms)\n",
		   bench_median(sndfile, ROUNDS), bench_median(sndfile_native, ROUNDS));
	free(flac);
	free(clip);
	free(file);
	ser_pcm_free(&pcm);
	return 0;
}
