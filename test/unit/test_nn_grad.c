/*
 * test_nn_grad.c — finite-difference checks of every gradient in the model:
 * each layer type on its own (dense, convolution with kernels 1/3/5 over
 * packed clips of unequal length including a clip shorter than the kernel,
 * batch normalisation, ReLU, squeeze-and-excitation, attention pooling,
 * dropout, weighted softmax cross-entropy) and the whole network in training
 * mode, every tensor.  A last test feeds the checker a slightly wrong
 * gradient to show that it can fail.
 */
#include "unit.h"

#include "model/layers.h"
#include "model/network.h"
#include "model/rng.h"

#include <stdint.h>

/*
 * Finite-difference gradient checking.
 *
 * A scalar loss L(theta) is evaluated in float by the code under test and
 * summed in double.  Along a line theta + t d (d a unit coordinate, or a
 * random direction over a whole tensor, which catches errors spread thinly
 * over many coordinates) the numerical derivative is the central difference
 * (L(h) - L(-h)) / 2h with h = 1e-3: float rounding of the forward pass
 * makes smaller steps noisier (at 2.5e-4 the noise alone exceeds the
 * tolerance), larger ones add curvature error and kinks.  It passes
 * when |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|).
 *
 * The network has ReLUs, and a kink within the step is the one legitimate
 * reason for a mismatch: a kink lies on one side of the point, so the
 * derivative from the other side is still the gradient.  When the central
 * difference misses, the second-order one-sided quotients
 * (-3 L(0) + 4 L(h) - L(2h)) / 2h and its mirror are computed; the check is
 * accepted as "kinked" only when they disagree with each other by more than
 * the tolerance (the sign of a kink) and one of them matches.  A wrong
 * gradient at a smooth point has agreeing one-sided quotients that both miss
 * it, and fails.  Kinked checks are counted and reported.
 */

typedef double (*GcLossFn) (void *ctx);

typedef struct GcResult
{
	int			checked;
	int			failed;
	int			kinked;			/* kink within the step; matched the derivative from one side */
	double		worst;			/* largest |a - n| / tolerance among judged checks; pass is <= 1 */
	double		directional_analytic;
	double		directional_numeric;
} GcResult;

typedef struct GcLine
{
	float	   *x;
	size_t		n;
	const float *dir;			/* NULL: coordinate `index` */
	size_t		index;
	const float *saved;
	GcLossFn	loss;
	void	   *ctx;
} GcLine;

/* L at theta + t d; theta is restored afterwards. */
static inline double
gc_at(const GcLine *l, float t)
{
	double		v;

	if (l->dir == NULL)
	{
		float		orig = l->x[l->index];

		l->x[l->index] = orig + t;
		v = l->loss(l->ctx);
		l->x[l->index] = orig;
		return v;
	}
	for (size_t i = 0; i < l->n; i++)
		l->x[i] = l->saved[i] + t * l->dir[i];
	v = l->loss(l->ctx);
	memcpy(l->x, l->saved, sizeof(float) * l->n);
	return v;
}

/* Judge one directional derivative; updates r, returns the central quotient. */
static float gc_step = 1e-3f;

static inline double
gc_judge(const GcLine *l, double analytic, double atol, double rtol, GcResult *r, const char *label)
{
	const float h = gc_step;
	double		lp = gc_at(l, h);
	double		lm = gc_at(l, -h);
	double		num = (lp - lm) / (2.0 * h);
	double		bound = atol + rtol * fmax(fabs(num), fabs(analytic));
	double		ratio = fabs(num - analytic) / bound;

	r->checked++;
	if (ratio > 1.0)
	{
		double		l0 = gc_at(l, 0.0f);
		double		right = (-3.0 * l0 + 4.0 * lp - gc_at(l, 2.0f * h)) / (2.0 * h);
		double		left = (3.0 * l0 - 4.0 * lm + gc_at(l, -2.0f * h)) / (2.0 * h);

		bool		right_ok = fabs(right - analytic) <= atol + rtol * fmax(fabs(right), fabs(analytic));
		bool		left_ok = fabs(left - analytic) <= atol + rtol * fmax(fabs(left), fabs(analytic));
		/* evidence of a kink: the quotients disagree among themselves */
		bool		rough = fabs(right - left) > bound ||
			(right_ok && fabs(num - right) > bound) || (left_ok && fabs(num - left) > bound);

		if (rough && (right_ok || left_ok))
		{
			r->kinked++;
			return num;
		}
		r->failed++;
		if (r->failed <= 3)
			printf("#   %s: analytic %.7g central %.7g right %.7g left %.7g\n", label, analytic, num, right, left);
	}
	if (ratio > r->worst)
		r->worst = ratio;
	return num;
}

/*
 * Check `samples` coordinates of x[n] (all if n <= samples) plus one random
 * direction; analytic[n] is the gradient computed at the unperturbed x.
 */
static inline GcResult
gc_check(float *x, size_t n, const float *analytic, GcLossFn loss, void *ctx, int samples,
		 double atol, double rtol, SerRng *rng)
{
	GcResult	r = {0, 0, 0, 0.0, 0.0, 0.0};
	GcLine		line = {x, n, NULL, 0, NULL, loss, ctx};
	float	   *dir = malloc(sizeof(float) * n);
	float	   *saved = malloc(sizeof(float) * n);
	double		gd = 0.0;

	for (int s = 0; s < samples && (size_t) s < n; s++)
	{
		char		label[32];

		line.index = n <= (size_t) samples ? (size_t) s : (size_t) ser_rng_below(rng, (uint32_t) n);
		snprintf(label, sizeof(label), "coordinate %zu", line.index);
		gc_judge(&line, analytic[line.index], atol, rtol, &r, label);
	}
	for (size_t i = 0; i < n; i++)
	{
		dir[i] = ser_rng_normal(rng) / sqrtf((float) n);
		saved[i] = x[i];
		gd += (double) dir[i] * analytic[i];
	}
	line.dir = dir;
	line.saved = saved;
	r.directional_analytic = gd;
	r.directional_numeric = gc_judge(&line, gd, atol, rtol, &r, "direction");
	free(dir);
	free(saved);
	return r;
}

static SerRng rng;

static float *
randn(size_t n, float scale)
{
	float	   *v = malloc(sizeof(float) * (n ? n : 1));

	for (size_t i = 0; i < n; i++)
		v[i] = scale * ser_rng_normal(&rng);
	return v;
}

static float *
zeros(size_t n)
{
	return calloc(n ? n : 1, sizeof(float));
}

static double
dot(const float *a, const float *b, size_t n)
{
	double		s = 0.0;

	for (size_t i = 0; i < n; i++)
		s += (double) a[i] * b[i];
	return s;
}

static void
report(const char *what, GcResult r)
{
	UNIT_OK(r.failed == 0 && r.checked > 0, "%s: %d checks, %d kinked, worst %.3f of tolerance",
			what, r.checked, r.kinked, r.worst);
}

/* tolerances for single layers (float forward, double loss) */
#define ATOL 5e-4
#define RTOL 1e-2
/* the whole network: deeper float sums, so a little more absolute slack */
#define NET_ATOL 5e-4
#define NET_RTOL 2e-2

/* ---- dense ---- */
typedef struct
{
	int			n,
				in,
				out;
	float	   *x,
			   *w,
			   *b,
			   *y,
			   *r;
} DenseCtx;

static double
dense_loss(void *p)
{
	DenseCtx   *c = p;

	ser_dense_forward(c->x, c->in, c->n, c->in, c->w, c->b, c->out, c->y, c->out);
	return dot(c->y, c->r, (size_t) c->n * c->out);
}

static void
test_dense(void)
{
	DenseCtx	c = {.n = 5, .in = 7, .out = 4};
	float	   *dw,
			   *db,
			   *dx;

	c.x = randn(c.n * c.in, 1);
	c.w = randn(c.out * c.in, 0.5f);
	c.b = randn(c.out, 0.5f);
	c.y = zeros(c.n * c.out);
	c.r = randn(c.n * c.out, 1);
	dw = zeros(c.out * c.in);
	db = zeros(c.out);
	dx = zeros(c.n * c.in);
	dense_loss(&c);
	ser_dense_backward(c.x, c.in, c.n, c.in, c.w, c.out, c.r, c.out, dw, db, dx, c.in);
	report("dense: d/dx", gc_check(c.x, c.n * c.in, dx, dense_loss, &c, 40, ATOL, RTOL, &rng));
	report("dense: d/dW", gc_check(c.w, c.out * c.in, dw, dense_loss, &c, 40, ATOL, RTOL, &rng));
	report("dense: d/db", gc_check(c.b, c.out, db, dense_loss, &c, 40, ATOL, RTOL, &rng));
	free(c.x); free(c.w); free(c.b); free(c.y); free(c.r); free(dw); free(db); free(dx);
}

/* ---- convolution over packed clips ---- */
typedef struct
{
	SerSeqs		seqs;
	int			n,
				cin,
				cout,
				k,
				ldy;
	float	   *x,
			   *w,
			   *b,
			   *y,
			   *r,
			   *col;
} ConvCtx;

static double
conv_loss(void *p)
{
	ConvCtx    *c = p;

	ser_conv1d_forward(&c->seqs, c->x, c->cin, c->w, c->b, c->cout, c->k, c->y, c->ldy, c->col);
	/* only the columns this convolution owns count */
	{
		double		s = 0.0;

		for (int i = 0; i < c->n; i++)
			for (int o = 0; o < c->cout; o++)
				s += (double) c->y[(size_t) i * c->ldy + o] * c->r[(size_t) i * c->ldy + o];
		return s;
	}
}

static void
test_conv(int k)
{
	static const int offsets[] = {0, 5, 6, 9};	/* lengths 5, 1, 3 */
	ConvCtx		c;
	float	   *dw,
			   *db,
			   *dx;
	char		what[64];

	c.seqs.n_seq = 3;
	c.seqs.offsets = offsets;
	c.n = 9;
	c.cin = 3;
	c.cout = 4;
	c.k = k;
	c.ldy = 6;					/* writes into a wider matrix, as the branches do */
	c.x = randn(c.n * c.cin, 1);
	c.w = randn(c.cout * k * c.cin, 0.5f);
	c.b = randn(c.cout, 0.5f);
	c.y = zeros(c.n * c.ldy);
	c.r = randn(c.n * c.ldy, 1);
	c.col = zeros(c.n * k * c.cin);
	dw = zeros(c.cout * k * c.cin);
	db = zeros(c.cout);
	dx = zeros(c.n * c.cin);
	conv_loss(&c);
	ser_conv1d_backward(&c.seqs, c.x, c.cin, c.w, c.cout, k, c.r, c.ldy, dw, db, dx, c.col);
	snprintf(what, sizeof(what), "conv k=%d: d/dx", k);
	report(what, gc_check(c.x, c.n * c.cin, dx, conv_loss, &c, 40, ATOL, RTOL, &rng));
	snprintf(what, sizeof(what), "conv k=%d: d/dW", k);
	report(what, gc_check(c.w, c.cout * k * c.cin, dw, conv_loss, &c, 40, ATOL, RTOL, &rng));
	snprintf(what, sizeof(what), "conv k=%d: d/db", k);
	report(what, gc_check(c.b, c.cout, db, conv_loss, &c, 40, ATOL, RTOL, &rng));
	free(c.x); free(c.w); free(c.b); free(c.y); free(c.r); free(c.col); free(dw); free(db); free(dx);
}

/* zero padding stays inside each clip: a clip's output ignores its neighbours */
static void
test_conv_isolation(void)
{
	static const int offsets[] = {0, 4, 7};
	SerSeqs		seqs = {2, offsets};
	float	   *x = randn(7 * 2, 1);
	float	   *w = randn(3 * 5 * 2, 1);
	float		y1[7 * 3],
				y2[7 * 3];
	float	   *col = zeros(7 * 5 * 2);
	bool		same = true;

	ser_conv1d_forward(&seqs, x, 2, w, NULL, 3, 5, y1, 3, col);
	for (int i = 8; i < 14; i++)
		x[i] += 10.0f;			/* change clip 1 only */
	ser_conv1d_forward(&seqs, x, 2, w, NULL, 3, 5, y2, 3, col);
	for (int i = 0; i < 4 * 3; i++)
		same = same && y1[i] == y2[i];
	UNIT_OK(same, "conv: a clip's output does not depend on the next clip in the batch");
	free(x); free(w); free(col);
}

/* ---- batch normalisation ---- */
typedef struct
{
	int			n,
				c;
	float	   *x,
			   *gamma,
			   *beta,
			   *xhat,
			   *istd,
			   *y,
			   *r;
} BnCtx;

static double
bn_loss(void *p)
{
	BnCtx	   *c = p;

	ser_bn_forward_train(c->x, c->n, c->c, c->c, c->gamma, c->beta, c->xhat, c->istd, c->y, NULL, NULL);
	return dot(c->y, c->r, (size_t) c->n * c->c);
}

static void
test_bn(void)
{
	BnCtx		c = {.n = 6, .c = 3};
	float	   *dg,
			   *dbeta,
			   *dx;
	float		rm[3] = {0},
				rv[3] = {1, 1, 1};

	c.x = randn(c.n * c.c, 2);
	c.gamma = randn(c.c, 1);
	c.beta = randn(c.c, 1);
	c.xhat = zeros(c.n * c.c);
	c.istd = zeros(c.c);
	c.y = zeros(c.n * c.c);
	c.r = randn(c.n * c.c, 1);
	dg = zeros(c.c);
	dbeta = zeros(c.c);
	dx = zeros(c.n * c.c);
	bn_loss(&c);
	ser_bn_backward(c.r, c.xhat, c.istd, c.n, c.c, c.c, c.gamma, dg, dbeta, dx);
	report("batch norm: d/dx", gc_check(c.x, c.n * c.c, dx, bn_loss, &c, 40, ATOL, RTOL, &rng));
	report("batch norm: d/dgamma", gc_check(c.gamma, c.c, dg, bn_loss, &c, 40, ATOL, RTOL, &rng));
	report("batch norm: d/dbeta", gc_check(c.beta, c.c, dbeta, bn_loss, &c, 40, ATOL, RTOL, &rng));

	/* running statistics: one step of momentum 0.1 from (0, 1) */
	ser_bn_forward_train(c.x, c.n, c.c, c.c, c.gamma, c.beta, c.xhat, c.istd, c.y, rm, rv);
	{
		double		mean = 0.0,
					var = 0.0;

		for (int i = 0; i < c.n; i++)
			mean += c.x[i * c.c] / c.n;
		for (int i = 0; i < c.n; i++)
			var += (c.x[i * c.c] - mean) * (c.x[i * c.c] - mean) / (c.n - 1);
		UNIT_NEAR(rm[0], 0.1 * mean, 1e-6, "batch norm: running mean moves by the momentum");
		UNIT_NEAR(rv[0], 0.9 + 0.1 * var, 1e-5, "batch norm: running variance is the unbiased one");
	}
	free(c.x); free(c.gamma); free(c.beta); free(c.xhat); free(c.istd); free(c.y); free(c.r);
	free(dg); free(dbeta); free(dx);
}

/* ---- ReLU ---- */
typedef struct
{
	size_t		n;
	float	   *x,
			   *y,
			   *r;
} ReluCtx;

static double
relu_loss(void *p)
{
	ReluCtx    *c = p;

	memcpy(c->y, c->x, sizeof(float) * c->n);
	ser_relu_inplace(c->y, c->n);
	return dot(c->y, c->r, c->n);
}

static void
test_relu(void)
{
	ReluCtx		c = {.n = 20};
	float	   *dy;

	c.x = randn(c.n, 1);
	for (size_t i = 0; i < c.n; i++)	/* keep clear of the kink */
		c.x[i] += c.x[i] > 0 ? 0.1f : -0.1f;
	c.y = zeros(c.n);
	c.r = randn(c.n, 1);
	dy = zeros(c.n);
	relu_loss(&c);
	memcpy(dy, c.r, sizeof(float) * c.n);
	ser_relu_backward(c.y, dy, c.n);
	report("relu: d/dx", gc_check(c.x, c.n, dy, relu_loss, &c, 40, ATOL, RTOL, &rng));
	{
		float		special[4] = {-0.0f, 0.0f, -3.0f, 2.5f};

		ser_relu_inplace(special, 4);
		UNIT_OK(special[0] == 0.0f && special[1] == 0.0f && special[2] == 0.0f && special[3] == 2.5f,
				"relu: -0, 0, negative and positive values");
	}
	free(c.x); free(c.y); free(c.r); free(dy);
}

/* ---- squeeze-and-excitation ---- */
typedef struct
{
	SerSeqs		seqs;
	int			n,
				c,
				r_;
	float	   *x,
			   *w1,
			   *b1,
			   *w2,
			   *b2,
			   *s,
			   *q,
			   *g,
			   *y,
			   *r;
} SeCtx;

static double
se_loss(void *p)
{
	SeCtx	   *c = p;

	ser_se_forward(&c->seqs, c->x, c->c, c->r_, c->w1, c->b1, c->w2, c->b2, c->s, c->q, c->g, c->y);
	return dot(c->y, c->r, (size_t) c->n * c->c);
}

static void
test_se(void)
{
	static const int offsets[] = {0, 4, 5, 9};
	SeCtx		c;
	float	   *dx,
			   *dw1,
			   *db1,
			   *dw2,
			   *db2,
			   *ds,
			   *dq,
			   *dg;

	c.seqs.n_seq = 3;
	c.seqs.offsets = offsets;
	c.n = 9;
	c.c = 6;
	c.r_ = 3;
	c.x = randn(c.n * c.c, 1);
	c.w1 = randn(c.r_ * c.c, 0.7f);
	c.b1 = randn(c.r_, 0.5f);
	for (int i = 0; i < c.r_; i++)	/* keep the bottleneck ReLU away from its kink */
		c.b1[i] = c.b1[i] > 0 ? c.b1[i] + 0.5f : c.b1[i] - 0.5f;
	c.w2 = randn(c.c * c.r_, 0.7f);
	c.b2 = randn(c.c, 0.5f);
	c.s = zeros(3 * c.c);
	c.q = zeros(3 * c.r_);
	c.g = zeros(3 * c.c);
	c.y = zeros(c.n * c.c);
	c.r = randn(c.n * c.c, 1);
	dx = zeros(c.n * c.c);
	dw1 = zeros(c.r_ * c.c);
	db1 = zeros(c.r_);
	dw2 = zeros(c.c * c.r_);
	db2 = zeros(c.c);
	ds = zeros(3 * c.c);
	dq = zeros(3 * c.r_);
	dg = zeros(3 * c.c);
	se_loss(&c);
	ser_se_backward(&c.seqs, c.x, c.c, c.r_, c.w1, c.w2, c.s, c.q, c.g, c.r, dx, dw1, db1, dw2, db2, ds, dq, dg);
	report("squeeze-excitation: d/dx", gc_check(c.x, c.n * c.c, dx, se_loss, &c, 40, ATOL, RTOL, &rng));
	report("squeeze-excitation: d/dW1", gc_check(c.w1, c.r_ * c.c, dw1, se_loss, &c, 40, ATOL, RTOL, &rng));
	report("squeeze-excitation: d/db1", gc_check(c.b1, c.r_, db1, se_loss, &c, 40, ATOL, RTOL, &rng));
	report("squeeze-excitation: d/dW2", gc_check(c.w2, c.c * c.r_, dw2, se_loss, &c, 40, ATOL, RTOL, &rng));
	report("squeeze-excitation: d/db2", gc_check(c.b2, c.c, db2, se_loss, &c, 40, ATOL, RTOL, &rng));
	free(c.x); free(c.w1); free(c.b1); free(c.w2); free(c.b2); free(c.s); free(c.q); free(c.g);
	free(c.y); free(c.r); free(dx); free(dw1); free(db1); free(dw2); free(db2); free(ds); free(dq); free(dg);
}

/* ---- attention pooling ---- */
typedef struct
{
	SerSeqs		seqs;
	int			n,
				c,
				a;
	float	   *h,
			   *wa,
			   *ba,
			   *v,
			   *u,
			   *alpha,
			   *p,
			   *r;
} PoolCtx;

static double
pool_loss(void *p)
{
	PoolCtx    *c = p;

	ser_attpool_forward(&c->seqs, c->h, c->c, c->a, c->wa, c->ba, c->v, c->u, c->alpha, c->p);
	return dot(c->p, c->r, (size_t) c->seqs.n_seq * c->c);
}

static void
test_attpool(void)
{
	static const int offsets[] = {0, 6, 7, 10};
	PoolCtx		c;
	float	   *dh,
			   *dwa,
			   *dba,
			   *dv,
			   *du;

	c.seqs.n_seq = 3;
	c.seqs.offsets = offsets;
	c.n = 10;
	c.c = 5;
	c.a = 4;
	c.h = randn(c.n * c.c, 1);
	c.wa = randn(c.a * c.c, 0.7f);
	c.ba = randn(c.a, 0.5f);
	c.v = randn(c.a, 1);
	c.u = zeros(c.n * c.a);
	c.alpha = zeros(c.n);
	c.p = zeros(3 * c.c);
	c.r = randn(3 * c.c, 1);
	dh = zeros(c.n * c.c);
	dwa = zeros(c.a * c.c);
	dba = zeros(c.a);
	dv = zeros(c.a);
	du = zeros(c.n * c.a);
	pool_loss(&c);
	{
		double		s0 = 0.0;

		for (int t = 0; t < 6; t++)
			s0 += c.alpha[t];
		UNIT_NEAR(s0, 1.0, 1e-6, "attention pooling: weights of a clip sum to 1");
		UNIT_OK(c.alpha[6] == 1.0f, "attention pooling: a one-frame clip gets weight 1");
	}
	ser_attpool_backward(&c.seqs, c.h, c.c, c.a, c.wa, c.v, c.u, c.alpha, c.r, dh, dwa, dba, dv, du);
	report("attention pooling: d/dh", gc_check(c.h, c.n * c.c, dh, pool_loss, &c, 40, ATOL, RTOL, &rng));
	report("attention pooling: d/dWa", gc_check(c.wa, c.a * c.c, dwa, pool_loss, &c, 40, ATOL, RTOL, &rng));
	report("attention pooling: d/dba", gc_check(c.ba, c.a, dba, pool_loss, &c, 40, ATOL, RTOL, &rng));
	report("attention pooling: d/dv", gc_check(c.v, c.a, dv, pool_loss, &c, 40, ATOL, RTOL, &rng));
	free(c.h); free(c.wa); free(c.ba); free(c.v); free(c.u); free(c.alpha); free(c.p); free(c.r);
	free(dh); free(dwa); free(dba); free(dv); free(du);
}

/* ---- dropout (mask frozen by replaying the rng) ---- */
typedef struct
{
	size_t		n;
	float		rate;
	SerRng		start;
	float	   *x,
			   *y,
			   *mask,
			   *r;
} DropCtx;

static double
drop_loss(void *p)
{
	DropCtx    *c = p;
	SerRng		replay = c->start;

	ser_dropout_forward(c->x, c->y, c->mask, c->n, c->rate, &replay);
	return dot(c->y, c->r, c->n);
}

static void
test_dropout(void)
{
	DropCtx		c = {.n = 400, .rate = 0.3f};
	float	   *dx;
	int			dropped = 0;

	c.start = rng;
	ser_rng_next(&rng);
	c.x = randn(c.n, 1);
	c.y = zeros(c.n);
	c.mask = zeros(c.n);
	c.r = randn(c.n, 1);
	dx = zeros(c.n);
	drop_loss(&c);
	for (size_t i = 0; i < c.n; i++)
		dropped += c.mask[i] == 0.0f;
	UNIT_OK(dropped > 80 && dropped < 160, "dropout: about 30%% of 400 values dropped (%d)", dropped);
	UNIT_NEAR(c.mask[0] == 0.0f ? c.mask[1] + c.mask[2] + c.mask[3] : c.mask[0], c.mask[0] == 0.0f ? c.mask[1] + c.mask[2] + c.mask[3] : 1.0 / 0.7, 1e-6,
			  "dropout: kept values are scaled by 1/(1-rate)");
	ser_dropout_backward(c.r, c.mask, dx, c.n);
	report("dropout: d/dx", gc_check(c.x, c.n, dx, drop_loss, &c, 40, ATOL, RTOL, &rng));
	free(c.x); free(c.y); free(c.mask); free(c.r); free(dx);
}

/* ---- softmax cross-entropy ---- */
typedef struct
{
	int			n,
				k;
	int		   *labels;
	float	   *targets,		/* NULL: the labels */
			   *weights,
			   *logits,
			   *probs;
} XentCtx;

static double
xent_loss(void *p)
{
	XentCtx    *c = p;

	return ser_softmax_xent(c->logits, c->n, c->k, c->labels, c->targets, c->weights, c->probs, NULL);
}

static void
test_xent(void)
{
	int			labels[4] = {0, 2, 2, 1};
	float		weights[3] = {0.5f, 2.0f, 1.0f};
	XentCtx		c = {.n = 4, .k = 3, .labels = labels, .weights = weights};
	float	   *dl;
	double		loss;

	c.logits = randn(12, 2);
	c.probs = zeros(12);
	dl = zeros(12);
	ser_softmax_xent(c.logits, c.n, c.k, c.labels, NULL, c.weights, c.probs, dl);
	report("weighted cross-entropy: d/dlogits", gc_check(c.logits, 12, dl, xent_loss, &c, 40, ATOL, RTOL, &rng));
	{
		/* soft targets: one-hot ones give the hard-label loss and gradient exactly; others their own */
		float		onehot[12] = {0},
					soft[12] = {0.7f, 0.2f, 0.1f, 0.0f, 0.25f, 0.75f, 0.1f, 0.1f, 0.8f, 0.3f, 0.6f, 0.1f};
		float	   *dl_soft = zeros(12);
		double		hard,
					with_onehot;
		bool		same = true;

		for (int i = 0; i < 4; i++)
			onehot[i * 3 + labels[i]] = 1.0f;
		hard = ser_softmax_xent(c.logits, c.n, c.k, c.labels, NULL, c.weights, c.probs, dl);
		with_onehot = ser_softmax_xent(c.logits, c.n, c.k, c.labels, onehot, c.weights, c.probs, dl_soft);
		for (int i = 0; i < 12; i++)
			same = same && dl[i] == dl_soft[i];
		UNIT_OK(hard == with_onehot && same, "one-hot soft targets: the labels' loss and gradient, bit for bit");
		c.targets = soft;
		ser_softmax_xent(c.logits, c.n, c.k, c.labels, soft, c.weights, c.probs, dl_soft);
		report("weighted cross-entropy against soft targets: d/dlogits",
			   gc_check(c.logits, 12, dl_soft, xent_loss, &c, 40, ATOL, RTOL, &rng));
		c.targets = NULL;
		free(dl_soft);
	}
	{
		float		big[3] = {1000.0f, 0.0f, -1000.0f};
		float		pr[3];
		int			lab = 2;

		loss = ser_softmax_xent(big, 1, 3, &lab, NULL, NULL, pr, NULL);
		UNIT_NEAR(loss, 2000.0, 1e-3, "cross-entropy stays finite and exact for extreme logits");
	}
	free(c.logits); free(c.probs); free(dl);
}

/* ---- the whole network ---- */
typedef struct
{
	SerNet	   *net;
	SerSeqs		seqs;
	float	   *frames,
			   *utt;
	int		   *labels;
	float	   *weights;
	SerRng		start;
} NetCtx;

static double
net_loss(void *p)
{
	NetCtx	   *c = p;
	SerRng		replay = c->start;
	SerNetActs *acts;
	SerError	err;
	double		loss;

	if (ser_net_forward(c->net, SER_NET_TRAIN, &c->seqs, c->frames, c->utt, &replay, &acts, &err) != SER_OK)
	{
		printf("Bail out! forward failed: %s\n", err.message);
		exit(1);
	}
	loss = ser_net_loss(c->net, acts, c->seqs.n_seq, c->labels, NULL, c->weights);
	ser_net_acts_free(acts);
	return loss;
}

static void
test_network(void)
{
	static const int offsets[] = {0, 9, 13, 14, 20};	/* lengths 9, 4, 1, 6 */
	static int	labels[] = {0, 2, 1, 2};
	static float weights[] = {1.5f, 0.5f, 1.0f};
	SerNetConfig cfg;
	NetCtx		c;
	SerError	err;
	SerNetActs *acts;
	double		loss;
	float	   *analytic;
	SerStatus	st;

	ser_net_default_config(&cfg, 6, 5, 3);
	cfg.stem_channels = 8;
	cfg.branch_channels = 4;	/* C1 = 12 */
	cfg.n_res_blocks = 2;
	cfg.se_reduction = 4;
	cfg.attention_dim = 6;
	cfg.utt_hidden = 5;
	cfg.fused_hidden = 7;
	cfg.dropout_fused = 0.2f;
	cfg.dropout_hidden = 0.3f;
	st = ser_net_create(&cfg, &rng, &c.net, &err);
	UNIT_OK(st == SER_OK, "small network created");
	/* BN affine parameters away from their initial 1/0, so their gradients are exercised generically */
	for (int i = 0; i < c.net->n_params; i++)
		if (strstr(c.net->params[i].name, ".gamma") || strstr(c.net->params[i].name, ".beta"))
			for (size_t j = 0; j < c.net->params[i].size; j++)
				ser_net_param(c.net, i)[j] += 0.3f * ser_rng_normal(&rng);
	c.seqs.n_seq = 4;
	c.seqs.offsets = offsets;
	c.frames = randn(20 * 6, 1);
	c.utt = randn(4 * 5, 1);
	c.labels = labels;
	c.weights = weights;
	c.start = rng;
	ser_rng_next(&rng);

	{
		SerRng		replay = c.start;

		ser_net_zero_grad(c.net);
		st = ser_net_forward(c.net, SER_NET_TRAIN, &c.seqs, c.frames, c.utt, &replay, &acts, &err);
		if (st == SER_OK)
			st = ser_net_backward(c.net, &c.seqs, acts, c.labels, NULL, c.weights, &loss, &err);
		UNIT_OK(st == SER_OK, "network forward and backward passes run");
		UNIT_NEAR(loss, net_loss(&c), 1e-9, "backward reports the same loss as the forward pass");
		ser_net_acts_free(acts);
	}
	analytic = malloc(sizeof(float) * c.net->n_trainable);
	memcpy(analytic, c.net->grads, sizeof(float) * c.net->n_trainable);
	for (int i = 0; i < c.net->n_params; i++)
	{
		SerParam   *p = &c.net->params[i];
		GcResult	r;

		if (!p->trainable)
			continue;
		r = gc_check(ser_net_param(c.net, i), p->size, analytic + p->offset, net_loss, &c, 12,
					 NET_ATOL, NET_RTOL, &rng);
		UNIT_OK(r.failed == 0, "network: gradient of %s (%zu values, %d checks, %d kinked, worst %.3f of tolerance)",
				p->name, p->size, r.checked, r.kinked, r.worst);
	}
	{
		/* every parameter at once, along one random direction */
		float	   *values = c.net->values;
		GcResult	r;

		r = gc_check(values, c.net->n_trainable, analytic, net_loss, &c, 0, NET_ATOL, NET_RTOL, &rng);
		UNIT_OK(r.failed == 0, "network: directional derivative over all %zu parameters (analytic %.6g, numeric %.6g)",
				c.net->n_trainable, r.directional_analytic, r.directional_numeric);
	}

	/* the checker is not vacuous: a 10% error in one tensor's gradient is caught */
	{
		int			w = ser_net_find_param(c.net, "res1.conv1.w");
		SerParam   *p = &c.net->params[w];
		GcResult	r;

		for (size_t j = 0; j < p->size; j++)
			analytic[p->offset + j] *= 1.10f;
		r = gc_check(ser_net_param(c.net, w), p->size, analytic + p->offset, net_loss, &c, 12, NET_ATOL, NET_RTOL, &rng);
		UNIT_OK(r.failed > 0, "gradient check rejects a gradient that is 10%% off (%d of %d checks failed)",
				r.failed, r.checked);
	}
	free(analytic);
	free(c.frames);
	free(c.utt);
	ser_net_free(c.net);
}

int
main(void)
{
	ser_rng_seed(&rng, 20240601);
	test_dense();
	test_conv(1);
	test_conv(3);
	test_conv(5);
	test_conv_isolation();
	test_bn();
	test_relu();
	test_se();
	test_attpool();
	test_dropout();
	test_xent();
	test_network();
	return unit_done();
}
