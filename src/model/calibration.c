/*
 * calibration.c — temperature scaling and the expected calibration error
 * (see calibration.h).
 */
#include "model/calibration.h"

#include <float.h>
#include <math.h>

#include "model/metrics.h"

/* Probabilities are clamped here before the logarithm: a 0 stays "very unlikely", not -inf. */
#define PROB_FLOOR 1e-12

static double
safe_log(float p)
{
	return log(p > PROB_FLOOR ? (double) p : PROB_FLOOR);
}

/* -log softmax(beta * log p)[label] for one row. */
static double
row_nll(const float *p, int label, int n_classes, double beta)
{
	double		top = -DBL_MAX,
				sum = 0.0;

	for (int k = 0; k < n_classes; k++)
		top = fmax(top, beta * safe_log(p[k]));
	for (int k = 0; k < n_classes; k++)
		sum += exp(beta * safe_log(p[k]) - top);
	return -(beta * safe_log(p[label]) - top - log(sum));
}

double
ser_calibration_nll(const float *probs, const int *labels, int n, int n_classes, double temperature)
{
	double		total = 0.0;

	for (int i = 0; i < n; i++)
		total += row_nll(probs + (size_t) i * n_classes, labels[i], n_classes, 1.0 / temperature);
	return n > 0 ? total / n : 0.0;
}

SerStatus
ser_calibration_fit_temperature(const float *probs, const int *labels, int n, int n_classes,
								double *temperature, SerError *err)
{
	const double golden = (sqrt(5.0) - 1.0) / 2.0;
	double		lo = log(1.0 / 50.0),	/* search log(beta): the bracket is symmetric around T = 1 */
				hi = log(50.0);
	double		a,
				b,
				fa,
				fb;

	*temperature = 1.0;
	if (n < 1 || n_classes < 2 || n_classes > SER_CALIBRATION_MAX_CLASSES)
		return ser_error(err, SER_EINVAL, "calibration needs at least one prediction of 2 to %d classes",
						 SER_CALIBRATION_MAX_CLASSES);
	for (int i = 0; i < n; i++)
	{
		if (labels[i] < 0 || labels[i] >= n_classes)
			return ser_error(err, SER_EINVAL, "class %d of prediction %d is out of range (0..%d)", labels[i], i,
							 n_classes - 1);
		for (int k = 0; k < n_classes; k++)
		{
			float		p = probs[(size_t) i * n_classes + k];

			if (!isfinite(p) || p < 0.0f)
				return ser_error(err, SER_EINVAL, "probability %d of prediction %d is not a finite value >= 0", k, i);
		}
	}
	a = hi - golden * (hi - lo);
	b = lo + golden * (hi - lo);
	fa = ser_calibration_nll(probs, labels, n, n_classes, exp(-a));
	fb = ser_calibration_nll(probs, labels, n, n_classes, exp(-b));
	while (hi - lo > 1e-9)
	{
		if (fa <= fb)
		{
			hi = b;
			b = a;
			fb = fa;
			a = hi - golden * (hi - lo);
			fa = ser_calibration_nll(probs, labels, n, n_classes, exp(-a));
		}
		else
		{
			lo = a;
			a = b;
			fa = fb;
			b = lo + golden * (hi - lo);
			fb = ser_calibration_nll(probs, labels, n, n_classes, exp(-b));
		}
	}
	*temperature = exp(-(lo + hi) / 2.0);
	return SER_OK;
}

void
ser_calibration_apply(double temperature, const float *probs, int n_classes, float *out)
{
	double		beta = 1.0 / temperature,
				top = -DBL_MAX,
				sum = 0.0;
	double		z[SER_CALIBRATION_MAX_CLASSES];

	if (n_classes > SER_CALIBRATION_MAX_CLASSES)
		n_classes = SER_CALIBRATION_MAX_CLASSES;
	for (int k = 0; k < n_classes; k++)
	{
		z[k] = beta * safe_log(probs[k]);
		top = fmax(top, z[k]);
	}
	for (int k = 0; k < n_classes; k++)
	{
		z[k] = exp(z[k] - top);
		sum += z[k];
	}
	for (int k = 0; k < n_classes; k++)
		out[k] = (float) (z[k] / sum);
}

double
ser_expected_calibration_error(const float *probs, const int *labels, int n, int n_classes, int n_bins)
{
	double		conf_sum[64] = {0},
				right[64] = {0};
	int			count[64] = {0};
	double		ece = 0.0;

	if (n_bins > 64)
		n_bins = 64;
	if (n <= 0 || n_bins < 1)
		return 0.0;
	for (int i = 0; i < n; i++)
	{
		const float *p = probs + (size_t) i * n_classes;
		int			best = ser_argmax(p, n_classes);
		int			bin;

		bin = (int) (p[best] * n_bins);		/* [b/n_bins, (b+1)/n_bins); a confidence of 1 in the last bin */
		if (bin >= n_bins)
			bin = n_bins - 1;
		if (bin < 0)
			bin = 0;
		conf_sum[bin] += p[best];
		right[bin] += best == labels[i];
		count[bin]++;
	}
	for (int b = 0; b < n_bins; b++)
		if (count[b] > 0)
			ece += fabs(right[b] - conf_sum[b]) / n;	/* (|B|/n) |acc - conf| = |right - conf_sum| / n */
	return ece;
}
