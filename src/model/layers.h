/*
 * layers.h — the building blocks of the network, forward and backward.
 *
 * Data layout.  A batch of clips of different lengths is *packed*: the
 * frames of all clips are stacked row after row into one [N][C] row-major
 * matrix (N = sum of the clip lengths), and SerSeqs holds where each clip
 * starts.  Nothing is padded to a common length, so every operation over time
 * (convolution edges, squeeze-and-excitation means, attention softmax) sees
 * exactly the real frames of its clip: this is the masking the architecture
 * needs, done by construction instead of by a mask that every layer would
 * have to honour.  It also lets one BLAS call cover the whole batch (a
 * convolution is im2col per clip + one sgemm over all N rows).
 *
 * Conventions.  Weights are row-major [out][in]; a convolution's weight is
 * [cout][k * cin] with tap j of input channel c at column j * cin + c, taps
 * centred (zero padding of k / 2 frames at both ends of each clip, k odd).
 * Backward functions *accumulate* (+=) into parameter gradients and into the
 * input gradient, so a tensor that feeds two consumers (a residual skip)
 * simply receives both contributions; callers zero them first.  No function
 * here allocates: the caller passes every buffer, so the network decides
 * once what lives how long.
 */
#ifndef SER_MODEL_LAYERS_H
#define SER_MODEL_LAYERS_H

#include "common/runtime.h"
#include "model/rng.h"

typedef struct SerSeqs
{
	int			n_seq;
	const int  *offsets;		/* n_seq + 1 row indexes: clip i is rows [offsets[i], offsets[i+1]) */
} SerSeqs;

#define SER_BN_EPS 1e-5f
#define SER_BN_MOMENTUM 0.1f

/* Make OpenBLAS single-threaded, once per process (our processes are). */
void		ser_blas_init(void);

/* y[n][out] (row stride ldy) = x[n][in] (stride ldx) W^T + b (b may be NULL). */
void		ser_dense_forward(const float *x, int ldx, int n, int in, const float *w, const float *b,
							  int out, float *y, int ldy);
/* dw += dy^T x, db += column sums of dy (when db != NULL), dx += dy W (when dx != NULL). */
void		ser_dense_backward(const float *x, int ldx, int n, int in, const float *w, int out,
							   const float *dy, int ldy, float *dw, float *db, float *dx, int lddx);

/* Columns for a convolution: col[N][k * cin], zero outside each clip. */
void		ser_im2col(const SerSeqs *seqs, const float *x, int cin, int k, float *col);
/* The adjoint of ser_im2col: dx[N][cin] += scatter of dcol. */
void		ser_col2im_add(const SerSeqs *seqs, const float *dcol, int cin, int k, float *dx);

/*
 * 1-D convolution over time within each clip: y[N][cout] (stride ldy) =
 * conv(x[N][cin]) + b.  col is scratch of N * k * cin floats (unused when
 * k == 1).
 */
void		ser_conv1d_forward(const SerSeqs *seqs, const float *x, int cin, const float *w,
							   const float *b, int cout, int k, float *y, int ldy, float *col);
/* Gradients of the above; col is scratch of N * k * cin floats (recomputed, not cached). */
void		ser_conv1d_backward(const SerSeqs *seqs, const float *x, int cin, const float *w, int cout,
								int k, const float *dy, int ldy, float *dw, float *db, float *dx,
								float *col);

/*
 * Batch normalisation over the n rows of x[n][c] (stride ld for x, y and
 * xhat).  Training: batch statistics; xhat and istd are kept for the
 * backward pass; the running statistics move by SER_BN_MOMENTUM (variance
 * unbiased) when running_mean is not NULL.
 */
void		ser_bn_forward_train(const float *x, int n, int c, int ld, const float *gamma,
								 const float *beta, float *xhat, float *istd, float *y,
								 float *running_mean, float *running_var);
void		ser_bn_forward_eval(const float *x, int n, int c, int ld, const float *gamma,
								const float *beta, const float *running_mean,
								const float *running_var, float *y);
void		ser_bn_backward(const float *dy, const float *xhat, const float *istd, int n, int c,
							int ld, const float *gamma, float *dgamma, float *dbeta, float *dx);

/* x = max(x, 0) in place (branch-free: the sign of activations is a coin toss). */
void		ser_relu_inplace(float *x, size_t n);
/* dy := dy where y > 0, else 0 (in place on the incoming gradient). */
void		ser_relu_backward(const float *y, float *dy, size_t n);

/*
 * Squeeze-and-excitation over each clip: s = mean over the clip's frames of
 * x, q = relu(W1 s + b1) [r], g = sigmoid(W2 q + b2) [c], y = x * g per
 * channel.  s[B][c], q[B][r], g[B][c] are kept for the backward pass.
 */
void		ser_se_forward(const SerSeqs *seqs, const float *x, int c, int r, const float *w1,
						   const float *b1, const float *w2, const float *b2, float *s, float *q,
						   float *g, float *y);
/* ds_scratch is B * c floats, dq_scratch B * r, dg_scratch B * c. */
void		ser_se_backward(const SerSeqs *seqs, const float *x, int c, int r, const float *w1,
							const float *w2, const float *s, const float *q, const float *g,
							const float *dy, float *dx, float *dw1, float *db1, float *dw2,
							float *db2, float *ds_scratch, float *dq_scratch, float *dg_scratch);

/*
 * Attention pooling over each clip: u = tanh(h Wa^T + ba) [N][a], score
 * e = u v, alpha = softmax of e over the clip's frames, p[b] = sum alpha h.
 * u[N][a] and alpha[N] are kept for the backward pass.
 */
void		ser_attpool_forward(const SerSeqs *seqs, const float *h, int c, int a, const float *wa,
								const float *ba, const float *v, float *u, float *alpha, float *p);
/* du_scratch is N * a floats. */
void		ser_attpool_backward(const SerSeqs *seqs, const float *h, int c, int a, const float *wa,
								 const float *v, const float *u, const float *alpha, const float *dp,
								 float *dh, float *dwa, float *dba, float *dv, float *du_scratch);

/*
 * Inverted dropout: mask[i] is 0 with probability rate, else 1 / (1 - rate);
 * y = x * mask.  rate 0 gives an all-ones mask without drawing.
 */
void		ser_dropout_forward(const float *x, float *y, float *mask, size_t n, float rate, SerRng *rng);
void		ser_dropout_backward(const float *dy, const float *mask, float *dx, size_t n);

/*
 * Cross-entropy of one row of k logits against its target: the class label
 * (-log p[label]) or, when target is not NULL, the distribution target[k]
 * (-sum_j target[j] log p[j], for knowledge distillation), in the
 * log-sum-exp form that stays finite when a probability underflows.
 */
double		ser_xent_row(const float *logits, int k, int label, const float *target);

/*
 * Softmax over k classes per row and the class-weighted mean cross-entropy
 * sum_b w[y_b] * xent_b / sum_b w[y_b] (weights NULL = all 1), each row's
 * against its label or, with targets (may be NULL), against the
 * distribution targets[b][k]; the weight stays that of the row's label.
 * probs[n][k] is filled; dlogits (may be NULL) receives the gradient,
 * w (p - t) / sum w.  Returns the loss.
 */
double		ser_softmax_xent(const float *logits, int n, int k, const int *labels, const float *targets,
							 const float *class_weights, float *probs, float *dlogits);
/* Softmax of one row, numerically stable. */
void		ser_softmax_row(const float *logits, int k, float *probs);

#endif							/* SER_MODEL_LAYERS_H */
