/*
 * test_classifier.c — features → model → label on synthetic recordings:
 * cross-validation grouped by "speaker" learns a task a model must solve,
 * the waveform augmentation path runs, training is reproducible, a saved
 * model classifies after a round trip, and nothing is left allocated.
 */
#include "unit.h"

#include <math.h>

#include "classifier/classifier.h"
#include "model/metrics.h"


/*
 * Class 0: a low hum (150-200 Hz harmonics); class 1: a high whistle
 * (1.5-2 kHz); each "speaker" shifts the frequencies and level a little.
 */
static void
make_clip(float *x, size_t n, int cls, int speaker, int take)
{
	double		f0 = (cls == 0 ? 150.0 : 1500.0) * (1.0 + 0.08 * speaker + 0.01 * take);
	double		level = 0.2 + 0.05 * speaker;
	unsigned	seed = 1234u + 97u * (unsigned) (speaker * 31 + take * 7 + cls);

	for (size_t i = 0; i < n; i++)
	{
		double		t = (double) i / 16000.0;

		seed = seed * 1103515245u + 12345u;
		x[i] = (float) (level * (sin(2 * M_PI * f0 * t) + 0.5 * sin(4 * M_PI * f0 * t)) +
						0.01 * (((seed >> 16) & 0x7FFF) / 16384.0 - 1.0));
	}
}

int
main(void)
{
	SerFeatureParams params;
	SerWaveAugment augment;
	SerCorpus	corpus;
	SerClassifierSpec spec;
	SerError	err;
	SerModel   *model = NULL,
			   *model2 = NULL,
			   *loaded = NULL;
	const char *classes[2] = {"hum", "whistle"};
	size_t		n = 8000;		/* 0.5 s */
	float	   *x = malloc(n * sizeof(float));
	int			fold_of[32],
				pred[32],
				confusion[4];
	SerMetrics	m;
	unsigned char *blob = NULL,
			   *blob2 = NULL;
	size_t		len = 0,
				len2 = 0;
	float		probs[2];
	SerStatus	st;

	ser_set_allocator(counting_alloc, counting_free);
	ser_feature_params_default(&params);
	ser_wave_augment_default(&augment);
	ser_corpus_init(&corpus, &params, &augment);
	for (int s = 0; s < 4; s++)
		for (int c = 0; c < 2; c++)
			for (int t = 0; t < 4; t++)
			{
				make_clip(x, n, c, s, t);
				ser_corpus_add(&corpus, x, n, c, s, &err);
			}
	UNIT_OK(corpus.n_clips == 32, "corpus of 32 clips, 4 speakers, 2 classes");

	ser_classifier_spec_default(&spec);
	spec.train.max_epochs = 30;
	spec.train.batch_size = 8;
	spec.train.warmup_epochs = 1;
	spec.validation_fraction = 0;
	spec.stem_channels = 16;
	spec.branch_channels = 8;
	spec.n_res_blocks = 1;
	spec.utt_hidden = 16;
	spec.fused_hidden = 16;

	for (int i = 0; i < corpus.n_clips; i++)
		fold_of[i] = corpus.groups[i] / 2;	/* speakers {0,1} and {2,3} */
	st = ser_classifier_crossval(&corpus, 2, &spec, fold_of, 2, NULL, NULL, pred, &err);
	UNIT_OK(st == SER_OK, "cross-validation by speaker runs (%s)", st ? err.message : "ok");
	if (st == SER_OK)
	{
		ser_confusion_matrix(corpus.labels, pred, corpus.n_clips, 2, confusion, &err);
		ser_metrics_from_confusion(confusion, 2, &m, &err);
		UNIT_OK(m.uar >= 0.9, "unseen speakers are classified (UAR %.3f >= 0.9)", m.uar);
	}

	st = ser_classifier_train(&corpus, classes, 2, &spec, NULL, 0, "unit test", NULL, NULL, &model, NULL, &err);
	UNIT_OK(st == SER_OK, "training a final model (%s)", st ? err.message : "ok");
	st = ser_classifier_train(&corpus, classes, 2, &spec, NULL, 0, "unit test", NULL, NULL, &model2, NULL, &err);
	if (model != NULL && model2 != NULL && ser_model_save(model, &blob, &len, &err) == SER_OK &&
		ser_model_save(model2, &blob2, &len2, &err) == SER_OK)
		UNIT_OK(len == len2 && memcmp(blob, blob2, len) == 0, "the same seed trains the same model, bit for bit");
	else
		UNIT_OK(false, "two trainings saved");

	if (blob != NULL && ser_model_load(blob, len, &loaded, &err) == SER_OK)
	{
		SerFeatureParams mp;

		UNIT_OK(ser_classifier_model_params(loaded, &mp, &err) == SER_OK && ser_feature_params_equal(&mp, &params),
				"the model carries the feature parameters it was trained with");
		make_clip(x, n, 1, 5, 9);	/* a speaker never seen */
		st = ser_classifier_predict(loaded, &mp, x, n, probs, &err);
		UNIT_OK(st == SER_OK && probs[1] > probs[0], "a whistle from a new speaker is a whistle (%.3f)", probs[1]);
		make_clip(x, n, 0, 5, 9);
		st = ser_classifier_predict(loaded, &mp, x, n, probs, &err);
		UNIT_OK(st == SER_OK && probs[0] > probs[1], "a hum from a new speaker is a hum (%.3f)", probs[0]);
	}
	else
		UNIT_OK(false, "saved model loads");

	ser_model_free(model);
	ser_model_free(model2);
	ser_model_free(loaded);
	ser_free(blob);
	ser_free(blob2);
	ser_corpus_free(&corpus);
	UNIT_OK(outstanding == 0, "nothing left allocated (%ld)", outstanding);
	free(x);
	return unit_done();
}
