/*
 * layers.c — forward and backward passes of the network's layers.  See
 * layers.h for the packed-batch layout and the accumulate-gradient rule.
 *
 * Matrix products go to OpenBLAS (cblas_sgemm, row-major); the remaining
 * loops are elementwise or per channel.  Reductions that decide a gradient
 * (batch-norm statistics, softmax sums, means over time) are accumulated in
 * double: they run over thousands of frames, and float accumulation there
 * would add noise that the finite-difference checks would then have to
 * tolerate.
 */
#include "model/layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void
ser_blas_init(void)
{
	static bool done = false;

	if (!done)
	{
		/*
		 * A backend is one thread by design (PostgreSQL parallelism is per
		 * process); a thread pool per backend would oversubscribe the CPUs
		 * and make float sums depend on the thread split.
		 */
		openblas_set_num_threads(1);
		done = true;
	}
}

/* ---- dense ---- */

void
ser_dense_forward(const float *x, int ldx, int n, int in, const float *w, const float *b,
				  int out, float *y, int ldy)
{
	if (n <= 0)
		return;
	if (b != NULL)
		for (int i = 0; i < n; i++)
			memcpy(y + (size_t) i * ldy, b, sizeof(float) * out);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in,
				1.0f, x, ldx, w, in, b != NULL ? 1.0f : 0.0f, y, ldy);
}

void
ser_dense_backward(const float *x, int ldx, int n, int in, const float *w, int out,
				   const float *dy, int ldy, float *dw, float *db, float *dx, int lddx)
{
	if (n <= 0)
		return;
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n,
				1.0f, dy, ldy, x, ldx, 1.0f, dw, in);
	if (db != NULL)
		for (int o = 0; o < out; o++)
		{
			double		sum = 0.0;

			for (int i = 0; i < n; i++)
				sum += dy[(size_t) i * ldy + o];
			db[o] += (float) sum;
		}
	if (dx != NULL)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out,
					1.0f, dy, ldy, w, in, 1.0f, dx, lddx);
}

/* ---- convolution ---- */

void
ser_im2col(const SerSeqs *seqs, const float *x, int cin, int k, float *col)
{
	int			pad = k / 2;
	size_t		width = (size_t) k * cin;

	for (int s = 0; s < seqs->n_seq; s++)
	{
		int			start = seqs->offsets[s];
		int			len = seqs->offsets[s + 1] - start;

		for (int t = 0; t < len; t++)
		{
			float	   *row = col + (size_t) (start + t) * width;
			int			first = t - pad;	/* first input frame under the kernel */
			int			lo = first < 0 ? -first : 0;	/* taps before the clip */
			int			hi = first + k > len ? first + k - len : 0;	/* taps after it */

			if (lo > 0)
				memset(row, 0, sizeof(float) * (size_t) lo * cin);
			if (k - lo - hi > 0)
				memcpy(row + (size_t) lo * cin, x + (size_t) (start + first + lo) * cin,
					   sizeof(float) * (size_t) (k - lo - hi) * cin);
			if (hi > 0)
				memset(row + (size_t) (k - hi) * cin, 0, sizeof(float) * (size_t) hi * cin);
		}
	}
}

void
ser_col2im_add(const SerSeqs *seqs, const float *dcol, int cin, int k, float *dx)
{
	int			pad = k / 2;
	size_t		width = (size_t) k * cin;

	for (int s = 0; s < seqs->n_seq; s++)
	{
		int			start = seqs->offsets[s];
		int			len = seqs->offsets[s + 1] - start;

		for (int t = 0; t < len; t++)
		{
			const float *row = dcol + (size_t) (start + t) * width;

			for (int j = 0; j < k; j++)
			{
				int			src = t - pad + j;
				float	   *d;
				const float *g;

				if (src < 0 || src >= len)
					continue;
				d = dx + (size_t) (start + src) * cin;
				g = row + (size_t) j * cin;
				for (int c = 0; c < cin; c++)
					d[c] += g[c];
			}
		}
	}
}

void
ser_conv1d_forward(const SerSeqs *seqs, const float *x, int cin, const float *w,
				   const float *b, int cout, int k, float *y, int ldy, float *col)
{
	int			n = seqs->offsets[seqs->n_seq];

	if (k == 1)
	{
		ser_dense_forward(x, cin, n, cin, w, b, cout, y, ldy);
		return;
	}
	ser_im2col(seqs, x, cin, k, col);
	ser_dense_forward(col, k * cin, n, k * cin, w, b, cout, y, ldy);
}

void
ser_conv1d_backward(const SerSeqs *seqs, const float *x, int cin, const float *w, int cout,
					int k, const float *dy, int ldy, float *dw, float *db, float *dx,
					float *col)
{
	int			n = seqs->offsets[seqs->n_seq];
	int			width = k * cin;

	if (k == 1)
	{
		ser_dense_backward(x, cin, n, cin, w, cout, dy, ldy, dw, db, dx, cin);
		return;
	}
	ser_im2col(seqs, x, cin, k, col);
	ser_dense_backward(col, width, n, width, w, cout, dy, ldy, dw, db, NULL, 0);
	if (dx != NULL)
	{
		/* the columns are no longer needed: reuse them for their gradient */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, width, cout,
					1.0f, dy, ldy, w, width, 0.0f, col, width);
		ser_col2im_add(seqs, col, cin, k, dx);
	}
}

/* ---- batch normalisation ---- */

void
ser_bn_forward_train(const float *x, int n, int c, int ld, const float *gamma,
					 const float *beta, float *xhat, float *istd, float *y,
					 float *running_mean, float *running_var)
{
	for (int ch = 0; ch < c; ch++)
	{
		double		sum = 0.0;
		double		sq = 0.0;
		double		mean;
		double		var;
		float		fmean;
		float		inv;

		for (int i = 0; i < n; i++)
			sum += x[(size_t) i * ld + ch];
		mean = sum / n;
		for (int i = 0; i < n; i++)
		{
			double		d = x[(size_t) i * ld + ch] - mean;

			sq += d * d;
		}
		var = sq / n;
		fmean = (float) mean;
		inv = (float) (1.0 / sqrt(var + SER_BN_EPS));
		istd[ch] = inv;
		for (int i = 0; i < n; i++)
		{
			size_t		at = (size_t) i * ld + ch;
			float		h = (x[at] - fmean) * inv;

			xhat[at] = h;
			y[at] = gamma[ch] * h + beta[ch];
		}
		if (running_mean != NULL)
		{
			double		unbiased = n > 1 ? sq / (n - 1) : var;

			running_mean[ch] = (1.0f - SER_BN_MOMENTUM) * running_mean[ch] + SER_BN_MOMENTUM * fmean;
			running_var[ch] = (1.0f - SER_BN_MOMENTUM) * running_var[ch] + SER_BN_MOMENTUM * (float) unbiased;
		}
	}
}

void
ser_bn_forward_eval(const float *x, int n, int c, int ld, const float *gamma,
					const float *beta, const float *running_mean,
					const float *running_var, float *y)
{
	for (int ch = 0; ch < c; ch++)
	{
		float		scale = gamma[ch] / sqrtf(running_var[ch] + SER_BN_EPS);
		float		shift = beta[ch] - running_mean[ch] * scale;

		for (int i = 0; i < n; i++)
		{
			size_t		at = (size_t) i * ld + ch;

			y[at] = x[at] * scale + shift;
		}
	}
}

void
ser_bn_backward(const float *dy, const float *xhat, const float *istd, int n, int c,
				int ld, const float *gamma, float *dgamma, float *dbeta, float *dx)
{
	for (int ch = 0; ch < c; ch++)
	{
		double		sum_dy = 0.0;
		double		sum_dy_xhat = 0.0;
		float		k1;
		float		mean_dy;
		float		mean_dy_xhat;

		for (int i = 0; i < n; i++)
		{
			size_t		at = (size_t) i * ld + ch;

			sum_dy += dy[at];
			sum_dy_xhat += (double) dy[at] * xhat[at];
		}
		dgamma[ch] += (float) sum_dy_xhat;
		dbeta[ch] += (float) sum_dy;
		k1 = gamma[ch] * istd[ch];
		mean_dy = (float) (sum_dy / n);
		mean_dy_xhat = (float) (sum_dy_xhat / n);
		for (int i = 0; i < n; i++)
		{
			size_t		at = (size_t) i * ld + ch;

			dx[at] += k1 * (dy[at] - mean_dy - xhat[at] * mean_dy_xhat);
		}
	}
}

/* ---- ReLU ---- */

/*
 * Done on the bit patterns: the sign bit, smeared over the word, masks the
 * value.  The obvious "x > 0 ? x : 0" compiles to a branch here, and with
 * activations of random sign that branch mispredicts half the time — it made
 * ReLU cost as much as all the convolutions together.  A float's sign bit
 * decides "> 0" exactly as the comparison does for every non-NaN value.
 */
void
ser_relu_inplace(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	u;

		memcpy(&u, &x[i], sizeof(u));
		u &= ~(uint32_t) ((int32_t) u >> 31);
		memcpy(&x[i], &u, sizeof(u));
	}
}

void
ser_relu_backward(const float *y, float *dy, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	yu;
		uint32_t	du;

		memcpy(&yu, &y[i], sizeof(yu));
		memcpy(&du, &dy[i], sizeof(du));
		/* y > 0 (as a signed integer: sign clear and not +0) keeps the gradient */
		du &= (uint32_t) 0 - (uint32_t) ((int32_t) yu > 0);
		memcpy(&dy[i], &du, sizeof(du));
	}
}

/* ---- squeeze-and-excitation ---- */

static inline float
sigmoidf(float v)
{
	return 1.0f / (1.0f + expf(-v));
}

/* Four floats (and their bits) for the loops the compiler does not vectorise itself. */
typedef float Vec4 __attribute__((vector_size(16)));
typedef int32_t Vec4i __attribute__((vector_size(16)));

/* Channels up to which ser_se_forward sums a clip's rows into a local array. */
#define SE_ROW_CHANNELS 256

static inline void
channel_sums_add(double *restrict sum, const float *restrict row, int c)
{
	for (int ch = 0; ch < c; ch++)
		sum[ch] += row[ch];
}

/* y[t][ch] = x[t][ch] * g[ch]; restrict lets it go four at a time. */
static void
scale_rows(const float *restrict x, const float *restrict g, int len, int c, float *restrict y)
{
	for (int t = 0; t < len; t++)
		for (int ch = 0; ch < c; ch++)
			y[(size_t) t * c + ch] = x[(size_t) t * c + ch] * g[ch];
}

/*
 * u = tanh(u) through expf, 1 - 2 / (exp(2 u) + 1): glibc's tanhf goes
 * through expm1f and cost a tenth of the whole inference pass.  The clamp
 * keeps expf finite; beyond |x| = 15 tanh is 1 in float anyway.  Absolute
 * error stays below 1e-7 (the cancellation near 0 is absolute, not
 * relative, and the backward pass uses 1 - u^2, which does not care).
 *
 * Three passes, so that only expf is called value by value: the clamp and
 * doubling, and the division, go four at a time (done per value around the
 * call, they went one by one).  Each value sees the same operations in the
 * same order; a NaN stays NaN through the clamp, as before.
 */
static void
tanh_inplace(float *restrict u, size_t n)
{
	const Vec4	hi = {15.0f, 15.0f, 15.0f, 15.0f};
	const Vec4	lo = -hi;
	Vec4i		hi_bits,
				lo_bits;
	size_t		i;

	memcpy(&hi_bits, &hi, sizeof(hi_bits));
	memcpy(&lo_bits, &lo, sizeof(lo_bits));
	/* the compiler does not vectorise the clamp's selections by itself */
	for (i = 0; i + 4 <= n; i += 4)
	{
		Vec4		v;
		Vec4i		bits,
					above,
					below;

		memcpy(&v, u + i, sizeof(v));
		above = v > hi;
		below = v < lo;
		memcpy(&bits, &v, sizeof(bits));
		bits = (above & hi_bits) | (below & lo_bits) | (~(above | below) & bits);
		memcpy(&v, &bits, sizeof(v));
		v = v + v;				/* 2 c, exactly */
		memcpy(u + i, &v, sizeof(v));
	}
	for (; i < n; i++)
	{
		float		c = u[i];

		c = c > 15.0f ? 15.0f : (c < -15.0f ? -15.0f : c);
		u[i] = 2.0f * c;
	}
	for (i = 0; i < n; i++)
		u[i] = expf(u[i]);
	for (i = 0; i < n; i++)
		u[i] = 1.0f - 2.0f / (u[i] + 1.0f);
}

void
ser_se_forward(const SerSeqs *seqs, const float *x, int c, int r, const float *w1,
			   const float *b1, const float *w2, const float *b2, float *s, float *q,
			   float *g, float *y)
{
	int			nb = seqs->n_seq;

	for (int b = 0; b < nb; b++)
	{
		int			start = seqs->offsets[b];
		int			len = seqs->offsets[b + 1] - start;

		if (c <= SE_ROW_CHANNELS)
		{
			/*
			 * Frame by frame into one double per channel: each channel's
			 * sum is the same additions in the same order as down its
			 * column, but the rows are read as they lie and added two
			 * channels at a time.
			 */
			double		sum[SE_ROW_CHANNELS];

			for (int ch = 0; ch < c; ch++)
				sum[ch] = 0.0;
			for (int t = 0; t < len; t++)
				channel_sums_add(sum, x + (size_t) (start + t) * c, c);
			for (int ch = 0; ch < c; ch++)
				s[(size_t) b * c + ch] = (float) (sum[ch] / len);
			continue;
		}
		for (int ch = 0; ch < c; ch++)
		{
			double		sum = 0.0;

			for (int t = 0; t < len; t++)
				sum += x[(size_t) (start + t) * c + ch];
			s[(size_t) b * c + ch] = (float) (sum / len);
		}
	}
	ser_dense_forward(s, c, nb, c, w1, b1, r, q, r);
	ser_relu_inplace(q, (size_t) nb * r);
	ser_dense_forward(q, r, nb, r, w2, b2, c, g, c);
	for (size_t i = 0; i < (size_t) nb * c; i++)
		g[i] = sigmoidf(g[i]);
	for (int b = 0; b < nb; b++)
	{
		int			start = seqs->offsets[b];

		scale_rows(x + (size_t) start * c, g + (size_t) b * c, seqs->offsets[b + 1] - start, c,
				   y + (size_t) start * c);
	}
}

void
ser_se_backward(const SerSeqs *seqs, const float *x, int c, int r, const float *w1,
				const float *w2, const float *s, const float *q, const float *g,
				const float *dy, float *dx, float *dw1, float *db1, float *dw2,
				float *db2, float *ds_scratch, float *dq_scratch, float *dg_scratch)
{
	int			nb = seqs->n_seq;

	/* gradient of the gates, through the sigmoid */
	for (int b = 0; b < nb; b++)
	{
		int			start = seqs->offsets[b];
		int			end = seqs->offsets[b + 1];

		for (int ch = 0; ch < c; ch++)
		{
			double		sum = 0.0;
			float		gv = g[(size_t) b * c + ch];

			for (int t = start; t < end; t++)
				sum += (double) dy[(size_t) t * c + ch] * x[(size_t) t * c + ch];
			dg_scratch[(size_t) b * c + ch] = (float) sum * gv * (1.0f - gv);
		}
	}
	memset(dq_scratch, 0, sizeof(float) * (size_t) nb * r);
	ser_dense_backward(q, r, nb, r, w2, c, dg_scratch, c, dw2, db2, dq_scratch, r);
	ser_relu_backward(q, dq_scratch, (size_t) nb * r);
	memset(ds_scratch, 0, sizeof(float) * (size_t) nb * c);
	ser_dense_backward(s, c, nb, c, w1, r, dq_scratch, r, dw1, db1, ds_scratch, c);

	/* direct path through the scaling and the path through the mean */
	for (int b = 0; b < nb; b++)
	{
		int			start = seqs->offsets[b];
		int			end = seqs->offsets[b + 1];
		float		inv_len = 1.0f / (float) (end - start);
		const float *gb = g + (size_t) b * c;
		const float *dsb = ds_scratch + (size_t) b * c;

		for (int t = start; t < end; t++)
			for (int ch = 0; ch < c; ch++)
				dx[(size_t) t * c + ch] += dy[(size_t) t * c + ch] * gb[ch] + dsb[ch] * inv_len;
	}
}

/* ---- attention pooling ---- */

void
ser_attpool_forward(const SerSeqs *seqs, const float *h, int c, int a, const float *wa,
					const float *ba, const float *v, float *u, float *alpha, float *p)
{
	int			n = seqs->offsets[seqs->n_seq];

	ser_dense_forward(h, c, n, c, wa, ba, a, u, a);
	tanh_inplace(u, (size_t) n * a);
	/* scores, then a softmax per clip */
	cblas_sgemv(CblasRowMajor, CblasNoTrans, n, a, 1.0f, u, a, v, 1, 0.0f, alpha, 1);
	for (int b = 0; b < seqs->n_seq; b++)
	{
		int			start = seqs->offsets[b];
		int			end = seqs->offsets[b + 1];
		float		peak = alpha[start];
		double		total = 0.0;

		for (int t = start + 1; t < end; t++)
			if (alpha[t] > peak)
				peak = alpha[t];
		for (int t = start; t < end; t++)
		{
			alpha[t] = expf(alpha[t] - peak);
			total += alpha[t];
		}
		for (int t = start; t < end; t++)
			alpha[t] = (float) (alpha[t] / total);
		/* p[b] = alpha^T h over the clip */
		cblas_sgemv(CblasRowMajor, CblasTrans, end - start, c, 1.0f, h + (size_t) start * c, c,
					alpha + start, 1, 0.0f, p + (size_t) b * c, 1);
	}
}

void
ser_attpool_backward(const SerSeqs *seqs, const float *h, int c, int a, const float *wa,
					 const float *v, const float *u, const float *alpha, const float *dp,
					 float *dh, float *dwa, float *dba, float *dv, float *du_scratch)
{
	int			n = seqs->offsets[seqs->n_seq];

	for (int b = 0; b < seqs->n_seq; b++)
	{
		int			start = seqs->offsets[b];
		int			end = seqs->offsets[b + 1];
		const float *dpb = dp + (size_t) b * c;
		double		weighted = 0.0;

		/* d alpha_t = h_t . dp; de_t = alpha_t (d alpha_t - sum_s alpha_s d alpha_s) */
		for (int t = start; t < end; t++)
		{
			double		dot = 0.0;
			const float *ht = h + (size_t) t * c;
			float	   *dht = dh + (size_t) t * c;

			for (int ch = 0; ch < c; ch++)
			{
				dot += (double) ht[ch] * dpb[ch];
				dht[ch] += alpha[t] * dpb[ch];
			}
			du_scratch[(size_t) t * a] = (float) dot;	/* d alpha, parked in column 0 */
			weighted += alpha[t] * dot;
		}
		for (int t = start; t < end; t++)
		{
			float		de = alpha[t] * (du_scratch[(size_t) t * a] - (float) weighted);
			const float *ut = u + (size_t) t * a;
			float	   *dut = du_scratch + (size_t) t * a;

			for (int j = 0; j < a; j++)
			{
				dv[j] += de * ut[j];
				/* through tanh: d pre = d u (1 - u^2) */
				dut[j] = de * v[j] * (1.0f - ut[j] * ut[j]);
			}
		}
	}
	ser_dense_backward(h, c, n, c, wa, a, du_scratch, a, dwa, dba, dh, c);
}

/* ---- dropout ---- */

void
ser_dropout_forward(const float *x, float *y, float *mask, size_t n, float rate, SerRng *rng)
{
	float		keep_scale = rate > 0.0f ? 1.0f / (1.0f - rate) : 1.0f;

	for (size_t i = 0; i < n; i++)
	{
		mask[i] = (rate > 0.0f && ser_rng_uniform(rng) < rate) ? 0.0f : keep_scale;
		y[i] = x[i] * mask[i];
	}
}

void
ser_dropout_backward(const float *dy, const float *mask, float *dx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dx[i] += dy[i] * mask[i];
}

/* ---- softmax and cross-entropy ---- */

void
ser_softmax_row(const float *logits, int k, float *probs)
{
	float		peak = logits[0];
	double		total = 0.0;

	for (int j = 1; j < k; j++)
		if (logits[j] > peak)
			peak = logits[j];
	for (int j = 0; j < k; j++)
	{
		probs[j] = expf(logits[j] - peak);
		total += probs[j];
	}
	for (int j = 0; j < k; j++)
		probs[j] = (float) (probs[j] / total);
}

double
ser_xent_row(const float *logits, int k, int label, const float *target)
{
	float		peak = logits[0];
	double		log_total,
				loss = 0.0,
				total = 0.0;

	for (int j = 1; j < k; j++)
		if (logits[j] > peak)
			peak = logits[j];
	for (int j = 0; j < k; j++)
		total += exp((double) logits[j] - peak);
	log_total = log(total);
	if (target == NULL)
		return log_total - ((double) logits[label] - peak);
	/* -log p[j] = log_total - (logit[j] - peak); classes of zero weight add nothing */
	for (int j = 0; j < k; j++)
		if (target[j] != 0.0f)
			loss += target[j] * (log_total - ((double) logits[j] - peak));
	return loss;
}

double
ser_softmax_xent(const float *logits, int n, int k, const int *labels, const float *targets,
				 const float *class_weights, float *probs, float *dlogits)
{
	double		loss = 0.0;
	double		weight_sum = 0.0;

	for (int i = 0; i < n; i++)
	{
		const float *li = logits + (size_t) i * k;
		float	   *pi = probs + (size_t) i * k;
		float		w = class_weights ? class_weights[labels[i]] : 1.0f;
		float		peak = li[0];
		double		total = 0.0;

		loss += w * ser_xent_row(li, k, labels[i], targets ? targets + (size_t) i * k : NULL);
		weight_sum += w;
		/* in double, unlike ser_softmax_row: the gradient of every trained model so far */
		for (int j = 1; j < k; j++)
			if (li[j] > peak)
				peak = li[j];
		for (int j = 0; j < k; j++)
			total += exp((double) li[j] - peak);
		for (int j = 0; j < k; j++)
			pi[j] = (float) (exp((double) li[j] - peak) / total);
	}
	if (dlogits != NULL)
		for (int i = 0; i < n; i++)
		{
			float		w = class_weights ? class_weights[labels[i]] : 1.0f;
			float		scale = (float) (w / weight_sum);

			for (int j = 0; j < k; j++)
			{
				float		t = targets ? targets[(size_t) i * k + j] : (j == labels[i] ? 1.0f : 0.0f);

				dlogits[(size_t) i * k + j] = scale * (probs[(size_t) i * k + j] - t);
			}
		}
	return loss / weight_sum;
}
