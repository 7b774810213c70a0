/*
 * test_model_metrics.c — metrics on confusion matrices worked out by hand,
 * and the fold helpers: group k-fold never splits a group and balances
 * folds, explicit fold specs (actors 1-4, 5-8, ...), the speaker-dependent
 * stratified split keeps class proportions, and the validation hold-out is
 * by group.
 */
#include "unit.h"

#include "model/metrics.h"

static void
test_metrics(void)
{
	/*
	 * rows = truth.  class 0: 8 of 10 right; class 1: 3 of 5; class 2: 0 of 5.
	 * columns: predicted 0: 8+1+2 = 11, predicted 1: 1+3+3 = 7, predicted 2: 1+1+0 = 2
	 */
	int			cm[9] = {8, 1, 1,
						 1, 3, 1,
						 2, 3, 0};
	SerMetrics	m;
	SerError	err;
	double		p0 = 8.0 / 11,
				r0 = 0.8,
				p1 = 3.0 / 7,
				r1 = 0.6;
	double		f0 = 2 * p0 * r0 / (p0 + r0),
				f1 = 2 * p1 * r1 / (p1 + r1);

	ser_metrics_from_confusion(cm, 3, &m, &err);
	UNIT_NEAR(m.accuracy, 11.0 / 20, 1e-12, "accuracy 11/20");
	UNIT_NEAR(m.uar, (0.8 + 0.6 + 0.0) / 3, 1e-12, "UAR is the mean of per-class recalls");
	UNIT_NEAR(m.recall[1], 0.6, 1e-12, "recall of class 1");
	UNIT_NEAR(m.precision[2], 0.0, 1e-12, "precision of a class predicted twice, wrongly both times, is 0");
	UNIT_NEAR(m.f1[2], 0.0, 1e-12, "F1 of a class never recognised is 0");
	UNIT_NEAR(m.macro_f1, (f0 + f1 + 0.0) / 3, 1e-12, "macro-F1 is the mean of per-class F1");
	UNIT_OK(m.support[0] == 10 && m.support[2] == 5 && m.n == 20, "supports");

	{
		/* a class absent from the data counts neither in UAR nor in macro-F1 */
		int			cm2[9] = {5, 0, 0,
							  0, 0, 0,
							  1, 0, 4};

		ser_metrics_from_confusion(cm2, 3, &m, &err);
		UNIT_OK(isnan(m.recall[1]), "recall of an absent class is NaN");
		UNIT_NEAR(m.uar, (1.0 + 0.8) / 2, 1e-12, "UAR over the classes present");
	}
	{
		int			truth[6] = {0, 1, 2, 2, 1, 0};
		int			pred[6] = {0, 2, 2, 2, 1, 1};
		int			cm3[9];
		int			bad[1] = {3};
		SerStatus	st;

		ser_confusion_matrix(truth, pred, 6, 3, cm3, &err);
		UNIT_OK(cm3[0] == 1 && cm3[1] == 1 && cm3[5] == 1 && cm3[8] == 2 && cm3[4] == 1,
				"confusion matrix rows are truth, columns predictions");
		st = ser_confusion_matrix(truth, bad, 1, 3, cm3, &err);
		UNIT_OK(st == SER_EINVAL, "a prediction out of range is refused");
	}
}

static void
test_group_kfold(void)
{
	int			groups[200];
	int			folds[200];
	int			fold_size[5] = {0};
	bool		split = false;
	SerError	err;
	SerStatus	st;

	/* 20 actors, 10 clips each, ids 1..20 in a scrambled order */
	for (int i = 0; i < 200; i++)
		groups[i] = (i * 7) % 20 + 1;
	st = ser_group_kfold(groups, 200, 5, folds, &err);
	UNIT_OK(st == SER_OK, "group 5-fold over 20 actors");
	for (int i = 0; i < 200; i++)
	{
		fold_size[folds[i]]++;
		for (int j = 0; j < i; j++)
			if (groups[j] == groups[i] && folds[j] != folds[i])
				split = true;
	}
	UNIT_OK(!split, "no actor has clips in two folds");
	UNIT_OK(fold_size[0] == 40 && fold_size[4] == 40, "equal groups give equal folds (40 clips each)");
	st = ser_group_kfold(groups, 200, 21, folds, &err);
	UNIT_OK(st == SER_EINVAL, "more folds than actors is refused: %s", err.message);
}

static void
test_fold_spec(void)
{
	int			groups[24];
	int			folds[24];
	int			n_folds;
	SerError	err;
	SerStatus	st;

	for (int i = 0; i < 24; i++)
		groups[i] = i % 12 + 1;	/* actors 1..12, two clips each */
	st = ser_folds_from_spec("1-4; 5-8 ;9,10,11-12", groups, 24, folds, &n_folds, &err);
	UNIT_OK(st == SER_OK && n_folds == 3, "spec \"1-4; 5-8 ;9,10,11-12\" gives 3 folds");
	UNIT_OK(folds[0] == 0 && folds[3] == 0 && folds[4] == 1 && folds[8] == 2 && folds[23] == 2,
			"actors map to the folds the spec names");
	st = ser_folds_from_spec("1-4;5-8", groups, 24, folds, &n_folds, &err);
	UNIT_OK(st == SER_EINVAL && strstr(err.message, "not in any fold"), "an actor left out is refused: %s", err.message);
	st = ser_folds_from_spec("1-6;5-12", groups, 24, folds, &n_folds, &err);
	UNIT_OK(st == SER_EINVAL && strstr(err.message, "two folds"), "an actor in two folds is refused: %s", err.message);
	st = ser_folds_from_spec("1-4;x", groups, 24, folds, &n_folds, &err);
	UNIT_OK(st == SER_EINVAL && strstr(err.message, "character"), "a syntax error says where: %s", err.message);
}

static void
test_speaker_dependent(void)
{
	int			labels[120];
	int			folds[120];
	int			count[4][3] = {{0}};
	SerError	err;
	bool		balanced = true;

	for (int i = 0; i < 120; i++)
		labels[i] = i < 60 ? 0 : (i < 90 ? 1 : (i < 105 ? 2 : 3));
	ser_stratified_kfold_speaker_dependent(labels, 120, 3, 5, folds, &err);
	for (int i = 0; i < 120; i++)
		count[labels[i]][folds[i]]++;
	for (int c = 0; c < 4; c++)
		for (int f = 0; f < 3; f++)
			balanced = balanced && abs(count[c][f] * 3 - (c == 0 ? 60 : c == 1 ? 30 : 15)) <= 3;
	UNIT_OK(balanced, "stratified split keeps each class's share in every fold");
}

static void
test_holdout(void)
{
	int			groups[100];
	bool		candidate[100];
	bool		val[100];
	int			n_val = 0;
	bool		mixed = false;
	SerError	err;

	for (int i = 0; i < 100; i++)
	{
		groups[i] = i / 10;
		candidate[i] = groups[i] != 9;	/* actor 9 is the test set */
	}
	ser_group_holdout(groups, candidate, 100, 0.2, 11, val, &err);
	for (int i = 0; i < 100; i++)
	{
		n_val += val[i];
		if (i > 0 && groups[i] == groups[i - 1] && val[i] != val[i - 1])
			mixed = true;
	}
	UNIT_OK(!mixed && n_val == 20 && !val[95], "validation takes whole actors (20 clips), never the test actor");
}

int
main(void)
{
	test_metrics();
	test_group_kfold();
	test_fold_spec();
	test_speaker_dependent();
	test_holdout();
	return unit_done();
}
