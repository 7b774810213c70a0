/*
 * bench_predict.c — core-only end-to-end benchmark of classification: 3.5 s
 * of RAVDESS speech (the fixture, 48 kHz 16-bit) as a 16 kHz WAV, a 48 kHz
 * WAV and a 48 kHz FLAC, each decoded (resampled to 16 kHz), featurised and
 * classified by the shipped model (model/ser_default.sermodel) on one core.
 *
 * Each format runs in a fresh process (forked after the model is loaded), so
 * its first call is a process's first prediction with the model in memory,
 * as in a backend that has loaded it; then the median of calls 2-25 and the
 * steady median of REPEATS calls after them, with each stage's median.
 */
#include "bench.h"

#include <sys/wait.h>
#include <unistd.h>

#include "audio/decode.h"
#include "classifier/classifier.h"

#define REPEATS 200
#define EARLY 25

typedef struct Clip
{
	const char *label;
	unsigned char *bytes;
	size_t		len;
} Clip;

static int
run_clip(const Clip *clip, const SerModel *model, const SerFeatureParams *params)
{
	SerDecodeOptions to16k = {16000, 600};
	SerError	err;
	double		t_first = 0.0,
				t_early[EARLY],
				t_all[REPEATS],
				t_decode[REPEATS],
				t_features[REPEATS],
				t_net[REPEATS];
	float		probs[64];

	for (int r = 0; r < EARLY + REPEATS; r++)
	{
		SerPcm		p16;
		SerFeatureSet set;
		double		t0 = bench_now_ms(),
					t1,
					t2,
					t3;

		memset(&set, 0, sizeof(set));
		if (ser_audio_decode(clip->bytes, clip->len, &to16k, &p16, NULL, &err) != SER_OK)
		{
			fprintf(stderr, "%s: %s\n", clip->label, err.message);
			return 1;
		}
		t1 = bench_now_ms();
		if (ser_extract_features(params, p16.samples, p16.n_samples, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE,
								 &set, &err) != SER_OK)
			return 1;
		t2 = bench_now_ms();
		if (ser_model_predict(model, set.frames, (int) set.n_frames, set.n_frame_features, set.utterance,
							  set.n_utterance, NULL, 0, probs, &err) != SER_OK)
			return 1;
		t3 = bench_now_ms();
		if (r == 0)
			t_first = t3 - t0;
		else if (r < EARLY)
			t_early[r - 1] = t3 - t0;
		else
		{
			t_all[r - EARLY] = t3 - t0;
			t_decode[r - EARLY] = t1 - t0;
			t_features[r - EARLY] = t2 - t1;
			t_net[r - EARLY] = t3 - t2;
		}
		ser_feature_set_free(&set);
		ser_pcm_free(&p16);
	}
	printf("  %-13s %7.3f   %7.3f   %7.3f   %7.3f   %7.3f   %7.3f\n", clip->label, t_first,
		   bench_median(t_early, EARLY - 1), bench_median(t_all, REPEATS), bench_median(t_decode, REPEATS),
		   bench_median(t_features, REPEATS), bench_median(t_net, REPEATS));
	fflush(stdout);
	return 0;
}

int
main(void)
{
	size_t		len,
				model_len;
	unsigned char *file = bench_read_file("test/fixtures/ravdess/03-01-05-02-01-01-01.wav", &len);
	unsigned char *blob = bench_read_file("model/ser_default.sermodel", &model_len);
	SerDecodeOptions native = {0, 600};
	SerDecodeOptions to16k = {16000, 600};
	SerPcm		pcm,
				pcm16;
	SerError	err;
	SerModel   *model;
	SerFeatureParams params;
	Clip		clips[3];
	int			failed = 0;

	if (blob == NULL)
	{
		printf("predict benchmark skipped: model/ser_default.sermodel is not there (src/tools/train_default_model.sh makes it)\n");
		return 0;
	}
	if (file == NULL || ser_audio_decode(file, len, &native, &pcm, NULL, &err) != SER_OK ||
		ser_audio_decode(file, len, &to16k, &pcm16, NULL, &err) != SER_OK ||
		ser_model_load(blob, model_len, &model, &err) != SER_OK ||
		ser_classifier_model_params(model, &params, &err) != SER_OK)
	{
		fprintf(stderr, "cannot set up (run from the repository root): %s\n", err.message);
		return 1;
	}
	clips[0].label = "16 kHz WAV";
	clips[0].bytes = bench_make_wav(pcm16.samples, 56000, 16000, &clips[0].len);
	clips[1].label = "48 kHz WAV";
	clips[1].bytes = bench_make_wav(pcm.samples, 168000, 48000, &clips[1].len);
	clips[2].label = "48 kHz FLAC";
	clips[2].bytes = bench_make_flac(pcm.samples, 168000, 48000, &clips[2].len);
	if (clips[2].bytes == NULL)
	{
		fprintf(stderr, "cannot encode the FLAC clip\n");
		return 1;
	}

	printf("predict: 3.5 s of RAVDESS speech (16-bit mono) to 16 kHz, features, shipped model (%zu bytes), one core, ms\n",
		   model_len);
	printf("  each format in a fresh process: first call, median of calls 2-%d, then the median of %d calls\n",
		   EARLY, REPEATS);
	printf("  %-13s %7s   %7s   %7s   %7s   %7s   %7s\n", "input", "first", "2-25", "median", "decode",
		   "features", "network");
	fflush(stdout);
	for (int i = 0; i < 3; i++)
	{
		pid_t		child = fork();
		int			status;

		if (child == 0)
			_exit(run_clip(&clips[i], model, &params));
		if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	for (int i = 0; i < 3; i++)
		free(clips[i].bytes);
	ser_model_free(model);
	ser_pcm_free(&pcm);
	ser_pcm_free(&pcm16);
	free(file);
	free(blob);
	return failed;
}
