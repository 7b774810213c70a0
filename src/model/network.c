/*
 * network.c — the classifier network: parameters, forward and backward
 * passes, batch-norm folding.  See network.h for the architecture and why
 * it has that shape; its configuration is net_config.c, the model around
 * the networks model.c.
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
 *
 * A single-clip inference pass (SER_NET_EVAL, one clip: a prediction) carves
 * its arena from a per-process workspace instead: malloc'd directly (it
 * outlives any call and, in the server, any memory context), kept at the
 * largest size seen up to WORKSPACE_MAX, and released by
 * ser_net_workspace_release() (the server's model cache calls it).  A fresh
 * arena per prediction was mapped, or grown from the heap and trimmed back,
 * and page-faulted again on every call: a 3.5 s clip's pass cost four times
 * its arithmetic.  The values computed are the same either way.  The input
 * buffer of a prediction (ser_net_input_take/give, for model.c) is kept the
 * same way and released with it.
 */
#include "model/network.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

SerStatus
ser_net_create_folded(const SerNetConfig *cfg, SerNet **out, SerError *err)
{
	ser_blas_init();
	return new_net(cfg, true, false, out, err);
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
	const float *x;				/* [n][F]: the input, or in training x_copy */
	const float *xu;			/* [nb][D], the same */
	float	   *x_copy,			/* training only */
			   *xu_copy;
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
	float	   *arena;			/* NULL: carved from the workspace */
};

/*
 * The workspace of single-clip inference passes.  in_use guards a second
 * pass made while the first one's activations are still held: that one gets
 * an arena of its own.  A pass above WORKSPACE_MAX floats (16 MB: the shipped
 * model's arena takes about 2.5 kB per frame, so about a minute of audio)
 * allocates as before and keeps nothing: a backend that once classified a
 * ten-minute recording would otherwise hold 150 MB for good, and for such a
 * pass the mapping costs little beside the arithmetic.
 */
#define WORKSPACE_MAX ((size_t) 4 * 1024 * 1024)

static struct
{
	float	   *arena;
	size_t		capacity;		/* floats */
	bool		in_use;
}			workspace;

/*
 * The input buffer of a prediction (model.c: the clip's features, checked,
 * then normalised per member), kept like the workspace: a second one while
 * the first is held, or one above WORKSPACE_MAX, is allocated per call.
 */
static struct
{
	float	   *buf;
	size_t		capacity;		/* floats */
	bool		in_use;
}			input_buffer;

float *
ser_net_input_take(size_t count)
{
	if (!input_buffer.in_use && count <= WORKSPACE_MAX)
	{
		if (count > input_buffer.capacity)
		{
			float	   *bigger = malloc(count * sizeof(float));

			if (bigger != NULL)
			{
				free(input_buffer.buf);
				input_buffer.buf = bigger;
				input_buffer.capacity = count;
			}
		}
		if (count <= input_buffer.capacity)
		{
			input_buffer.in_use = true;
			return input_buffer.buf;
		}
	}
	return ser_malloc_array(count, sizeof(float));
}

void
ser_net_input_give(float *buf)
{
	if (buf != NULL && buf == input_buffer.buf)
		input_buffer.in_use = false;
	else
		ser_free(buf);
}

void
ser_net_workspace_release(void)
{
	if (!workspace.in_use)		/* else released by a later call, after ser_net_acts_free */
	{
		free(workspace.arena);
		workspace.arena = NULL;
		workspace.capacity = 0;
	}
	if (!input_buffer.in_use)
	{
		free(input_buffer.buf);
		input_buffer.buf = NULL;
		input_buffer.capacity = 0;
	}
}

size_t
ser_net_workspace_size(void)
{
	return (workspace.capacity + input_buffer.capacity) * sizeof(float);
}

/* The workspace's arena for count floats, or NULL when a pass must allocate its own. */
static float *
workspace_take(size_t count)
{
	if (workspace.in_use || count > WORKSPACE_MAX)
		return NULL;
	if (count > workspace.capacity)
	{
		float	   *bigger = malloc(count * sizeof(float));

		if (bigger == NULL)
			return NULL;		/* the caller tries an arena of its own, and reports */
		free(workspace.arena);
		workspace.arena = bigger;
		workspace.capacity = count;
	}
	workspace.in_use = true;
	return workspace.arena;
}

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

	/*
	 * A training pass keeps a copy of its input: the backward pass reads it
	 * later, and ser_net_forward does not ask its caller to keep the arrays
	 * that long.  Nothing reads an inference pass's input after the pass,
	 * so it reads the caller's arrays in place (a copy per network was
	 * 220 kB of a 3.5 s clip's features, six times a prediction).
	 */
	a->x_copy = keep ? carve(c, n * L->F) : NULL;
	a->xu_copy = keep ? carve(c, nb * L->D) : NULL;
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
	if (acts->arena == NULL)
		workspace.in_use = false;	/* carved from the workspace, which stays */
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

/*
 * out = relu(out + skip): the skip connection and the block's ReLU in one
 * pass.  restrict lets the compiler add four at a time (over two plain
 * pointers it could not rule out overlap, and added one by one); the ReLU
 * is ser_relu_inplace's sign-bit mask, the same bits.
 */
static void
residual_relu(float *restrict out, const float *restrict skip, size_t count)
{
	for (size_t e = 0; e < count; e++)
	{
		float		v = out[e] + skip[e];
		uint32_t	u;

		memcpy(&u, &v, sizeof(u));
		u &= ~(uint32_t) ((int32_t) u >> 31);
		memcpy(&out[e], &u, sizeof(u));
	}
}

/*
 * The parallel convolutions over the stem's output, into ms[n][C1].  Their
 * columns are built once, for the widest kernel: with odd kernels centred on
 * the same frame, a narrower kernel's columns are the middle of a wider
 * one's (zero padding included), read with the wider row stride.  sgemm
 * packs its operand whatever the stride, so the products are the same bits
 * as with columns of their own; three passes of copying became one.
 */
static void
branches_forward(const SerNet *net, const SerSeqs *seqs, const float *stem, float *ms, float *col)
{
	const SerNetLayout *L = net->layout;
	int			n = seqs->offsets[seqs->n_seq];
	int			kmax = 1;

	for (int j = 0; j < net->cfg.n_branches; j++)
		if (L->branch[j].k > kmax)
			kmax = L->branch[j].k;
	if (kmax > 1)
		ser_im2col(seqs, stem, L->C0, kmax, col);
	for (int j = 0; j < net->cfg.n_branches; j++)
	{
		const ConvIdx *c = &L->branch[j];
		float	   *y = ms + (size_t) j * L->Cb;

		if (c->k == 1)
			ser_dense_forward(stem, L->C0, n, L->C0, ser_net_param(net, c->w), bias_of(net, c), L->Cb, y, L->C1);
		else
			ser_dense_forward(col + (size_t) (kmax - c->k) / 2 * L->C0, kmax * L->C0, n, c->k * L->C0,
							  ser_net_param(net, c->w), bias_of(net, c), L->Cb, y, L->C1);
	}
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
	carver.base = mode == SER_NET_EVAL && nb == 1 ? workspace_take(carver.used) : NULL;
	if (carver.base == NULL)
	{
		a->arena = ser_malloc_array(carver.used, sizeof(float));
		if (a->arena == NULL)
		{
			ser_free(a);
			return ser_error(err, SER_ENOMEM, "out of memory for network activations");
		}
		carver.base = a->arena;
	}
	carver.used = 0;
	plan_acts(net, a, &carver);

	a->x = frames;
	a->xu = utt;
	if (mode == SER_NET_TRAIN)
	{
		memcpy(a->x_copy, frames, sizeof(float) * (size_t) n * L->F);
		memcpy(a->xu_copy, utt, sizeof(float) * (size_t) nb * L->D);
		a->x = a->x_copy;
		a->xu = a->xu_copy;
	}

	/* stem: 1x1 conv, BN, ReLU */
	ser_conv1d_forward(seqs, a->x, L->F, ser_net_param(net, L->stem.w), bias_of(net, &L->stem),
					   L->C0, 1, a->stem_a, L->C0, a->col);
	bn_apply(net, mode, &L->stem_bn, a->stem_a, n, L->C0, a->stem_xhat, a->stem_istd);
	ser_relu_inplace(a->stem_a, (size_t) n * L->C0);

	/* parallel convolutions at several time scales, written side by side */
	branches_forward(net, seqs, a->stem_a, a->ms_a, a->col);
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
		residual_relu(ra->out, h, count);
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
ser_net_loss(const SerNet *net, const SerNetActs *acts, int n_seq, const int *labels, const float *targets,
			 const float *class_weights)
{
	const SerNetLayout *L = net->layout;
	double		loss = 0.0;
	double		wsum = 0.0;

	for (int b = 0; b < n_seq; b++)
	{
		float		w = class_weights ? class_weights[labels[b]] : 1.0f;

		loss += w * ser_xent_row(acts->logits + (size_t) b * L->K, L->K, labels[b],
								 targets ? targets + (size_t) b * L->K : NULL);
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
				 const float *targets, const float *class_weights, double *loss, SerError *err)
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

	*loss = ser_softmax_xent(a->logits, nb, L->K, labels, targets, class_weights, a->probs, dlogits);

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
