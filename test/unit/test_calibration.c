/*
 * test_calibration.c — temperature scaling and the expected calibration
 * error (model/calibration.h): predictions drawn so that their calibration
 * is known (over-confident, honest, timid) give T > 1, T near 1 and T < 1;
 * scaling lowers the ECE and the NLL and never changes the top class; ECE
 * of a hand-made case; errors.
 */
#include "unit.h"

#include "model/calibration.h"

#define K 4
#define N 20000

static unsigned state = 2024;

static double
uniform(void)
{
	state = state * 1664525u + 1013904223u;
	return ((state >> 8) + 0.5) / 16777216.0;
}

/*
 * Rows softmax(z / T_true) with random logits z, and labels drawn from
 * softmax(z): a model whose probabilities are honest after scaling by
 * T_true, so the fit should find about T_true.
 */
static void
draw(double t_true, float *probs, int *labels)
{
	for (int i = 0; i < N; i++)
	{
		double		z[K],
					p[K],
					sum = 0,
					u = uniform(),
					acc = 0;

		for (int k = 0; k < K; k++)
			z[k] = 3.0 * uniform();
		for (int k = 0; k < K; k++)
			sum += (p[k] = exp(z[k]));
		labels[i] = K - 1;
		for (int k = 0; k < K; k++)
		{
			acc += p[k] / sum;
			if (u <= acc)
			{
				labels[i] = k;
				break;
			}
		}
		sum = 0;
		for (int k = 0; k < K; k++)
			sum += (p[k] = exp(z[k] / t_true));
		for (int k = 0; k < K; k++)
			probs[(size_t) i * K + k] = (float) (p[k] / sum);
	}
}

static int
top(const float *p)
{
	int			b = 0;

	for (int k = 1; k < K; k++)
		if (p[k] > p[b])
			b = k;
	return b;
}

static void
case_of(double t_true, const char *what)
{
	float	   *probs = malloc(sizeof(float) * N * K);
	float	   *scaled = malloc(sizeof(float) * N * K);
	int		   *labels = malloc(sizeof(int) * N);
	double		t,
				ece_before,
				ece_after;
	SerError	err;
	int			same_top = 1;

	draw(t_true, probs, labels);
	UNIT_OK(ser_calibration_fit_temperature(probs, labels, N, K, &t, &err) == SER_OK, "%s: fit", what);
	/* softmax(z / t_true) scaled by T is softmax(z / (t_true T)): honest when T = 1 / t_true */
	UNIT_NEAR(t, 1.0 / t_true, 0.06 / t_true, "%s: T = %.3f, expected about %.3f", what, t, 1.0 / t_true);
	for (int i = 0; i < N; i++)
	{
		ser_calibration_apply(t, probs + (size_t) i * K, K, scaled + (size_t) i * K);
		same_top &= top(probs + (size_t) i * K) == top(scaled + (size_t) i * K);
	}
	ece_before = ser_expected_calibration_error(probs, labels, N, K, 10);
	ece_after = ser_expected_calibration_error(scaled, labels, N, K, 10);
	UNIT_OK(same_top, "%s: scaling keeps every top class", what);
	UNIT_OK(ece_after < 0.02, "%s: ECE after scaling %.4f (before %.4f)", what, ece_after, ece_before);
	UNIT_OK(ser_calibration_nll(probs, labels, N, K, t) <= ser_calibration_nll(probs, labels, N, K, 1.0) + 1e-12,
			"%s: NLL %.4f after, %.4f before", what, ser_calibration_nll(probs, labels, N, K, t),
			ser_calibration_nll(probs, labels, N, K, 1.0));
	free(probs);
	free(scaled);
	free(labels);
}

int
main(void)
{
	SerError	err;
	double		t;
	int			labels[4] = {0, 1, 0, 1};
	/* confidences 0.9, 0.9 (bin 9), 0.6, 0.7 (bins 6, 7): right, wrong, right, right */
	float		probs[4 * 2] = {0.9f, 0.1f, 0.9f, 0.1f, 0.6f, 0.4f, 0.3f, 0.7f};
	float		bad[2] = {NAN, 1.0f};
	int			bad_label[1] = {5};

	case_of(0.5, "over-confident (probabilities sharpened twice)");
	case_of(1.0, "honest");
	case_of(2.0, "timid (probabilities flattened twice)");

	/* bin 9: 1 right of 2, confidence 0.9 each: |1 - 1.8| / 4; bin 6: |1 - 0.6| / 4; bin 7: |1 - 0.7| / 4 */
	UNIT_NEAR(ser_expected_calibration_error(probs, labels, 4, 2, 10), (0.8 + 0.4 + 0.3) / 4, 1e-6,
			  "ECE of a hand-made case");
	UNIT_NEAR(ser_expected_calibration_error(probs, labels, 0, 2, 10), 0, 0, "ECE of nothing is 0");

	UNIT_OK(ser_calibration_fit_temperature(probs, labels, 0, 2, &t, &err) == SER_EINVAL,
			"no predictions: %s", err.message);
	UNIT_OK(ser_calibration_fit_temperature(bad, labels, 1, 2, &t, &err) == SER_EINVAL && t == 1.0,
			"a NaN probability: %s", err.message);
	UNIT_OK(ser_calibration_fit_temperature(probs, bad_label, 1, 2, &t, &err) == SER_EINVAL,
			"a class out of range: %s", err.message);
	UNIT_OK(ser_calibration_fit_temperature(probs, labels, 1, 65, &t, &err) == SER_EINVAL,
			"too many classes: %s", err.message);
	{
		float		p[3] = {0.0f, 0.25f, 0.75f},
					q[3];

		ser_calibration_apply(1.0, p, 3, q);
		UNIT_NEAR(q[2], 0.75, 1e-6, "T = 1 leaves probabilities as they are");
		UNIT_OK(q[0] >= 0.0f && q[0] < 1e-6f && isfinite(q[0]), "a zero probability stays tiny and finite");
	}
	return unit_done();
}
