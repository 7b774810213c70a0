/*
 * linear_head.h — a regularised multinomial logistic regression on the
 * utterance vector: the linear classifier a recording heard alone is
 * scored with, cheap to train (seconds) and to apply (one matrix-vector
 * product), so that its regularisation can be chosen by nested
 * cross-validation.
 *
 * Model: z = W s(x) + b, p = softmax(z), where s standardises every feature
 * with the training set's mean and population standard deviation (a
 * constant feature gets scale 1 and so contributes nothing).  Training
 * minimises
 *     sum_i w_{y_i} * -log p_{y_i}(x_i) / sum_i w_{y_i}  +  l2/2 * ||W||^2
 * (the bias is not penalised) with L-BFGS (10 pairs, Armijo backtracking),
 * from W = 0, b = 0; the objective is strictly convex for l2 > 0, so the
 * result does not depend on the starting point, and the run is
 * deterministic.  With balance_classes set, class c is weighted
 * n / (n_classes * n_c): every class counts as much as every other, which is
 * what unweighted average recall (UAR) asks for.
 *
 * Stops when the largest gradient component is below tolerance, when the
 * objective changes by less than 1e-12 relatively, or after max_iterations.
 */
#ifndef SER_MODEL_LINEAR_HEAD_H
#define SER_MODEL_LINEAR_HEAD_H

#include "common/runtime.h"

typedef struct SerLinearHeadOptions
{
	double		l2;				/* penalty on the weights of standardised features, > 0 */
	bool		balance_classes;	/* weight classes inversely to their frequency */
	int			max_iterations; /* L-BFGS iterations, e.g. 500 */
	double		tolerance;		/* on the largest gradient component, e.g. 1e-5 */
} SerLinearHeadOptions;

/* l2 = 1e-2, balanced classes, 500 iterations, tolerance 1e-5. */
void		ser_linear_head_options_default(SerLinearHeadOptions *o);

typedef struct SerLinearHead
{
	int			n_features;
	int			n_classes;
	float	   *mean;			/* [n_features] */
	float	   *inv_scale;		/* [n_features]: 1 / standard deviation (1 for a constant feature) */
	float	   *weights;		/* [n_classes][n_features], on standardised features */
	float	   *bias;			/* [n_classes] */
	int			iterations;		/* L-BFGS iterations the fit took */
} SerLinearHead;

/*
 * Fit on the rows idx[0..n) of x ([rows][n_features], row-major; all rows
 * when idx is NULL) with labels y[row] in 0..n_classes-1.  Every class
 * should occur; an absent class gets a low bias (it is never predicted).
 * On failure *head is empty.
 */
SerStatus	ser_linear_head_fit(const float *x, const int *y, const int *idx, int n, int n_features,
								int n_classes, const SerLinearHeadOptions *options, SerLinearHead *head,
								SerError *err);

/* Class probabilities of one utterance vector x[n_features] into probs[n_classes]. */
void		ser_linear_head_predict(const SerLinearHead *head, const float *x, float *probs);

void		ser_linear_head_free(SerLinearHead *head);

#endif							/* SER_MODEL_LINEAR_HEAD_H */
