/*
 * network.c — the classifier network: parameters, forward and backward
 * passes, batch-norm folding, and the inference model.  See network.h for
 * the architecture and why it has that shape.
 *
 * Parameters live in one float array (trainable tensors first, then the BN
 * running statistics), each a named SerParam view.  One array makes the
 * optimiser a loop over a vector, early stopping a memcpy, and the blob a
 * walk over the names.  A layer refers to its tensors by index (the layout
 * below), so the same building code serves the training net and the folded
 * inference net.
 *
 * Activations of a forward pass sit in one arena (SerNetActs), planned by a
 * first pass that only counts and then carved by the same code, so
 * what is allocated and what is used cannot drift apart.  An inference pass
 * keeps nothing for backward: no BN normalised copies, and the residual
 * blocks share two ping-pong buffers.
 */
#include "model/network.h"

#include "model/tensor_blob.h"
#include "features/profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- configuration ---- */

void
ser_net_default_config(SerNetConfig *cfg, int n_frame_features, int n_utt_features, int n_classes)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->n_frame_features = n_frame_features;
	cfg->n_utt_features = n_utt_features;
	cfg->n_classes = n_classes;
	cfg->stem_channels = 64;
	cfg->branch_channels = 32;
	cfg->n_branches = 3;
	cfg->branch_kernels[0] = 3;
	cfg->branch_kernels[1] = 5;
	cfg->branch_kernels[2] = 7;
	cfg->n_res_blocks = 2;
	cfg->res_kernel = 3;
	cfg->se_reduction = 4;
	cfg->attention_dim = 32;
	cfg->utt_hidden = 64;
	cfg->fused_hidden = 128;
	cfg->dropout_fused = 0.2f;
	cfg->dropout_hidden = 0.3f;
}

static SerStatus
bad_config(SerError *err, SerStatus status, const char *field, int value, const char *range)
{
	ser_error(err, status, "invalid network hyper-parameter %s: %d", field, value);
	ser_error_detail(err, "It must be %s.", range);
	return status;
}

SerStatus
ser_net_config_validate(const SerNetConfig *cfg, SerError *err)
{
#define CHECK_RANGE(field, lo, hi) \
	do { if (cfg->field < (lo) || cfg->field > (hi)) \
			return bad_config(err, SER_EINVAL, #field, cfg->field, "between " #lo " and " #hi); } while (0)
	CHECK_RANGE(n_frame_features, 1, 4096);
	CHECK_RANGE(n_utt_features, 1, 16384);
	CHECK_RANGE(n_classes, 2, SER_NET_MAX_CLASSES);
	CHECK_RANGE(stem_channels, 1, 1024);
	CHECK_RANGE(branch_channels, 1, 1024);
	CHECK_RANGE(n_branches, 1, SER_NET_MAX_BRANCHES);
	CHECK_RANGE(n_res_blocks, 0, SER_NET_MAX_RES);
	CHECK_RANGE(res_kernel, 1, 31);
	CHECK_RANGE(se_reduction, 1, 1024);
	CHECK_RANGE(attention_dim, 1, 1024);
	CHECK_RANGE(utt_hidden, 1, 4096);
	CHECK_RANGE(fused_hidden, 1, 4096);
#undef CHECK_RANGE
	for (int j = 0; j < cfg->n_branches; j++)
		if (cfg->branch_kernels[j] < 1 || cfg->branch_kernels[j] > 31 || cfg->branch_kernels[j] % 2 == 0)
			return bad_config(err, SER_EINVAL, "branch_kernels", cfg->branch_kernels[j], "odd, between 1 and 31");
	if (cfg->res_kernel % 2 == 0)
		return bad_config(err, SER_EINVAL, "res_kernel", cfg->res_kernel, "odd");
	if (!(cfg->dropout_fused >= 0.0f && cfg->dropout_fused < 1.0f) ||
		!(cfg->dropout_hidden >= 0.0f && cfg->dropout_hidden < 1.0f))
	{
		ser_error(err, SER_EINVAL, "invalid dropout rate");
		ser_error_detail(err, "Dropout rates must be at least 0 and below 1.");
		return SER_EINVAL;
	}
	return SER_OK;
}

void
ser_frames_subtract_mean(float *frames, int n_frames, int n_features)
{
	if (n_frames <= 0)
		return;
	for (int i = 0; i < n_features; i++)
	{
		double		sum = 0;
		float		mean;

		for (int t = 0; t < n_frames; t++)
			sum += frames[(size_t) t * n_features + i];
		mean = (float) (sum / n_frames);
		for (int t = 0; t < n_frames; t++)
			frames[(size_t) t * n_features + i] -= mean;
	}
}

SerStatus
ser_net_config_to_text(const SerNetConfig *cfg, char *buf, size_t size, SerError *err)
{
	char		kernels[64] = "";
	size_t		used = 0;
	int			n;

	for (int j = 0; j < cfg->n_branches; j++)
		used += snprintf(kernels + used, sizeof(kernels) - used, "%s%d", j ? "," : "", cfg->branch_kernels[j]);
	n = snprintf(buf, size,
				 "frame_features=%d\nutt_features=%d\nclasses=%d\nstem_channels=%d\n"
				 "branch_channels=%d\nbranch_kernels=%s\nres_blocks=%d\nres_kernel=%d\n"
				 "se_reduction=%d\nattention_dim=%d\nutt_hidden=%d\nfused_hidden=%d\n"
				 "dropout_fused=%.9g\ndropout_hidden=%.9g\nframe_cmn=%d\nspeaker_norm=%d\n",
				 cfg->n_frame_features, cfg->n_utt_features, cfg->n_classes, cfg->stem_channels,
				 cfg->branch_channels, kernels, cfg->n_res_blocks, cfg->res_kernel,
				 cfg->se_reduction, cfg->attention_dim, cfg->utt_hidden, cfg->fused_hidden,
				 (double) cfg->dropout_fused, (double) cfg->dropout_hidden, cfg->frame_cmn,
				 cfg->speaker_norm);
	if (n < 0 || (size_t) n >= size)
		return ser_error(err, SER_EINTERNAL, "architecture text does not fit in %zu bytes", size);
	return SER_OK;
}

static bool
parse_int(const char *s, int *out)
{
	char	   *end;
	long		v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < -1000000 || v > 1000000)
		return false;
	*out = (int) v;
	return true;
}

SerStatus
ser_net_config_from_text(const char *text, SerNetConfig *cfg, SerError *err)
{
	static const char *const keys[] = {
		"frame_features", "utt_features", "classes", "stem_channels", "branch_channels",
		"branch_kernels", "res_blocks", "res_kernel", "se_reduction", "attention_dim",
		"utt_hidden", "fused_hidden", "dropout_fused", "dropout_hidden", "frame_cmn",
		"speaker_norm"
	};
	/* frame_cmn and speaker_norm came later: absent means 0. */
	const unsigned required = (1u << 14) - 1;
	int			n_keys = (int) (sizeof(keys) / sizeof(keys[0]));
	unsigned	seen = 0;
	const char *p = text;

	memset(cfg, 0, sizeof(*cfg));
	while (*p != '\0')
	{
		char		line[256];
		const char *nl = strchr(p, '\n');
		size_t		len = nl ? (size_t) (nl - p) : strlen(p);
		char	   *eq;
		const char *value;
		int			key = -1;
		bool		ok = true;

		if (len >= sizeof(line))
			goto bad;
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);
		if (len == 0)
			continue;
		eq = strchr(line, '=');
		if (eq == NULL)
			goto bad;
		*eq = '\0';
		value = eq + 1;
		for (int i = 0; i < n_keys; i++)
			if (strcmp(line, keys[i]) == 0)
				key = i;
		if (key < 0)
		{
			ser_error(err, SER_ECORRUPT, "corrupt model: unknown architecture key \"%s\"", line);
			return SER_ECORRUPT;
		}
		seen |= 1u << key;
		switch (key)
		{
			case 0: ok = parse_int(value, &cfg->n_frame_features); break;
			case 1: ok = parse_int(value, &cfg->n_utt_features); break;
			case 2: ok = parse_int(value, &cfg->n_classes); break;
			case 3: ok = parse_int(value, &cfg->stem_channels); break;
			case 4: ok = parse_int(value, &cfg->branch_channels); break;
			case 5:
				{
					char		copy[128];
					char	   *save = NULL;
					char	   *tok;

					snprintf(copy, sizeof(copy), "%s", value);
					cfg->n_branches = 0;
					for (tok = strtok_r(copy, ",", &save); tok && ok; tok = strtok_r(NULL, ",", &save))
					{
						if (cfg->n_branches >= SER_NET_MAX_BRANCHES)
							ok = false;
						else
							ok = parse_int(tok, &cfg->branch_kernels[cfg->n_branches++]);
					}
					break;
				}
			case 6: ok = parse_int(value, &cfg->n_res_blocks); break;
			case 14: ok = parse_int(value, &cfg->frame_cmn) && (cfg->frame_cmn == 0 || cfg->frame_cmn == 1); break;
			case 15: ok = parse_int(value, &cfg->speaker_norm) && (cfg->speaker_norm == 0 || cfg->speaker_norm == 1); break;
			case 7: ok = parse_int(value, &cfg->res_kernel); break;
			case 8: ok = parse_int(value, &cfg->se_reduction); break;
			case 9: ok = parse_int(value, &cfg->attention_dim); break;
			case 10: ok = parse_int(value, &cfg->utt_hidden); break;
			case 11: ok = parse_int(value, &cfg->fused_hidden); break;
			case 12:
			case 13:
				{
					char	   *end;
					double		v = strtod(value, &end);

					ok = (end != value && *end == '\0');
					if (key == 12)
						cfg->dropout_fused = (float) v;
					else
						cfg->dropout_hidden = (float) v;
					break;
				}
		}
		if (!ok)
		{
			ser_error(err, SER_ECORRUPT, "corrupt model: bad value for architecture key \"%s\"", line);
			return SER_ECORRUPT;
		}
	}
	if ((seen & required) != required)
	{
		for (int i = 0; i < n_keys; i++)
			if ((required & (1u << i)) && !(seen & (1u << i)))
			{
				ser_error(err, SER_ECORRUPT, "corrupt model: architecture key \"%s\" is missing", keys[i]);
				return SER_ECORRUPT;
			}
	}
	if (ser_net_config_validate(cfg, err) != SER_OK)
	{
		err->status = SER_ECORRUPT;
		return SER_ECORRUPT;
	}
	return SER_OK;

bad:
	ser_error(err, SER_ECORRUPT, "corrupt model: malformed architecture text");
	ser_error_detail(err, "Every line must read key=value.");
	return SER_ECORRUPT;
}

/* ---- layout ---- */

typedef struct ConvIdx
{
	int			w;
	int			b;				/* -1: no bias (training net, BN follows) */
	int			cin;
	int			cout;
	int			k;
} ConvIdx;

typedef struct BnIdx
{
	int			gamma;			/* all -1 in a folded net */
	int			beta;
	int			mean;
	int			var;
	int			c;
} BnIdx;

typedef struct ResIdx
{
	ConvIdx		conv1;
	BnIdx		bn1;
	ConvIdx		conv2;
	BnIdx		bn2;
	int			se_w1;
	int			se_b1;
	int			se_w2;
	int			se_b2;
} ResIdx;

typedef struct SerNetLayout
{
	int			F,
				D,
				K,
				C0,
				Cb,
				C1,
				R,				/* SE bottleneck width */
				A,
				U,
				H,
				Cf;				/* C1 + U */
	ConvIdx		stem;
	BnIdx		stem_bn;
	ConvIdx		branch[SER_NET_MAX_BRANCHES];
	BnIdx		branch_bn;		/* over all C1 concatenated channels */
	ResIdx		res[SER_NET_MAX_RES];
	int			pool_wa;
	int			pool_ba;
	int			pool_v;
	ConvIdx		utt;
	BnIdx		utt_bn;
	ConvIdx		fuse;
	BnIdx		fuse_bn;
	ConvIdx		out;
} SerNetLayout;

static int
add_param(SerNet *net, const char *name, int ndim, int d0, int d1, bool trainable, bool decay)
{
	SerParam   *p = &net->params[net->n_params];

	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ndim = ndim;
	p->dims[0] = d0;
	p->dims[1] = ndim > 1 ? d1 : 1;
	p->size = (size_t) d0 * (size_t) (ndim > 1 ? d1 : 1);
	p->trainable = trainable;
	p->decay = decay;
	return net->n_params++;
}

static ConvIdx
add_conv(SerNet *net, const char *prefix, int cin, int cout, int k, bool bias)
{
	ConvIdx		c;
	char		name[SER_PARAM_NAME];

	snprintf(name, sizeof(name), "%s.w", prefix);
	c.w = add_param(net, name, 2, cout, k * cin, true, true);
	c.b = -1;
	if (bias)
	{
		snprintf(name, sizeof(name), "%s.b", prefix);
		c.b = add_param(net, name, 1, cout, 1, true, false);
	}
	c.cin = cin;
	c.cout = cout;
	c.k = k;
	return c;
}

static BnIdx
add_bn(SerNet *net, const char *prefix, int c)
{
	BnIdx		b;
	char		name[SER_PARAM_NAME];

	b.c = c;
	b.gamma = b.beta = b.mean = b.var = -1;
	if (net->folded)
		return b;
	snprintf(name, sizeof(name), "%s.gamma", prefix);
	b.gamma = add_param(net, name, 1, c, 1, true, false);
	snprintf(name, sizeof(name), "%s.beta", prefix);
	b.beta = add_param(net, name, 1, c, 1, true, false);
	snprintf(name, sizeof(name), "%s.mean", prefix);
	b.mean = add_param(net, name, 1, c, 1, false, false);
	snprintf(name, sizeof(name), "%s.var", prefix);
	b.var = add_param(net, name, 1, c, 1, false, false);
	return b;
}

/* Register every tensor of the architecture and carve the value arrays. */
static SerStatus
build(SerNet *net, const SerNetConfig *cfg, bool folded, bool with_grads, SerError *err)
{
	SerNetLayout *L;
	bool		bias = folded;	/* layers followed by BN get a bias only once BN is folded in */
	size_t		offset = 0;
	char		name[SER_PARAM_NAME];
	SerStatus	st;

	if ((st = ser_net_config_validate(cfg, err)) != SER_OK)
		return st;
	memset(net, 0, sizeof(*net));
	net->cfg = *cfg;
	net->folded = folded;
	L = net->layout = ser_calloc(1, sizeof(SerNetLayout));
	if (L == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory while building the network");
	L->F = cfg->n_frame_features;
	L->D = cfg->n_utt_features;
	L->K = cfg->n_classes;
	L->C0 = cfg->stem_channels;
	L->Cb = cfg->branch_channels;
	L->C1 = cfg->branch_channels * cfg->n_branches;
	L->R = L->C1 / cfg->se_reduction > 0 ? L->C1 / cfg->se_reduction : 1;
	L->A = cfg->attention_dim;
	L->U = cfg->utt_hidden;
	L->H = cfg->fused_hidden;
	L->Cf = L->C1 + L->U;

	L->stem = add_conv(net, "stem", L->F, L->C0, 1, bias);
	L->stem_bn = add_bn(net, "stem.bn", L->C0);
	for (int j = 0; j < cfg->n_branches; j++)
	{
		snprintf(name, sizeof(name), "branch%d", j);
		L->branch[j] = add_conv(net, name, L->C0, L->Cb, cfg->branch_kernels[j], bias);
	}
	L->branch_bn = add_bn(net, "branch.bn", L->C1);
	for (int i = 0; i < cfg->n_res_blocks; i++)
	{
		ResIdx	   *r = &L->res[i];

		snprintf(name, sizeof(name), "res%d.conv1", i);
		r->conv1 = add_conv(net, name, L->C1, L->C1, cfg->res_kernel, bias);
		snprintf(name, sizeof(name), "res%d.bn1", i);
		r->bn1 = add_bn(net, name, L->C1);
		snprintf(name, sizeof(name), "res%d.conv2", i);
		r->conv2 = add_conv(net, name, L->C1, L->C1, cfg->res_kernel, bias);
		snprintf(name, sizeof(name), "res%d.bn2", i);
		r->bn2 = add_bn(net, name, L->C1);
		snprintf(name, sizeof(name), "res%d.se.w1", i);
		r->se_w1 = add_param(net, name, 2, L->R, L->C1, true, true);
		snprintf(name, sizeof(name), "res%d.se.b1", i);
		r->se_b1 = add_param(net, name, 1, L->R, 1, true, false);
		snprintf(name, sizeof(name), "res%d.se.w2", i);
		r->se_w2 = add_param(net, name, 2, L->C1, L->R, true, true);
		snprintf(name, sizeof(name), "res%d.se.b2", i);
		r->se_b2 = add_param(net, name, 1, L->C1, 1, true, false);
	}
	L->pool_wa = add_param(net, "pool.wa", 2, L->A, L->C1, true, true);
	L->pool_ba = add_param(net, "pool.ba", 1, L->A, 1, true, false);
	L->pool_v = add_param(net, "pool.v", 1, L->A, 1, true, true);
	L->utt = add_conv(net, "utt", L->D, L->U, 1, bias);
	L->utt_bn = add_bn(net, "utt.bn", L->U);
	L->fuse = add_conv(net, "fuse", L->Cf, L->H, 1, bias);
	L->fuse_bn = add_bn(net, "fuse.bn", L->H);
	L->out = add_conv(net, "out", L->H, L->K, 1, true);

	/* trainable tensors first, so the optimiser sees one contiguous vector */
	for (int pass = 0; pass < 2; pass++)
	{
		for (int i = 0; i < net->n_params; i++)
			if (net->params[i].trainable == (pass == 0))
			{
				net->params[i].offset = offset;
				offset += net->params[i].size;
			}
		if (pass == 0)
			net->n_trainable = offset;
	}
	net->n_values = offset;
	net->values = ser_calloc(offset, sizeof(float));
	if (net->values == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory while building the network");
	if (with_grads)
	{
		net->grads = ser_calloc(net->n_trainable, sizeof(float));
		if (net->grads == NULL)
			return ser_error(err, SER_ENOMEM, "out of memory while building the network");
	}
	return SER_OK;
}

void
ser_net_free(SerNet *net)
{
	if (net == NULL)
		return;
	ser_free(net->values);
	ser_free(net->grads);
	ser_free(net->layout);
	ser_free(net);
}

static SerStatus
new_net(const SerNetConfig *cfg, bool folded, bool with_grads, SerNet **out, SerError *err)
{
	SerNet	   *net = ser_malloc(sizeof(SerNet));
	SerStatus	st;

	*out = NULL;
	if (net == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory while building the network");
	if ((st = build(net, cfg, folded, with_grads, err)) != SER_OK)
	{
		ser_net_free(net);
		return st;
	}
	*out = net;
	return SER_OK;
}

int
ser_net_find_param(const SerNet *net, const char *name)
{
	for (int i = 0; i < net->n_params; i++)
		if (strcmp(net->params[i].name, name) == 0)
			return i;
	return -1;
}

static void
init_normal(float *w, size_t n, float stddev, SerRng *rng)
{
	for (size_t i = 0; i < n; i++)
		w[i] = stddev * ser_rng_normal(rng);
}

SerStatus
ser_net_create(const SerNetConfig *cfg, SerRng *rng, SerNet **out, SerError *err)
{
	SerNet	   *net;
	SerStatus	st;

	ser_blas_init();
	if ((st = new_net(cfg, false, true, &net, err)) != SER_OK)
		return st;
	for (int i = 0; i < net->n_params; i++)
	{
		SerParam   *p = &net->params[i];
		float	   *v = net->values + p->offset;
		const char *suffix = strrchr(p->name, '.');

		if (strcmp(suffix, ".gamma") == 0 || strcmp(suffix, ".var") == 0)
			for (size_t j = 0; j < p->size; j++)
				v[j] = 1.0f;
		else if (p->ndim == 2)
		{
			/*
			 * He initialisation for layers feeding a ReLU (fan-in, gain 2);
			 * the SE gates, attention and output layers feed a sigmoid, tanh
			 * or softmax and get Xavier-like fan-in scaling instead.
			 */
			bool		relu_follows = strstr(p->name, ".se.") == NULL &&
				strncmp(p->name, "pool.", 5) != 0 && strncmp(p->name, "out.", 4) != 0;

			init_normal(v, p->size, sqrtf((relu_follows ? 2.0f : 1.0f) / (float) p->dims[1]), rng);
		}
		else if (strcmp(p->name, "pool.v") == 0)
			init_normal(v, p->size, sqrtf(1.0f / (float) p->size), rng);
		/* biases, beta and running means start at zero */
	}
	*out = net;
	return SER_OK;
}

void
ser_net_zero_grad(SerNet *net)
{
	if (net->grads != NULL)
		memset(net->grads, 0, sizeof(float) * net->n_trainable);
}

/* ---- activations ---- */

typedef struct ResActs
{
	float	   *xhat1,
			   *istd1,
			   *a1,
			   *xhat2,
			   *istd2,
			   *z2,
			   *s,
			   *q,
			   *g,
			   *out;
} ResActs;

struct SerNetActs
{
	SerNetMode	mode;
	int			n;				/* frames in the batch */
	int			nb;				/* clips in the batch */
	float	   *x;				/* [n][F] copy of the input */
	float	   *xu;				/* [nb][D] */
	float	   *stem_xhat,
			   *stem_istd,
			   *stem_a;
	float	   *ms_xhat,
			   *ms_istd,
			   *ms_a;
	ResActs		res[SER_NET_MAX_RES];
	float	   *pool_u,
			   *alpha,
			   *pool_p;
	float	   *utt_xhat,
			   *utt_istd,
			   *utt_a;
	float	   *f,
			   *f_mask,
			   *fd;
	float	   *fuse_xhat,
			   *fuse_istd,
			   *fuse_a,
			   *h_mask,
			   *hd;
	float	   *logits,
			   *probs;
	float	   *col;			/* im2col scratch */
	float	   *arena;
};

/* Bump allocation from an arena; with base NULL it only counts. */
typedef struct Carver
{
	float	   *base;
	size_t		used;
} Carver;

static float *
carve(Carver *c, size_t count)
{
	float	   *p = c->base ? c->base + c->used : NULL;

	/* keep every buffer 64-byte aligned relative to the arena for BLAS */
	c->used += (count + 15) & ~(size_t) 15;
	return p;
}

static size_t
max_col_width(const SerNetLayout *L, const SerNetConfig *cfg)
{
	size_t		w = (size_t) L->C1 * cfg->res_kernel;

	for (int j = 0; j < cfg->n_branches; j++)
		if ((size_t) L->C0 * cfg->branch_kernels[j] > w)
			w = (size_t) L->C0 * cfg->branch_kernels[j];
	return w;
}

static void
plan_acts(const SerNet *net, SerNetActs *a, Carver *c)
{
	const SerNetLayout *L = net->layout;
	size_t		n = (size_t) a->n;
	size_t		nb = (size_t) a->nb;
	bool		keep = (a->mode == SER_NET_TRAIN);

	a->x = carve(c, n * L->F);
	a->xu = carve(c, nb * L->D);
	a->stem_xhat = keep ? carve(c, n * L->C0) : NULL;
	a->stem_istd = carve(c, L->C0);
	a->stem_a = carve(c, n * L->C0);
	a->ms_xhat = keep ? carve(c, n * L->C1) : NULL;
	a->ms_istd = carve(c, L->C1);
	a->ms_a = carve(c, n * L->C1);
	for (int i = 0; i < net->cfg.n_res_blocks; i++)
	{
		ResActs    *r = &a->res[i];

		if (keep || i < 2)
		{
			r->xhat1 = keep ? carve(c, n * L->C1) : NULL;
			r->istd1 = carve(c, L->C1);
			r->a1 = carve(c, n * L->C1);
			r->xhat2 = keep ? carve(c, n * L->C1) : NULL;
			r->istd2 = carve(c, L->C1);
			r->z2 = carve(c, n * L->C1);
			r->s = carve(c, nb * L->C1);
			r->q = carve(c, nb * L->R);
			r->g = carve(c, nb * L->C1);
			r->out = carve(c, n * L->C1);
		}
		else
		{
			/* inference: block i reuses the buffers of block i - 2 (its input is block i - 1's) */
			*r = a->res[i - 2];
		}
	}
	a->pool_u = carve(c, n * L->A);
	a->alpha = carve(c, n);
	a->pool_p = carve(c, nb * L->C1);
	a->utt_xhat = keep ? carve(c, nb * L->U) : NULL;
	a->utt_istd = carve(c, L->U);
	a->utt_a = carve(c, nb * L->U);
	a->f = carve(c, nb * L->Cf);
	a->f_mask = keep ? carve(c, nb * L->Cf) : NULL;
	a->fd = keep ? carve(c, nb * L->Cf) : NULL;
	a->fuse_xhat = keep ? carve(c, nb * L->H) : NULL;
	a->fuse_istd = carve(c, L->H);
	a->fuse_a = carve(c, nb * L->H);
	a->h_mask = keep ? carve(c, nb * L->H) : NULL;
	a->hd = keep ? carve(c, nb * L->H) : NULL;
	a->logits = carve(c, nb * L->K);
	a->probs = carve(c, nb * L->K);
	a->col = carve(c, n * max_col_width(L, &net->cfg));
}

void
ser_net_acts_free(SerNetActs *acts)
{
	if (acts == NULL)
		return;
	ser_free(acts->arena);
	ser_free(acts);
}

const float *
ser_net_acts_logits(const SerNetActs *acts)
{
	return acts->logits;
}

const float *
ser_net_acts_probs(const SerNetActs *acts)
{
	return acts->probs;
}

/* ---- forward ---- */

/* BN in place on y[n][c] (stride ld) as the mode and the net's form require. */
static void
bn_apply(const SerNet *net, SerNetMode mode, const BnIdx *bn, float *y, int n, int ld,
		 float *xhat, float *istd)
{
	if (net->folded)
		return;					/* already inside the preceding layer's weights */
	if (mode == SER_NET_TRAIN)
		ser_bn_forward_train(y, n, bn->c, ld, ser_net_param(net, bn->gamma), ser_net_param(net, bn->beta),
							 xhat, istd, y, ser_net_param(net, bn->mean), ser_net_param(net, bn->var));
	else
		ser_bn_forward_eval(y, n, bn->c, ld, ser_net_param(net, bn->gamma), ser_net_param(net, bn->beta),
							ser_net_param(net, bn->mean), ser_net_param(net, bn->var), y);
}

static inline const float *
bias_of(const SerNet *net, const ConvIdx *c)
{
	return c->b >= 0 ? ser_net_param(net, c->b) : NULL;
}

SerStatus
ser_net_forward(SerNet *net, SerNetMode mode, const SerSeqs *seqs, const float *frames,
				const float *utt, SerRng *rng, SerNetActs **out, SerError *err)
{
	const SerNetLayout *L = net->layout;
	const SerNetConfig *cfg = &net->cfg;
	SerNetActs *a;
	Carver		carver = {NULL, 0};
	int			n;
	int			nb = seqs->n_seq;
	const float *h;

	*out = NULL;
	if (nb < 1)
		return ser_error(err, SER_EINVAL, "empty batch");
	for (int b = 0; b < nb; b++)
		if (seqs->offsets[b + 1] <= seqs->offsets[b])
			return ser_error(err, SER_EINVAL, "clip %d of the batch has no frames", b);
	if (mode == SER_NET_TRAIN && net->folded)
		return ser_error(err, SER_EINVAL, "a folded network cannot be trained");
	if (mode == SER_NET_TRAIN && rng == NULL)
		return ser_error(err, SER_EINVAL, "a training pass needs a random number generator for dropout");
	n = seqs->offsets[nb];

	ser_blas_init();
	a = ser_calloc(1, sizeof(SerNetActs));
	if (a == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory for network activations");
	a->mode = mode;
	a->n = n;
	a->nb = nb;
	plan_acts(net, a, &carver);
	a->arena = ser_malloc_array(carver.used, sizeof(float));
	if (a->arena == NULL)
	{
		ser_free(a);
		return ser_error(err, SER_ENOMEM, "out of memory for network activations");
	}
	carver.base = a->arena;
	carver.used = 0;
	plan_acts(net, a, &carver);

	memcpy(a->x, frames, sizeof(float) * (size_t) n * L->F);
	memcpy(a->xu, utt, sizeof(float) * (size_t) nb * L->D);

	/* stem: 1x1 conv, BN, ReLU */
	ser_conv1d_forward(seqs, a->x, L->F, ser_net_param(net, L->stem.w), bias_of(net, &L->stem),
					   L->C0, 1, a->stem_a, L->C0, a->col);
	bn_apply(net, mode, &L->stem_bn, a->stem_a, n, L->C0, a->stem_xhat, a->stem_istd);
	ser_relu_inplace(a->stem_a, (size_t) n * L->C0);

	/* parallel convolutions at several time scales, written side by side */
	for (int j = 0; j < cfg->n_branches; j++)
		ser_conv1d_forward(seqs, a->stem_a, L->C0, ser_net_param(net, L->branch[j].w),
						   bias_of(net, &L->branch[j]), L->Cb, L->branch[j].k,
						   a->ms_a + (size_t) j * L->Cb, L->C1, a->col);
	bn_apply(net, mode, &L->branch_bn, a->ms_a, n, L->C1, a->ms_xhat, a->ms_istd);
	ser_relu_inplace(a->ms_a, (size_t) n * L->C1);

	/* residual blocks with squeeze-and-excitation */
	h = a->ms_a;
	for (int i = 0; i < cfg->n_res_blocks; i++)
	{
		const ResIdx *r = &L->res[i];
		ResActs    *ra = &a->res[i];
		size_t		count = (size_t) n * L->C1;

		ser_conv1d_forward(seqs, h, L->C1, ser_net_param(net, r->conv1.w), bias_of(net, &r->conv1),
						   L->C1, r->conv1.k, ra->a1, L->C1, a->col);
		bn_apply(net, mode, &r->bn1, ra->a1, n, L->C1, ra->xhat1, ra->istd1);
		ser_relu_inplace(ra->a1, count);
		ser_conv1d_forward(seqs, ra->a1, L->C1, ser_net_param(net, r->conv2.w), bias_of(net, &r->conv2),
						   L->C1, r->conv2.k, ra->z2, L->C1, a->col);
		bn_apply(net, mode, &r->bn2, ra->z2, n, L->C1, ra->xhat2, ra->istd2);
		ser_se_forward(seqs, ra->z2, L->C1, L->R, ser_net_param(net, r->se_w1), ser_net_param(net, r->se_b1),
					   ser_net_param(net, r->se_w2), ser_net_param(net, r->se_b2),
					   ra->s, ra->q, ra->g, ra->out);
		for (size_t e = 0; e < count; e++)
			ra->out[e] += h[e];
		ser_relu_inplace(ra->out, count);
		h = ra->out;
	}

	/* attention pooling over each clip's frames */
	ser_attpool_forward(seqs, h, L->C1, L->A, ser_net_param(net, L->pool_wa), ser_net_param(net, L->pool_ba),
						ser_net_param(net, L->pool_v), a->pool_u, a->alpha, a->pool_p);

	/* utterance branch */
	ser_dense_forward(a->xu, L->D, nb, L->D, ser_net_param(net, L->utt.w), bias_of(net, &L->utt),
					  L->U, a->utt_a, L->U);
	bn_apply(net, mode, &L->utt_bn, a->utt_a, nb, L->U, a->utt_xhat, a->utt_istd);
	ser_relu_inplace(a->utt_a, (size_t) nb * L->U);

	/* fusion and classifier head */
	for (int b = 0; b < nb; b++)
	{
		memcpy(a->f + (size_t) b * L->Cf, a->pool_p + (size_t) b * L->C1, sizeof(float) * L->C1);
		memcpy(a->f + (size_t) b * L->Cf + L->C1, a->utt_a + (size_t) b * L->U, sizeof(float) * L->U);
	}
	if (mode == SER_NET_TRAIN)
		ser_dropout_forward(a->f, a->fd, a->f_mask, (size_t) nb * L->Cf, cfg->dropout_fused, rng);
	ser_dense_forward(mode == SER_NET_TRAIN ? a->fd : a->f, L->Cf, nb, L->Cf, ser_net_param(net, L->fuse.w),
					  bias_of(net, &L->fuse), L->H, a->fuse_a, L->H);
	bn_apply(net, mode, &L->fuse_bn, a->fuse_a, nb, L->H, a->fuse_xhat, a->fuse_istd);
	ser_relu_inplace(a->fuse_a, (size_t) nb * L->H);
	if (mode == SER_NET_TRAIN)
		ser_dropout_forward(a->fuse_a, a->hd, a->h_mask, (size_t) nb * L->H, cfg->dropout_hidden, rng);
	ser_dense_forward(mode == SER_NET_TRAIN ? a->hd : a->fuse_a, L->H, nb, L->H, ser_net_param(net, L->out.w),
					  ser_net_param(net, L->out.b), L->K, a->logits, L->K);
	for (int b = 0; b < nb; b++)
		ser_softmax_row(a->logits + (size_t) b * L->K, L->K, a->probs + (size_t) b * L->K);
	*out = a;
	return SER_OK;
}

double
ser_net_loss(const SerNet *net, const SerNetActs *acts, int n_seq, const int *labels,
			 const float *class_weights)
{
	const SerNetLayout *L = net->layout;
	double		loss = 0.0;
	double		wsum = 0.0;

	for (int b = 0; b < n_seq; b++)
	{
		const float *lb = acts->logits + (size_t) b * L->K;
		float		w = class_weights ? class_weights[labels[b]] : 1.0f;
		float		peak = lb[0];
		double		total = 0.0;

		for (int j = 1; j < L->K; j++)
			if (lb[j] > peak)
				peak = lb[j];
		for (int j = 0; j < L->K; j++)
			total += exp((double) lb[j] - peak);
		loss += w * (log(total) - ((double) lb[labels[b]] - peak));
		wsum += w;
	}
	return loss / wsum;
}

/* ---- backward ---- */

static inline float *
grad_of(const SerNet *net, int index)
{
	return net->grads + net->params[index].offset;
}

static void
bn_back(const SerNet *net, const BnIdx *bn, const float *dy, const float *xhat, const float *istd,
		int n, int ld, float *dx)
{
	ser_bn_backward(dy, xhat, istd, n, bn->c, ld, ser_net_param(net, bn->gamma),
					grad_of(net, bn->gamma), grad_of(net, bn->beta), dx);
}

SerStatus
ser_net_backward(SerNet *net, const SerSeqs *seqs, SerNetActs *a, const int *labels,
				 const float *class_weights, double *loss, SerError *err)
{
	const SerNetLayout *L = net->layout;
	const SerNetConfig *cfg = &net->cfg;
	int			n = a->n;
	int			nb = a->nb;
	size_t		nc1 = (size_t) n * L->C1;
	size_t		need;
	float	   *arena;
	float	   *dlogits,
			   *dhd,
			   *dfa,
			   *dfpre,
			   *dfd,
			   *df,
			   *dua,
			   *dupre,
			   *dp,
			   *du,
			   *dout,
			   *dhin,
			   *dz2,
			   *dpre2,
			   *da1,
			   *dstem,
			   *dstempre,
			   *se_ds,
			   *se_dq,
			   *se_dg;

	if (a->mode != SER_NET_TRAIN || net->grads == NULL)
		return ser_error(err, SER_EINVAL, "backward pass needs a training forward pass of a training network");
	for (int b = 0; b < nb; b++)
		if (labels[b] < 0 || labels[b] >= L->K)
			return ser_error(err, SER_EINVAL, "label %d out of range for %d classes", labels[b], L->K);

	need = (size_t) nb * (L->K + 3 * L->H + 2 * L->Cf + 2 * L->U + L->C1 + 2 * L->C1 + L->R)
		+ (size_t) n * L->A + 5 * nc1 + 2 * (size_t) n * L->C0;
	arena = ser_calloc(need, sizeof(float));
	if (arena == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory for the backward pass");
	dlogits = arena;
	dhd = dlogits + (size_t) nb * L->K;
	dfa = dhd + (size_t) nb * L->H;
	dfpre = dfa + (size_t) nb * L->H;
	dfd = dfpre + (size_t) nb * L->H;
	df = dfd + (size_t) nb * L->Cf;
	dua = df + (size_t) nb * L->Cf;
	dupre = dua + (size_t) nb * L->U;
	dp = dupre + (size_t) nb * L->U;
	se_ds = dp + (size_t) nb * L->C1;
	se_dg = se_ds + (size_t) nb * L->C1;
	se_dq = se_dg + (size_t) nb * L->C1;
	du = se_dq + (size_t) nb * L->R;
	dout = du + (size_t) n * L->A;
	dhin = dout + nc1;
	dz2 = dhin + nc1;
	dpre2 = dz2 + nc1;
	da1 = dpre2 + nc1;
	dstem = da1 + nc1;
	dstempre = dstem + (size_t) n * L->C0;

	*loss = ser_softmax_xent(a->logits, nb, L->K, labels, class_weights, a->probs, dlogits);

	/* head */
	ser_dense_backward(a->hd, L->H, nb, L->H, ser_net_param(net, L->out.w), L->K, dlogits, L->K,
					   grad_of(net, L->out.w), grad_of(net, L->out.b), dhd, L->H);
	ser_dropout_backward(dhd, a->h_mask, dfa, (size_t) nb * L->H);
	ser_relu_backward(a->fuse_a, dfa, (size_t) nb * L->H);
	bn_back(net, &L->fuse_bn, dfa, a->fuse_xhat, a->fuse_istd, nb, L->H, dfpre);
	ser_dense_backward(a->fd, L->Cf, nb, L->Cf, ser_net_param(net, L->fuse.w), L->H, dfpre, L->H,
					   grad_of(net, L->fuse.w), NULL, dfd, L->Cf);
	ser_dropout_backward(dfd, a->f_mask, df, (size_t) nb * L->Cf);
	for (int b = 0; b < nb; b++)
	{
		memcpy(dp + (size_t) b * L->C1, df + (size_t) b * L->Cf, sizeof(float) * L->C1);
		memcpy(dua + (size_t) b * L->U, df + (size_t) b * L->Cf + L->C1, sizeof(float) * L->U);
	}

	/* utterance branch */
	ser_relu_backward(a->utt_a, dua, (size_t) nb * L->U);
	bn_back(net, &L->utt_bn, dua, a->utt_xhat, a->utt_istd, nb, L->U, dupre);
	ser_dense_backward(a->xu, L->D, nb, L->D, ser_net_param(net, L->utt.w), L->U, dupre, L->U,
					   grad_of(net, L->utt.w), NULL, NULL, 0);

	/* attention pooling */
	ser_attpool_backward(seqs, cfg->n_res_blocks > 0 ? a->res[cfg->n_res_blocks - 1].out : a->ms_a,
						 L->C1, L->A, ser_net_param(net, L->pool_wa), ser_net_param(net, L->pool_v),
						 a->pool_u, a->alpha, dp, dout, grad_of(net, L->pool_wa),
						 grad_of(net, L->pool_ba), grad_of(net, L->pool_v), du);

	/* residual blocks, last first; dout holds the gradient of the block's output */
	for (int i = cfg->n_res_blocks - 1; i >= 0; i--)
	{
		const ResIdx *r = &L->res[i];
		ResActs    *ra = &a->res[i];
		const float *hin = i > 0 ? a->res[i - 1].out : a->ms_a;
		float	   *swap;

		if (ser_interrupted())
		{
			ser_free(arena);
			return ser_error(err, SER_ECANCELED, "canceled");
		}
		ser_relu_backward(ra->out, dout, nc1);
		memcpy(dhin, dout, sizeof(float) * nc1);	/* the skip connection */
		memset(dz2, 0, sizeof(float) * nc1);
		ser_se_backward(seqs, ra->z2, L->C1, L->R, ser_net_param(net, r->se_w1), ser_net_param(net, r->se_w2),
						ra->s, ra->q, ra->g, dout, dz2, grad_of(net, r->se_w1), grad_of(net, r->se_b1),
						grad_of(net, r->se_w2), grad_of(net, r->se_b2), se_ds, se_dq, se_dg);
		memset(dpre2, 0, sizeof(float) * nc1);
		bn_back(net, &r->bn2, dz2, ra->xhat2, ra->istd2, n, L->C1, dpre2);
		memset(da1, 0, sizeof(float) * nc1);
		ser_conv1d_backward(seqs, ra->a1, L->C1, ser_net_param(net, r->conv2.w), L->C1, r->conv2.k,
							dpre2, L->C1, grad_of(net, r->conv2.w), NULL, da1, a->col);
		ser_relu_backward(ra->a1, da1, nc1);
		memset(dz2, 0, sizeof(float) * nc1);	/* now the gradient before bn1 */
		bn_back(net, &r->bn1, da1, ra->xhat1, ra->istd1, n, L->C1, dz2);
		ser_conv1d_backward(seqs, hin, L->C1, ser_net_param(net, r->conv1.w), L->C1, r->conv1.k,
							dz2, L->C1, grad_of(net, r->conv1.w), NULL, dhin, a->col);
		swap = dout;
		dout = dhin;
		dhin = swap;
	}

	/* multi-scale convolutions */
	ser_relu_backward(a->ms_a, dout, nc1);
	memset(dz2, 0, sizeof(float) * nc1);
	bn_back(net, &L->branch_bn, dout, a->ms_xhat, a->ms_istd, n, L->C1, dz2);
	for (int j = 0; j < cfg->n_branches; j++)
		ser_conv1d_backward(seqs, a->stem_a, L->C0, ser_net_param(net, L->branch[j].w), L->Cb,
							L->branch[j].k, dz2 + (size_t) j * L->Cb, L->C1,
							grad_of(net, L->branch[j].w), NULL, dstem, a->col);

	/* stem */
	ser_relu_backward(a->stem_a, dstem, (size_t) n * L->C0);
	bn_back(net, &L->stem_bn, dstem, a->stem_xhat, a->stem_istd, n, L->C0, dstempre);
	ser_conv1d_backward(seqs, a->x, L->F, ser_net_param(net, L->stem.w), L->C0, 1, dstempre, L->C0,
						grad_of(net, L->stem.w), NULL, NULL, a->col);
	ser_free(arena);
	return SER_OK;
}

/* ---- folding ---- */

/*
 * y = gamma (W x - mean) / sqrt(var + eps) + beta  ==  (s W) x + (beta - s mean)
 * with s = gamma / sqrt(var + eps), per output channel.  The BN channel of
 * output channel o is channel_offset + o (branches share one BN).
 */
static void
fold_pair(const SerNet *net, const ConvIdx *tc, const BnIdx *bn, int channel_offset,
		  SerNet *folded, const ConvIdx *fc)
{
	const float *w = ser_net_param(net, tc->w);
	const float *gamma = ser_net_param(net, bn->gamma);
	const float *beta = ser_net_param(net, bn->beta);
	const float *mean = ser_net_param(net, bn->mean);
	const float *var = ser_net_param(net, bn->var);
	float	   *fw = ser_net_param(folded, fc->w);
	float	   *fb = ser_net_param(folded, fc->b);
	size_t		width = (size_t) tc->k * tc->cin;

	for (int o = 0; o < tc->cout; o++)
	{
		int			ch = channel_offset + o;
		float		s = gamma[ch] / sqrtf(var[ch] + SER_BN_EPS);

		for (size_t i = 0; i < width; i++)
			fw[o * width + i] = s * w[o * width + i];
		fb[o] = beta[ch] - s * mean[ch];
	}
}

SerStatus
ser_net_fold(const SerNet *net, SerNet **out, SerError *err)
{
	SerNet	   *f;
	const SerNetLayout *T = net->layout;
	SerNetLayout *F;
	SerStatus	st;

	*out = NULL;
	if (net->folded)
		return ser_error(err, SER_EINVAL, "network is already folded");
	if ((st = new_net(&net->cfg, true, false, &f, err)) != SER_OK)
		return st;
	F = f->layout;
	/* tensors that exist in both forms are copied as they are */
	for (int i = 0; i < f->n_params; i++)
	{
		int			src = ser_net_find_param(net, f->params[i].name);

		if (src >= 0)
			memcpy(ser_net_param(f, i), ser_net_param(net, src), sizeof(float) * f->params[i].size);
	}
	fold_pair(net, &T->stem, &T->stem_bn, 0, f, &F->stem);
	for (int j = 0; j < net->cfg.n_branches; j++)
		fold_pair(net, &T->branch[j], &T->branch_bn, j * T->Cb, f, &F->branch[j]);
	for (int i = 0; i < net->cfg.n_res_blocks; i++)
	{
		fold_pair(net, &T->res[i].conv1, &T->res[i].bn1, 0, f, &F->res[i].conv1);
		fold_pair(net, &T->res[i].conv2, &T->res[i].bn2, 0, f, &F->res[i].conv2);
	}
	fold_pair(net, &T->utt, &T->utt_bn, 0, f, &F->utt);
	fold_pair(net, &T->fuse, &T->fuse_bn, 0, f, &F->fuse);
	*out = f;
	return SER_OK;
}

/* ---- the inference model ---- */

static void
member_free(SerModelMember *mb)
{
	ser_net_free(mb->net);
	ser_free(mb->frame_mean);
	ser_free(mb->frame_std);
	ser_free(mb->utt_mean);
	ser_free(mb->utt_std);
	memset(mb, 0, sizeof(*mb));
}

void
ser_model_free(SerModel *model)
{
	if (model == NULL)
		return;
	ser_net_free(model->net);
	ser_free(model->frame_mean);
	ser_free(model->frame_std);
	ser_free(model->utt_mean);
	ser_free(model->utt_std);
	for (int k = 0; k < model->n_more; k++)
		member_free(&model->more[k]);
	ser_free(model->more);
	ser_free(model->population_profile);
	ser_free(model->feature_params);
	ser_free(model->classes);
	ser_free(model->train_info);
	ser_free(model);
}

static char *
copy_text(const char *s)
{
	size_t		n = strlen(s ? s : "");
	char	   *c = ser_malloc(n + 1);

	if (c != NULL)
		memcpy(c, s ? s : "", n + 1);
	return c;
}

static float *
copy_floats(const float *v, int n)
{
	float	   *c = ser_malloc_array((size_t) n, sizeof(float));

	if (c != NULL)
		memcpy(c, v, sizeof(float) * (size_t) n);
	return c;
}

/*
 * One member from a trained network: its folded form and copies of its
 * normalisation statistics.  On failure *mb is empty.
 */
static SerStatus
member_init(SerModelMember *mb, const SerNet *net, const float *frame_mean, const float *frame_std,
			const float *utt_mean, const float *utt_std, SerError *err)
{
	int			F = net->cfg.n_frame_features;
	int			D = net->cfg.n_utt_features;
	SerStatus	st;

	memset(mb, 0, sizeof(*mb));
	if (net->folded)
		return ser_error(err, SER_EINVAL, "model needs the training form of the network");
	st = ser_net_fold(net, &mb->net, err);
	if (st == SER_OK)
	{
		mb->frame_mean = copy_floats(frame_mean, F);
		mb->frame_std = copy_floats(frame_std, F);
		mb->utt_mean = copy_floats(utt_mean, D);
		mb->utt_std = copy_floats(utt_std, D);
		if (!mb->frame_mean || !mb->frame_std || !mb->utt_mean || !mb->utt_std)
			st = ser_error(err, SER_ENOMEM, "out of memory while assembling the model");
	}
	if (st != SER_OK)
		member_free(mb);
	return st;
}

static int
count_lines(const char *text)
{
	int			lines = 0;
	bool		in_line = false;

	for (const char *p = text; *p; p++)
	{
		if (*p == '\n')
		{
			if (!in_line)
				return -1;		/* an empty class name */
			in_line = false;
		}
		else if (!in_line)
		{
			in_line = true;
			lines++;
		}
	}
	return lines;
}

static SerStatus
check_statistics(const SerNetConfig *cfg, const float *frame_mean, const float *frame_std,
				 const float *utt_mean, const float *utt_std, SerStatus status, SerError *err)
{
	for (int i = 0; i < cfg->n_frame_features; i++)
		if (!(frame_std[i] > 0.0f) || !isfinite(frame_mean[i]) || !isfinite(frame_std[i]))
		{
			ser_error(err, status, "invalid normalisation statistics for frame feature %d", i);
			ser_error_detail(err, "Means must be finite and standard deviations positive.");
			return status;
		}
	for (int i = 0; i < cfg->n_utt_features; i++)
		if (!(utt_std[i] > 0.0f) || !isfinite(utt_mean[i]) || !isfinite(utt_std[i]))
		{
			ser_error(err, status, "invalid normalisation statistics for utterance feature %d", i);
			ser_error_detail(err, "Means must be finite and standard deviations positive.");
			return status;
		}
	return SER_OK;
}

/* The model's own sanity checks, shared by create and load. */
static SerStatus
check_model(const SerModel *m, SerStatus status, SerError *err)
{
	const SerNetConfig *cfg = &m->net->cfg;

	if (count_lines(m->classes) != cfg->n_classes)
	{
		ser_error(err, status, "class list does not match the network");
		ser_error_detail(err, "The network has %d outputs; the class list must name each on its own non-empty line.",
						 cfg->n_classes);
		return status;
	}
	if (check_statistics(cfg, m->frame_mean, m->frame_std, m->utt_mean, m->utt_std, status, err) != SER_OK)
		return status;
	for (int k = 0; k < m->n_more; k++)
		if (check_statistics(cfg, m->more[k].frame_mean, m->more[k].frame_std, m->more[k].utt_mean,
							 m->more[k].utt_std, status, err) != SER_OK)
			return status;
	if ((cfg->speaker_norm != 0) != (m->population_profile != NULL))
	{
		ser_error(err, status, "population profile does not match the network");
		ser_error_detail(err, "A speaker-normalised model needs a population profile; any other has none.");
		return status;
	}
	if (m->population_profile != NULL &&
		ser_profile_check(m->population_profile, ser_profile_length(cfg->n_frame_features, cfg->n_utt_features),
						  cfg->n_frame_features, cfg->n_utt_features, err) != SER_OK)
	{
		char		msg[SER_ERROR_TEXT];

		snprintf(msg, sizeof(msg), "invalid population profile: %.400s", err->message);
		memcpy(err->message, msg, sizeof(msg));
		err->status = status;
		return status;
	}
	return SER_OK;
}

SerStatus
ser_model_create(const SerNet *net, const float *frame_mean, const float *frame_std,
				 const float *utt_mean, const float *utt_std, const float *population_profile,
				 const char *feature_params,
				 const char *classes, const char *train_info, SerModel **out, SerError *err)
{
	SerModel   *m;
	SerModelMember first;
	SerStatus	st;
	int			F = net->cfg.n_frame_features;
	int			D = net->cfg.n_utt_features;

	*out = NULL;
	m = ser_calloc(1, sizeof(SerModel));
	if (m == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory while assembling the model");
	st = member_init(&first, net, frame_mean, frame_std, utt_mean, utt_std, err);
	if (st == SER_OK)
	{
		/* the first member lives in the model's own fields */
		m->net = first.net;
		m->frame_mean = first.frame_mean;
		m->frame_std = first.frame_std;
		m->utt_mean = first.utt_mean;
		m->utt_std = first.utt_std;
		if (population_profile != NULL &&
			(m->population_profile = copy_floats(population_profile, (int) ser_profile_length(F, D))) == NULL)
			st = ser_error(err, SER_ENOMEM, "out of memory while assembling the model");
		m->feature_params = copy_text(feature_params);
		m->classes = copy_text(classes);
		m->train_info = copy_text(train_info);
		if (!m->feature_params || !m->classes || !m->train_info)
			st = ser_error(err, SER_ENOMEM, "out of memory while assembling the model");
	}
	if (st == SER_OK)
		st = check_model(m, SER_EINVAL, err);
	if (st != SER_OK)
	{
		ser_model_free(m);
		return st;
	}
	*out = m;
	return SER_OK;
}

SerStatus
ser_model_add_member(SerModel *model, const SerNet *net, const float *frame_mean, const float *frame_std,
					 const float *utt_mean, const float *utt_std, SerError *err)
{
	char		mine[1024];
	char		theirs[1024];
	SerModelMember *more;
	SerStatus	st;

	if ((st = ser_net_config_to_text(&model->net->cfg, mine, sizeof(mine), err)) != SER_OK ||
		(st = ser_net_config_to_text(&net->cfg, theirs, sizeof(theirs), err)) != SER_OK)
		return st;
	if (strcmp(mine, theirs) != 0)
		return ser_error(err, SER_EINVAL, "ensemble members must share one architecture");
	if (check_statistics(&net->cfg, frame_mean, frame_std, utt_mean, utt_std, SER_EINVAL, err) != SER_OK)
		return SER_EINVAL;
	more = ser_malloc_array((size_t) model->n_more + 1, sizeof(SerModelMember));
	if (more == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory while assembling the model");
	st = member_init(&more[model->n_more], net, frame_mean, frame_std, utt_mean, utt_std, err);
	if (st != SER_OK)
	{
		ser_free(more);
		return st;
	}
	if (model->n_more > 0)
		memcpy(more, model->more, sizeof(SerModelMember) * (size_t) model->n_more);
	ser_free(model->more);
	model->more = more;
	model->n_more++;
	return SER_OK;
}

size_t
ser_model_parameter_count(const SerModel *model)
{
	size_t		n = model->net->n_values;

	for (int k = 0; k < model->n_more; k++)
		n += model->more[k].net->n_values;
	return n;
}

/* Blob names of the members after the first: "member<k>.<name>", k from 1. */
static void
member_name(int k, const char *name, char *buf, size_t size)
{
	if (k == 0)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "member%d.%s", k, name);
}

static SerStatus
save_member(SerBlobWriter *w, int k, const SerNet *net, const float *frame_mean, const float *frame_std,
			const float *utt_mean, const float *utt_std, SerError *err)
{
	int			F = net->cfg.n_frame_features;
	int			D = net->cfg.n_utt_features;
	char		name[SER_BLOB_MAX_NAME + 1];
	SerStatus	st;

	member_name(k, "norm.frame_mean", name, sizeof(name));
	st = ser_blob_add_tensor(w, name, 1, &F, frame_mean, err);
	member_name(k, "norm.frame_std", name, sizeof(name));
	if (st == SER_OK)
		st = ser_blob_add_tensor(w, name, 1, &F, frame_std, err);
	member_name(k, "norm.utt_mean", name, sizeof(name));
	if (st == SER_OK)
		st = ser_blob_add_tensor(w, name, 1, &D, utt_mean, err);
	member_name(k, "norm.utt_std", name, sizeof(name));
	if (st == SER_OK)
		st = ser_blob_add_tensor(w, name, 1, &D, utt_std, err);
	for (int i = 0; st == SER_OK && i < net->n_params; i++)
	{
		member_name(k, net->params[i].name, name, sizeof(name));
		st = ser_blob_add_tensor(w, name, net->params[i].ndim, net->params[i].dims, ser_net_param(net, i), err);
	}
	return st;
}

SerStatus
ser_model_save(const SerModel *model, unsigned char **blob, size_t *len, SerError *err)
{
	SerBlobWriter w;
	char		arch[1024];
	const SerNet *net = model->net;
	int			F = net->cfg.n_frame_features;
	int			D = net->cfg.n_utt_features;
	int			P = (int) ser_profile_length(F, D);
	SerStatus	st;

	*blob = NULL;
	*len = 0;
	if ((st = ser_net_config_to_text(&net->cfg, arch, sizeof(arch), err)) != SER_OK)
		return st;
	ser_blob_writer_init(&w);
	st = ser_blob_add_text(&w, "arch", arch, err);
	if (st == SER_OK)
		st = ser_blob_add_text(&w, "classes", model->classes, err);
	if (st == SER_OK)
		st = ser_blob_add_text(&w, "features", model->feature_params, err);
	if (st == SER_OK)
		st = ser_blob_add_text(&w, "train_info", model->train_info, err);
	if (st == SER_OK)
		st = save_member(&w, 0, net, model->frame_mean, model->frame_std, model->utt_mean, model->utt_std, err);
	if (st == SER_OK && model->population_profile != NULL)
		st = ser_blob_add_tensor(&w, "norm.population_profile", 1, &P, model->population_profile, err);
	for (int k = 0; st == SER_OK && k < model->n_more; k++)
		st = save_member(&w, k + 1, model->more[k].net, model->more[k].frame_mean, model->more[k].frame_std,
						 model->more[k].utt_mean, model->more[k].utt_std, err);
	if (st == SER_OK)
		st = ser_blob_finish(&w, blob, len, err);
	ser_blob_writer_free(&w);
	return st;
}

/* One member's network and statistics from the blob (see save_member). */
static SerStatus
load_member(const SerBlob *blob, int k, const SerNetConfig *cfg, SerNet **net, float **frame_mean,
			float **frame_std, float **utt_mean, float **utt_std, SerError *err)
{
	static const char *const stat_names[4] = {"norm.frame_mean", "norm.frame_std", "norm.utt_mean", "norm.utt_std"};
	float	  **stats[4] = {frame_mean, frame_std, utt_mean, utt_std};
	char		name[SER_BLOB_MAX_NAME + 1];
	const float *v;
	SerStatus	st;

	if ((st = new_net(cfg, true, false, net, err)) != SER_OK)
		return st;
	for (int i = 0; i < (*net)->n_params; i++)
	{
		const SerParam *p = &(*net)->params[i];

		member_name(k, p->name, name, sizeof(name));
		if ((st = ser_blob_get_tensor(blob, name, p->ndim, p->dims, &v, err)) != SER_OK)
			return st;
		memcpy(ser_net_param(*net, i), v, sizeof(float) * p->size);
	}
	for (int j = 0; j < 4; j++)
	{
		int			n = j < 2 ? cfg->n_frame_features : cfg->n_utt_features;

		member_name(k, stat_names[j], name, sizeof(name));
		if ((st = ser_blob_get_tensor(blob, name, 1, &n, &v, err)) != SER_OK)
			return st;
		if ((*stats[j] = copy_floats(v, n)) == NULL)
			return ser_error(err, SER_ENOMEM, "out of memory while loading the model");
	}
	return SER_OK;
}

SerStatus
ser_model_load(const void *data, size_t len, SerModel **out, SerError *err)
{
	SerBlob		blob;
	SerModel   *m = NULL;
	SerNetConfig cfg;
	const char *arch;
	const char *text;
	const float *v;
	SerStatus	st;
	int			F;
	int			D;
	int			expected_entries;

	*out = NULL;
	ser_blas_init();
	if ((st = ser_blob_parse(data, len, &blob, err)) != SER_OK)
		return st;
	if ((st = ser_blob_get_text(&blob, "arch", &arch, err)) != SER_OK ||
		(st = ser_net_config_from_text(arch, &cfg, err)) != SER_OK)
		goto done;
	F = cfg.n_frame_features;
	D = cfg.n_utt_features;
	m = ser_calloc(1, sizeof(SerModel));
	if (m == NULL)
	{
		st = ser_error(err, SER_ENOMEM, "out of memory while loading the model");
		goto done;
	}
	if ((st = load_member(&blob, 0, &cfg, &m->net, &m->frame_mean, &m->frame_std, &m->utt_mean, &m->utt_std,
						  err)) != SER_OK)
		goto done;
	if (cfg.speaker_norm)
	{
		int			P = (int) ser_profile_length(F, D);

		if ((st = ser_blob_get_tensor(&blob, "norm.population_profile", 1, &P, &v, err)) != SER_OK)
			goto done;
		if ((m->population_profile = copy_floats(v, P)) == NULL)
		{
			st = ser_error(err, SER_ENOMEM, "out of memory while loading the model");
			goto done;
		}
	}
	/* Further members of an ensemble, while there are any. */
	for (int k = 1;; k++)
	{
		char		probe[SER_BLOB_MAX_NAME + 1];
		SerModelMember *more;

		member_name(k, "norm.frame_mean", probe, sizeof(probe));
		if (ser_blob_find(&blob, probe) == NULL)
			break;
		if (k > SER_MODEL_MAX_MEMBERS - 1)
		{
			st = ser_error(err, SER_ECORRUPT, "corrupt model: more than %d ensemble members", SER_MODEL_MAX_MEMBERS);
			goto done;
		}
		more = ser_malloc_array((size_t) k, sizeof(SerModelMember));
		if (more == NULL)
		{
			st = ser_error(err, SER_ENOMEM, "out of memory while loading the model");
			goto done;
		}
		if (m->n_more > 0)
			memcpy(more, m->more, sizeof(SerModelMember) * (size_t) m->n_more);
		memset(&more[m->n_more], 0, sizeof(SerModelMember));
		ser_free(m->more);
		m->more = more;
		m->n_more++;
		if ((st = load_member(&blob, k, &cfg, &more[k - 1].net, &more[k - 1].frame_mean, &more[k - 1].frame_std,
							  &more[k - 1].utt_mean, &more[k - 1].utt_std, err)) != SER_OK)
			goto done;
	}
#define LOAD_TEXT(field, name) \
	do { \
		if ((st = ser_blob_get_text(&blob, name, &text, err)) != SER_OK) goto done; \
		if ((m->field = copy_text(text)) == NULL) \
		{ st = ser_error(err, SER_ENOMEM, "out of memory while loading the model"); goto done; } \
	} while (0)
	LOAD_TEXT(classes, "classes");
	LOAD_TEXT(feature_params, "features");
	LOAD_TEXT(train_info, "train_info");
#undef LOAD_TEXT
	if ((st = check_model(m, SER_ECORRUPT, err)) != SER_OK)
	{
		char		msg[SER_ERROR_TEXT];

		snprintf(msg, sizeof(msg), "corrupt model: %s", err->message);
		memcpy(err->message, msg, sizeof(msg));
		goto done;
	}
	expected_entries = 4 + (cfg.speaker_norm ? 1 : 0) + (1 + m->n_more) * (m->net->n_params + 4);
	if (blob.n_entries != expected_entries)
	{
		st = ser_error(err, SER_ECORRUPT, "corrupt model: unexpected entries");
		ser_error_detail(err, "The model holds %d entries; its architecture accounts for %d.",
						 blob.n_entries, expected_entries);
		goto done;
	}

done:
	ser_blob_free(&blob);
	if (st != SER_OK)
	{
		ser_model_free(m);
		return st;
	}
	*out = m;
	return SER_OK;
}

bool
ser_model_class_name(const SerModel *model, int index, char *buf, size_t size)
{
	const char *p = model->classes;

	for (int i = 0; i < index && p != NULL; i++)
	{
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (index < 0 || p == NULL || *p == '\0')
		return false;
	snprintf(buf, size, "%.*s", (int) strcspn(p, "\n"), p);
	return true;
}

/*
 * One member's class probabilities: the frames and utterance vector (with
 * the speaker profile already subtracted, in x and xu's raw form) normalised
 * with the member's statistics into the scratch x_norm, then the forward pass.
 */
static SerStatus
member_probs(SerNet *net, const float *frame_mean, const float *frame_std, const float *utt_mean,
			 const float *utt_std, const float *raw, int n_frames, float *x_norm, float *probs, SerError *err)
{
	const SerNetConfig *cfg = &net->cfg;
	int			F = cfg->n_frame_features;
	int			D = cfg->n_utt_features;
	const float *raw_utt = raw + (size_t) n_frames * F;
	float	   *xu = x_norm + (size_t) n_frames * F;
	int			offsets[2] = {0, n_frames};
	SerSeqs		seqs = {1, offsets};
	SerNetActs *acts;
	SerStatus	st;

	for (int t = 0; t < n_frames; t++)
		for (int i = 0; i < F; i++)
			x_norm[(size_t) t * F + i] = (raw[(size_t) t * F + i] - frame_mean[i]) / frame_std[i];
	for (int i = 0; i < D; i++)
		xu[i] = (raw_utt[i] - utt_mean[i]) / utt_std[i];
	if (cfg->frame_cmn)
		ser_frames_subtract_mean(x_norm, n_frames, F);
	st = ser_net_forward(net, SER_NET_EVAL, &seqs, x_norm, xu, NULL, &acts, err);
	if (st != SER_OK)
		return st;
	memcpy(probs, ser_net_acts_probs(acts), sizeof(float) * cfg->n_classes);
	ser_net_acts_free(acts);
	return SER_OK;
}

SerStatus
ser_model_predict(const SerModel *model, const float *frames, int n_frames, int n_frame_features,
				  const float *utt, int n_utt_features, const float *speaker_profile,
				  float *probs, SerError *err)
{
	const SerNetConfig *cfg = &model->net->cfg;
	int			F = cfg->n_frame_features;
	int			D = cfg->n_utt_features;
	int			K = cfg->n_classes;
	size_t		n_in;
	float	   *raw;
	float	   *x_norm;
	float		member[SER_NET_MAX_CLASSES];
	SerStatus	st;

	if (n_frame_features != F || n_utt_features != D)
	{
		ser_error(err, SER_EINVAL, "feature dimensions do not match the model");
		ser_error_detail(err, "The model expects %d frame features and %d utterance features, got %d and %d.",
						 F, D, n_frame_features, n_utt_features);
		return SER_EINVAL;
	}
	if (speaker_profile != NULL && !cfg->speaker_norm)
	{
		ser_error(err, SER_EINVAL, "model was trained without speaker normalisation");
		ser_error_detail(err, "Only a model trained with speaker normalisation takes a speaker profile.");
		return SER_EINVAL;
	}
	if (cfg->speaker_norm && speaker_profile == NULL)
		speaker_profile = model->population_profile;
	if (n_frames < 1)
		return ser_error(err, SER_EINVAL, "clip has no frames");
	if ((size_t) n_frames > SIZE_MAX / sizeof(float) / 1024 / (size_t) F)
		return ser_error(err, SER_ETOOLONG, "clip has too many frames");
	n_in = (size_t) n_frames * F + D;
	raw = ser_malloc_array(2 * n_in, sizeof(float));
	if (raw == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory for the model input");
	x_norm = raw + n_in;
	/* Checked, and the speaker profile subtracted, once for all members. */
	for (int t = 0; t < n_frames; t++)
		for (int i = 0; i < F; i++)
		{
			float		v = frames[(size_t) t * F + i];

			if (!isfinite(v))
			{
				ser_free(raw);
				ser_error(err, SER_ENONFINITE, "frame features hold a non-finite value");
				ser_error_detail(err, "Frame %d, feature %d is %g.", t, i, (double) v);
				return SER_ENONFINITE;
			}
			if (speaker_profile != NULL)
				v -= speaker_profile[1 + i];
			raw[(size_t) t * F + i] = v;
		}
	for (int i = 0; i < D; i++)
	{
		if (!isfinite(utt[i]))
		{
			ser_free(raw);
			ser_error(err, SER_ENONFINITE, "utterance features hold a non-finite value");
			ser_error_detail(err, "Feature %d is %g.", i, (double) utt[i]);
			return SER_ENONFINITE;
		}
		raw[(size_t) n_frames * F + i] = speaker_profile != NULL ? utt[i] - speaker_profile[1 + F + i] : utt[i];
	}
	st = member_probs(model->net, model->frame_mean, model->frame_std, model->utt_mean, model->utt_std,
					  raw, n_frames, x_norm, probs, err);
	for (int k = 0; st == SER_OK && k < model->n_more; k++)
	{
		const SerModelMember *mb = &model->more[k];

		st = member_probs(mb->net, mb->frame_mean, mb->frame_std, mb->utt_mean, mb->utt_std,
						  raw, n_frames, x_norm, member, err);
		for (int c = 0; st == SER_OK && c < K; c++)
			probs[c] += member[c];
	}
	if (st == SER_OK && model->n_more > 0)
		for (int c = 0; c < K; c++)
			probs[c] /= (float) (1 + model->n_more);
	ser_free(raw);
	return st;
}
