/*
 * metrics.h — evaluation: fold assignment and classification metrics.
 *
 * Speech-emotion corpora have few speakers, and a model evaluated on clips
 * of speakers it trained on measures speaker recognition as much as emotion
 * recognition (and scores 10–30 points higher).  So every split here is by
 * group (speaker/actor) unless the caller explicitly asks for the
 * clip-level stratified split, whose name says it is speaker-dependent.
 *
 * Metrics follow the SER literature: accuracy (weighted average recall),
 * unweighted average recall (UAR — the mean of per-class recalls, the
 * headline figure because classes are imbalanced), macro-F1, per-class
 * recall and the confusion matrix (rows = true class, columns = predicted).
 */
#ifndef SER_MODEL_METRICS_H
#define SER_MODEL_METRICS_H

#include "common/runtime.h"

#define SER_METRICS_MAX_CLASSES 64

typedef struct SerMetrics
{
	int			n_classes;
	int			n;				/* clips counted */
	double		accuracy;
	double		uar;			/* mean recall over classes with support > 0 */
	double		macro_f1;		/* mean F1 over classes with support > 0 */
	int			support[SER_METRICS_MAX_CLASSES];
	double		recall[SER_METRICS_MAX_CLASSES];	/* NaN for a class with no support */
	double		precision[SER_METRICS_MAX_CLASSES];	/* 0 for a class never predicted */
	double		f1[SER_METRICS_MAX_CLASSES];
} SerMetrics;

/* The most probable class of probs[n] (the first of equals): a prediction's label. */
int			ser_argmax(const float *probs, int n);

/* confusion[k][k] (row-major, zeroed here) from labels and predictions in [0, k). */
SerStatus	ser_confusion_matrix(const int *truth, const int *pred, int n, int k, int *confusion,
								 SerError *err);
/* Metrics from a confusion matrix (k <= SER_METRICS_MAX_CLASSES). */
SerStatus	ser_metrics_from_confusion(const int *confusion, int k, SerMetrics *m, SerError *err);

/*
 * Group k-fold: every clip of a group lands in the same fold.  Groups are
 * dealt largest first to the fold with the fewest clips so far (ties: lowest
 * group id, lowest fold), which is deterministic and balances fold sizes.
 * Fewer distinct groups than folds is SER_EINVAL.
 */
SerStatus	ser_group_kfold(const int *groups, int n, int k, int *fold_out, SerError *err);
/* The number of distinct groups among groups[n], into *n_groups. */
SerStatus	ser_group_count(const int *groups, int n, int *n_groups, SerError *err);

/*
 * Explicit folds from a text spec over group ids: folds separated by ';',
 * members by ',', ranges as a-b, e.g. "1-4;5-8;9-12;13-16;17-20".  Every
 * clip's group must be named exactly once (SER_EINVAL otherwise).
 */
SerStatus	ser_folds_from_spec(const char *spec, const int *groups, int n, int *fold_out,
								int *n_folds, SerError *err);

/*
 * SPEAKER-DEPENDENT split, only for comparison with papers that report one:
 * clips (not groups) are shuffled per class with seed and dealt round-robin
 * to k folds, so the same speaker appears in training and test folds.
 */
SerStatus	ser_stratified_kfold_speaker_dependent(const int *labels, int n, int k, uint64_t seed,
												   int *fold_out, SerError *err);

/*
 * Validation hold-out inside a training set, by group: among the clips with
 * candidate[i] true, whole groups are drawn (seeded shuffle) until at least
 * fraction of those clips are held out; is_val_out[i] is set accordingly
 * (false for non-candidates).  At least one group stays in training.
 */
SerStatus	ser_group_holdout(const int *groups, const bool *candidate, int n, double fraction,
							  uint64_t seed, bool *is_val_out, SerError *err);

#endif							/* SER_MODEL_METRICS_H */
