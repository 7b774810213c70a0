/*
 * calibration.h — making a model's confidence mean what it says.
 *
 * Temperature scaling (Guo et al., "On Calibration of Modern Neural
 * Networks", 2017): the class probabilities p of a model (for an ensemble,
 * the averaged ones) become softmax(log(p) / T).  One scalar T > 0, fitted
 * by minimising the negative log-likelihood of held-out predictions (in ser:
 * the out-of-fold predictions of cross-validation grouped by speaker, never
 * the recordings a model was trained on); T > 1 softens over-confident
 * probabilities, T < 1 sharpens timid ones.  It never changes which class
 * is most probable, so accuracy and UAR are untouched.
 *
 * The fit: with beta = 1/T the loss is a log-sum-exp of functions linear in
 * beta minus a linear one, hence convex; golden-section search over
 * beta in [1/50, 50] finds its minimum to 1e-9 in a fixed number of steps,
 * deterministically.
 *
 * Expected calibration error (Naeini et al. 2015, as in Guo et al.): the
 * top-class confidences in n_bins equal-width bins over [0, 1]; ECE is the
 * mean over recordings of |accuracy(bin) - mean confidence(bin)|, i.e.
 * sum_b (|B_b| / n) |acc(B_b) - conf(B_b)|.
 */
#ifndef SER_MODEL_CALIBRATION_H
#define SER_MODEL_CALIBRATION_H

#include "common/runtime.h"

/* Classes a calibrated prediction may have (the networks allow 64 too). */
#define SER_CALIBRATION_MAX_CLASSES 64

/*
 * Fit T on probs[n][n_classes] (each row a probability vector) and their
 * true classes labels[n].  SER_EINVAL for n < 1, fewer than 2 or more than
 * SER_CALIBRATION_MAX_CLASSES classes, a label out of range, or a row with
 * a value that is not finite or is negative.
 */
SerStatus	ser_calibration_fit_temperature(const float *probs, const int *labels, int n, int n_classes,
											double *temperature, SerError *err);

/* out[k] = softmax(log(probs) / temperature)[k], n_classes <= SER_CALIBRATION_MAX_CLASSES; out may be probs. */
void		ser_calibration_apply(double temperature, const float *probs, int n_classes, float *out);

/* Mean negative log-likelihood of the true classes after scaling by temperature. */
double		ser_calibration_nll(const float *probs, const int *labels, int n, int n_classes, double temperature);

/* Expected calibration error of probs[n][n_classes] in n_bins bins (see above); 0 for n = 0. */
double		ser_expected_calibration_error(const float *probs, const int *labels, int n, int n_classes,
										   int n_bins);

#endif							/* SER_MODEL_CALIBRATION_H */
