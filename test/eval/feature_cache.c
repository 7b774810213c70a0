/*
 * feature_cache.c — the utterance vectors of RAVDESS actors 01-20, computed
 * once with the C core and written to a binary file, so that experiments
 * with linear models (crossval_linear.c) take seconds rather than minutes.
 * Not a test.
 *
 * Usage: test/eval/feature_cache --dir D --out FILE [--params TEXT]
 *            [--noise-dbfs X] [--gain-db G]
 *   --params       feature parameters in their text form ("key=value;..."),
 *                  missing keys at their defaults (features/params.h)
 *   --noise-dbfs   add white Gaussian noise of this RMS (dB re full scale)
 *                  after decoding, the same noise for every run (fixed seed
 *                  per clip): the sub-LSB floor a resampled file carries
 *   --gain-db      scale the decoded samples first (no clipping is applied)
 *
 * The files are decoded and resampled by ser's decoder to the parameters'
 * sample rate, as ser_predict does.  One of the byte-identical pair in
 * Actor 02 is skipped, as in crossval_ravdess.c.
 *
 * File layout (native endianness, written and read on the same machine):
 *   "SERFC001", int32 n_clips, int32 dim, int32 params_length,
 *   params text (params_length bytes), dim names of 64 bytes each,
 *   then per clip: int32 actor, int32 emotion (0-7), int32 statement,
 *   char[32] RAVDESS code, float[dim] utterance vector.
 * Build: make test/eval/feature_cache.
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/decode.h"
#include "dataset/ravdess.h"
#include "features/features.h"

#define NAME_BYTES 64
#define CODE_BYTES 32

static void
die(const char *what, const SerError *err)
{
	fprintf(stderr, "feature_cache: %s%s%s\n", what, err ? ": " : "", err ? err->message : "");
	exit(1);
}

#include "ravdess_corpus.h"

/* A standard normal deviate from a 64-bit LCG (Box-Muller); deterministic for a given state. */
static double
gaussian(uint64_t *state)
{
	double		u1,
				u2;

	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	u1 = ((double) (*state >> 11) + 1.0) / 9007199254740993.0;
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	u2 = (double) (*state >> 11) / 9007199254740992.0;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static void
write_or_die(const void *p, size_t size, size_t count, FILE *f)
{
	if (fwrite(p, size, count, f) != count)
		die("write failed", NULL);
}

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	const char *out_path = NULL;
	const char *params_text = "";
	double		noise_dbfs = 0.0;
	int			add_noise = 0;
	double		gain_db = 0.0;
	SerFeatureParams params;
	SerError	err;
	char		text[SER_FEATURE_PARAMS_TEXT];
	int			dim;
	int32_t		header[3];
	FILE	   *out;
	long		count_at;
	int32_t		n_clips = 0;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else if (strcmp(argv[i], "--params") == 0 && i + 1 < argc)
			params_text = argv[++i];
		else if (strcmp(argv[i], "--noise-dbfs") == 0 && i + 1 < argc)
		{
			noise_dbfs = atof(argv[++i]);
			add_noise = 1;
		}
		else if (strcmp(argv[i], "--gain-db") == 0 && i + 1 < argc)
			gain_db = atof(argv[++i]);
		else
			dir = NULL, i = argc;
	}
	if (dir == NULL || out_path == NULL)
	{
		fprintf(stderr, "usage: %s --dir D --out FILE [--params TEXT] [--noise-dbfs X] [--gain-db G]\n",
				argv[0]);
		return 2;
	}
	if (ser_feature_params_parse(params_text, &params, &err) != SER_OK)
		die("--params", &err);
	if (ser_feature_params_format(&params, text, sizeof(text), &err) != SER_OK)
		die("params", &err);
	dim = ser_utterance_feature_count(&params);
	if ((out = fopen(out_path, "wb")) == NULL)
		die(out_path, NULL);
	write_or_die("SERFC001", 1, 8, out);
	count_at = ftell(out);
	header[0] = 0;
	header[1] = dim;
	header[2] = (int32_t) strlen(text);
	write_or_die(header, sizeof(int32_t), 3, out);
	write_or_die(text, 1, strlen(text), out);
	for (int j = 0; j < dim; j++)
	{
		char		name[NAME_BYTES] = {0};

		ser_utterance_feature_name(&params, j, name, sizeof(name));
		write_or_die(name, 1, NAME_BYTES, out);
	}

	for (int actor = 1; actor <= 20; actor++)
	{
		char		path[1024];
		char	   *names[256];
		int			n = eval_actor_files(dir, actor, names, 256);

		for (int i = 0; i < n; i++)
		{
			SerRavdessName rn;
			SerDecodeOptions opt = {params.sample_rate, 600};
			SerPcm		pcm;
			SerFeatureSet fs;
			unsigned char *bytes;
			size_t		len;
			int32_t		meta[3];
			char		code[CODE_BYTES] = {0};

			if (ser_ravdess_parse(names[i], &rn, &err) != SER_OK)
				die(names[i], &err);
			if (strcmp(rn.code, "03-01-03-01-02-02-07") == 0)
			{
				free(names[i]);
				continue;
			}
			snprintf(path, sizeof(path), "%s/Actor_%02d/%s", dir, actor, names[i]);
			bytes = eval_read_file(path, &len);
			if (ser_audio_decode(bytes, len, &opt, &pcm, NULL, &err) != SER_OK)
				die(path, &err);
			if (gain_db != 0.0)
				for (size_t s = 0; s < pcm.n_samples; s++)
					pcm.samples[s] *= (float) pow(10.0, gain_db / 20.0);
			if (add_noise)
			{
				/* the clip's own seed: the same noise whichever clips run before it */
				uint64_t	state = 0x9E3779B97F4A7C15ull ^ ((uint64_t) actor << 32) ^ (uint64_t) i;
				double		sigma = pow(10.0, noise_dbfs / 20.0);

				for (size_t s = 0; s < pcm.n_samples; s++)
					pcm.samples[s] += (float) (sigma * gaussian(&state));
			}
			if (ser_extract_features(&params, pcm.samples, pcm.n_samples, SER_FEATURES_UTTERANCE, &fs,
									 &err) != SER_OK)
				die(path, &err);
			meta[0] = actor;
			meta[1] = rn.codes[SER_RAVDESS_EMOTION] - 1;
			meta[2] = rn.codes[SER_RAVDESS_STATEMENT];
			snprintf(code, sizeof(code), "%s", rn.code);
			write_or_die(meta, sizeof(int32_t), 3, out);
			write_or_die(code, 1, CODE_BYTES, out);
			write_or_die(fs.utterance, sizeof(float), (size_t) dim, out);
			n_clips++;
			ser_feature_set_free(&fs);
			ser_pcm_free(&pcm);
			free(bytes);
			free(names[i]);
		}
	}
	fseek(out, count_at, SEEK_SET);
	write_or_die(&n_clips, sizeof(int32_t), 1, out);
	if (fclose(out) != 0)
		die(out_path, NULL);
	fprintf(stderr, "feature_cache: %d clips x %d features -> %s\n", n_clips, dim, out_path);
	return 0;
}
