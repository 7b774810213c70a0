/*
 * bench_predict.c — core-only end-to-end benchmark of classification: a
 * 3.5 s 48 kHz 16-bit WAV (RAVDESS speech) decoded, resampled, featurised
 * and classified by the shipped model (model/ser_default.sermodel), median
 * of repeated runs on one core, with the share of each stage.
 */
#include "bench.h"

#include "audio/decode.h"
#include "classifier/classifier.h"

#define REPEATS 200

int
main(void)
{
	size_t		len,
				model_len,
				clip_len;
	unsigned char *file = bench_read_file("test/fixtures/ravdess/03-01-05-02-01-01-01.wav", &len);
	unsigned char *blob = bench_read_file("model/ser_default.sermodel", &model_len);
	SerDecodeOptions native = {0, 600};
	SerDecodeOptions to16k = {16000, 600};
	SerPcm		pcm;
	SerError	err;
	SerModel   *model;
	SerFeatureParams params;
	unsigned char *clip;
	double		t_all[REPEATS],
				t_decode[REPEATS],
				t_features[REPEATS],
				t_net[REPEATS];
	float		probs[64];

	if (blob == NULL)
	{
		printf("predict benchmark skipped: model/ser_default.sermodel is not there (src/tools/train_default_model.sh makes it)\n");
		return 0;
	}
	if (file == NULL || ser_audio_decode(file, len, &native, &pcm, NULL, &err) != SER_OK ||
		ser_model_load(blob, model_len, &model, &err) != SER_OK ||
		ser_classifier_model_params(model, &params, &err) != SER_OK)
	{
		fprintf(stderr, "cannot set up (run from the repository root): %s\n", err.message);
		return 1;
	}
	clip = bench_make_wav(pcm.samples, 168000, 48000, &clip_len);
	for (int r = 0; r < REPEATS + 10; r++)
	{
		SerPcm		p16;
		SerFeatureSet set;
		double		t0 = bench_now_ms(),
					t1,
					t2,
					t3;

		memset(&set, 0, sizeof(set));
		if (ser_audio_decode(clip, clip_len, &to16k, &p16, NULL, &err) != SER_OK)
			return 1;
		t1 = bench_now_ms();
		if (ser_extract_features(&params, p16.samples, p16.n_samples, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE,
								 &set, &err) != SER_OK)
			return 1;
		t2 = bench_now_ms();
		if (ser_model_predict(model, set.frames, (int) set.n_frames, set.n_frame_features, set.utterance,
							  set.n_utterance, NULL, 0, probs, &err) != SER_OK)
			return 1;
		t3 = bench_now_ms();
		if (r >= 10)
		{
			t_all[r - 10] = t3 - t0;
			t_decode[r - 10] = t1 - t0;
			t_features[r - 10] = t2 - t1;
			t_net[r - 10] = t3 - t2;
		}
		ser_feature_set_free(&set);
		ser_pcm_free(&p16);
	}
	printf("predict: 3.5 s 48 kHz 16-bit mono WAV (RAVDESS speech), shipped model (%zu bytes), median of %d runs, one core\n",
		   model_len, REPEATS);
	printf("  decode + features + network : %.3f ms per clip\n", bench_median(t_all, REPEATS));
	printf("    decode + resample         : %.3f ms\n", bench_median(t_decode, REPEATS));
	printf("    features                  : %.3f ms\n", bench_median(t_features, REPEATS));
	printf("    network forward pass      : %.3f ms\n", bench_median(t_net, REPEATS));
	ser_model_free(model);
	ser_pcm_free(&pcm);
	free(clip);
	free(file);
	free(blob);
	return 0;
}
