/*
 * peers_ser.c — ser's half of the side-by-side benchmark (bench_peers.sh):
 * for each recording named on the command line, decode to 16 kHz, all
 * features (frames and utterance, default parameters; the counts are
 * printed), 40 MFCC alone and
 * the pitch track, each the median of ROUNDS runs; prints the median over
 * the recordings of each, in ms.  With OUTDIR set, also writes each clip's
 * 16 kHz samples as raw float32 (OUTDIR/<n>.f32) so that the Python peers
 * work on exactly the same signal.
 */
#include "bench.h"

#include "audio/decode.h"
#include "features/features.h"
#include "features/pitch.h"

#define ROUNDS 3

enum
{
	DECODE, FEATURES, DECODE_FEATURES, MFCC40, PITCH, N_TASKS
};

static double
median3(double *t)
{
	return bench_median(t, ROUNDS);
}

int
main(int argc, char **argv)
{
	const char *outdir = getenv("OUTDIR");
	SerFeatureParams p,
				p40;
	int			n = argc - 1;
	double	   *per_clip[N_TASKS];
	static const char *names[N_TASKS] = {"decode to 16 kHz", "ser_features", "decode + ser_features",
	"ser_mfcc (40)", "ser_pitch"};

	if (n < 1)
	{
		fprintf(stderr, "usage: peers_ser FILE...  (run by test/bench/bench_peers.sh)\n");
		return 2;
	}
	ser_feature_params_default(&p);
	p40 = p;
	p40.n_mfcc = 40;
	for (int k = 0; k < N_TASKS; k++)
		per_clip[k] = malloc(sizeof(double) * n);
	for (int i = 0; i < n; i++)
	{
		size_t		len;
		unsigned char *bytes = bench_read_file(argv[i + 1], &len);
		SerDecodeOptions to16k = {16000, 600};
		double		t[N_TASKS][ROUNDS];
		SerPcm		pcm = {0};
		SerError	err;

		if (bytes == NULL)
		{
			fprintf(stderr, "cannot read %s\n", argv[i + 1]);
			return 1;
		}
		for (int r = 0; r < ROUNDS; r++)
		{
			SerFeatureSet set;
			SerPitchTrack track;
			float	   *mfcc;
			size_t		frames;
			double		t0;

			ser_pcm_free(&pcm);
			t0 = bench_now_ms();
			if (ser_audio_decode(bytes, len, &to16k, &pcm, NULL, &err) != SER_OK)
			{
				fprintf(stderr, "%s: %s\n", argv[i + 1], err.message);
				return 1;
			}
			t[DECODE][r] = bench_now_ms() - t0;
			t0 = bench_now_ms();
			if (ser_extract_features(&p, pcm.samples, pcm.n_samples, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE,
									 &set, &err) != SER_OK)
				return 1;
			t[FEATURES][r] = bench_now_ms() - t0;
			t[DECODE_FEATURES][r] = t[DECODE][r] + t[FEATURES][r];
			ser_feature_set_free(&set);
			t0 = bench_now_ms();
			if (ser_extract_mfcc(&p40, pcm.samples, pcm.n_samples, &mfcc, &frames, &err) != SER_OK)
				return 1;
			t[MFCC40][r] = bench_now_ms() - t0;
			ser_free(mfcc);
			t0 = bench_now_ms();
			if (ser_pitch_track(&p, pcm.samples, pcm.n_samples, &track, &err) != SER_OK)
				return 1;
			t[PITCH][r] = bench_now_ms() - t0;
			ser_pitch_track_free(&track);
		}
		for (int k = 0; k < N_TASKS; k++)
			per_clip[k][i] = median3(t[k]);
		if (outdir != NULL)
		{
			char		path[4096];
			FILE	   *f;

			snprintf(path, sizeof(path), "%s/%d.f32", outdir, i);
			f = fopen(path, "wb");
			if (f == NULL || fwrite(pcm.samples, sizeof(float), pcm.n_samples, f) != pcm.n_samples)
				return 1;
			fclose(f);
		}
		ser_pcm_free(&pcm);
		free(bytes);
	}
	printf("ser\tall features: %d per frame, %d per utterance (default parameters)\n",
		   ser_frame_feature_count(&p), ser_utterance_feature_count(&p));
	for (int k = 0; k < N_TASKS; k++)
		printf("ser\t%s\t%.3f\n", names[k], bench_median(per_clip[k], n));
	return 0;
}
