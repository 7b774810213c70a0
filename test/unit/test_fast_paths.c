/*
 * test_fast_paths.c — the properties the faster prediction paths rely on
 * (issue 15), at the edges the golden files do not reach: the finiteness
 * checks on the bits name the first non-finite value wherever it sits
 * (vector body or tail) and accept every finite one; a narrower kernel's
 * im2col columns are the middle of a wider kernel's, zero padding included,
 * and sgemm gives the same bits reading them there (the network's parallel
 * convolutions share one im2col); the mel filters laid out four bands to a
 * vector hold exactly the filters, and no lane reads outside the spectral
 * scratch.
 */
#include "unit.h"

#include <float.h>

#include "features/features.h"
#include "features/spectral.h"
#include "model/layers.h"
#include "model/model.h"

/* ---- finiteness of the samples (features.c) ---- */

static void
test_sample_checks(void)
{
	SerFeatureParams p;
	SerFeatureSet fs;
	SerError	err;
	size_t		n = 1601;		/* not a multiple of four: the scalar tail is used */
	float	   *x = malloc(n * sizeof(float));
	size_t		positions[] = {0, 1, 3, 4, 800, 1596, 1599, 1600};
	float		bad[] = {NAN, -NAN, INFINITY, -INFINITY};
	bool		all_named = true;
	char		want[64];

	ser_feature_params_default(&p);
	for (size_t i = 0; i < n; i++)
		x[i] = 0.3f * (float) sin(0.05 * (double) i);
	for (size_t a = 0; a < sizeof(positions) / sizeof(positions[0]); a++)
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
		{
			SerStatus	st;

			x[positions[a]] = bad[b];
			st = ser_extract_features(&p, x, n, SER_FEATURES_UTTERANCE, &fs, &err);
			snprintf(want, sizeof(want), "audio sample %zu is not finite", positions[a]);
			if (st != SER_ENONFINITE || strcmp(err.message, want) != 0)
			{
				UNIT_DIAG("sample %zu = %g: status %d, \"%s\"", positions[a], (double) bad[b], (int) st,
						  err.message);
				all_named = false;
			}
			x[positions[a]] = 0.0f;
		}
	UNIT_OK(all_named, "NaN, -NaN, +Inf and -Inf at the ends, the middle and the tail: refused and named");

	x[1599] = INFINITY;
	x[5] = NAN;
	UNIT_OK(ser_extract_features(&p, x, n, SER_FEATURES_UTTERANCE, &fs, &err) == SER_ENONFINITE &&
			strcmp(err.message, "audio sample 5 is not finite") == 0, "two of them: the first is named (%s)",
			err.message);
	x[1599] = x[5] = 0.0f;

	/* the largest, the smallest and the negative zero are finite */
	x[0] = FLT_MAX;
	x[1] = -FLT_MAX;
	x[2] = FLT_TRUE_MIN;
	x[3] = -0.0f;
	x[1600] = FLT_MIN;
	UNIT_OK(ser_extract_features(&p, x, n, SER_FEATURES_UTTERANCE, &fs, &err) == SER_OK,
			"FLT_MAX, -FLT_MAX, a subnormal and -0 are accepted");
	ser_feature_set_free(&fs);
	free(x);
}

/* ---- finiteness of a prediction's input (model.c) ---- */

#define MF 7
#define MD 5
#define MT 61

static void
test_predict_checks(void)
{
	SerNetConfig cfg;
	SerNet	   *net;
	SerRng		rng;
	SerNormStats norm;
	SerModel   *model;
	SerError	err;
	float		frames[MT * MF],
				utt[MD],
				probs[SER_NET_MAX_CLASSES];
	SerStatus	st;

	ser_rng_seed(&rng, 7);
	ser_net_default_config(&cfg, MF, MD, 4);
	cfg.stem_channels = 8;
	cfg.branch_channels = 4;
	cfg.n_res_blocks = 1;
	cfg.attention_dim = 6;
	cfg.utt_hidden = 6;
	cfg.fused_hidden = 8;
	if (ser_net_create(&cfg, &rng, &net, &err) != SER_OK ||
		ser_norm_stats_alloc(&norm, MF, MD, &err) != SER_OK)
	{
		UNIT_OK(false, "set up: %s", err.message);
		return;
	}
	for (int i = 0; i < MF; i++)
	{
		norm.frame_mean[i] = 0.1f * i;
		norm.frame_std[i] = 1.0f + 0.2f * i;
	}
	for (int i = 0; i < MD; i++)
	{
		norm.utt_mean[i] = -0.3f * i;
		norm.utt_std[i] = 2.0f;
	}
	st = ser_model_create(&cfg, NULL, "", "a\nb\nc\nd", "", &model, &err);
	if (st == SER_OK)
		st = ser_model_add_member(model, net, &norm, &err);
	UNIT_OK(st == SER_OK, "a one-network model");
	if (st != SER_OK)
		return;
	for (int i = 0; i < MT * MF; i++)
		frames[i] = (float) sin(0.31 * i);
	for (int i = 0; i < MD; i++)
		utt[i] = (float) cos(0.7 * i);

	frames[MT * MF - 1] = -INFINITY;
	st = ser_model_predict(model, frames, MT, MF, utt, MD, NULL, 0, probs, &err);
	UNIT_OK(st == SER_ENONFINITE && strcmp(err.message, "frame features hold a non-finite value") == 0 &&
			strcmp(err.detail, "Frame 60, feature 6 is -inf.") == 0, "the last frame value: %s", err.detail);
	utt[MD - 1] = NAN;
	st = ser_model_predict(model, frames, MT, MF, utt, MD, NULL, 0, probs, &err);
	UNIT_OK(st == SER_ENONFINITE && strcmp(err.detail, "Frame 60, feature 6 is -inf.") == 0,
			"frames and utterance vector both: the frame is named");
	frames[MT * MF - 1] = 0.0f;
	st = ser_model_predict(model, frames, MT, MF, utt, MD, NULL, 0, probs, &err);
	UNIT_OK(st == SER_ENONFINITE && strcmp(err.message, "utterance features hold a non-finite value") == 0 &&
			strncmp(err.detail, "Feature 4 is ", 13) == 0, "the last utterance value: %s", err.detail);
	utt[MD - 1] = 0.0f;
	frames[5] = FLT_TRUE_MIN;
	utt[0] = -0.0f;
	st = ser_model_predict(model, frames, MT, MF, utt, MD, NULL, 0, probs, &err);
	UNIT_OK(st == SER_OK, "a subnormal and -0 are accepted");
	ser_model_free(model);
	ser_net_free(net);
	ser_norm_stats_free(&norm);
}

/* ---- shared im2col (network.c's parallel convolutions) ---- */

#define CIN 5
#define COUT 3
#define KMAX 7

static void
test_shared_columns(void)
{
	int			lengths[] = {1, 2, 3, 5, 9, 40};
	int			n_seq = (int) (sizeof(lengths) / sizeof(lengths[0]));
	int			offsets[7];
	SerSeqs		seqs = {n_seq, offsets};
	int			n;
	float	   *x,
			   *wide,
			   *narrow,
			   *y_own,
			   *y_shared,
				w[COUT * KMAX * CIN],
				b[COUT];
	bool		columns_same = true,
				products_same = true;

	offsets[0] = 0;
	for (int s = 0; s < n_seq; s++)
		offsets[s + 1] = offsets[s] + lengths[s];
	n = offsets[n_seq];
	x = malloc(sizeof(float) * n * CIN);
	wide = malloc(sizeof(float) * n * KMAX * CIN);
	narrow = malloc(sizeof(float) * n * KMAX * CIN);
	y_own = malloc(sizeof(float) * n * COUT);
	y_shared = malloc(sizeof(float) * n * COUT);
	for (int i = 0; i < n * CIN; i++)
		x[i] = (float) sin(1.3 * i) * 3.0f;
	for (int i = 0; i < COUT * KMAX * CIN; i++)
		w[i] = (float) cos(0.7 * i);
	for (int i = 0; i < COUT; i++)
		b[i] = 0.25f * i - 0.3f;
	ser_blas_init();
	ser_im2col(&seqs, x, CIN, KMAX, wide);
	for (int k = 1; k < KMAX; k += 2)
	{
		const float *middle = wide + (KMAX - k) / 2 * CIN;

		ser_im2col(&seqs, x, CIN, k, narrow);
		for (int t = 0; t < n; t++)
			if (memcmp(narrow + (size_t) t * k * CIN, middle + (size_t) t * KMAX * CIN,
					   sizeof(float) * k * CIN) != 0)
				columns_same = false;
		ser_conv1d_forward(&seqs, x, CIN, w, b, COUT, k, y_own, COUT, narrow);
		ser_dense_forward(middle, KMAX * CIN, n, k * CIN, w, b, COUT, y_shared, COUT);
		if (memcmp(y_own, y_shared, sizeof(float) * n * COUT) != 0)
			products_same = false;
	}
	UNIT_OK(columns_same, "kernels 1, 3, 5: their columns are the middle of kernel 7's (clips of 1 to 40 frames)");
	UNIT_OK(products_same, "and the convolutions read there are the same bits as with columns of their own");
	free(x);
	free(wide);
	free(narrow);
	free(y_own);
	free(y_shared);
}

/* ---- mel filters four bands to a vector (spectral.c) ---- */

static void
test_mel_groups(const char *text)
{
	SerFeatureParams p;
	const SerSpectralTables *t;
	SerError	err;
	bool		same = true,
				inside = true,
				counts = true;

	ser_feature_params_default(&p);
	if (text[0] != '\0' && ser_feature_params_parse(text, &p, &err) != SER_OK)
	{
		UNIT_OK(false, "parameters \"%s\": %s", text, err.message);
		return;
	}
	if (ser_spectral_tables_get(&p, &t, &err) != SER_OK)
	{
		UNIT_OK(false, "tables for \"%s\": %s", text, err.message);
		return;
	}
	for (int g = 0; g < t->n_mel_groups; g++)
	{
		int			most = 0;

		for (int j = 0; j < 4; j++)
		{
			int			band = 4 * g + j;
			int			first = band < p.n_mels ? t->mel_first[band] : 0;
			int			count = band < p.n_mels ? t->mel_count[band] : 0;

			if (count > most)
				most = count;
			for (int k = 0; k < t->mel_group_count[g]; k++)
			{
				float		v = t->mel_group_weights[4 * ((size_t) t->mel_group_offset[g] + k) + j];
				float		expect = k < count ? t->mel_weights[(size_t) band * t->n_bins + first + k] : 0.0f;

				if (memcmp(&v, &expect, sizeof(v)) != 0)
					same = false;
			}
			/* the furthest a lane reads, in floats from the power spectrum: power and magnitude */
			if (first + t->mel_group_count[g] > 2 * t->bin_stride)
				inside = false;
		}
		if (most != t->mel_group_count[g])
			counts = false;
	}
	UNIT_OK(same && counts && inside && t->n_mel_groups == (p.n_mels + 3) / 4,
			"%s: %d bands in %d groups of four hold the filters, zeros past them; lanes read inside the scratch",
			text[0] ? text : "defaults", p.n_mels, t->n_mel_groups);
}

int
main(void)
{
	test_sample_checks();
	test_predict_checks();
	test_shared_columns();
	test_mel_groups("");
	test_mel_groups("n_mels=40");
	test_mel_groups("n_mels=13;n_mfcc=13");
	test_mel_groups("n_mels=128;n_fft=1024;win_length=800");
	return unit_done();
}
