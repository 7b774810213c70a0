/*
 * test_model_network.c — the network outside its gradients: batch-norm
 * folding gives the function of the unfolded net in evaluation mode; a
 * clip's output does not depend on the other clips packed with it (the
 * masking property); inference is bit-identical across calls and leaves no
 * allocation behind; save/load round-trips bit for bit; load checks names
 * and shapes; predict validates its inputs; the default architecture fits
 * the size budget.
 */
#include "unit.h"

#include "model/model_format.h"
#include "model/tensor_blob.h"

/* A model of one network: ser_model_create, then the network as its member. */
static SerStatus
model_of(const SerNet *net, const SerNormStats *norm, const float *population, const char *params,
		 const char *classes, const char *info, SerModel **out, SerError *err)
{
	SerStatus	st = ser_model_create(&net->cfg, population, params, classes, info, out, err);

	if (st == SER_OK && (st = ser_model_add_member(*out, net, norm, err)) != SER_OK)
	{
		ser_model_free(*out);
		*out = NULL;
	}
	return st;
}


static SerRng rng;

static void
small_config(SerNetConfig *cfg)
{
	ser_net_default_config(cfg, 7, 5, 4);
	cfg->stem_channels = 8;
	cfg->branch_channels = 4;
	cfg->n_res_blocks = 3;		/* odd, so inference buffer sharing is exercised */
	cfg->attention_dim = 6;
	cfg->utt_hidden = 5;
	cfg->fused_hidden = 9;
}

/* Give BN non-trivial statistics and affine parameters, as after training. */
static void
randomise_bn(SerNet *net)
{
	for (int i = 0; i < net->n_params; i++)
	{
		const char *n = net->params[i].name;
		float	   *v = ser_net_param(net, i);

		for (size_t j = 0; j < net->params[i].size; j++)
		{
			if (strstr(n, ".var"))
				v[j] = 0.2f + ser_rng_uniform(&rng) * 2.0f;
			else if (strstr(n, ".mean") || strstr(n, ".beta"))
				v[j] = 0.5f * ser_rng_normal(&rng);
			else if (strstr(n, ".gamma"))
				v[j] = 0.5f + ser_rng_uniform(&rng);
		}
	}
}

static float *
randn(size_t n)
{
	float	   *v = malloc(sizeof(float) * n);

	for (size_t i = 0; i < n; i++)
		v[i] = ser_rng_normal(&rng);
	return v;
}

static void
test_folding_and_masking(void)
{
	SerNetConfig cfg;
	SerNet	   *net;
	SerNet	   *folded;
	SerError	err;
	static const int offsets[] = {0, 30, 31, 48};	/* lengths 30, 1, 17 */
	SerSeqs		batch = {3, offsets};
	float	   *frames = randn(48 * 7);
	float	   *utt = randn(3 * 5);
	SerNetActs *a;
	SerNetActs *b;
	float		eval_probs[3 * 4];
	double		max_diff = 0.0;
	SerStatus	st;

	small_config(&cfg);
	st = ser_net_create(&cfg, &rng, &net, &err);
	UNIT_OK(st == SER_OK, "network created");
	randomise_bn(net);
	st = ser_net_fold(net, &folded, &err);
	UNIT_OK(st == SER_OK && folded->folded, "network folded");
	UNIT_OK(ser_net_find_param(folded, "res0.bn1.gamma") < 0 && ser_net_find_param(folded, "res0.conv1.b") >= 0,
			"the folded net has biases instead of batch-norm tensors");

	ser_net_forward(net, SER_NET_EVAL, &batch, frames, utt, NULL, &a, &err);
	ser_net_forward(folded, SER_NET_EVAL, &batch, frames, utt, NULL, &b, &err);
	for (int i = 0; i < 3 * 4; i++)
	{
		double		d = fabs(ser_net_acts_logits(a)[i] - ser_net_acts_logits(b)[i]);

		if (d > max_diff)
			max_diff = d;
	}
	memcpy(eval_probs, ser_net_acts_probs(b), sizeof(eval_probs));
	UNIT_OK(max_diff < 1e-4, "folded and unfolded nets agree in evaluation mode (largest logit difference %.2g)", max_diff);
	ser_net_acts_free(a);
	ser_net_acts_free(b);

	/* each clip alone gives what it gave inside the batch */
	max_diff = 0.0;
	for (int s = 0; s < 3; s++)
	{
		int			one[2] = {0, offsets[s + 1] - offsets[s]};
		SerSeqs		alone = {1, one};

		ser_net_forward(folded, SER_NET_EVAL, &alone, frames + offsets[s] * 7, utt + s * 5, NULL, &a, &err);
		for (int k = 0; k < 4; k++)
		{
			double		d = fabs(ser_net_acts_probs(a)[k] - eval_probs[s * 4 + k]);

			if (d > max_diff)
				max_diff = d;
		}
		ser_net_acts_free(a);
	}
	UNIT_OK(max_diff < 1e-6, "a clip gives the same output alone and packed with clips of other lengths (%.2g)", max_diff);

	/* changing a neighbour changes nothing */
	for (int i = 31 * 7; i < 48 * 7; i++)
		frames[i] *= -3.0f;
	ser_net_forward(folded, SER_NET_EVAL, &batch, frames, utt, NULL, &a, &err);
	max_diff = 0.0;
	for (int k = 0; k < 8; k++)
		max_diff = fmax(max_diff, fabs(ser_net_acts_probs(a)[k] - eval_probs[k]));
	UNIT_OK(max_diff < 1e-6, "clips 0 and 1 ignore what clip 2 holds (%.2g)", max_diff);
	ser_net_acts_free(a);

	/* training mode needs an rng and a training net */
	st = ser_net_forward(folded, SER_NET_TRAIN, &batch, frames, utt, &rng, &a, &err);
	UNIT_OK(st == SER_EINVAL, "a folded net refuses a training pass");
	{
		int			empty[2] = {0, 0};
		SerSeqs		none = {1, empty};

		st = ser_net_forward(net, SER_NET_EVAL, &none, frames, utt, NULL, &a, &err);
		UNIT_OK(st == SER_EINVAL, "a clip without frames is refused (%s)", err.message);
	}
	ser_net_free(folded);
	ser_net_free(net);
	free(frames);
	free(utt);
}

static void
test_model_round_trip(void)
{
	SerNetConfig cfg;
	SerNet	   *net;
	SerModel   *model;
	SerModel   *loaded;
	SerError	err;
	float		fm[7],
				fs[7],
				um[5],
				us[5];
	SerNormStats norm = {fm, fs, um, us};
	float	   *frames = randn(120 * 7);
	float	   *utt = randn(5);
	float		p1[4],
				p2[4],
				p3[4];
	unsigned char *blob;
	size_t		len;
	long		before;
	char		name[32];
	SerStatus	st;

	for (int i = 0; i < 7; i++)
	{
		fm[i] = 0.1f * i;
		fs[i] = 1.0f + 0.2f * i;
	}
	for (int i = 0; i < 5; i++)
	{
		um[i] = -0.5f * i;
		us[i] = 2.0f;
	}
	small_config(&cfg);
	ser_net_create(&cfg, &rng, &net, &err);
	randomise_bn(net);
	st = model_of(net, &norm, NULL, "sr=16000 hop=160", "neutral\nhappy\nsad\nangry", "seed 1", &model, &err);
	UNIT_OK(st == SER_OK, "model assembled");
	st = model_of(net, &norm, NULL, "x", "neutral\nhappy\nsad", "", &loaded, &err);
	UNIT_OK(st == SER_EINVAL, "a class list of the wrong length is refused (%s)", err.message);
	fs[3] = 0.0f;
	st = model_of(net, &norm, NULL, "x", "a\nb\nc\nd", "", &loaded, &err);
	UNIT_OK(st == SER_EINVAL, "a zero standard deviation is refused (%s)", err.message);
	fs[3] = 1.6f;

	before = outstanding;
	st = ser_model_predict(model, frames, 120, 7, utt, 5, NULL, 0, p1, &err);
	UNIT_OK(st == SER_OK && outstanding == before, "prediction allocates nothing that outlives it");
	ser_model_predict(model, frames, 120, 7, utt, 5, NULL, 0, p2, &err);
	UNIT_OK(memcmp(p1, p2, sizeof(p1)) == 0, "two predictions of the same clip are bit-identical");
	UNIT_NEAR(p1[0] + p1[1] + p1[2] + p1[3], 1.0, 1e-5, "probabilities sum to 1");

	st = ser_model_save(model, &blob, &len, &err);
	UNIT_OK(st == SER_OK, "model saved (%zu bytes)", len);
	st = ser_model_load(blob, len, &loaded, &err);
	UNIT_OK(st == SER_OK, "model loaded back");
	ser_model_predict(loaded, frames, 120, 7, utt, 5, NULL, 0, p3, &err);
	UNIT_OK(memcmp(p1, p3, sizeof(p1)) == 0, "the loaded model predicts the same bits");
	UNIT_OK(strcmp(loaded->feature_params, "sr=16000 hop=160") == 0 && strcmp(loaded->train_info, "seed 1") == 0,
			"feature parameters and training text survive");
	UNIT_OK(ser_model_class_name(loaded, 2, name, sizeof(name)) && strcmp(name, "sad") == 0 &&
			!ser_model_class_name(loaded, 4, name, sizeof(name)), "class names by index");
	UNIT_OK(loaded->members[0].norm.frame_std[3] == 1.6f && loaded->members[0].norm.utt_mean[4] == -2.0f, "normalisation statistics survive");

	/* errors at predict time */
	st = ser_model_predict(loaded, frames, 120, 6, utt, 5, NULL, 0, p3, &err);
	UNIT_OK(st == SER_EINVAL && err.detail[0] != '\0', "wrong feature count is refused: %s", err.detail);
	frames[17] = NAN;
	st = ser_model_predict(loaded, frames, 120, 7, utt, 5, NULL, 0, p3, &err);
	UNIT_OK(st == SER_ENONFINITE, "NaN in the input is refused: %s", err.detail);
	frames[17] = 0.0f;
	st = ser_model_predict(loaded, frames, 0, 7, utt, 5, NULL, 0, p3, &err);
	UNIT_OK(st == SER_EINVAL, "zero frames are refused");
	st = ser_model_predict(loaded, frames, 1, 7, utt, 5, NULL, 0, p3, &err);
	UNIT_OK(st == SER_OK, "a single frame is enough");
	ser_model_free(loaded);

	/* a blob whose tensor has the wrong shape, behind a valid checksum */
	{
		SerBlob		parsed;
		SerBlobWriter w;
		unsigned char *bad;
		size_t		bad_len;

		ser_blob_parse(blob, len, &parsed, &err);
		ser_blob_writer_init(&w);
		for (int i = 0; i < parsed.n_entries; i++)
		{
			SerBlobEntry *e = &parsed.entries[i];

			if (e->kind == SER_BLOB_TEXT)
				ser_blob_add_text(&w, e->name, e->text, &err);
			else if (strcmp(e->name, "res1.conv2.w") == 0)
			{
				int			dims[2] = {e->dims[1], e->dims[0]};	/* transposed */

				ser_blob_add_tensor(&w, e->name, 2, dims, e->values, &err);
			}
			else
				ser_blob_add_tensor(&w, e->name, e->ndim, e->dims, e->values, &err);
		}
		ser_blob_finish(&w, &bad, &bad_len, &err);
		st = ser_model_load(bad, bad_len, &loaded, &err);
		UNIT_OK(st == SER_ECORRUPT && strstr(err.message, "res1.conv2.w") != NULL,
				"a tensor of the wrong shape is refused by name: %s (%s)", err.message, err.detail);
		ser_free(bad);
		ser_blob_writer_free(&w);
		ser_blob_free(&parsed);
	}
	ser_free(blob);
	ser_model_free(model);
	ser_net_free(net);
	free(frames);
	free(utt);
}

static void
test_config_text(void)
{
	SerNetConfig cfg;
	SerNetConfig back;
	SerError	err;
	char		text[1024];
	SerStatus	st;

	ser_net_default_config(&cfg, 160, 600, 8);
	ser_net_config_to_text(&cfg, text, sizeof(text), &err);
	st = ser_net_config_from_text(text, &back, &err);
	UNIT_OK(st == SER_OK && memcmp(&cfg, &back, sizeof(cfg)) == 0, "architecture text round-trips");
	st = ser_net_config_from_text("frame_features=3\n", &back, &err);
	UNIT_OK(st == SER_ECORRUPT && strstr(err.message, "missing"), "a missing key is reported: %s", err.message);
	cfg.branch_kernels[1] = 4;
	st = ser_net_config_validate(&cfg, &err);
	UNIT_OK(st == SER_EINVAL && strstr(err.message, "branch_kernels"), "an even kernel is refused: %s", err.message);
}

static void
test_default_size(void)
{
	SerNetConfig cfg;
	SerNet	   *net;
	SerError	err;

	ser_net_default_config(&cfg, 200, 800, 8);
	ser_net_create(&cfg, &rng, &net, &err);
	UNIT_OK(net->n_trainable * 4 < 5u * 1024 * 1024,
			"default architecture at F=200, D=800: %zu parameters, %.2f MB of float32 (budget 5 MB)",
			net->n_trainable, net->n_trainable * 4 / 1048576.0);
	ser_net_free(net);
}

int
main(void)
{
	ser_set_allocator(counting_alloc, counting_free);
	ser_rng_seed(&rng, 99);
	test_folding_and_masking();
	test_model_round_trip();
	test_config_text();
	test_default_size();
	UNIT_OK(outstanding == 0, "no allocation outstanding at the end (%ld)", outstanding);
	return unit_done();
}
