/*
 * test_model_format.c — model files written by earlier versions still load
 * and give the same bits, and a model saves to the same bytes it was
 * loaded from:
 *   test/fixtures/models/ensemble2_v0.1.0.sermodel, a small ensemble of two
 *   networks without speaker normalisation and with frame_cmn, written by
 *   ser 0.1.0 together with its probabilities for a fixed input (below);
 *   model/ser_default.sermodel, the shipped model (speaker-normalised
 *   ensemble of three), also written by 0.1.0.
 */
#include "unit.h"

#include "model/model_format.h"
#include "model/rng.h"

#define FIXTURE "test/fixtures/models/ensemble2_v0.1.0.sermodel"
#define SHIPPED "model/ser_default.sermodel"

static unsigned char *
read_file(const char *path, size_t *n)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *b = NULL;
	long		size;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0)
	{
		b = malloc((size_t) size);
		if (b != NULL && fread(b, 1, (size_t) size, f) != (size_t) size)
		{
			free(b);
			b = NULL;
		}
		*n = (size_t) size;
	}
	fclose(f);
	return b;
}

/* Load, then save again: the bytes must be the file's. */
static void
check_round_trip(const char *path, const unsigned char *bytes, size_t len, const SerModel *model)
{
	unsigned char *again = NULL;
	size_t		again_len = 0;
	SerError	err;

	UNIT_OK(ser_model_save(model, &again, &again_len, &err) == SER_OK && again_len == len &&
			memcmp(again, bytes, len) == 0, "%s saves back to the same %zu bytes", path, len);
	ser_free(again);
}

static void
test_v010_ensemble(void)
{
	/* What ser 0.1.0 computed for the input below. */
	static const float expected[3] = {0x1.186f98p-2f, 0x1.fbd8ap-2f, 0x1.d76f96p-3f};
	size_t		len = 0;
	unsigned char *bytes = read_file(FIXTURE, &len);
	SerModel   *model = NULL;
	SerError	err;
	SerRng		rng;
	float		frames[40 * 7],
				utt[5],
				probs[3];
	char		name[16];

	UNIT_OK(bytes != NULL && ser_model_load(bytes, len, &model, &err) == SER_OK,
			"a 0.1.0 ensemble file loads (%s)", bytes ? (model ? "ok" : err.message) : "missing");
	if (model == NULL)
	{
		free(bytes);
		return;
	}
	UNIT_OK(ser_model_member_count(model) == 2 && !ser_model_speaker_normalised(model) &&
			ser_model_config(model)->frame_cmn == 1 && ser_model_class_count(model) == 3,
			"with its two members, no speaker normalisation, frame_cmn and three classes");
	UNIT_OK(ser_model_class_name(model, 2, name, sizeof(name)) && strcmp(name, "high") == 0 &&
			strcmp(ser_model_train_info(model), "written by ser 0.1.0") == 0 &&
			strcmp(ser_model_feature_params(model), "fixture features") == 0, "and its texts");
	ser_rng_seed(&rng, 12);
	for (int i = 0; i < 40 * 7; i++)
		frames[i] = ser_rng_normal(&rng);
	for (int i = 0; i < 5; i++)
		utt[i] = ser_rng_normal(&rng);
	/*
	 * Bit for bit on the machine kind that wrote the file; OpenBLAS may pick
	 * another kernel elsewhere, hence the tolerance, and the diagnostic.
	 */
	UNIT_OK(ser_model_predict(model, frames, 40, 7, utt, 5, NULL, 0, probs, &err) == SER_OK &&
			fabsf(probs[0] - expected[0]) <= 1e-6f && fabsf(probs[1] - expected[1]) <= 1e-6f &&
			fabsf(probs[2] - expected[2]) <= 1e-6f,
			"it predicts what 0.1.0 predicted (%a %a %a)", (double) probs[0], (double) probs[1],
			(double) probs[2]);
	UNIT_DIAG("bit-identical to 0.1.0's prediction: %s", memcmp(probs, expected, sizeof(expected)) == 0 ? "yes" : "no");
	check_round_trip(FIXTURE, bytes, len, model);
	ser_model_free(model);
	free(bytes);
}

static void
test_shipped_model(void)
{
	size_t		len = 0;
	unsigned char *bytes = read_file(SHIPPED, &len);
	SerModel   *model = NULL;
	SerError	err;

	if (bytes == NULL)
	{
		UNIT_SKIP(2, SHIPPED " is not there (run from the repository root)");
		return;
	}
	UNIT_OK(ser_model_load(bytes, len, &model, &err) == SER_OK && ser_model_member_count(model) == 3 &&
			ser_model_speaker_normalised(model), "the shipped model (0.1.0) loads: 3 members, speaker-normalised");
	if (model != NULL)
		check_round_trip(SHIPPED, bytes, len, model);
	ser_model_free(model);
	free(bytes);
}

/* The architecture text is part of the file format: the default's text, as 0.1.0 wrote it. */
static void
test_architecture_text(void)
{
	static const char *const v010 =
		"frame_features=7\nutt_features=5\nclasses=3\nstem_channels=64\nbranch_channels=32\n"
		"branch_kernels=3,5,7\nres_blocks=2\nres_kernel=3\nse_reduction=4\nattention_dim=32\n"
		"utt_hidden=64\nfused_hidden=128\ndropout_fused=0.200000003\ndropout_hidden=0.300000012\n"
		"frame_cmn=0\nspeaker_norm=0\n";
	SerNetConfig cfg,
				back;
	SerError	err;
	char		text[SER_NET_CONFIG_TEXT];
	char		small[64];

	ser_net_default_config(&cfg, 7, 5, 3);
	UNIT_OK(ser_net_config_to_text(&cfg, text, sizeof(text), &err) == SER_OK && strcmp(text, v010) == 0,
			"the default architecture's text is the one 0.1.0 wrote");
	UNIT_OK(ser_net_config_from_text(v010, &back, &err) == SER_OK && ser_net_config_equal(&cfg, &back),
			"and reads back to the same configuration");
	UNIT_OK(ser_net_config_to_text(&cfg, small, sizeof(small), &err) == SER_EINTERNAL,
			"a buffer too small is an error, not a truncated text");
	/* Files from before frame_cmn and speaker_norm lack them: off. */
	{
		char		older[SER_NET_CONFIG_TEXT];

		snprintf(older, sizeof(older), "%s", v010);
		*strstr(older, "frame_cmn=") = '\0';
		UNIT_OK(ser_net_config_from_text(older, &back, &err) == SER_OK && back.frame_cmn == 0 &&
				back.speaker_normalisation == 0, "keys added later are optional");
	}
	UNIT_OK(ser_net_config_from_text("frame_features=7\n", &back, &err) == SER_ECORRUPT &&
			strstr(err.message, "utt_features") != NULL, "a missing key is named: %s", err.message);
	UNIT_OK(ser_net_config_from_text("colour=blue\n", &back, &err) == SER_ECORRUPT &&
			strstr(err.message, "colour") != NULL, "an unknown key is named: %s", err.message);
	cfg.res_kernel = 4;
	UNIT_OK(ser_net_config_validate(&cfg, &err) == SER_EINVAL && strstr(err.message, "res_kernel") != NULL,
			"an even kernel is refused: %s", err.message);
	cfg.res_kernel = 3;
	cfg.dropout_hidden = 1.0f;
	UNIT_OK(ser_net_config_validate(&cfg, &err) == SER_EINVAL && strstr(err.message, "dropout_hidden") != NULL,
			"a dropout of 1 is refused: %s", err.message);
}

int
main(void)
{
	test_architecture_text();
	test_v010_ensemble();
	test_shipped_model();
	return unit_done();
}
