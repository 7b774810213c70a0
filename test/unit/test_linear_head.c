/*
 * test_linear_head.c — the regularised multinomial logistic regression:
 * the fit satisfies the optimality condition of its objective (gradient
 * recomputed here independently), learns separable classes, does not
 * depend on the features' units, is deterministic, never predicts a class
 * it did not see, ignores a constant feature, and refuses bad input
 * without leaking.
 */
#include "unit.h"

#include "model/linear_head.h"

#define N_ROWS 300
#define N_FEATURES 5
#define N_CLASSES 3

static unsigned lcg_state = 12345u;

static double
uniform(void)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return ((lcg_state >> 8) & 0xFFFFFF) / 16777216.0;
}

/* Three blobs along features 0 and 1, noise elsewhere; class 2 rarer (unbalanced on purpose). */
static void
make_blobs(float *x, int *y, int n, double spread)
{
	for (int i = 0; i < n; i++)
	{
		int			c = i % 5 == 4 ? 2 : i % 2;

		y[i] = c;
		for (int j = 0; j < N_FEATURES; j++)
			x[i * N_FEATURES + j] = (float) (spread * (uniform() - 0.5) * 2.0);
		x[i * N_FEATURES + 0] += (float) (c == 0 ? 2.0 : c == 1 ? -2.0 : 0.0);
		x[i * N_FEATURES + 1] += (float) (c == 2 ? 3.0 : 0.0);
	}
}

/* Largest component of the objective's gradient at the fitted head, computed from its definition. */
static double
largest_gradient(const SerLinearHead *h, const float *x, const int *y, int n, double l2)
{
	double		gw[N_CLASSES][N_FEATURES] = {{0}},
				gb[N_CLASSES] = {0},
				count[N_CLASSES] = {0},
				total_weight = 0.0,
				largest = 0.0;

	for (int i = 0; i < n; i++)
		count[y[i]] += 1.0;
	for (int i = 0; i < n; i++)
		total_weight += 1.0 / (N_CLASSES * count[y[i]]);
	for (int i = 0; i < n; i++)
	{
		float		p[N_CLASSES];
		double		weight = 1.0 / (N_CLASSES * count[y[i]]) / total_weight;

		ser_linear_head_predict(h, x + i * N_FEATURES, p);
		for (int k = 0; k < N_CLASSES; k++)
		{
			double		r = weight * (p[k] - (k == y[i]));

			gb[k] += r;
			for (int j = 0; j < N_FEATURES; j++)
				gw[k][j] += r * ((x[i * N_FEATURES + j] - h->mean[j]) * h->inv_scale[j]);
		}
	}
	for (int k = 0; k < N_CLASSES; k++)
	{
		largest = fmax(largest, fabs(gb[k]));
		for (int j = 0; j < N_FEATURES; j++)
			largest = fmax(largest, fabs(gw[k][j] + l2 * h->weights[k * N_FEATURES + j]));
	}
	return largest;
}

static int
argmax(const float *p, int n)
{
	int			best = 0;

	for (int k = 1; k < n; k++)
		if (p[k] > p[best])
			best = k;
	return best;
}

int
main(void)
{
	static float x[N_ROWS * N_FEATURES],
				scaled[N_ROWS * N_FEATURES],
				test_x[N_ROWS * N_FEATURES];
	static int	y[N_ROWS],
				test_y[N_ROWS];
	SerLinearHeadOptions o;
	SerLinearHead h,
				again,
				rescaled;
	SerError	err;
	int			correct = 0;

	ser_set_allocator(counting_alloc, counting_free);
	make_blobs(x, y, N_ROWS, 1.5);
	make_blobs(test_x, test_y, N_ROWS, 1.5);
	ser_linear_head_options_default(&o);
	o.l2 = 0.05;
	o.tolerance = 1e-9;

	UNIT_OK(ser_linear_head_fit(x, y, NULL, N_ROWS, N_FEATURES, N_CLASSES, &o, &h, &err) == SER_OK, "fit");
	UNIT_OK(largest_gradient(&h, x, y, N_ROWS, o.l2) < 1e-6,
			"the fit is a stationary point of the balanced, L2-penalised cross-entropy (gradient %.2g)",
			largest_gradient(&h, x, y, N_ROWS, o.l2));
	for (int i = 0; i < N_ROWS; i++)
	{
		float		p[N_CLASSES];

		ser_linear_head_predict(&h, test_x + i * N_FEATURES, p);
		correct += argmax(p, N_CLASSES) == test_y[i];
		if (i == 0)
			UNIT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-6, "probabilities sum to 1");
	}
	UNIT_OK(correct > 0.9 * N_ROWS, "separable blobs: %d of %d new rows right", correct, N_ROWS);

	UNIT_OK(ser_linear_head_fit(x, y, NULL, N_ROWS, N_FEATURES, N_CLASSES, &o, &again, &err) == SER_OK
			&& memcmp(h.weights, again.weights, sizeof(float) * N_CLASSES * N_FEATURES) == 0
			&& memcmp(h.bias, again.bias, sizeof(float) * N_CLASSES) == 0, "two fits give the same bits");
	ser_linear_head_free(&again);

	/* units: feature 0 in thousandths and shifted; standardisation undoes both */
	memcpy(scaled, x, sizeof(x));
	for (int i = 0; i < N_ROWS; i++)
		scaled[i * N_FEATURES] = scaled[i * N_FEATURES] * 1000.0f + 50.0f;
	UNIT_OK(ser_linear_head_fit(scaled, y, NULL, N_ROWS, N_FEATURES, N_CLASSES, &o, &rescaled, &err) == SER_OK,
			"fit on rescaled features");
	{
		double		largest = 0.0;

		for (int i = 0; i < N_ROWS; i++)
		{
			float		p[N_CLASSES],
						q[N_CLASSES];

			ser_linear_head_predict(&h, x + i * N_FEATURES, p);
			ser_linear_head_predict(&rescaled, scaled + i * N_FEATURES, q);
			for (int k = 0; k < N_CLASSES; k++)
				largest = fmax(largest, fabs(p[k] - q[k]));
		}
		UNIT_OK(largest < 1e-3, "the features' units do not matter (largest difference %.2g)", largest);
	}
	ser_linear_head_free(&rescaled);
	ser_linear_head_free(&h);

	/* a constant feature and a class that never occurs among the rows used */
	{
		int			rows[N_ROWS];
		int			n = 0;
		int			predicted_absent = 0;

		for (int i = 0; i < N_ROWS; i++)
		{
			scaled[i * N_FEATURES + 4] = 7.0f;
			if (y[i] != 2)
				rows[n++] = i;
		}
		UNIT_OK(ser_linear_head_fit(scaled, y, rows, n, N_FEATURES, N_CLASSES, &o, &h, &err) == SER_OK,
				"fit on a subset of rows that lacks class 2");
		UNIT_OK(h.inv_scale[4] == 1.0f && h.weights[4] == 0.0f && h.weights[N_FEATURES + 4] == 0.0f,
				"a constant feature gets scale 1 and no weight");
		for (int i = 0; i < N_ROWS; i++)
		{
			float		p[N_CLASSES];

			ser_linear_head_predict(&h, scaled + i * N_FEATURES, p);
			predicted_absent += argmax(p, N_CLASSES) == 2;
		}
		UNIT_OK(predicted_absent == 0, "a class absent from training is never predicted");
		ser_linear_head_free(&h);
	}

	/* errors */
	y[3] = N_CLASSES;
	UNIT_OK(ser_linear_head_fit(x, y, NULL, N_ROWS, N_FEATURES, N_CLASSES, &o, &h, &err) == SER_EINVAL
			&& strstr(err.message, "label") != NULL, "a label out of range is refused: %s", err.message);
	y[3] = 0;
	o.l2 = 0.0;
	UNIT_OK(ser_linear_head_fit(x, y, NULL, N_ROWS, N_FEATURES, N_CLASSES, &o, &h, &err) == SER_EINVAL,
			"l2 = 0 is refused (the objective would not be strictly convex)");
	UNIT_OK(h.weights == NULL && h.mean == NULL, "a failed fit leaves the head empty");
	UNIT_OK(outstanding == 0, "no core allocation outlives its head (%ld outstanding)", outstanding);
	return unit_done();
}
